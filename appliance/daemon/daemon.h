// understudyd as a whole: the configuration turned into the appliance core, the HTTP server and
// its API, health probes and event hooks; the demo's sample fleet; signals (SIGTERM/SIGINT:
// graceful shutdown, SIGHUP: reload what is safe) and systemd's notify protocol. main() only
// parses the command line and runs this.
#pragma once

#include <QObject>
#include <QStringList>
#include <QTemporaryDir>
#include <QTimer>
#include <memory>
#include <optional>
#include <string>

#include "appliance/api/api_service.h"
#include "appliance/core/appliance_core.h"
#include "appliance/daemon/admin_token.h"
#include "appliance/daemon/appliance_fencer.h"
#include "appliance/daemon/command_line.h"
#include "appliance/daemon/hook_runner.h"
#include "appliance/daemon/probe_scheduler.h"
#include "appliance/daemon/process_runner.h"
#include "appliance/daemon/service_config.h"
#include "appliance/daemon/systemd_notify.h"
#include "appliance/http/http_server.h"
#include "db/database.h"

namespace understudy::daemon {

// Files Understudy ships (demo-appliance.xml, passive-node.xml, demo-fleet.json): looked up in
// the install location first (<prefix>/share/understudy beside the binary, then the configured
// data directory), then in the source tree the binary was built from.
std::string shippedFile(const std::string& name);

// The demo's sample fleet into an empty database (a database with clusters keeps them).
Status registerDemoFleet(core::ApplianceCore& core, const std::string& fleet_file);

class Daemon : public QObject {
    Q_OBJECT

public:
    Daemon(daemon::CommandLine command_line, daemon::ServiceConfig config,
           daemon::AdminToken admin_token, QObject* parent = nullptr);
    ~Daemon() override;

    // Opens everything and starts serving; an error means the service cannot run.
    Status start();
    // Installs the SIGTERM/SIGINT/SIGHUP handlers (a self-pipe into the event loop).
    Status handleSignals();
    // Graceful shutdown: stop listening at once, answer waiting long-polls, let in-flight
    // requests and operations answer and their connections close (at most 30 s), log
    // service.stopped, close the core and the database cleanly, then quit the event loop.
    void shutDown();
    // SIGHUP: re-reads the configuration and applies [policy], probes and hooks, all or nothing
    // (a file with an error changes nothing; the log names its line); settings that cannot
    // change while running (listen, database, TLS, appliances) keep their running values, each
    // named in a warning.
    void reload();

private:
    // The steps of start(), in order; each may fail, and start() stops at the first failure.
    Status openCore();
    Status openApi();
    Status startProbesAndHooks();
    // Listens, then says so: the log, the demo's generated token, service.started, systemd.
    Status startListening();
    void onSignal();
    // Finishes the shutdown once nothing is in flight and every connection has closed.
    void finishIfDrained();
    void finishShutDown();
    void dispatchHooks();
    void appendServiceEvent(const std::string& kind, const std::string& details);
    // The newest stored probe result of a cluster: ok or not, nullopt when none.
    std::optional<bool> storedProbeState(const std::string& cluster) const;
    // Stores a probe's result with its transition's event, and shows it at once.
    void storeProbe(const daemon::ProbeResult& result);
    static Result<std::vector<daemon::ProbeConfig>> probeConfigs(
        const daemon::ServiceConfig& config);
    static std::vector<daemon::HookConfig> hookConfigs(const daemon::ServiceConfig& config);

    daemon::CommandLine command_line_;
    daemon::ServiceConfig config_;
    daemon::AdminToken admin_token_;
    std::unique_ptr<QTemporaryDir> temporary_;
    std::unique_ptr<core::ApplianceCore> core_;
    std::unique_ptr<http::HttpServer> server_;
    std::unique_ptr<api::ApiService> api_;
    std::unique_ptr<daemon::ProcessRunner> runner_;
    std::unique_ptr<daemon::ProbeScheduler> probes_;
    std::unique_ptr<daemon::HookRunner> hooks_;
    std::unique_ptr<daemon::ApplianceFencer> fencer_;
    std::unique_ptr<db::Database> reader_;
    db::Id hooks_dispatched_ = 0;
    SystemdNotifier systemd_;
    QTimer watchdog_;
    QTimer drain_deadline_;
    bool shutting_down_ = false;
};

}  // namespace understudy::daemon

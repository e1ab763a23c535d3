#include "appliance/daemon/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "appliance/api/token_auth.h"
#include "appliance/daemon/effective_config.h"
#include "base/error_codes.h"
#include "db/cluster_repository.h"
#include "db/event_log.h"
#include "db/probe_result_repository.h"
#include "sizing/fleet_file.h"

namespace understudy::daemon {

namespace {

Q_LOGGING_CATEGORY(lcDaemon, "understudy.service")

int signal_pipe[2] = {-1, -1};

extern "C" void onPosixSignal(int number) {
    const int saved = errno;
    const auto byte = static_cast<unsigned char>(number);
    [[maybe_unused]] const ssize_t written = ::write(signal_pipe[1], &byte, 1);
    errno = saved;
}

core::CoreConfig coreConfig(const daemon::ServiceConfig& config) {
    core::CoreConfig made;
    made.policy.target_risk = config.policy.target_risk;
    made.policy.admission = config.policy.admission;
    made.policy.contention = config.policy.contention;
    made.policy.restore_preempted = config.policy.restore_preempted;
    for (const daemon::ApplianceSection& section : config.appliances) {
        core::ApplianceConfig appliance;
        appliance.name = section.name;
        appliance.uri = section.uri;
        appliance.reserve_memory_mib = section.reserve_memory_mib;
        appliance.reserve_vcpus = section.reserve_vcpus;
        appliance.cpu_overcommit = section.cpu_overcommit;
        appliance.domain_template = section.domain_template;
        appliance.recreate_missing = section.recreate_missing;
        appliance.fence_command = section.fence_command;
        appliance.lost_after_s = static_cast<int>(section.lost_after_s);
        made.appliances.push_back(std::move(appliance));
    }
    return made;
}

QHostAddress hostAddress(const std::string& host) {
    if (host == "localhost") {
        return QHostAddress(QHostAddress::LocalHost);
    }
    return QHostAddress(QString::fromStdString(host));
}

}  // namespace

std::string shippedFile(const std::string& name) {
    QStringList folders;
    folders << QCoreApplication::applicationDirPath() + QStringLiteral("/../share/understudy");
#ifdef UNDERSTUDY_INSTALL_DATADIR
    folders << QStringLiteral(UNDERSTUDY_INSTALL_DATADIR);
#endif
#ifdef UNDERSTUDY_SOURCE_DATADIR
    folders << QStringLiteral(UNDERSTUDY_SOURCE_DATADIR);
#endif
    for (const QString& folder : folders) {
        const QFileInfo file(folder + u'/' + QString::fromStdString(name));
        if (file.isFile()) {
            return QDir::cleanPath(file.absoluteFilePath()).toStdString();
        }
    }
    return {};
}

Status registerDemoFleet(core::ApplianceCore& core, const std::string& fleet_file) {
    auto clusters = core.clusters();
    if (!clusters) {
        return clusters.error();
    }
    if (!clusters->empty()) {
        qCInfo(lcDaemon, "the database holds %zu clusters: keeping them, no sample fleet",
               clusters->size());
        return Done{};
    }
    auto fleet = sizing::loadFleetFile(fleet_file);
    if (!fleet) {
        return fleet.error();
    }
    core::RegistrationRequest request;
    request.groups = fleet->groups;
    for (const sizing::ClusterSpec& spec : fleet->clusters) {
        core::ClusterRegistration registration;
        registration.spec = spec;
        // The demo prints no cluster token (tokens never reach a log): rotate one through the
        // API (POST /clusters/NAME/token) to act as that cluster.
        registration.token_hash = api::tokenDigest(api::generateToken());
        request.clusters.push_back(std::move(registration));
    }
    auto outcome = core.registerClusters(std::move(request)).result();
    if (!outcome) {
        return outcome.error();
    }
    if (!outcome->accepted) {
        return Error{"admission_refused",
                     "the sample fleet does not fit the demo appliance; check " + fleet_file, ""};
    }
    qCInfo(lcDaemon, "registered the sample fleet of %zu clusters from %s",
           outcome->clusters.size(), fleet_file.c_str());
    return Done{};
}

Daemon::Daemon(daemon::CommandLine command_line, daemon::ServiceConfig config,
               daemon::AdminToken admin_token, QObject* parent)
    : QObject(parent),
      command_line_(std::move(command_line)),
      config_(std::move(config)),
      admin_token_(std::move(admin_token)),
      systemd_(SystemdNotifier::fromEnvironment()) {}

Daemon::~Daemon() {
    // Children and long-polls first, the core (and its database writer) last.
    fencer_.reset();
    hooks_.reset();
    probes_.reset();
    runner_.reset();
    api_.reset();
    server_.reset();
    reader_.reset();
    core_.reset();
}

Status Daemon::start() {
    if (Status opened = openCore(); !opened) {
        return opened;
    }
    if (config_.demo) {
        const std::string fleet = shippedFile("demo-fleet.json");
        if (fleet.empty()) {
            return Error{errc::kIo, "the demo's sample fleet demo-fleet.json is not installed", ""};
        }
        if (Status registered = registerDemoFleet(*core_, fleet); !registered) {
            return registered;
        }
    }
    if (Status opened = openApi(); !opened) {
        return opened;
    }
    if (Status started = startProbesAndHooks(); !started) {
        return started;
    }
    return startListening();
}

Status Daemon::openCore() {
    if (config_.temporary_database && config_.service.database.empty()) {
        temporary_ = std::make_unique<QTemporaryDir>(QDir::tempPath() +
                                                     QStringLiteral("/understudy-demo-XXXXXX"));
        if (!temporary_->isValid()) {
            return Error{errc::kIo,
                         "cannot create the demo's temporary folder: " +
                             temporary_->errorString().toStdString(),
                         ""};
        }
        config_.service.database =
            temporary_->filePath(QStringLiteral("understudy.db")).toStdString();
        qCInfo(lcDaemon, "demo database in %s (removed at exit)", qPrintable(temporary_->path()));
    }
    const std::string shipped_template = shippedFile("passive-node.xml");
    auto core =
        core::ApplianceCore::open(coreConfig(config_), config_.service.database, shipped_template);
    if (!core) {
        return core.error();
    }
    core_ = std::move(*core);
    qCInfo(lcDaemon, "database %s, %zu appliance(s) from %s", config_.service.database.c_str(),
           config_.appliances.size(), config_.source.c_str());
    return Done{};
}

Status Daemon::openApi() {
    http::HttpServerOptions options;
    options.address = hostAddress(config_.service.listen.host);
    options.port = config_.service.listen.port;
    options.max_body_bytes = config_.service.max_body_bytes;
    options.tls_certificate = QString::fromStdString(config_.service.tls_certificate);
    options.tls_key = QString::fromStdString(config_.service.tls_key);
    server_ = std::make_unique<http::HttpServer>(options);
    api::ApiService::Options api_options;
    api_options.admin_token = admin_token_.value;
    api_options.version = UNDERSTUDY_VERSION;
    api_options.history_interval = std::chrono::seconds(config_.service.history_interval_s);
    api_ = std::make_unique<api::ApiService>(*core_, *server_, api_options);
    if (Status opened = api_->open(); !opened) {
        return opened;
    }
    auto reader = db::Database::openReader(config_.service.database);
    if (!reader) {
        return reader.error();
    }
    reader_ = std::move(*reader);
    auto last = core_->lastEventId();
    hooks_dispatched_ = last ? *last : 0;
    return Done{};
}

Status Daemon::startProbesAndHooks() {
    runner_ = std::make_unique<daemon::ProcessRunner>();
    probes_ = std::make_unique<daemon::ProbeScheduler>(*runner_);
    hooks_ = std::make_unique<daemon::HookRunner>(*runner_);
    probes_->setClusterCheck([this](const std::string& cluster) {
        auto clusters = core_->clusters();
        return clusters && std::any_of(clusters->begin(), clusters->end(),
                                       [&](const auto& c) { return c.spec.name == cluster; });
    });
    probes_->setLastKnown([this](const std::string& cluster) { return storedProbeState(cluster); });
    probes_->setResultSink([this](const daemon::ProbeResult& result) { storeProbe(result); });
    hooks_->setFailureSink([this](const daemon::HookRunner::Failure& failure) {
        db::DBEvent event;
        event.time = db::nowMs();
        event.kind = "hook.failed";
        event.cluster = failure.event.cluster;
        event.node = failure.event.node;
        event.details = daemon::hookFailedDetails(failure);
        event.actor = core::Actor{}.text();
        core_->appendEvents({event});
    });
    connect(core_.get(), &core::ApplianceCore::eventsAppended, this, &Daemon::dispatchHooks,
            Qt::QueuedConnection);
    auto probes = probeConfigs(config_);
    if (!probes) {
        return probes.error();
    }
    if (Status configured = probes_->configure(*probes); !configured) {
        return configured;
    }
    std::vector<daemon::FenceConfig> fencing;
    for (const daemon::ApplianceSection& appliance : config_.appliances) {
        if (appliance.lost_after_s > 0) {
            fencing.push_back({appliance.name, appliance.fence_command,
                               std::chrono::seconds(appliance.lost_after_s)});
        }
    }
    fencer_ = std::make_unique<daemon::ApplianceFencer>(*core_, *runner_, std::move(fencing));
    return hooks_->configure(hookConfigs(config_));
}

Status Daemon::startListening() {
    if (Status listening = server_->listen(); !listening) {
        return listening;
    }
    const QString scheme = server_->isTls() ? QStringLiteral("https") : QStringLiteral("http");
    qCInfo(lcDaemon, "listening on %s://%s", qPrintable(scheme),
           config_.service.listen.toString().c_str());
    if (admin_token_.generated) {
        // Printed once, on stdout only (never through the log): the demo's user needs it.
        std::printf("Admin token (shown once): %s\n", admin_token_.value.c_str());
        std::fflush(stdout);
    }
    nlohmann::json details = {{"version", UNDERSTUDY_VERSION},
                              {"listen", config_.service.listen.toString()},
                              {"pid", static_cast<long long>(::getpid())},
                              {"demo", config_.demo}};
    appendServiceEvent("service.started", details.dump());

    systemd_.notify("READY=1\nSTATUS=serving on " +
                    QByteArray::fromStdString(config_.service.listen.toString()));
    if (auto ping = systemd_.watchdogPingInterval()) {
        connect(&watchdog_, &QTimer::timeout, this, [this] { systemd_.notify("WATCHDOG=1"); });
        watchdog_.start(*ping);
    }
    return Done{};
}

std::optional<bool> Daemon::storedProbeState(const std::string& cluster) const {
    auto found = db::ClusterRepository(*reader_).byName(cluster);
    if (!found || !*found) {
        return std::nullopt;
    }
    auto latest = db::ProbeResultRepository(*reader_).latest((*found)->id);
    if (!latest || !*latest) {
        return std::nullopt;
    }
    return (*latest)->ok;
}

void Daemon::storeProbe(const daemon::ProbeResult& result) {
    api_->setLastProbe(result.cluster, api::LastProbe{result.time, result.ok, result.output});
    std::vector<db::DBEvent> events;
    if (result.transition) {
        db::DBEvent event;
        event.time = db::nowMs();
        event.kind = *result.transition == daemon::ProbeTransition::Failed ? "probe.failed"
                                                                           : "probe.recovered";
        event.cluster = result.cluster;
        event.details = daemon::probeEventDetails(result);
        event.actor = core::Actor{}.text();
        events.push_back(std::move(event));
    }
    const std::string cluster = result.cluster;
    core_->recordProbeResult(cluster, result.time, result.ok, result.output, std::move(events))
        .then(this, [cluster](Result<bool> stored) {
            if (!stored) {
                qCWarning(lcDaemon, "the probe result of cluster %s was not stored: %s",
                          cluster.c_str(), stored.error().describe().c_str());
            }
        });
}

void Daemon::appendServiceEvent(const std::string& kind, const std::string& details) {
    db::DBEvent event;
    event.time = db::nowMs();
    event.kind = kind;
    event.details = details;
    event.actor = core::Actor{}.text();
    auto appended = core_->appendEvents({event}).result();
    if (!appended) {
        qCWarning(lcDaemon, "could not log %s: %s", kind.c_str(),
                  appended.error().describe().c_str());
    }
}

Result<std::vector<daemon::ProbeConfig>> Daemon::probeConfigs(const daemon::ServiceConfig& config) {
    std::vector<daemon::ProbeConfig> probes;
    for (const daemon::ProbeSection& section : config.probes) {
        auto probe = daemon::makeProbeConfig(section.cluster, section.command, section.interval_s,
                                             section.timeout_s);
        if (!probe) {
            return probe.error();
        }
        probes.push_back(*probe);
    }
    return probes;
}

std::vector<daemon::HookConfig> Daemon::hookConfigs(const daemon::ServiceConfig& config) {
    std::vector<daemon::HookConfig> hooks;
    for (const daemon::HookSection& section : config.hooks) {
        daemon::HookConfig hook;
        hook.name = section.name;
        hook.command = section.command;
        hook.events = section.events;
        hook.timeout = std::chrono::seconds(section.timeout_s);
        hooks.push_back(std::move(hook));
    }
    return hooks;
}

void Daemon::dispatchHooks() {
    if (!hooks_ || !reader_ || hooks_->hooks().empty()) {
        auto last = core_ ? core_->lastEventId() : Result<db::Id>(db::Id{0});
        if (last) {
            hooks_dispatched_ = std::max(hooks_dispatched_, *last);
        }
        return;
    }
    for (;;) {
        db::EventQuery query;
        query.since = hooks_dispatched_;
        query.limit = db::kMaxEventPage;
        auto page = db::EventLog(*reader_).page(query);
        if (!page) {
            qCWarning(lcDaemon, "hooks: cannot read new events: %s",
                      page.error().describe().c_str());
            return;
        }
        for (const db::DBEvent& event : page->events) {
            hooks_->dispatch(event);
        }
        hooks_dispatched_ = page->next;
        if (page->events.size() < static_cast<std::size_t>(db::kMaxEventPage)) {
            return;
        }
    }
}

Status Daemon::handleSignals() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, signal_pipe) != 0) {
        return Error{errc::kIo,
                     std::string("cannot create the signal pipe: ") + std::strerror(errno), ""};
    }
    ::fcntl(signal_pipe[1], F_SETFL, O_NONBLOCK);
    auto* notifier = new QSocketNotifier(signal_pipe[0], QSocketNotifier::Read, this);
    connect(notifier, &QSocketNotifier::activated, this, &Daemon::onSignal);
    struct sigaction action {};
    action.sa_handler = onPosixSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (int number : {SIGTERM, SIGINT, SIGHUP}) {
        if (::sigaction(number, &action, nullptr) != 0) {
            return Error{errc::kIo, std::string("cannot handle signal: ") + std::strerror(errno),
                         ""};
        }
    }
    ::signal(SIGPIPE, SIG_IGN);
    return Done{};
}

void Daemon::onSignal() {
    unsigned char number = 0;
    if (::read(signal_pipe[0], &number, 1) != 1) {
        return;
    }
    if (number == SIGHUP) {
        reload();
    } else {
        qCInfo(lcDaemon, "%s: shutting down", number == SIGTERM ? "SIGTERM" : "SIGINT");
        shutDown();
    }
}

void Daemon::shutDown() {
    if (shutting_down_) {
        return;
    }
    shutting_down_ = true;
    systemd_.notify("STOPPING=1");
    watchdog_.stop();
    if (!api_) {
        QCoreApplication::exit(0);
        return;
    }
    // New connections are refused from here on; what is in flight is answered: long-polls with
    // what they have, operations once the core has done them.
    connect(server_.get(), &http::HttpServer::drained, this, &Daemon::finishIfDrained);
    connect(api_.get(), &api::ApiService::idle, this, &Daemon::finishIfDrained);
    server_->drain();
    api_->stopWaiting();
    qCInfo(lcDaemon,
           "no new connections; answering what is in flight (%d connection(s), %d "
           "operation(s))",
           server_->connectionCount(), api_->inFlight());
    drain_deadline_.setSingleShot(true);
    connect(&drain_deadline_, &QTimer::timeout, this, [this] {
        qCWarning(lcDaemon,
                  "%d operation(s) and %d connection(s) still open after 30 s; stopping anyway",
                  api_->inFlight(), server_->connectionCount());
        finishShutDown();
    });
    drain_deadline_.start(std::chrono::seconds(30));
}

void Daemon::finishIfDrained() {
    if (shutting_down_ && api_ && api_->inFlight() == 0 && server_->connectionCount() == 0) {
        finishShutDown();
    }
}

void Daemon::finishShutDown() {
    if (!api_) {
        return;
    }
    drain_deadline_.stop();
    disconnect(server_.get(), nullptr, this, nullptr);
    disconnect(api_.get(), nullptr, this, nullptr);
    fencer_.reset();
    hooks_.reset();
    probes_.reset();
    runner_.reset();
    server_->close();
    appendServiceEvent("service.stopped", "{}");
    api_.reset();
    server_.reset();
    reader_.reset();
    core_.reset();
    qCInfo(lcDaemon, "stopped");
    QCoreApplication::exit(0);
}

namespace {

std::string policyText(const daemon::PolicySection& policy) {
    std::string contention;
    for (policy::ContentionStep step : policy.contention) {
        contention +=
            (contention.empty() ? "" : ", ") + std::string(policy::contentionStepName(step));
    }
    return "target_risk = " + QByteArray::number(policy.target_risk).toStdString() +
           ", admission = " +
           (policy.admission == policy::AdmissionMode::enforce ? "enforce" : "warn") +
           ", contention = " + contention +
           ", restore_preempted = " + (policy.restore_preempted ? "true" : "false");
}

// The settings a running service cannot take over, as "[section] key" for each that differs.
std::vector<std::string> restartOnlyChanges(const daemon::ServiceConfig& running,
                                            const daemon::ServiceConfig& fresh) {
    std::vector<std::string> changed;
    const daemon::ServiceSection& a = running.service;
    const daemon::ServiceSection& b = fresh.service;
    const auto check = [&changed](bool differs, const std::string& name) {
        if (differs) {
            changed.push_back(name);
        }
    };
    check(a.listen != b.listen, "[service] listen");
    // A demo's temporary database is the daemon's choice, not the file's.
    check(!running.temporary_database && a.database != b.database, "[service] database");
    check(a.admin_token_file != b.admin_token_file, "[service] admin_token_file");
    check(a.tls_certificate != b.tls_certificate, "[service] tls_certificate");
    check(a.tls_key != b.tls_key, "[service] tls_key");
    check(a.max_body_bytes != b.max_body_bytes, "[service] max_body_bytes");
    check(a.history_interval_s != b.history_interval_s, "[service] history_interval_s");
    for (const daemon::ApplianceSection& was : running.appliances) {
        const std::string section = "[appliance." + was.name + "]";
        const auto now = std::find_if(fresh.appliances.begin(), fresh.appliances.end(),
                                      [&](const auto& c) { return c.name == was.name; });
        if (now == fresh.appliances.end()) {
            changed.push_back(section + " (removed)");
            continue;
        }
        check(was.uri != now->uri, section + " uri");
        check(was.reserve_memory_mib != now->reserve_memory_mib, section + " reserve_memory_mib");
        check(was.reserve_vcpus != now->reserve_vcpus, section + " reserve_vcpus");
        check(was.cpu_overcommit != now->cpu_overcommit, section + " cpu_overcommit");
        check(was.domain_template != now->domain_template, section + " domain_template");
        check(was.recreate_missing != now->recreate_missing, section + " recreate_missing");
        check(was.fence_command != now->fence_command, section + " fence_command");
        check(was.lost_after_s != now->lost_after_s, section + " lost_after_s");
    }
    for (const daemon::ApplianceSection& now : fresh.appliances) {
        if (std::none_of(running.appliances.begin(), running.appliances.end(),
                         [&](const auto& c) { return c.name == now.name; })) {
            changed.push_back("[appliance." + now.name + "] (added)");
        }
    }
    return changed;
}

}  // namespace

void Daemon::reload() {
    if (shutting_down_) {
        return;
    }
    qCInfo(lcDaemon, "SIGHUP: reloading the configuration from %s", config_.source.c_str());
    const auto refuse = [](const Error& error) {
        qCWarning(lcDaemon,
                  "reload refused, nothing changed (still running on the configuration loaded "
                  "before): %s",
                  error.describe().c_str());
    };
    auto fresh = daemon::loadEffectiveConfig(command_line_, shippedFile("demo-appliance.xml"));
    if (!fresh) {
        return refuse(fresh.error());
    }
    // Everything that applies live is checked before any of it is applied: all or nothing.
    auto probes = probeConfigs(*fresh);
    if (!probes) {
        return refuse(probes.error());
    }
    const std::vector<daemon::HookConfig> hooks = hookConfigs(*fresh);
    if (!(fresh->policy == config_.policy)) {
        // The only step that can still fail (a worker stuck in libvirt), so it goes first.
        if (Status applied = core_->setPolicy(coreConfig(*fresh).policy); !applied) {
            return refuse(applied.error());
        }
        qCInfo(lcDaemon, "[policy] reloaded: %s", policyText(fresh->policy).c_str());
        config_.policy = fresh->policy;
    }
    if (Status configured = probes_->configure(*probes); !configured) {
        qCWarning(lcDaemon, "probes not reloaded: %s", configured.error().describe().c_str());
    } else {
        config_.probes = fresh->probes;
    }
    if (Status configured = hooks_->configure(hooks); !configured) {
        qCWarning(lcDaemon, "hooks not reloaded: %s", configured.error().describe().c_str());
    } else {
        config_.hooks = fresh->hooks;
    }
    for (const std::string& setting : restartOnlyChanges(config_, *fresh)) {
        qCWarning(lcDaemon,
                  "%s changed in the file but cannot change while the service runs; keeping "
                  "the running value until a restart",
                  setting.c_str());
    }
    qCInfo(lcDaemon, "configuration reloaded: %zu probe(s), %zu hook(s)", config_.probes.size(),
           config_.hooks.size());
}

}  // namespace understudy::daemon

// Per-cluster health probes of the physical active node (`[probe.NAME]` in understudyd.conf):
// a configured command (a fence agent's status action, say) run every interval with a timeout.
// Every result goes to a sink (the service stores it with db::ProbeResultRepository); only
// transitions become events: probe.failed when a probe fails after succeeding (or as its first
// result, when nothing older is known: an active node found down is news), probe.recovered when
// it succeeds after failing. "Before" includes the stored result from before a restart
// (setLastKnown). Lives on a Qt thread; the children run on ProcessRunner's worker, so a hung
// probe holds up nothing but its own next run.
#pragma once

#include <QObject>
#include <QTimer>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/daemon/process_runner.h"
#include "base/result.h"
#include "db/records.h"

namespace understudy::daemon {

struct ProbeConfig {
    std::string cluster;
    std::string command;
    std::chrono::milliseconds interval{30000};
    std::chrono::milliseconds timeout{10000};
    bool operator==(const ProbeConfig&) const = default;
};

// Validates the values of a `[probe.CLUSTER]` section by the config's rules (service_config.h:
// a command whose program is an absolute path, 1 ≤ timeout_s < interval_s ≤ a day, timeout_s
// at most an hour) and converts them; errors name `probe.CLUSTER: key`.
Result<ProbeConfig> makeProbeConfig(const std::string& cluster, const std::string& command,
                                    long long interval_s, long long timeout_s);

enum class ProbeTransition { Failed, Recovered };

struct ProbeResult {
    std::string cluster;
    // When the run started.
    db::TimeMs time = 0;
    // Exited by itself with status 0.
    bool ok = false;
    std::string output;
    std::chrono::milliseconds duration{0};
    bool timed_out = false;
    std::optional<int> exit_code;
    std::optional<int> signal;
    // describe() of the run: "exited with status 2".
    std::string summary;
    // Set when this result changes the probe's state (see above).
    std::optional<ProbeTransition> transition;
};

// The details object of a probe.failed / probe.recovered event, as JSON text (never a token:
// the command line is not in it, since it may carry credentials).
std::string probeEventDetails(const ProbeResult& result);

class ProbeScheduler : public QObject {
    Q_OBJECT
public:
    struct Options {
        // SIGTERM → SIGKILL after a timeout.
        std::chrono::milliseconds kill_grace{2000};
        std::size_t max_output_bytes = db::kMaxProbeOutputBytes;
    };
    struct Stats {
        std::uint64_t runs = 0;
        std::uint64_t failures = 0;
        // Runs not started because the previous one was still running.
        std::uint64_t skipped = 0;
        bool running = false;
        // Unknown until the first result, or the stored one (setLastKnown).
        std::optional<bool> last_ok;
    };
    using ResultSink = std::function<void(const ProbeResult&)>;
    using TransitionSink = std::function<void(const ProbeResult&, ProbeTransition)>;
    // Answers whether a cluster is registered; a probe for one that is not is a logged warning
    // (it still runs: the cluster may be registered later).
    using ClusterCheck = std::function<bool(const std::string& cluster)>;
    // The state a probe had before this scheduler knew it (the newest stored result, from
    // before a restart): nullopt when none. A probe still failing after a restart is then no
    // news, and one that recovered meanwhile is.
    using LastKnown = std::function<std::optional<bool>(const std::string& cluster)>;

    // `runner` must outlive the scheduler.
    ProbeScheduler(ProcessRunner& runner, Options options, QObject* parent = nullptr);
    explicit ProbeScheduler(ProcessRunner& runner, QObject* parent = nullptr)
        : ProbeScheduler(runner, Options{}, parent) {}
    // Cancels (kills) the probes still running; no sink is called afterwards.
    ~ProbeScheduler() override;

    void setResultSink(ResultSink sink) { result_sink_ = std::move(sink); }
    void setTransitionSink(TransitionSink sink) { transition_sink_ = std::move(sink); }
    void setClusterCheck(ClusterCheck check) { cluster_check_ = std::move(check); }
    void setLastKnown(LastKnown last_known) { last_known_ = std::move(last_known); }

    // Replaces the whole set (start-up, SIGHUP reload), after validating all of it: nothing
    // changes on an error. Probes that stay keep their state (no repeated probe.failed) and,
    // if unchanged, their schedule; changed ones are rescheduled with a run at once; removed
    // ones are stopped and their running child killed.
    Status configure(const std::vector<ProbeConfig>& probes);
    // Adds or replaces one probe; its first run is at once.
    Status add(const ProbeConfig& probe);
    // False when there was no such probe.
    bool remove(const std::string& cluster);

    std::vector<ProbeConfig> probes() const;
    std::optional<Stats> stats(const std::string& cluster) const;

private:
    struct Probe {
        ProbeConfig config;
        std::unique_ptr<QTimer> timer;
        std::optional<ProcessRunner::RunId> run;
        Stats stats;
    };

    static Status validate(const ProbeConfig& probe);
    void schedule(Probe& probe);
    void runProbe(const std::string& cluster);
    void onResult(const std::string& cluster, ProcessRunner::RunId run, db::TimeMs started,
                  const ProcessResult& result);
    void warnIfUnregistered(const std::string& cluster) const;

    ProcessRunner& runner_;
    Options options_;
    std::map<std::string, Probe> probes_;
    ResultSink result_sink_;
    TransitionSink transition_sink_;
    ClusterCheck cluster_check_;
    LastKnown last_known_;
};

}  // namespace understudy::daemon

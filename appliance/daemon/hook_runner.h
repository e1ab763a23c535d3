// Event hooks (`[hook.NAME]` in understudyd.conf), in the manner of Pacemaker alert agents: on
// each event every hook whose patterns match it runs its command once, concurrently with the
// others, with the event in the environment:
//   UNDERSTUDY_HOOK            the hook's name
//   UNDERSTUDY_EVENT_ID        the event's id (as in GET /events)
//   UNDERSTUDY_EVENT_TIME      ISO 8601 UTC with milliseconds, as the API writes times
//   UNDERSTUDY_EVENT_KIND      e.g. takeover.granted
//   UNDERSTUDY_EVENT_CLUSTER   the cluster's name, empty when the event has none
//   UNDERSTUDY_EVENT_NODE      the node's name, empty when the event has none
//   UNDERSTUDY_EVENT_DETAILS   the event's details, a JSON object as text
// Always set (possibly empty), so scripts may run under `set -u`. Event data is never put into
// the command line (see process_runner.h), only into these variables.
//
// Patterns: event_patterns.h.
//
// A hook that fails (exit status other than 0, killed, timed out, not startable) is reported to
// the failure sink, from which the service logs a hook.failed event, which hooks may match like
// any other. No loop: a failing run that was itself handling a hook.failed event is only
// logged, never reported, so failures cascade at most one level deep.
//
// Never blocks the service: at most max_concurrent hooks run at once; further runs wait in a
// queue of at most max_queued, and when it is full the oldest queued run is dropped, with a
// warning when overload begins and a count when it ends.
#pragma once

#include <QObject>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "appliance/daemon/process_runner.h"
#include "base/result.h"
#include "db/records.h"

namespace understudy::daemon {

struct HookConfig {
    std::string name;
    std::string command;
    // Event kind patterns (event_patterns.h).
    std::vector<std::string> events;
    std::chrono::milliseconds timeout{10000};
    bool operator==(const HookConfig&) const = default;
};

// Validates the values of a `[hook.NAME]` section by the config's rules (service_config.h: a
// command whose program is an absolute path, 1 ≤ timeout_s ≤ 3600, at least one valid pattern) and
// converts them; errors name `hook.NAME: key`.
Result<HookConfig> makeHookConfig(const std::string& name, const std::string& command,
                                  std::string_view events, long long timeout_s);

// The UNDERSTUDY_* variables a hook gets for an event.
std::vector<std::pair<std::string, std::string>> hookEnvironment(const std::string& hook,
                                                                 const db::DBEvent& event);

class HookRunner : public QObject {
    Q_OBJECT
public:
    struct Options {
        std::size_t max_concurrent = 4;
        std::size_t max_queued = 256;
        std::chrono::milliseconds kill_grace{2000};
        std::size_t max_output_bytes = 4096;
    };
    struct Stats {
        std::uint64_t started = 0;
        std::uint64_t failed = 0;
        // Runs dropped from a full queue, ever.
        std::uint64_t dropped = 0;
        std::size_t queued = 0;
        std::size_t running = 0;
    };
    struct Failure {
        std::string hook;
        db::DBEvent event;
        ProcessResult result;
    };
    using FailureSink = std::function<void(const Failure&)>;

    // `runner` must outlive the hook runner.
    HookRunner(ProcessRunner& runner, Options options, QObject* parent = nullptr);
    explicit HookRunner(ProcessRunner& runner, QObject* parent = nullptr)
        : HookRunner(runner, Options{}, parent) {}
    // Kills the hooks still running and drops the queue; no sink is called afterwards.
    ~HookRunner() override;

    // Replaces the hooks (start-up, SIGHUP reload) after validating all of them; nothing
    // changes on an error. Runs already started or queued keep their old command.
    Status configure(const std::vector<HookConfig>& hooks);
    const std::vector<HookConfig>& hooks() const { return hooks_; }
    void setFailureSink(FailureSink sink) { failure_sink_ = std::move(sink); }

    // Queues a run of every matching hook and returns how many matched; never blocks.
    std::size_t dispatch(const db::DBEvent& event);

    Stats stats() const;

private:
    struct Job {
        std::string hook;
        std::string command;
        std::chrono::milliseconds timeout;
        db::DBEvent event;
    };

    void pump();
    void onFinished(ProcessRunner::RunId id, const Job& job, const ProcessResult& result);

    ProcessRunner& runner_;
    Options options_;
    std::vector<HookConfig> hooks_;
    std::deque<Job> queue_;
    std::vector<ProcessRunner::RunId> running_;
    FailureSink failure_sink_;
    Stats stats_;
    bool overloaded_ = false;
    std::uint64_t dropped_in_overload_ = 0;
};

// The details object of a hook.failed event, as JSON text: the hook, the event it handled, how
// it ended, and its bounded output. The command line is left out (it may carry credentials).
std::string hookFailedDetails(const HookRunner::Failure& failure);

}  // namespace understudy::daemon

// Runs the configured commands of probes and hooks as child processes, with a timeout, bounded
// output and no blocking: children are started and watched by Boost.Process v2 on one asio
// worker thread, so a hung child never holds up the caller's event loop or another child.
//
// How a command runs: `/bin/sh -c COMMAND`, as cron and Pacemaker alert recipients do. The
// command comes from the administrator's config file (root-owned), so shell syntax there is a
// feature, not an injection; data that API users can influence (event fields, cluster and node
// names) is never put into the command line, only into environment variables, where the shell
// does not interpret it. Scripts must quote those variables ("$UNDERSTUDY_EVENT_DETAILS").
//
// Each child leads its own process group, stdin is /dev/null, stdout and stderr share one pipe
// (interleaved as written), signals are unblocked and at their defaults, and no other file
// descriptor of the service reaches it. On timeout the whole group gets SIGTERM, then SIGKILL
// after a grace period; once a timed-out child has exited, what is left of its group gets
// SIGKILL at once. A child that exits normally ends its run even if something it started in the
// background still holds the pipe: that straggler is left alone (it may be intended, say a mail
// delivery) and only loses its output.
#pragma once

#include <QFuture>
#include <QObject>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace understudy::daemon {

struct ProcessSpec {
    // Run as `/bin/sh -c command`. Never logged: it may carry credentials.
    std::string command;
    // What the logs call it ("probe erp", "hook notify").
    std::string label = "child process";
    std::chrono::milliseconds timeout{10000};
    // Between SIGTERM and SIGKILL to the process group after the timeout.
    std::chrono::milliseconds kill_grace{2000};
    // Added to (or replacing in) the service's own environment. Values must not contain NUL.
    std::vector<std::pair<std::string, std::string>> environment;
    // Output kept; beyond it the head and the tail are kept around a marker, the rest counted
    // and dropped.
    std::size_t max_output_bytes = 4096;
};

struct ProcessResult {
    // False when the child could not be started at all (see `error`).
    bool started = false;
    // The process id of the child (its process group id too); 0 when not started.
    std::int64_t pid = 0;
    // Set when the child exited by itself (exit status) ...
    std::optional<int> exit_code;
    // ... or when a signal ended it.
    std::optional<int> signal;
    // The timeout passed and the group was signalled.
    bool timed_out = false;
    // It survived SIGKILL for a further grace period (uninterruptible sleep): given up on, it is
    // reaped whenever it exits.
    bool abandoned = false;
    // stdout and stderr, interleaved, bounded to max_output_bytes.
    std::string output;
    // Everything the child wrote, kept or not.
    std::uint64_t output_bytes = 0;
    bool output_truncated = false;
    std::chrono::milliseconds duration{0};
    // Why it could not be started.
    std::string error;

    // Exited by itself with status 0.
    bool succeeded() const { return started && !timed_out && exit_code == 0; }
};

// One human sentence: "exited with status 3", "timed out after 10 s and was killed (signal 15)".
std::string describe(const ProcessResult& result);

// Kept output of a stream: the first bytes and the last bytes of everything appended, never
// more than `max_bytes` in all, cut at UTF-8 character boundaries, with a marker saying how
// much was dropped between them.
class BoundedOutput {
public:
    explicit BoundedOutput(std::size_t max_bytes);
    void append(const char* data, std::size_t size);
    std::uint64_t total() const { return total_; }
    bool truncated() const { return total_ > max_; }
    std::string text() const;

private:
    std::size_t max_;
    std::string head_;
    // The last max_ bytes of the stream, as a ring starting at ring_start_ once full.
    std::string ring_;
    std::size_t ring_start_ = 0;
    std::uint64_t total_ = 0;
};

class ProcessRunner {
public:
    using RunId = std::uint64_t;
    using Callback = std::function<void(ProcessResult)>;

    // Starts the worker thread.
    ProcessRunner();
    // Kills every child still running (SIGKILL to its group) and joins the worker; no callback
    // runs after it returns.
    ~ProcessRunner();
    ProcessRunner(const ProcessRunner&) = delete;
    ProcessRunner& operator=(const ProcessRunner&) = delete;

    // Starts at once and returns; `done` runs on the worker thread, once, unless cancelled.
    // Callbacks must not block (they hold up every other child's completion).
    RunId start(ProcessSpec spec, Callback done);
    // The same, delivered on `context`'s thread through its event loop; dropped if `context`
    // is gone by then. Cancel the runs of an object in its destructor.
    RunId start(ProcessSpec spec, QObject* context, Callback done);
    // The same as a future (finished on the worker thread).
    QFuture<ProcessResult> run(ProcessSpec spec);

    // Kills the run's process group (SIGKILL) and guarantees its callback does not run after
    // this returns (if the callback is running on another thread, waits for it). Unknown or
    // finished runs are ignored.
    void cancel(RunId id);

    // Runs whose results have not been delivered yet.
    std::size_t pending() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace understudy::daemon

#include "appliance/daemon/process_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QLoggingCategory>
#include <QMetaObject>
#include <QPromise>
#include <algorithm>
#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/process/v2.hpp>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace understudy::daemon {
namespace {

Q_LOGGING_CATEGORY(lcProcess, "understudy.process")

namespace asio = boost::asio;
namespace bp = boost::process::v2;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// Variables of the service that must never reach a child: tokens.
constexpr std::array kSecretVariables = {std::string_view("UNDERSTUDY_ADMIN_TOKEN"),
                                         std::string_view("UNDERSTUDY_TOKEN")};

// After exit, what a child left in the pipe is read without waiting, up to this much.
constexpr std::size_t kMaxDrainBytes = std::size_t{1} << 20;

std::string signalName(int signal) {
    const char* abbrev = ::sigabbrev_np(signal);
    return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

std::string seconds(std::chrono::milliseconds duration) {
    const auto tenths = (duration.count() + 50) / 100;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

// Closes every descriptor from 3 up except those the launcher keeps (its exec-error pipe).
// Boost.Process 1.81's own close_all compares each whitelist entry with itself and so leaves
// every descriptor below the last kept one open; this runs first and does it right. Runs in the
// forked child: no allocation.
void closeDescriptorsExcept(const std::vector<int>& keep) {
    unsigned from = 3;
    for (;;) {
        int next = INT_MAX;
        for (const int fd : keep) {
            if (fd >= 0 && static_cast<unsigned>(fd) >= from && fd < next) {
                next = fd;
            }
        }
        if (next == INT_MAX) {
            ::close_range(from, ~0U, 0);
            return;
        }
        if (static_cast<unsigned>(next) > from) {
            ::close_range(from, static_cast<unsigned>(next) - 1, 0);
        }
        from = static_cast<unsigned>(next) + 1;
    }
}

// The Boost.Process initializer for our children: the environment, its own process group,
// default signal state, no inherited descriptors.
struct ChildSetup {
    const char* const* environment;

    error_code on_setup(bp::posix::default_launcher& launcher, const bp::filesystem::path&,
                        const char* const*) const {
        launcher.env = environment;
        return {};
    }

    error_code on_exec_setup(bp::posix::default_launcher& launcher, const bp::filesystem::path&,
                             const char* const*) const {
        // Its own group, so that a timeout reaches everything it started.
        if (::setpgid(0, 0) != 0) {
            return {errno, boost::system::system_category()};
        }
        // Ignored dispositions and the signal mask survive exec; the service's (SIGPIPE
        // ignored, signals blocked on worker threads) must not change how a script behaves.
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        struct sigaction defaults {};
        defaults.sa_handler = SIG_DFL;
        ::sigemptyset(&defaults.sa_mask);
        for (int signal = 1; signal < NSIG; ++signal) {
            if (signal != SIGKILL && signal != SIGSTOP) {
                ::sigaction(signal, &defaults, nullptr);
            }
        }
        closeDescriptorsExcept(launcher.fd_whitelist);
        return {};
    }
};

// Trims `text` so that it does not end inside a UTF-8 sequence.
std::size_t utf8HeadLength(const std::string& text, std::size_t length) {
    if (length >= text.size()) {
        return text.size();
    }
    std::size_t end = length;
    // Back over continuation bytes to the start of the character that the cut splits.
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
        --end;
    }
    return end;
}

}  // namespace

BoundedOutput::BoundedOutput(std::size_t max_bytes) : max_(max_bytes) {
    head_.reserve(max_);
}

void BoundedOutput::append(const char* data, std::size_t size) {
    total_ += size;
    const std::size_t to_head = std::min(size, max_ - head_.size());
    head_.append(data, to_head);
    if (max_ == 0) {
        return;
    }
    // The ring sees every byte; only the last max_ of a large chunk can survive in it.
    const std::size_t skip = size > max_ ? size - max_ : 0;
    for (std::size_t i = skip; i < size; ++i) {
        if (ring_.size() < max_) {
            ring_.push_back(data[i]);
        } else {
            ring_[ring_start_] = data[i];
            ring_start_ = (ring_start_ + 1) % max_;
        }
    }
}

std::string BoundedOutput::text() const {
    if (!truncated()) {
        return head_;
    }
    std::string tail = ring_.substr(ring_start_) + ring_.substr(0, ring_start_);
    // Room for the marker with the largest count, then half of the rest each side.
    constexpr std::size_t kMarkerRoom = 48;
    if (max_ <= kMarkerRoom * 2) {
        return head_.substr(0, utf8HeadLength(head_, max_));
    }
    const std::size_t half = (max_ - kMarkerRoom) / 2;
    const std::size_t head_length = utf8HeadLength(head_, half);
    std::size_t tail_start = tail.size() - half;
    while (tail_start < tail.size() &&
           (static_cast<unsigned char>(tail[tail_start]) & 0xC0U) == 0x80U) {
        ++tail_start;
    }
    const std::uint64_t dropped = total_ - head_length - (tail.size() - tail_start);
    return head_.substr(0, head_length) + "\n[... " + std::to_string(dropped) +
           " bytes dropped ...]\n" + tail.substr(tail_start);
}

std::string describe(const ProcessResult& result) {
    if (!result.started) {
        return "could not be started: " + result.error;
    }
    if (result.abandoned) {
        return "timed out after " + seconds(result.duration) +
               " and did not exit even after SIGKILL; given up on";
    }
    if (result.timed_out) {
        return "timed out after " + seconds(result.duration) + " and was killed" +
               (result.signal ? " (" + signalName(*result.signal) + ")" : std::string());
    }
    if (result.signal) {
        return "was killed by " + signalName(*result.signal);
    }
    if (result.exit_code) {
        return "exited with status " + std::to_string(*result.exit_code);
    }
    return "ended without an exit status: " + result.error;
}

struct ProcessRunner::Impl {
    struct Run {
        Run(asio::io_context& context, RunId run_id, ProcessSpec run_spec)
            : id(run_id),
              spec(std::move(run_spec)),
              pipe(context),
              timer(context),
              output(spec.max_output_bytes) {}

        RunId id;
        ProcessSpec spec;
        asio::readable_pipe pipe;
        asio::steady_timer timer;
        std::optional<bp::basic_process<asio::io_context::executor_type>> process;
        BoundedOutput output;
        std::array<char, 8192> buffer{};
        Clock::time_point started_at = Clock::now();
        int pid = 0;
        int status = 0;
        std::string wait_error;
        bool reading = false;
        bool exited = false;
        bool timed_out = false;
        bool abandoned = false;
        bool delivered = false;
    };
    using RunPtr = std::shared_ptr<Run>;

    asio::io_context context;
    asio::executor_work_guard<asio::io_context::executor_type> work{context.get_executor()};
    // Worker thread only.
    std::unordered_map<RunId, RunPtr> runs;
    // Guards callbacks and next_id; held while a callback runs, so cancel() can promise that
    // none runs after it returns. Recursive: a callback may start or cancel runs.
    mutable std::recursive_mutex mutex;
    std::unordered_map<RunId, Callback> callbacks;
    RunId next_id = 1;
    std::thread worker;

    void launch(const RunPtr& run) {
        {
            std::lock_guard lock(mutex);
            if (callbacks.count(run->id) == 0) {
                return;  // cancelled before it started
            }
        }
        std::array<int, 2> fds{};
        if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
            failToStart(run, std::string("no pipe for its output: ") + std::strerror(errno));
            return;
        }
        error_code ec;
        run->pipe.assign(fds[0], ec);

        std::vector<std::string> variables;
        for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
            const std::string_view variable(*entry);
            const std::string_view key = variable.substr(0, variable.find('='));
            bool replaced = std::find(kSecretVariables.begin(), kSecretVariables.end(), key) !=
                            kSecretVariables.end();
            for (const auto& [name, value] : run->spec.environment) {
                replaced = replaced || key == name;
            }
            if (!replaced) {
                variables.emplace_back(variable);
            }
        }
        for (const auto& [name, value] : run->spec.environment) {
            variables.push_back(name + "=" + value);
        }
        std::vector<const char*> pointers;
        pointers.reserve(variables.size() + 1);
        for (const auto& variable : variables) {
            pointers.push_back(variable.c_str());
        }
        pointers.push_back(nullptr);

        {
            bp::process_stdio stdio{nullptr, fds[1], fds[1]};
            bp::posix::default_launcher launcher;
            run->started_at = Clock::now();
            auto process = launcher(context, ec, bp::filesystem::path("/bin/sh"),
                                    std::vector<std::string>{"-c", run->spec.command}, stdio,
                                    ChildSetup{pointers.data()});
            ::close(fds[1]);
            if (ec) {
                failToStart(run, ec.message());
                return;
            }
            run->pid = process.id();
            run->process.emplace(std::move(process));
        }
        runs.emplace(run->id, run);
        qCDebug(lcProcess).noquote() << "started" << run->spec.label.c_str() << "as" << run->pid;

        readMore(run);
        run->process->async_wait([this, run](error_code wait_ec, int) { onExit(run, wait_ec); });
        run->timer.expires_after(run->spec.timeout);
        run->timer.async_wait([this, run](error_code timer_ec) {
            if (!timer_ec && !run->exited) {
                onTimeout(run);
            }
        });
    }

    void failToStart(const RunPtr& run, std::string error) {
        qCWarning(lcProcess).noquote()
            << "could not start" << run->spec.label.c_str() << ":" << error.c_str();
        run->delivered = true;
        ProcessResult result;
        result.error = std::move(error);
        deliver(run->id, std::move(result));
    }

    void readMore(const RunPtr& run) {
        run->reading = true;
        run->pipe.async_read_some(asio::buffer(run->buffer),
                                  [this, run](error_code ec, std::size_t size) {
                                      run->reading = false;
                                      run->output.append(run->buffer.data(), size);
                                      if (run->exited) {
                                          drain(*run);
                                          finish(run);
                                      } else if (!ec) {
                                          readMore(run);
                                      }
                                      // Else end of output: the exit ends the run.
                                  });
    }

    // Reads what the child left in the pipe without waiting for a writer that may never close
    // it (a background process it started).
    static void drain(Run& run) {
        if (!run.pipe.is_open()) {
            return;
        }
        // Plain read(2): asio's synchronous read would wait for data on an empty pipe.
        const int fd = run.pipe.native_handle();
        const int flags = ::fcntl(fd, F_GETFL);
        ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        std::size_t drained = 0;
        while (drained < kMaxDrainBytes) {
            const ssize_t size = ::read(fd, run.buffer.data(), run.buffer.size());
            if (size < 0 && errno == EINTR) {
                continue;
            }
            if (size <= 0) {
                break;
            }
            run.output.append(run.buffer.data(), static_cast<std::size_t>(size));
            drained += static_cast<std::size_t>(size);
        }
    }

    void onTimeout(const RunPtr& run) {
        run->timed_out = true;
        qCWarning(lcProcess).noquote()
            << run->spec.label.c_str() << "timed out after" << run->spec.timeout.count()
            << "ms; sending SIGTERM to its process group" << run->pid;
        ::kill(-run->pid, SIGTERM);
        run->timer.expires_after(run->spec.kill_grace);
        run->timer.async_wait([this, run](error_code ec) {
            if (ec || run->exited) {
                return;
            }
            qCWarning(lcProcess).noquote() << run->spec.label.c_str() << "(process group"
                                           << run->pid << ") survived SIGTERM; sending SIGKILL";
            ::kill(-run->pid, SIGKILL);
            run->timer.expires_after(run->spec.kill_grace);
            run->timer.async_wait([this, run](error_code last_ec) {
                if (last_ec || run->exited) {
                    return;
                }
                qCCritical(lcProcess).noquote()
                    << run->spec.label.c_str() << "(process" << run->pid
                    << ") did not exit after SIGKILL; giving up on it, it is reaped when it exits";
                run->abandoned = true;
                finish(run);
            });
        });
    }

    void onExit(const RunPtr& run, error_code ec) {
        run->exited = true;
        if (ec) {
            run->wait_error = "could not wait for it: " + ec.message();
        } else {
            run->status = run->process->native_exit_code();
        }
        if (run->timed_out) {
            // Whatever it started that ignored SIGTERM goes now, not after the grace period.
            ::kill(-run->pid, SIGKILL);
        }
        run->timer.cancel();
        if (run->reading) {
            run->pipe.cancel();  // the read handler drains and finishes
        } else {
            drain(*run);
            finish(run);
        }
    }

    void finish(const RunPtr& run) {
        if (run->delivered) {
            if (run->exited) {
                runs.erase(run->id);
            }
            return;
        }
        run->delivered = true;
        ProcessResult result;
        result.started = true;
        result.pid = run->pid;
        result.timed_out = run->timed_out;
        result.abandoned = run->abandoned;
        result.duration =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - run->started_at);
        result.output = run->output.text();
        result.output_bytes = run->output.total();
        result.output_truncated = run->output.truncated();
        result.error = run->wait_error;
        if (run->exited && run->wait_error.empty()) {
            if (WIFEXITED(run->status)) {
                result.exit_code = WEXITSTATUS(run->status);
            } else if (WIFSIGNALED(run->status)) {
                result.signal = WTERMSIG(run->status);
            }
        }
        error_code ignored;
        run->pipe.close(ignored);
        if (run->exited) {
            runs.erase(run->id);
        }
        deliver(run->id, std::move(result));
    }

    void deliver(RunId id, ProcessResult result) {
        std::lock_guard lock(mutex);
        auto found = callbacks.find(id);
        if (found == callbacks.end()) {
            return;  // cancelled
        }
        Callback callback = std::move(found->second);
        callbacks.erase(found);
        callback(std::move(result));
    }

    void killAll() {
        for (auto& [id, run] : runs) {
            if (!run->exited) {
                ::kill(-run->pid, SIGKILL);
            }
        }
    }
};

ProcessRunner::ProcessRunner() : impl_(std::make_unique<Impl>()) {
    impl_->worker = std::thread([impl = impl_.get()] { impl->context.run(); });
}

ProcessRunner::~ProcessRunner() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->callbacks.clear();
    }
    asio::post(impl_->context, [impl = impl_.get()] {
        impl->killAll();
        impl->context.stop();
    });
    impl_->worker.join();
    // Dropping the runs destroys their processes, which reaps the children just killed.
    impl_->runs.clear();
}

ProcessRunner::RunId ProcessRunner::start(ProcessSpec spec, Callback done) {
    RunId id = 0;
    {
        std::lock_guard lock(impl_->mutex);
        id = impl_->next_id++;
        impl_->callbacks.emplace(id, std::move(done));
    }
    auto run = std::make_shared<Impl::Run>(impl_->context, id, std::move(spec));
    asio::post(impl_->context, [impl = impl_.get(), run] { impl->launch(run); });
    return id;
}

ProcessRunner::RunId ProcessRunner::start(ProcessSpec spec, QObject* context, Callback done) {
    auto shared_done = std::make_shared<Callback>(std::move(done));
    return start(std::move(spec), [context, shared_done](ProcessResult result) {
        auto shared_result = std::make_shared<ProcessResult>(std::move(result));
        QMetaObject::invokeMethod(
            context, [shared_done, shared_result] { (*shared_done)(std::move(*shared_result)); },
            Qt::QueuedConnection);
    });
}

QFuture<ProcessResult> ProcessRunner::run(ProcessSpec spec) {
    auto promise = std::make_shared<QPromise<ProcessResult>>();
    QFuture<ProcessResult> future = promise->future();
    promise->start();
    start(std::move(spec), [promise](ProcessResult result) {
        promise->addResult(std::move(result));
        promise->finish();
    });
    return future;
}

void ProcessRunner::cancel(RunId id) {
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->callbacks.erase(id) == 0) {
            return;
        }
    }
    asio::post(impl_->context, [impl = impl_.get(), id] {
        auto found = impl->runs.find(id);
        if (found != impl->runs.end() && !found->second->exited) {
            ::kill(-found->second->pid, SIGKILL);
        }
    });
}

std::size_t ProcessRunner::pending() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->callbacks.size();
}

}  // namespace understudy::daemon

// One thread that runs tasks in the order they were posted: the appliance core runs everything
// that touches one appliance's hypervisor on that appliance's worker, so the order of the queue
// is the appliance's lock (two takeovers on one appliance can never both take the last
// headroom), and no caller's thread (the API's event loop) ever waits for libvirt.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <QFuture>
#include <QPromise>

#include "base/result.h"

namespace understudy::core {

class ApplianceWorker {
public:
    using Task = std::function<void()>;

    explicit ApplianceWorker(std::string name);
    // Runs what is already queued (delayed tasks excepted), then joins the thread.
    ~ApplianceWorker();
    ApplianceWorker(const ApplianceWorker&) = delete;
    ApplianceWorker& operator=(const ApplianceWorker&) = delete;

    const std::string& name() const { return name_; }
    // False once the worker is stopping: the task will not run.
    bool post(Task task);
    bool postAfter(std::chrono::milliseconds delay, Task task);
    bool onWorkerThread() const { return std::this_thread::get_id() == thread_.get_id(); }
    // Stops taking tasks, runs those queued, joins. Idempotent.
    void stop();

    // Runs `work` on the worker and answers through a future. `work` returns a Result<T>; a
    // worker that is stopping answers service_stopping without running it.
    template <typename F>
    auto submit(F work) -> QFuture<std::invoke_result_t<F>> {
        using R = std::invoke_result_t<F>;
        auto promise = std::make_shared<QPromise<R>>();
        QFuture<R> future = promise->future();
        promise->start();
        const bool queued = post([promise, work = std::move(work)]() mutable {
            promise->addResult(work());
            promise->finish();
        });
        if (!queued) {
            promise->addResult(R(Error{"service_stopping",
                                       "the appliance core is shutting down; retry once the "
                                       "service is back",
                                       name_}));
            promise->finish();
        }
        return future;
    }

private:
    struct Entry {
        std::chrono::steady_clock::time_point due;
        std::uint64_t sequence = 0;
        Task task;
    };
    void run();

    const std::string name_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Entry> queue_;  // a heap ordered by (due, sequence)
    std::uint64_t sequence_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace understudy::core

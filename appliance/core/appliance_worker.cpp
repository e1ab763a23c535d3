#include "appliance/core/appliance_worker.h"

#include <algorithm>

namespace understudy::core {

namespace {

// std::push_heap keeps the largest first: "later" compares greater so the earliest is on top.
bool later(const auto& a, const auto& b) {
    return a.due != b.due ? a.due > b.due : a.sequence > b.sequence;
}

}  // namespace

ApplianceWorker::ApplianceWorker(std::string name) : name_(std::move(name)) {
    thread_ = std::thread([this] { run(); });
}

ApplianceWorker::~ApplianceWorker() {
    stop();
}

bool ApplianceWorker::post(Task task) {
    return postAfter(std::chrono::milliseconds(0), std::move(task));
}

bool ApplianceWorker::postAfter(std::chrono::milliseconds delay, Task task) {
    {
        const std::lock_guard lock(mutex_);
        if (stopping_) {
            return false;
        }
        queue_.push_back(
            Entry{std::chrono::steady_clock::now() + delay, sequence_++, std::move(task)});
        std::push_heap(queue_.begin(), queue_.end(),
                       [](const Entry& a, const Entry& b) { return later(a, b); });
    }
    wake_.notify_one();
    return true;
}

void ApplianceWorker::stop() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable() && !onWorkerThread()) {
        thread_.join();
    }
}

void ApplianceWorker::run() {
    const auto order = [](const Entry& a, const Entry& b) { return later(a, b); };
    std::unique_lock lock(mutex_);
    for (;;) {
        if (queue_.empty()) {
            if (stopping_) {
                return;
            }
            wake_.wait(lock);
            continue;
        }
        const auto now = std::chrono::steady_clock::now();
        if (queue_.front().due > now) {
            if (stopping_) {
                // Delayed work (a connection retry) has no one waiting for it.
                queue_.clear();
                return;
            }
            wake_.wait_until(lock, queue_.front().due);
            continue;
        }
        std::pop_heap(queue_.begin(), queue_.end(), order);
        Task task = std::move(queue_.back().task);
        queue_.pop_back();
        lock.unlock();
        task();
        lock.lock();
    }
}

}  // namespace understudy::core

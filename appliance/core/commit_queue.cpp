#include "appliance/core/commit_queue.h"

#include <iterator>
#include <optional>

#include "db/event_log.h"

namespace understudy::core {

CommitQueue::CommitQueue(db::Database& writer, std::mutex& database_mutex, EventsListener listener)
    : writer_(writer), database_mutex_(database_mutex), listener_(std::move(listener)) {
    thread_ = std::thread([this] { run(); });
}

CommitQueue::~CommitQueue() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void CommitQueue::submit(Change change, Completion completion) {
    {
        const std::lock_guard lock(mutex_);
        queue_.push_back(Job{std::move(change), std::move(completion)});
    }
    wake_.notify_one();
}

void CommitQueue::run() {
    std::vector<Job> batch;
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) {
            return;
        }
        batch.swap(queue_);
        lock.unlock();
        commitBatch(batch);
        batch.clear();
        lock.lock();
    }
}

std::optional<std::vector<Result<db::Id>>> CommitQueue::commitTogether(std::vector<Job>& batch) {
    auto transaction = writer_.transaction();
    if (!transaction) {
        return std::vector<Result<db::Id>>(batch.size(), Result<db::Id>(transaction.error()));
    }
    std::vector<db::DBEvent> events;
    std::vector<std::size_t> ends;  // events of job i end at ends[i]
    ends.reserve(batch.size());
    for (Job& job : batch) {
        std::vector<db::DBEvent> own;
        if (Status changed = job.change(writer_, own); !changed) {
            return std::nullopt;
        }
        events.insert(events.end(), std::make_move_iterator(own.begin()),
                      std::make_move_iterator(own.end()));
        ends.push_back(events.size());
    }
    auto ids = db::EventLog(writer_).append(events);
    if (!ids) {
        return std::nullopt;
    }
    if (Status committed = transaction->commit(); !committed) {
        return std::vector<Result<db::Id>>(batch.size(), Result<db::Id>(committed.error()));
    }
    std::vector<Result<db::Id>> outcomes;
    outcomes.reserve(batch.size());
    std::size_t begin = 0;
    for (std::size_t end : ends) {
        outcomes.emplace_back(end > begin ? (*ids)[end - 1] : db::Id{0});
        begin = end;
    }
    return outcomes;
}

std::vector<Result<db::Id>> CommitQueue::commitOneByOne(std::vector<Job>& batch) {
    auto transaction = writer_.transaction();
    if (!transaction) {
        return std::vector<Result<db::Id>>(batch.size(), Result<db::Id>(transaction.error()));
    }
    std::vector<Result<db::Id>> outcomes;
    outcomes.reserve(batch.size());
    for (Job& job : batch) {
        outcomes.push_back(commitInSavepoint(job));
    }
    if (Status committed = transaction->commit(); !committed) {
        for (Result<db::Id>& outcome : outcomes) {
            if (outcome) {
                outcome = committed.error();
            }
        }
    }
    return outcomes;
}

Result<db::Id> CommitQueue::commitInSavepoint(Job& job) {
    auto savepoint = writer_.transaction();
    if (!savepoint) {
        return savepoint.error();
    }
    std::vector<db::DBEvent> events;
    if (Status changed = job.change(writer_, events); !changed) {
        return changed.error();
    }
    db::Id last = 0;
    if (!events.empty()) {
        auto ids = db::EventLog(writer_).append(events);
        if (!ids) {
            return ids.error();
        }
        last = ids->back();
    }
    if (Status released = savepoint->commit(); !released) {
        return released.error();
    }
    return last;
}

void CommitQueue::commitBatch(std::vector<Job>& batch) {
    std::vector<Result<db::Id>> outcomes;
    {
        const std::lock_guard lock(database_mutex_);
        // All changes in one go; when one fails, everything is rolled back and done again with
        // a savepoint per change, so that only the failing one is refused.
        auto together = commitTogether(batch);
        outcomes = together ? std::move(*together) : commitOneByOne(batch);
    }
    db::Id newest = 0;
    for (const Result<db::Id>& outcome : outcomes) {
        if (outcome && *outcome > newest) {
            newest = *outcome;
        }
    }
    if (newest != 0 && listener_) {
        listener_(newest);
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        batch[i].completion(std::move(outcomes[i]));
    }
}

}  // namespace understudy::core

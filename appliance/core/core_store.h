// The core's way into the database: one writer, whose transactions a commit queue owns (group
// commit: the changes of all workers queued at one moment share one transaction and one fsync),
// and one reader for the read-only views. Every change goes through commit() or commitAsync():
// the change and the events recording it in one transaction, durable before its caller hears
// of it, and announced to the listener.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "appliance/core/commit_queue.h"
#include "base/result.h"
#include "db/database.h"
#include "db/records.h"

namespace understudy::core {

class CoreStore {
public:
    using Change = CommitQueue::Change;
    using Completion = CommitQueue::Completion;
    // Told the newest event id after every commit that appended events.
    using EventsListener = CommitQueue::EventsListener;

    static Result<std::unique_ptr<CoreStore>> open(const std::string& path,
                                                   EventsListener listener);
    ~CoreStore();
    CoreStore(const CoreStore&) = delete;
    CoreStore& operator=(const CoreStore&) = delete;

    const std::string& path() const { return path_; }

    // Runs `change` and appends its events in one transaction; returns once it is on disk.
    // Never call it on the commit thread (from a completion).
    Status commit(Change change);
    // Queues `change`; `completion` runs on the commit thread once it is on disk or has failed.
    void commitAsync(Change change, Completion completion);
    Status commitEvents(std::vector<db::DBEvent> events);
    // Appends events (stamped now when their time is 0) in one transaction; the last one's id.
    Result<db::Id> appendEvents(std::vector<db::DBEvent> events);

    // Reads through the writer's connection, between commits: what the last commit left.
    template <typename F>
    auto read(F work) -> decltype(work(std::declval<db::Database&>())) {
        const std::lock_guard lock(writer_mutex_);
        return work(*writer_);
    }

    // Reads one consistent snapshot through the reader, for the views.
    template <typename F>
    auto readView(F work) const -> decltype(work(std::declval<db::Database&>())) {
        const std::lock_guard lock(reader_mutex_);
        auto snapshot = reader_->snapshot();
        if (!snapshot) {
            return snapshot.error();
        }
        return work(*reader_);
    }

private:
    // commit(), answering the id of the last event appended (0 when none).
    Result<db::Id> commitChange(Change change);

    explicit CoreStore(std::string path) noexcept : path_(std::move(path)) {}

    std::string path_;
    std::mutex writer_mutex_;  // never held across a libvirt call
    std::unique_ptr<db::Database> writer_;
    std::unique_ptr<CommitQueue> queue_;  // after the writer: stops before it closes
    mutable std::mutex reader_mutex_;
    std::unique_ptr<db::Database> reader_;
};

}  // namespace understudy::core

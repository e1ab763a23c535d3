// The core's way into the database: one writer shared by the workers, and one reader for the
// read-only views. Every change goes through commit(): the change and the events recording it in
// one transaction, durable before commit() returns, then announced to the listener.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "db/database.h"
#include "db/records.h"
#include "sizing/result.h"

namespace understudy::appliance {

class CoreStore {
public:
    // Makes a change inside the commit's transaction and collects the events that record it.
    using Change = std::function<Status(db::Database&, std::vector<db::DBEvent>&)>;
    // Told the newest event id after every commit that appended events.
    using EventsListener = std::function<void(db::Id)>;

    static Result<std::unique_ptr<CoreStore>> open(const std::string& path,
                                                   EventsListener listener);
    ~CoreStore();
    CoreStore(const CoreStore&) = delete;
    CoreStore& operator=(const CoreStore&) = delete;

    const std::string& path() const { return path_; }

    // Runs `change` and appends its events in one transaction; returns once it is on disk.
    Status commit(const Change& change);
    Status commitEvents(std::vector<db::DBEvent> events);
    // Appends events (stamped now when their time is 0) in one transaction; the last one's id.
    Result<db::Id> appendEvents(std::vector<db::DBEvent> events);

    // Reads through the writer's connection: what the last commit left.
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
    Result<db::Id> commitChange(const Change& change);

    CoreStore(std::string path, EventsListener listener) noexcept
        : path_(std::move(path)), listener_(std::move(listener)) {}

    std::string path_;
    EventsListener listener_;
    std::mutex writer_mutex_;  // never held across a libvirt call
    std::unique_ptr<db::Database> writer_;
    mutable std::mutex reader_mutex_;
    std::unique_ptr<db::Database> reader_;
};

}  // namespace understudy::appliance

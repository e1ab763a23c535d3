#include "appliance/core/core_store.h"

#include <future>

#include "db/event_log.h"

namespace understudy::core {

Result<std::unique_ptr<CoreStore>> CoreStore::open(const std::string& path,
                                                   EventsListener listener) {
    std::unique_ptr<CoreStore> store(new CoreStore(path));
    auto writer = db::Database::openWriter(path);
    if (!writer) {
        return writer.error();
    }
    store->writer_ = std::move(*writer);
    store->queue_ =
        std::make_unique<CommitQueue>(*store->writer_, store->writer_mutex_, std::move(listener));
    auto reader = db::Database::openReader(path);
    if (!reader) {
        return reader.error();
    }
    store->reader_ = std::move(*reader);
    return store;
}

CoreStore::~CoreStore() = default;

Result<db::Id> CoreStore::commitChange(Change change) {
    std::promise<Result<db::Id>> done;
    std::future<Result<db::Id>> outcome = done.get_future();
    commitAsync(std::move(change),
                [&done](Result<db::Id> committed) { done.set_value(std::move(committed)); });
    return outcome.get();
}

void CoreStore::commitAsync(Change change, Completion completion) {
    queue_->submit(std::move(change), std::move(completion));
}

Status CoreStore::commit(Change change) {
    auto committed = commitChange(std::move(change));
    if (!committed) {
        return committed.error();
    }
    return Done{};
}

Status CoreStore::commitEvents(std::vector<db::DBEvent> events) {
    // Copied, not moved: a batch with a failing change runs its changes a second time.
    return commit([events = std::move(events)](db::Database&, std::vector<db::DBEvent>& out) {
        out.insert(out.end(), events.begin(), events.end());
        return Status(Done{});
    });
}

Result<db::Id> CoreStore::appendEvents(std::vector<db::DBEvent> events) {
    if (events.empty()) {
        auto latest =
            read([](db::Database& database) { return db::EventLog(database).latestId(); });
        if (!latest) {
            return latest.error();
        }
        return latest->value_or(0);
    }
    for (db::DBEvent& event : events) {
        if (event.time == 0) {
            event.time = db::nowMs();
        }
    }
    return commitChange([events = std::move(events)](db::Database&, std::vector<db::DBEvent>& out) {
        out.insert(out.end(), events.begin(), events.end());
        return Status(Done{});
    });
}

}  // namespace understudy::core

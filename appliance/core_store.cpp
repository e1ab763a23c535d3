#include "appliance/core_store.h"

#include "db/event_log.h"

namespace understudy::appliance {

Result<std::unique_ptr<CoreStore>> CoreStore::open(const std::string& path,
                                                   EventsListener listener) {
    std::unique_ptr<CoreStore> store(new CoreStore(path, std::move(listener)));
    auto writer = db::Database::openWriter(path);
    if (!writer) {
        return writer.error();
    }
    store->writer_ = std::move(*writer);
    auto reader = db::Database::openReader(path);
    if (!reader) {
        return reader.error();
    }
    store->reader_ = std::move(*reader);
    return store;
}

CoreStore::~CoreStore() = default;

Result<db::Id> CoreStore::commitChange(const Change& change) {
    db::Id last = 0;
    {
        const std::lock_guard lock(writer_mutex_);
        auto transaction = writer_->transaction();
        if (!transaction) {
            return transaction.error();
        }
        std::vector<db::DBEvent> events;
        Status changed = change(*writer_, events);
        if (!changed) {
            return changed.error();
        }
        if (!events.empty()) {
            auto ids = db::EventLog(*writer_).append(events);
            if (!ids) {
                return ids.error();
            }
            last = ids->back();
        }
        Status committed = transaction->commit();
        if (!committed) {
            return committed.error();
        }
    }
    if (last != 0 && listener_) {
        listener_(last);
    }
    return last;
}

Status CoreStore::commit(const Change& change) {
    auto committed = commitChange(change);
    if (!committed) {
        return committed.error();
    }
    return Done{};
}

Status CoreStore::commitEvents(std::vector<db::DBEvent> events) {
    return commit([&](db::Database&, std::vector<db::DBEvent>& out) -> Status {
        out = std::move(events);
        return Done{};
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
    return commitChange([&](db::Database&, std::vector<db::DBEvent>& out) -> Status {
        out = std::move(events);
        return Done{};
    });
}

}  // namespace understudy::appliance

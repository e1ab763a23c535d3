// The append-only event log of docs/http-api.md ("Events and long-polling"): consecutive ids,
// paging by id, filters, retention that removes only the oldest events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/database.h"
#include "db/records.h"

namespace understudy::db {

struct EventFilter {
    std::optional<std::string> cluster;
    std::optional<std::string> node;
    // Matches every kind that starts with it: "takeover" gives all three takeover kinds.
    std::optional<std::string> kindPrefix;
    // Time range, from inclusive, until exclusive.
    std::optional<TimeMs> from;
    std::optional<TimeMs> until;
};

struct EventQuery {
    // Events with id > since, oldest first.
    Id since = 0;
    // Clamped to [1, kMaxEventPage]; the default of docs/http-api.md is kDefaultEventPage.
    int limit = 100;
    EventFilter filter;
};

inline constexpr int kDefaultEventPage = 100;
inline constexpr int kMaxEventPage = 1000;

struct EventPage {
    std::vector<DBEvent> events;
    // The id of the last event returned, or since when none: the next query's since.
    Id next = 0;
    // since was older than the oldest kept event: events after it were removed by retention.
    bool truncated = false;
};

struct RetentionPolicy {
    // Keep at most this many of the newest events.
    std::optional<std::int64_t> maxEvents;
    // Drop events older than now - maxAge (only the oldest run of them: ids stay consecutive).
    std::optional<std::int64_t> maxAgeMs;
    TimeMs now = 0;
};

class EventLog {
public:
    explicit EventLog(Database& database) : database_(database) {}

    // Appends one event (its id ignored) and returns its id once durable. invalid_field on an
    // unknown kind or details that are not a JSON object.
    Result<Id> append(const DBEvent& event);
    // Appends events in one transaction (group commit): all or none, one disk sync for all.
    // Returns their ids, consecutive, in order.
    Result<std::vector<Id>> append(const std::vector<DBEvent>& events);

    // One page, read from one snapshot (so truncated and the events agree even while
    // retention runs on the writer).
    Result<EventPage> page(const EventQuery& query) const;
    Result<std::int64_t> count(const EventFilter& filter = {}) const;
    // The oldest and newest kept ids; nullopt while the log is empty.
    Result<std::optional<Id>> oldestId() const;
    Result<std::optional<Id>> latestId() const;

    // Deletes the oldest events beyond the policy, in one transaction; returns how many.
    // Failover statistics are kept apart and stay intact.
    Result<std::int64_t> compact(const RetentionPolicy& policy);

private:
    Database& database_;
};

}  // namespace understudy::db

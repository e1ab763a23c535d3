#include "db/event_log.h"

#include <algorithm>
#include <variant>

#include "base/error_codes.h"
#include "db/statement.h"

namespace understudy::db {

namespace {

constexpr std::string_view kColumns =
    "SELECT id, time, kind, cluster, node, details, actor FROM events ";

DBEvent read(const Statement& row) {
    return DBEvent{row.integer(0),      row.integer(1), row.text(2),        row.optionalText(3),
                   row.optionalText(4), row.text(5),    row.optionalText(6)};
}

using Parameter = std::variant<std::int64_t, std::string>;

struct Clause {
    std::string sql;
    std::vector<Parameter> parameters;

    void add(std::string_view condition, Parameter parameter) {
        sql += sql.empty() ? "WHERE " : " AND ";
        sql += condition;
        parameters.push_back(std::move(parameter));
    }

    void bind(Statement& statement) const {
        int index = 1;
        for (const auto& parameter : parameters) {
            std::visit([&](const auto& value) { statement.bind(index, value); }, parameter);
            ++index;
        }
    }
};

Clause whereClause(const EventFilter& filter, std::optional<Id> since) {
    Clause clause;
    if (since) {
        clause.add("id > ?", *since);
    }
    if (filter.cluster) {
        clause.add("cluster = ?", *filter.cluster);
    }
    if (filter.node) {
        clause.add("node = ?", *filter.node);
    }
    if (filter.kindPrefix && !filter.kindPrefix->empty()) {
        // A range on the kind index: every string with the prefix sorts between the prefix
        // and the prefix followed by 0xFF, a byte that never occurs in UTF-8.
        clause.add("kind >= ?", *filter.kindPrefix);
        clause.add("kind < ?", *filter.kindPrefix + "\xff");
    }
    if (filter.from) {
        clause.add("time >= ?", *filter.from);
    }
    if (filter.until) {
        clause.add("time < ?", *filter.until);
    }
    return clause;
}

Status validate(const DBEvent& event, const std::string& where) {
    if (!isEventKind(event.kind)) {
        return Error{
            errc::kInvalidField,
            "unknown event kind '" + event.kind +
                "'; use one of the kinds docs/http-api.md lists under \"Events and long-polling\"",
            where};
    }
    const auto start = event.details.find_first_not_of(" \t\r\n");
    if (start == std::string::npos || event.details[start] != '{') {
        return Error{
            "invalid_field",
            "event details must be a JSON object, got '" + event.details.substr(0, 40) + "'",
            where};
    }
    return Done{};
}

Result<std::optional<Id>> singleId(const Database& database, std::string_view sql) {
    auto id = queryFirst<std::optional<Id>>(
        database.connection(), sql, [](const Statement& row) { return row.optionalInteger(0); });
    if (!id) {
        return id.error();
    }
    return id->value_or(std::nullopt);
}

}  // namespace

Result<Id> EventLog::append(const DBEvent& event) {
    auto ids = append(std::vector<DBEvent>{event});
    if (!ids) {
        return ids.error();
    }
    return ids->front();
}

Result<std::vector<Id>> EventLog::append(const std::vector<DBEvent>& events) {
    for (const auto& event : events) {
        if (auto valid = validate(event, database_.path()); !valid) {
            return valid.error();
        }
    }
    std::vector<Id> ids;
    if (events.empty()) {
        return ids;
    }
    ids.reserve(events.size());
    auto transaction = database_.transaction();
    if (!transaction) {
        return transaction.error();
    }
    auto statement = Statement::prepare(
        database_.connection(),
        "INSERT INTO events (time, kind, cluster, node, details, actor) VALUES (?, ?, ?, ?, ?, ?)");
    if (!statement) {
        return statement.error();
    }
    for (const auto& event : events) {
        statement->reset();
        statement->bind(1, event.time)
            .bind(2, event.kind)
            .bind(3, event.cluster)
            .bind(4, event.node)
            .bind(5, event.details)
            .bind(6, event.actor);
        if (auto done = statement->run(); !done) {
            return done.error();
        }
        ids.push_back(lastInsertId(database_.connection()));
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    return ids;
}

Result<EventPage> EventLog::page(const EventQuery& query) const {
    const Id since = std::max<Id>(query.since, 0);
    const int limit = std::clamp(query.limit, 1, kMaxEventPage);
    EventPage page;
    page.next = since;

    auto snapshot = database_.snapshot();
    if (!snapshot) {
        return snapshot.error();
    }
    auto oldest = oldestId();
    if (!oldest) {
        return oldest.error();
    }
    Id firstKept = 1;
    if (*oldest) {
        firstKept = **oldest;
    } else {
        // Empty log: everything ever appended (the AUTOINCREMENT high-water mark) is gone.
        auto sequence =
            singleId(database_, "SELECT seq FROM sqlite_sequence WHERE name = 'events'");
        if (!sequence) {
            return sequence.error();
        }
        firstKept = sequence->value_or(0) + 1;
    }
    page.truncated = since + 1 < firstKept;

    const Clause clause = whereClause(query.filter, since);
    auto statement = Statement::prepare(
        database_.connection(),
        std::string(kColumns) + clause.sql + " ORDER BY id LIMIT " + std::to_string(limit));
    if (!statement) {
        return statement.error();
    }
    clause.bind(*statement);
    auto events = collect<DBEvent>(*statement, read);
    if (!events) {
        return events.error();
    }
    page.events = std::move(*events);
    if (!page.events.empty()) {
        page.next = page.events.back().id;
    }
    if (auto ended = snapshot->commit(); !ended) {
        return ended.error();
    }
    return page;
}

Result<std::int64_t> EventLog::count(const EventFilter& filter) const {
    const Clause clause = whereClause(filter, std::nullopt);
    auto statement =
        Statement::prepare(database_.connection(), "SELECT count(*) FROM events " + clause.sql);
    if (!statement) {
        return statement.error();
    }
    clause.bind(*statement);
    auto total = first<std::int64_t>(*statement, leadingInteger);
    if (!total) {
        return total.error();
    }
    return total->value_or(0);
}

Result<std::optional<Id>> EventLog::oldestId() const {
    return singleId(database_, "SELECT min(id) FROM events");
}

Result<std::optional<Id>> EventLog::latestId() const {
    return singleId(database_, "SELECT max(id) FROM events");
}

Result<std::int64_t> EventLog::compact(const RetentionPolicy& policy) {
    auto transaction = database_.transaction();
    if (!transaction) {
        return transaction.error();
    }
    std::optional<Id> deleteThrough;
    if (policy.maxEvents) {
        auto id = queryFirst<Id>(database_.connection(),
                                 "SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?",
                                 leadingInteger, std::max<std::int64_t>(*policy.maxEvents, 0));
        if (!id) {
            return id.error();
        }
        deleteThrough = *id;
    }
    if (policy.maxAgeMs) {
        // Only the oldest run of old events goes: scanning from the oldest id up to the first
        // event young enough to keep keeps the ids consecutive even if the clock once jumped.
        auto keep =
            queryFirst<Id>(database_.connection(),
                           "SELECT id FROM events NOT INDEXED WHERE time >= ? ORDER BY id LIMIT 1",
                           leadingInteger, policy.now - *policy.maxAgeMs);
        if (!keep) {
            return keep.error();
        }
        Id through = 0;
        if (*keep) {
            through = **keep - 1;
        } else {
            auto latest = latestId();
            if (!latest) {
                return latest.error();
            }
            through = latest->value_or(0);
        }
        deleteThrough = std::max(deleteThrough.value_or(0), through);
    }
    if (!deleteThrough || *deleteThrough <= 0) {
        return std::int64_t{0};
    }
    auto removed =
        change(database_.connection(), "DELETE FROM events WHERE id <= ?", *deleteThrough);
    if (!removed) {
        return removed;
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    return removed;
}

}  // namespace understudy::db

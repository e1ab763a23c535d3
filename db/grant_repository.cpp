#include "db/grant_repository.h"

#include <string>

#include "db/statement.h"

namespace understudy::db {

Result<Id> GrantRepository::open(const DBGrant& grant) {
    auto transaction = database_.transaction();
    if (!transaction) {
        return transaction.error();
    }
    auto statement =
        Statement::prepare(database_.connection(),
                           "INSERT INTO grants (node_id, memory_mib, vcpus, partial, granted_at) "
                           "VALUES (?, ?, ?, ?, ?)");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, grant.nodeId)
        .bind(2, grant.memoryMib)
        .bind(3, grant.vcpus)
        .bind(4, grant.partial)
        .bind(5, grant.grantedAt);
    if (auto done = statement->run(); !done) {
        Error error = done.error();
        if (error.code == "conflict") {
            error.message = "node " + std::to_string(grant.nodeId) +
                            " already holds an open grant; release it first";
        }
        return error;
    }
    const Id id = lastInsertId(database_.connection());
    if (!grant.preemptedNodeIds.empty()) {
        auto preempted =
            Statement::prepare(database_.connection(),
                               "INSERT INTO grant_preemptions (grant_id, node_id) VALUES (?, ?)");
        if (!preempted) {
            return preempted.error();
        }
        for (const Id node : grant.preemptedNodeIds) {
            preempted->reset();
            preempted->bind(1, id).bind(2, node);
            if (auto done = preempted->run(); !done) {
                return done.error();
            }
        }
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    return id;
}

Result<bool> GrantRepository::release(Id nodeId, TimeMs releasedAt) {
    auto statement = Statement::prepare(
        database_.connection(),
        "UPDATE grants SET released_at = max(?, granted_at) WHERE node_id = ? AND released_at "
        "IS NULL");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, releasedAt).bind(2, nodeId);
    if (auto done = statement->run(); !done) {
        return done.error();
    }
    return changedRows(database_.connection()) > 0;
}

Result<std::int64_t> GrantRepository::pruneReleasedBefore(TimeMs time) {
    auto statement =
        Statement::prepare(database_.connection(),
                           "DELETE FROM grants WHERE released_at IS NOT NULL AND released_at < ?");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, time);
    if (auto done = statement->run(); !done) {
        return done.error();
    }
    return changedRows(database_.connection());
}

Result<std::vector<DBGrant>> GrantRepository::query(std::string_view where, Id parameter,
                                                    int limit) const {
    auto statement = Statement::prepare(
        database_.connection(),
        "SELECT id, node_id, memory_mib, vcpus, partial, granted_at, released_at FROM grants " +
            std::string(where) + " LIMIT ?2");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, parameter).bind(2, limit);
    auto grants = collect<DBGrant>(*statement, [](const Statement& row) {
        DBGrant grant;
        grant.id = row.integer(0);
        grant.nodeId = row.integer(1);
        grant.memoryMib = row.integer(2);
        grant.vcpus = row.integer(3);
        grant.partial = row.integer(4) != 0;
        grant.grantedAt = row.integer(5);
        grant.releasedAt = row.optionalInteger(6);
        return grant;
    });
    if (!grants || grants->empty()) {
        return grants;
    }
    auto preempted =
        Statement::prepare(database_.connection(),
                           "SELECT node_id FROM grant_preemptions WHERE grant_id = ? ORDER BY "
                           "node_id");
    if (!preempted) {
        return preempted.error();
    }
    for (auto& grant : *grants) {
        preempted->reset();
        preempted->bind(1, grant.id);
        auto nodes = collect<Id>(*preempted, [](const Statement& row) { return row.integer(0); });
        if (!nodes) {
            return nodes.error();
        }
        grant.preemptedNodeIds = std::move(*nodes);
    }
    return grants;
}

Result<std::optional<DBGrant>> GrantRepository::openFor(Id nodeId) const {
    auto grants = query("WHERE node_id = ?1 AND released_at IS NULL", nodeId, 1);
    if (!grants) {
        return grants.error();
    }
    return grants->empty() ? std::optional<DBGrant>() : std::optional<DBGrant>(grants->front());
}

Result<std::optional<DBGrant>> GrantRepository::byId(Id id) const {
    auto grants = query("WHERE id = ?1", id, 1);
    if (!grants) {
        return grants.error();
    }
    return grants->empty() ? std::optional<DBGrant>() : std::optional<DBGrant>(grants->front());
}

Result<std::vector<DBGrant>> GrantRepository::listOpen() const {
    // ?1 is unused here; -1 keeps the shared query's shape.
    return query("WHERE released_at IS NULL AND ?1 = ?1 ORDER BY granted_at, id", -1, -1);
}

Result<std::vector<DBGrant>> GrantRepository::history(Id nodeId, int limit) const {
    return query("WHERE node_id = ?1 ORDER BY granted_at DESC, id DESC", nodeId, limit);
}

}  // namespace understudy::db

#include "db/grant_repository.h"

#include <string>

#include "base/error_codes.h"
#include "db/statement.h"

namespace understudy::db {

namespace {

DBGrant read(const Statement& row) {
    DBGrant grant;
    grant.id = row.integer(0);
    grant.nodeId = row.integer(1);
    grant.memoryMib = row.integer(2);
    grant.vcpus = row.integer(3);
    grant.partial = row.integer(4) != 0;
    grant.grantedAt = row.integer(5);
    grant.releasedAt = row.optionalInteger(6);
    return grant;
}

}  // namespace

Result<Id> GrantRepository::open(const DBGrant& grant) {
    auto transaction = database_.transaction();
    if (!transaction) {
        return transaction.error();
    }
    auto id = insertRow(database_.connection(),
                        "INSERT INTO grants (node_id, memory_mib, vcpus, partial, granted_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        grant.nodeId, grant.memoryMib, grant.vcpus, grant.partial, grant.grantedAt);
    if (!id) {
        Error error = id.error();
        if (error.code == errc::kConflict) {
            error.message = "node " + std::to_string(grant.nodeId) +
                            " already holds an open grant; release it first";
        }
        return error;
    }
    if (!grant.preemptedNodeIds.empty()) {
        auto preempted =
            Statement::prepare(database_.connection(),
                               "INSERT INTO grant_preemptions (grant_id, node_id) VALUES (?, ?)");
        if (!preempted) {
            return preempted.error();
        }
        for (const Id node : grant.preemptedNodeIds) {
            preempted->reset();
            preempted->bindAll(*id, node);
            if (auto done = preempted->run(); !done) {
                return done.error();
            }
        }
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    return *id;
}

Result<bool> GrantRepository::release(Id nodeId, TimeMs releasedAt) {
    auto changed = change(database_.connection(),
                          "UPDATE grants SET released_at = max(?, granted_at) WHERE node_id = ? "
                          "AND released_at IS NULL",
                          releasedAt, nodeId);
    if (!changed) {
        return changed.error();
    }
    return *changed > 0;
}

Result<std::int64_t> GrantRepository::pruneReleasedBefore(TimeMs time) {
    return change(database_.connection(),
                  "DELETE FROM grants WHERE released_at IS NOT NULL AND released_at < ?", time);
}

Result<std::vector<DBGrant>> GrantRepository::query(std::string_view where, Id parameter,
                                                    int limit) const {
    auto grants = queryAll<DBGrant>(
        database_.connection(),
        "SELECT id, node_id, memory_mib, vcpus, partial, granted_at, released_at FROM grants " +
            std::string(where) + " LIMIT ?2",
        read, parameter, limit);
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
        auto nodes = collect<Id>(*preempted, leadingInteger);
        if (!nodes) {
            return nodes.error();
        }
        grant.preemptedNodeIds = std::move(*nodes);
    }
    return grants;
}

Result<std::optional<DBGrant>> GrantRepository::openFor(Id nodeId) const {
    return firstOf(query("WHERE node_id = ?1 AND released_at IS NULL", nodeId, 1));
}

Result<std::optional<DBGrant>> GrantRepository::byId(Id id) const {
    return firstOf(query("WHERE id = ?1", id, 1));
}

Result<std::vector<DBGrant>> GrantRepository::listOpen() const {
    // ?1 is unused here; -1 keeps the shared query's shape.
    return query("WHERE released_at IS NULL AND ?1 = ?1 ORDER BY granted_at, id", -1, -1);
}

Result<std::vector<DBGrant>> GrantRepository::history(Id nodeId, int limit) const {
    return query("WHERE node_id = ?1 ORDER BY granted_at DESC, id DESC", nodeId, limit);
}

}  // namespace understudy::db

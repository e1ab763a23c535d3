#include "db/node_repository.h"

#include "base/error_codes.h"
#include "db/statement.h"

namespace understudy::db {

namespace {

constexpr std::string_view kColumns =
    "SELECT id, name, cluster_id, appliance_id, domain, uuid, defined_by_service, state, since "
    "FROM nodes ";

DBNode read(const Statement& row) {
    DBNode node;
    node.id = row.integer(0);
    node.name = row.text(1);
    node.clusterId = row.integer(2);
    node.applianceId = row.integer(3);
    node.domain = row.text(4);
    node.uuid = row.optionalText(5);
    node.definedByService = row.integer(6) != 0;
    node.state = parseNodeState(row.text(7)).value_or(NodeState::Drifted);
    node.since = row.integer(8);
    return node;
}

void bindWritable(Statement& statement, const DBNode& node) {
    statement.bind(1, node.name)
        .bind(2, node.clusterId)
        .bind(3, node.applianceId)
        .bind(4, node.domain)
        .bind(5, node.uuid)
        .bind(6, node.definedByService)
        .bind(7, nodeStateName(node.state))
        .bind(8, node.since);
}

}  // namespace

Result<Id> NodeRepository::insert(const DBNode& node) {
    auto statement = Statement::prepare(
        database_.connection(),
        "INSERT INTO nodes (name, cluster_id, appliance_id, domain, uuid, defined_by_service, "
        "state, since) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!statement) {
        return statement.error();
    }
    bindWritable(*statement, node);
    return statement->insert();
}

Status NodeRepository::update(const DBNode& node) {
    auto statement = Statement::prepare(
        database_.connection(),
        "UPDATE nodes SET name = ?, cluster_id = ?, appliance_id = ?, domain = ?, uuid = ?, "
        "defined_by_service = ?, state = ?, since = ? WHERE id = ?");
    if (!statement) {
        return statement.error();
    }
    bindWritable(*statement, node);
    statement->bind(9, node.id);
    return requireChanged(statement->change(), "node", node.id, database_.path());
}

Result<bool> NodeRepository::setState(Id id, NodeState state, TimeMs since) {
    auto changed = change(database_.connection(),
                          "UPDATE nodes SET state = ?1, since = ?2 WHERE id = ?3 AND state <> ?1",
                          nodeStateName(state), since, id);
    if (!changed) {
        return changed.error();
    }
    if (*changed > 0) {
        return true;
    }
    auto existing = byId(id);
    if (!existing) {
        return existing.error();
    }
    if (!*existing) {
        return Error{errc::kNotFound, "no node with id " + std::to_string(id), database_.path()};
    }
    return false;
}

Status NodeRepository::remove(Id id) {
    return removeById(database_.connection(), "nodes", "node", id, database_.path());
}

Result<std::optional<DBNode>> NodeRepository::byId(Id id) const {
    return queryFirst<DBNode>(database_.connection(), std::string(kColumns) + "WHERE id = ?", read,
                              id);
}

Result<std::optional<DBNode>> NodeRepository::byName(std::string_view name) const {
    return queryFirst<DBNode>(database_.connection(), std::string(kColumns) + "WHERE name = ?",
                              read, name);
}

Result<std::optional<DBNode>> NodeRepository::byCluster(Id clusterId) const {
    return queryFirst<DBNode>(database_.connection(),
                              std::string(kColumns) + "WHERE cluster_id = ?", read, clusterId);
}

Result<std::vector<DBNode>> NodeRepository::list() const {
    return queryAll<DBNode>(database_.connection(), std::string(kColumns) + "ORDER BY name", read);
}

Result<std::vector<DBNode>> NodeRepository::listByAppliance(Id applianceId) const {
    return queryAll<DBNode>(database_.connection(),
                            std::string(kColumns) + "WHERE appliance_id = ? ORDER BY name", read,
                            applianceId);
}

}  // namespace understudy::db

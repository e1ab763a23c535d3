#include "db/cluster_repository.h"

#include "db/statement.h"

namespace understudy::db {

namespace {

constexpr std::string_view kColumns =
    "SELECT id, name, priority, mtbf_hours, mttr_hours, group_id, standby_vcpus, "
    "standby_memory_mib, active_vcpus, active_memory_mib, memory_mode, failure_model, "
    "token_hash, appliance_id, registered_at FROM clusters ";

DBCluster read(const Statement& row) {
    DBCluster cluster;
    cluster.id = row.integer(0);
    cluster.name = row.text(1);
    cluster.priority = static_cast<int>(row.integer(2));
    cluster.mtbfHours = row.real(3);
    cluster.mttrHours = row.real(4);
    cluster.groupId = row.optionalInteger(5);
    cluster.standby = Footprint{row.integer(6), row.integer(7)};
    cluster.active = Footprint{row.integer(8), row.integer(9)};
    cluster.memoryMode = parseMemoryMode(row.text(10)).value_or(MemoryMode::Balloon);
    cluster.failureModel = parseFailureModel(row.text(11)).value_or(FailureModel::Declared);
    cluster.tokenHash = row.text(12);
    cluster.applianceId = row.integer(13);
    cluster.registeredAt = row.integer(14);
    return cluster;
}

// Binds the columns an insert and an update share, in the order both statements name them.
void bindWritable(Statement& statement, const DBCluster& cluster) {
    statement.bind(1, cluster.name)
        .bind(2, cluster.priority)
        .bind(3, cluster.mtbfHours)
        .bind(4, cluster.mttrHours)
        .bind(5, cluster.groupId)
        .bind(6, cluster.standby.vcpus)
        .bind(7, cluster.standby.memoryMib)
        .bind(8, cluster.active.vcpus)
        .bind(9, cluster.active.memoryMib)
        .bind(10, memoryModeName(cluster.memoryMode))
        .bind(11, failureModelName(cluster.failureModel))
        .bind(12, cluster.tokenHash)
        .bind(13, cluster.applianceId);
}

}  // namespace

Result<Id> ClusterRepository::insert(const DBCluster& cluster) {
    auto transaction = database_.transaction();
    if (!transaction) {
        return transaction.error();
    }
    auto statement = Statement::prepare(
        database_.connection(),
        "INSERT INTO clusters (name, priority, mtbf_hours, mttr_hours, group_id, standby_vcpus, "
        "standby_memory_mib, active_vcpus, active_memory_mib, memory_mode, failure_model, "
        "token_hash, appliance_id, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?)");
    if (!statement) {
        return statement.error();
    }
    bindWritable(*statement, cluster);
    statement->bind(14, cluster.registeredAt);
    auto id = statement->insert();
    if (!id) {
        return id.error();
    }
    if (auto stats =
            insertRow(database_.connection(),
                      "INSERT INTO cluster_stats (cluster_id, observed_since) VALUES (?, ?)", *id,
                      cluster.registeredAt);
        !stats) {
        return stats.error();
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    return *id;
}

Status ClusterRepository::update(const DBCluster& cluster) {
    auto statement = Statement::prepare(
        database_.connection(),
        "UPDATE clusters SET name = ?, priority = ?, mtbf_hours = ?, mttr_hours = ?, group_id = "
        "?, standby_vcpus = ?, standby_memory_mib = ?, active_vcpus = ?, active_memory_mib = ?, "
        "memory_mode = ?, failure_model = ?, token_hash = ?, appliance_id = ? WHERE id = ?");
    if (!statement) {
        return statement.error();
    }
    bindWritable(*statement, cluster);
    statement->bind(14, cluster.id);
    return requireChanged(statement->change(), "cluster", cluster.id, database_.path());
}

Status ClusterRepository::setTokenHash(Id id, const std::string& tokenHash) {
    return requireChanged(change(database_.connection(),
                                 "UPDATE clusters SET token_hash = ? WHERE id = ?", tokenHash, id),
                          "cluster", id, database_.path());
}

Result<bool> ClusterRepository::replaceTokenHash(std::string_view name, std::string_view expected,
                                                 std::string_view replacement) {
    auto changed = change(database_.connection(),
                          "UPDATE clusters SET token_hash = ? WHERE name = ? AND token_hash = ?",
                          replacement, name, expected);
    if (!changed) {
        return changed.error();
    }
    return *changed > 0;
}

Status ClusterRepository::remove(Id id) {
    return removeById(database_.connection(), "clusters", "cluster", id, database_.path());
}

Result<std::optional<DBCluster>> ClusterRepository::byId(Id id) const {
    return queryFirst<DBCluster>(database_.connection(), std::string(kColumns) + "WHERE id = ?",
                                 read, id);
}

Result<std::optional<DBCluster>> ClusterRepository::byName(std::string_view name) const {
    return queryFirst<DBCluster>(database_.connection(), std::string(kColumns) + "WHERE name = ?",
                                 read, name);
}

Result<std::vector<DBCluster>> ClusterRepository::list() const {
    return queryAll<DBCluster>(database_.connection(), std::string(kColumns) + "ORDER BY name",
                               read);
}

Result<std::vector<DBCluster>> ClusterRepository::listByAppliance(Id applianceId) const {
    return queryAll<DBCluster>(database_.connection(),
                               std::string(kColumns) + "WHERE appliance_id = ? ORDER BY name", read,
                               applianceId);
}

Result<std::optional<std::string>> ClusterRepository::nameByTokenHash(
    std::string_view tokenHash) const {
    return queryFirst<std::string>(
        database_.connection(), "SELECT name FROM clusters WHERE token_hash = ?",
        [](const Statement& row) { return row.text(0); }, tokenHash);
}

Result<std::vector<std::pair<std::string, std::string>>> ClusterRepository::saltedTokenHashes()
    const {
    // The condition is the one of the index clusters_with_salted_token, word for word, so that
    // SQLite reads that index instead of the table.
    return queryAll<std::pair<std::string, std::string>>(
        database_.connection(),
        "SELECT name, token_hash FROM clusters WHERE token_hash LIKE 'sha256$%'",
        [](const Statement& row) { return std::pair(row.text(0), row.text(1)); });
}

}  // namespace understudy::db

// The passive nodes: one per cluster, a libvirt domain on its one owner appliance.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "db/records.h"

namespace understudy::db {

class NodeRepository {
public:
    explicit NodeRepository(Database& database) : database_(database) {}

    // Adds a node (its id is ignored); conflict on a taken name, a cluster that already has
    // a node, or a domain already owned on that appliance.
    Result<Id> insert(const DBNode& node);
    // Rewrites the node with node.id; not_found when there is none.
    Status update(const DBNode& node);
    // Moves the node to state; `since` changes only when the state does, so it stays the time
    // of the last state change. Returns whether the state changed.
    Result<bool> setState(Id id, NodeState state, TimeMs since);
    Status remove(Id id);

    Result<std::optional<DBNode>> byId(Id id) const;
    Result<std::optional<DBNode>> byName(std::string_view name) const;
    Result<std::optional<DBNode>> byCluster(Id clusterId) const;
    // All nodes, by name.
    Result<std::vector<DBNode>> list() const;
    Result<std::vector<DBNode>> listByAppliance(Id applianceId) const;

private:
    Database& database_;
};

}  // namespace understudy::db

#include "appliance/core/node_inventory.h"

#include <set>

#include "appliance/core/appliance_slot.h"
#include "appliance/core/core_support.h"
#include "db/cluster_repository.h"
#include "db/cluster_stats_repository.h"
#include "db/grant_repository.h"
#include "db/group_repository.h"
#include "db/node_repository.h"

namespace understudy::core {

sizing::ClusterSpec clusterSpec(const db::DBCluster& cluster, const std::string& group) {
    return sizing::ClusterSpec{cluster.name,
                               cluster.priority,
                               cluster.mtbfHours,
                               cluster.mttrHours,
                               group,
                               toSizing(cluster.standby),
                               toSizing(cluster.active),
                               toSizing(cluster.memoryMode)};
}

sizing::ClusterSpec NodeRow::spec() const {
    return clusterSpec(cluster, group);
}

hypervisor::NodeMetadata NodeRow::metadata() const {
    const sizing::ClusterSpec s = spec();
    return hypervisor::NodeMetadata{s.name, node.name, s.standby, s.active, s.memory_mode};
}

sizing::Footprint NodeRow::expectedLive() const {
    if (grant && (node.state == db::NodeState::Active || node.state == db::NodeState::TakingOver ||
                  node.state == db::NodeState::Releasing)) {
        return {grant->vcpus, grant->memoryMib};
    }
    return spec().effectiveStandby();
}

namespace {

template <typename Rows>
auto findRow(Rows& rows, const std::string& node) -> decltype(&rows.front()) {
    for (auto& row : rows) {
        if (row.node.name == node) {
            return &row;
        }
    }
    return nullptr;
}

}  // namespace

void NodeRow::moveTo(db::NodeState state, db::TimeMs now) {
    if (node.state != state) {
        node.state = state;
        node.since = now;
    }
}

const NodeRow* ApplianceInventory::find(const std::string& node) const {
    return findRow(rows, node);
}

NodeRow* ApplianceInventory::find(const std::string& node) {
    return findRow(rows, node);
}

Result<ApplianceInventory> ApplianceInventory::load(db::Database& database, db::Id appliance_id) {
    ApplianceInventory inventory;
    auto groups = db::GroupRepository(database).list();
    auto clusters = db::ClusterRepository(database).listByAppliance(appliance_id);
    auto nodes = db::NodeRepository(database).listByAppliance(appliance_id);
    auto grants = db::GrantRepository(database).listOpen();
    if (!groups || !clusters || !nodes || !grants) {
        return !groups     ? groups.error()
               : !clusters ? clusters.error()
               : !nodes    ? nodes.error()
                           : grants.error();
    }
    std::map<db::Id, std::string> group_names;
    for (const db::DBGroup& group : *groups) {
        group_names[group.id] = group.name;
        inventory.groups.push_back({group.name, group.mtbfHours, group.mttrHours});
    }
    std::map<db::Id, db::DBCluster> by_id;
    for (const db::DBCluster& cluster : *clusters) {
        by_id[cluster.id] = cluster;
    }
    std::map<db::Id, db::DBGrant> open;
    for (const db::DBGrant& grant : *grants) {
        open[grant.nodeId] = grant;
    }
    for (const db::DBNode& node : *nodes) {
        auto cluster = by_id.find(node.clusterId);
        if (cluster == by_id.end()) {
            continue;
        }
        NodeRow row{node, cluster->second, {}, std::nullopt};
        if (cluster->second.groupId) {
            row.group = group_names[*cluster->second.groupId];
        }
        if (auto grant = open.find(node.id); grant != open.end()) {
            row.grant = grant->second;
        }
        inventory.node_names[node.id] = node.name;
        inventory.rows.push_back(std::move(row));
    }
    return inventory;
}

Result<std::vector<ApplianceInventory>> loadInventories(
    db::Database& database, const std::vector<std::unique_ptr<ApplianceSlot>>& appliances) {
    std::vector<ApplianceInventory> made;
    made.reserve(appliances.size());
    for (const auto& slot : appliances) {
        auto inventory = ApplianceInventory::load(database, slot->id);
        if (!inventory) {
            return inventory.error();
        }
        made.push_back(std::move(*inventory));
    }
    return made;
}

Result<std::optional<NodeRow>> loadNode(db::Database& database, const std::string& name) {
    auto node = db::NodeRepository(database).byName(name);
    if (!node) {
        return node.error();
    }
    if (!*node) {
        return std::optional<NodeRow>();
    }
    auto inventory = ApplianceInventory::load(database, (*node)->applianceId);
    if (!inventory) {
        return inventory.error();
    }
    const NodeRow* row = inventory->find(name);
    return row ? std::optional<NodeRow>(*row) : std::optional<NodeRow>();
}

Result<std::map<db::Id, std::string>> groupNames(db::Database& database) {
    auto groups = db::GroupRepository(database).list();
    if (!groups) {
        return groups.error();
    }
    std::map<db::Id, std::string> names;
    for (const db::DBGroup& group : *groups) {
        names[group.id] = group.name;
    }
    return names;
}

Result<KnownGroups> knownGroups(db::Database& database) {
    auto groups = db::GroupRepository(database).list();
    if (!groups) {
        return groups.error();
    }
    KnownGroups known;
    for (const db::DBGroup& group : *groups) {
        known.specs[group.name] = {group.name, group.mtbfHours, group.mttrHours};
        known.ids[group.name] = group.id;
    }
    return known;
}

policy::ApplianceView makeView(const ApplianceSlot& slot, const ApplianceInventory& inventory) {
    policy::ApplianceView made;
    made.name = slot.config.name;
    made.cpu_overcommit = slot.config.cpu_overcommit;
    {
        const std::lock_guard lock(slot.mutex);
        made.usable = slot.usable;
        made.foreign = slot.foreign;
    }
    std::set<std::string> used_groups;
    made.nodes.reserve(inventory.rows.size());
    for (const NodeRow& row : inventory.rows) {
        policy::NodeView node;
        node.name = row.node.name;
        node.cluster = row.cluster.name;
        node.priority = row.cluster.priority;
        node.spec = row.spec();
        node.state = row.node.state;
        if (row.grant) {
            node.grant = sizing::Footprint{row.grant->vcpus, row.grant->memoryMib};
        }
        if (!row.group.empty()) {
            used_groups.insert(row.group);
        }
        made.nodes.push_back(std::move(node));
    }
    for (const sizing::GroupSpec& group : inventory.groups) {
        if (used_groups.count(group.name) != 0) {
            made.groups.push_back(group);
        }
    }
    return made;
}

GrantView makeGrantView(const db::DBGrant& grant, const std::map<db::Id, std::string>& names) {
    GrantView made{{grant.vcpus, grant.memoryMib}, grant.partial, {}, grant.grantedAt};
    for (db::Id id : grant.preemptedNodeIds) {
        auto found = names.find(id);
        made.preempted.push_back(found != names.end() ? found->second : std::to_string(id));
    }
    return made;
}

Status moveNode(db::Database& database, db::Id node, db::NodeState state, db::TimeMs now) {
    auto moved = db::NodeRepository(database).setState(node, state, now);
    if (!moved) {
        return moved.error();
    }
    return Done{};
}

Status closeGrant(db::Database& database, db::Id node, db::Id cluster, db::TimeMs now) {
    auto closed = db::GrantRepository(database).release(node, now);
    if (!closed) {
        return closed.error();
    }
    return db::ClusterStatsRepository(database).recordRelease(cluster, now);
}

policy::NodeView newNodeView(const std::string& node, const sizing::ClusterSpec& spec) {
    policy::NodeView made;
    made.name = node;
    made.cluster = spec.name;
    made.priority = spec.priority;
    made.spec = spec;
    made.state = db::NodeState::Standby;
    return made;
}

void ensureGroup(policy::ApplianceView& view, const std::string& group,
                 const std::map<std::string, sizing::GroupSpec>& groups) {
    if (group.empty()) {
        return;
    }
    for (const sizing::GroupSpec& present : view.groups) {
        if (present.name == group) {
            return;
        }
    }
    if (auto found = groups.find(group); found != groups.end()) {
        view.groups.push_back(found->second);
    }
}

}  // namespace understudy::core

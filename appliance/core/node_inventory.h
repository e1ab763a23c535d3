// The inventory of one appliance as the database has it: each node with its cluster, group and
// open grant, and the arbiter's view of it (ApplianceView) built from that plus the host figures
// the appliance's last reconciliation saw.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/core/core_types.h"
#include "appliance/hypervisor/hypervisor.h"
#include "appliance/policy/arbitration.h"
#include "base/result.h"
#include "db/database.h"
#include "db/records.h"
#include "sizing/fleet.h"

namespace understudy::core {

struct ApplianceSlot;

// A stored cluster as the sizing model has it; `group` is its group's name.
sizing::ClusterSpec clusterSpec(const db::DBCluster& cluster, const std::string& group);

// Everything the core knows about one node, read in one go.
struct NodeRow {
    db::DBNode node;
    db::DBCluster cluster;
    std::string group;
    std::optional<db::DBGrant> grant;

    sizing::ClusterSpec spec() const;
    hypervisor::NodeMetadata metadata() const;
    // What the running domain should hold now.
    sizing::Footprint expectedLive() const;
    // The model's side of moveNode(): `since` changes only when the state does.
    void moveTo(db::NodeState state, db::TimeMs now);
};

struct ApplianceInventory {
    std::vector<NodeRow> rows;
    std::vector<sizing::GroupSpec> groups;  // all groups
    std::map<db::Id, std::string> node_names;

    const NodeRow* find(const std::string& node) const;
    NodeRow* find(const std::string& node);

    static Result<ApplianceInventory> load(db::Database& database, db::Id appliance_id);
};

// Every appliance's inventory, in the order of `appliances`.
Result<std::vector<ApplianceInventory>> loadInventories(
    db::Database& database, const std::vector<std::unique_ptr<ApplianceSlot>>& appliances);
Result<std::optional<NodeRow>> loadNode(db::Database& database, const std::string& name);
Result<std::map<db::Id, std::string>> groupNames(db::Database& database);
// Every group as the sizing model has it, by name, and the ids the store gave them.
struct KnownGroups {
    std::map<std::string, sizing::GroupSpec> specs;
    std::map<std::string, db::Id> ids;
};
Result<KnownGroups> knownGroups(db::Database& database);

policy::ApplianceView makeView(const ApplianceSlot& slot, const ApplianceInventory& inventory);
GrantView makeGrantView(const db::DBGrant& grant, const std::map<db::Id, std::string>& names);

// The changes of a node's rows that several operations record, inside their commit.
Status moveNode(db::Database& database, db::Id node, db::NodeState state, db::TimeMs now);
// Closes the node's open grant and counts the release in its cluster's statistics.
Status closeGrant(db::Database& database, db::Id node, db::Id cluster, db::TimeMs now);

// A node about to be registered, as the arbiter sees it.
policy::NodeView newNodeView(const std::string& node, const sizing::ClusterSpec& spec);
// Adds the group to the view's groups unless present or unknown.
void ensureGroup(policy::ApplianceView& view, const std::string& group,
                 const std::map<std::string, sizing::GroupSpec>& groups);

}  // namespace understudy::core

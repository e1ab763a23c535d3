#include "appliance/core/inventory_changes.h"

#include <algorithm>

#include "appliance/core/admission_run.h"
#include "appliance/core/core_support.h"
#include "appliance/core/node_inventory.h"
#include "base/error_codes.h"
#include "db/cluster_repository.h"
#include "db/group_repository.h"
#include "db/node_repository.h"
#include "sizing/fleet_file.h"

namespace understudy::core {

using nlohmann::json;

namespace {

// A cluster as the books have it, with its node and its appliance's view when that appliance
// is configured.
struct LoadedCluster {
    db::DBCluster cluster;
    std::optional<NodeRow> row;
    std::map<std::string, sizing::GroupSpec> groups;
    std::map<std::string, db::Id> group_ids;
    std::optional<policy::ApplianceView> before;
    std::string group;
};

Result<LoadedCluster> loadCluster(const CoreContext& context, const std::string& name) {
    return context.store->read([&](db::Database& database) -> Result<LoadedCluster> {
        LoadedCluster made;
        auto cluster = db::ClusterRepository(database).byName(name);
        if (!cluster) {
            return cluster.error();
        }
        if (!*cluster) {
            return notFound("cluster", name);
        }
        made.cluster = **cluster;
        auto groups = knownGroups(database);
        if (!groups) {
            return groups.error();
        }
        made.groups = std::move(groups->specs);
        made.group_ids = std::move(groups->ids);
        for (const auto& [group, id] : made.group_ids) {
            if (made.cluster.groupId == id) {
                made.group = group;
            }
        }
        if (ApplianceSlot* owner = context.slot(made.cluster.applianceId)) {
            auto inventory = ApplianceInventory::load(database, owner->id);
            if (!inventory) {
                return inventory.error();
            }
            made.before = makeView(*owner, *inventory);
            for (const NodeRow& row : inventory->rows) {
                if (row.cluster.id == made.cluster.id) {
                    made.row = row;
                }
            }
        }
        return made;
    });
}

// The cluster's figures with the change applied, and the names of the fields it sets.
struct ChangedSpec {
    sizing::ClusterSpec spec;
    std::vector<std::string> fields;
};

// Sets `field` to the change's value when the change has one, and names it in `fields`.
template <typename T>
void applyField(const std::optional<T>& value, T& field, const char* name,
                std::vector<std::string>& fields) {
    if (value) {
        field = *value;
        fields.emplace_back(name);
    }
}

Result<ChangedSpec> changedSpec(const sizing::ClusterSpec& old_spec, const ClusterChange& change,
                                const std::map<std::string, sizing::GroupSpec>& groups) {
    ChangedSpec made{old_spec, {}};
    sizing::ClusterSpec& spec = made.spec;
    applyField(change.priority, spec.priority, "priority", made.fields);
    applyField(change.mtbf_hours, spec.mtbf_hours, "mtbf_hours", made.fields);
    applyField(change.mttr_hours, spec.mttr_hours, "mttr_hours", made.fields);
    applyField(change.group, spec.group, "group", made.fields);
    if (change.group && !spec.group.empty() && groups.count(spec.group) == 0) {
        return Error{errc::kInvalidField, "there is no group '" + spec.group + "'", "group"};
    }
    applyField(change.standby, spec.standby, "standby", made.fields);
    applyField(change.active, spec.active, "active", made.fields);
    applyField(change.memory_mode, spec.memory_mode, "memory_mode", made.fields);
    if (change.failure_model) {
        made.fields.emplace_back("failure_model");
    }
    return made;
}

// The appliance's view with the cluster's new figures, its groups those its nodes now use.
policy::ApplianceView viewAfter(const policy::ApplianceView& before, const std::string& cluster,
                                const sizing::ClusterSpec& spec,
                                const std::map<std::string, sizing::GroupSpec>& groups) {
    policy::ApplianceView after = before;
    for (policy::NodeView& node : after.nodes) {
        if (node.cluster == cluster) {
            node.spec = spec;
            node.priority = spec.priority;
        }
    }
    after.groups.clear();
    for (const policy::NodeView& node : after.nodes) {
        ensureGroup(after, node.spec.group, groups);
    }
    return after;
}

db::DBCluster updatedCluster(const db::DBCluster& cluster, const sizing::ClusterSpec& spec,
                             const std::map<std::string, db::Id>& group_ids,
                             const ClusterChange& change) {
    db::DBCluster updated = cluster;
    updated.priority = spec.priority;
    updated.mtbfHours = spec.mtbf_hours;
    updated.mttrHours = spec.mttr_hours;
    updated.groupId = spec.group.empty() ? std::nullopt : std::optional(group_ids.at(spec.group));
    updated.standby = toDb(spec.standby);
    updated.active = toDb(spec.active);
    updated.memoryMode = toDb(spec.memory_mode);
    if (change.failure_model) {
        updated.failureModel = *change.failure_model;
    }
    return updated;
}

// On the owner's worker, for new footprints: the domain redefined when the service defined it,
// its metadata rewritten, and a standby node resized at once.
Status reshapeDomain(const CoreContext& context, ApplianceSlot& owner, const std::string& cluster,
                     const NodeRow& row, const sizing::ClusterSpec& spec) {
    if (Status connected = owner.requireConnected(); !connected) {
        return connected;
    }
    const hypervisor::NodeMetadata metadata{cluster, row.node.name, spec.standby, spec.active,
                                            spec.memory_mode};
    if (row.node.definedByService) {
        auto redefined =
            owner.defineFromTemplate(row.node.domain, row.node.uuid.value_or(""), metadata);
        if (!redefined) {
            return redefined.error();
        }
    }
    Status marked = owner.hypervisor->setMetadata(row.node.domain, metadata);
    if (!marked) {
        return marked;
    }
    if (row.node.state == db::NodeState::Standby) {
        Status resized = owner.lifecycle(context.confirmTimeout())
                             .apply(row.node.domain, spec.effectiveStandby(), spec.active.vcpus);
        owner.remember(row.node.domain, context.confirmTimeout());
        if (!resized) {
            return resized;
        }
    }
    return Done{};
}

}  // namespace

Result<ChangeOutcome> InventoryChanges::changeCluster(const std::string& name,
                                                      const ClusterChange& change,
                                                      const Actor& actor) {
    auto loaded = loadCluster(context_, name);
    if (!loaded) {
        return loaded.error();
    }
    ApplianceSlot* owner = context_.slot(loaded->cluster.applianceId);
    if (!owner || !loaded->before) {
        return Error{errc::kConflict,
                     "cluster '" + name +
                         "' is on an appliance that is no longer configured; "
                         "add the appliance back to the config first",
                     {}};
    }
    const sizing::ClusterSpec old_spec = clusterSpec(loaded->cluster, loaded->group);
    auto changed = changedSpec(old_spec, change, loaded->groups);
    if (!changed) {
        return changed.error();
    }
    const sizing::ClusterSpec& spec = changed->spec;
    if (Status valid = checkSpec(spec, ""); !valid) {
        return valid.error();
    }
    const bool footprint_changed = spec.standby != old_spec.standby ||
                                   spec.active != old_spec.active ||
                                   spec.memory_mode != old_spec.memory_mode;
    if (footprint_changed && loaded->row &&
        (loaded->row->node.state == db::NodeState::Active ||
         loaded->row->node.state == db::NodeState::TakingOver)) {
        return stateConflict("change the footprints of", loaded->row->node.name,
                             loaded->row->node.state);
    }
    const policy::ApplianceView after = viewAfter(*loaded->before, name, spec, loaded->groups);
    AdmissionRun admission = runAdmission({{owner, *loaded->before, after}}, {name},
                                          context_.config.policy, true, actor);
    if (!admission.accepted) {
        Status logged = context_.store->commitEvents(admission.refusals);
        if (!logged) {
            return logged.error();
        }
        return ChangeOutcome{false, admission.admissions, {}};
    }
    const db::DBCluster updated = updatedCluster(loaded->cluster, spec, loaded->group_ids, change);
    const std::optional<NodeRow> row = loaded->row;
    Status applied =
        owner
            ->exclusive([&]() -> Status {
                if (footprint_changed && row) {
                    if (Status reshaped = reshapeDomain(context_, *owner, name, *row, spec);
                        !reshaped) {
                        return reshaped;
                    }
                }
                return commitChange([&](db::Database& database, auto& events) -> Status {
                    Status rewritten = db::ClusterRepository(database).update(updated);
                    if (!rewritten) {
                        return rewritten;
                    }
                    for (const db::DBEvent& accepted : admission.events) {
                        events.push_back(accepted);
                    }
                    events.push_back(makeEvent("cluster.changed", name,
                                               row ? std::optional(row->node.name) : std::nullopt,
                                               {{"changed", changed->fields}}, actor));
                    return Done{};
                });
            })
            .result();
    if (!applied) {
        return applied.error();
    }
    return ChangeOutcome{true, admission.admissions, admission.warnings};
}

Status InventoryChanges::removeCluster(const std::string& name, const Actor& actor) {
    auto cluster = context_.store->read(
        [&](db::Database& database) { return db::ClusterRepository(database).byName(name); });
    if (!cluster) {
        return cluster.error();
    }
    if (!*cluster) {
        return notFound("cluster", name);
    }
    const db::DBCluster removed = **cluster;
    ApplianceSlot* owner = context_.slot(removed.applianceId);
    auto work = [this, removed, owner, name, actor]() -> Status {
        auto row =
            context_.store->read([&](db::Database& database) -> Result<std::optional<NodeRow>> {
                auto node = db::NodeRepository(database).byCluster(removed.id);
                if (!node) {
                    return node.error();
                }
                if (!*node) {
                    return std::optional<NodeRow>();
                }
                return loadNode(database, (*node)->name);
            });
        if (!row) {
            return row.error();
        }
        bool undefined = false;
        if (*row) {
            const NodeRow& node = **row;
            if (node.node.state == db::NodeState::Active ||
                node.node.state == db::NodeState::TakingOver ||
                node.node.state == db::NodeState::Releasing) {
                return stateConflict("remove the cluster of", node.node.name, node.node.state);
            }
            if (node.node.definedByService && owner) {
                if (Status connected = owner->requireConnected(); !connected) {
                    return connected;
                }
                auto info = owner->hypervisor->domainInfo(node.node.domain);
                if (info) {
                    provisioner_.unprovision(
                        *owner,
                        ProvisionedNode{name, node.node.name, node.node.domain, info->uuid, true});
                    undefined = true;
                }
            }
        }
        auto committed = commitChange([&](db::Database& database, auto& events) -> Status {
            Status gone = db::ClusterRepository(database).remove(removed.id);
            if (!gone) {
                return gone;
            }
            json details = {{"appliance", owner ? owner->config.name : std::string()},
                            {"undefined", undefined}};
            std::optional<std::string> node_name;
            if (*row) {
                node_name = (*row)->node.name;
                details["domain"] = (*row)->node.domain;
            }
            events.push_back(makeEvent("cluster.removed", name, node_name, details, actor));
            return Done{};
        });
        if (committed && owner && owner->usableNow()) {
            operations_.restorePreempted(*owner, actor);
        }
        return committed;
    };
    if (!owner) {
        return work();
    }
    return owner->exclusive(work).result();
}

Result<ChangeOutcome> InventoryChanges::changeGroup(const std::string& name,
                                                    const GroupChange& change, const Actor& actor) {
    struct Loaded {
        db::DBGroup group;
        std::map<std::string, sizing::GroupSpec> groups;
        std::vector<ViewChange> changes;
        std::vector<std::string> members;
    };
    auto loaded = context_.store->read([&](db::Database& database) -> Result<Loaded> {
        Loaded made;
        auto group = db::GroupRepository(database).byName(name);
        if (!group) {
            return group.error();
        }
        if (!*group) {
            return notFound("group", name);
        }
        made.group = **group;
        auto members = db::GroupRepository(database).members(made.group.id);
        if (!members) {
            return members.error();
        }
        made.members = *members;
        for (const auto& candidate : context_.appliances) {
            auto inventory = ApplianceInventory::load(database, candidate->id);
            if (!inventory) {
                return inventory.error();
            }
            policy::ApplianceView before = makeView(*candidate, *inventory);
            const bool concerned =
                std::any_of(before.nodes.begin(), before.nodes.end(),
                            [&](const policy::NodeView& node) { return node.spec.group == name; });
            if (concerned) {
                made.changes.push_back({candidate.get(), before, before});
            }
        }
        return made;
    });
    if (!loaded) {
        return loaded.error();
    }
    db::DBGroup updated = loaded->group;
    if (change.mtbf_hours) {
        updated.mtbfHours = *change.mtbf_hours;
    }
    if (change.mttr_hours) {
        updated.mttrHours = *change.mttr_hours;
    }
    if (Status valid = checkGroupTimes(name, updated.mtbfHours, updated.mttrHours, "mtbf_hours");
        !valid) {
        return valid.error();
    }
    for (ViewChange& viewed : loaded->changes) {
        for (sizing::GroupSpec& group : viewed.after.groups) {
            if (group.name == name) {
                group.mtbf_hours = updated.mtbfHours;
                group.mttr_hours = updated.mttrHours;
            }
        }
    }
    AdmissionRun admission =
        runAdmission(loaded->changes, loaded->members, context_.config.policy, true, actor);
    if (!admission.accepted) {
        Status logged = context_.store->commitEvents(admission.refusals);
        if (!logged) {
            return logged.error();
        }
        return ChangeOutcome{false, admission.admissions, {}};
    }
    auto committed = commitChange([&](db::Database& database, auto& events) -> Status {
        Status rewritten = db::GroupRepository(database).update(updated);
        if (!rewritten) {
            return rewritten;
        }
        for (const db::DBEvent& accepted : admission.events) {
            events.push_back(accepted);
        }
        return Done{};
    });
    if (!committed) {
        return committed.error();
    }
    return ChangeOutcome{true, admission.admissions, admission.warnings};
}

Status InventoryChanges::commitChange(CoreStore::Change change) {
    Status committed = context_.store->commit(std::move(change));
    context_.markModelsStale();
    return committed;
}

Status InventoryChanges::rotateToken(const std::string& cluster, const std::string& token_hash,
                                     const Actor& actor) {
    return commitChange([&](db::Database& database, auto& events) -> Status {
        auto found = db::ClusterRepository(database).byName(cluster);
        if (!found) {
            return found.error();
        }
        if (!*found) {
            return notFound("cluster", cluster);
        }
        Status set = db::ClusterRepository(database).setTokenHash((*found)->id, token_hash);
        if (!set) {
            return set;
        }
        events.push_back(makeEvent("token.rotated", cluster, std::nullopt, json::object(), actor));
        return Done{};
    });
}

Status InventoryChanges::convertSaltedToken(const std::string& cluster,
                                            const std::string& salted_hash,
                                            const std::string& digest) {
    // Not commitChange: the models do not depend on tokens.
    return context_.store->commit([&](db::Database& database, auto&) -> Status {
        auto replaced =
            db::ClusterRepository(database).replaceTokenHash(cluster, salted_hash, digest);
        if (!replaced) {
            return replaced.error();
        }
        return Done{};
    });
}

Result<ChangeOutcome> InventoryChanges::createGroup(const sizing::GroupSpec& group) {
    if (auto problem = sizing::nameProblem(group.name)) {
        return Error{errc::kInvalidField, "group name: " + *problem, "name"};
    }
    if (Status valid =
            checkGroupTimes(group.name, group.mtbf_hours, group.mttr_hours, "mtbf_hours");
        !valid) {
        return valid.error();
    }
    Status inserted = commitChange([&](db::Database& database, auto&) -> Status {
        auto id = db::GroupRepository(database).insert(
            db::DBGroup{0, group.name, group.mtbf_hours, group.mttr_hours});
        if (!id) {
            return id.error();
        }
        return Done{};
    });
    if (!inserted) {
        return inserted.error();
    }
    // A group without members changes no appliance's risk.
    return ChangeOutcome{true, {}, {}};
}

Status InventoryChanges::removeGroup(const std::string& name) {
    return commitChange([&](db::Database& database, auto&) -> Status {
        auto found = db::GroupRepository(database).byName(name);
        if (!found) {
            return found.error();
        }
        if (!*found) {
            return notFound("group", name);
        }
        return db::GroupRepository(database).remove((*found)->id);
    });
}

}  // namespace understudy::core

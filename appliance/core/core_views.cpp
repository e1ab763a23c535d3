#include "appliance/core/core_views.h"

#include <algorithm>
#include <cstdio>

#include "appliance/core/core_support.h"
#include "appliance/core/node_inventory.h"
#include "base/error_codes.h"
#include "db/appliance_repository.h"
#include "db/cluster_repository.h"
#include "db/event_log.h"
#include "db/group_repository.h"
#include "db/node_repository.h"
#include "sizing/engine.h"

namespace understudy::core {

Result<ApplianceSlot*> CoreViews::ownerOf(const std::string& node) const {
    CoreContext::NodeDirectory& directory = context_.node_directory;
    std::optional<db::Id> appliance;
    bool loaded_before = false;
    std::uint64_t generation = 0;
    {
        const std::shared_lock lock(directory.mutex);
        generation = directory.generation;
        if (directory.owners) {
            loaded_before = true;
            if (auto found = directory.owners->find(node); found != directory.owners->end()) {
                appliance = found->second;
            }
        }
    }
    // A miss is read from the books rather than trusted, so a node committed just before the
    // directory was forgotten is still found: that one row when the directory is loaded (a name
    // nobody registered costs one indexed read, as before), else the whole directory.
    if (!appliance && loaded_before) {
        auto found =
            context_.store->readView([&](db::Database& database) -> Result<std::optional<db::Id>> {
                auto row = db::NodeRepository(database).byName(node);
                if (!row) {
                    return row.error();
                }
                return *row ? std::optional((*row)->applianceId) : std::nullopt;
            });
        if (!found) {
            return found.error();
        }
        appliance = *found;
    } else if (!appliance) {
        auto loaded = context_.store->readView(
            [&](db::Database& database) -> Result<std::unordered_map<std::string, db::Id>> {
                auto rows = db::NodeRepository(database).list();
                if (!rows) {
                    return rows.error();
                }
                std::unordered_map<std::string, db::Id> owners;
                owners.reserve(rows->size());
                for (const db::DBNode& row : *rows) {
                    owners.emplace(row.name, row.applianceId);
                }
                return owners;
            });
        if (!loaded) {
            return loaded.error();
        }
        if (auto found = loaded->find(node); found != loaded->end()) {
            appliance = found->second;
        }
        const std::unique_lock lock(directory.mutex);
        if (directory.generation == generation) {
            directory.owners = std::move(*loaded);
        }
    }
    if (!appliance) {
        return notFound("node", node);
    }
    ApplianceSlot* owner = context_.slot(*appliance);
    if (!owner) {
        return Error{
            "conflict", "node '" + node + "' is on an appliance that is no longer configured", {}};
    }
    return owner;
}

namespace {

// Whole GiB where the amount is one, else GiB to one decimal, else MiB: what an operator reads
// and acts on.
std::string amountOf(sizing::Resource resource, std::int64_t amount) {
    if (resource == sizing::Resource::vcpus) {
        return std::to_string(amount) + (amount == 1 ? " vCPU" : " vCPUs");
    }
    if (amount % 1024 == 0) {
        return std::to_string(amount / 1024) + " GiB";
    }
    if (amount >= 1024 || amount <= -1024) {
        char text[32];
        std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(amount) / 1024.0);
        return text;
    }
    return std::to_string(amount) + " MiB";
}

// "not enough memory: short 13 GiB (needs 30 GiB, 17 GiB free)": the shortfall first, since
// that is what must be freed for the node to take over.
std::string shortfallReason(const policy::Denial& denial) {
    const std::int64_t free = std::max<std::int64_t>(0, denial.free);
    const char* name = denial.resource == sizing::Resource::memory_mib
                           ? "memory"
                           : sizing::resourceName(denial.resource);
    return std::string("not enough ") +
           (denial.resource == sizing::Resource::vcpus ? "vCPUs" : name) + ": short " +
           amountOf(denial.resource, denial.needed - free) + " (needs " +
           amountOf(denial.resource, denial.needed) + ", " + amountOf(denial.resource, free) +
           " free)";
}

// The nodes that could not take over at full size now, and the risk that a takeover is denied
// within the horizon: both from the same snapshot.
void addRiskOfNow(ApplianceSlot& slot, const policy::ApplianceView& view,
                  const ApplianceInventory& inventory, const policy::ArbitrationPolicy& policy,
                  ApplianceStatus& status) {
    for (const NodeRow& row : inventory.rows) {
        if (row.node.state == db::NodeState::TakingOver ||
            row.node.state == db::NodeState::Active || row.node.state == db::NodeState::Releasing) {
            continue;
        }
        Readiness readiness = readinessOf(slot, view, row, policy);
        if (!readiness.ready) {
            status.not_ready.push_back({row.node.name, row.cluster.name, std::move(readiness)});
        }
    }
    status.denial_risk = slot.denial_risk.valueFor(
        policy::denialRiskModel(view, slot.usableNow(), policy, status.denial_horizon_hours));
}

}  // namespace

Readiness readinessOf(const ApplianceSlot& slot, const policy::ApplianceView& view,
                      const NodeRow& row, const policy::ArbitrationPolicy& policy) {
    Readiness made;
    const std::string state(db::nodeStateName(row.node.state));
    if (row.node.state == db::NodeState::Active || row.node.state == db::NodeState::TakingOver) {
        made.ready = true;
        made.partial_cpu = row.grant && row.grant->partial;
        made.reason = "the node holds its grant";
        return made;
    }
    if (slot.isLost()) {
        made.reason = "appliance '" + slot.config.name +
                      "' is lost and this node found no room on the others (stranded)";
        return made;
    }
    if (row.node.state != db::NodeState::Standby) {
        made.reason = "the node is " + state + "; only a standby node can take over";
        return made;
    }
    if (!slot.usableNow()) {
        made.reason = "appliance '" + slot.config.name + "' is unreachable";
        return made;
    }
    const policy::TakeoverDecision decision = policy::decideTakeover(view, row.node.name, policy);
    made.ready = decision.granted && !decision.partial;
    made.partial_cpu = decision.granted && decision.partial;
    made.would_preempt = decision.preempt;
    made.denial = decision.denial;
    if (!decision.granted) {
        made.reason = shortfallReason(*decision.denial);
    } else if (decision.partial) {
        const std::int64_t wanted = row.cluster.active.vcpus;
        made.reason = "partial CPU: short " +
                      amountOf(sizing::Resource::vcpus, wanted - decision.grant.vcpus) + " (" +
                      std::to_string(decision.grant.vcpus) + " of " + std::to_string(wanted) +
                      " vCPUs could be granted now)";
    } else if (!decision.preempt.empty()) {
        made.reason = "ready by preempting " + std::to_string(decision.preempt.size()) +
                      " lower-priority node(s)";
    } else {
        made.reason = "ready from free headroom";
    }
    return made;
}

Result<std::vector<ApplianceStatus>> CoreViews::appliances() const {
    return context_.store->readView(
        [&](db::Database& database) -> Result<std::vector<ApplianceStatus>> {
            std::vector<ApplianceStatus> made;
            for (const auto& slot : context_.appliances) {
                auto inventory = ApplianceInventory::load(database, slot->id);
                if (!inventory) {
                    return inventory.error();
                }
                const policy::ApplianceView view = makeView(*slot, *inventory);
                ApplianceStatus status;
                status.name = slot->config.name;
                status.uri = slot->config.uri;
                status.cpu_overcommit = slot->config.cpu_overcommit;
                {
                    const std::lock_guard lock(slot->mutex);
                    status.connected = slot->connected;
                    status.state = slot->lost        ? ApplianceState::lost
                                   : slot->connected ? ApplianceState::connected
                                                     : ApplianceState::unreachable;
                    if (slot->unreachable_since != 0) {
                        status.unreachable_since = slot->unreachable_since;
                    }
                    status.last_error = slot->last_error;
                }
                status.headroom = policy::computeHeadroom(view);
                if (view.usable.memory_mib > 0 && view.usable.vcpus > 0) {
                    status.overflow_risk =
                        policy::liveOverflowRisk(view, context_.config.policy.target_risk);
                }
                addRiskOfNow(*slot, view, *inventory, context_.policy(), status);
                made.push_back(std::move(status));
            }
            return made;
        });
}

Result<std::vector<ClusterStatus>> CoreViews::clusters() const {
    return context_.store->readView(
        [&](db::Database& database) -> Result<std::vector<ClusterStatus>> {
            auto clusters = db::ClusterRepository(database).list();
            auto nodes = db::NodeRepository(database).list();
            auto groups = groupNames(database);
            auto appliances = db::ApplianceRepository(database).list();
            if (!clusters || !nodes || !groups || !appliances) {
                return !clusters ? clusters.error()
                       : !nodes  ? nodes.error()
                       : !groups ? groups.error()
                                 : appliances.error();
            }
            std::map<db::Id, std::string> appliance_names;
            for (const db::DBAppliance& appliance : *appliances) {
                appliance_names[appliance.id] = appliance.name;
            }
            std::map<db::Id, const db::DBNode*> node_of;
            for (const db::DBNode& node : *nodes) {
                node_of[node.clusterId] = &node;
            }
            std::vector<ClusterStatus> made;
            for (const db::DBCluster& cluster : *clusters) {
                ClusterStatus status;
                status.spec = clusterSpec(
                    cluster, cluster.groupId ? (*groups)[*cluster.groupId] : std::string());
                status.failure_model = cluster.failureModel;
                status.appliance = appliance_names[cluster.applianceId];
                if (auto node = node_of.find(cluster.id); node != node_of.end()) {
                    status.node = node->second->name;
                    status.domain = node->second->domain;
                }
                status.registered_at = cluster.registeredAt;
                made.push_back(std::move(status));
            }
            return made;
        });
}

Result<std::vector<NodeStatus>> CoreViews::nodes() const {
    auto made =
        context_.store->readView([&](db::Database& database) -> Result<std::vector<NodeStatus>> {
            std::vector<NodeStatus> statuses;
            for (const auto& slot : context_.appliances) {
                auto inventory = ApplianceInventory::load(database, slot->id);
                if (!inventory) {
                    return inventory.error();
                }
                std::map<std::string, sizing::Footprint> current;
                bool connected = false;
                {
                    const std::lock_guard lock(slot->mutex);
                    current = slot->current;
                    connected = slot->connected;
                }
                for (const NodeRow& row : inventory->rows) {
                    NodeStatus status;
                    status.name = row.node.name;
                    status.cluster = row.cluster.name;
                    status.appliance = slot->config.name;
                    status.domain = row.node.domain;
                    status.state = row.node.state;
                    status.standby = toSizing(row.cluster.standby);
                    status.active = toSizing(row.cluster.active);
                    if (auto live = current.find(row.node.domain);
                        connected && live != current.end()) {
                        status.current = live->second;
                    }
                    status.since = row.node.since;
                    if (row.grant) {
                        status.grant = makeGrantView(*row.grant, inventory->node_names);
                    }
                    status.defined_by_service = row.node.definedByService;
                    statuses.push_back(std::move(status));
                }
            }
            return statuses;
        });
    if (made) {
        std::sort(made->begin(), made->end(),
                  [](const NodeStatus& a, const NodeStatus& b) { return a.name < b.name; });
    }
    return made;
}

Result<NodeStatus> CoreViews::node(const std::string& name) const {
    auto all = nodes();
    if (!all) {
        return all.error();
    }
    for (NodeStatus& status : *all) {
        if (status.name == name) {
            return status;
        }
    }
    return notFound("node", name);
}

Result<std::vector<sizing::GroupSpec>> CoreViews::groups() const {
    return context_.store->readView(
        [](db::Database& database) -> Result<std::vector<sizing::GroupSpec>> {
            auto groups = db::GroupRepository(database).list();
            if (!groups) {
                return groups.error();
            }
            std::vector<sizing::GroupSpec> made;
            for (const db::DBGroup& group : *groups) {
                made.push_back({group.name, group.mtbfHours, group.mttrHours});
            }
            return made;
        });
}

Result<Readiness> CoreViews::readiness(const std::string& node) const {
    auto owner = ownerOf(node);
    if (!owner) {
        return owner.error();
    }
    ApplianceSlot* slot = *owner;
    auto inventory = context_.store->readView(
        [&](db::Database& database) { return ApplianceInventory::load(database, slot->id); });
    if (!inventory) {
        return inventory.error();
    }
    const NodeRow* row = inventory->find(node);
    if (!row) {
        return notFound("node", node);
    }
    return readinessOf(*slot, makeView(*slot, *inventory), *row, context_.policy());
}

namespace {

// Every appliance's view as the books have it, in the config's order, and every group.
struct WhatIfViews {
    std::vector<std::pair<ApplianceSlot*, policy::ApplianceView>> views;
    std::map<std::string, sizing::GroupSpec> groups;

    bool hasCluster(const std::string& cluster) const {
        return std::any_of(views.begin(), views.end(), [&](const auto& entry) {
            return std::any_of(
                entry.second.nodes.begin(), entry.second.nodes.end(),
                [&](const policy::NodeView& node) { return node.cluster == cluster; });
        });
    }
};

Result<WhatIfViews> loadWhatIfViews(const CoreContext& context) {
    return context.store->readView([&](db::Database& database) -> Result<WhatIfViews> {
        WhatIfViews made;
        for (const auto& slot : context.appliances) {
            auto inventory = ApplianceInventory::load(database, slot->id);
            if (!inventory) {
                return inventory.error();
            }
            made.views.emplace_back(slot.get(), makeView(*slot, *inventory));
            for (const sizing::GroupSpec& group : inventory->groups) {
                made.groups[group.name] = group;
            }
        }
        return made;
    });
}

// The clusters the request removes taken off, and the host capacities it sets put in.
Status removeClustersAndSetCapacity(const CoreContext& context, const WhatIfRequest& request,
                                    WhatIfViews& loaded) {
    for (std::size_t i = 0; i < request.remove.size(); ++i) {
        if (!loaded.hasCluster(request.remove[i])) {
            return Error{errc::kInvalidField, "there is no cluster '" + request.remove[i] + "'",
                         "remove[" + std::to_string(i) + "]"};
        }
    }
    for (auto& [slot, view] : loaded.views) {
        std::erase_if(view.nodes, [&](const policy::NodeView& node) {
            return std::find(request.remove.begin(), request.remove.end(), node.cluster) !=
                   request.remove.end();
        });
        if (auto capacity = request.capacity.find(slot->config.name);
            capacity != request.capacity.end()) {
            view.usable.memory_mib = capacity->second.memory_mib - slot->config.reserve_memory_mib;
            view.usable.vcpus = static_cast<std::int64_t>(
                static_cast<double>(capacity->second.vcpus - slot->config.reserve_vcpus) *
                slot->config.cpu_overcommit);
        }
    }
    for (const auto& [name, capacity] : request.capacity) {
        if (!context.slot(name)) {
            return Error{errc::kInvalidField, "there is no appliance '" + name + "'",
                         "capacity." + name};
        }
    }
    return Done{};
}

// The clusters the request adds, each on the appliance it names or else where the worst risk
// with it is lowest, on the views as the ones before it filled them.
Status addClusters(const CoreContext& context, const WhatIfRequest& request, WhatIfViews& loaded) {
    for (std::size_t i = 0; i < request.add.size(); ++i) {
        const WhatIfAddition& addition = request.add[i];
        const std::string path = "add[" + std::to_string(i) + "].";
        if (Status valid = checkSpec(addition.spec, path); !valid) {
            return valid.error();
        }
        if (loaded.hasCluster(addition.spec.name)) {
            return Error{errc::kInvalidField, "cluster '" + addition.spec.name + "' already exists",
                         path + "name"};
        }
        if (!addition.spec.group.empty() && loaded.groups.count(addition.spec.group) == 0) {
            return Error{errc::kInvalidField, "there is no group '" + addition.spec.group + "'",
                         path + "group"};
        }
        policy::ApplianceView* target = nullptr;
        double best = 2.0;
        for (auto& [slot, view] : loaded.views) {
            if (!addition.appliance.empty()) {
                if (slot->config.name == addition.appliance) {
                    target = &view;
                }
                continue;
            }
            policy::ApplianceView trial = view;
            trial.nodes.push_back(newNodeView(addition.spec.name + "-passive", addition.spec));
            ensureGroup(trial, addition.spec.group, loaded.groups);
            const double risk =
                worstRisk(policy::liveOverflowRisk(trial, context.config.policy.target_risk));
            if (risk < best) {
                best = risk;
                target = &view;
            }
        }
        if (!target) {
            return Error{errc::kInvalidField, "there is no appliance '" + addition.appliance + "'",
                         path + "appliance"};
        }
        target->nodes.push_back(newNodeView(addition.spec.name + "-passive", addition.spec));
        ensureGroup(*target, addition.spec.group, loaded.groups);
    }
    return Done{};
}

// Each appliance on its own, with the clusters placed on it: the engine would place them
// itself given several appliances. Foreign load is taken off the host.
sizing::Fleet applianceFleet(const ApplianceSlot& slot, const policy::ApplianceView& view,
                             double target_risk) {
    sizing::Fleet fleet;
    fleet.target_risk = target_risk;
    fleet.cpu_overcommit = slot.config.cpu_overcommit;
    const double overcommit = slot.config.cpu_overcommit;
    fleet.appliances.push_back(sizing::ApplianceSpec{
        slot.config.name,
        slot.config.reserve_vcpus +
            static_cast<std::int64_t>(static_cast<double>(view.usable.vcpus - view.foreign.vcpus) /
                                      overcommit),
        slot.config.reserve_memory_mib + view.usable.memory_mib - view.foreign.memory_mib,
        slot.config.reserve_vcpus, slot.config.reserve_memory_mib});
    fleet.groups = view.groups;
    for (const policy::NodeView& node : view.nodes) {
        fleet.clusters.push_back(node.spec);
    }
    return fleet;
}

void mergeSizing(const std::string& appliance, sizing::SizingResult sized,
                 sizing::SizingResult& into) {
    into.method = sized.method;
    into.exact = into.exact && sized.exact;
    into.cpu_overcommit = sized.cpu_overcommit;
    for (sizing::ApplianceResult& result : sized.appliances) {
        into.appliances.push_back(std::move(result));
    }
    for (std::string& warning : sized.warnings) {
        into.warnings.push_back(appliance + ": " + warning);
    }
    into.baselines = sized.baselines;
}

}  // namespace

Result<WhatIfOutcome> CoreViews::whatIf(const WhatIfRequest& request) const {
    auto loaded = loadWhatIfViews(context_);
    if (!loaded) {
        return loaded.error();
    }
    if (Status removed = removeClustersAndSetCapacity(context_, request, *loaded); !removed) {
        return removed.error();
    }
    if (Status added = addClusters(context_, request, *loaded); !added) {
        return added.error();
    }
    WhatIfOutcome outcome;
    outcome.sizing.target_risk = context_.config.policy.target_risk;
    for (std::size_t i = 0; i < request.fail.size(); ++i) {
        if (!loaded->hasCluster(request.fail[i]) &&
            std::none_of(request.add.begin(), request.add.end(),
                         [&](const WhatIfAddition& a) { return a.spec.name == request.fail[i]; })) {
            return Error{errc::kInvalidField, "there is no cluster '" + request.fail[i] + "'",
                         "fail[" + std::to_string(i) + "]"};
        }
    }
    for (auto& [slot, view] : loaded->views) {
        std::vector<std::string> failing;
        for (const policy::NodeView& node : view.nodes) {
            if (std::find(request.fail.begin(), request.fail.end(), node.cluster) !=
                request.fail.end()) {
                failing.push_back(node.name);
            }
        }
        policy::WhatIfSimulation simulated =
            policy::simulateWhatIf(view, failing, context_.policy());
        for (policy::WhatIfTakeover& takeover : simulated.takeovers) {
            outcome.takeovers.push_back(std::move(takeover));
        }
        outcome.free_after.push_back({slot->config.name, simulated.free_after});
        sizing::Fleet fleet = applianceFleet(*slot, view, context_.config.policy.target_risk);
        if (fleet.clusters.empty()) {
            continue;
        }
        mergeSizing(slot->config.name, sizing::size(fleet), outcome.sizing);
    }
    return outcome;
}

Result<db::Id> CoreViews::lastEventId() const {
    auto latest = context_.store->readView(
        [](db::Database& database) { return db::EventLog(database).latestId(); });
    if (!latest) {
        return latest.error();
    }
    return latest->value_or(0);
}

}  // namespace understudy::core

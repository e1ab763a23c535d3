#include "appliance/appliance_core.h"

#include <QLoggingCategory>
#include <QUuid>

#include <algorithm>
#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "appliance/appliance_worker.h"
#include "appliance/domain_xml.h"
#include "appliance/libvirt_hypervisor.h"
#include "appliance/node_lifecycle.h"
#include "appliance/reconciler.h"
#include "db/appliance_repository.h"
#include "db/cluster_repository.h"
#include "db/cluster_stats_repository.h"
#include "db/database.h"
#include "db/event_log.h"
#include "db/grant_repository.h"
#include "db/group_repository.h"
#include "db/node_repository.h"
#include "sizing/engine.h"
#include "sizing/fleet_file.h"

namespace understudy::appliance {

namespace {

Q_LOGGING_CATEGORY(lcCore, "understudy.appliance")

using nlohmann::json;

sizing::Footprint toSizing(const db::Footprint& footprint) {
    return {footprint.vcpus, footprint.memoryMib};
}
db::Footprint toDb(const sizing::Footprint& footprint) {
    return {footprint.vcpus, footprint.memory_mib};
}
sizing::MemoryMode toSizing(db::MemoryMode mode) {
    return mode == db::MemoryMode::Reserved ? sizing::MemoryMode::reserved
                                            : sizing::MemoryMode::balloon;
}
db::MemoryMode toDb(sizing::MemoryMode mode) {
    return mode == sizing::MemoryMode::reserved ? db::MemoryMode::Reserved
                                                : db::MemoryMode::Balloon;
}

json footprintJson(const sizing::Footprint& footprint) {
    return {{"memory_mib", footprint.memory_mib}, {"vcpus", footprint.vcpus}};
}

json risksJson(const std::array<double, sizing::kResourceCount>& risks) {
    return {{"memory_mib", risks[0]}, {"vcpus", risks[1]}};
}

json denialJson(const Denial& denial) {
    json holders = json::array();
    for (const Holder& holder : denial.holders) {
        holders.push_back({{"node", holder.node},
                           {"cluster", holder.cluster},
                           {"priority", holder.priority},
                           {"state", std::string(db::nodeStateName(holder.state))},
                           {"holds", holder.holds}});
    }
    json tried = json::array();
    for (ContentionStep step : denial.tried) {
        tried.push_back(contentionStepName(step));
    }
    return {{"resource", sizing::resourceName(denial.resource)},
            {"needed", denial.needed},
            {"free", denial.free},
            {"holders", holders},
            {"preemptable", denial.preemptable},
            {"tried", tried}};
}

json admissionJson(const std::string& appliance, const AdmissionDecision& decision,
                   const std::vector<std::string>& clusters) {
    json unservable = json::array();
    for (const sizing::Unservable& item : decision.unservable) {
        unservable.push_back({{"cluster", item.cluster},
                              {"resource", sizing::resourceName(item.resource)},
                              {"needed", item.needed},
                              {"available", item.available}});
    }
    return {{"appliance", appliance},
            {"clusters", clusters},
            {"overflow_risk", risksJson(decision.overflow_risk)},
            {"overflow_risk_before", risksJson(decision.overflow_risk_before)},
            {"target_risk", decision.target_risk},
            {"unservable", unservable},
            {"reason", decision.reason}};
}

db::DBEvent makeEvent(std::string kind, std::optional<std::string> cluster,
                      std::optional<std::string> node, const json& details) {
    db::DBEvent made;
    made.time = db::nowMs();
    made.kind = std::move(kind);
    made.cluster = std::move(cluster);
    made.node = std::move(node);
    made.details = details.is_object() ? details.dump() : std::string("{}");
    return made;
}

Error notFound(const std::string& what, const std::string& name) {
    return Error{"not_found", "there is no " + what + " named '" + name + "'; check the name", {}};
}

Error stateConflict(const std::string& action, const std::string& node, db::NodeState state) {
    const std::string name(db::nodeStateName(state));
    return Error{"conflict",
                 "cannot " + action + " node '" + node + "' while it is " + name +
                     "; power it on or resolve its state first",
                 name};
}

Error unavailable(const std::string& appliance, const std::string& reason) {
    return Error{"hypervisor_unavailable",
                 "appliance '" + appliance + "' is disconnected" +
                     (reason.empty() ? std::string() : " (" + reason + ")") +
                     "; retry once it is back",
                 appliance};
}

bool raisesRisk(const AdmissionDecision& decision) {
    for (std::size_t r = 0; r < decision.overflow_risk.size(); ++r) {
        if (decision.overflow_risk[r] > decision.overflow_risk_before[r]) {
            return true;
        }
    }
    return !decision.unservable.empty();
}

double worstRisk(const std::array<double, sizing::kResourceCount>& risks) {
    return *std::max_element(risks.begin(), risks.end());
}

Status checkSpec(const sizing::ClusterSpec& spec, const std::string& path) {
    auto invalid = [&](const std::string& field, const std::string& why) {
        return Error{"invalid_field", "cluster '" + spec.name + "': " + why, path + field};
    };
    if (auto problem = sizing::nameProblem(spec.name)) {
        return invalid("name", *problem);
    }
    if (spec.priority < 0 || spec.priority > 1000) {
        return invalid("priority", "the priority must be 0 to 1000");
    }
    if (!(spec.mtbf_hours > 0) || !(spec.mttr_hours >= 0)) {
        return invalid("mtbf_hours", "MTBF must be positive and MTTR at least 0");
    }
    if (spec.standby.vcpus < 1 || spec.standby.memory_mib < 1) {
        return invalid("standby", "the standby footprint needs at least 1 vCPU and 1 MiB");
    }
    if (spec.active.vcpus < spec.standby.vcpus ||
        spec.active.memory_mib < spec.standby.memory_mib) {
        return invalid("active", "the active footprint must be at least the standby footprint");
    }
    return Done{};
}

}  // namespace

const char* powerActionName(PowerAction action) {
    switch (action) {
        case PowerAction::on:
            return "on";
        case PowerAction::off:
            return "off";
        case PowerAction::reboot:
            return "reboot";
        case PowerAction::status:
            return "status";
    }
    return "status";
}

// One appliance: its worker, its hypervisor and what was last seen of it.
struct Slot {
    ApplianceConfig config;
    db::Id id = 0;
    std::unique_ptr<ApplianceWorker> worker;
    std::optional<DomainTemplate> domain_template;
    std::string template_error;
    std::atomic<bool> reconcile_queued{false};

    // Written on the worker only (under `mutex`, for the test accessor).
    std::unique_ptr<LibvirtHypervisor> hypervisor;
    CpuCapMethod cpu_method = CpuCapMethod::live_vcpus;

    // The cache the read-only views use.
    mutable std::mutex mutex;
    bool connected = false;
    std::string last_error;
    sizing::Footprint usable;
    sizing::Footprint foreign;
    std::map<std::string, sizing::Footprint> current;  // running owned domains, by name

    NodeLifecycle lifecycle(std::chrono::milliseconds timeout) const {
        return NodeLifecycle(*hypervisor, cpu_method, timeout);
    }
    bool usable_now() const {
        const std::lock_guard lock(mutex);
        return connected && hypervisor != nullptr;
    }
};

// Everything the core knows about one node, read in one go.
struct NodeRow {
    db::DBNode node;
    db::DBCluster cluster;
    std::string group;
    std::optional<db::DBGrant> grant;

    sizing::ClusterSpec spec() const {
        return sizing::ClusterSpec{cluster.name,
                                   cluster.priority,
                                   cluster.mtbfHours,
                                   cluster.mttrHours,
                                   group,
                                   toSizing(cluster.standby),
                                   toSizing(cluster.active),
                                   toSizing(cluster.memoryMode)};
    }
    NodeMetadata metadata() const {
        const sizing::ClusterSpec s = spec();
        return NodeMetadata{s.name, node.name, s.standby, s.active, s.memory_mode};
    }
    // What the running domain should hold now.
    sizing::Footprint expectedLive() const {
        if (grant &&
            (node.state == db::NodeState::Active || node.state == db::NodeState::TakingOver ||
             node.state == db::NodeState::Releasing)) {
            return {grant->vcpus, grant->memoryMib};
        }
        return spec().effectiveStandby();
    }
};

// The inventory of one appliance as the database has it.
struct Inventory {
    std::vector<NodeRow> rows;
    std::vector<sizing::GroupSpec> groups;  // all groups
    std::map<db::Id, std::string> node_names;

    const NodeRow* find(const std::string& node) const {
        for (const NodeRow& row : rows) {
            if (row.node.name == node) {
                return &row;
            }
        }
        return nullptr;
    }
};

struct ApplianceCore::Impl {
    CoreConfig config;
    std::string database_path;
    std::string default_template;
    ApplianceCore* core = nullptr;

    std::mutex db_mutex;  // never held across a libvirt call
    std::unique_ptr<db::Database> writer;
    mutable std::mutex reader_mutex;
    std::unique_ptr<db::Database> reader;

    std::unique_ptr<ApplianceWorker> inventory_worker;
    std::vector<std::unique_ptr<Slot>> slot_list;

    ArbitrationPolicy policy() const { return ArbitrationPolicy{config.policy.contention}; }

    Slot* slot(const std::string& name) const {
        for (const auto& candidate : slot_list) {
            if (candidate->config.name == name) {
                return candidate.get();
            }
        }
        return nullptr;
    }
    Slot* slot(db::Id id) const {
        for (const auto& candidate : slot_list) {
            if (candidate->id == id) {
                return candidate.get();
            }
        }
        return nullptr;
    }

    // ---- the database ----

    // Runs `change` and appends the events it collects in one transaction, committed (durable)
    // before it returns; then tells the listeners.
    Status commit(const std::function<Status(db::Database&, std::vector<db::DBEvent>&)>& change) {
        db::Id last = 0;
        {
            const std::lock_guard lock(db_mutex);
            auto transaction = writer->transaction();
            if (!transaction) {
                return transaction.error();
            }
            std::vector<db::DBEvent> events;
            Status changed = change(*writer, events);
            if (!changed) {
                return changed;
            }
            if (!events.empty()) {
                auto ids = db::EventLog(*writer).append(events);
                if (!ids) {
                    return ids.error();
                }
                last = ids->back();
            }
            Status committed = transaction->commit();
            if (!committed) {
                return committed;
            }
        }
        if (last != 0) {
            emit core->eventsAppended(last);
        }
        return Done{};
    }

    Status commitEvents(std::vector<db::DBEvent> events) {
        return commit([&](db::Database&, std::vector<db::DBEvent>& out) -> Status {
            out = std::move(events);
            return Done{};
        });
    }

    template <typename F>
    auto read(F work) -> decltype(work(std::declval<db::Database&>())) {
        const std::lock_guard lock(db_mutex);
        return work(*writer);
    }

    template <typename F>
    auto readView(F work) const -> decltype(work(std::declval<db::Database&>())) {
        const std::lock_guard lock(reader_mutex);
        auto snapshot = reader->snapshot();
        if (!snapshot) {
            return snapshot.error();
        }
        return work(*reader);
    }

    static Result<std::map<db::Id, std::string>> groupNames(db::Database& database) {
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

    static Result<Inventory> loadInventory(db::Database& database, db::Id appliance_id) {
        Inventory inventory;
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

    static Result<std::optional<NodeRow>> loadNode(db::Database& database,
                                                   const std::string& name) {
        auto node = db::NodeRepository(database).byName(name);
        if (!node) {
            return node.error();
        }
        if (!*node) {
            return std::optional<NodeRow>();
        }
        auto inventory = loadInventory(database, (*node)->applianceId);
        if (!inventory) {
            return inventory.error();
        }
        const NodeRow* row = inventory->find(name);
        return row ? std::optional<NodeRow>(*row) : std::optional<NodeRow>();
    }

    ApplianceView view(const Slot& slot, const Inventory& inventory) const {
        ApplianceView made;
        made.name = slot.config.name;
        made.cpu_overcommit = slot.config.cpu_overcommit;
        {
            const std::lock_guard lock(slot.mutex);
            made.usable = slot.usable;
            made.foreign = slot.foreign;
        }
        std::set<std::string> used_groups;
        for (const NodeRow& row : inventory.rows) {
            NodeView node;
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

    // ---- small libvirt helpers (on the appliance's worker) ----

    void remember(Slot& slot, const std::string& domain) {
        auto info = slot.hypervisor->domainInfo(domain);
        std::optional<sizing::Footprint> live;
        if (info && info->active()) {
            auto footprint = slot.lifecycle(config.policy.confirm_timeout).live(*info);
            if (footprint) {
                live = sizing::Footprint{footprint->vcpus, footprint->memory_mib};
            }
        }
        const std::lock_guard lock(slot.mutex);
        if (live) {
            slot.current[domain] = *live;
        } else {
            slot.current.erase(domain);
        }
    }

    Status requireConnected(const Slot& slot) const {
        const std::lock_guard lock(slot.mutex);
        if (!slot.connected || !slot.hypervisor) {
            return unavailable(slot.config.name, slot.last_error);
        }
        return Done{};
    }

    // Starts preempted nodes again, highest priority first, while they fit.
    void restorePreempted(Slot& slot) {
        if (!config.policy.restore_preempted) {
            return;
        }
        auto inventory =
            read([&](db::Database& database) { return loadInventory(database, slot.id); });
        if (!inventory) {
            qCWarning(lcCore, "%s: cannot read the inventory to restore preempted nodes: %s",
                      slot.config.name.c_str(), inventory.error().describe().c_str());
            return;
        }
        const std::vector<std::string> names = nodesToRestore(view(slot, *inventory));
        for (const std::string& name : names) {
            const NodeRow* row = inventory->find(name);
            if (!row) {
                continue;
            }
            const sizing::ClusterSpec spec = row->spec();
            Status started =
                slot.lifecycle(config.policy.confirm_timeout)
                    .startAt(row->node.domain, spec.effectiveStandby(), spec.active.vcpus);
            remember(slot, row->node.domain);
            if (!started) {
                qCWarning(lcCore, "%s: cannot restore preempted node %s: %s",
                          slot.config.name.c_str(), name.c_str(),
                          started.error().describe().c_str());
                continue;
            }
            Status committed = commit([&](db::Database& database, auto& events) -> Status {
                auto moved = db::NodeRepository(database).setState(
                    row->node.id, db::NodeState::Standby, db::nowMs());
                if (!moved) {
                    return moved.error();
                }
                events.push_back(
                    makeEvent("restored", row->cluster.name, name,
                              {{"appliance", slot.config.name}, {"domain", row->node.domain}}));
                return Done{};
            });
            if (!committed) {
                qCWarning(lcCore, "%s: restored node %s but cannot record it: %s",
                          slot.config.name.c_str(), name.c_str(),
                          committed.error().describe().c_str());
            }
        }
    }

    // ---- operations on a node (on its appliance's worker) ----

    Result<TakeoverOutcome> takeover(Slot& slot, const std::string& name);
    Status release(Slot& slot, const std::string& name);
    Result<PowerState> power(Slot& slot, const std::string& name, PowerAction action);
    Status reconcile(Slot& slot);
    void scheduleReconcile(Slot& slot);
    void connect(Slot& slot);
    void attachHandlers(Slot& slot);
    void onConnectionEvent(Slot& slot, const ConnectionEvent& change);

    // ---- inventory (on the inventory worker) ----
    Result<RegistrationOutcome> registerClusters(const RegistrationRequest& request);
    Result<ChangeOutcome> changeCluster(const std::string& name, const ClusterChange& change);
    Status removeCluster(const std::string& name);
    Result<ChangeOutcome> changeGroup(const std::string& name, const GroupChange& change);

    struct Provisioned {
        std::string cluster;
        std::string node;
        std::string domain;
        std::string uuid;
        bool defined_by_service = false;
    };
    Result<Provisioned> provision(Slot& slot, const ClusterRegistration& cluster,
                                  const std::string& node, const std::string& path);
    void unprovision(Slot& slot, const Provisioned& provisioned);
    Result<std::string> defineFromTemplate(Slot& slot, const std::string& domain,
                                           const std::string& uuid, const NodeMetadata& metadata);

    Result<ChangeOutcome> admit(
        const std::vector<std::pair<Slot*, std::pair<ApplianceView, ApplianceView>>>& changes,
        const std::vector<std::string>& clusters, std::vector<db::DBEvent>& accepted_events);

    GrantView grantView(const db::DBGrant& grant,
                        const std::map<db::Id, std::string>& names) const {
        GrantView made{{grant.vcpus, grant.memoryMib}, grant.partial, {}, grant.grantedAt};
        for (db::Id id : grant.preemptedNodeIds) {
            auto found = names.find(id);
            made.preempted.push_back(found != names.end() ? found->second : std::to_string(id));
        }
        return made;
    }
};

// ------------------------------------------------------------------------------------------
// Takeover, release, power

Result<TakeoverOutcome> ApplianceCore::Impl::takeover(Slot& slot, const std::string& name) {
    if (Status connected = requireConnected(slot); !connected) {
        return connected.error();
    }
    auto inventory = read([&](db::Database& database) { return loadInventory(database, slot.id); });
    if (!inventory) {
        return inventory.error();
    }
    const NodeRow* found = inventory->find(name);
    if (!found) {
        return notFound("node", name);
    }
    const NodeRow row = *found;
    if ((row.node.state == db::NodeState::Active || row.node.state == db::NodeState::TakingOver) &&
        row.grant) {
        return TakeoverOutcome{name, true, grantView(*row.grant, inventory->node_names), {}};
    }
    if (!canTakeOver(row.node.state)) {
        return stateConflict("take over", name, row.node.state);
    }
    const ApplianceView snapshot = view(slot, *inventory);
    const TakeoverDecision decision = decideTakeover(snapshot, name, policy());
    const std::string cluster = row.cluster.name;
    if (!decision.granted) {
        const Denial denial = decision.denial.value_or(Denial{});
        Status logged = commitEvents(
            {makeEvent("takeover.requested", cluster, name, {{"appliance", slot.config.name}}),
             makeEvent("takeover.denied", cluster, name, {{"denial", denialJson(denial)}})});
        if (!logged) {
            return logged.error();
        }
        return TakeoverOutcome{name, false, std::nullopt, denial};
    }

    // Reserve first, in the books, under the appliance's lock (this worker).
    Status reserved = commit([&](db::Database& database, auto& events) -> Status {
        auto moved = db::NodeRepository(database).setState(row.node.id, db::NodeState::TakingOver,
                                                           db::nowMs());
        if (!moved) {
            return moved.error();
        }
        events.push_back(makeEvent("takeover.requested", cluster, name,
                                   {{"appliance", slot.config.name},
                                    {"grant", footprintJson(decision.grant)},
                                    {"partial", decision.partial},
                                    {"preempt", decision.preempt}}));
        return Done{};
    });
    if (!reserved) {
        return reserved.error();
    }

    NodeLifecycle lifecycle = slot.lifecycle(config.policy.confirm_timeout);
    std::vector<const NodeRow*> preempted;
    auto rollBack = [&](const Error& failure) -> Error {
        const sizing::ClusterSpec spec = row.spec();
        Status shrunk =
            lifecycle.apply(row.node.domain, spec.effectiveStandby(), spec.active.vcpus);
        if (!shrunk) {
            qCWarning(lcCore, "%s: cannot shrink %s back to standby after a failed takeover: %s",
                      slot.config.name.c_str(), name.c_str(), shrunk.error().describe().c_str());
        }
        remember(slot, row.node.domain);
        Status recorded = commit([&](db::Database& database, auto& events) -> Status {
            auto moved =
                db::NodeRepository(database).setState(row.node.id, row.node.state, db::nowMs());
            if (!moved) {
                return moved.error();
            }
            events.push_back(makeEvent("takeover.denied", cluster, name,
                                       {{"error", failure.describe()}, {"rolled_back", true}}));
            return Done{};
        });
        if (!recorded) {
            qCWarning(lcCore, "%s: cannot record the rollback of %s: %s", slot.config.name.c_str(),
                      name.c_str(), recorded.error().describe().c_str());
        }
        restorePreempted(slot);
        return failure;
    };

    for (const std::string& victim : decision.preempt) {
        const NodeRow* target = inventory->find(victim);
        if (!target) {
            return rollBack(Error{"internal", "the arbiter chose unknown node '" + victim + "'",
                                  slot.config.name});
        }
        Status saved = slot.hypervisor->managedSave(target->node.domain);
        remember(slot, target->node.domain);
        if (!saved) {
            return rollBack(saved.error());
        }
        Status recorded = commit([&](db::Database& database, auto& events) -> Status {
            auto moved = db::NodeRepository(database).setState(
                target->node.id, db::NodeState::Preempted, db::nowMs());
            if (!moved) {
                return moved.error();
            }
            events.push_back(makeEvent("preempted", target->cluster.name, victim,
                                       {{"for", name},
                                        {"for_cluster", cluster},
                                        {"appliance", slot.config.name},
                                        {"priority", target->cluster.priority}}));
            return Done{};
        });
        if (!recorded) {
            return rollBack(recorded.error());
        }
        preempted.push_back(target);
    }

    Status grown = lifecycle.apply(row.node.domain, decision.grant, row.cluster.active.vcpus);
    remember(slot, row.node.domain);
    if (!grown) {
        return rollBack(grown.error());
    }

    db::DBGrant grant;
    grant.nodeId = row.node.id;
    grant.memoryMib = decision.grant.memory_mib;
    grant.vcpus = decision.grant.vcpus;
    grant.partial = decision.partial;
    grant.grantedAt = db::nowMs();
    for (const NodeRow* victim : preempted) {
        grant.preemptedNodeIds.push_back(victim->node.id);
    }
    Status granted = commit([&](db::Database& database, auto& events) -> Status {
        auto opened = db::GrantRepository(database).open(grant);
        if (!opened) {
            return opened.error();
        }
        auto moved = db::NodeRepository(database).setState(row.node.id, db::NodeState::Active,
                                                           grant.grantedAt);
        if (!moved) {
            return moved.error();
        }
        Status counted =
            db::ClusterStatsRepository(database).recordTakeover(row.cluster.id, grant.grantedAt);
        if (!counted) {
            return counted;
        }
        events.push_back(makeEvent("takeover.granted", cluster, name,
                                   {{"appliance", slot.config.name},
                                    {"grant", footprintJson(decision.grant)},
                                    {"partial", decision.partial},
                                    {"preempted", decision.preempt}}));
        return Done{};
    });
    if (!granted) {
        return rollBack(granted.error());
    }
    return TakeoverOutcome{name, true, grantView(grant, inventory->node_names), std::nullopt};
}

Status ApplianceCore::Impl::release(Slot& slot, const std::string& name) {
    if (Status connected = requireConnected(slot); !connected) {
        return connected;
    }
    auto found = read([&](db::Database& database) { return loadNode(database, name); });
    if (!found) {
        return found.error();
    }
    if (!*found) {
        return notFound("node", name);
    }
    const NodeRow row = **found;
    if (row.node.state == db::NodeState::Standby) {
        return Done{};
    }
    if (row.node.state != db::NodeState::Active && row.node.state != db::NodeState::TakingOver &&
        row.node.state != db::NodeState::Releasing) {
        return stateConflict("release", name, row.node.state);
    }
    const sizing::ClusterSpec spec = row.spec();
    Status shrunk = slot.lifecycle(config.policy.confirm_timeout)
                        .apply(row.node.domain, spec.effectiveStandby(), spec.active.vcpus);
    remember(slot, row.node.domain);
    if (!shrunk) {
        return shrunk;
    }
    Status released = commit([&](db::Database& database, auto& events) -> Status {
        const db::TimeMs now = db::nowMs();
        auto closed = db::GrantRepository(database).release(row.node.id, now);
        if (!closed) {
            return closed.error();
        }
        auto moved =
            db::NodeRepository(database).setState(row.node.id, db::NodeState::Standby, now);
        if (!moved) {
            return moved.error();
        }
        Status counted = db::ClusterStatsRepository(database).recordRelease(row.cluster.id, now);
        if (!counted) {
            return counted;
        }
        json details = {{"appliance", slot.config.name}};
        if (row.grant) {
            details["held"] = footprintJson({row.grant->vcpus, row.grant->memoryMib});
        }
        events.push_back(makeEvent("release", row.cluster.name, name, details));
        return Done{};
    });
    if (!released) {
        return released;
    }
    restorePreempted(slot);
    return Done{};
}

Result<PowerState> ApplianceCore::Impl::power(Slot& slot, const std::string& name,
                                              PowerAction action) {
    if (Status connected = requireConnected(slot); !connected) {
        return connected.error();
    }
    auto found = read([&](db::Database& database) { return loadNode(database, name); });
    if (!found) {
        return found.error();
    }
    if (!*found) {
        return notFound("node", name);
    }
    const NodeRow row = **found;
    const std::string& domain = row.node.domain;
    auto info = slot.hypervisor->domainInfo(domain);
    if (!info) {
        if (info.error().code == "domain_not_found") {
            return stateConflict(std::string("power ") + powerActionName(action), name,
                                 db::NodeState::Missing);
        }
        return info.error();
    }
    const bool running = info->active();
    if (action == PowerAction::status) {
        return running ? PowerState::on : PowerState::off;
    }
    const sizing::ClusterSpec spec = row.spec();
    NodeLifecycle lifecycle = slot.lifecycle(config.policy.confirm_timeout);
    std::optional<db::NodeState> next;
    bool close_grant = false;
    Status done = Done{};
    switch (action) {
        case PowerAction::on:
            if (!running) {
                done = lifecycle.startAt(domain, spec.effectiveStandby(), spec.active.vcpus);
                next = db::NodeState::Standby;
                close_grant = row.grant.has_value();
            } else if (row.node.state != db::NodeState::Active &&
                       row.node.state != db::NodeState::TakingOver) {
                done = lifecycle.apply(domain, spec.effectiveStandby(), spec.active.vcpus);
                next = db::NodeState::Standby;
            }
            break;
        case PowerAction::off:
            if (running) {
                done = slot.hypervisor->destroy(domain);
            }
            next = db::NodeState::Fenced;
            close_grant = row.grant.has_value();
            break;
        case PowerAction::reboot:
            if (running) {
                done = slot.hypervisor->reset(domain);
            } else {
                done = lifecycle.startAt(domain, spec.effectiveStandby(), spec.active.vcpus);
                next = db::NodeState::Standby;
                close_grant = row.grant.has_value();
            }
            break;
        case PowerAction::status:
            break;
    }
    remember(slot, domain);
    if (!done) {
        return done.error();
    }
    const std::string kind = std::string("fence.") + powerActionName(action);
    Status recorded = commit([&](db::Database& database, auto& events) -> Status {
        const db::TimeMs now = db::nowMs();
        if (close_grant) {
            auto closed = db::GrantRepository(database).release(row.node.id, now);
            if (!closed) {
                return closed.error();
            }
            Status counted =
                db::ClusterStatsRepository(database).recordRelease(row.cluster.id, now);
            if (!counted) {
                return counted;
            }
        }
        if (next) {
            auto moved = db::NodeRepository(database).setState(row.node.id, *next, now);
            if (!moved) {
                return moved.error();
            }
        }
        events.push_back(makeEvent(kind, row.cluster.name, name,
                                   {{"appliance", slot.config.name},
                                    {"domain", domain},
                                    {"was", std::string(db::nodeStateName(row.node.state))},
                                    {"grant_released", close_grant}}));
        return Done{};
    });
    if (!recorded) {
        return recorded.error();
    }
    if (action == PowerAction::off) {
        restorePreempted(slot);
    }
    return action == PowerAction::off ? PowerState::off : PowerState::on;
}

// ------------------------------------------------------------------------------------------
// Connection and reconciliation

void ApplianceCore::Impl::scheduleReconcile(Slot& slot) {
    if (slot.reconcile_queued.exchange(true)) {
        return;
    }
    const bool queued = slot.worker->post([this, &slot] {
        Status reconciled = reconcile(slot);
        if (!reconciled) {
            qCWarning(lcCore, "%s: reconciliation failed: %s", slot.config.name.c_str(),
                      reconciled.error().describe().c_str());
        }
    });
    if (!queued) {
        slot.reconcile_queued = false;
    }
}

void ApplianceCore::Impl::attachHandlers(Slot& slot) {
    slot.hypervisor->setEventHandlers(
        [this, &slot](const DomainEvent& change) {
            // Balloon changes follow our own takeovers and releases; lifecycle events may be
            // someone else's hand on a domain.
            if (change.type != DomainEventType::balloon_changed) {
                scheduleReconcile(slot);
            }
        },
        [this, &slot](const ConnectionEvent& change) {
            slot.worker->post([this, &slot, change] { onConnectionEvent(slot, change); });
        });
}

void ApplianceCore::Impl::onConnectionEvent(Slot& slot, const ConnectionEvent& change) {
    bool was_connected = false;
    const bool now_connected = change.state == ConnectionState::connected;
    {
        const std::lock_guard lock(slot.mutex);
        was_connected = slot.connected;
        slot.connected = now_connected;
        if (!now_connected) {
            slot.last_error = change.reason;
            slot.current.clear();
        } else {
            slot.last_error.clear();
        }
    }
    if (was_connected == now_connected) {
        return;
    }
    const char* kind = now_connected ? "hypervisor.connected" : "hypervisor.disconnected";
    json details = {{"appliance", slot.config.name}, {"uri", slot.config.uri}};
    if (now_connected) {
        details["failed_attempts"] = change.failed_attempts;
    } else {
        details["reason"] = change.reason;
    }
    Status logged = commitEvents({makeEvent(kind, std::nullopt, std::nullopt, details)});
    if (!logged) {
        qCWarning(lcCore, "%s: cannot record %s: %s", slot.config.name.c_str(), kind,
                  logged.error().describe().c_str());
    }
    if (now_connected) {
        Status reconciled = reconcile(slot);
        if (!reconciled) {
            qCWarning(lcCore, "%s: reconciliation after reconnecting failed: %s",
                      slot.config.name.c_str(), reconciled.error().describe().c_str());
        }
    }
}

void ApplianceCore::Impl::connect(Slot& slot) {
    auto opened = LibvirtHypervisor::open(slot.config.uri);
    if (!opened) {
        bool first = false;
        {
            const std::lock_guard lock(slot.mutex);
            first = slot.last_error.empty();
            slot.last_error = opened.error().message;
        }
        qCWarning(lcCore, "%s: cannot connect to %s: %s; retrying in %lld ms",
                  slot.config.name.c_str(), slot.config.uri.c_str(), opened.error().message.c_str(),
                  static_cast<long long>(config.policy.connect_retry.count()));
        if (first) {
            Status logged =
                commitEvents({makeEvent("hypervisor.disconnected", std::nullopt, std::nullopt,
                                        {{"appliance", slot.config.name},
                                         {"uri", slot.config.uri},
                                         {"reason", opened.error().message}})});
            if (!logged) {
                qCWarning(lcCore, "cannot record the disconnection: %s",
                          logged.error().describe().c_str());
            }
        }
        slot.worker->postAfter(config.policy.connect_retry, [this, &slot] { connect(slot); });
        return;
    }
    bool retried = false;
    {
        const std::lock_guard lock(slot.mutex);
        slot.hypervisor = std::move(*opened);
        retried = !slot.last_error.empty();
    }
    auto scheduler = slot.hypervisor->supportsSchedulerCap();
    slot.cpu_method =
        scheduler && *scheduler ? CpuCapMethod::scheduler_quota : CpuCapMethod::live_vcpus;
    attachHandlers(slot);
    {
        const std::lock_guard lock(slot.mutex);
        slot.connected = true;
        slot.last_error.clear();
    }
    if (retried) {
        Status logged = commitEvents({makeEvent(
            "hypervisor.connected", std::nullopt, std::nullopt,
            {{"appliance", slot.config.name}, {"uri", slot.config.uri}, {"failed_attempts", 1}})});
        if (!logged) {
            qCWarning(lcCore, "cannot record the connection: %s",
                      logged.error().describe().c_str());
        }
    }
    Status reconciled = reconcile(slot);
    if (!reconciled) {
        qCWarning(lcCore, "%s: first reconciliation failed: %s", slot.config.name.c_str(),
                  reconciled.error().describe().c_str());
    }
}

Result<std::string> ApplianceCore::Impl::defineFromTemplate(Slot& slot, const std::string& domain,
                                                            const std::string& uuid,
                                                            const NodeMetadata& metadata) {
    if (!slot.domain_template) {
        return Error{"invalid_config", slot.template_error, slot.config.name};
    }
    const DomainSpec spec{domain, uuid, metadata, slot.cpu_method == CpuCapMethod::scheduler_quota};
    auto xml = renderDomainXml(*slot.domain_template, spec);
    if (!xml) {
        return xml.error();
    }
    auto defined = slot.hypervisor->defineDomain(*xml);
    if (!defined) {
        return defined.error();
    }
    return defined->uuid;
}

Status ApplianceCore::Impl::reconcile(Slot& slot) {
    slot.reconcile_queued = false;
    if (!slot.hypervisor || !slot.hypervisor->connected()) {
        return Done{};
    }
    auto host = slot.hypervisor->hostCapacity();
    if (!host) {
        return host.error();
    }
    auto domains = slot.hypervisor->listDomains();
    if (!domains) {
        return domains.error();
    }
    auto inventory = read([&](db::Database& database) { return loadInventory(database, slot.id); });
    if (!inventory) {
        return inventory.error();
    }
    NodeLifecycle lifecycle = slot.lifecycle(config.policy.confirm_timeout);

    std::map<std::string, const DomainInfo*> by_name;
    for (const DomainInfo& info : *domains) {
        by_name[info.name] = &info;
    }
    std::set<std::string> ours;
    for (const NodeRow& row : inventory->rows) {
        ours.insert(row.node.domain);
    }
    sizing::Footprint foreign;
    for (const DomainInfo& info : *domains) {
        // Foreign means without Understudy's metadata (PRODUCT.md): a domain of ours that has
        // no row yet is one being registered right now, not someone else's load.
        if (info.active() && ours.count(info.name) == 0 && !info.owned) {
            foreign.memory_mib += info.memoryMib();
            foreign.vcpus += info.vcpus;
        }
    }
    {
        const std::lock_guard lock(slot.mutex);
        slot.usable.memory_mib = host->memory_mib - slot.config.reserve_memory_mib;
        slot.usable.vcpus =
            static_cast<std::int64_t>(static_cast<double>(host->cpus - slot.config.reserve_vcpus) *
                                      slot.config.cpu_overcommit);
        slot.foreign = foreign;
    }

    struct Change {
        const NodeRow* row = nullptr;
        db::NodeState next = db::NodeState::Standby;
        bool close_grant = false;
        std::optional<std::string> uuid;
        db::DBEvent recorded;
    };
    std::vector<Change> changes;
    std::map<std::string, sizing::Footprint> current;
    for (const NodeRow& row : inventory->rows) {
        const db::NodeState state = row.node.state;
        const std::string was(db::nodeStateName(state));
        auto found = by_name.find(row.node.domain);
        if (found == by_name.end()) {
            if (slot.config.recreate_missing) {
                const std::string uuid = row.node.uuid.value_or(
                    QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString());
                auto defined = defineFromTemplate(slot, row.node.domain, uuid, row.metadata());
                const bool runs = expectsRunning(state) || state == db::NodeState::Missing;
                const db::NodeState next =
                    state == db::NodeState::Missing || state == db::NodeState::Drifted
                        ? db::NodeState::Standby
                        : state;
                const sizing::Footprint live = next == db::NodeState::Standby
                                                   ? row.spec().effectiveStandby()
                                                   : row.expectedLive();
                Status started = defined ? Status(Done{}) : Status(defined.error());
                if (started && runs) {
                    started = lifecycle.startAt(row.node.domain, live, row.cluster.active.vcpus);
                }
                if (started) {
                    qCInfo(lcCore, "%s: re-defined missing domain %s of node %s at %s",
                           slot.config.name.c_str(), row.node.domain.c_str(), row.node.name.c_str(),
                           runs ? "its footprint" : "rest");
                    if (runs) {
                        current[row.node.domain] = live;
                    }
                    changes.push_back({&row, next, false,
                                       defined ? std::optional(*defined) : std::nullopt,
                                       makeEvent("node.recreated", row.cluster.name, row.node.name,
                                                 {{"appliance", slot.config.name},
                                                  {"domain", row.node.domain},
                                                  {"was", was},
                                                  {"running", runs},
                                                  {"footprint", footprintJson(live)}})});
                    continue;
                }
                qCWarning(lcCore, "%s: cannot re-define missing domain %s: %s",
                          slot.config.name.c_str(), row.node.domain.c_str(),
                          started.error().describe().c_str());
            }
            if (state != db::NodeState::Missing) {
                changes.push_back({&row, db::NodeState::Missing, row.grant.has_value(),
                                   std::nullopt,
                                   makeEvent("node.missing", row.cluster.name, row.node.name,
                                             {{"appliance", slot.config.name},
                                              {"domain", row.node.domain},
                                              {"was", was}})});
            }
            continue;
        }
        const DomainInfo& info = *found->second;
        ObservedDomain observed{info, std::nullopt};
        if (info.active()) {
            auto live = lifecycle.live(info);
            if (!live) {
                return live.error();
            }
            observed.live = *live;
            current[row.node.domain] = sizing::Footprint{live->vcpus, live->memory_mib};
        }
        const bool unsettled = state == db::NodeState::Missing || state == db::NodeState::Drifted;
        ExpectedDomain expected{unsettled ? db::NodeState::Standby : state, row.metadata(),
                                unsettled ? row.spec().effectiveStandby() : row.expectedLive()};
        const std::vector<std::string> differing = differences(expected, observed);
        if (unsettled && differing.empty()) {
            changes.push_back({&row, db::NodeState::Standby, false, std::nullopt,
                               makeEvent("node.drifted", row.cluster.name, row.node.name,
                                         {{"appliance", slot.config.name},
                                          {"domain", row.node.domain},
                                          {"was", was},
                                          {"resolved", true},
                                          {"differences", json::array()}})});
        } else if (!differing.empty() && state != db::NodeState::Drifted) {
            changes.push_back({&row, db::NodeState::Drifted, row.grant.has_value(), std::nullopt,
                               makeEvent("node.drifted", row.cluster.name, row.node.name,
                                         {{"appliance", slot.config.name},
                                          {"domain", row.node.domain},
                                          {"was", was},
                                          {"resolved", false},
                                          {"differences", differing}})});
        }
    }
    {
        const std::lock_guard lock(slot.mutex);
        slot.current = std::move(current);
    }
    if (changes.empty()) {
        return Done{};
    }
    for (const Change& change : changes) {
        qCWarning(lcCore, "%s: node %s: %s %s", slot.config.name.c_str(),
                  change.row->node.name.c_str(), change.recorded.kind.c_str(),
                  change.recorded.details.c_str());
    }
    return commit([&](db::Database& database, auto& events) -> Status {
        const db::TimeMs now = db::nowMs();
        for (const Change& change : changes) {
            if (change.close_grant) {
                auto closed = db::GrantRepository(database).release(change.row->node.id, now);
                if (!closed) {
                    return closed.error();
                }
                Status counted =
                    db::ClusterStatsRepository(database).recordRelease(change.row->cluster.id, now);
                if (!counted) {
                    return counted;
                }
            }
            if (change.uuid && change.uuid != change.row->node.uuid) {
                db::DBNode updated = change.row->node;
                updated.uuid = change.uuid;
                Status rewritten = db::NodeRepository(database).update(updated);
                if (!rewritten) {
                    return rewritten;
                }
            }
            auto moved =
                db::NodeRepository(database).setState(change.row->node.id, change.next, now);
            if (!moved) {
                return moved.error();
            }
            events.push_back(change.recorded);
        }
        return Done{};
    });
}

// ------------------------------------------------------------------------------------------
// Inventory

namespace {

struct AdmissionRun {
    bool accepted = true;
    std::vector<ApplianceAdmission> admissions;
    std::vector<std::string> warnings;
    std::vector<db::DBEvent> events;  // admission.accepted/warned, for the change's commit
    std::vector<db::DBEvent> refusals;
};

struct ViewChange {
    Slot* slot = nullptr;
    ApplianceView before;
    ApplianceView after;
};

AdmissionRun runAdmission(const std::vector<ViewChange>& changes,
                          const std::vector<std::string>& clusters, const CorePolicy& policy,
                          bool only_when_raised) {
    AdmissionRun run;
    for (const ViewChange& change : changes) {
        const AdmissionDecision decision =
            decideAdmission(change.before, change.after, policy.target_risk, policy.admission);
        const std::string& name = change.slot->config.name;
        run.admissions.push_back({name, decision});
        const json details = admissionJson(name, decision, clusters);
        if (!decision.accepted) {
            run.accepted = false;
            run.refusals.push_back(
                makeEvent("admission.refused",
                          clusters.size() == 1 ? std::optional(clusters[0]) : std::nullopt,
                          std::nullopt, details));
            continue;
        }
        if (decision.warned) {
            run.warnings.push_back("appliance '" + name + "': " + decision.reason);
        }
        if (decision.warned || !only_when_raised || raisesRisk(decision)) {
            run.events.push_back(
                makeEvent(decision.warned ? "admission.warned" : "admission.accepted",
                          clusters.size() == 1 ? std::optional(clusters[0]) : std::nullopt,
                          std::nullopt, details));
        }
    }
    return run;
}

void ensureGroup(ApplianceView& view, const std::string& group,
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

NodeView newNode(const std::string& node, const sizing::ClusterSpec& spec) {
    NodeView made;
    made.name = node;
    made.cluster = spec.name;
    made.priority = spec.priority;
    made.spec = spec;
    made.state = db::NodeState::Standby;
    return made;
}

}  // namespace

Result<ApplianceCore::Impl::Provisioned> ApplianceCore::Impl::provision(
    Slot& slot, const ClusterRegistration& cluster, const std::string& node,
    const std::string& path) {
    if (Status connected = requireConnected(slot); !connected) {
        return connected.error();
    }
    const sizing::ClusterSpec& spec = cluster.spec;
    const NodeMetadata metadata{spec.name, node, spec.standby, spec.active, spec.memory_mode};
    NodeLifecycle lifecycle = slot.lifecycle(config.policy.confirm_timeout);
    if (cluster.domain.empty()) {
        auto existing = slot.hypervisor->domainInfo(node);
        if (existing) {
            return Error{"conflict",
                         "a domain named '" + node + "' already exists on appliance '" +
                             slot.config.name + "'; name it in `domain` to adopt it",
                         path + "node"};
        }
        const std::string uuid = QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString();
        auto defined = defineFromTemplate(slot, node, uuid, metadata);
        if (!defined) {
            return defined.error();
        }
        Provisioned made{spec.name, node, node, *defined, true};
        Status started = lifecycle.startAt(node, spec.effectiveStandby(), spec.active.vcpus);
        if (!started) {
            unprovision(slot, made);
            return started.error();
        }
        remember(slot, node);
        return made;
    }
    auto info = slot.hypervisor->domainInfo(cluster.domain);
    if (!info) {
        if (info.error().code == "domain_not_found") {
            return Error{"invalid_field",
                         "there is no domain '" + cluster.domain + "' on appliance '" +
                             slot.config.name + "' to adopt; check the name",
                         path + "domain"};
        }
        return info.error();
    }
    if (info->owned &&
        (!info->metadata || info->metadata->node != node || info->metadata->cluster != spec.name)) {
        return Error{"conflict",
                     "domain '" + cluster.domain + "' already belongs to " +
                         (info->metadata ? "node '" + info->metadata->node + "'"
                                         : std::string("another Understudy node")) +
                         "; adopt a domain no node owns",
                     path + "domain"};
    }
    if (info->maxMemoryMib() < spec.active.memory_mib || info->max_vcpus < spec.active.vcpus) {
        return Error{"invalid_field",
                     "domain '" + cluster.domain + "' can grow to " +
                         std::to_string(info->maxMemoryMib()) + " MiB and " +
                         std::to_string(info->max_vcpus) +
                         " vCPUs, less than the active footprint; "
                         "raise its maximum memory and vCPUs first",
                     path + "active"};
    }
    Status marked = slot.hypervisor->setMetadata(cluster.domain, metadata);
    if (!marked) {
        return marked.error();
    }
    Status started = lifecycle.startAt(cluster.domain, spec.effectiveStandby(), spec.active.vcpus);
    remember(slot, cluster.domain);
    if (!started) {
        return started.error();
    }
    return Provisioned{spec.name, node, cluster.domain, info->uuid, false};
}

void ApplianceCore::Impl::unprovision(Slot& slot, const Provisioned& provisioned) {
    if (!provisioned.defined_by_service || !slot.hypervisor) {
        return;
    }
    auto info = slot.hypervisor->domainInfo(provisioned.domain);
    if (info && info->active()) {
        Status destroyed = slot.hypervisor->destroy(provisioned.domain);
        if (!destroyed) {
            qCWarning(lcCore, "%s: cannot stop %s while undoing it: %s", slot.config.name.c_str(),
                      provisioned.domain.c_str(), destroyed.error().describe().c_str());
        }
    }
    Status undefined = slot.hypervisor->undefineDomain(provisioned.domain);
    if (!undefined) {
        qCWarning(lcCore, "%s: cannot undefine %s while undoing it: %s", slot.config.name.c_str(),
                  provisioned.domain.c_str(), undefined.error().describe().c_str());
    }
    const std::lock_guard lock(slot.mutex);
    slot.current.erase(provisioned.domain);
}

Result<RegistrationOutcome> ApplianceCore::Impl::registerClusters(
    const RegistrationRequest& request) {
    if (request.clusters.empty() && request.groups.empty()) {
        return Error{"invalid_field", "the request registers no cluster; add one", "clusters"};
    }
    struct Known {
        std::map<std::string, sizing::GroupSpec> groups;
        std::map<std::string, db::Id> group_ids;
        std::set<std::string> clusters;
        std::set<std::string> nodes;
        std::map<Slot*, ApplianceView> views;
    };
    auto known = read([&](db::Database& database) -> Result<Known> {
        Known made;
        auto groups = db::GroupRepository(database).list();
        auto clusters = db::ClusterRepository(database).list();
        auto nodes = db::NodeRepository(database).list();
        if (!groups || !clusters || !nodes) {
            return !groups ? groups.error() : !clusters ? clusters.error() : nodes.error();
        }
        for (const db::DBGroup& group : *groups) {
            made.groups[group.name] = {group.name, group.mtbfHours, group.mttrHours};
            made.group_ids[group.name] = group.id;
        }
        for (const db::DBCluster& cluster : *clusters) {
            made.clusters.insert(cluster.name);
        }
        for (const db::DBNode& node : *nodes) {
            made.nodes.insert(node.name);
        }
        for (const auto& slot : slot_list) {
            auto inventory = loadInventory(database, slot->id);
            if (!inventory) {
                return inventory.error();
            }
            made.views[slot.get()] = view(*slot, *inventory);
        }
        return made;
    });
    if (!known) {
        return known.error();
    }
    std::set<std::string> new_groups;
    for (std::size_t i = 0; i < request.groups.size(); ++i) {
        const sizing::GroupSpec& group = request.groups[i];
        const std::string path = "groups[" + std::to_string(i) + "].";
        if (auto problem = sizing::nameProblem(group.name)) {
            return Error{"invalid_field", "group '" + group.name + "': " + *problem, path + "name"};
        }
        if (!(group.mtbf_hours > 0) || !(group.mttr_hours >= 0)) {
            return Error{"invalid_field",
                         "group '" + group.name + "': MTBF must be positive and MTTR at least 0",
                         path + "mtbf_hours"};
        }
        if (known->groups.count(group.name) != 0 || !new_groups.insert(group.name).second) {
            return Error{"conflict", "a group named '" + group.name + "' already exists",
                         path + "name"};
        }
        known->groups[group.name] = group;
    }

    // Validate and place, cluster by cluster, on the views as they fill up.
    std::map<Slot*, ApplianceView> after = known->views;
    std::vector<Slot*> placed;
    std::vector<std::string> node_names;
    std::vector<std::string> cluster_names;
    std::set<std::string> taken_clusters = known->clusters;
    std::set<std::string> taken_nodes = known->nodes;
    for (std::size_t i = 0; i < request.clusters.size(); ++i) {
        const ClusterRegistration& cluster = request.clusters[i];
        const std::string path = "clusters[" + std::to_string(i) + "].";
        if (Status valid = checkSpec(cluster.spec, path); !valid) {
            return valid.error();
        }
        if (!taken_clusters.insert(cluster.spec.name).second) {
            return Error{"conflict", "a cluster named '" + cluster.spec.name + "' already exists",
                         path + "name"};
        }
        const std::string node =
            cluster.node.empty() ? cluster.spec.name + "-passive" : cluster.node;
        if (auto problem = sizing::nameProblem(node)) {
            return Error{"invalid_field", "node '" + node + "': " + *problem, path + "node"};
        }
        if (!taken_nodes.insert(node).second) {
            return Error{"conflict", "a node named '" + node + "' already exists", path + "node"};
        }
        if (!cluster.spec.group.empty() && known->groups.count(cluster.spec.group) == 0) {
            return Error{"invalid_field", "there is no group '" + cluster.spec.group + "'",
                         path + "group"};
        }
        Slot* target = nullptr;
        if (!cluster.appliance.empty()) {
            target = slot(cluster.appliance);
            if (!target) {
                return Error{"invalid_field",
                             "there is no appliance '" + cluster.appliance + "' in the config",
                             path + "appliance"};
            }
            if (!target->usable_now()) {
                return unavailable(target->config.name, {});
            }
        } else {
            double best = 2.0;
            for (const auto& candidate : slot_list) {
                if (!candidate->usable_now()) {
                    continue;
                }
                ApplianceView trial = after[candidate.get()];
                trial.nodes.push_back(newNode(node, cluster.spec));
                ensureGroup(trial, cluster.spec.group, known->groups);
                const double risk = worstRisk(liveOverflowRisk(trial, config.policy.target_risk));
                if (risk < best) {
                    best = risk;
                    target = candidate.get();
                }
            }
            if (!target) {
                return unavailable("(any)", "no appliance is connected");
            }
        }
        after[target].nodes.push_back(newNode(node, cluster.spec));
        ensureGroup(after[target], cluster.spec.group, known->groups);
        placed.push_back(target);
        node_names.push_back(node);
        cluster_names.push_back(cluster.spec.name);
    }

    std::vector<ViewChange> changes;
    for (const auto& slot_ptr : slot_list) {
        Slot* concerned = slot_ptr.get();
        if (std::find(placed.begin(), placed.end(), concerned) != placed.end()) {
            changes.push_back({concerned, known->views[concerned], after[concerned]});
        }
    }
    AdmissionRun admission = runAdmission(changes, cluster_names, config.policy, false);
    if (!admission.accepted) {
        Status logged = commitEvents(admission.refusals);
        if (!logged) {
            return logged.error();
        }
        return RegistrationOutcome{false, admission.admissions, {}, {}};
    }

    // Define or adopt, then start at standby, on each appliance's worker.
    std::vector<std::pair<Slot*, QFuture<Result<std::vector<std::pair<std::size_t, Provisioned>>>>>>
        batches;
    for (const ViewChange& change : changes) {
        Slot* concerned = change.slot;
        std::vector<std::size_t> indices;
        for (std::size_t i = 0; i < placed.size(); ++i) {
            if (placed[i] == concerned) {
                indices.push_back(i);
            }
        }
        batches.emplace_back(
            concerned,
            concerned->worker->submit(
                [this, concerned, indices, &request,
                 &node_names]() -> Result<std::vector<std::pair<std::size_t, Provisioned>>> {
                    std::vector<std::pair<std::size_t, Provisioned>> done;
                    for (std::size_t i : indices) {
                        auto made = provision(*concerned, request.clusters[i], node_names[i],
                                              "clusters[" + std::to_string(i) + "].");
                        if (!made) {
                            for (const auto& [index, provisioned] : done) {
                                unprovision(*concerned, provisioned);
                            }
                            return made.error();
                        }
                        done.emplace_back(i, std::move(*made));
                    }
                    return done;
                }));
    }
    std::vector<std::pair<Slot*, std::vector<std::pair<std::size_t, Provisioned>>>> provisioned;
    std::optional<Error> failure;
    for (auto& [concerned, future] : batches) {
        auto result = future.result();
        if (result) {
            provisioned.emplace_back(concerned, std::move(*result));
        } else if (!failure) {
            failure = result.error();
        }
    }
    auto undoAll = [&] {
        for (const auto& [concerned, done] : provisioned) {
            auto batch = done;
            concerned->worker
                ->submit([this, concerned, batch]() -> Status {
                    for (const auto& [index, made] : batch) {
                        unprovision(*concerned, made);
                    }
                    return Done{};
                })
                .waitForFinished();
        }
    };
    if (failure) {
        undoAll();
        return *failure;
    }

    std::vector<std::optional<Provisioned>> by_index(request.clusters.size());
    for (const auto& [concerned, done] : provisioned) {
        for (const auto& [index, made] : done) {
            by_index[index] = made;
        }
    }
    Status committed = commit([&](db::Database& database, auto& events) -> Status {
        const db::TimeMs now = db::nowMs();
        std::map<std::string, db::Id> group_ids = known->group_ids;
        for (const sizing::GroupSpec& group : request.groups) {
            auto id = db::GroupRepository(database).insert(
                db::DBGroup{0, group.name, group.mtbf_hours, group.mttr_hours});
            if (!id) {
                return id.error();
            }
            group_ids[group.name] = *id;
        }
        for (const db::DBEvent& accepted : admission.events) {
            events.push_back(accepted);
        }
        for (std::size_t i = 0; i < request.clusters.size(); ++i) {
            const ClusterRegistration& cluster = request.clusters[i];
            const Provisioned& made = *by_index[i];
            db::DBCluster row;
            row.name = cluster.spec.name;
            row.priority = cluster.spec.priority;
            row.mtbfHours = cluster.spec.mtbf_hours;
            row.mttrHours = cluster.spec.mttr_hours;
            if (!cluster.spec.group.empty()) {
                row.groupId = group_ids[cluster.spec.group];
            }
            row.standby = toDb(cluster.spec.standby);
            row.active = toDb(cluster.spec.active);
            row.memoryMode = toDb(cluster.spec.memory_mode);
            row.failureModel = cluster.failure_model;
            row.tokenHash = cluster.token_hash;
            row.applianceId = placed[i]->id;
            row.registeredAt = now;
            auto cluster_id = db::ClusterRepository(database).insert(row);
            if (!cluster_id) {
                return cluster_id.error();
            }
            db::DBNode node;
            node.name = made.node;
            node.clusterId = *cluster_id;
            node.applianceId = placed[i]->id;
            node.domain = made.domain;
            node.uuid = made.uuid.empty() ? std::nullopt : std::optional(made.uuid);
            node.definedByService = made.defined_by_service;
            node.state = db::NodeState::Standby;
            node.since = now;
            auto node_id = db::NodeRepository(database).insert(node);
            if (!node_id) {
                return node_id.error();
            }
            events.push_back(makeEvent("cluster.registered", cluster.spec.name, made.node,
                                       {{"appliance", placed[i]->config.name},
                                        {"domain", made.domain},
                                        {"adopted", !made.defined_by_service},
                                        {"priority", cluster.spec.priority},
                                        {"standby", footprintJson(cluster.spec.standby)},
                                        {"active", footprintJson(cluster.spec.active)}}));
        }
        return Done{};
    });
    if (!committed) {
        undoAll();
        return committed.error();
    }
    RegistrationOutcome outcome{true, admission.admissions, {}, admission.warnings};
    for (std::size_t i = 0; i < request.clusters.size(); ++i) {
        const Provisioned& made = *by_index[i];
        outcome.clusters.push_back({made.cluster, made.node, placed[i]->config.name, made.domain,
                                    made.defined_by_service});
    }
    for (const ViewChange& change : changes) {
        scheduleReconcile(*change.slot);
    }
    return outcome;
}

Result<ChangeOutcome> ApplianceCore::Impl::changeCluster(const std::string& name,
                                                         const ClusterChange& change) {
    struct Loaded {
        db::DBCluster cluster;
        std::optional<NodeRow> row;
        std::map<std::string, sizing::GroupSpec> groups;
        std::map<std::string, db::Id> group_ids;
        std::optional<ApplianceView> before;
        std::string group;
    };
    auto loaded = read([&](db::Database& database) -> Result<Loaded> {
        Loaded made;
        auto cluster = db::ClusterRepository(database).byName(name);
        if (!cluster) {
            return cluster.error();
        }
        if (!*cluster) {
            return notFound("cluster", name);
        }
        made.cluster = **cluster;
        auto groups = db::GroupRepository(database).list();
        if (!groups) {
            return groups.error();
        }
        for (const db::DBGroup& group : *groups) {
            made.groups[group.name] = {group.name, group.mtbfHours, group.mttrHours};
            made.group_ids[group.name] = group.id;
            if (made.cluster.groupId == group.id) {
                made.group = group.name;
            }
        }
        if (Slot* owner = slot(made.cluster.applianceId)) {
            auto inventory = loadInventory(database, owner->id);
            if (!inventory) {
                return inventory.error();
            }
            made.before = view(*owner, *inventory);
            for (const NodeRow& row : inventory->rows) {
                if (row.cluster.id == made.cluster.id) {
                    made.row = row;
                }
            }
        }
        return made;
    });
    if (!loaded) {
        return loaded.error();
    }
    Slot* owner = slot(loaded->cluster.applianceId);
    if (!owner || !loaded->before) {
        return Error{"conflict",
                     "cluster '" + name +
                         "' is on an appliance that is no longer configured; "
                         "add the appliance back to the config first",
                     {}};
    }
    sizing::ClusterSpec spec{name,
                             loaded->cluster.priority,
                             loaded->cluster.mtbfHours,
                             loaded->cluster.mttrHours,
                             loaded->group,
                             toSizing(loaded->cluster.standby),
                             toSizing(loaded->cluster.active),
                             toSizing(loaded->cluster.memoryMode)};
    const sizing::ClusterSpec old_spec = spec;
    std::vector<std::string> changed;
    if (change.priority) {
        spec.priority = *change.priority;
        changed.emplace_back("priority");
    }
    if (change.mtbf_hours) {
        spec.mtbf_hours = *change.mtbf_hours;
        changed.emplace_back("mtbf_hours");
    }
    if (change.mttr_hours) {
        spec.mttr_hours = *change.mttr_hours;
        changed.emplace_back("mttr_hours");
    }
    if (change.group) {
        spec.group = *change.group;
        changed.emplace_back("group");
        if (!spec.group.empty() && loaded->groups.count(spec.group) == 0) {
            return Error{"invalid_field", "there is no group '" + spec.group + "'", "group"};
        }
    }
    if (change.standby) {
        spec.standby = *change.standby;
        changed.emplace_back("standby");
    }
    if (change.active) {
        spec.active = *change.active;
        changed.emplace_back("active");
    }
    if (change.memory_mode) {
        spec.memory_mode = *change.memory_mode;
        changed.emplace_back("memory_mode");
    }
    if (change.failure_model) {
        changed.emplace_back("failure_model");
    }
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
    ApplianceView after = *loaded->before;
    for (NodeView& node : after.nodes) {
        if (node.cluster == name) {
            node.spec = spec;
            node.priority = spec.priority;
        }
    }
    after.groups.clear();
    for (const NodeView& node : after.nodes) {
        ensureGroup(after, node.spec.group, loaded->groups);
    }
    AdmissionRun admission =
        runAdmission({{owner, *loaded->before, after}}, {name}, config.policy, true);
    if (!admission.accepted) {
        Status logged = commitEvents(admission.refusals);
        if (!logged) {
            return logged.error();
        }
        return ChangeOutcome{false, admission.admissions, {}};
    }
    db::DBCluster updated = loaded->cluster;
    updated.priority = spec.priority;
    updated.mtbfHours = spec.mtbf_hours;
    updated.mttrHours = spec.mttr_hours;
    updated.groupId =
        spec.group.empty() ? std::nullopt : std::optional(loaded->group_ids[spec.group]);
    updated.standby = toDb(spec.standby);
    updated.active = toDb(spec.active);
    updated.memoryMode = toDb(spec.memory_mode);
    if (change.failure_model) {
        updated.failureModel = *change.failure_model;
    }
    const std::optional<NodeRow> row = loaded->row;
    Status applied =
        owner->worker
            ->submit([&]() -> Status {
                if (footprint_changed && row) {
                    if (Status connected = requireConnected(*owner); !connected) {
                        return connected;
                    }
                    const NodeMetadata metadata{name, row->node.name, spec.standby, spec.active,
                                                spec.memory_mode};
                    if (row->node.definedByService) {
                        auto redefined = defineFromTemplate(*owner, row->node.domain,
                                                            row->node.uuid.value_or(""), metadata);
                        if (!redefined) {
                            return redefined.error();
                        }
                    }
                    Status marked = owner->hypervisor->setMetadata(row->node.domain, metadata);
                    if (!marked) {
                        return marked;
                    }
                    if (row->node.state == db::NodeState::Standby) {
                        Status resized = owner->lifecycle(config.policy.confirm_timeout)
                                             .apply(row->node.domain, spec.effectiveStandby(),
                                                    spec.active.vcpus);
                        remember(*owner, row->node.domain);
                        if (!resized) {
                            return resized;
                        }
                    }
                }
                return commit([&](db::Database& database, auto& events) -> Status {
                    Status rewritten = db::ClusterRepository(database).update(updated);
                    if (!rewritten) {
                        return rewritten;
                    }
                    for (const db::DBEvent& accepted : admission.events) {
                        events.push_back(accepted);
                    }
                    events.push_back(makeEvent("cluster.changed", name,
                                               row ? std::optional(row->node.name) : std::nullopt,
                                               {{"changed", changed}}));
                    return Done{};
                });
            })
            .result();
    if (!applied) {
        return applied.error();
    }
    return ChangeOutcome{true, admission.admissions, admission.warnings};
}

Status ApplianceCore::Impl::removeCluster(const std::string& name) {
    auto cluster =
        read([&](db::Database& database) { return db::ClusterRepository(database).byName(name); });
    if (!cluster) {
        return cluster.error();
    }
    if (!*cluster) {
        return notFound("cluster", name);
    }
    const db::DBCluster removed = **cluster;
    Slot* owner = slot(removed.applianceId);
    auto work = [this, removed, owner, name]() -> Status {
        auto row = read([&](db::Database& database) -> Result<std::optional<NodeRow>> {
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
                if (Status connected = requireConnected(*owner); !connected) {
                    return connected;
                }
                auto info = owner->hypervisor->domainInfo(node.node.domain);
                if (info) {
                    unprovision(*owner, Provisioned{name, node.node.name, node.node.domain,
                                                    info->uuid, true});
                    undefined = true;
                }
            }
        }
        Status committed = commit([&](db::Database& database, auto& events) -> Status {
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
            events.push_back(makeEvent("cluster.removed", name, node_name, details));
            return Done{};
        });
        if (committed && owner && owner->usable_now()) {
            restorePreempted(*owner);
        }
        return committed;
    };
    if (!owner) {
        return work();
    }
    return owner->worker->submit(work).result();
}

Result<ChangeOutcome> ApplianceCore::Impl::changeGroup(const std::string& name,
                                                       const GroupChange& change) {
    struct Loaded {
        db::DBGroup group;
        std::map<std::string, sizing::GroupSpec> groups;
        std::vector<ViewChange> changes;
        std::vector<std::string> members;
    };
    auto loaded = read([&](db::Database& database) -> Result<Loaded> {
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
        for (const auto& candidate : slot_list) {
            auto inventory = loadInventory(database, candidate->id);
            if (!inventory) {
                return inventory.error();
            }
            ApplianceView before = view(*candidate, *inventory);
            const bool concerned =
                std::any_of(before.nodes.begin(), before.nodes.end(),
                            [&](const NodeView& node) { return node.spec.group == name; });
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
    if (!(updated.mtbfHours > 0) || !(updated.mttrHours >= 0)) {
        return Error{"invalid_field",
                     "group '" + name + "': MTBF must be positive and MTTR at least 0",
                     "mtbf_hours"};
    }
    for (ViewChange& viewed : loaded->changes) {
        for (sizing::GroupSpec& group : viewed.after.groups) {
            if (group.name == name) {
                group.mtbf_hours = updated.mtbfHours;
                group.mttr_hours = updated.mttrHours;
            }
        }
    }
    AdmissionRun admission = runAdmission(loaded->changes, loaded->members, config.policy, true);
    if (!admission.accepted) {
        Status logged = commitEvents(admission.refusals);
        if (!logged) {
            return logged.error();
        }
        return ChangeOutcome{false, admission.admissions, {}};
    }
    Status committed = commit([&](db::Database& database, auto& events) -> Status {
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

// ------------------------------------------------------------------------------------------
// The facade

namespace {

template <typename R>
QFuture<R> readyFuture(R value) {
    QPromise<R> promise;
    QFuture<R> future = promise.future();
    promise.start();
    promise.addResult(std::move(value));
    promise.finish();
    return future;
}

}  // namespace

ApplianceCore::ApplianceCore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
    impl_->core = this;
}

ApplianceCore::~ApplianceCore() {
    impl_->inventory_worker->stop();
    for (const auto& slot : impl_->slot_list) {
        slot->worker->stop();
    }
    for (const auto& slot : impl_->slot_list) {
        if (slot->hypervisor) {
            slot->hypervisor->setEventHandlers({}, {});
        }
        const std::lock_guard lock(slot->mutex);
        slot->hypervisor.reset();
    }
}

Result<std::unique_ptr<ApplianceCore>> ApplianceCore::open(const CoreConfig& config,
                                                           const std::string& database_path,
                                                           const std::string& default_template) {
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    impl->database_path = database_path;
    impl->default_template = default_template;
    std::set<std::string> names;
    for (const ApplianceConfig& appliance : config.appliances) {
        const std::string where = "appliance." + appliance.name;
        if (auto problem = sizing::nameProblem(appliance.name)) {
            return Error{"invalid_field", "appliance name: " + *problem, where};
        }
        if (!names.insert(appliance.name).second) {
            return Error{"invalid_field", "appliance '" + appliance.name + "' is configured twice",
                         where};
        }
        if (appliance.uri.empty()) {
            return Error{"invalid_field", "appliance '" + appliance.name + "' has no uri",
                         where + ".uri"};
        }
        if (!(appliance.cpu_overcommit > 0) || appliance.reserve_memory_mib < 0 ||
            appliance.reserve_vcpus < 0) {
            return Error{"invalid_field",
                         "appliance '" + appliance.name +
                             "': cpu_overcommit must be positive and the reserves at least 0",
                         where};
        }
    }
    auto writer = db::Database::openWriter(database_path);
    if (!writer) {
        return writer.error();
    }
    impl->writer = std::move(*writer);
    for (const ApplianceConfig& appliance : config.appliances) {
        auto id = db::ApplianceRepository(*impl->writer)
                      .upsert(db::DBAppliance{0, appliance.name, appliance.uri,
                                              appliance.reserve_memory_mib, appliance.reserve_vcpus,
                                              appliance.cpu_overcommit});
        if (!id) {
            return id.error();
        }
        auto slot = std::make_unique<Slot>();
        slot->config = appliance;
        slot->id = *id;
        slot->worker = std::make_unique<ApplianceWorker>("appliance " + appliance.name);
        const std::string path =
            appliance.domain_template.empty() ? default_template : appliance.domain_template;
        auto loaded = loadDomainTemplate(path);
        if (loaded) {
            slot->domain_template = std::move(*loaded);
        } else {
            slot->template_error = loaded.error().describe();
            qCWarning(lcCore, "%s: %s", appliance.name.c_str(), slot->template_error.c_str());
        }
        impl->slot_list.push_back(std::move(slot));
    }
    auto reader = db::Database::openReader(database_path);
    if (!reader) {
        return reader.error();
    }
    impl->reader = std::move(*reader);
    impl->inventory_worker = std::make_unique<ApplianceWorker>("inventory");
    std::unique_ptr<ApplianceCore> core(new ApplianceCore(std::move(impl)));
    Impl* raw = core->impl_.get();
    std::vector<QFuture<Status>> connecting;
    for (const auto& slot : raw->slot_list) {
        Slot* target = slot.get();
        connecting.push_back(target->worker->submit([raw, target]() -> Status {
            raw->connect(*target);
            return Done{};
        }));
    }
    for (QFuture<Status>& future : connecting) {
        future.waitForFinished();
    }
    return core;
}

const CoreConfig& ApplianceCore::config() const {
    return impl_->config;
}

std::string ApplianceCore::databasePath() const {
    return impl_->database_path;
}

LibvirtHypervisor* ApplianceCore::hypervisorForTest(const std::string& appliance) const {
    Slot* found = impl_->slot(appliance);
    if (!found) {
        return nullptr;
    }
    const std::lock_guard lock(found->mutex);
    return found->hypervisor.get();
}

QFuture<Result<RegistrationOutcome>> ApplianceCore::registerClusters(RegistrationRequest request) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit(
        [impl, request = std::move(request)] { return impl->registerClusters(request); });
}

QFuture<Result<ChangeOutcome>> ApplianceCore::changeCluster(std::string cluster,
                                                            ClusterChange change) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit([impl, cluster = std::move(cluster), change] {
        return impl->changeCluster(cluster, change);
    });
}

QFuture<Status> ApplianceCore::removeCluster(std::string cluster) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit(
        [impl, cluster = std::move(cluster)] { return impl->removeCluster(cluster); });
}

QFuture<Status> ApplianceCore::rotateToken(std::string cluster, std::string token_hash) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit(
        [impl, cluster = std::move(cluster), token_hash = std::move(token_hash)]() -> Status {
            return impl->commit([&](db::Database& database, auto& events) -> Status {
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
                events.push_back(makeEvent("token.rotated", cluster, std::nullopt, json::object()));
                return Done{};
            });
        });
}

QFuture<Result<ChangeOutcome>> ApplianceCore::createGroup(sizing::GroupSpec group) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit([impl,
                                           group = std::move(group)]() -> Result<ChangeOutcome> {
        if (auto problem = sizing::nameProblem(group.name)) {
            return Error{"invalid_field", "group name: " + *problem, "name"};
        }
        if (!(group.mtbf_hours > 0) || !(group.mttr_hours >= 0)) {
            return Error{"invalid_field",
                         "group '" + group.name + "': MTBF must be positive and MTTR at least 0",
                         "mtbf_hours"};
        }
        Status inserted = impl->commit([&](db::Database& database, auto&) -> Status {
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
    });
}

QFuture<Result<ChangeOutcome>> ApplianceCore::changeGroup(std::string group, GroupChange change) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit(
        [impl, group = std::move(group), change] { return impl->changeGroup(group, change); });
}

QFuture<Status> ApplianceCore::removeGroup(std::string group) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit([impl, group = std::move(group)]() -> Status {
        return impl->commit([&](db::Database& database, auto&) -> Status {
            auto found = db::GroupRepository(database).byName(group);
            if (!found) {
                return found.error();
            }
            if (!*found) {
                return notFound("group", group);
            }
            return db::GroupRepository(database).remove((*found)->id);
        });
    });
}

QFuture<Result<db::Id>> ApplianceCore::appendEvents(std::vector<db::DBEvent> events) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit([impl, events = std::move(events)]() -> Result<db::Id> {
        db::Id last = 0;
        Status committed = impl->commit([&](db::Database&, auto& out) -> Status {
            for (db::DBEvent appended : events) {
                if (appended.time == 0) {
                    appended.time = db::nowMs();
                }
                out.push_back(std::move(appended));
            }
            return Done{};
        });
        if (!committed) {
            return committed.error();
        }
        auto latest =
            impl->read([](db::Database& database) { return db::EventLog(database).latestId(); });
        if (!latest) {
            return latest.error();
        }
        last = latest->value_or(0);
        return last;
    });
}

namespace {

// The appliance a node lives on, from a reader: the worker re-reads everything it acts on.
Result<Slot*> slotOfNode(const ApplianceCore::Impl& impl, const std::string& node) {
    auto found = impl.readView([&](db::Database& database) -> Result<std::optional<db::Id>> {
        auto row = db::NodeRepository(database).byName(node);
        if (!row) {
            return row.error();
        }
        return *row ? std::optional((*row)->applianceId) : std::nullopt;
    });
    if (!found) {
        return found.error();
    }
    if (!*found) {
        return notFound("node", node);
    }
    Slot* owner = impl.slot(**found);
    if (!owner) {
        return Error{
            "conflict", "node '" + node + "' is on an appliance that is no longer configured", {}};
    }
    return owner;
}

}  // namespace

QFuture<Result<TakeoverOutcome>> ApplianceCore::takeover(std::string node) {
    Impl* impl = impl_.get();
    auto owner = slotOfNode(*impl, node);
    if (!owner) {
        return readyFuture(Result<TakeoverOutcome>(owner.error()));
    }
    Slot* slot = *owner;
    return slot->worker->submit(
        [impl, slot, node = std::move(node)] { return impl->takeover(*slot, node); });
}

QFuture<Status> ApplianceCore::release(std::string node) {
    Impl* impl = impl_.get();
    auto owner = slotOfNode(*impl, node);
    if (!owner) {
        return readyFuture(Status(owner.error()));
    }
    Slot* slot = *owner;
    return slot->worker->submit(
        [impl, slot, node = std::move(node)] { return impl->release(*slot, node); });
}

QFuture<Result<PowerState>> ApplianceCore::power(std::string node, PowerAction action) {
    Impl* impl = impl_.get();
    auto owner = slotOfNode(*impl, node);
    if (!owner) {
        return readyFuture(Result<PowerState>(owner.error()));
    }
    Slot* slot = *owner;
    return slot->worker->submit(
        [impl, slot, node = std::move(node), action] { return impl->power(*slot, node, action); });
}

QFuture<Status> ApplianceCore::reconcile(std::string appliance) {
    Impl* impl = impl_.get();
    if (!appliance.empty()) {
        Slot* slot = impl->slot(appliance);
        if (!slot) {
            return readyFuture(Status(notFound("appliance", appliance)));
        }
        return slot->worker->submit([impl, slot] { return impl->reconcile(*slot); });
    }
    return impl->inventory_worker->submit([impl]() -> Status {
        std::vector<QFuture<Status>> running;
        for (const auto& slot : impl->slot_list) {
            Slot* target = slot.get();
            running.push_back(
                target->worker->submit([impl, target] { return impl->reconcile(*target); }));
        }
        std::optional<Error> failure;
        for (QFuture<Status>& future : running) {
            Status done = future.result();
            if (!done && !failure) {
                failure = done.error();
            }
        }
        return failure ? Status(*failure) : Status(Done{});
    });
}

// ------------------------------------------------------------------------------------------
// Read-only views

Result<std::vector<ApplianceStatus>> ApplianceCore::appliances() const {
    const Impl& impl = *impl_;
    return impl.readView([&](db::Database& database) -> Result<std::vector<ApplianceStatus>> {
        std::vector<ApplianceStatus> made;
        for (const auto& slot : impl.slot_list) {
            auto inventory = Impl::loadInventory(database, slot->id);
            if (!inventory) {
                return inventory.error();
            }
            const ApplianceView view = impl.view(*slot, *inventory);
            ApplianceStatus status;
            status.name = slot->config.name;
            status.uri = slot->config.uri;
            status.cpu_overcommit = slot->config.cpu_overcommit;
            {
                const std::lock_guard lock(slot->mutex);
                status.connected = slot->connected;
                status.last_error = slot->last_error;
            }
            status.headroom = computeHeadroom(view);
            if (view.usable.memory_mib > 0 && view.usable.vcpus > 0) {
                status.overflow_risk = liveOverflowRisk(view, impl.config.policy.target_risk);
            }
            made.push_back(std::move(status));
        }
        return made;
    });
}

Result<std::vector<ClusterStatus>> ApplianceCore::clusters() const {
    const Impl& impl = *impl_;
    return impl.readView([&](db::Database& database) -> Result<std::vector<ClusterStatus>> {
        auto clusters = db::ClusterRepository(database).list();
        auto nodes = db::NodeRepository(database).list();
        auto groups = Impl::groupNames(database);
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
            status.spec =
                sizing::ClusterSpec{cluster.name,
                                    cluster.priority,
                                    cluster.mtbfHours,
                                    cluster.mttrHours,
                                    cluster.groupId ? (*groups)[*cluster.groupId] : std::string(),
                                    toSizing(cluster.standby),
                                    toSizing(cluster.active),
                                    toSizing(cluster.memoryMode)};
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

Result<std::vector<NodeStatus>> ApplianceCore::nodes() const {
    const Impl& impl = *impl_;
    auto made = impl.readView([&](db::Database& database) -> Result<std::vector<NodeStatus>> {
        std::vector<NodeStatus> statuses;
        for (const auto& slot : impl.slot_list) {
            auto inventory = Impl::loadInventory(database, slot->id);
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
                if (auto live = current.find(row.node.domain); connected && live != current.end()) {
                    status.current = live->second;
                }
                status.since = row.node.since;
                if (row.grant) {
                    status.grant = impl.grantView(*row.grant, inventory->node_names);
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

Result<NodeStatus> ApplianceCore::node(const std::string& name) const {
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

Result<std::vector<sizing::GroupSpec>> ApplianceCore::groups() const {
    return impl_->readView([](db::Database& database) -> Result<std::vector<sizing::GroupSpec>> {
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

Result<Readiness> ApplianceCore::readiness(const std::string& node) const {
    const Impl& impl = *impl_;
    auto owner = slotOfNode(impl, node);
    if (!owner) {
        return owner.error();
    }
    Slot* slot = *owner;
    auto inventory = impl.readView(
        [&](db::Database& database) { return Impl::loadInventory(database, slot->id); });
    if (!inventory) {
        return inventory.error();
    }
    const NodeRow* row = inventory->find(node);
    if (!row) {
        return notFound("node", node);
    }
    Readiness made;
    const std::string state(db::nodeStateName(row->node.state));
    if (row->node.state == db::NodeState::Active || row->node.state == db::NodeState::TakingOver) {
        made.ready = true;
        made.partial_cpu = row->grant && row->grant->partial;
        made.reason = "the node holds its grant";
        return made;
    }
    if (row->node.state != db::NodeState::Standby) {
        made.reason = "the node is " + state + "; only a standby node can take over";
        return made;
    }
    if (!slot->usable_now()) {
        made.reason = "appliance '" + slot->config.name + "' is disconnected";
        return made;
    }
    const TakeoverDecision decision =
        decideTakeover(impl.view(*slot, *inventory), node, impl.policy());
    made.ready = decision.granted && !decision.partial;
    made.partial_cpu = decision.granted && decision.partial;
    made.would_preempt = decision.preempt;
    made.denial = decision.denial;
    if (!decision.granted) {
        const Denial& denial = *decision.denial;
        made.reason = std::string("not enough ") + sizing::resourceName(denial.resource) + ": " +
                      std::to_string(denial.needed) + " needed, " + std::to_string(denial.free) +
                      " free";
    } else if (decision.partial) {
        made.reason =
            "only " + std::to_string(decision.grant.vcpus) + " vCPUs could be granted now";
    } else if (!decision.preempt.empty()) {
        made.reason = "ready by preempting " + std::to_string(decision.preempt.size()) +
                      " lower-priority node(s)";
    } else {
        made.reason = "ready from free headroom";
    }
    return made;
}

Result<WhatIfOutcome> ApplianceCore::whatIf(const WhatIfRequest& request) const {
    const Impl& impl = *impl_;
    struct Loaded {
        std::vector<std::pair<Slot*, ApplianceView>> views;
        std::map<std::string, sizing::GroupSpec> groups;
    };
    auto loaded = impl.readView([&](db::Database& database) -> Result<Loaded> {
        Loaded made;
        for (const auto& slot : impl.slot_list) {
            auto inventory = Impl::loadInventory(database, slot->id);
            if (!inventory) {
                return inventory.error();
            }
            made.views.emplace_back(slot.get(), impl.view(*slot, *inventory));
            for (const sizing::GroupSpec& group : inventory->groups) {
                made.groups[group.name] = group;
            }
        }
        return made;
    });
    if (!loaded) {
        return loaded.error();
    }
    auto exists = [&](const std::string& cluster) {
        return std::any_of(loaded->views.begin(), loaded->views.end(), [&](const auto& entry) {
            return std::any_of(entry.second.nodes.begin(), entry.second.nodes.end(),
                               [&](const NodeView& node) { return node.cluster == cluster; });
        });
    };
    for (std::size_t i = 0; i < request.remove.size(); ++i) {
        if (!exists(request.remove[i])) {
            return Error{"invalid_field", "there is no cluster '" + request.remove[i] + "'",
                         "remove[" + std::to_string(i) + "]"};
        }
    }
    for (auto& [slot, view] : loaded->views) {
        std::erase_if(view.nodes, [&](const NodeView& node) {
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
        if (!impl.slot(name)) {
            return Error{"invalid_field", "there is no appliance '" + name + "'",
                         "capacity." + name};
        }
    }
    for (std::size_t i = 0; i < request.add.size(); ++i) {
        const WhatIfAddition& addition = request.add[i];
        const std::string path = "add[" + std::to_string(i) + "].";
        if (Status valid = checkSpec(addition.spec, path); !valid) {
            return valid.error();
        }
        if (exists(addition.spec.name)) {
            return Error{"invalid_field", "cluster '" + addition.spec.name + "' already exists",
                         path + "name"};
        }
        if (!addition.spec.group.empty() && loaded->groups.count(addition.spec.group) == 0) {
            return Error{"invalid_field", "there is no group '" + addition.spec.group + "'",
                         path + "group"};
        }
        ApplianceView* target = nullptr;
        double best = 2.0;
        for (auto& [slot, view] : loaded->views) {
            if (!addition.appliance.empty()) {
                if (slot->config.name == addition.appliance) {
                    target = &view;
                }
                continue;
            }
            ApplianceView trial = view;
            trial.nodes.push_back(newNode(addition.spec.name + "-passive", addition.spec));
            ensureGroup(trial, addition.spec.group, loaded->groups);
            const double risk = worstRisk(liveOverflowRisk(trial, impl.config.policy.target_risk));
            if (risk < best) {
                best = risk;
                target = &view;
            }
        }
        if (!target) {
            return Error{"invalid_field", "there is no appliance '" + addition.appliance + "'",
                         path + "appliance"};
        }
        target->nodes.push_back(newNode(addition.spec.name + "-passive", addition.spec));
        ensureGroup(*target, addition.spec.group, loaded->groups);
    }
    WhatIfOutcome outcome;
    outcome.sizing.target_risk = impl.config.policy.target_risk;
    for (std::size_t i = 0; i < request.fail.size(); ++i) {
        if (!exists(request.fail[i]) &&
            std::none_of(request.add.begin(), request.add.end(),
                         [&](const WhatIfAddition& a) { return a.spec.name == request.fail[i]; })) {
            return Error{"invalid_field", "there is no cluster '" + request.fail[i] + "'",
                         "fail[" + std::to_string(i) + "]"};
        }
    }
    for (auto& [slot, view] : loaded->views) {
        std::vector<std::string> failing;
        for (const NodeView& node : view.nodes) {
            if (std::find(request.fail.begin(), request.fail.end(), node.cluster) !=
                request.fail.end()) {
                failing.push_back(node.name);
            }
        }
        if (!failing.empty()) {
            for (WhatIfTakeover& takeover : simulateTakeovers(view, failing, impl.policy())) {
                outcome.takeovers.push_back(std::move(takeover));
            }
        }
        // Each appliance on its own, with the clusters placed on it: the engine would place
        // them itself given several appliances. Foreign load is taken off the host.
        sizing::Fleet fleet;
        fleet.target_risk = impl.config.policy.target_risk;
        fleet.cpu_overcommit = slot->config.cpu_overcommit;
        const double overcommit = slot->config.cpu_overcommit;
        fleet.appliances.push_back(sizing::ApplianceSpec{
            slot->config.name,
            slot->config.reserve_vcpus +
                static_cast<std::int64_t>(
                    static_cast<double>(view.usable.vcpus - view.foreign.vcpus) / overcommit),
            slot->config.reserve_memory_mib + view.usable.memory_mib - view.foreign.memory_mib,
            slot->config.reserve_vcpus, slot->config.reserve_memory_mib});
        fleet.groups = view.groups;
        for (const NodeView& node : view.nodes) {
            fleet.clusters.push_back(node.spec);
        }
        if (fleet.clusters.empty()) {
            continue;
        }
        sizing::SizingResult sized = sizing::size(fleet);
        outcome.sizing.method = sized.method;
        outcome.sizing.exact = outcome.sizing.exact && sized.exact;
        outcome.sizing.cpu_overcommit = sized.cpu_overcommit;
        for (sizing::ApplianceResult& result : sized.appliances) {
            outcome.sizing.appliances.push_back(std::move(result));
        }
        for (std::string& warning : sized.warnings) {
            outcome.sizing.warnings.push_back(slot->config.name + ": " + warning);
        }
        outcome.sizing.baselines = sized.baselines;
    }
    return outcome;
}

Result<sizing::SizingResult> ApplianceCore::liveSizing() const {
    auto outcome = whatIf(WhatIfRequest{});
    if (!outcome) {
        return outcome.error();
    }
    return std::move(outcome->sizing);
}

Result<db::Id> ApplianceCore::lastEventId() const {
    auto latest =
        impl_->readView([](db::Database& database) { return db::EventLog(database).latestId(); });
    if (!latest) {
        return latest.error();
    }
    return latest->value_or(0);
}

}  // namespace understudy::appliance

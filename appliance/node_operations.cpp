#include "appliance/node_operations.h"

#include <QLoggingCategory>

#include "appliance/core_support.h"
#include "appliance/node_inventory.h"
#include "db/cluster_stats_repository.h"
#include "db/grant_repository.h"

namespace understudy::appliance {

namespace {

Q_LOGGING_CATEGORY(lcOperations, "understudy.appliance")

using nlohmann::json;

}  // namespace

void NodeOperations::restorePreempted(ApplianceSlot& slot) {
    if (!context_.config.policy.restore_preempted) {
        return;
    }
    auto inventory = context_.store->read(
        [&](db::Database& database) { return ApplianceInventory::load(database, slot.id); });
    if (!inventory) {
        qCWarning(lcOperations, "%s: cannot read the inventory to restore preempted nodes: %s",
                  slot.config.name.c_str(), inventory.error().describe().c_str());
        return;
    }
    const std::vector<std::string> names = nodesToRestore(makeView(slot, *inventory));
    for (const std::string& name : names) {
        const NodeRow* row = inventory->find(name);
        if (!row) {
            continue;
        }
        const sizing::ClusterSpec spec = row->spec();
        Status started = slot.lifecycle(context_.confirmTimeout())
                             .startAt(row->node.domain, spec.effectiveStandby(), spec.active.vcpus);
        slot.remember(row->node.domain, context_.confirmTimeout());
        if (!started) {
            qCWarning(lcOperations, "%s: cannot restore preempted node %s: %s",
                      slot.config.name.c_str(), name.c_str(), started.error().describe().c_str());
            continue;
        }
        auto committed = context_.store->commit([&](db::Database& database, auto& events) {
            events.push_back(
                makeEvent("restored", row->cluster.name, name,
                          {{"appliance", slot.config.name}, {"domain", row->node.domain}}));
            return moveNode(database, row->node.id, db::NodeState::Standby, db::nowMs());
        });
        if (!committed) {
            qCWarning(lcOperations, "%s: restored node %s but cannot record it: %s",
                      slot.config.name.c_str(), name.c_str(), committed.error().describe().c_str());
        }
    }
}

Result<TakeoverOutcome> NodeOperations::takeover(ApplianceSlot& slot, const std::string& name) {
    if (Status connected = slot.requireConnected(); !connected) {
        return connected.error();
    }
    auto inventory = context_.store->read(
        [&](db::Database& database) { return ApplianceInventory::load(database, slot.id); });
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
        return TakeoverOutcome{name, true, makeGrantView(*row.grant, inventory->node_names), {}};
    }
    if (!canTakeOver(row.node.state)) {
        return stateConflict("take over", name, row.node.state);
    }
    const ApplianceView snapshot = makeView(slot, *inventory);
    const TakeoverDecision decision = decideTakeover(snapshot, name, context_.policy());
    const std::string cluster = row.cluster.name;
    CoreStore& store = *context_.store;
    if (!decision.granted) {
        const Denial denial = decision.denial.value_or(Denial{});
        Status logged = store.commitEvents(
            {makeEvent("takeover.requested", cluster, name, {{"appliance", slot.config.name}}),
             makeEvent("takeover.denied", cluster, name, {{"denial", denialJson(denial)}})});
        if (!logged) {
            return logged.error();
        }
        return TakeoverOutcome{name, false, std::nullopt, denial};
    }

    // Reserve first, in the books, under the appliance's lock (this worker).
    auto reserved = store.commit([&](db::Database& database, auto& events) {
        events.push_back(makeEvent("takeover.requested", cluster, name,
                                   {{"appliance", slot.config.name},
                                    {"grant", footprintJson(decision.grant)},
                                    {"partial", decision.partial},
                                    {"preempt", decision.preempt}}));
        return moveNode(database, row.node.id, db::NodeState::TakingOver, db::nowMs());
    });
    if (!reserved) {
        return reserved.error();
    }

    NodeLifecycle lifecycle = slot.lifecycle(context_.confirmTimeout());
    std::vector<const NodeRow*> preempted;
    auto rollBack = [&](const Error& failure) -> Error {
        const sizing::ClusterSpec spec = row.spec();
        Status shrunk =
            lifecycle.apply(row.node.domain, spec.effectiveStandby(), spec.active.vcpus);
        if (!shrunk) {
            qCWarning(lcOperations,
                      "%s: cannot shrink %s back to standby after a failed takeover: %s",
                      slot.config.name.c_str(), name.c_str(), shrunk.error().describe().c_str());
        }
        slot.remember(row.node.domain, context_.confirmTimeout());
        auto recorded = store.commit([&](db::Database& database, auto& events) {
            events.push_back(makeEvent("takeover.denied", cluster, name,
                                       {{"error", failure.describe()}, {"rolled_back", true}}));
            return moveNode(database, row.node.id, row.node.state, db::nowMs());
        });
        if (!recorded) {
            qCWarning(lcOperations, "%s: cannot record the rollback of %s: %s",
                      slot.config.name.c_str(), name.c_str(), recorded.error().describe().c_str());
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
        slot.remember(target->node.domain, context_.confirmTimeout());
        if (!saved) {
            return rollBack(saved.error());
        }
        auto recorded = store.commit([&](db::Database& database, auto& events) {
            events.push_back(makeEvent("preempted", target->cluster.name, victim,
                                       {{"for", name},
                                        {"for_cluster", cluster},
                                        {"appliance", slot.config.name},
                                        {"priority", target->cluster.priority}}));
            return moveNode(database, target->node.id, db::NodeState::Preempted, db::nowMs());
        });
        if (!recorded) {
            return rollBack(recorded.error());
        }
        preempted.push_back(target);
    }

    Status grown = lifecycle.apply(row.node.domain, decision.grant, row.cluster.active.vcpus);
    slot.remember(row.node.domain, context_.confirmTimeout());
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
    auto granted = store.commit([&](db::Database& database, auto& events) -> Status {
        auto opened = db::GrantRepository(database).open(grant);
        if (!opened) {
            return opened.error();
        }
        if (Status moved = moveNode(database, row.node.id, db::NodeState::Active, grant.grantedAt);
            !moved) {
            return moved;
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
    return TakeoverOutcome{name, true, makeGrantView(grant, inventory->node_names), std::nullopt};
}

Status NodeOperations::release(ApplianceSlot& slot, const std::string& name) {
    if (Status connected = slot.requireConnected(); !connected) {
        return connected;
    }
    auto found =
        context_.store->read([&](db::Database& database) { return loadNode(database, name); });
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
    Status shrunk = slot.lifecycle(context_.confirmTimeout())
                        .apply(row.node.domain, spec.effectiveStandby(), spec.active.vcpus);
    slot.remember(row.node.domain, context_.confirmTimeout());
    if (!shrunk) {
        return shrunk;
    }
    auto released = context_.store->commit([&](db::Database& database, auto& events) -> Status {
        const db::TimeMs now = db::nowMs();
        if (Status closed = closeGrant(database, row.node.id, row.cluster.id, now); !closed) {
            return closed;
        }
        json details = {{"appliance", slot.config.name}};
        if (row.grant) {
            details["held"] = footprintJson({row.grant->vcpus, row.grant->memoryMib});
        }
        events.push_back(makeEvent("release", row.cluster.name, name, details));
        return moveNode(database, row.node.id, db::NodeState::Standby, now);
    });
    if (!released) {
        return released.error();
    }
    restorePreempted(slot);
    return Done{};
}

}  // namespace understudy::appliance

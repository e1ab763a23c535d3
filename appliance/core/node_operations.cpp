#include "appliance/core/node_operations.h"

#include <QLoggingCategory>

#include <algorithm>

#include "appliance/core/core_support.h"
#include "appliance/core/node_inventory.h"
#include "db/cluster_stats_repository.h"
#include "db/grant_repository.h"

namespace understudy::core {

namespace {

Q_LOGGING_CATEGORY(lcOperations, "understudy.appliance")

using nlohmann::json;

void answerWith(const NodeOperations::TakeoverAnswer& answer, Result<TakeoverOutcome> outcome) {
    answer->addResult(std::move(outcome));
    answer->finish();
}

// Answers from the appliance's worker, as every other operation does, so that a caller's
// continuation never runs on (and holds up) the commit thread.
void answerOnWorker(ApplianceSlot& slot, const NodeOperations::TakeoverAnswer& answer,
                    Result<TakeoverOutcome> outcome) {
    auto shared = std::make_shared<Result<TakeoverOutcome>>(std::move(outcome));
    if (!slot.worker->post([answer, shared] { answerWith(answer, std::move(*shared)); })) {
        answerWith(answer, std::move(*shared));
    }
}

// The node a takeover asks for, when there is a decision to take; otherwise answers (an error,
// or the grant the node already holds) and gives nullptr.
NodeRow* takeoverCandidate(ApplianceSlot& slot, CoreStore& store, const std::string& name,
                           const NodeOperations::TakeoverAnswer& answer) {
    if (Status connected = slot.requireConnected(); !connected) {
        answerWith(answer, connected.error());
        return nullptr;
    }
    if (Status ready = slot.refreshModel(store); !ready) {
        answerWith(answer, ready.error());
        return nullptr;
    }
    NodeRow* row = slot.model.find(name);
    if (!row) {
        answerWith(answer, notFound("node", name));
        return nullptr;
    }
    if ((row->node.state == db::NodeState::Active ||
         row->node.state == db::NodeState::TakingOver) &&
        row->grant) {
        answerWith(answer, TakeoverOutcome{
                               name, true, makeGrantView(*row->grant, slot.model.node_names), {}});
        return nullptr;
    }
    if (!policy::canTakeOver(row->node.state)) {
        answerWith(answer, stateConflict("take over", name, row->node.state));
        return nullptr;
    }
    return row;
}

// Records the request and its denial, then answers.
void answerDenied(ApplianceSlot& slot, CoreStore& store, const std::string& name,
                  const std::string& cluster, const policy::TakeoverDecision& decision,
                  const Actor& actor, const NodeOperations::TakeoverAnswer& answer) {
    const policy::Denial denial = decision.denial.value_or(policy::Denial{});
    std::vector<db::DBEvent> logged{
        makeEvent("takeover.requested", cluster, name, {{"appliance", slot.config.name}}, actor),
        makeEvent("takeover.denied", cluster, name, {{"denial", denialJson(denial)}}, actor)};
    store.commitAsync(
        [logged](db::Database&, std::vector<db::DBEvent>& events) -> Status {
            events.insert(events.end(), logged.begin(), logged.end());
            return Done{};
        },
        [&slot, answer, name, denial](Result<db::Id> committed) {
            Result<TakeoverOutcome> outcome =
                committed
                    ? Result<TakeoverOutcome>(TakeoverOutcome{name, false, std::nullopt, denial})
                    : Result<TakeoverOutcome>(committed.error());
            answerOnWorker(slot, answer, std::move(outcome));
        });
}

}  // namespace

// One takeover between its reservation and its answer.
struct NodeOperations::Pending {
    std::string name;
    std::string cluster;
    Actor actor;
    NodeRow before;                // the node as committed before the takeover
    std::vector<NodeRow> victims;  // the nodes to preempt, as committed before
    policy::TakeoverDecision decision;
    std::vector<db::Id> preempted;  // victims saved and recorded so far
    std::vector<std::string> held;  // the node and its victims, in flight
    db::Id grant_id = 0;            // set on the commit thread by the grant's commit
    TakeoverAnswer answer;
};

QFuture<Result<TakeoverOutcome>> NodeOperations::takeover(ApplianceSlot& slot,
                                                          const std::string& name,
                                                          const Actor& actor) {
    auto answer = std::make_shared<QPromise<Result<TakeoverOutcome>>>();
    QFuture<Result<TakeoverOutcome>> future = answer->future();
    answer->start();
    const bool queued = slot.postPipelined(name, [this, &slot, name, actor, answer] {
        return beginTakeover(slot, name, actor, answer);
    });
    if (!queued) {
        answerWith(answer, stoppingError(slot.config.name));
    }
    return future;
}

void NodeOperations::continueOnWorker(ApplianceSlot& slot, const std::shared_ptr<Pending>& pending,
                                      std::function<void()> step) {
    if (!slot.worker->post(std::move(step))) {
        answerWith(pending->answer, stoppingError(slot.config.name));
    }
}

bool NodeOperations::beginTakeover(ApplianceSlot& slot, const std::string& name, const Actor& actor,
                                   const TakeoverAnswer& answer) {
    NodeRow* row = takeoverCandidate(slot, *context_.store, name, answer);
    if (!row) {
        return false;
    }
    const policy::TakeoverDecision decision =
        policy::decideTakeover(makeView(slot, slot.model), name, context_.policy());
    if (!decision.granted) {
        answerDenied(slot, *context_.store, name, row->cluster.name, decision, actor, answer);
        return false;
    }
    auto pending = std::make_shared<Pending>();
    pending->name = name;
    pending->cluster = row->cluster.name;
    pending->actor = actor;
    pending->before = *row;
    pending->decision = decision;
    pending->answer = answer;
    pending->held = {name};
    std::vector<NodeRow*> victims;
    for (const std::string& victim : decision.preempt) {
        NodeRow* target = slot.model.find(victim);
        if (!target) {
            answerWith(answer, Error{"internal", "the arbiter chose unknown node '" + victim + "'",
                                     slot.config.name});
            return false;
        }
        victims.push_back(target);
        pending->victims.push_back(*target);
        pending->held.push_back(victim);
    }
    reserveTakeover(slot, *row, victims, pending);
    return true;
}

// Reserves first, under the appliance's lock (this worker): in the model at once, so that the
// next decision counts it, and in the books before libvirt is touched.
void NodeOperations::reserveTakeover(ApplianceSlot& slot, NodeRow& row,
                                     const std::vector<NodeRow*>& victims,
                                     const std::shared_ptr<Pending>& pending) {
    const policy::TakeoverDecision& decision = pending->decision;
    const db::TimeMs now = db::nowMs();
    for (NodeRow* victim : victims) {
        victim->moveTo(db::NodeState::Preempted, now);
    }
    row.moveTo(db::NodeState::TakingOver, now);
    row.grant = db::DBGrant{};
    row.grant->nodeId = row.node.id;
    row.grant->memoryMib = decision.grant.memory_mib;
    row.grant->vcpus = decision.grant.vcpus;
    row.grant->partial = decision.partial;
    slot.gate.hold(decision.preempt);
    const db::Id node_id = row.node.id;
    const db::DBEvent requested = makeEvent("takeover.requested", pending->cluster, pending->name,
                                            {{"appliance", slot.config.name},
                                             {"grant", footprintJson(decision.grant)},
                                             {"partial", decision.partial},
                                             {"preempt", decision.preempt}},
                                            pending->actor);
    context_.store->commitAsync(
        [node_id, now, requested](db::Database& database, std::vector<db::DBEvent>& events) {
            events.push_back(requested);
            return moveNode(database, node_id, db::NodeState::TakingOver, now);
        },
        [this, &slot, pending](Result<db::Id> reserved) {
            continueOnWorker(slot, pending, [this, &slot, pending, reserved] {
                if (reserved) {
                    applyTakeover(slot, pending);
                    return;
                }
                // Nothing reached the books: the model goes back as it was.
                *slot.model.find(pending->name) = pending->before;
                for (const NodeRow& victim : pending->victims) {
                    *slot.model.find(victim.node.name) = victim;
                }
                slot.finishPipelined(pending->held);
                answerWith(pending->answer, reserved.error());
            });
        });
}

void NodeOperations::applyTakeover(ApplianceSlot& slot, const std::shared_ptr<Pending>& pending) {
    CoreStore& store = *context_.store;
    const NodeRow& before = pending->before;
    const policy::TakeoverDecision& decision = pending->decision;
    for (const NodeRow& victim : pending->victims) {
        Status saved = slot.hypervisor->managedSave(victim.node.domain);
        slot.remember(victim.node.domain, context_.confirmTimeout());
        if (!saved) {
            rollBack(slot, pending, saved.error());
            return;
        }
        const db::TimeMs now = db::nowMs();
        Status recorded = store.commit([&](db::Database& database, auto& events) {
            events.push_back(makeEvent("preempted", victim.cluster.name, victim.node.name,
                                       {{"for", pending->name},
                                        {"for_cluster", pending->cluster},
                                        {"appliance", slot.config.name},
                                        {"priority", victim.cluster.priority}},
                                       pending->actor));
            return moveNode(database, victim.node.id, db::NodeState::Preempted, now);
        });
        if (!recorded) {
            rollBack(slot, pending, recorded.error());
            return;
        }
        slot.model.find(victim.node.name)->node.since = now;
        pending->preempted.push_back(victim.node.id);
    }

    Status grown = slot.lifecycle(context_.confirmTimeout())
                       .apply(before.node.domain, decision.grant, before.cluster.active.vcpus);
    slot.remember(before.node.domain, context_.confirmTimeout());
    if (!grown) {
        rollBack(slot, pending, grown.error());
        return;
    }

    db::DBGrant grant;
    grant.nodeId = before.node.id;
    grant.memoryMib = decision.grant.memory_mib;
    grant.vcpus = decision.grant.vcpus;
    grant.partial = decision.partial;
    grant.grantedAt = db::nowMs();
    grant.preemptedNodeIds = pending->preempted;
    NodeRow& row = *slot.model.find(pending->name);
    row.grant = grant;
    row.moveTo(db::NodeState::Active, grant.grantedAt);
    const GrantView view = makeGrantView(grant, slot.model.node_names);
    const db::Id cluster_id = before.cluster.id;
    const db::DBEvent granted_event = makeEvent("takeover.granted", pending->cluster, pending->name,
                                                {{"appliance", slot.config.name},
                                                 {"grant", footprintJson(decision.grant)},
                                                 {"partial", decision.partial},
                                                 {"preempted", decision.preempt}},
                                                pending->actor);
    store.commitAsync(
        [grant, cluster_id, granted_event, pending](db::Database& database,
                                                    std::vector<db::DBEvent>& events) -> Status {
            auto opened = db::GrantRepository(database).open(grant);
            if (!opened) {
                return opened.error();
            }
            pending->grant_id = *opened;
            if (Status moved =
                    moveNode(database, grant.nodeId, db::NodeState::Active, grant.grantedAt);
                !moved) {
                return moved;
            }
            Status counted =
                db::ClusterStatsRepository(database).recordTakeover(cluster_id, grant.grantedAt);
            if (!counted) {
                return counted;
            }
            events.push_back(granted_event);
            return Done{};
        },
        [this, &slot, pending, view](Result<db::Id> granted) {
            if (!granted) {
                continueOnWorker(slot, pending, [this, &slot, pending, granted] {
                    rollBack(slot, pending, granted.error());
                });
                return;
            }
            const bool posted = slot.worker->post([&slot, pending, view] {
                if (NodeRow* granted_row = slot.model.find(pending->name);
                    granted_row && granted_row->grant) {
                    granted_row->grant->id = pending->grant_id;
                }
                answerWith(pending->answer,
                           TakeoverOutcome{pending->name, true, view, std::nullopt});
                slot.finishPipelined(pending->held);
            });
            if (!posted) {
                answerWith(pending->answer,
                           TakeoverOutcome{pending->name, true, view, std::nullopt});
            }
        });
}

void NodeOperations::rollBack(ApplianceSlot& slot, const std::shared_ptr<Pending>& pending,
                              const Error& failure) {
    const NodeRow& before = pending->before;
    const sizing::ClusterSpec spec = before.spec();
    Status shrunk = slot.lifecycle(context_.confirmTimeout())
                        .apply(before.node.domain, spec.effectiveStandby(), spec.active.vcpus);
    if (!shrunk) {
        qCWarning(lcOperations, "%s: cannot shrink %s back to standby after a failed takeover: %s",
                  slot.config.name.c_str(), pending->name.c_str(),
                  shrunk.error().describe().c_str());
    }
    slot.remember(before.node.domain, context_.confirmTimeout());
    const db::TimeMs now = db::nowMs();
    Status recorded = context_.store->commit([&](db::Database& database, auto& events) {
        events.push_back(makeEvent("takeover.denied", pending->cluster, pending->name,
                                   {{"error", failure.describe()}, {"rolled_back", true}},
                                   pending->actor));
        return moveNode(database, before.node.id, before.node.state, now);
    });
    NodeRow& row = *slot.model.find(pending->name);
    row = before;
    if (recorded) {
        row.node.since = now;
    } else {
        qCWarning(lcOperations, "%s: cannot record the rollback of %s: %s",
                  slot.config.name.c_str(), pending->name.c_str(),
                  recorded.error().describe().c_str());
        // The books still hold the reservation: rebuild the model from them once quiet.
        slot.model_stale = true;
    }
    for (const NodeRow& victim : pending->victims) {
        if (std::find(pending->preempted.begin(), pending->preempted.end(), victim.node.id) ==
            pending->preempted.end()) {
            *slot.model.find(victim.node.name) = victim;
        }
    }
    restorePreempted(slot, pending->held, pending->actor);
    answerWith(pending->answer, failure);
    slot.finishPipelined(pending->held);
}

void NodeOperations::restorePreempted(ApplianceSlot& slot, const Actor& actor) {
    restorePreempted(slot, {}, actor);
}

void NodeOperations::restorePreempted(ApplianceSlot& slot, const std::vector<std::string>& own,
                                      const Actor& actor) {
    if (!context_.config.policy.restore_preempted) {
        return;
    }
    if (Status ready = slot.refreshModel(*context_.store); !ready) {
        qCWarning(lcOperations, "%s: cannot read the inventory to restore preempted nodes: %s",
                  slot.config.name.c_str(), ready.error().describe().c_str());
        return;
    }
    const std::vector<std::string> names = policy::nodesToRestore(makeView(slot, slot.model));
    for (const std::string& name : names) {
        const NodeRow* found = slot.model.find(name);
        // A node another takeover in flight is preempting stays down.
        if (!found ||
            (slot.gate.inFlight(name) && std::find(own.begin(), own.end(), name) == own.end())) {
            continue;
        }
        const NodeRow row = *found;
        const sizing::ClusterSpec spec = row.spec();
        Status started = slot.lifecycle(context_.confirmTimeout())
                             .startAt(row.node.domain, spec.effectiveStandby(), spec.active.vcpus);
        slot.remember(row.node.domain, context_.confirmTimeout());
        if (!started) {
            qCWarning(lcOperations, "%s: cannot restore preempted node %s: %s",
                      slot.config.name.c_str(), name.c_str(), started.error().describe().c_str());
            continue;
        }
        const db::TimeMs now = db::nowMs();
        Status committed = context_.store->commit([&](db::Database& database, auto& events) {
            events.push_back(
                makeEvent("restored", row.cluster.name, name,
                          {{"appliance", slot.config.name}, {"domain", row.node.domain}}, actor));
            return moveNode(database, row.node.id, db::NodeState::Standby, now);
        });
        if (!committed) {
            qCWarning(lcOperations, "%s: restored node %s but cannot record it: %s",
                      slot.config.name.c_str(), name.c_str(), committed.error().describe().c_str());
            slot.model_stale = true;
            continue;
        }
        slot.model.find(name)->moveTo(db::NodeState::Standby, now);
    }
}

Status NodeOperations::release(ApplianceSlot& slot, const std::string& name, const Actor& actor) {
    if (Status connected = slot.requireConnected(); !connected) {
        return connected;
    }
    if (Status ready = slot.refreshModel(*context_.store); !ready) {
        return ready;
    }
    const NodeRow* found = slot.model.find(name);
    if (!found) {
        return notFound("node", name);
    }
    const NodeRow row = *found;
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
    const db::TimeMs now = db::nowMs();
    Status released = context_.store->commit([&](db::Database& database, auto& events) -> Status {
        if (Status closed = closeGrant(database, row.node.id, row.cluster.id, now); !closed) {
            return closed;
        }
        json details = {{"appliance", slot.config.name}};
        if (row.grant) {
            details["held"] = footprintJson({row.grant->vcpus, row.grant->memoryMib});
        }
        events.push_back(makeEvent("release", row.cluster.name, name, details, actor));
        return moveNode(database, row.node.id, db::NodeState::Standby, now);
    });
    if (!released) {
        return released;
    }
    NodeRow& changed = *slot.model.find(name);
    changed.grant.reset();
    changed.moveTo(db::NodeState::Standby, now);
    restorePreempted(slot, actor);
    return Done{};
}

}  // namespace understudy::core

#include "appliance/core/node_power.h"

#include <QPromise>

#include <memory>

#include "appliance/core/core_support.h"
#include "appliance/core/node_inventory.h"
#include "base/error_codes.h"

namespace understudy::core {

namespace {

// What a power action did to the domain, and what the books are to record of it.
struct PowerStep {
    Status done = Done{};
    std::optional<db::NodeState> next;
    bool close_grant = false;
};

PowerStep applyPower(ApplianceSlot& slot, std::chrono::milliseconds confirm_timeout,
                     const NodeRow& row, bool running, PowerAction action) {
    const std::string& domain = row.node.domain;
    const sizing::ClusterSpec spec = row.spec();
    hypervisor::NodeLifecycle lifecycle = slot.lifecycle(confirm_timeout);
    PowerStep step;
    switch (action) {
        case PowerAction::on:
            if (!running) {
                step.done = lifecycle.startAt(domain, spec.effectiveStandby(), spec.active.vcpus);
                step.next = db::NodeState::Standby;
                step.close_grant = row.grant.has_value();
            } else if (row.node.state != db::NodeState::Active &&
                       row.node.state != db::NodeState::TakingOver) {
                step.done = lifecycle.apply(domain, spec.effectiveStandby(), spec.active.vcpus);
                step.next = db::NodeState::Standby;
            }
            break;
        case PowerAction::off:
            if (running) {
                step.done = slot.hypervisor->destroy(domain);
            }
            step.next = db::NodeState::Fenced;
            step.close_grant = row.grant.has_value();
            break;
        case PowerAction::reboot:
            if (running) {
                step.done = slot.hypervisor->reset(domain);
            } else {
                step.done = lifecycle.startAt(domain, spec.effectiveStandby(), spec.active.vcpus);
                step.next = db::NodeState::Standby;
                step.close_grant = row.grant.has_value();
            }
            break;
        case PowerAction::status:
            break;
    }
    return step;
}

Status recordPower(CoreStore& store, const ApplianceSlot& slot, const NodeRow& row,
                   PowerAction action, const PowerStep& step, db::TimeMs now, const Actor& actor) {
    const std::string kind = std::string("fence.") + powerActionName(action);
    return store.commit([&](db::Database& database, auto& events) -> Status {
        if (step.close_grant) {
            if (Status closed = closeGrant(database, row.node.id, row.cluster.id, now); !closed) {
                return closed;
            }
        }
        if (step.next) {
            if (Status moved = moveNode(database, row.node.id, *step.next, now); !moved) {
                return moved;
            }
        }
        events.push_back(makeEvent(kind, row.cluster.name, row.node.name,
                                   {{"appliance", slot.config.name},
                                    {"domain", row.node.domain},
                                    {"was", std::string(db::nodeStateName(row.node.state))},
                                    {"grant_released", step.close_grant}},
                                   actor));
        return Done{};
    });
}

}  // namespace

Result<PowerState> NodePower::power(ApplianceSlot& slot, const std::string& name,
                                    PowerAction action, const Actor& actor) {
    if (Status connected = slot.requireConnected(); !connected) {
        return connected.error();
    }
    if (Status ready = slot.refreshModel(*context_.store); !ready) {
        return ready.error();
    }
    const NodeRow* found = slot.model.find(name);
    if (!found) {
        return notFound("node", name);
    }
    const NodeRow row = *found;
    auto info = slot.hypervisor->domainInfo(row.node.domain);
    if (!info) {
        if (info.error().code == errc::kDomainNotFound) {
            return stateConflict(std::string("power ") + powerActionName(action), name,
                                 db::NodeState::Missing);
        }
        return info.error();
    }
    const bool running = info->active();
    if (action == PowerAction::status) {
        return running ? PowerState::on : PowerState::off;
    }
    const PowerStep step = applyPower(slot, context_.confirmTimeout(), row, running, action);
    slot.remember(row.node.domain, context_.confirmTimeout());
    if (!step.done) {
        return step.done.error();
    }
    const db::TimeMs now = db::nowMs();
    if (Status recorded = recordPower(*context_.store, slot, row, action, step, now, actor);
        !recorded) {
        return recorded.error();
    }
    NodeRow& changed = *slot.model.find(name);
    if (step.close_grant) {
        changed.grant.reset();
    }
    if (step.next) {
        changed.moveTo(*step.next, now);
    }
    if (action == PowerAction::off) {
        operations_.restorePreempted(slot, actor);
    }
    return action == PowerAction::off ? PowerState::off : PowerState::on;
}

QFuture<Result<PowerState>> NodePower::powerOnLostAppliance(const ApplianceSlot& slot,
                                                            const std::string& name,
                                                            PowerAction action,
                                                            const Actor& actor) {
    auto promise = std::make_shared<QPromise<Result<PowerState>>>();
    QFuture<Result<PowerState>> future = promise->future();
    promise->start();
    const auto answer = [promise](Result<PowerState> result) {
        promise->addResult(std::move(result));
        promise->finish();
    };
    if (slot.reachable()) {
        // Back, though not rejoined yet: it is no longer known to be off, and only the rejoin
        // may touch it.
        answer(Error{errc::kHypervisorUnavailable,
                     "appliance '" + slot.config.name +
                         "' is lost but reachable again: rejoin it (understudyctl appliance "
                         "rejoin " +
                         slot.config.name + "), then ask again",
                     slot.config.name});
        return future;
    }
    if (action != PowerAction::off && action != PowerAction::status) {
        answer(Error{errc::kHypervisorUnavailable,
                     "appliance '" + slot.config.name +
                         "' is lost (known to be off): its nodes there cannot be powered on "
                         "until it rejoins",
                     slot.config.name});
        return future;
    }
    auto row =
        context_.store->readView([&](db::Database& database) { return loadNode(database, name); });
    if (!row || !*row || (*row)->node.applianceId != slot.id) {
        answer(!row    ? Result<PowerState>(row.error())
               : !*row ? Result<PowerState>(notFound("node", name))
                       : Result<PowerState>(Error{errc::kConflict,
                                                  "node '" + name +
                                                      "' has just been evacuated to another "
                                                      "appliance; ask again",
                                                  "standby"}));
        return future;
    }
    if (action == PowerAction::status) {
        answer(PowerState::off);
        return future;
    }
    const NodeRow node = **row;
    const std::string appliance = slot.config.name;
    const ApplianceSlot* owner = &slot;
    context_.store->commitAsync(
        [node, appliance, owner, actor](db::Database& database,
                                        std::vector<db::DBEvent>& events) -> Status {
            // Back or rejoined since the request was routed: the node may be running there.
            if (!owner->isLost() || owner->reachable()) {
                return Error{errc::kConflict, "appliance '" + appliance + "' is back; ask again",
                             "connected"};
            }
            if (Status moved = moveNode(database, node.node.id, db::NodeState::Fenced, db::nowMs());
                !moved) {
                return moved;
            }
            events.push_back(makeEvent("fence.off", node.cluster.name, node.node.name,
                                       {{"appliance", appliance},
                                        {"domain", node.node.domain},
                                        {"was", std::string(db::nodeStateName(node.node.state))},
                                        {"grant_released", false},
                                        {"appliance_lost", true}},
                                       actor));
            return Done{};
        },
        [answer](Result<db::Id> committed) {
            answer(committed ? Result<PowerState>(PowerState::off)
                             : Result<PowerState>(committed.error()));
        });
    return future;
}

}  // namespace understudy::core

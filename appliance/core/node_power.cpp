#include "appliance/core/node_power.h"

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
                   PowerAction action, const PowerStep& step, db::TimeMs now) {
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
                                    {"grant_released", step.close_grant}}));
        return Done{};
    });
}

}  // namespace

Result<PowerState> NodePower::power(ApplianceSlot& slot, const std::string& name,
                                    PowerAction action) {
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
    if (Status recorded = recordPower(*context_.store, slot, row, action, step, now); !recorded) {
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
        operations_.restorePreempted(slot);
    }
    return action == PowerAction::off ? PowerState::off : PowerState::on;
}

Result<PowerState> NodePower::powerOnLostAppliance(const ApplianceSlot& slot,
                                                   const std::string& name, PowerAction action) {
    if (action != PowerAction::off && action != PowerAction::status) {
        return slot.requireConnected().error();
    }
    auto row =
        context_.store->read([&](db::Database& database) { return loadNode(database, name); });
    if (!row) {
        return row.error();
    }
    if (!*row || (*row)->node.applianceId != slot.id) {
        // Moved since it was routed here: ask again.
        return Error{errc::kConflict, "node '" + name + "' moved to another appliance; ask again",
                     "moved"};
    }
    if (action == PowerAction::status) {
        return PowerState::off;
    }
    const NodeRow& node = **row;
    Status recorded = context_.store->commit([&](db::Database&, auto& events) -> Status {
        events.push_back(makeEvent("fence.off", node.cluster.name, node.node.name,
                                   {{"appliance", slot.config.name},
                                    {"domain", node.node.domain},
                                    {"was", std::string(db::nodeStateName(node.node.state))},
                                    {"grant_released", false},
                                    {"appliance_lost", true}}));
        return Done{};
    });
    if (!recorded) {
        return recorded.error();
    }
    return PowerState::off;
}

}  // namespace understudy::core

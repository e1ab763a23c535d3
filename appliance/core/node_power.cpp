#include "appliance/core/node_power.h"

#include "appliance/core/core_support.h"
#include "appliance/core/node_inventory.h"
#include "base/error_codes.h"

namespace understudy::core {

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
    const std::string& domain = row.node.domain;
    auto info = slot.hypervisor->domainInfo(domain);
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
    const sizing::ClusterSpec spec = row.spec();
    hypervisor::NodeLifecycle lifecycle = slot.lifecycle(context_.confirmTimeout());
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
    slot.remember(domain, context_.confirmTimeout());
    if (!done) {
        return done.error();
    }
    const std::string kind = std::string("fence.") + powerActionName(action);
    const db::TimeMs now = db::nowMs();
    Status recorded = context_.store->commit([&](db::Database& database, auto& events) -> Status {
        if (close_grant) {
            if (Status closed = closeGrant(database, row.node.id, row.cluster.id, now); !closed) {
                return closed;
            }
        }
        if (next) {
            if (Status moved = moveNode(database, row.node.id, *next, now); !moved) {
                return moved;
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
    NodeRow& changed = *slot.model.find(name);
    if (close_grant) {
        changed.grant.reset();
    }
    if (next) {
        changed.moveTo(*next, now);
    }
    if (action == PowerAction::off) {
        operations_.restorePreempted(slot);
    }
    return action == PowerAction::off ? PowerState::off : PowerState::on;
}

}  // namespace understudy::core

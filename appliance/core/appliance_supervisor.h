// Keeps each appliance's connection and its database in step with libvirt: connects (and retries
// while the host is away), records connection changes, and reconciles at start, on every domain
// lifecycle event and after every reconnect (understudyd(8)). Runs on the appliance's worker.
#pragma once

#include <functional>

#include <nlohmann/json.hpp>

#include "appliance/core/appliance_slot.h"
#include "appliance/core/core_context.h"
#include "appliance/hypervisor/hypervisor.h"

namespace understudy::core {

class ApplianceSupervisor {
public:
    explicit ApplianceSupervisor(CoreContext& context) : context_(context) {}

    void connect(ApplianceSlot& slot);
    // From any thread, once the core stops waiting for the slot's first connection: unless it
    // has succeeded, the appliance is unreachable from now on (an event each), as after a failed
    // attempt, so that its late success is recorded too and the views cached on the event log
    // see it.
    void noteFirstConnectionPending(ApplianceSlot& slot);
    Status reconcile(ApplianceSlot& slot);
    // Queues one reconciliation unless one is already waiting; from any thread.
    void scheduleReconcile(ApplianceSlot& slot);
    // Restores preempted nodes (NodeOperations::restorePreempted); run after a reconciliation
    // that rolled back a takeover a dead process had left reserved.
    void setRestorer(std::function<void(ApplianceSlot&)> restore) { restore_ = std::move(restore); }

private:
    struct Reconciliation {
        // An unanswered takeover or release went back to standby: what it preempted may return.
        bool rolled_back = false;
    };
    // Compares the books with libvirt and records what differs.
    Result<Reconciliation> reconcileWithLibvirt(ApplianceSlot& slot);
    void attachHandlers(ApplianceSlot& slot);
    // On the worker: the connection is back.
    void onConnectionEvent(ApplianceSlot& slot, const hypervisor::ConnectionEvent& change);
    // hypervisor.connected/disconnected, and appliance.reachable/unreachable unless it is lost.
    void recordConnection(ApplianceSlot& slot, bool now_connected, const nlohmann::json& details);

    CoreContext& context_;
    std::function<void(ApplianceSlot&)> restore_;
};

}  // namespace understudy::core

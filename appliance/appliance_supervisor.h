// Keeps each appliance's connection and its database in step with libvirt: connects (and
// retries while the host is away), records connection changes, and reconciles at start, on
// every domain lifecycle event and after every reconnect (PRODUCT.md, "Service: understudyd").
// Runs on the appliance's worker.
#pragma once

#include "appliance/appliance_slot.h"
#include "appliance/core_context.h"
#include "appliance/hypervisor.h"

namespace understudy::appliance {

class ApplianceSupervisor {
public:
    explicit ApplianceSupervisor(CoreContext& context) : context_(context) {}

    void connect(ApplianceSlot& slot);
    Status reconcile(ApplianceSlot& slot);
    // Queues one reconciliation unless one is already waiting; from any thread.
    void scheduleReconcile(ApplianceSlot& slot);

private:
    // Compares the books with libvirt and records what differs.
    Status compare(ApplianceSlot& slot);
    void attachHandlers(ApplianceSlot& slot);
    void onConnectionEvent(ApplianceSlot& slot, const ConnectionEvent& change);

    CoreContext& context_;
};

}  // namespace understudy::appliance

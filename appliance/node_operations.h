// Takeover and release of passive nodes, with preemption of lower-priority standby nodes and
// their restoration when capacity returns (PRODUCT.md, "Contention at takeover"). Runs on the
// node's appliance worker: that queue is the appliance's lock, and no database lock is held
// across a libvirt call.
#pragma once

#include <string>

#include "appliance/appliance_core.h"
#include "appliance/appliance_slot.h"
#include "appliance/core_context.h"

namespace understudy::appliance {

class NodeOperations {
public:
    explicit NodeOperations(CoreContext& context) : context_(context) {}

    Result<TakeoverOutcome> takeover(ApplianceSlot& slot, const std::string& name);
    Status release(ApplianceSlot& slot, const std::string& name);
    // Starts preempted nodes again, highest priority first, while they fit.
    void restorePreempted(ApplianceSlot& slot);

private:
    CoreContext& context_;
};

}  // namespace understudy::appliance

// Power and fencing of exactly one node's domain (docs/http-api.md, "Power and fencing"): on, off
// (fences the node and frees what it held), reboot, status. Runs on the node's appliance worker.
#pragma once

#include <string>

#include <QFuture>

#include "appliance/core/appliance_slot.h"
#include "appliance/core/core_context.h"
#include "appliance/core/core_types.h"
#include "appliance/core/node_operations.h"

namespace understudy::core {

class NodePower {
public:
    NodePower(CoreContext& context, NodeOperations& operations)
        : context_(context), operations_(operations) {}

    Result<PowerState> power(ApplianceSlot& slot, const std::string& name, PowerAction action,
                             const Actor& actor);
    // A node left on a lost appliance (stranded) is off, since its host is known to be: off and
    // status say so (off recorded as fence.off, the node fenced), so that its cluster's fencing
    // succeeds; on and reboot cannot reach it. Answers without any worker: an evacuation may hold
    // the inventory worker for long, and the lost appliance's worker may be hung on its dead host.
    QFuture<Result<PowerState>> powerOnLostAppliance(const ApplianceSlot& slot,
                                                     const std::string& name, PowerAction action,
                                                     const Actor& actor);

private:
    CoreContext& context_;
    NodeOperations& operations_;
};

}  // namespace understudy::core

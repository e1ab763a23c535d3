// Appliance loss (understudyd(8), "Appliance loss"): an appliance known to be off is declared
// lost, and its standby nodes are defined and started on the surviving appliances where the
// pool's N+1 plan puts them, each under admission; a node that fits nowhere is stranded, with the
// reason. A lost appliance comes back only through a rejoin, which first destroys and undefines
// the stale copies of the nodes that were moved away: a passive node never runs twice.
//
// Runs on the inventory worker; the libvirt work goes to the appliances' own workers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "appliance/core/appliance_supervisor.h"
#include "appliance/core/core_context.h"
#include "appliance/core/core_types.h"

namespace understudy::core {

class ApplianceLoss {
public:
    ApplianceLoss(CoreContext& context, ApplianceSupervisor& supervisor)
        : context_(context), supervisor_(supervisor) {}

    // conflict while the appliance is still reachable and not lost yet (silence is not proof
    // that it is off); called again on a lost appliance, it retries the nodes stranded so far.
    Result<LossOutcome> declareLost(const std::string& appliance, const LossCause& cause);
    // conflict unless the appliance is lost and reachable again.
    Result<RejoinOutcome> rejoin(const std::string& appliance, const Actor& actor);

private:
    CoreContext& context_;
    ApplianceSupervisor& supervisor_;
};

}  // namespace understudy::core

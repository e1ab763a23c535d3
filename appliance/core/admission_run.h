// Admission control over the appliances an inventory change concerns (docs/sizing-method.md,
// "In the service"): each appliance's decision, the warnings, and the events to record with the
// change (admission.accepted/warned) or instead of it (admission.refused).
#pragma once

#include <string>
#include <vector>

#include "appliance/core/appliance_slot.h"
#include "appliance/core/core_config.h"
#include "appliance/core/core_types.h"
#include "appliance/policy/arbitration.h"
#include "db/records.h"

namespace understudy::core {

struct ViewChange {
    ApplianceSlot* slot = nullptr;
    policy::ApplianceView before;
    policy::ApplianceView after;
};

struct AdmissionRun {
    bool accepted = true;
    std::vector<ApplianceAdmission> admissions;
    std::vector<std::string> warnings;
    std::vector<db::DBEvent> events;  // admission.accepted/warned, for the change's commit
    std::vector<db::DBEvent> refusals;
};

// `only_when_raised`: record admission.accepted only for changes that raise a risk. The events
// are those of `actor`, who asked for the change.
AdmissionRun runAdmission(const std::vector<ViewChange>& changes,
                          const std::vector<std::string>& clusters, const CorePolicy& policy,
                          bool only_when_raised, const Actor& actor);

}  // namespace understudy::core

// Sizing a pool with every cluster kept on the appliance it is on, as the service sizes its
// live fleet (each appliance on its own, with its own clusters), instead of the engine's own
// placement: on the live fleet the in-process figures then answer for where the nodes really
// are. A cluster with no appliance (added in the what-if) goes where the worst resulting
// overflow risk is lowest, as the service places a registration.
#pragma once

#include <map>
#include <string>

#include "sizing/fleet.h"
#include "sizing/sizing_result.h"

namespace understudy::gui {

// cluster name → appliance name
using Placement = std::map<std::string, std::string>;

// One ApplianceResult per appliance that holds clusters, in the fleet's order; no pool
// analysis (nothing is re-placed). With one appliance or no placement, sizing::size(fleet).
sizing::SizingResult sizePinned(const sizing::Fleet& fleet, const Placement& placement);

}  // namespace understudy::gui

// The appliance core's shared vocabulary: conversions between the store's and the sizing
// model's value types, the JSON its events carry, the errors its operations answer with, and
// the checks of a cluster's or group's figures that every inventory path applies.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "appliance/core/core_types.h"
#include "appliance/policy/arbitration.h"
#include "base/result.h"
#include "db/records.h"
#include "sizing/fleet.h"

namespace understudy::core {

sizing::Footprint toSizing(const db::Footprint& footprint);
db::Footprint toDb(const sizing::Footprint& footprint);
sizing::MemoryMode toSizing(db::MemoryMode mode);
db::MemoryMode toDb(sizing::MemoryMode mode);

nlohmann::json footprintJson(const sizing::Footprint& footprint);
nlohmann::json denialJson(const policy::Denial& denial);
nlohmann::json admissionJson(const std::string& appliance,
                             const policy::AdmissionDecision& decision,
                             const std::vector<std::string>& clusters);

// An event stamped now, caused by `actor`; details that are not an object become {}.
db::DBEvent makeEvent(std::string kind, std::optional<std::string> cluster,
                      std::optional<std::string> node, const nlohmann::json& details,
                      const Actor& actor);

Error notFound(const std::string& what, const std::string& name);
// conflict, with the state's name in Error::where.
Error stateConflict(const std::string& action, const std::string& node, db::NodeState state);
Error unavailable(const std::string& appliance, const std::string& reason);

bool raisesRisk(const policy::AdmissionDecision& decision);
double worstRisk(const std::array<double, sizing::kResourceCount>& risks);

// invalid_field naming `path` + the field.
Status checkSpec(const sizing::ClusterSpec& spec, const std::string& path);
Status checkGroupTimes(const std::string& group, double mtbf_hours, double mttr_hours,
                       const std::string& field);

}  // namespace understudy::core

// The JSON of API.md's resources, built from the core's views: one function per resource, so
// every endpoint (and the OpenAPI document's examples) writes the same shapes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "appliance/appliance_core.h"
#include "db/records.h"

namespace understudy::service {

using Json = nlohmann::ordered_json;

Json footprintJson(const sizing::Footprint& footprint);
Json applianceJson(const appliance::ApplianceStatus& status);
Json groupJson(const sizing::GroupSpec& group, const std::vector<std::string>& members);
Json clusterJson(const appliance::ClusterStatus& cluster);
Json nodeJson(const appliance::NodeStatus& node);
Json eventJson(const db::DBEvent& event);
Json denialJson(const appliance::Denial& denial);
Json readinessJson(const appliance::Readiness& readiness);
// The extra fields of a 409 admission_refused for one refusing appliance.
Json admissionRefusalJson(const appliance::ApplianceAdmission& admission);
Json whatIfJson(const appliance::WhatIfOutcome& outcome);
// A time in milliseconds as API.md writes times, or null.
Json timeJson(std::optional<db::TimeMs> time);

}  // namespace understudy::service

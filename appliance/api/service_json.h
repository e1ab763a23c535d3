// The JSON of the resources of docs/http-api.md, built from the core's views: one function per
// resource, so every endpoint (and the OpenAPI document's examples) writes the same shapes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "appliance/core/core_types.h"
#include "db/records.h"

namespace understudy::api {

using Json = nlohmann::ordered_json;

Json footprintJson(const sizing::Footprint& footprint);
// The risk of now: the nodes that could not take over at full size, and denial_risk.
Json notReadyJson(const std::vector<core::NotReadyNode>& not_ready);
Json denialRiskJson(const core::ApplianceStatus& status);
Json applianceJson(const core::ApplianceStatus& status);
Json groupJson(const sizing::GroupSpec& group, const std::vector<std::string>& members);
Json clusterJson(const core::ClusterStatus& cluster);
Json nodeJson(const core::NodeStatus& node);
Json eventJson(const db::DBEvent& event);
Json denialJson(const policy::Denial& denial);
Json readinessJson(const core::Readiness& readiness);
// The extra fields of a 409 admission_refused for one refusing appliance.
Json admissionRefusalJson(const core::ApplianceAdmission& admission);
Json whatIfJson(const core::WhatIfOutcome& outcome);
// A time in milliseconds as docs/http-api.md ("Basics") writes times, or null.
Json timeJson(std::optional<db::TimeMs> time);

}  // namespace understudy::api

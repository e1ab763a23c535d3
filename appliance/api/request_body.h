// The request bodies of docs/http-api.md as values. Each decoder takes the body's JSON object (as
// http::parseJsonBody gives it: an object, depth-bounded, no repeated keys) and returns the value
// or an "invalid_field" error whose `where` is the offending field's JSON path. They are pure: what
// they need of the service's state arrives as names, so the handlers stay thin and the fuzzer
// (tests/fuzz/) drives them without a service.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "appliance/core/core_types.h"
#include "base/result.h"

namespace understudy::api {

// Unknown keys are refused: a misspelt field would otherwise change nothing, silently.
Status onlyKeys(const nlohmann::json& object, const std::string& path,
                std::initializer_list<std::string_view> keys);

// Takeover, release and token rotation take no fields: an empty object or no body at all.
Status emptyObjectFromJson(const nlohmann::json& document);

// PATCH /groups/{name}: mtbf_hours, mttr_hours.
Result<core::GroupChange> groupChangeFromJson(const nlohmann::json& document);

// POST /clusters: one cluster object, or a fleet file's content (`clusters`, `groups`; the
// fleet-wide settings are accepted and named in `warnings` as ignored). `appliances` are the
// configured appliance names a cluster may name.
struct RegistrationBody {
    core::RegistrationRequest request;
    std::vector<std::string> warnings;
    bool fleet = false;
};
Result<RegistrationBody> registrationFromJson(const nlohmann::json& document,
                                              const std::vector<std::string>& appliances);

// PATCH /clusters/{name}. Whether a named group exists is the caller's check.
Result<core::ClusterChange> clusterChangeFromJson(const nlohmann::json& document);

// POST /nodes/{name}/power: {"action": "on"|"off"|"reboot"|"status"}.
Result<PowerAction> powerActionFromJson(const nlohmann::json& document);
// POST /appliances/{name}/lost: exactly {"confirmed_down": true}.
Status confirmedDownFromJson(const nlohmann::json& document);

// POST /sizing/what-if; `clusters` are the registered cluster names (fail and remove must name
// one), `appliances` the configured appliance names (add and capacity may name one).
Result<core::WhatIfRequest> whatIfFromJson(const nlohmann::json& document,
                                           const std::vector<std::string>& clusters,
                                           const std::vector<std::string>& appliances);

}  // namespace understudy::api

// GET /sizing and POST /sizing/what-if: the live fleet through the sizing engine.
#include "appliance/api/api_service.h"

#include "appliance/api/handler_preamble.h"
#include "sizing/result_json.h"

namespace understudy::api {

using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

HttpResponse ApiService::sizing(const HttpRequest& request) {
    if (auto refused = requireAdmin(request)) {
        return *refused;
    }
    auto result = core_.liveSizing();
    if (!result) {
        return errorAnswer(result.error());
    }
    auto appliances = applianceViews();
    if (!appliances) {
        return errorAnswer(appliances.error());
    }
    // The steady-state figures of the engine, and beside them each appliance's risk of now.
    Json made = sizing::resultToJson(*result);
    for (Json& appliance : made["appliances"]) {
        for (const core::ApplianceStatus& status : *appliances) {
            if (appliance.value("name", std::string()) == status.name) {
                appliance["not_ready"] = notReadyJson(status.not_ready);
                appliance["denial_risk"] = denialRiskJson(status);
            }
        }
    }
    return jsonAnswer(200, made);
}

HttpResponse ApiService::whatIf(const HttpRequest& request) {
    auto what_if = adminBody(
        request, [this](const nlohmann::json& document) { return decodeWhatIf(document); });
    if (!what_if) {
        return what_if.refusal();
    }
    auto outcome = core_.whatIf(*what_if);
    if (!outcome) {
        return errorAnswer(outcome.error());
    }
    return jsonAnswer(200, whatIfJson(*outcome));
}

Result<core::WhatIfRequest> ApiService::decodeWhatIf(const nlohmann::json& document) const {
    auto clusters = core_.clusters();
    if (!clusters) {
        return clusters.error();
    }
    std::vector<std::string> cluster_names;
    for (const core::ClusterStatus& cluster : *clusters) {
        cluster_names.push_back(cluster.spec.name);
    }
    return whatIfFromJson(document, cluster_names, applianceNames());
}

}  // namespace understudy::api

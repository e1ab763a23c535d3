// GET /appliances and /appliances/{name}; POST /appliances/{name}/lost and /rejoin.
#include "appliance/api/api_service.h"
#include "appliance/api/handler_preamble.h"

namespace understudy::api {

using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

HttpResponse ApiService::appliances(const HttpRequest& request) {
    if (auto refused = requireAdmin(request)) {
        return *refused;
    }
    auto appliances = applianceViews();
    if (!appliances) {
        return errorAnswer(appliances.error());
    }
    Json list = Json::array();
    for (const core::ApplianceStatus& status : *appliances) {
        list.push_back(applianceJson(status));
    }
    Json made;
    made["appliances"] = std::move(list);
    return jsonAnswer(200, made);
}

HttpResponse ApiService::appliance(const HttpRequest& request) {
    if (auto refused = requireAdmin(request)) {
        return *refused;
    }
    const std::string name = capturedName(request);
    auto appliances = applianceViews();
    if (!appliances) {
        return errorAnswer(appliances.error());
    }
    for (const core::ApplianceStatus& status : *appliances) {
        if (status.name == name) {
            return jsonAnswer(200, applianceJson(status));
        }
    }
    return http::errors::notFound(
        QStringLiteral("there is no appliance named '%1'; GET /api/v1/appliances lists them")
            .arg(toQString(name)));
}

void ApiService::declareLost(const HttpRequest& request, const Responder& responder) {
    auto confirmed = adminBody(request, confirmedDownFromJson);
    if (!confirmed) {
        return responder.send(confirmed.refusal());
    }
    core::LossCause cause;
    cause.actor = actorOf(request);
    whenDone(core_.declareLost(capturedName(request), cause), responder,
             [](const Result<core::LossOutcome>& outcome) {
                 if (!outcome) {
                     return errorAnswer(outcome.error());
                 }
                 Json evacuated = Json::array();
                 for (const core::EvacuatedNode& node : outcome->evacuated) {
                     evacuated.push_back({{"node", node.node}, {"to", node.to}});
                 }
                 Json stranded = Json::array();
                 for (const core::StrandedNode& node : outcome->stranded) {
                     stranded.push_back({{"node", node.node}, {"reason", node.reason}});
                 }
                 Json made;
                 made["appliance"] = outcome->appliance;
                 made["evacuated"] = std::move(evacuated);
                 made["stranded"] = std::move(stranded);
                 return jsonAnswer(200, made);
             });
}

void ApiService::rejoin(const HttpRequest& request, const Responder& responder) {
    if (auto refused = requireAdmin(request)) {
        return responder.send(*refused);
    }
    if (auto refused = noBody(request)) {
        return responder.send(*refused);
    }
    whenDone(core_.rejoin(capturedName(request), actorOf(request)), responder,
             [this](const Result<core::RejoinOutcome>& outcome) {
                 if (!outcome) {
                     return errorAnswer(outcome.error());
                 }
                 auto appliances = core_.appliances();
                 if (!appliances) {
                     return errorAnswer(appliances.error());
                 }
                 for (const core::ApplianceStatus& status : *appliances) {
                     if (status.name == outcome->appliance) {
                         return jsonAnswer(200, applianceJson(status));
                     }
                 }
                 return errorAnswer(Error{"internal", "the rejoined appliance vanished", {}});
             });
}

}  // namespace understudy::api

// GET /appliances and /appliances/{name}.
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

}  // namespace understudy::api

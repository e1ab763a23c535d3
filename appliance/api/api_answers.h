// The answers every handler of the API shares: a JSON document as a response, the core's errors
// mapped onto the API's statuses and codes (docs/http-api.md, "Errors"), admission refusals.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <QString>

#include "appliance/api/service_json.h"
#include "appliance/core/core_types.h"
#include "appliance/http/http_request.h"
#include "appliance/http/http_response.h"
#include "base/result.h"

namespace understudy::api {

http::HttpResponse jsonAnswer(int status, const Json& document);
QString toQString(const std::string& text);
// An invalid_field error about `field` of the request.
Error invalid(const std::string& field, const std::string& message);
// Core errors carry the API's codes; conflicts carry the node state in `where` when a state is
// the reason, and a field path otherwise.
http::HttpResponse errorAnswer(const Error& error);
// A body that must be empty or an empty object (takeover, release, token rotation): the refusal
// when it is not.
std::optional<http::HttpResponse> noBody(const http::HttpRequest& request);
// A core error about "clusters[0].x" in a one-cluster request is about "x" of the body.
Error forSingleCluster(Error error);
// 409 admission_refused naming the first refusing appliance of `admissions`; `what` is the
// change refused ("registering the fleet").
http::HttpResponse refusalAnswer(const std::vector<core::ApplianceAdmission>& admissions,
                                 const std::string& what);

}  // namespace understudy::api

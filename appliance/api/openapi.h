// The OpenAPI 3.1 document of the API (GET /api/v1/openapi.json), written out operation by
// operation from docs/http-api.md rather than generated from the router, so that a test comparing
// it with the routes the server registers catches a route added to one and not the other.
#pragma once

#include <string>

#include "appliance/api/service_json.h"

namespace understudy::api {

Json openApiDocument(const std::string& version);

}  // namespace understudy::api

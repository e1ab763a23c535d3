// The API's request bodies: the body parser (http::parseJsonObject: an object, depth at most
// 64, no repeated key) and every decoder of appliance/service/request_body.h on what it
// accepts, with the error answers the service would send built as it builds them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <QString>

#include "appliance/api/request_body.h"
#include "appliance/http/http_response.h"
#include "sizing/fleet_file.h"

namespace {

using understudy::Error;

void answer(const Error& error) {
    const auto response =
        error.code == "invalid_field"
            ? understudy::http::errors::invalidField(QString::fromStdString(error.where),
                                                     QString::fromStdString(error.message))
            : understudy::http::errors::malformedJson(QString::fromStdString(error.describe()));
    (void)response.body.size();
}

template <typename T>
void decoded(const understudy::Result<T>& result) {
    if (!result) {
        answer(result.error());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace understudy::api;
    const understudy::http::JsonBody body = understudy::http::parseJsonObject(
        QByteArrayView(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size)));
    if (!body.ok()) {
        (void)body.refusal().body.size();
        return 0;
    }
    const std::vector<std::string> appliances{"demo", "rack-1"};
    const std::vector<std::string> clusters{"crm", "erp", "web"};
    const nlohmann::json& document = body.document();
    if (auto empty = emptyObjectFromJson(document); !empty) {
        answer(empty.error());
    }
    decoded(groupChangeFromJson(document));
    decoded(registrationFromJson(document, appliances));
    decoded(clusterChangeFromJson(document));
    decoded(powerActionFromJson(document));
    decoded(whatIfFromJson(document, clusters, appliances));
    decoded(understudy::sizing::groupFromJson(document, ""));
    decoded(understudy::sizing::applianceFromJson(document, ""));
    return 0;
}

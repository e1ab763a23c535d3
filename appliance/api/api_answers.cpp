#include "appliance/api/api_answers.h"

#include <set>

#include "appliance/api/request_body.h"
#include "base/error_codes.h"
#include "db/records.h"

namespace understudy::api {

using http::HttpRequest;
using http::HttpResponse;

HttpResponse jsonAnswer(int status, const Json& document) {
    return HttpResponse::bytes(status, QByteArray::fromStdString(document.dump()),
                               "application/json");
}

QString toQString(const std::string& text) {
    return QString::fromStdString(text);
}

Error invalid(const std::string& field, const std::string& message) {
    return Error{errc::kInvalidField, message, field};
}

// Core errors carry the codes of docs/http-api.md ("Errors"); conflicts carry the node state in
// `where` when a state is the reason, and a field path otherwise.
HttpResponse errorAnswer(const Error& error) {
    const QString message = toQString(error.message);
    if (error.code == errc::kInvalidField) {
        return http::errors::invalidField(toQString(error.where), message);
    }
    if (error.code == errc::kMalformedJson) {
        return http::errors::malformedJson(message);
    }
    if (error.code == errc::kNotFound) {
        return http::errors::notFound(message);
    }
    if (error.code == errc::kConflict) {
        // A node's state, or an appliance's (connected, unreachable, lost) for its loss and
        // rejoin.
        static const std::set<std::string> appliance_states{"connected", "unreachable", "lost"};
        if (db::parseNodeState(error.where) || appliance_states.count(error.where) != 0) {
            return http::errors::conflict(message, toQString(error.where));
        }
        return http::errors::conflict(message);
    }
    // libvirt refusing or failing an operation, like a domain template that cannot be read, is
    // the host's state, not a bug of the service: the caller gets the reason and a retry hint,
    // as for a lost connection (the template is read again on the next try).
    static const std::set<std::string> hypervisor_failures{
        "hypervisor_unavailable", "hypervisor_error",
        "hypervisor_failed",      "timeout",
        "permission_denied",      "invalid_domain_xml",
        "invalid_template",       errc::kTemplateUnreadable};
    if (hypervisor_failures.contains(error.code)) {
        return http::errors::hypervisorUnavailable(message, 5);
    }
    if (error.code.starts_with("database_")) {
        return http::errors::databaseUnavailable(message, 5);
    }
    return http::errors::internal(toQString(error.code + ": " + error.describe()));
}

// A body that must be empty or an empty object (takeover, release, token rotation).
std::optional<HttpResponse> noBody(const HttpRequest& request) {
    if (request.body.trimmed().isEmpty()) {
        return std::nullopt;
    }
    http::JsonBody body = http::parseJsonBody(request);
    if (!body.ok()) {
        return body.refusal();
    }
    if (Status empty = emptyObjectFromJson(body.document()); !empty) {
        return errorAnswer(empty.error());
    }
    return std::nullopt;
}

// A core error about "clusters[0].x" in a one-cluster request is about "x" of the body.
Error forSingleCluster(Error error) {
    const std::string prefix = "clusters[0].";
    if (error.where.starts_with(prefix)) {
        error.where = error.where.substr(prefix.size());
    } else if (error.where == "clusters[0]") {
        error.where.clear();
    }
    return error;
}

HttpResponse refusalAnswer(const std::vector<core::ApplianceAdmission>& admissions,
                           const std::string& what) {
    for (const core::ApplianceAdmission& admission : admissions) {
        if (!admission.decision.accepted) {
            std::string message = what + " was refused: " + admission.decision.reason;
            if (admission.decision.reason.empty()) {
                message = what + " would raise appliance '" + admission.appliance +
                          "''s overflow risk above the target " +
                          std::to_string(admission.decision.target_risk) +
                          "; add capacity or shrink the change";
            }
            return http::errors::admissionRefused(
                toQString(message), nlohmann::json::parse(admissionRefusalJson(admission).dump()));
        }
    }
    return http::errors::internal(toQString(what + ": refused without a refusing appliance"));
}

}  // namespace understudy::api

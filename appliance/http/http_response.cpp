#include "appliance/http/http_response.h"

#include <QRandomGenerator>
#include <string>

#include "appliance/http/api_log.h"
#include "base/error_codes.h"
#include "base/json_document.h"

namespace understudy::http {

Q_LOGGING_CATEGORY(lcApi, "understudy.api")

namespace {

std::string utf8(const QString& text) {
    const QByteArray bytes = text.toUtf8();
    return std::string(bytes.constData(), static_cast<std::size_t>(bytes.size()));
}

}  // namespace

HttpResponse HttpResponse::json(int status, const nlohmann::json& document) {
    // Invalid UTF-8 in a string (from a client or libvirt) is replaced rather than thrown on,
    // so producing an answer cannot fail.
    const std::string text =
        document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return bytes(status, QByteArray(text.data(), static_cast<qsizetype>(text.size())),
                 "application/json");
}

HttpResponse HttpResponse::bytes(int status, QByteArray body, QByteArray content_type) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers.append({"Content-Type", std::move(content_type)});
    return response;
}

HttpResponse HttpResponse::streamed(int status, std::shared_ptr<QIODevice> device, qint64 size,
                                    QByteArray content_type) {
    HttpResponse response;
    response.status = status;
    response.stream = std::move(device);
    response.stream_size = size;
    response.headers.append({"Content-Type", std::move(content_type)});
    return response;
}

HttpResponse HttpResponse::noContent() {
    HttpResponse response;
    response.status = 204;
    return response;
}

HttpResponse& HttpResponse::withHeader(QByteArray name, QByteArray value) {
    headers.append({std::move(name), std::move(value)});
    return *this;
}

QByteArray HttpResponse::header(QByteArrayView name) const {
    for (const auto& [key, value] : headers) {
        if (name.compare(key, Qt::CaseInsensitive) == 0) {
            return value;
        }
    }
    return {};
}

HttpResponse errorResponse(int status, const QString& code, const QString& message,
                           const nlohmann::json& extra) {
    nlohmann::json document = nlohmann::json::object();
    document["error"] = utf8(code);
    document["message"] = utf8(message);
    if (extra.is_object()) {
        for (const auto& [key, value] : extra.items()) {
            if (key != "error" && key != "message") {
                document[key] = value;
            }
        }
    }
    HttpResponse response = HttpResponse::json(status, document);
    response.error = code;
    return response;
}

namespace errors {

HttpResponse malformedJson(const QString& message) {
    return errorResponse(400, "malformed_json", message);
}

HttpResponse invalidField(const QString& field, const QString& message) {
    return errorResponse(400, "invalid_field", message, {{"field", utf8(field)}});
}

HttpResponse unauthorized() {
    return errorResponse(401, "unauthorized",
                         "A valid bearer token is required: send `Authorization: Bearer TOKEN` "
                         "with the admin token or the cluster's token.")
        .withHeader("WWW-Authenticate", "Bearer");
}

HttpResponse forbidden(const QString& message) {
    return errorResponse(403, "forbidden", message);
}

HttpResponse notFound(const QString& message) {
    return errorResponse(404, "not_found", message);
}

HttpResponse methodNotAllowed(const QByteArray& method, const QList<QByteArray>& allowed) {
    const QByteArray list = allowed.isEmpty() ? QByteArray() : QByteArrayList(allowed).join(", ");
    return errorResponse(405, "method_not_allowed",
                         QStringLiteral("This path does not accept %1; use %2.")
                             .arg(QString::fromLatin1(method), QString::fromLatin1(list)))
        .withHeader("Allow", list);
}

HttpResponse admissionRefused(const QString& message, const nlohmann::json& extra) {
    return errorResponse(409, "admission_refused", message, extra);
}

HttpResponse takeoverDenied(const QString& message, const nlohmann::json& denial) {
    return errorResponse(409, "takeover_denied", message, {{"denial", denial}});
}

HttpResponse conflict(const QString& message, const std::optional<QString>& state) {
    nlohmann::json extra = nlohmann::json::object();
    if (state) {
        extra["state"] = utf8(*state);
    }
    return errorResponse(409, "conflict", message, extra);
}

HttpResponse payloadTooLarge(qint64 limit) {
    return errorResponse(413, "payload_too_large",
                         QStringLiteral("The request body is larger than %1 bytes; send less, "
                                        "or raise max_body_bytes in the service's config.")
                             .arg(limit),
                         {{"limit", limit}});
}

HttpResponse uriTooLong(int limit) {
    return errorResponse(414, "uri_too_long",
                         QStringLiteral("The request line is longer than %1 bytes; shorten the "
                                        "path and query.")
                             .arg(limit));
}

HttpResponse headersTooLarge(int limit) {
    return errorResponse(431, "headers_too_large",
                         QStringLiteral("The request's header fields exceed %1 bytes or the "
                                        "allowed count; send fewer or shorter headers.")
                             .arg(limit));
}

HttpResponse badRequest(const QString& message) {
    return errorResponse(400, "bad_request", message);
}

HttpResponse internal(const QString& what) {
    const QString id =
        QString::number(QRandomGenerator::global()->generate64(), 16).rightJustified(16, '0');
    qCCritical(lcApi).noquote() << "internal error" << id << ":" << what;
    return errorResponse(500, "internal",
                         QStringLiteral("The service failed on this request (a bug); report "
                                        "the id %1, which is in the service's log.")
                             .arg(id),
                         {{"id", utf8(id)}});
}

HttpResponse hypervisorUnavailable(const QString& message, int retry_after_s) {
    return errorResponse(503, "hypervisor_unavailable", message)
        .withHeader("Retry-After", QByteArray::number(retry_after_s));
}

HttpResponse databaseUnavailable(const QString& message, int retry_after_s) {
    return errorResponse(503, "database_unavailable", message)
        .withHeader("Retry-After", QByteArray::number(retry_after_s));
}

}  // namespace errors

JsonBody parseJsonObject(QByteArrayView text) {
    auto parsed =
        parseJsonDocument(std::string_view(text.data(), static_cast<std::size_t>(text.size())),
                          "body", kMaxJsonDepth);
    if (!parsed) {
        const Error& error = parsed.error();
        if (error.code == errc::kInvalidField) {
            // where is "body: <json path>"; the API's `field` is the path alone.
            constexpr std::string_view kPrefix = "body: ";
            std::string field = error.where;
            if (field.starts_with(kPrefix)) {
                field.erase(0, kPrefix.size());
            }
            return JsonBody(errors::invalidField(QString::fromStdString(field),
                                                 QString::fromStdString(error.message)));
        }
        return JsonBody(errors::malformedJson(QString::fromStdString(error.describe())));
    }
    if (!parsed->is_object()) {
        return JsonBody(errors::malformedJson(
            QStringLiteral("The request body must be a JSON object ({...}), not %1.")
                .arg(QString::fromLatin1(parsed->type_name()))));
    }
    return JsonBody(std::move(parsed).value());
}

JsonBody parseJsonBody(const HttpRequest& request) {
    return parseJsonObject(request.body);
}

const char* reasonPhrase(int status) {
    switch (status) {
        case 100:
            return "Continue";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 411:
            return "Length Required";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 422:
            return "Unprocessable Content";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Unknown";
    }
}

}  // namespace understudy::http

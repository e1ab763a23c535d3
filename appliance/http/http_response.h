// Responses of the API: JSON bodies from nlohmann::json, and one helper per row of the error table
// of docs/http-api.md ("Errors") so every error has the shape {"error": CODE, "message": TEXT,
// ...extra}.
#pragma once

#include <QByteArray>
#include <QIODevice>
#include <QString>
#include <memory>
#include <optional>
#include <variant>

#include <nlohmann/json.hpp>

#include "appliance/http/http_request.h"

namespace understudy::http {

struct HttpResponse {
    int status = 200;
    HeaderList headers;  // besides Content-Length and Connection, which the server writes
    QByteArray body;
    // Instead of `body`: `stream_size` bytes read from `stream` (open for reading) a chunk at a
    // time as the client takes them, so a large download (GET /backup) never sits whole in
    // memory. A device that ends early aborts the connection: the length was promised.
    std::shared_ptr<QIODevice> stream;
    qint64 stream_size = 0;
    // The `error` code of an error response, kept for logs and metrics.
    QString error;

    static HttpResponse json(int status, const nlohmann::json& document);
    static HttpResponse bytes(int status, QByteArray body, QByteArray content_type);
    static HttpResponse noContent();
    static HttpResponse streamed(int status, std::shared_ptr<QIODevice> device, qint64 size,
                                 QByteArray content_type);
    HttpResponse& withHeader(QByteArray name, QByteArray value);
    QByteArray header(QByteArrayView name) const;
};

// {"error": code, "message": message} merged with the fields of `extra` (an object or null).
HttpResponse errorResponse(int status, const QString& code, const QString& message,
                           const nlohmann::json& extra = nlohmann::json());

namespace errors {

HttpResponse malformedJson(const QString& message);
// `field` is the JSON path of the offending field, e.g. "clusters[3].standby.memory_mib".
HttpResponse invalidField(const QString& field, const QString& message);
HttpResponse unauthorized();
HttpResponse forbidden(const QString& message);
HttpResponse notFound(const QString& message);
// `allowed` becomes the Allow header (RFC 9110 15.5.6), e.g. {"GET", "POST"}.
HttpResponse methodNotAllowed(const QByteArray& method, const QList<QByteArray>& allowed);
// extra: {"appliance", "overflow_risk": {"memory_mib", "vcpus"}, "target_risk", "unservable"}
HttpResponse admissionRefused(const QString& message, const nlohmann::json& extra);
HttpResponse takeoverDenied(const QString& message, const nlohmann::json& denial);
// `state`, when given, is the node state that makes the operation impossible.
HttpResponse conflict(const QString& message, const std::optional<QString>& state = {});
HttpResponse payloadTooLarge(qint64 limit);
HttpResponse uriTooLong(int limit);
// The HTTP layer's own code (docs/http-api.md, "Errors"): the request head is above the server's
// bound (RFC 6585 5).
HttpResponse headersTooLarge(int limit);
// The HTTP layer's own code (docs/http-api.md, "Errors"): the request is not HTTP/1.x the server
// can parse.
HttpResponse badRequest(const QString& message);
// Logs `what` with a new correlation id under understudy.api and answers only the id, so
// internals never reach the client.
HttpResponse internal(const QString& what);
HttpResponse hypervisorUnavailable(const QString& message, int retry_after_s);
HttpResponse databaseUnavailable(const QString& message, int retry_after_s);

}  // namespace errors

// The body as a JSON object, parsed with parseJsonDocument (depth at most 64,
// duplicate keys refused), or the 400 answer to send instead.
class JsonBody {
public:
    explicit JsonBody(nlohmann::json document) : value_(std::move(document)) {}
    explicit JsonBody(HttpResponse refusal) : value_(std::move(refusal)) {}

    bool ok() const { return std::holds_alternative<nlohmann::json>(value_); }
    const nlohmann::json& document() const { return std::get<nlohmann::json>(value_); }
    const HttpResponse& refusal() const { return std::get<HttpResponse>(value_); }

private:
    std::variant<nlohmann::json, HttpResponse> value_;
};
JsonBody parseJsonBody(const HttpRequest& request);
JsonBody parseJsonObject(QByteArrayView text);

// Reason phrase for a status line ("Not Found"); "Unknown" for codes the API never sends.
const char* reasonPhrase(int status);

}  // namespace understudy::http

// What went wrong with one API call: the service's error object (docs/http-api.md, "Errors") with
// its extra fields, or a failure on the client's side (unreachable, timed out, an answer of an
// unexpected shape).
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <optional>
#include <utility>
#include <variant>

#include "appliance/client/api_types.h"

namespace understudy::client {

// Codes the client itself gives, beside the service's own ("takeover_denied", ...).
inline constexpr char kUnreachable[] = "unreachable";         // refused, no route, unknown host
inline constexpr char kTimedOut[] = "timeout";                // no whole answer within the timeout
inline constexpr char kTlsFailed[] = "tls";                   // handshake or certificate problem
inline constexpr char kNetworkFailed[] = "network";           // connection lost mid-answer, ...
inline constexpr char kBadResponse[] = "bad_response";        // an answer we cannot read
inline constexpr char kLocalFailure[] = "local";              // a file we could not write, bad CA
inline constexpr char kInvalidRequest[] = "invalid_request";  // caught before sending

struct ApiError {
    // The HTTP status, or 0 when there was no answer (kUnreachable, kTimedOut, ...).
    int status = 0;
    QString code;
    QString message;
    // The whole error object as the service sent it, so fields newer than this client stay
    // available; empty for client-side errors.
    QJsonObject body;

    // The extra fields of the error table of docs/http-api.md ("Errors"), decoded where present.
    QString field;                            // invalid_field: JSON path
    std::optional<qint64> limit;              // payload_too_large
    QString state;                            // conflict: the node's state when that is the reason
    QString id;                               // internal: the correlation id in the service's log
    std::optional<int> retry_after_s;         // 503: the Retry-After header
    std::optional<Denial> denial;             // takeover_denied
    std::optional<AdmissionRefusal> refusal;  // admission_refused

    bool isServiceError() const { return status != 0; }
    // "status 409 takeover_denied: <message>" or "<code>: <message>" for client failures.
    QString summary() const;

    // Decodes an error answer; a body that is not an error object still gives an ApiError
    // (code kBadResponse for 2xx, "http_<status>" otherwise) carrying the status.
    static ApiError fromResponse(int status, const QByteArray& body,
                                 const QByteArray& retry_after = {});
    static ApiError client(const char* code, QString message) {
        ApiError error;
        error.code = QString::fromLatin1(code);
        error.message = std::move(message);
        return error;
    }
};

// A value or the error that prevented it (base/result.h's Result, with ApiError).
template <typename T>
class [[nodiscard]] ApiResult {
public:
    ApiResult(T value) : state_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
    ApiResult(ApiError error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(state_); }
    const T& value() const& { return std::get<T>(state_); }
    T&& value() && { return std::get<T>(std::move(state_)); }
    const ApiError& error() const { return std::get<ApiError>(state_); }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, ApiError> state_;
};

}  // namespace understudy::client

// The preamble every handler of ApiService shares: the caller checked, the body decoded, the
// answer sent once the core's future completes. Included by ApiService's own files only.
#pragma once

#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "appliance/api/api_answers.h"
#include "appliance/api/api_service.h"
#include "appliance/api/request_body.h"
#include "appliance/api/service_json.h"

namespace understudy::api {

// A request's decoded body, or the answer that refuses the request.
template <typename T>
class Admitted {
public:
    explicit Admitted(T value) : value_(std::move(value)) {}
    explicit Admitted(http::HttpResponse refusal) : refusal_(std::move(refusal)) {}

    explicit operator bool() const { return value_.has_value(); }
    T& operator*() { return *value_; }
    T* operator->() { return &*value_; }
    const http::HttpResponse& refusal() const { return *refusal_; }

private:
    std::optional<T> value_;
    std::optional<http::HttpResponse> refusal_;
};

// The {name} of the route.
inline std::string capturedName(const http::HttpRequest& request) {
    return request.capture(QStringLiteral("name")).toStdString();
}

template <typename Decode>
auto ApiService::decodeBody(const http::HttpRequest& request, Decode decode) {
    using Value = std::decay_t<decltype(*decode(std::declval<const nlohmann::json&>()))>;
    http::JsonBody body = http::parseJsonBody(request);
    if (!body.ok()) {
        return Admitted<Value>(body.refusal());
    }
    auto decoded = decode(body.document());
    if (!decoded) {
        return Admitted<Value>(errorAnswer(decoded.error()));
    }
    return Admitted<Value>(std::move(*decoded));
}

template <typename Decode>
auto ApiService::adminBody(const http::HttpRequest& request, Decode decode) {
    using Value = std::decay_t<decltype(*decode(std::declval<const nlohmann::json&>()))>;
    if (auto refused = requireAdmin(request)) {
        return Admitted<Value>(std::move(*refused));
    }
    return decodeBody(request, std::move(decode));
}

template <typename T, typename Answer>
void ApiService::whenDone(QFuture<T> future, const http::Responder& responder, Answer answer) {
    ++in_flight_;
    future.then(this, [this, responder, answer = std::move(answer)](T result) mutable {
        responder.send(answer(std::move(result)));
        if (--in_flight_ == 0) {
            emit idle();
        }
    });
}

}  // namespace understudy::api

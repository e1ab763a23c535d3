// A handle to answer one request later (long-polling: when an event arrives or a timer fires).
#pragma once

#include <functional>
#include <memory>

#include "appliance/http/http_response.h"

namespace understudy::http {

class HttpConnection;

// Copies share one answer: the first send() wins, later ones are no-ops. It does not hold the
// socket: it refers to the connection through a QPointer and the request's serial number, so
// answering after the client disconnected (or after the server was destroyed) does nothing.
// If every copy is dropped without an answer while the client still waits, the client gets a
// 500 `internal`, so a forgotten responder cannot hang a connection.
// Use it only on the server's thread; work on other threads hands its result back through a
// queued signal or QMetaObject::invokeMethod first.
class Responder {
public:
    void send(const HttpResponse& response) const;
    bool isAnswered() const;
    // True while the request waits for this answer on an open connection.
    bool isClientWaiting() const;
    // Runs `callback` once if the client goes away before the answer (at once if it already
    // has), so a waiter can stop waiting. It runs on the server's thread, never after send().
    void whenClientGone(std::function<void()> callback) const;

private:
    friend class HttpConnection;
    struct State;
    explicit Responder(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
};

}  // namespace understudy::http

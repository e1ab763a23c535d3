#include "appliance/http/responder.h"

#include "appliance/http/http_connection.h"

namespace understudy::http {

Responder::State::~State() {
    if (!answered && connection && connection->isWaiting(serial)) {
        connection->respond(
            serial,
            errors::internal(QStringLiteral("a handler dropped its responder without answering")));
    }
}

void Responder::send(const HttpResponse& response) const {
    if (state_->answered) {
        return;
    }
    state_->answered = true;
    if (state_->connection) {
        state_->connection->respond(state_->serial, response);
    }
}

bool Responder::isAnswered() const {
    return state_->answered;
}

bool Responder::isClientWaiting() const {
    return !state_->answered && state_->connection && state_->connection->isWaiting(state_->serial);
}

void Responder::whenClientGone(std::function<void()> callback) const {
    if (isClientWaiting()) {
        state_->connection->addGoneCallback(state_->serial, std::move(callback));
    } else if (!state_->answered) {
        callback();  // already gone
    }
}

}  // namespace understudy::http

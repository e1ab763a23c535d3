// Nodes: their views and readiness, takeover, release and power.
#include "appliance/api/api_service.h"

#include <QElapsedTimer>

#include "appliance/api/handler_preamble.h"

namespace understudy::api {

using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

HttpResponse ApiService::nodes(const HttpRequest& request) {
    const Caller caller = identify(request);
    if (caller.kind != Caller::Kind::admin && caller.kind != Caller::Kind::cluster) {
        return http::errors::unauthorized();
    }
    auto nodes = core_.nodes();
    if (!nodes) {
        return errorAnswer(nodes.error());
    }
    Json list = Json::array();
    for (const core::NodeStatus& node : *nodes) {
        if (caller.isAdmin() || node.cluster == caller.cluster) {
            list.push_back(nodeJson(node));
        }
    }
    Json made;
    made["nodes"] = std::move(list);
    return jsonAnswer(200, made);
}

HttpResponse ApiService::node(const HttpRequest& request) {
    const std::string name = capturedName(request);
    if (auto refused = requireNode(request, name)) {
        return *refused;
    }
    auto node = core_.node(name);
    return node ? jsonAnswer(200, nodeJson(*node)) : errorAnswer(node.error());
}

HttpResponse ApiService::readiness(const HttpRequest& request) {
    const std::string name = capturedName(request);
    if (auto refused = requireNode(request, name)) {
        return *refused;
    }
    auto readiness = core_.readiness(name);
    return readiness ? jsonAnswer(200, readinessJson(*readiness)) : errorAnswer(readiness.error());
}

void ApiService::takeover(const HttpRequest& request, const Responder& responder) {
    const std::string name = capturedName(request);
    if (auto refused = requireNode(request, name)) {
        return responder.send(*refused);
    }
    if (auto refused = noBody(request)) {
        return responder.send(*refused);
    }
    QElapsedTimer clock;
    clock.start();
    auto taken = core_.takeover(name, actorOf(request));
    whenDone(taken, responder, [this, clock](Result<core::TakeoverOutcome> outcome) {
        if (!outcome) {
            return errorAnswer(outcome.error());
        }
        if (!outcome->granted || !outcome->grant) {
            if (!outcome->denial) {
                return http::errors::internal(
                    toQString("takeover of '" + outcome->node + "' neither granted nor denied"));
            }
            const policy::Denial& denial = *outcome->denial;
            const QString message =
                QStringLiteral(
                    "takeover of '%1' denied: it needs %2 more %3 and %4 "
                    "are free; release a holder or add capacity")
                    .arg(toQString(outcome->node))
                    .arg(denial.needed)
                    .arg(QString::fromLatin1(sizing::resourceName(denial.resource)))
                    .arg(denial.free);
            return http::errors::takeoverDenied(message,
                                                nlohmann::json::parse(denialJson(denial).dump()));
        }
        takeover_latency_.observe(static_cast<double>(clock.nsecsElapsed()) / 1e9);
        const core::GrantView& grant = *outcome->grant;
        Json granted;
        granted["memory_mib"] = grant.footprint.memory_mib;
        granted["vcpus"] = grant.footprint.vcpus;
        granted["partial"] = grant.partial;
        granted["preempted"] = grant.preempted;
        Json made;
        made["node"] = outcome->node;
        made["grant"] = std::move(granted);
        return jsonAnswer(200, made);
    });
}

void ApiService::release(const HttpRequest& request, const Responder& responder) {
    const std::string name = capturedName(request);
    if (auto refused = requireNode(request, name)) {
        return responder.send(*refused);
    }
    if (auto refused = noBody(request)) {
        return responder.send(*refused);
    }
    whenDone(core_.release(name, actorOf(request)), responder, [name](const Status& released) {
        if (!released) {
            return errorAnswer(released.error());
        }
        Json made;
        made["node"] = name;
        return jsonAnswer(200, made);
    });
}

void ApiService::power(const HttpRequest& request, const Responder& responder) {
    const std::string name = capturedName(request);
    if (auto refused = requireNode(request, name)) {
        return responder.send(*refused);
    }
    auto action = decodeBody(request, powerActionFromJson);
    if (!action) {
        return responder.send(action.refusal());
    }
    whenDone(core_.power(name, *action, actorOf(request)), responder,
             [](Result<core::PowerState> state) {
                 if (!state) {
                     return errorAnswer(state.error());
                 }
                 Json made;
                 made["power"] = *state == core::PowerState::on ? "on" : "off";
                 return jsonAnswer(200, made);
             });
}

}  // namespace understudy::api

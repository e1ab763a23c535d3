#include "appliance/api/api_service.h"

#include "appliance/api/handler_preamble.h"
#include "appliance/http/api_log.h"
#include "base/error_codes.h"

namespace understudy::api {

using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

namespace {

const QString kApi = QStringLiteral("/api/v1");

}  // namespace

ApiService::ApiService(core::ApplianceCore& core, http::HttpServer& server, Options options,
                       QObject* parent)
    : QObject(parent),
      core_(core),
      server_(server),
      options_(std::move(options)),
      token_store_([this](const std::string& cluster, const std::string& salted_hash,
                          const std::string& digest) {
          core_.convertSaltedToken(cluster, salted_hash, digest)
              .then(this, [cluster](const Status& converted) {
                  if (!converted) {
                      qCWarning(http::lcApi,
                                "cannot store cluster %s's token as a digest (it keeps working "
                                "until the service restarts, then is converted again): %s",
                                cluster.c_str(), converted.error().describe().c_str());
                  }
              });
      }),
      auth_(options_.admin_token, token_store_) {
    registerRoutes();
    connect(&core_, &core::ApplianceCore::eventsAppended, this, &ApiService::onEventsAppended,
            Qt::QueuedConnection);
}

ApiService::~ApiService() = default;

Status ApiService::open() {
    auto reader = db::Database::openReader(core_.databasePath());
    if (!reader) {
        return reader.error();
    }
    reader_ = std::move(*reader);
    token_store_.setDatabase(reader_.get());
    auto newest = db::EventLog(*reader_).latestId();
    if (!newest) {
        return newest.error();
    }
    event_counts_.startAfter(newest->value_or(0));
    startHistory();
    return Done{};
}

void ApiService::setLastProbe(const std::string& cluster, LastProbe probe) {
    last_probes_[cluster] = std::move(probe);
}

void ApiService::add(const char* method, const QString& pattern,
                     http::HttpServer::Handler handler) {
    routes_.push_back({method, pattern});
    server_.route(method, pattern,
                  [this, handler = std::move(handler)](const HttpRequest& request) {
                      if (auto refused = refuseBlocked(request)) {
                          return *refused;
                      }
                      return handler(request);
                  });
}

void ApiService::addDeferred(const char* method, const QString& pattern,
                             http::HttpServer::DeferredHandler handler) {
    routes_.push_back({method, pattern});
    server_.routeDeferred(
        method, pattern,
        [this, handler = std::move(handler)](const HttpRequest& request, Responder responder) {
            if (auto refused = refuseBlocked(request)) {
                return responder.send(*refused);
            }
            handler(request, std::move(responder));
        });
}

void ApiService::registerRoutes() {
    auto sync = [this](HttpResponse (ApiService::*handler)(const HttpRequest&)) {
        return [this, handler](const HttpRequest& request) { return (this->*handler)(request); };
    };
    auto deferred = [this](void (ApiService::*handler)(const HttpRequest&, const Responder&)) {
        return [this, handler](const HttpRequest& request, Responder responder) {
            (this->*handler)(request, responder);
        };
    };
    add("GET", kApi + "/health", sync(&ApiService::health));
    add("GET", kApi + "/appliances", sync(&ApiService::appliances));
    add("GET", kApi + "/appliances/{name}", sync(&ApiService::appliance));
    add("GET", kApi + "/appliances/{name}/history", sync(&ApiService::history));
    addDeferred("POST", kApi + "/appliances/{name}/lost", deferred(&ApiService::declareLost));
    addDeferred("POST", kApi + "/appliances/{name}/rejoin", deferred(&ApiService::rejoin));
    add("GET", kApi + "/groups", sync(&ApiService::groups));
    addDeferred("POST", kApi + "/groups", deferred(&ApiService::createGroup));
    add("GET", kApi + "/groups/{name}", sync(&ApiService::group));
    addDeferred("PATCH", kApi + "/groups/{name}", deferred(&ApiService::changeGroup));
    addDeferred("DELETE", kApi + "/groups/{name}", deferred(&ApiService::removeGroup));
    add("GET", kApi + "/clusters", sync(&ApiService::clusters));
    addDeferred("POST", kApi + "/clusters", deferred(&ApiService::registerClusters));
    add("GET", kApi + "/clusters/{name}", sync(&ApiService::cluster));
    addDeferred("PATCH", kApi + "/clusters/{name}", deferred(&ApiService::changeCluster));
    addDeferred("DELETE", kApi + "/clusters/{name}", deferred(&ApiService::removeCluster));
    addDeferred("POST", kApi + "/clusters/{name}/token", deferred(&ApiService::rotateToken));
    add("GET", kApi + "/clusters/{name}/stats", sync(&ApiService::clusterStats));
    add("GET", kApi + "/nodes", sync(&ApiService::nodes));
    add("GET", kApi + "/nodes/{name}", sync(&ApiService::node));
    add("GET", kApi + "/nodes/{name}/readiness", sync(&ApiService::readiness));
    addDeferred("POST", kApi + "/nodes/{name}/takeover", deferred(&ApiService::takeover));
    addDeferred("POST", kApi + "/nodes/{name}/release", deferred(&ApiService::release));
    addDeferred("POST", kApi + "/nodes/{name}/power", deferred(&ApiService::power));
    addDeferred("GET", kApi + "/events", deferred(&ApiService::events));
    add("GET", kApi + "/sizing", sync(&ApiService::sizing));
    add("POST", kApi + "/sizing/what-if", sync(&ApiService::whatIf));
    addDeferred("GET", kApi + "/backup", deferred(&ApiService::backup));
    add("GET", kApi + "/openapi.json", sync(&ApiService::openApi));
    add("GET", QStringLiteral("/metrics"), sync(&ApiService::metrics));
}

Caller ApiService::identify(const HttpRequest& request) {
    Caller caller = auth_.identify(request.bearerToken());
    if (caller.kind == Caller::Kind::unknown && auth_failures_.recordFailure(request.peer)) {
        const auto& limits = auth_failures_.options();
        qCWarning(http::lcApi,
                  "%d failed authentications from %s within %lld s: refusing it for %lld s",
                  limits.max_failures, qPrintable(request.peer.toString()),
                  static_cast<long long>(
                      std::chrono::duration_cast<std::chrono::seconds>(limits.window).count()),
                  static_cast<long long>(
                      std::chrono::duration_cast<std::chrono::seconds>(limits.block).count()));
    }
    return caller;
}

std::optional<HttpResponse> ApiService::refuseBlocked(const HttpRequest& request) {
    const std::optional<int> seconds = auth_failures_.refusedFor(request.peer);
    if (!seconds) {
        return std::nullopt;
    }
    return http::errorResponse(
               429, QStringLiteral("too_many_failures"),
               QStringLiteral("too many failed authentications from %1; retry in %2 s with a "
                              "valid token")
                   .arg(request.peer.toString())
                   .arg(*seconds))
        .withHeader("Retry-After", QByteArray::number(*seconds));
}

core::Actor ApiService::actorOf(const HttpRequest& request) {
    // Only handlers that admitted the caller ask, so it is the admin or a cluster.
    const Caller caller = identify(request);
    core::Actor actor;
    actor.who = caller.isAdmin() ? std::string("admin") : "cluster:" + caller.cluster;
    // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; they are named as IPv4.
    QHostAddress peer = request.peer;
    bool ipv4 = false;
    const quint32 address = peer.toIPv4Address(&ipv4);
    if (ipv4) {
        peer = QHostAddress(address);
    }
    actor.address = peer.toString().toStdString();
    return actor;
}

std::optional<HttpResponse> ApiService::requireAdmin(const HttpRequest& request) {
    const Caller caller = identify(request);
    if (caller.isAdmin()) {
        return std::nullopt;
    }
    if (caller.kind == Caller::Kind::cluster) {
        return http::errors::forbidden(
            QStringLiteral("a cluster token may act only on its own cluster and node; use the "
                           "admin token for %1")
                .arg(request.route));
    }
    return http::errors::unauthorized();
}

std::optional<HttpResponse> ApiService::requireCluster(const HttpRequest& request,
                                                       const std::string& cluster) {
    const Caller caller = identify(request);
    if (caller.isAdmin() || (caller.kind == Caller::Kind::cluster && caller.cluster == cluster)) {
        return std::nullopt;
    }
    if (caller.kind == Caller::Kind::cluster) {
        return http::errors::forbidden(
            QStringLiteral("this token belongs to cluster '%1', not '%2'; use that cluster's "
                           "token or the admin token")
                .arg(toQString(caller.cluster), toQString(cluster)));
    }
    return http::errors::unauthorized();
}

std::optional<HttpResponse> ApiService::requireNode(const HttpRequest& request,
                                                    const std::string& node) {
    const Caller caller = identify(request);
    if (caller.isAdmin()) {
        return std::nullopt;
    }
    if (caller.kind != Caller::Kind::cluster) {
        return http::errors::unauthorized();
    }
    auto found = core_.node(node);
    if (found && found->cluster == caller.cluster) {
        return std::nullopt;
    }
    return http::errors::forbidden(
        QStringLiteral("this token belongs to cluster '%1', whose node is not '%2'; use the "
                       "node of that cluster or the admin token")
            .arg(toQString(caller.cluster), toQString(node)));
}

std::optional<core::ClusterStatus> ApiService::findCluster(const std::string& name,
                                                           Error* error) const {
    auto clusters = core_.clusters();
    if (!clusters) {
        if (error != nullptr) {
            *error = clusters.error();
        }
        return std::nullopt;
    }
    for (core::ClusterStatus& cluster : *clusters) {
        if (cluster.spec.name == name) {
            return std::move(cluster);
        }
    }
    if (error != nullptr) {
        *error =
            Error{errc::kNotFound, "there is no cluster named '" + name + "'; check the name", ""};
    }
    return std::nullopt;
}

Result<std::vector<core::ApplianceStatus>> ApiService::applianceViews() {
    auto last = core_.lastEventId();
    if (!last) {
        return last.error();
    }
    if (!appliance_cache_ || *last != appliance_cache_event_) {
        auto fresh = core_.appliances();
        if (!fresh) {
            return fresh.error();
        }
        appliance_cache_ = std::move(*fresh);
        appliance_cache_event_ = *last;
    }
    return *appliance_cache_;
}

std::vector<std::string> ApiService::applianceNames() const {
    std::vector<std::string> names;
    for (const core::ApplianceConfig& config : core_.config().appliances) {
        names.push_back(config.name);
    }
    return names;
}

}  // namespace understudy::api

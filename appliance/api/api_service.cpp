#include "appliance/api/api_service.h"

#include <QFile>
#include <QFileInfo>
#include <QPromise>
#include <QTemporaryDir>
#include <QThreadPool>
#include <algorithm>
#include <set>

#include "appliance/api/openapi.h"
#include "appliance/api/request_body.h"
#include "appliance/api/service_json.h"
#include "appliance/http/api_log.h"
#include "base/error_codes.h"
#include "db/cluster_repository.h"
#include "db/cluster_stats_repository.h"
#include "db/probe_result_repository.h"
#include "sizing/fleet_file.h"
#include "sizing/result_json.h"

namespace understudy::api {

using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

namespace {

const QString kApi = QStringLiteral("/api/v1");

HttpResponse jsonAnswer(int status, const Json& document) {
    return HttpResponse::bytes(status, QByteArray::fromStdString(document.dump()),
                               "application/json");
}

QString q(const std::string& text) {
    return QString::fromStdString(text);
}

Error invalid(const std::string& field, const std::string& message) {
    return Error{errc::kInvalidField, message, field};
}

// Core errors carry API.md's codes; conflicts carry the node state in `where` when a state is
// the reason, and a field path otherwise.
HttpResponse errorAnswer(const Error& error) {
    const QString message = q(error.message);
    if (error.code == errc::kInvalidField) {
        return http::errors::invalidField(q(error.where), message);
    }
    if (error.code == errc::kMalformedJson) {
        return http::errors::malformedJson(message);
    }
    if (error.code == errc::kNotFound) {
        return http::errors::notFound(message);
    }
    if (error.code == errc::kConflict) {
        if (db::parseNodeState(error.where)) {
            return http::errors::conflict(message, q(error.where));
        }
        return http::errors::conflict(message);
    }
    // libvirt refusing or failing an operation is the hypervisor's state, not a bug of the
    // service: the caller gets libvirt's message and a retry hint, as for a lost connection.
    static const std::set<std::string> hypervisor_failures{
        "hypervisor_unavailable", "hypervisor_error",   "hypervisor_failed", "timeout",
        "permission_denied",      "invalid_domain_xml", "invalid_template"};
    if (hypervisor_failures.contains(error.code)) {
        return http::errors::hypervisorUnavailable(message, 5);
    }
    if (error.code.starts_with("database_")) {
        return http::errors::databaseUnavailable(message, 5);
    }
    return http::errors::internal(q(error.code + ": " + error.describe()));
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
                q(message), nlohmann::json::parse(admissionRefusalJson(admission).dump()));
        }
    }
    return http::errors::internal(q(what + ": refused without a refusing appliance"));
}

}  // namespace

ApiService::ApiService(core::ApplianceCore& core, http::HttpServer& server, Options options,
                       QObject* parent)
    : QObject(parent),
      core_(core),
      server_(server),
      options_(std::move(options)),
      auth_(options_.admin_token) {
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
    return Done{};
}

void ApiService::setLastProbe(const std::string& cluster, LastProbe probe) {
    last_probes_[cluster] = std::move(probe);
}

void ApiService::add(const char* method, const QString& pattern,
                     http::HttpServer::Handler handler) {
    routes_.push_back({method, pattern});
    server_.route(method, pattern, std::move(handler));
}

void ApiService::addDeferred(const char* method, const QString& pattern,
                             http::HttpServer::DeferredHandler handler) {
    routes_.push_back({method, pattern});
    server_.routeDeferred(method, pattern, std::move(handler));
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

// ---- authentication ----

Caller ApiService::identify(const HttpRequest& request) {
    return auth_.identify(request.bearerToken(), [this] {
        std::map<std::string, std::string> hashes;
        if (!reader_) {
            return hashes;
        }
        auto clusters = db::ClusterRepository(*reader_).list();
        if (clusters) {
            for (const db::DBCluster& cluster : *clusters) {
                hashes[cluster.name] = cluster.tokenHash;
            }
        }
        return hashes;
    });
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
                .arg(q(caller.cluster), q(cluster)));
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
            .arg(q(caller.cluster), q(node)));
}

template <typename T, typename Answer>
void ApiService::whenDone(QFuture<T> future, const Responder& responder, Answer answer) {
    ++in_flight_;
    future.then(this, [this, responder, answer = std::move(answer)](T result) mutable {
        responder.send(answer(std::move(result)));
        if (--in_flight_ == 0) {
            emit idle();
        }
    });
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

// ---- health, appliances ----

HttpResponse ApiService::health(const HttpRequest& request) {
    const bool full = request.queryItem(QStringLiteral("check")) == QStringLiteral("full");
    if (request.hasQueryItem(QStringLiteral("check")) && !full) {
        return http::errors::invalidField(QStringLiteral("check"),
                                          QStringLiteral("check must be 'full' when given"));
    }
    if (full) {
        if (auto refused = requireAdmin(request)) {
            return *refused;
        }
    }
    auto appliances = applianceViews();
    if (!appliances) {
        return errorAnswer(appliances.error());
    }
    bool degraded = false;
    Json list = Json::array();
    for (const core::ApplianceStatus& status : *appliances) {
        Json one;
        one["name"] = status.name;
        one["connected"] = status.connected;
        list.push_back(std::move(one));
        degraded = degraded || !status.connected;
    }
    Json made;
    made["status"] = "ok";
    made["version"] = options_.version;
    made["database"] = "ok";
    made["appliances"] = std::move(list);
    if (full) {
        auto check = reader_->quickCheck();
        if (!check) {
            return errorAnswer(check.error());
        }
        Json quick;
        quick["ok"] = check->ok;
        quick["problems"] = check->problems;
        made["quick_check"] = std::move(quick);
        if (!check->ok) {
            made["database"] = "damaged";
            degraded = true;
        }
    }
    if (degraded) {
        made["status"] = "degraded";
    }
    return jsonAnswer(200, made);
}

HttpResponse ApiService::appliances(const HttpRequest& request) {
    if (auto refused = requireAdmin(request)) {
        return *refused;
    }
    auto appliances = applianceViews();
    if (!appliances) {
        return errorAnswer(appliances.error());
    }
    Json list = Json::array();
    for (const core::ApplianceStatus& status : *appliances) {
        list.push_back(applianceJson(status));
    }
    Json made;
    made["appliances"] = std::move(list);
    return jsonAnswer(200, made);
}

HttpResponse ApiService::appliance(const HttpRequest& request) {
    if (auto refused = requireAdmin(request)) {
        return *refused;
    }
    const std::string name = request.capture(QStringLiteral("name")).toStdString();
    auto appliances = applianceViews();
    if (!appliances) {
        return errorAnswer(appliances.error());
    }
    for (const core::ApplianceStatus& status : *appliances) {
        if (status.name == name) {
            return jsonAnswer(200, applianceJson(status));
        }
    }
    return http::errors::notFound(
        QStringLiteral("there is no appliance named '%1'; GET /api/v1/appliances lists them")
            .arg(q(name)));
}

// ---- groups ----

namespace {

std::map<std::string, std::vector<std::string>> membersByGroup(
    const std::vector<core::ClusterStatus>& clusters) {
    std::map<std::string, std::vector<std::string>> made;
    for (const core::ClusterStatus& cluster : clusters) {
        if (!cluster.spec.group.empty()) {
            made[cluster.spec.group].push_back(cluster.spec.name);
        }
    }
    return made;
}

}  // namespace

HttpResponse ApiService::groups(const HttpRequest& request) {
    if (auto refused = requireAdmin(request)) {
        return *refused;
    }
    auto groups = core_.groups();
    auto clusters = core_.clusters();
    if (!groups || !clusters) {
        return errorAnswer(!groups ? groups.error() : clusters.error());
    }
    auto members = membersByGroup(*clusters);
    Json list = Json::array();
    for (const sizing::GroupSpec& group : *groups) {
        list.push_back(groupJson(group, members[group.name]));
    }
    Json made;
    made["groups"] = std::move(list);
    return jsonAnswer(200, made);
}

HttpResponse ApiService::group(const HttpRequest& request) {
    if (auto refused = requireAdmin(request)) {
        return *refused;
    }
    const std::string name = request.capture(QStringLiteral("name")).toStdString();
    auto groups = core_.groups();
    auto clusters = core_.clusters();
    if (!groups || !clusters) {
        return errorAnswer(!groups ? groups.error() : clusters.error());
    }
    for (const sizing::GroupSpec& group : *groups) {
        if (group.name == name) {
            return jsonAnswer(200, groupJson(group, membersByGroup(*clusters)[name]));
        }
    }
    return http::errors::notFound(
        QStringLiteral("there is no group named '%1'; GET /api/v1/groups lists them").arg(q(name)));
}

void ApiService::createGroup(const HttpRequest& request, const Responder& responder) {
    if (auto refused = requireAdmin(request)) {
        return responder.send(*refused);
    }
    http::JsonBody body = http::parseJsonBody(request);
    if (!body.ok()) {
        return responder.send(body.refusal());
    }
    auto group = sizing::groupFromJson(body.document(), "");
    if (!group) {
        return responder.send(errorAnswer(group.error()));
    }
    whenDone(
        core_.createGroup(*group), responder, [spec = *group](Result<core::ChangeOutcome> outcome) {
            if (!outcome) {
                Error error = outcome.error();
                if (error.code == errc::kConflict) {
                    error.where.clear();
                }
                return errorAnswer(error);
            }
            if (!outcome->accepted) {
                return refusalAnswer(outcome->admissions, "creating group '" + spec.name + "'");
            }
            Json made = groupJson(spec, {});
            if (!outcome->warnings.empty()) {
                made["warnings"] = outcome->warnings;
            }
            return jsonAnswer(201, made);
        });
}

void ApiService::changeGroup(const HttpRequest& request, const Responder& responder) {
    if (auto refused = requireAdmin(request)) {
        return responder.send(*refused);
    }
    const std::string name = request.capture(QStringLiteral("name")).toStdString();
    http::JsonBody body = http::parseJsonBody(request);
    if (!body.ok()) {
        return responder.send(body.refusal());
    }
    auto change = groupChangeFromJson(body.document());
    if (!change) {
        return responder.send(errorAnswer(change.error()));
    }
    whenDone(core_.changeGroup(name, *change), responder,
             [this, name](Result<core::ChangeOutcome> outcome) {
                 if (!outcome) {
                     return errorAnswer(outcome.error());
                 }
                 if (!outcome->accepted) {
                     return refusalAnswer(outcome->admissions, "changing group '" + name + "'");
                 }
                 auto groups = core_.groups();
                 auto clusters = core_.clusters();
                 if (!groups || !clusters) {
                     return errorAnswer(!groups ? groups.error() : clusters.error());
                 }
                 for (const sizing::GroupSpec& group : *groups) {
                     if (group.name == name) {
                         Json made = groupJson(group, membersByGroup(*clusters)[name]);
                         if (!outcome->warnings.empty()) {
                             made["warnings"] = outcome->warnings;
                         }
                         return jsonAnswer(200, made);
                     }
                 }
                 return http::errors::notFound(q("group '" + name + "' is gone"));
             });
}

void ApiService::removeGroup(const HttpRequest& request, const Responder& responder) {
    if (auto refused = requireAdmin(request)) {
        return responder.send(*refused);
    }
    const std::string name = request.capture(QStringLiteral("name")).toStdString();
    whenDone(core_.removeGroup(name), responder, [](const Status& removed) {
        return removed ? HttpResponse::noContent() : errorAnswer(removed.error());
    });
}

// ---- clusters ----

HttpResponse ApiService::clusters(const HttpRequest& request) {
    const Caller caller = identify(request);
    if (caller.kind != Caller::Kind::admin && caller.kind != Caller::Kind::cluster) {
        return http::errors::unauthorized();
    }
    auto clusters = core_.clusters();
    if (!clusters) {
        return errorAnswer(clusters.error());
    }
    Json list = Json::array();
    for (const core::ClusterStatus& cluster : *clusters) {
        // A cluster token sees its own cluster only.
        if (caller.isAdmin() || cluster.spec.name == caller.cluster) {
            list.push_back(clusterJson(cluster));
        }
    }
    Json made;
    made["clusters"] = std::move(list);
    return jsonAnswer(200, made);
}

HttpResponse ApiService::cluster(const HttpRequest& request) {
    const std::string name = request.capture(QStringLiteral("name")).toStdString();
    if (auto refused = requireCluster(request, name)) {
        return *refused;
    }
    Error error;
    auto found = findCluster(name, &error);
    return found ? jsonAnswer(200, clusterJson(*found)) : errorAnswer(error);
}

void ApiService::registerClusters(const HttpRequest& request, const Responder& responder) {
    if (auto refused = requireAdmin(request)) {
        return responder.send(*refused);
    }
    http::JsonBody body = http::parseJsonBody(request);
    if (!body.ok()) {
        return responder.send(body.refusal());
    }
    std::vector<std::string> appliance_names;
    for (const core::ApplianceConfig& config : core_.config().appliances) {
        appliance_names.push_back(config.name);
    }
    auto body_value = registrationFromJson(body.document(), appliance_names);
    if (!body_value) {
        return responder.send(errorAnswer(body_value.error()));
    }
    RegistrationBody& parsed = *body_value;
    std::vector<std::string> tokens;
    for (core::ClusterRegistration& registration : parsed.request.clusters) {
        tokens.push_back(generateToken());
        registration.token_hash = hashToken(tokens.back());
    }
    const bool fleet = parsed.fleet;
    auto warnings = parsed.warnings;
    whenDone(
        core_.registerClusters(std::move(parsed.request)), responder,
        [this, fleet, tokens, warnings](Result<core::RegistrationOutcome> outcome) {
            if (!outcome) {
                return errorAnswer(fleet ? outcome.error() : forSingleCluster(outcome.error()));
            }
            if (!outcome->accepted) {
                return refusalAnswer(outcome->admissions, fleet
                                                              ? std::string("registering the fleet")
                                                              : "registering the cluster");
            }
            auto clusters = core_.clusters();
            if (!clusters) {
                return errorAnswer(clusters.error());
            }
            Json list = Json::array();
            for (std::size_t i = 0; i < outcome->clusters.size(); ++i) {
                const auto& registered = outcome->clusters[i];
                for (const core::ClusterStatus& status : *clusters) {
                    if (status.spec.name == registered.cluster) {
                        Json one = clusterJson(status);
                        one["token"] = i < tokens.size() ? tokens[i] : std::string();
                        list.push_back(std::move(one));
                    }
                }
            }
            std::vector<std::string> all_warnings = warnings;
            all_warnings.insert(all_warnings.end(), outcome->warnings.begin(),
                                outcome->warnings.end());
            Json made;
            if (fleet) {
                made["clusters"] = std::move(list);
            } else if (!list.empty()) {
                made = list[0];
            }
            if (!all_warnings.empty()) {
                made["warnings"] = all_warnings;
            }
            return jsonAnswer(201, made);
        });
}

void ApiService::changeCluster(const HttpRequest& request, const Responder& responder) {
    if (auto refused = requireAdmin(request)) {
        return responder.send(*refused);
    }
    const std::string name = request.capture(QStringLiteral("name")).toStdString();
    http::JsonBody body = http::parseJsonBody(request);
    if (!body.ok()) {
        return responder.send(body.refusal());
    }
    auto change = clusterChangeFromJson(body.document());
    if (!change) {
        return responder.send(errorAnswer(change.error()));
    }
    if (change->group && !change->group->empty()) {
        auto groups = core_.groups();
        if (!groups) {
            return responder.send(errorAnswer(groups.error()));
        }
        const std::string& group = *change->group;
        if (std::none_of(groups->begin(), groups->end(),
                         [&](const sizing::GroupSpec& g) { return g.name == group; })) {
            return responder.send(errorAnswer(invalid(
                "group", "there is no group '" + group + "'; create it first with POST /groups")));
        }
    }
    whenDone(core_.changeCluster(name, *change), responder,
             [this, name](Result<core::ChangeOutcome> outcome) {
                 if (!outcome) {
                     return errorAnswer(outcome.error());
                 }
                 if (!outcome->accepted) {
                     return refusalAnswer(outcome->admissions, "changing cluster '" + name + "'");
                 }
                 Error error;
                 auto found = findCluster(name, &error);
                 if (!found) {
                     return errorAnswer(error);
                 }
                 Json made = clusterJson(*found);
                 if (!outcome->warnings.empty()) {
                     made["warnings"] = outcome->warnings;
                 }
                 return jsonAnswer(200, made);
             });
}

void ApiService::removeCluster(const HttpRequest& request, const Responder& responder) {
    if (auto refused = requireAdmin(request)) {
        return responder.send(*refused);
    }
    const std::string name = request.capture(QStringLiteral("name")).toStdString();
    whenDone(core_.removeCluster(name), responder, [this](const Status& removed) {
        auth_.forgetClusterTokens();
        return removed ? HttpResponse::noContent() : errorAnswer(removed.error());
    });
}

void ApiService::rotateToken(const HttpRequest& request, const Responder& responder) {
    if (auto refused = requireAdmin(request)) {
        return responder.send(*refused);
    }
    if (auto refused = noBody(request)) {
        return responder.send(*refused);
    }
    const std::string name = request.capture(QStringLiteral("name")).toStdString();
    std::string token = generateToken();
    whenDone(core_.rotateToken(name, hashToken(token)), responder,
             [this, token](const Status& rotated) {
                 // The old token must stop working at once, also where it was remembered.
                 auth_.forgetClusterTokens();
                 if (!rotated) {
                     return errorAnswer(rotated.error());
                 }
                 Json made;
                 made["token"] = token;
                 return jsonAnswer(200, made);
             });
}

HttpResponse ApiService::clusterStats(const HttpRequest& request) {
    const std::string name = request.capture(QStringLiteral("name")).toStdString();
    if (auto refused = requireCluster(request, name)) {
        return *refused;
    }
    auto cluster = db::ClusterRepository(*reader_).byName(name);
    if (!cluster) {
        return errorAnswer(cluster.error());
    }
    if (!*cluster) {
        return http::errors::notFound(
            q("there is no cluster named '" + name + "'; check the name"));
    }
    const db::Id id = (*cluster)->id;
    auto stats = db::ClusterStatsRepository(*reader_).get(id, db::nowMs());
    auto probe = db::ProbeResultRepository(*reader_).latest(id);
    if (!stats || !probe) {
        return errorAnswer(!stats ? stats.error() : probe.error());
    }
    Json made;
    const auto optional = [](const std::optional<double>& value) {
        return value ? Json(*value) : Json(nullptr);
    };
    if (*stats) {
        const db::DBClusterStats& s = **stats;
        made["failovers"] = s.failovers;
        made["active_hours"] = static_cast<double>(s.activeMs) / 3.6e6;
        made["last_failover"] = timeJson(s.lastFailover);
        made["observed_mtbf_hours"] = optional(s.observedMtbfHours);
        made["observed_mttr_hours"] = optional(s.observedMttrHours);
    } else {
        made["failovers"] = 0;
        made["active_hours"] = 0.0;
        made["last_failover"] = nullptr;
        made["observed_mtbf_hours"] = nullptr;
        made["observed_mttr_hours"] = nullptr;
    }
    Json last = nullptr;
    if (*probe) {
        last = Json::object();
        last["time"] = db::formatTime((*probe)->time);
        last["ok"] = (*probe)->ok;
        last["output"] = (*probe)->output;
    } else if (auto kept = last_probes_.find(name); kept != last_probes_.end()) {
        last = Json::object();
        last["time"] = db::formatTime(kept->second.time);
        last["ok"] = kept->second.ok;
        last["output"] = kept->second.output;
    }
    made["last_probe"] = std::move(last);
    return jsonAnswer(200, made);
}

// ---- nodes ----

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
    const std::string name = request.capture(QStringLiteral("name")).toStdString();
    if (auto refused = requireNode(request, name)) {
        return *refused;
    }
    auto node = core_.node(name);
    return node ? jsonAnswer(200, nodeJson(*node)) : errorAnswer(node.error());
}

HttpResponse ApiService::readiness(const HttpRequest& request) {
    const std::string name = request.capture(QStringLiteral("name")).toStdString();
    if (auto refused = requireNode(request, name)) {
        return *refused;
    }
    auto readiness = core_.readiness(name);
    return readiness ? jsonAnswer(200, readinessJson(*readiness)) : errorAnswer(readiness.error());
}

void ApiService::takeover(const HttpRequest& request, const Responder& responder) {
    const std::string name = request.capture(QStringLiteral("name")).toStdString();
    if (auto refused = requireNode(request, name)) {
        return responder.send(*refused);
    }
    if (auto refused = noBody(request)) {
        return responder.send(*refused);
    }
    QElapsedTimer clock;
    clock.start();
    whenDone(core_.takeover(name), responder, [this, clock](Result<core::TakeoverOutcome> outcome) {
        if (!outcome) {
            return errorAnswer(outcome.error());
        }
        if (!outcome->granted || !outcome->grant) {
            if (!outcome->denial) {
                return http::errors::internal(
                    q("takeover of '" + outcome->node + "' neither granted nor denied"));
            }
            const policy::Denial& denial = *outcome->denial;
            const QString message =
                QStringLiteral(
                    "takeover of '%1' denied: it needs %2 more %3 and %4 "
                    "are free; release a holder or add capacity")
                    .arg(q(outcome->node))
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
    const std::string name = request.capture(QStringLiteral("name")).toStdString();
    if (auto refused = requireNode(request, name)) {
        return responder.send(*refused);
    }
    if (auto refused = noBody(request)) {
        return responder.send(*refused);
    }
    whenDone(core_.release(name), responder, [name](const Status& released) {
        if (!released) {
            return errorAnswer(released.error());
        }
        Json made;
        made["node"] = name;
        return jsonAnswer(200, made);
    });
}

void ApiService::power(const HttpRequest& request, const Responder& responder) {
    const std::string name = request.capture(QStringLiteral("name")).toStdString();
    if (auto refused = requireNode(request, name)) {
        return responder.send(*refused);
    }
    http::JsonBody body = http::parseJsonBody(request);
    if (!body.ok()) {
        return responder.send(body.refusal());
    }
    auto action = powerActionFromJson(body.document());
    if (!action) {
        return responder.send(errorAnswer(action.error()));
    }
    whenDone(core_.power(name, *action), responder, [](Result<core::PowerState> state) {
        if (!state) {
            return errorAnswer(state.error());
        }
        Json made;
        made["power"] = *state == core::PowerState::on ? "on" : "off";
        return jsonAnswer(200, made);
    });
}

// ---- events ----

namespace {

Json pageJson(const db::EventPage& page) {
    Json list = Json::array();
    for (const db::DBEvent& event : page.events) {
        list.push_back(eventJson(event));
    }
    Json made;
    made["events"] = std::move(list);
    made["next"] = page.next;
    made["truncated"] = page.truncated;
    return made;
}

Result<std::int64_t> queryNumber(const HttpRequest& request, const QString& key, std::int64_t min,
                                 std::int64_t fallback) {
    if (!request.hasQueryItem(key)) {
        return fallback;
    }
    bool ok = false;
    const qlonglong value = request.queryItem(key).toLongLong(&ok);
    if (!ok || value < min) {
        return invalid(
            key.toStdString(),
            key.toStdString() + " must be a whole number of at least " + std::to_string(min));
    }
    return static_cast<std::int64_t>(value);
}

}  // namespace

void ApiService::events(const HttpRequest& request, const Responder& responder) {
    if (auto refused = requireAdmin(request)) {
        return responder.send(*refused);
    }
    for (const auto& [key, value] : request.query) {
        static const QStringList known{QStringLiteral("since"), QStringLiteral("limit"),
                                       QStringLiteral("wait"),  QStringLiteral("cluster"),
                                       QStringLiteral("node"),  QStringLiteral("kind")};
        if (!known.contains(key)) {
            return responder.send(http::errors::invalidField(
                key, QStringLiteral("unknown query parameter '%1'; use since, limit, wait, "
                                    "cluster, node or kind")
                         .arg(key)));
        }
    }
    auto since = queryNumber(request, QStringLiteral("since"), 0, 0);
    auto limit = queryNumber(request, QStringLiteral("limit"), 1, db::kDefaultEventPage);
    auto wait = queryNumber(request, QStringLiteral("wait"), 0, 0);
    for (const auto* number : {&since, &limit, &wait}) {
        if (!*number) {
            return responder.send(errorAnswer(number->error()));
        }
    }
    db::EventQuery query;
    query.since = *since;
    query.limit = static_cast<int>(std::min<std::int64_t>(*limit, db::kMaxEventPage));
    if (request.hasQueryItem(QStringLiteral("cluster"))) {
        query.filter.cluster = request.queryItem(QStringLiteral("cluster")).toStdString();
    }
    if (request.hasQueryItem(QStringLiteral("node"))) {
        query.filter.node = request.queryItem(QStringLiteral("node")).toStdString();
    }
    if (request.hasQueryItem(QStringLiteral("kind"))) {
        query.filter.kindPrefix = request.queryItem(QStringLiteral("kind")).toStdString();
    }
    auto page = db::EventLog(*reader_).page(query);
    if (!page) {
        return responder.send(errorAnswer(page.error()));
    }
    const std::int64_t wait_s = std::min<std::int64_t>(*wait, options_.max_wait_s);
    if (!page->events.empty() || wait_s == 0 || stop_waiting_) {
        return responder.send(jsonAnswer(200, pageJson(*page)));
    }
    const std::uint64_t id = next_waiter_++;
    auto timer = std::make_unique<QTimer>();
    timer->setSingleShot(true);
    connect(timer.get(), &QTimer::timeout, this, [this, id] { answerWaiter(id); });
    timer->start(std::chrono::seconds(wait_s));
    waiters_.emplace(id, Waiter{query, responder, std::move(timer)});
    responder.whenClientGone([this, id] { waiters_.erase(id); });
}

void ApiService::answerWaiter(std::uint64_t id) {
    auto found = waiters_.find(id);
    if (found == waiters_.end()) {
        return;
    }
    Waiter waiter = std::move(found->second);
    waiters_.erase(found);
    auto page = db::EventLog(*reader_).page(waiter.query);
    waiter.responder.send(page ? jsonAnswer(200, pageJson(*page)) : errorAnswer(page.error()));
}

void ApiService::onEventsAppended() {
    std::vector<std::uint64_t> ready;
    for (const auto& [id, waiter] : waiters_) {
        auto page = db::EventLog(*reader_).page(waiter.query);
        if (!page || !page->events.empty()) {
            ready.push_back(id);
        }
    }
    for (std::uint64_t id : ready) {
        answerWaiter(id);
    }
}

void ApiService::stopWaiting() {
    stop_waiting_ = true;
    std::vector<std::uint64_t> all;
    for (const auto& entry : waiters_) {
        all.push_back(entry.first);
    }
    for (std::uint64_t id : all) {
        answerWaiter(id);
    }
}

// ---- sizing, backup, openapi, metrics ----

HttpResponse ApiService::sizing(const HttpRequest& request) {
    if (auto refused = requireAdmin(request)) {
        return *refused;
    }
    auto result = core_.liveSizing();
    if (!result) {
        return errorAnswer(result.error());
    }
    return jsonAnswer(200, sizing::resultToJson(*result));
}

HttpResponse ApiService::whatIf(const HttpRequest& request) {
    if (auto refused = requireAdmin(request)) {
        return *refused;
    }
    http::JsonBody body = http::parseJsonBody(request);
    if (!body.ok()) {
        return body.refusal();
    }
    auto clusters = core_.clusters();
    if (!clusters) {
        return errorAnswer(clusters.error());
    }
    std::vector<std::string> cluster_names;
    for (const core::ClusterStatus& cluster : *clusters) {
        cluster_names.push_back(cluster.spec.name);
    }
    std::vector<std::string> appliance_names;
    for (const core::ApplianceConfig& config : core_.config().appliances) {
        appliance_names.push_back(config.name);
    }
    auto what_if = whatIfFromJson(body.document(), cluster_names, appliance_names);
    if (!what_if) {
        return errorAnswer(what_if.error());
    }
    auto outcome = core_.whatIf(*what_if);
    if (!outcome) {
        return errorAnswer(outcome.error());
    }
    return jsonAnswer(200, whatIfJson(*outcome));
}

void ApiService::backup(const HttpRequest& request, const Responder& responder) {
    if (auto refused = requireAdmin(request)) {
        return responder.send(*refused);
    }
    // The copy goes beside the database (the service's own folder, on disk: /tmp may be a
    // tmpfs, i.e. memory), else into the temporary folder.
    const QString database = QString::fromStdString(core_.databasePath());
    auto folder = std::make_shared<QTemporaryDir>(QFileInfo(database).absolutePath() +
                                                  QStringLiteral("/.backup-XXXXXX"));
    if (!folder->isValid()) {
        folder = std::make_shared<QTemporaryDir>();
    }
    if (!folder->isValid()) {
        return responder.send(http::errors::internal(
            QStringLiteral("cannot create a temporary folder for the backup: ") +
            folder->errorString()));
    }
    const std::string path = folder->filePath(QStringLiteral("backup.db")).toStdString();
    // SQLite's backup of a large database takes a while: on a pool thread, through a reader of
    // its own, so the API's thread keeps serving.
    auto promise = std::make_shared<QPromise<Status>>();
    QFuture<Status> copied = promise->future();
    promise->start();
    QThreadPool::globalInstance()->start([promise, database = database.toStdString(), path] {
        auto reader = db::Database::openReader(database);
        promise->addResult(reader ? (*reader)->backupTo(path) : Status(reader.error()));
        promise->finish();
    });
    whenDone(copied, responder, [folder, path](Status done) -> HttpResponse {
        if (!done) {
            return errorAnswer(done.error());
        }
        auto file = std::make_shared<QFile>(QString::fromStdString(path));
        if (!file->open(QIODevice::ReadOnly)) {
            return http::errors::internal(QStringLiteral("cannot read the backup: ") +
                                          file->errorString());
        }
        const qint64 size = file->size();
        // Unlinked now, read through the open file: nothing is left behind, however the
        // download ends.
        folder->remove();
        return HttpResponse::streamed(200, std::move(file), size, "application/vnd.sqlite3")
            .withHeader("Content-Disposition", "attachment; filename=\"understudy-backup.db\"");
    });
}

HttpResponse ApiService::openApi(const HttpRequest&) {
    return jsonAnswer(200, openApiDocument(options_.version));
}

HttpResponse ApiService::metrics(const HttpRequest&) {
    MetricsInput input;
    auto appliances = applianceViews();
    auto nodes = core_.nodes();
    if (!appliances || !nodes) {
        return errorAnswer(!appliances ? appliances.error() : nodes.error());
    }
    input.appliances = std::move(*appliances);
    input.nodes = std::move(*nodes);
    input.takeover_latency = &takeover_latency_;
    input.requests = server_.requestCounts();
    auto last = core_.lastEventId();
    input.last_event_id = last ? *last : 0;
    return HttpResponse::bytes(200, renderMetrics(input),
                               "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace understudy::api

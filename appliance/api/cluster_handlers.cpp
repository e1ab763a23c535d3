// Groups and clusters: listing, registration under admission, changes, removal, tokens, stats.
#include "appliance/api/api_service.h"

#include <algorithm>
#include <map>

#include "appliance/api/handler_preamble.h"
#include "base/error_codes.h"
#include "db/cluster_repository.h"
#include "db/cluster_stats_repository.h"
#include "db/probe_result_repository.h"
#include "sizing/fleet_file.h"

namespace understudy::api {

using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

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

// Under admission = warn, an accepted change's answer carries what broke the target.
void withWarnings(Json& made, const std::vector<std::string>& warnings) {
    if (!warnings.empty()) {
        made["warnings"] = warnings;
    }
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
    const std::string name = capturedName(request);
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
        QStringLiteral("there is no group named '%1'; GET /api/v1/groups lists them")
            .arg(toQString(name)));
}

void ApiService::createGroup(const HttpRequest& request, const Responder& responder) {
    auto group = adminBody(request, [](const nlohmann::json& document) {
        return sizing::groupFromJson(document, "");
    });
    if (!group) {
        return responder.send(group.refusal());
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
            withWarnings(made, outcome->warnings);
            return jsonAnswer(201, made);
        });
}

void ApiService::changeGroup(const HttpRequest& request, const Responder& responder) {
    const std::string name = capturedName(request);
    auto change = adminBody(request, groupChangeFromJson);
    if (!change) {
        return responder.send(change.refusal());
    }
    whenDone(core_.changeGroup(name, *change, actorOf(request)), responder,
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
                         withWarnings(made, outcome->warnings);
                         return jsonAnswer(200, made);
                     }
                 }
                 return http::errors::notFound(toQString("group '" + name + "' is gone"));
             });
}

void ApiService::removeGroup(const HttpRequest& request, const Responder& responder) {
    if (auto refused = requireAdmin(request)) {
        return responder.send(*refused);
    }
    const std::string name = capturedName(request);
    whenDone(core_.removeGroup(name), responder, [](const Status& removed) {
        return removed ? HttpResponse::noContent() : errorAnswer(removed.error());
    });
}

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
    const std::string name = capturedName(request);
    if (auto refused = requireCluster(request, name)) {
        return *refused;
    }
    Error error;
    auto found = findCluster(name, &error);
    return found ? jsonAnswer(200, clusterJson(*found)) : errorAnswer(error);
}

void ApiService::registerClusters(const HttpRequest& request, const Responder& responder) {
    auto body_value = adminBody(request, [this](const nlohmann::json& document) {
        return registrationFromJson(document, applianceNames());
    });
    if (!body_value) {
        return responder.send(body_value.refusal());
    }
    RegistrationBody& parsed = *body_value;
    std::vector<std::string> tokens;
    for (core::ClusterRegistration& registration : parsed.request.clusters) {
        tokens.push_back(generateToken());
        registration.token_hash = tokenDigest(tokens.back());
    }
    const bool fleet = parsed.fleet;
    auto warnings = parsed.warnings;
    whenDone(
        core_.registerClusters(std::move(parsed.request), actorOf(request)), responder,
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
            withWarnings(made, all_warnings);
            return jsonAnswer(201, made);
        });
}

void ApiService::changeCluster(const HttpRequest& request, const Responder& responder) {
    const std::string name = capturedName(request);
    auto change = adminBody(request, clusterChangeFromJson);
    if (!change) {
        return responder.send(change.refusal());
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
    whenDone(core_.changeCluster(name, *change, actorOf(request)), responder,
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
                 withWarnings(made, outcome->warnings);
                 return jsonAnswer(200, made);
             });
}

void ApiService::removeCluster(const HttpRequest& request, const Responder& responder) {
    if (auto refused = requireAdmin(request)) {
        return responder.send(*refused);
    }
    const std::string name = capturedName(request);
    whenDone(core_.removeCluster(name, actorOf(request)), responder, [this](const Status& removed) {
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
    const std::string name = capturedName(request);
    std::string token = generateToken();
    whenDone(core_.rotateToken(name, tokenDigest(token), actorOf(request)), responder,
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
    const std::string name = capturedName(request);
    if (auto refused = requireCluster(request, name)) {
        return *refused;
    }
    auto cluster = db::ClusterRepository(*reader_).byName(name);
    if (!cluster) {
        return errorAnswer(cluster.error());
    }
    if (!*cluster) {
        return http::errors::notFound(
            toQString("there is no cluster named '" + name + "'; check the name"));
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

}  // namespace understudy::api

#include "agents/simulate/simulate_service.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "agents/ctl/ctl_output.h"
#include "appliance/client/cluster_spec.h"
#include "sizing/fleet_file.h"

namespace understudy::simulate {

using agents::kExitRefused;
using agents::kExitUnavailable;
using agents::kExitUsage;
using nlohmann::ordered_json;

namespace {

constexpr int kEventPage = 1000;

}  // namespace

ServiceConnection::ServiceConnection(const Options& options, QProcessEnvironment environment,
                                     std::function<void(const QString&)> progress)
    : options_(options), environment_(std::move(environment)), progress_(std::move(progress)) {}

Failure ServiceConnection::apiFailure(const QString& what, const client::ApiError& error) const {
    return {
        agents::exitCodeFor(error),
        QStringLiteral("%1 failed at %2: %3").arg(what, settings_.url.toString(), error.summary())};
}

std::optional<Failure> ServiceConnection::connect(sizing::Fleet& fleet, ServicePlan& plan) {
    if (auto failure = openClient()) {
        return failure;
    }
    std::vector<client::Cluster> clusters;
    if (auto failure = fetchClusters(fleet, clusters)) {
        return failure;
    }
    if (auto failure = adoptServiceFigures(fleet, clusters)) {
        return failure;
    }
    if (auto failure = placeNodes(fleet, plan)) {
        return failure;
    }
    auto last = lastEventId();
    if (!last) {
        return apiFailure(QStringLiteral("reading the event log"), last.error());
    }
    plan.first_event = *last;
    return std::nullopt;
}

std::optional<Failure> ServiceConnection::openClient() {
    auto settings = agents::resolveSettings(options_.global, environment_);
    if (!settings) {
        return Failure{kExitUsage, QString::fromStdString(settings.error().describe())};
    }
    settings_ = *settings;
    if (settings_.token.isEmpty()) {
        return Failure{kExitUsage, QStringLiteral("no token: pass --token-file FILE with the admin "
                                                  "token, or set UNDERSTUDY_TOKEN")};
    }
    client_ = std::make_unique<client::ApiClient>(agents::clientOptions(settings_));
    if (client_->configurationError()) {
        return Failure{kExitUsage, client_->configurationError()->summary()};
    }
    return std::nullopt;
}

// The service's clusters, every one of the fleet's among them: those missing are an error, or
// registered with --register.
std::optional<Failure> ServiceConnection::fetchClusters(const sizing::Fleet& fleet,
                                                        std::vector<client::Cluster>& clusters) {
    auto listed = client_->callSync(client::api::clusters());
    if (!listed) {
        return apiFailure(QStringLiteral("listing the clusters"), listed.error());
    }
    std::set<std::string> known;
    for (const client::Cluster& c : *listed) {
        known.insert(c.name.toStdString());
    }
    QStringList missing;
    for (const sizing::ClusterSpec& c : fleet.clusters) {
        if (known.count(c.name) == 0) {
            missing.append(QString::fromStdString(c.name));
        }
    }
    if (!missing.isEmpty() && !options_.do_register) {
        return Failure{kExitUsage,
                       QStringLiteral("%1: clusters not registered at %2: %3; pass --register to "
                                      "register them, or remove them from the file")
                           .arg(options_.fleet_file, settings_.url.toString(),
                                missing.join(QStringLiteral(", ")))};
    }
    if (!missing.isEmpty()) {
        if (auto failure = registerMissing(fleet, *listed)) {
            return failure;
        }
        listed = client_->callSync(client::api::clusters());
        if (!listed) {
            return apiFailure(QStringLiteral("listing the clusters"), listed.error());
        }
    }
    clusters = std::move(listed).value();
    return std::nullopt;
}

std::optional<Failure> ServiceConnection::registerMissing(
    const sizing::Fleet& fleet, const std::vector<client::Cluster>& known) {
    std::set<QString> known_names;
    for (const client::Cluster& c : known) {
        known_names.insert(c.name);
    }
    auto groups = client_->callSync(client::api::groups());
    if (!groups) {
        return apiFailure(QStringLiteral("listing the groups"), groups.error());
    }
    std::set<QString> known_groups;
    for (const client::Group& g : *groups) {
        known_groups.insert(g.name);
    }
    ordered_json clusters = ordered_json::array();
    ordered_json needed_groups = ordered_json::array();
    std::set<std::string> added_groups;
    for (const sizing::ClusterSpec& c : fleet.clusters) {
        if (known_names.count(QString::fromStdString(c.name)) != 0) {
            continue;
        }
        clusters.push_back(sizing::clusterToJson(c));
        if (!c.group.empty() && known_groups.count(QString::fromStdString(c.group)) == 0 &&
            added_groups.insert(c.group).second) {
            for (const sizing::GroupSpec& g : fleet.groups) {
                if (g.name == c.group) {
                    needed_groups.push_back(sizing::groupToJson(g));
                }
            }
        }
    }
    if (clusters.empty()) {
        return std::nullopt;
    }
    const ordered_json body{{"clusters", clusters}, {"groups", needed_groups}};
    const QJsonObject object =
        QJsonDocument::fromJson(QByteArray::fromStdString(body.dump())).object();
    auto registered = client_->callSync(client::api::registerClusters(object));
    if (!registered) {
        return apiFailure(QStringLiteral("registering %1 clusters").arg(clusters.size()),
                          registered.error());
    }
    progress_(QStringLiteral("understudy-simulate: registered %1 clusters").arg(clusters.size()));
    return std::nullopt;
}

// The service grants what it has registered, so its figures are the ones simulated.
std::optional<Failure> ServiceConnection::adoptServiceFigures(
    sizing::Fleet& fleet, const std::vector<client::Cluster>& clusters) {
    auto groups = client_->callSync(client::api::groups());
    if (!groups) {
        return apiFailure(QStringLiteral("listing the groups"), groups.error());
    }
    std::map<std::string, const client::Cluster*> by_name;
    for (const client::Cluster& c : clusters) {
        by_name[c.name.toStdString()] = &c;
    }
    QStringList differing;
    std::set<std::string> group_names;
    for (sizing::ClusterSpec& spec : fleet.clusters) {
        const client::Cluster& c = *by_name.at(spec.name);
        const sizing::ClusterSpec served = client::clusterSpec(c);
        if (!(served == spec)) {
            differing.append(c.name);
        }
        spec = served;
        if (!spec.group.empty()) {
            group_names.insert(spec.group);
        }
    }
    const std::vector<sizing::GroupSpec> file_groups = fleet.groups;
    fleet.groups.clear();
    for (const client::Group& g : *groups) {
        if (group_names.count(g.name.toStdString()) != 0) {
            fleet.groups.push_back({g.name.toStdString(), g.mtbf_hours, g.mttr_hours});
            const auto same =
                std::find(file_groups.begin(), file_groups.end(), fleet.groups.back());
            if (same == file_groups.end()) {
                differing.append(QStringLiteral("group ") + g.name);
            }
        }
    }
    if (!differing.isEmpty()) {
        progress_(QStringLiteral("understudy-simulate: warning: %1 and the service at %2 differ "
                                 "on %3; the service's figures are simulated")
                      .arg(options_.fleet_file, settings_.url.toString(),
                           differing.join(QStringLiteral(", "))));
    }
    return std::nullopt;
}

// Each fleet cluster's node on an appliance the service lists; the capacity left to the fleet.
std::optional<Failure> ServiceConnection::placeNodes(const sizing::Fleet& fleet,
                                                     ServicePlan& plan) {
    auto nodes = client_->callSync(client::api::nodes());
    if (!nodes) {
        return apiFailure(QStringLiteral("listing the nodes"), nodes.error());
    }
    auto appliances = client_->callSync(client::api::appliances());
    if (!appliances) {
        return apiFailure(QStringLiteral("listing the appliances"), appliances.error());
    }
    std::map<QString, std::size_t> appliance_index;
    for (const client::Appliance& a : *appliances) {
        appliance_index[a.name] = plan.appliances.size();
        plan.appliances.push_back(
            {a.name.toStdString(),
             {a.memory_mib.capacity - a.memory_mib.foreign, a.vcpus.capacity - a.vcpus.foreign}});
    }
    plan.placement.assign(plan.appliances.size(), {});
    plan.nodes.assign(fleet.clusters.size(), {});
    std::map<QString, std::size_t> fleet_index;
    for (std::size_t i = 0; i < fleet.clusters.size(); ++i) {
        fleet_index[QString::fromStdString(fleet.clusters[i].name)] = i;
    }
    QStringList busy;
    for (const client::Node& n : *nodes) {
        const auto appliance = appliance_index.find(n.appliance);
        if (appliance == appliance_index.end()) {
            continue;
        }
        const auto index = fleet_index.find(n.cluster);
        if (index == fleet_index.end()) {
            // Another cluster's standby footprint is not the fleet's to use.
            Amounts& capacity = plan.appliances[appliance->second].capacity;
            capacity[0] -= n.standby.memory_mib;
            capacity[1] -= n.standby.vcpus;
            continue;
        }
        if (n.state != QStringLiteral("standby")) {
            busy.append(QStringLiteral("%1 (%2)").arg(n.name, n.state));
        }
        plan.nodes[index->second] = n.name;
        plan.placement[appliance->second].push_back(index->second);
    }
    if (!busy.isEmpty()) {
        return Failure{kExitRefused,
                       QStringLiteral("nodes not standby at %1: %2; the simulator must own every "
                                      "takeover of its nodes: release them first "
                                      "(understudyctl release NODE)")
                           .arg(settings_.url.toString(), busy.join(QStringLiteral(", ")))};
    }
    for (std::size_t i = 0; i < fleet.clusters.size(); ++i) {
        if (plan.nodes[i].isEmpty()) {
            return Failure{
                kExitUnavailable,
                QStringLiteral("the service at %1 lists no node on a known appliance "
                               "for cluster %2")
                    .arg(settings_.url.toString(), QString::fromStdString(fleet.clusters[i].name))};
        }
    }
    return std::nullopt;
}

client::ApiResult<qint64> ServiceConnection::readEvents(
    qint64 since, const std::function<void(const client::Event&)>& visit) {
    client::EventQuery query;
    query.since = since;
    query.limit = kEventPage;
    for (;;) {
        auto page = client_->callSync(client::api::events(query));
        if (!page) {
            return page.error();
        }
        if (page->events.empty()) {
            return query.since;
        }
        for (const client::Event& e : page->events) {
            visit(e);
        }
        query.since = page->next;
    }
}

client::ApiResult<qint64> ServiceConnection::lastEventId() {
    return readEvents(0, [](const client::Event&) {});
}

client::ApiResult<std::map<std::string, qint64>> ServiceConnection::eventCounts(
    qint64 since, const std::vector<QString>& nodes) {
    std::map<std::string, qint64> counts;
    const std::set<QString> ours(nodes.begin(), nodes.end());
    auto read = readEvents(since, [&](const client::Event& e) {
        if (e.node && ours.count(*e.node) != 0) {
            ++counts[e.kind.toStdString()];
        }
    });
    if (!read) {
        return read.error();
    }
    return counts;
}

}  // namespace understudy::simulate

#include "agents/simulate/simulate_summary.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "agents/ctl/ctl_output.h"
#include "sizing/engine.h"

namespace understudy::simulate {

namespace {

using nlohmann::ordered_json;

ordered_json jsonNumber(double value) {
    return std::isfinite(value) ? ordered_json(value) : ordered_json(nullptr);
}

ordered_json shareJson(const ShareEstimate& estimate, std::optional<double> engine_risk) {
    ordered_json made{{"share", estimate.share},
                      {"std_error", jsonNumber(estimate.std_error)},
                      {"batches", estimate.batches}};
    if (engine_risk) {
        made["engine_risk"] = *engine_risk;
    }
    return made;
}

// Nearest rank.
double percentile(std::vector<double> values, double q) {
    if (values.empty()) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

// The engine's figures of each appliance at the model's capacity, for its own clusters.
struct EngineRisk {
    std::array<double, sizing::kResourceCount> resource{};
    double either = 0;
};

std::vector<EngineRisk> engineRisks(const sizing::Fleet& fleet, const SimulationModel& model) {
    std::vector<EngineRisk> risks(model.appliances.size());
    for (std::size_t a = 0; a < model.appliances.size(); ++a) {
        sizing::Fleet part;
        part.target_risk = fleet.target_risk;
        part.cpu_overcommit = 1.0;
        part.groups = fleet.groups;
        const Amounts& capacity = model.appliances[a].capacity;
        part.appliances.push_back({model.appliances[a].name, std::max<std::int64_t>(capacity[1], 0),
                                   std::max<std::int64_t>(capacity[0], 0), 0, 0});
        for (std::size_t i = 0; i < model.clusters.size(); ++i) {
            if (model.clusters[i].appliance == a) {
                part.clusters.push_back(fleet.clusters[i]);
            }
        }
        const sizing::SizingResult result = sizing::size(part);
        const sizing::ApplianceResult& figures = result.appliances.front();
        for (const sizing::Resource r : sizing::kResources) {
            risks[a].resource[static_cast<std::size_t>(r)] = figures.figures(r).overflow_risk;
        }
        risks[a].either = figures.overflow_risk_any.value;
    }
    return risks;
}

double clusterProbability(const sizing::Fleet& fleet, const sizing::ClusterSpec& cluster) {
    const double own = sizing::stationaryProbability(cluster.mtbf_hours, cluster.mttr_hours);
    for (const sizing::GroupSpec& group : fleet.groups) {
        if (group.name == cluster.group) {
            return 1 - (1 - own) *
                           (1 - sizing::stationaryProbability(group.mtbf_hours, group.mttr_hours));
        }
    }
    return own;
}

// What both forms of the summary show, computed once.
struct Figures {
    SimulationStats stats;
    const SimulationModel& model;
    std::vector<EngineRisk> risks;
};

ordered_json appliancesJson(const Figures& f) {
    ordered_json appliances = ordered_json::array();
    for (std::size_t a = 0; a < f.model.appliances.size(); ++a) {
        const ApplianceShares& shares = f.stats.appliances[a];
        ordered_json overflow;
        for (const sizing::Resource r : sizing::kResources) {
            const auto k = static_cast<std::size_t>(r);
            overflow[sizing::resourceName(r)] =
                shareJson(shares.resource[k], f.risks[a].resource[k]);
        }
        overflow["either"] = shareJson(shares.either, f.risks[a].either);
        appliances.push_back({{"name", f.model.appliances[a].name},
                              {"capacity",
                               {{"memory_mib", f.model.appliances[a].capacity[0]},
                                {"vcpus", f.model.appliances[a].capacity[1]}}},
                              {"model_overflow_share", overflow}});
    }
    return appliances;
}

ordered_json clustersJson(const RunOutcome& run, const Figures& f) {
    ordered_json clusters = ordered_json::array();
    for (std::size_t i = 0; i < f.model.clusters.size(); ++i) {
        ordered_json c{{"name", f.model.clusters[i].name}};
        if (!run.nodes.empty()) {
            c["node"] = run.nodes[i].toStdString();
        }
        c["failovers"] = f.stats.cluster_failovers[i];
        c["failed_over_share"] = shareJson(f.stats.cluster_failed[i], std::nullopt);
        c["failover_probability"] = clusterProbability(run.fleet, run.fleet.clusters[i]);
        clusters.push_back(c);
    }
    return clusters;
}

// What the driver recorded of a run against a service, into `summary`.
void addRecordJson(ordered_json& summary, const RunOutcome& run, const Figures& f) {
    const DriverRecord& record = *run.record;
    summary["wall_seconds"] = record.wall_s;
    summary["interrupted"] = record.stopped;
    summary["takeovers"] = {{"requested", record.requested},
                            {"granted", record.granted},
                            {"partial", record.partial},
                            {"denied", record.denied},
                            {"refused", record.refused},
                            {"errors", record.errors},
                            {"preemptions", record.preemptions},
                            {"released", record.released},
                            {"time_to_grant_ms",
                             {{"median", jsonNumber(percentile(record.grant_ms, 0.5))},
                              {"p99", jsonNumber(percentile(record.grant_ms, 0.99))}}}};
    summary["denied_share"] = f.stats.hours > 0 ? record.denied_hours / f.stats.hours : 0.0;
    summary["ungranted_share"] = f.stats.hours > 0 ? record.ungranted_hours / f.stats.hours : 0.0;
    ordered_json events = ordered_json::object();
    for (const char* kind : {"takeover.requested", "takeover.granted", "takeover.denied", "release",
                             "preempted", "restored"}) {
        const auto found = run.service_events.find(kind);
        events[kind] = found == run.service_events.end() ? 0 : found->second;
    }
    summary["service_events"] = events;
    ordered_json errors = ordered_json::array();
    for (const QString& e : record.error_messages) {
        errors.push_back(e.toStdString());
    }
    summary["error_messages"] = errors;
    ordered_json unreleased = ordered_json::array();
    for (const QString& n : record.unreleased) {
        unreleased.push_back(n.toStdString());
    }
    summary["unreleased"] = unreleased;
}

ordered_json summaryJson(const Options& options, const QString& url, const RunOutcome& run,
                         const Figures& f) {
    ordered_json summary;
    summary["mode"] = options.model_only ? "model-only" : "service";
    if (!options.model_only) {
        summary["url"] = url.toStdString();
        summary["time_scale"] = options.time_scale;
    }
    summary["fleet"] = options.fleet_file.toStdString();
    summary["seed"] = options.seed;
    summary["simulated_hours"] = f.stats.hours;
    summary["transitions"] = f.stats.transitions;
    summary["appliances"] = appliancesJson(f);
    summary["model_overflow_share"] = shareJson(f.stats.any_appliance, std::nullopt);
    summary["clusters"] = clustersJson(run, f);
    if (run.record) {
        addRecordJson(summary, run, f);
    }
    return summary;
}

QString shareText(const ShareEstimate& e) {
    return std::isfinite(e.std_error)
               ? QStringLiteral("%1 ± %2").arg(e.share, 0, 'g', 4).arg(e.std_error, 0, 'g', 2)
               : QStringLiteral("%1").arg(e.share, 0, 'g', 4);
}

void printApplianceShares(const Figures& f, QTextStream& out) {
    out << "\nModel overflow share (± one standard error, batch means) against the engine's "
           "risk:\n";
    agents::Table table({QStringLiteral("APPLIANCE"), QStringLiteral("RESOURCE"),
                         QStringLiteral("CAPACITY"), QStringLiteral("SHARE"),
                         QStringLiteral("ENGINE RISK")});
    for (std::size_t a = 0; a < f.model.appliances.size(); ++a) {
        const QString name = QString::fromStdString(f.model.appliances[a].name);
        for (const sizing::Resource r : sizing::kResources) {
            const auto k = static_cast<std::size_t>(r);
            table.addRow({name, QString::fromLatin1(sizing::resourceName(r)),
                          agents::formatAmount(QString::fromLatin1(sizing::resourceName(r)),
                                               f.model.appliances[a].capacity[k]),
                          shareText(f.stats.appliances[a].resource[k]),
                          agents::formatRisk(f.risks[a].resource[k])});
        }
        table.addRow({name, QStringLiteral("either"), QString(),
                      shareText(f.stats.appliances[a].either),
                      agents::formatRisk(f.risks[a].either)});
    }
    out << table.render();
}

void printRecord(const RunOutcome& run, const Figures& f, QTextStream& out) {
    const DriverRecord& record = *run.record;
    out << QStringLiteral(
               "\nTakeovers: %1 requested, %2 granted (%3 partial), %4 denied, "
               "%5 refused for the node's state, %6 errors; %7 nodes preempted; "
               "%8 released\n")
               .arg(record.requested)
               .arg(record.granted)
               .arg(record.partial)
               .arg(record.denied)
               .arg(record.refused)
               .arg(record.errors)
               .arg(record.preemptions)
               .arg(record.released);
    if (!record.grant_ms.empty()) {
        out << QStringLiteral("Time to grant: median %1 ms, p99 %2 ms\n")
                   .arg(percentile(record.grant_ms, 0.5), 0, 'f', 0)
                   .arg(percentile(record.grant_ms, 0.99), 0, 'f', 0);
    }
    out << QStringLiteral(
               "Denied share %1 (model overflow share %2); ungranted share %3 "
               "(includes requests on their way)\n")
               .arg(f.stats.hours > 0 ? record.denied_hours / f.stats.hours : 0.0, 0, 'g', 4)
               .arg(f.stats.any_appliance.share, 0, 'g', 4)
               .arg(f.stats.hours > 0 ? record.ungranted_hours / f.stats.hours : 0.0, 0, 'g', 4);
    out << "Service events for these nodes:";
    for (const auto& [kind, count] : run.service_events) {
        out << ' ' << QString::fromStdString(kind) << ' ' << count << ';';
    }
    out << '\n';
}

void printClusters(const RunOutcome& run, const Figures& f, QTextStream& out) {
    agents::Table per_cluster({QStringLiteral("CLUSTER"), QStringLiteral("FAILOVERS"),
                               QStringLiteral("FAILED OVER"), QStringLiteral("EXPECTED")});
    for (std::size_t i = 0; i < f.model.clusters.size(); ++i) {
        per_cluster.addRow(
            {QString::fromStdString(f.model.clusters[i].name),
             QString::number(f.stats.cluster_failovers[i]), shareText(f.stats.cluster_failed[i]),
             agents::formatRisk(clusterProbability(run.fleet, run.fleet.clusters[i]))});
    }
    out << per_cluster.render();
}

void printSummary(const Options& options, const QString& url, const RunOutcome& run,
                  const Figures& f, QTextStream& out) {
    out << QStringLiteral("%1 simulated hours of %2 clusters (seed %3, %4 transitions)%5\n")
               .arg(f.stats.hours, 0, 'f', 0)
               .arg(f.model.clusters.size())
               .arg(options.seed)
               .arg(f.stats.transitions)
               .arg(run.record ? QStringLiteral(" against %1 in %2 s")
                                     .arg(url)
                                     .arg(run.record->wall_s, 0, 'f', 1)
                               : QStringLiteral(", model only"));
    printApplianceShares(f, out);
    if (run.record) {
        printRecord(run, f, out);
    }
    out << '\n';
    printClusters(run, f, out);
}

}  // namespace

void writeSummary(const Options& options, const QString& url, const RunOutcome& run,
                  QTextStream& out) {
    const Figures figures{run.simulation.stats(), run.simulation.model(),
                          engineRisks(run.fleet, run.simulation.model())};
    if (options.global.json) {
        out << QString::fromStdString(summaryJson(options, url, run, figures).dump(2)) << '\n';
    } else {
        printSummary(options, url, run, figures, out);
    }
    out.flush();
}

}  // namespace understudy::simulate

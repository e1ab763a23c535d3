#include "sizing/engine.h"

#include <algorithm>
#include <cmath>
#include <future>
#include <limits>
#include <map>
#include <numeric>

#include "sizing/joint_risk.h"
#include "sizing/resource_analysis.h"

namespace understudy::sizing {
namespace {

std::size_t index(Resource resource) {
    return static_cast<std::size_t>(resource);
}

void report(const SizingOptions& options, const std::string& message) {
    if (options.progress) {
        options.progress(message);
    }
}

std::vector<const ClusterSpec*> clustersAt(const Fleet& fleet,
                                           const std::vector<std::size_t>& indices) {
    std::vector<const ClusterSpec*> clusters;
    clusters.reserve(indices.size());
    for (const auto i : indices) {
        clusters.push_back(&fleet.clusters[i]);
    }
    return clusters;
}

std::vector<Unservable> findUnservable(const std::vector<const ClusterSpec*>& clusters,
                                       const std::array<std::int64_t, kResourceCount>& capacity) {
    std::vector<Unservable> unservable;
    for (const Resource resource : kResources) {
        std::int64_t standby = 0;
        for (const ClusterSpec* cluster : clusters) {
            standby += cluster->effectiveStandby().of(resource);
        }
        for (const ClusterSpec* cluster : clusters) {
            const std::int64_t available =
                capacity[index(resource)] - (standby - cluster->effectiveStandby().of(resource));
            const std::int64_t needed = cluster->active.of(resource);
            if (needed > available) {
                unservable.push_back({cluster->name, resource, needed, available});
            }
        }
    }
    return unservable;
}

ApplianceResult analyzeAppliance(const Fleet& fleet, const ApplianceSpec& spec, bool proposed,
                                 const std::vector<const ClusterSpec*>& clusters,
                                 const SizingOptions& options, bool& exact) {
    ApplianceResult result;
    result.spec = spec;
    result.proposed = proposed;
    std::array<ResourceModel, kResourceCount> models;
    std::array<std::int64_t, kResourceCount> capacity{};
    std::array<double, kResourceCount> risk_lower{};
    std::array<double, kResourceCount> risk_upper{};
    std::array<std::vector<double>, kResourceCount> risk_when_active;
    std::array<ResourceAnalysisOptions, kResourceCount> analysis_options;
    for (const Resource resource : kResources) {
        const std::size_t r = index(resource);
        models[r] = ResourceModel::build(clusters, fleet.groups, resource);
        capacity[r] = usableCapacity(spec, fleet.cpu_overcommit, resource);
        analysis_options[r].capacity = capacity[r];
        analysis_options[r].target_risk = fleet.target_risk;
        analysis_options[r].max_points = options.max_points;
    }
    report(options, "sizing " + spec.name + ": " + std::to_string(clusters.size()) +
                        " clusters, memory and vCPUs");
    // Memory (the larger grid) on a second thread; vCPUs and any sampling on this one. Each
    // computation is deterministic on its own, so the result does not depend on scheduling.
    std::future<ResourceAnalysis> memory_analysis = std::async(
        std::launch::async, [&] { return analyzeResource(models[0], analysis_options[0]); });
    std::array<ResourceAnalysis, kResourceCount> analyses;
    analyses[1] = analyzeResource(models[1], analysis_options[1]);
    const std::array<const ResourceModel*, kResourceCount> model_pointers{&models[0], &models[1]};
    JointRiskOptions joint_options;
    joint_options.samples = options.samples;
    joint_options.seed = options.seed;
    joint_options.force_montecarlo = options.method == Method::montecarlo;
    std::optional<MonteCarloEstimate> estimate;
    if (jointRiskNeedsSampling(model_pointers, capacity, joint_options)) {
        estimate = estimateByMonteCarlo(model_pointers, capacity, options.samples, options.seed);
    }
    analyses[0] = memory_analysis.get();

    for (const Resource resource : kResources) {
        const std::size_t r = index(resource);
        const ResourceAnalysis& analysis = analyses[r];
        ResourceFigures& figures = result.resources[r];
        figures.capacity = capacity[r];
        figures.standby_total = models[r].standbyTotal();
        for (const ClusterSpec* cluster : clusters) {
            figures.active_total += cluster->active.of(resource);
        }
        figures.overflow_risk = analysis.overflow_risk;
        figures.expected_shortfall = analysis.expected_shortfall;
        figures.required_capacity = analysis.required_capacity;
        figures.required_capacity_per_cluster = analysis.required_capacity_per_cluster;
        figures.distribution = analysis.distribution;
        risk_lower[r] = analysis.overflow_risk_lower;
        risk_upper[r] = analysis.overflow_risk_upper;
        if (!analysis.exact) {
            exact = false;
            figures.overflow_risk_lower = analysis.overflow_risk_lower;
            figures.overflow_risk_upper = analysis.overflow_risk_upper;
        }
        risk_when_active[r] = analysis.risk_when_active;
        if (options.method == Method::montecarlo) {
            // The cross-check replaces the risks at the capacity; requirements stay exact.
            exact = false;
            figures.overflow_risk = estimate->risk[r];
            figures.overflow_risk_lower =
                std::max(0.0, estimate->risk[r] - estimate->risk_half_width[r]);
            figures.overflow_risk_upper =
                std::min(1.0, estimate->risk[r] + estimate->risk_half_width[r]);
            figures.expected_shortfall = estimate->shortfall[r];
            risk_lower[r] = *figures.overflow_risk_lower;
            risk_upper[r] = *figures.overflow_risk_upper;
        }
        figures.meets_target = figures.overflow_risk <= fleet.target_risk;
    }
    result.overflow_risk_any = jointOverflowRisk(model_pointers, capacity, risk_lower, risk_upper,
                                                 joint_options, estimate ? &*estimate : nullptr);
    result.unservable = findUnservable(clusters, capacity);
    for (std::size_t i = 0; i < clusters.size(); ++i) {
        ClusterFigures figures;
        figures.name = clusters[i]->name;
        figures.group = clusters[i]->group;
        figures.priority = clusters[i]->priority;
        figures.failover_probability = models[0].failoverProbability(i);
        for (std::size_t r = 0; r < kResourceCount; ++r) {
            figures.risk_when_active[r] =
                risk_when_active[r].empty() ? 0.0 : risk_when_active[r][i];
        }
        result.clusters.push_back(std::move(figures));
    }
    return result;
}

// What to buy when the fleet names no appliance: per resource the larger of the fleet-level
// and the per-cluster requirement, the reserve on top, vCPUs rounded up to whole cores.
ApplianceSpec proposeAppliance(const Fleet& fleet, const std::vector<const ClusterSpec*>& clusters,
                               const SizingOptions& options) {
    ApplianceSpec spec;
    spec.name = "proposed";
    spec.reserve_vcpus = options.proposed_reserve_vcpus;
    spec.reserve_memory_mib = options.proposed_reserve_memory_mib;
    std::array<std::int64_t, kResourceCount> needed{};
    for (const Resource resource : kResources) {
        ResourceAnalysisOptions analysis_options;
        analysis_options.target_risk = fleet.target_risk;
        analysis_options.max_points = options.max_points;
        const ResourceAnalysis analysis = analyzeResource(
            ResourceModel::build(clusters, fleet.groups, resource), analysis_options);
        needed[index(resource)] =
            std::max(analysis.required_capacity, analysis.required_capacity_per_cluster);
    }
    spec.memory_mib = spec.reserve_memory_mib + needed[index(Resource::memory_mib)];
    const auto cpu_needed = static_cast<double>(needed[index(Resource::vcpus)]);
    spec.vcpus = spec.reserve_vcpus +
                 static_cast<std::int64_t>(std::ceil(cpu_needed / fleet.cpu_overcommit));
    while (usableCapacity(spec, fleet.cpu_overcommit, Resource::vcpus) <
           needed[index(Resource::vcpus)]) {
        ++spec.vcpus;  // guards against rounding in the division above
    }
    spec.vcpus = std::max<std::int64_t>(spec.vcpus, spec.reserve_vcpus + 1);
    spec.memory_mib = std::max<std::int64_t>(spec.memory_mib, spec.reserve_memory_mib + 1);
    return spec;
}

Baselines computeBaselines(const Fleet& fleet) {
    Baselines baselines;
    baselines.tolerate_k = fleet.tolerate_k;
    for (const Resource resource : kResources) {
        const std::size_t r = index(resource);
        std::int64_t standby = 0;
        std::vector<std::int64_t> deltas;
        for (const auto& cluster : fleet.clusters) {
            const std::int64_t held = cluster.effectiveStandby().of(resource);
            standby += held;
            baselines.no_overbooking[r] += cluster.active.of(resource);
            deltas.push_back(std::max<std::int64_t>(0, cluster.active.of(resource) - held));
        }
        std::sort(deltas.begin(), deltas.end(), std::greater<>());
        const auto k =
            std::min(deltas.size(), static_cast<std::size_t>(std::max(0, fleet.tolerate_k)));
        baselines.tolerate_k_capacity[r] =
            standby + std::accumulate(deltas.begin(),
                                      deltas.begin() + static_cast<std::ptrdiff_t>(k),
                                      std::int64_t{0});
    }
    return baselines;
}

// Running moments of one appliance's demand for the placement heuristic, with the covariance
// that common-cause groups add: Cov(X_i, X_j) = p_g(1 − p_g)(1 − p_i)(1 − p_j) in one group.
struct LoadTracker {
    std::array<std::int64_t, kResourceCount> capacity{};
    std::array<std::int64_t, kResourceCount> standby{};
    std::array<std::int64_t, kResourceCount> largest_delta{};
    std::array<double, kResourceCount> mean{};
    std::array<double, kResourceCount> variance{};
    std::map<std::string, std::array<double, kResourceCount>> group_sums;  // Σ (1 − p_j) δ_j

    struct Contribution {
        std::array<std::int64_t, kResourceCount> standby{};
        std::array<std::int64_t, kResourceCount> delta{};
        std::array<double, kResourceCount> mean{};
        std::array<double, kResourceCount> variance{};
        std::array<double, kResourceCount> group_term{};  // (1 − p_i) δ_i
        double p_group = 0;
    };

    static Contribution contribution(const Fleet& fleet, const ClusterSpec& cluster) {
        Contribution c;
        const double p_own = stationaryProbability(cluster.mtbf_hours, cluster.mttr_hours);
        if (!cluster.group.empty()) {
            for (const auto& group : fleet.groups) {
                if (group.name == cluster.group) {
                    c.p_group = stationaryProbability(group.mtbf_hours, group.mttr_hours);
                }
            }
        }
        const double p_any = 1 - (1 - p_own) * (1 - c.p_group);
        for (const Resource resource : kResources) {
            const std::size_t r = index(resource);
            c.standby[r] = cluster.effectiveStandby().of(resource);
            c.delta[r] = std::max<std::int64_t>(0, cluster.active.of(resource) - c.standby[r]);
            const auto delta = static_cast<double>(c.delta[r]);
            c.mean[r] = static_cast<double>(c.standby[r]) + p_any * delta;
            c.variance[r] = p_any * (1 - p_any) * delta * delta;
            c.group_term[r] = (1 - p_own) * delta;
        }
        return c;
    }

    bool fits(const Contribution& c) const {
        for (std::size_t r = 0; r < kResourceCount; ++r) {
            if (standby[r] + c.standby[r] + std::max(largest_delta[r], c.delta[r]) > capacity[r]) {
                return false;
            }
        }
        return true;
    }
    // Standard deviations of headroom after adding c, worst resource: higher is safer.
    double safety(const Contribution& c, const std::string& group) const {
        double worst = std::numeric_limits<double>::infinity();
        for (std::size_t r = 0; r < kResourceCount; ++r) {
            double added = c.variance[r];
            if (!group.empty()) {
                const auto found = group_sums.find(group);
                if (found != group_sums.end()) {
                    added += 2 * c.p_group * (1 - c.p_group) * c.group_term[r] * found->second[r];
                }
            }
            const double sd = std::sqrt(variance[r] + added);
            const double headroom = static_cast<double>(capacity[r]) - (mean[r] + c.mean[r]);
            worst = std::min(worst, sd > 0 ? headroom / sd : (headroom >= 0 ? 1e300 : -1e300));
        }
        return worst;
    }
    void add(const Contribution& c, const std::string& group) {
        for (std::size_t r = 0; r < kResourceCount; ++r) {
            double added = c.variance[r];
            if (!group.empty()) {
                auto& sums = group_sums[group];
                added += 2 * c.p_group * (1 - c.p_group) * c.group_term[r] * sums[r];
                sums[r] += c.group_term[r];
            }
            variance[r] += added;
            mean[r] += c.mean[r];
            standby[r] += c.standby[r];
            largest_delta[r] = std::max(largest_delta[r], c.delta[r]);
        }
    }
};

// Greedy placement, largest footprint first: each cluster goes where it fits and the worst
// resource keeps the most standard deviations of headroom.
std::vector<std::vector<std::size_t>> placeGreedily(const Fleet& fleet,
                                                    const std::vector<std::size_t>& appliances,
                                                    std::vector<LoadTracker>& trackers,
                                                    const std::vector<std::size_t>& to_place) {
    std::vector<std::vector<std::size_t>> placed(appliances.size());
    std::vector<std::size_t> order = to_place;
    std::vector<double> weight(fleet.clusters.size(), 0);
    for (const auto i : order) {
        for (const Resource resource : kResources) {
            double capacity = 0;
            for (const auto a : appliances) {
                capacity += static_cast<double>(
                    usableCapacity(fleet.appliances[a], fleet.cpu_overcommit, resource));
            }
            weight[i] =
                std::max(weight[i], static_cast<double>(fleet.clusters[i].active.of(resource)) /
                                        std::max(capacity, 1.0));
        }
    }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (weight[a] != weight[b]) {
            return weight[a] > weight[b];
        }
        return fleet.clusters[a].name < fleet.clusters[b].name;
    });
    for (const auto i : order) {
        const ClusterSpec& cluster = fleet.clusters[i];
        const auto c = LoadTracker::contribution(fleet, cluster);
        std::size_t best = 0;
        bool best_fits = false;
        double best_score = -std::numeric_limits<double>::infinity();
        for (std::size_t a = 0; a < appliances.size(); ++a) {
            const bool fits = trackers[a].fits(c);
            const double score = trackers[a].safety(c, cluster.group);
            if ((fits && !best_fits) || (fits == best_fits && score > best_score)) {
                best = a;
                best_fits = fits;
                best_score = score;
            }
        }
        trackers[best].add(c, cluster.group);
        placed[best].push_back(i);
    }
    for (auto& list : placed) {
        std::sort(list.begin(), list.end());
    }
    return placed;
}

std::vector<LoadTracker> emptyTrackers(const Fleet& fleet,
                                       const std::vector<std::size_t>& appliances) {
    std::vector<LoadTracker> trackers(appliances.size());
    for (std::size_t a = 0; a < appliances.size(); ++a) {
        for (const Resource resource : kResources) {
            trackers[a].capacity[index(resource)] =
                usableCapacity(fleet.appliances[appliances[a]], fleet.cpu_overcommit, resource);
        }
    }
    return trackers;
}

PoolResult analyzePool(const Fleet& fleet, const std::vector<std::vector<std::size_t>>& placement,
                       const SizingOptions& options) {
    PoolResult pool;
    for (std::size_t down = 0; down < fleet.appliances.size(); ++down) {
        report(options, "N+1: " + fleet.appliances[down].name + " down");
        std::vector<std::size_t> remaining;
        for (std::size_t a = 0; a < fleet.appliances.size(); ++a) {
            if (a != down) {
                remaining.push_back(a);
            }
        }
        const auto moved = placeAfterLoss(fleet, placement, down);
        PoolDown outcome;
        outcome.down = fleet.appliances[down].name;
        std::vector<std::vector<std::size_t>> after(remaining.size());
        for (std::size_t k = 0; k < remaining.size(); ++k) {
            after[k] = placement[remaining[k]];
            const auto& received = moved[remaining[k]];
            after[k].insert(after[k].end(), received.begin(), received.end());
            const auto clusters = clustersAt(fleet, after[k]);
            std::array<std::int64_t, kResourceCount> capacity{};
            for (const Resource resource : kResources) {
                const std::size_t r = index(resource);
                capacity[r] =
                    usableCapacity(fleet.appliances[remaining[k]], fleet.cpu_overcommit, resource);
                ResourceAnalysisOptions analysis_options;
                analysis_options.capacity = capacity[r];
                analysis_options.target_risk = fleet.target_risk;
                analysis_options.per_cluster = false;
                analysis_options.max_points = options.max_points;
                const auto analysis = analyzeResource(
                    ResourceModel::build(clusters, fleet.groups, resource), analysis_options);
                outcome.overflow_risk[r] =
                    std::max(outcome.overflow_risk[r], analysis.overflow_risk);
            }
            const auto unservable = findUnservable(clusters, capacity);
            outcome.unservable.insert(outcome.unservable.end(), unservable.begin(),
                                      unservable.end());
        }
        pool.n_plus_one.push_back(std::move(outcome));
    }
    return pool;
}

}  // namespace

std::vector<std::vector<std::size_t>> placeAfterLoss(
    const Fleet& fleet, const std::vector<std::vector<std::size_t>>& placement, std::size_t down) {
    std::vector<std::size_t> remaining;
    for (std::size_t a = 0; a < fleet.appliances.size(); ++a) {
        if (a != down) {
            remaining.push_back(a);
        }
    }
    std::vector<std::vector<std::size_t>> received(fleet.appliances.size());
    if (remaining.empty() || down >= placement.size()) {
        return received;
    }
    std::vector<LoadTracker> trackers = emptyTrackers(fleet, remaining);
    for (std::size_t k = 0; k < remaining.size(); ++k) {
        for (const auto i : placement[remaining[k]]) {
            trackers[k].add(LoadTracker::contribution(fleet, fleet.clusters[i]),
                            fleet.clusters[i].group);
        }
    }
    const auto moved = placeGreedily(fleet, remaining, trackers, placement[down]);
    for (std::size_t k = 0; k < remaining.size(); ++k) {
        received[remaining[k]] = moved[k];
    }
    return received;
}

std::vector<std::vector<std::size_t>> proposePlacement(const Fleet& fleet) {
    std::vector<std::size_t> appliances(fleet.appliances.size());
    std::iota(appliances.begin(), appliances.end(), std::size_t{0});
    std::vector<std::size_t> all(fleet.clusters.size());
    std::iota(all.begin(), all.end(), std::size_t{0});
    std::vector<LoadTracker> trackers = emptyTrackers(fleet, appliances);
    return placeGreedily(fleet, appliances, trackers, all);
}

SizingResult size(const Fleet& fleet, const SizingOptions& options) {
    SizingResult result;
    result.target_risk = fleet.target_risk;
    result.cpu_overcommit = fleet.cpu_overcommit;
    result.baselines = computeBaselines(fleet);
    bool exact = true;
    for (const auto& cluster : fleet.clusters) {
        if (stationaryProbability(cluster.mtbf_hours, cluster.mttr_hours) >= 0.5) {
            result.warnings.push_back("cluster " + cluster.name +
                                      " is failed over at least half of the time (MTTR ≥ MTBF); "
                                      "check its failure model");
        }
    }

    if (fleet.appliances.empty()) {
        std::vector<std::size_t> all(fleet.clusters.size());
        std::iota(all.begin(), all.end(), std::size_t{0});
        const auto clusters = clustersAt(fleet, all);
        const ApplianceSpec proposed = proposeAppliance(fleet, clusters, options);
        result.appliances.push_back(
            analyzeAppliance(fleet, proposed, true, clusters, options, exact));
    } else if (fleet.appliances.size() == 1) {
        std::vector<std::size_t> all(fleet.clusters.size());
        std::iota(all.begin(), all.end(), std::size_t{0});
        result.appliances.push_back(analyzeAppliance(fleet, fleet.appliances[0], false,
                                                     clustersAt(fleet, all), options, exact));
    } else {
        const auto placement = proposePlacement(fleet);
        for (std::size_t a = 0; a < fleet.appliances.size(); ++a) {
            result.appliances.push_back(analyzeAppliance(fleet, fleet.appliances[a], false,
                                                         clustersAt(fleet, placement[a]), options,
                                                         exact));
        }
        result.pool = analyzePool(fleet, placement, options);
    }
    result.exact = exact;
    result.method = options.method == Method::montecarlo ? "montecarlo" : "exact";
    if (!exact && options.method == Method::exact) {
        result.warnings.push_back(
            "demands were quantized to stay fast: overflow risks are reported as upper bounds "
            "with their lower bounds beside them");
    }
    return result;
}

}  // namespace understudy::sizing

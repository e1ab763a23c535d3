// Realistic sizing results for the writers' tests, built without the engine: every state of a
// 12-cluster fleet (4096 cluster states × the common-cause group states) is enumerated, which is
// the overbooking model by definition, so the figures are consistent with each other.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "sizing/fleet.h"
#include "sizing/sizing_result.h"

namespace understudy::sizing::testing {

struct SampleCase {
    Fleet fleet;
    SizingResult result;
};

inline Fleet sampleFleet() {
    Fleet fleet;
    fleet.target_risk = 1e-4;
    fleet.cpu_overcommit = 4.0;
    fleet.tolerate_k = 1;
    fleet.groups = {{"rack-a", 43800, 6}, {"feed-b", 26280, 4}};
    const auto cluster = [](const char* name, int priority, double mtbf, double mttr,
                            const char* group, Footprint standby, Footprint active) {
        ClusterSpec spec;
        spec.name = name;
        spec.priority = priority;
        spec.mtbf_hours = mtbf;
        spec.mttr_hours = mttr;
        spec.group = group;
        spec.standby = standby;
        spec.active = active;
        return spec;
    };
    fleet.clusters = {
        cluster("erp", 900, 8760, 240, "rack-a", {1, 2048}, {8, 32768}),
        cluster("crm", 950, 8760, 120, "rack-a", {1, 2048}, {8, 24576}),
        cluster("billing", 800, 4380, 96, "rack-a", {1, 1024}, {4, 16384}),
        cluster("payroll", 700, 8760, 168, "feed-b", {1, 2048}, {4, 16384}),
        cluster("mail", 600, 2920, 72, "feed-b", {1, 2048}, {8, 32768}),
        cluster("web-shop", 850, 2190, 48, "feed-b", {2, 4096}, {16, 65536}),
        cluster("dwh", 500, 4380, 336, "", {2, 8192}, {16, 98304}),
        cluster("ldap", 1000, 17520, 48, "", {1, 1024}, {2, 4096}),
        cluster("ci", 200, 1460, 96, "", {1, 2048}, {12, 49152}),
        cluster("backup", 300, 2920, 168, "", {1, 2048}, {8, 32768}),
        cluster("wiki", 250, 4380, 72, "", {1, 1024}, {2, 8192}),
        cluster("voip", 980, 8760, 24, "", {1, 1024}, {4, 8192}),
    };
    return fleet;
}

// The exact model over the given clusters for an appliance of the given usable capacities
// (0: size one, as the engine does when the fleet names no appliance).
inline ApplianceResult enumerateAppliance(const Fleet& fleet,
                                          const std::vector<ClusterSpec>& clusters,
                                          ApplianceSpec spec, bool proposed) {
    const std::size_t n = clusters.size();
    std::vector<double> own(n);
    std::vector<int> groupOf(n, -1);
    for (std::size_t i = 0; i < n; ++i) {
        own[i] = stationaryProbability(clusters[i].mtbf_hours, clusters[i].mttr_hours);
        for (std::size_t g = 0; g < fleet.groups.size(); ++g) {
            if (fleet.groups[g].name == clusters[i].group) {
                groupOf[i] = static_cast<int>(g);
            }
        }
    }
    ApplianceResult appliance;
    appliance.proposed = proposed;
    // state probability and demands of every joint state (group states × cluster states)
    struct State {
        double probability;
        std::uint32_t active;
        std::int64_t demand[kResourceCount];
    };
    std::vector<State> states;
    const std::size_t groupCount = fleet.groups.size();
    for (std::uint32_t groups = 0; groups < (1u << groupCount); ++groups) {
        double groupWeight = 1;
        for (std::size_t g = 0; g < groupCount; ++g) {
            const double p =
                stationaryProbability(fleet.groups[g].mtbf_hours, fleet.groups[g].mttr_hours);
            groupWeight *= (groups >> g) & 1u ? p : 1 - p;
        }
        for (std::uint32_t own_mask = 0; own_mask < (1u << n); ++own_mask) {
            State state{groupWeight, 0, {0, 0}};
            for (std::size_t i = 0; i < n; ++i) {
                const bool byOwn = (own_mask >> i) & 1u;
                state.probability *= byOwn ? own[i] : 1 - own[i];
                const bool byGroup = groupOf[i] >= 0 && ((groups >> groupOf[i]) & 1u);
                const bool active = byOwn || byGroup;
                if (active) {
                    state.active |= 1u << i;
                }
                for (const Resource r : kResources) {
                    const Footprint& f =
                        active ? clusters[i].active : clusters[i].effectiveStandby();
                    state.demand[static_cast<std::size_t>(r)] += f.of(r);
                }
            }
            states.push_back(state);
        }
    }
    std::int64_t capacity[kResourceCount] = {};
    for (const Resource r : kResources) {
        const auto ri = static_cast<std::size_t>(r);
        ResourceFigures& figures = appliance.resources[ri];
        std::int64_t unit = 0;
        for (const ClusterSpec& c : clusters) {
            figures.standby_total += c.effectiveStandby().of(r);
            figures.active_total += c.active.of(r);
            unit = std::gcd(unit, c.active.of(r) - c.effectiveStandby().of(r));
        }
        DemandDistribution& dist = figures.distribution;
        dist.base = figures.standby_total;
        dist.unit = std::max<std::int64_t>(unit, 1);
        dist.probability.assign(
            static_cast<std::size_t>((figures.active_total - figures.standby_total) / dist.unit) +
                1,
            0.0);
        std::vector<std::vector<double>> given(n,
                                               std::vector<double>(dist.probability.size(), 0.0));
        std::vector<double> activeMass(n, 0.0);
        for (const State& s : states) {
            const auto k = static_cast<std::size_t>((s.demand[ri] - dist.base) / dist.unit);
            dist.probability[k] += s.probability;
            for (std::size_t i = 0; i < n; ++i) {
                if ((s.active >> i) & 1u) {
                    given[i][k] += s.probability;
                    activeMass[i] += s.probability;
                }
            }
        }
        const auto tailAbove = [&](const std::vector<double>& mass, std::int64_t c) {
            double above = 0;
            for (std::size_t k = 0; k < mass.size(); ++k) {
                if (dist.demandAt(k) > c) {
                    above += mass[k];
                }
            }
            return above;
        };
        const auto smallestMeeting = [&](auto&& risk) {
            std::int64_t c = dist.base;
            while (c < figures.active_total && risk(c) > fleet.target_risk) {
                c += dist.unit;
            }
            // the smallest integer, not only a multiple of the unit, meets the target
            while (c > 0 && risk(c - 1) <= fleet.target_risk) {
                --c;
            }
            return c;
        };
        figures.required_capacity =
            smallestMeeting([&](std::int64_t c) { return tailAbove(dist.probability, c); });
        figures.required_capacity_per_cluster = smallestMeeting([&](std::int64_t c) {
            double worst = 0;
            for (std::size_t i = 0; i < n; ++i) {
                worst = std::max(worst, tailAbove(given[i], c) / activeMass[i]);
            }
            return worst;
        });
        if (proposed) {
            capacity[ri] =
                std::max(figures.required_capacity, figures.required_capacity_per_cluster);
            if (r == Resource::memory_mib) {
                spec.memory_mib = spec.reserve_memory_mib + capacity[ri];
            } else {
                spec.vcpus = spec.reserve_vcpus +
                             static_cast<std::int64_t>(std::ceil(static_cast<double>(capacity[ri]) /
                                                                 fleet.cpu_overcommit));
            }
        } else {
            capacity[ri] = usableCapacity(spec, fleet.cpu_overcommit, r);
        }
        figures.capacity = capacity[ri];
        figures.overflow_risk = tailAbove(dist.probability, capacity[ri]);
        for (std::size_t k = 0; k < dist.probability.size(); ++k) {
            figures.expected_shortfall +=
                dist.probability[k] *
                static_cast<double>(std::max<std::int64_t>(0, dist.demandAt(k) - capacity[ri]));
        }
        figures.meets_target = figures.overflow_risk <= fleet.target_risk;
        for (std::size_t i = 0; i < n; ++i) {
            if (appliance.clusters.size() < n) {
                ClusterFigures cf;
                cf.name = clusters[i].name;
                cf.group = clusters[i].group;
                cf.priority = clusters[i].priority;
                cf.failover_probability = activeMass[i];
                appliance.clusters.push_back(cf);
            }
            appliance.clusters[i].risk_when_active[ri] =
                tailAbove(given[i], capacity[ri]) / activeMass[i];
            const std::int64_t available =
                capacity[ri] - (figures.standby_total - clusters[i].effectiveStandby().of(r));
            if (clusters[i].active.of(r) > available) {
                appliance.unservable.push_back(
                    {clusters[i].name, r, clusters[i].active.of(r), available});
            }
        }
    }
    double any = 0;
    for (const State& s : states) {
        if (s.demand[0] > capacity[0] || s.demand[1] > capacity[1]) {
            any += s.probability;
        }
    }
    appliance.overflow_risk_any = {any, "exact", any, any, 0};
    appliance.spec = spec;
    return appliance;
}

inline void fillHeader(const Fleet& fleet, SizingResult& result) {
    result.target_risk = fleet.target_risk;
    result.cpu_overcommit = fleet.cpu_overcommit;
    result.baselines.tolerate_k = fleet.tolerate_k;
    for (const Resource r : kResources) {
        std::vector<std::int64_t> deltas;
        std::int64_t standby = 0;
        std::int64_t active = 0;
        for (const ClusterSpec& c : fleet.clusters) {
            standby += c.effectiveStandby().of(r);
            active += c.active.of(r);
            deltas.push_back(c.active.of(r) - c.effectiveStandby().of(r));
        }
        std::sort(deltas.rbegin(), deltas.rend());
        const auto ri = static_cast<std::size_t>(r);
        result.baselines.no_overbooking[ri] = active;
        result.baselines.tolerate_k_capacity[ri] =
            standby +
            std::accumulate(deltas.begin(), deltas.begin() + fleet.tolerate_k, std::int64_t{0});
    }
}

// No appliance in the fleet: the engine proposes one, with a 16 GiB and 2 vCPU host reserve.
inline SampleCase proposedApplianceCase() {
    SampleCase sample{sampleFleet(), {}};
    fillHeader(sample.fleet, sample.result);
    sample.result.appliances.push_back(enumerateAppliance(sample.fleet, sample.fleet.clusters,
                                                          {"proposed", 0, 0, 2, 16384}, true));
    return sample;
}

// A given appliance that is too small: it misses the target and dwh can never be served.
inline SampleCase undersizedApplianceCase() {
    SampleCase sample{sampleFleet(), {}};
    sample.fleet.appliances = {{"pna-1", 24, 131072, 2, 16384}};
    fillHeader(sample.fleet, sample.result);
    sample.result.appliances.push_back(
        enumerateAppliance(sample.fleet, sample.fleet.clusters, sample.fleet.appliances[0], false));
    sample.result.warnings = {
        "cluster \"ci\": mtbf_hours 1460 is short for a production cluster; "
        "check its failure model"};
    return sample;
}

// Two appliances with the engine's placement and the N+1 check.
inline SampleCase poolCase() {
    SampleCase sample{sampleFleet(), {}};
    sample.fleet.appliances = {{"pna-1", 32, 262144, 2, 16384}, {"pna-2", 32, 262144, 2, 16384}};
    fillHeader(sample.fleet, sample.result);
    const auto& all = sample.fleet.clusters;
    const std::vector<ClusterSpec> first(all.begin(), all.begin() + 6);
    const std::vector<ClusterSpec> second(all.begin() + 6, all.end());
    sample.result.appliances.push_back(
        enumerateAppliance(sample.fleet, first, sample.fleet.appliances[0], false));
    sample.result.appliances.push_back(
        enumerateAppliance(sample.fleet, second, sample.fleet.appliances[1], false));
    PoolResult pool;
    pool.n_plus_one = {{"pna-1", {}, {3.1e-4, 2.2e-6}},
                       {"pna-2", {{"dwh", Resource::memory_mib, 98304, 90112}}, {8.4e-3, 5.0e-5}}};
    sample.result.pool = pool;
    return sample;
}

}  // namespace understudy::sizing::testing

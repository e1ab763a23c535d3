// What the sizing engine answers (understudy-size(1), OUTPUT), as plain values. The JSON, CSV, HTML
// and PDF writers and the service all render from these.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sizing/fleet.h"

namespace understudy::sizing {

// The demand distribution of one resource on one appliance, for charts and the CSV export.
// Demand takes the values base + unit × k; probability[k] is P(demand = base + unit × k) for
// k < probability.size(), and beyond_mass is P(demand > base + unit × (size − 1)).
struct DemandDistribution {
    std::int64_t base = 0;
    std::int64_t unit = 1;
    std::vector<double> probability;
    double beyond_mass = 0;

    std::int64_t demandAt(std::size_t k) const {
        return base + unit * static_cast<std::int64_t>(k);
    }
    // P(demand > demandAt(k)), summed from the top so tiny tails keep their precision.
    std::vector<double> tailProbabilities() const;
};

struct ResourceFigures {
    std::int64_t capacity = 0;       // usable: after the reserve, vCPUs times the overcommit
    std::int64_t standby_total = 0;  // Σ standby footprints
    std::int64_t active_total = 0;   // Σ active footprints
    double overflow_risk = 0;        // P(D > capacity)
    // Set when the engine had to quantize (exact == false): bounds around overflow_risk.
    std::optional<double> overflow_risk_lower;
    std::optional<double> overflow_risk_upper;
    double expected_shortfall = 0;  // E[max(0, D − capacity)]
    std::int64_t required_capacity = 0;
    std::int64_t required_capacity_per_cluster = 0;
    bool meets_target = false;
    DemandDistribution distribution;
};

struct JointRisk {
    double value = 0;
    std::string method;  // "exact" or "montecarlo"
    double lower = 0;
    double upper = 0;
    std::int64_t samples = 0;  // Monte Carlo only
};

struct Unservable {
    std::string cluster;
    Resource resource = Resource::memory_mib;
    std::int64_t needed = 0;     // the cluster's active footprint
    std::int64_t available = 0;  // capacity left beside everyone else's standby footprint
};

struct ClusterFigures {
    std::string name;
    std::string group;
    int priority = 0;
    double failover_probability = 0;
    std::array<double, kResourceCount> risk_when_active{};
};

struct ApplianceResult {
    ApplianceSpec spec;  // for a proposed appliance: what to buy
    bool proposed = false;
    std::array<ResourceFigures, kResourceCount> resources;
    JointRisk overflow_risk_any;
    std::vector<Unservable> unservable;
    std::vector<ClusterFigures> clusters;

    const ResourceFigures& figures(Resource r) const {
        return resources[static_cast<std::size_t>(r)];
    }
    bool meetsTarget() const;
};

struct Baselines {
    std::array<std::int64_t, kResourceCount> no_overbooking{};
    int tolerate_k = 1;
    std::array<std::int64_t, kResourceCount> tolerate_k_capacity{};
};

struct PoolDown {
    std::string down;
    std::vector<Unservable> unservable;
    // The worst remaining appliance's overflow risk per resource.
    std::array<double, kResourceCount> overflow_risk{};
};

struct PoolResult {
    std::vector<PoolDown> n_plus_one;
};

struct SizingResult {
    std::string method = "exact";  // "exact" or "montecarlo"
    bool exact = true;
    double target_risk = 1e-4;
    double cpu_overcommit = 1.0;
    std::vector<ApplianceResult> appliances;
    Baselines baselines;
    std::optional<PoolResult> pool;
    std::vector<std::string> warnings;

    // Every appliance meets the target with nothing unservable: exit status 0.
    bool allMeetTarget() const;
};

}  // namespace understudy::sizing

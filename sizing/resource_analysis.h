// The exact overbooking analysis of one resource (memory or vCPUs) for one set of clusters: the
// distribution of demand, overflow risk, expected shortfall, required capacity and each cluster's
// risk when active (docs/sizing-method.md, "The figures").
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "sizing/sizing_result.h"

namespace understudy::sizing {

// One resource's view of a fleet: every cluster's standby footprint and its active delta, and
// the common-cause groups with their probabilities.
struct ResourceModel {
    struct Member {
        double p_own = 0;          // the cluster's own failover probability
        int group = -1;            // index into groups, or −1
        std::int64_t standby = 0;  // effective standby footprint
        std::int64_t delta = 0;    // active − standby, ≥ 0
    };
    struct Group {
        double p = 0;
        std::vector<std::size_t> members;  // indices into members
    };
    std::vector<Member> members;
    std::vector<Group> groups;

    static ResourceModel build(const std::vector<const ClusterSpec*>& clusters,
                               const std::vector<GroupSpec>& groups, Resource resource);
    std::int64_t standbyTotal() const;
    std::int64_t deltaTotal() const;
    // P(X_i = 1): own failure or its group's.
    double failoverProbability(std::size_t member) const;
};

struct ResourceAnalysisOptions {
    std::optional<std::int64_t> capacity;  // usable; absent when sizing a proposed appliance
    double target_risk = 1e-4;
    bool per_cluster = true;  // risk when active and the per-cluster required capacity
    // Above this many resolved points the engine quantizes and reports bounds instead.
    std::int64_t max_points = std::int64_t{1} << 17;
};

struct ResourceAnalysis {
    bool exact = true;
    std::int64_t unit = 1;  // the grid the demand was resolved on (MiB or vCPUs)
    double overflow_risk = 0;
    double overflow_risk_lower = 0;
    double overflow_risk_upper = 0;
    double expected_shortfall = 0;
    std::int64_t required_capacity = 0;
    std::int64_t required_capacity_per_cluster = 0;
    std::vector<double> risk_when_active;  // per member; empty without per_cluster or capacity
    DemandDistribution distribution;
};

ResourceAnalysis analyzeResource(const ResourceModel& model,
                                 const ResourceAnalysisOptions& options);

}  // namespace understudy::sizing

// The fleet simulator's pure core (understudy-simulate(1)): a discrete-event simulation of the
// overbooking model in virtual time, with no I/O and no Qt, so that long runs can check the sizing
// engine and the driver can replay the same events against a service.
//
// The process is the model's own (docs/sizing-method.md, "The model"): each cluster alternates
// between up and failed with exponential times of means MTBF and MTTR, each common-cause group
// likewise, independently; a cluster is failed over while it or its group is down. Every component
// starts in its stationary state (down with probability MTTR / (MTBF + MTTR), the time to its next
// change exponential by memorylessness), so the process is stationary from time 0 and needs no
// warm-up.
//
// The shares of time are estimated with their standard error by batch means: the run is cut
// into batches of equal virtual length, each batch's share is one observation, and σ̂ is the
// standard deviation of those observations over √B. Batches much longer than the process's
// correlation time (the longest MTBF + MTTR) make the observations nearly independent
// (Law & Kelton, "Simulation Modeling and Analysis", 5th ed., §9.5.3).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "sizing/fleet.h"

namespace understudy::simulate {

using Amounts = std::array<std::int64_t, sizing::kResourceCount>;

struct SimCluster {
    std::string name;
    double mtbf_hours = 0;
    double mttr_hours = 0;
    int group = -1;  // index into SimulationModel::groups; -1 for none
    std::size_t appliance = 0;
    Amounts standby{};  // effective standby footprint (reserved memory held at active)
    Amounts active{};
};

struct SimGroup {
    std::string name;
    double mtbf_hours = 0;
    double mttr_hours = 0;
};

struct SimAppliance {
    std::string name;
    Amounts capacity{};  // usable, as the engine sees it
};

struct SimulationModel {
    std::vector<SimCluster> clusters;
    std::vector<SimGroup> groups;
    std::vector<SimAppliance> appliances;

    // From a validated fleet: `placement[a]` are the clusters on appliance `a` (as
    // sizing::proposePlacement gives them) and `capacities[a]` its usable capacity.
    static Result<SimulationModel> fromFleet(const sizing::Fleet& fleet,
                                             const std::vector<std::vector<std::size_t>>& placement,
                                             const std::vector<SimAppliance>& appliances);
};

// What changed at one instant: the clusters that began or ended a failover.
struct Transition {
    double hours = 0;
    std::vector<std::pair<std::size_t, bool>> changes;  // (cluster, failed over now)
};

struct ShareEstimate {
    double share = 0;      // over the whole run
    double std_error = 0;  // batch means; NaN with fewer than two complete batches
    std::size_t batches = 0;
};

struct ApplianceShares {
    std::array<ShareEstimate, sizing::kResourceCount> resource;
    ShareEstimate either;
};

struct SimulationStats {
    double hours = 0;
    std::uint64_t transitions = 0;
    std::vector<ApplianceShares> appliances;
    ShareEstimate any_appliance;
    std::vector<ShareEstimate> cluster_failed;  // per cluster: share of time failed over
    std::vector<std::uint64_t> cluster_failovers;
};

class FleetSimulation {
public:
    // `batch_hours` > 0: the batch length of the standard errors.
    FleetSimulation(SimulationModel model, std::uint64_t seed, double batch_hours);

    const SimulationModel& model() const { return model_; }
    double now() const { return now_; }
    bool failedOver(std::size_t cluster) const { return failed_[cluster]; }
    // Demand of the model on an appliance now.
    const Amounts& demand(std::size_t appliance) const { return demand_[appliance]; }

    // Advances to the next instant at which some cluster's failover state changes, if it is
    // no later than `until`; otherwise advances to `until` and gives nothing.
    std::optional<Transition> next(double until);

    // The figures over [0, now()].
    SimulationStats stats() const;

private:
    struct Pending {
        double hours;
        std::size_t component;  // clusters first, then groups
        bool operator>(const Pending& other) const { return hours > other.hours; }
    };

    double draw(double mean);
    void accumulate(double until);
    bool overflowing(std::size_t appliance, std::size_t measure) const;

    SimulationModel model_;
    std::mt19937_64 random_;
    double batch_hours_;
    double now_ = 0;
    std::uint64_t transitions_ = 0;
    std::vector<bool> down_;  // per component
    std::vector<bool> failed_;
    std::vector<double> failed_since_;
    std::vector<double> failed_total_;
    std::vector<std::vector<double>> failed_batches_;
    std::vector<std::uint64_t> failovers_;
    std::vector<std::vector<std::size_t>> members_;  // per group
    std::vector<Amounts> demand_;
    std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending_;
    // Per measure (appliance × {memory, vcpus, either}, then "any appliance"): overflowing
    // time in total and per batch.
    std::vector<double> overflow_total_;
    std::vector<std::vector<double>> overflow_batches_;
};

// Batch means over complete batches of `batch_hours` within `hours`; the share over the whole
// run from `total`.
ShareEstimate estimateShare(double total, const std::vector<double>& batches, double hours,
                            double batch_hours);

}  // namespace understudy::simulate

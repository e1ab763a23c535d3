// P(memory or vCPUs overflow): exact by a two-dimensional convolution over the capacity box
// where that box is small enough, otherwise by importance-sampled Monte Carlo.
#pragma once

#include <array>
#include <cstdint>

#include "sizing/resource_analysis.h"

namespace understudy::sizing {

struct JointRiskOptions {
    // Exact when members × box cells stays within this much work.
    std::int64_t max_exact_work = 200'000'000;
    bool force_montecarlo = false;
    std::int64_t samples = 20'000;
    std::uint64_t seed = 1;
};

// Importance-sampled estimates for one set of clusters at given capacities, with 95% intervals.
struct MonteCarloEstimate {
    std::int64_t samples = 0;
    std::array<double, kResourceCount> risk{};
    std::array<double, kResourceCount> risk_half_width{};
    std::array<double, kResourceCount> shortfall{};
    double risk_any = 0;
    double risk_any_half_width = 0;
};

// Both models must describe the same clusters in the same order (one per resource).
MonteCarloEstimate estimateByMonteCarlo(
    const std::array<const ResourceModel*, kResourceCount>& models,
    const std::array<std::int64_t, kResourceCount>& capacities, std::int64_t samples,
    std::uint64_t seed);

// The per-resource overflow risks (lower and upper bounds; equal when exact) bound the joint
// risk from below (their maximum) and above (their sum, the union bound); a Monte Carlo
// interval is clipped to them.
// A Monte Carlo estimate made beforehand (for example while the per-resource analysis ran on
// another thread) is used instead of sampling again when given.
JointRisk jointOverflowRisk(const std::array<const ResourceModel*, kResourceCount>& models,
                            const std::array<std::int64_t, kResourceCount>& capacities,
                            const std::array<double, kResourceCount>& risk_lower,
                            const std::array<double, kResourceCount>& risk_upper,
                            const JointRiskOptions& options,
                            const MonteCarloEstimate* estimate = nullptr);

// Whether jointOverflowRisk will sample (the exact box is too large, or sampling is forced).
bool jointRiskNeedsSampling(const std::array<const ResourceModel*, kResourceCount>& models,
                            const std::array<std::int64_t, kResourceCount>& capacities,
                            const JointRiskOptions& options);

}  // namespace understudy::sizing

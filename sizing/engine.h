// The sizing engine: a fleet in, the answer of `understudy-size` out (docs/sizing-method.md).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sizing/fleet.h"
#include "sizing/sizing_result.h"

namespace understudy::sizing {

enum class Method { exact, montecarlo };

struct SizingOptions {
    Method method = Method::exact;
    std::int64_t samples =
        50'000;  // Monte Carlo samples, for the joint risk and --method montecarlo
    std::uint64_t seed = 1;
    // The reserve of the appliance the engine proposes when the fleet names none.
    std::int64_t proposed_reserve_vcpus = 0;
    std::int64_t proposed_reserve_memory_mib = 0;
    // Above this many resolved demand points per resource the engine quantizes and reports
    // bounds; below it every figure is exact.
    std::int64_t max_points = std::int64_t{1} << 17;
    // Progress for people (the CLI prints it on stderr); may be empty.
    std::function<void(const std::string&)> progress;
};

// Sizes a validated fleet. Deterministic: the same fleet and options give the same bits.
SizingResult size(const Fleet& fleet, const SizingOptions& options = {});

// Where the clusters go on several appliances: for each appliance, indices into
// fleet.clusters. Deterministic; respects capacity where it can and otherwise puts a cluster
// where the most standard deviations of headroom are left (the analysis then reports it
// unservable).
std::vector<std::vector<std::size_t>> proposePlacement(const Fleet& fleet);

// The N+1 plan for one appliance: where the clusters placed on appliance `down` go when it is
// lost, the others' clusters staying where `placement` has them. For each appliance, the
// indices into fleet.clusters it receives (none for `down`); a cluster that fits nowhere goes
// where the most standard deviations of headroom are left, as in proposePlacement. The pool
// analysis reports the risks of exactly this placement.
std::vector<std::vector<std::size_t>> placeAfterLoss(
    const Fleet& fleet, const std::vector<std::vector<std::size_t>>& placement, std::size_t down);

}  // namespace understudy::sizing

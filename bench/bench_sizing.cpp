// The sizing engine on the standard benchmark fleet (docs/benchmarks.md, its defaults:
// 10,000 clusters, 40 groups, a 4 TiB appliance): the full JSON answer for both resources,
// against a bare convolution loop of the same size (clusters × resolved points) in the same run.
//
//   bench/bench_sizing [--benchmark_repetitions=5]
// UNDERSTUDY_BENCH_FLEET=path overrides the fleet (default: make_fleet.py's defaults, written to
// a temporary file).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "bench/benchmark_fleet.h"
#include "sizing/engine.h"
#include "sizing/fleet_file.h"
#include "sizing/result_json.h"

using namespace understudy::sizing;

namespace {

using understudy::bench::benchmarkFleet;

void BM_FullJsonAnswer(benchmark::State& state) {
    const Fleet& fleet = benchmarkFleet();
    std::size_t bytes = 0;
    SizingResult result;
    for (auto _ : state) {
        result = size(fleet);
        bytes = resultToJsonText(result).size();
        benchmark::DoNotOptimize(bytes);
    }
    const auto& appliance = result.appliances[0];
    state.counters["memory_points"] =
        static_cast<double>(appliance.resources[0].distribution.probability.size());
    state.counters["vcpu_points"] =
        static_cast<double>(appliance.resources[1].distribution.probability.size());
    state.counters["memory_risk"] = appliance.resources[0].overflow_risk;
    state.counters["vcpu_risk"] = appliance.resources[1].overflow_risk;
    state.counters["joint_is_exact"] = appliance.overflow_risk_any.method == "exact" ? 1 : 0;
}
// Process CPU time counts both engine threads; wall time is what a user waits.
BENCHMARK(BM_FullJsonAnswer)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

// One pass of K ← K + d·Bernoulli(p) per cluster over as many points as the engine resolved:
// the floor any exact convolution engine pays for this fleet.
void BM_BareConvolutionOfTheSameSize(benchmark::State& state) {
    const Fleet& fleet = benchmarkFleet();
    const SizingResult reference = size(fleet);
    std::vector<std::vector<double>> buffers;
    std::vector<std::int64_t> unit;
    for (const Resource resource : kResources) {
        const auto& distribution = reference.appliances[0].figures(resource).distribution;
        buffers.emplace_back(distribution.probability.size(), 0.0);
        unit.push_back(distribution.unit);
    }
    for (auto _ : state) {
        for (std::size_t r = 0; r < buffers.size(); ++r) {
            auto& mass = buffers[r];
            std::fill(mass.begin(), mass.end(), 0.0);
            mass[0] = 1.0;
            const auto points = static_cast<std::int64_t>(mass.size());
            for (const auto& cluster : fleet.clusters) {
                const Resource resource = kResources[r];
                const std::int64_t d =
                    (cluster.active.of(resource) - cluster.effectiveStandby().of(resource)) /
                    unit[r];
                const double p = stationaryProbability(cluster.mtbf_hours, cluster.mttr_hours);
                for (std::int64_t k = points - 1; k >= d && d > 0; --k) {
                    mass[static_cast<std::size_t>(k)] =
                        (1 - p) * mass[static_cast<std::size_t>(k)] +
                        p * mass[static_cast<std::size_t>(k - d)];
                }
            }
            benchmark::DoNotOptimize(mass.data());
        }
    }
}
BENCHMARK(BM_BareConvolutionOfTheSameSize)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

// Placeholder-free start of the benchmark family: the cost of the per-cluster probability
// model that every sizing pass evaluates once per cluster.
#include <benchmark/benchmark.h>

#include "sizing/fleet.h"

static void BM_StationaryProbability(benchmark::State& state) {
    double mtbf = 4000;
    for (auto _ : state) {
        benchmark::DoNotOptimize(understudy::sizing::stationaryProbability(mtbf, 24));
        mtbf += 1;
    }
}
BENCHMARK(BM_StationaryProbability);

BENCHMARK_MAIN();

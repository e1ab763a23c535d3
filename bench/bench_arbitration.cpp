// The appliance's decisions on the standard benchmark fleet (docs/benchmarks.md,
// its defaults: 10,000 clusters, 40 groups, a 4 TiB appliance), all on one appliance: headroom,
// a takeover that fits, a contended takeover that preempts, a what-if of 100 failovers, and
// admission of one more cluster (two exact analyses of both resources).
//
//   bench/bench_arbitration [--benchmark_repetitions=5]
// UNDERSTUDY_BENCH_FLEET=path overrides the fleet (default: make_fleet.py's defaults, written to
// a temporary file).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "appliance/policy/arbitration.h"
#include "bench/benchmark_fleet.h"
#include "sizing/fleet_file.h"

using namespace understudy;
using namespace understudy::policy;

namespace {

using understudy::bench::benchmarkFleet;

// Every cluster of the fleet as a standby node on its first appliance.
ApplianceView standardAppliance() {
    const sizing::Fleet& fleet = benchmarkFleet();
    ApplianceView appliance;
    const sizing::ApplianceSpec& spec = fleet.appliances.front();
    appliance.name = spec.name;
    appliance.cpu_overcommit = fleet.cpu_overcommit;
    appliance.usable = {
        sizing::usableCapacity(spec, fleet.cpu_overcommit, sizing::Resource::vcpus),
        sizing::usableCapacity(spec, fleet.cpu_overcommit, sizing::Resource::memory_mib)};
    appliance.groups = fleet.groups;
    appliance.nodes.reserve(fleet.clusters.size());
    for (const sizing::ClusterSpec& cluster : fleet.clusters) {
        NodeView node;
        node.name = cluster.name + "-passive";
        node.cluster = cluster.name;
        node.priority = cluster.priority;
        node.spec = cluster;
        appliance.nodes.push_back(std::move(node));
    }
    return appliance;
}

// The highest-priority node, after the free headroom was used up by foreign load so that its
// takeover must preempt.
std::string highestPriority(const ApplianceView& appliance) {
    return std::max_element(
               appliance.nodes.begin(), appliance.nodes.end(),
               [](const NodeView& a, const NodeView& b) { return a.priority < b.priority; })
        ->name;
}

void BM_Headroom(benchmark::State& state) {
    const ApplianceView appliance = standardAppliance();
    for (auto _ : state) {
        const Headroom headroom = computeHeadroom(appliance);
        benchmark::DoNotOptimize(headroom);
    }
    state.counters["nodes"] = static_cast<double>(appliance.nodes.size());
}
BENCHMARK(BM_Headroom)->Unit(benchmark::kMicrosecond);

void BM_TakeoverWithinHeadroom(benchmark::State& state) {
    const ApplianceView appliance = standardAppliance();
    const std::string node = highestPriority(appliance);
    for (auto _ : state) {
        const TakeoverDecision decision = decideTakeover(appliance, node, ArbitrationPolicy{});
        benchmark::DoNotOptimize(decision);
    }
    state.counters["granted"] = decideTakeover(appliance, node, ArbitrationPolicy{}).granted;
    const Headroom headroom = computeHeadroom(appliance);
    state.counters["free_vcpus"] = static_cast<double>(headroom.free.vcpus);
    state.counters["free_memory_mib"] = static_cast<double>(headroom.free.memory_mib);
}
BENCHMARK(BM_TakeoverWithinHeadroom)->Unit(benchmark::kMicrosecond);

void BM_TakeoverThatPreempts(benchmark::State& state) {
    ApplianceView appliance = standardAppliance();
    const std::string node = highestPriority(appliance);
    // Foreign load leaves no free memory: every takeover must reclaim standby capacity.
    const Headroom headroom = computeHeadroom(appliance);
    appliance.foreign.memory_mib = headroom.free.memory_mib;
    for (auto _ : state) {
        const TakeoverDecision decision = decideTakeover(appliance, node, ArbitrationPolicy{});
        benchmark::DoNotOptimize(decision);
    }
    const TakeoverDecision decision = decideTakeover(appliance, node, ArbitrationPolicy{});
    state.counters["granted"] = decision.granted;
    state.counters["preempted"] = static_cast<double>(decision.preempt.size());
}
BENCHMARK(BM_TakeoverThatPreempts)->Unit(benchmark::kMicrosecond);

void BM_WhatIfHundredFailovers(benchmark::State& state) {
    const ApplianceView appliance = standardAppliance();
    std::vector<std::string> failing;
    for (std::size_t i = 0; i < appliance.nodes.size() && failing.size() < 100; i += 97) {
        failing.push_back(appliance.nodes[i].name);
    }
    for (auto _ : state) {
        const auto outcomes = simulateTakeovers(appliance, failing, ArbitrationPolicy{});
        benchmark::DoNotOptimize(outcomes);
    }
    const auto outcomes = simulateTakeovers(appliance, failing, ArbitrationPolicy{});
    state.counters["denied"] = static_cast<double>(
        std::count_if(outcomes.begin(), outcomes.end(),
                      [](const WhatIfTakeover& t) { return t.outcome == "denied"; }));
}
BENCHMARK(BM_WhatIfHundredFailovers)->Unit(benchmark::kMillisecond);

void BM_AdmissionOfOneMoreCluster(benchmark::State& state) {
    const ApplianceView after = standardAppliance();
    ApplianceView before = after;
    before.nodes.pop_back();
    const double target = benchmarkFleet().target_risk;
    AdmissionDecision decision;
    for (auto _ : state) {
        decision = decideAdmission(before, after, target, AdmissionMode::enforce);
        benchmark::DoNotOptimize(decision);
    }
    state.counters["accepted"] = decision.accepted;
    state.counters["memory_risk"] = decision.overflow_risk[0];
    state.counters["vcpu_risk"] = decision.overflow_risk[1];
}
BENCHMARK(BM_AdmissionOfOneMoreCluster)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

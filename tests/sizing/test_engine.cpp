// The exact engine against brute-force enumeration of every failover state, closed forms and
// edge cases; Monte Carlo against exact.
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "sizing/engine.h"
#include "sizing/joint_risk.h"
#include "sizing/resource_analysis.h"

using namespace understudy::sizing;

namespace {

// Every state of the fleet: each group on or off, each cluster's own failure on or off.
struct BruteForce {
    struct State {
        double probability;
        std::array<std::int64_t, 2> demand;
        std::vector<bool> failed_over;
    };
    std::vector<State> states;

    explicit BruteForce(const Fleet& fleet) {
        const std::size_t n = fleet.clusters.size();
        const std::size_t g = fleet.groups.size();
        for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << (n + g)); ++mask) {
            State state{1.0, {0, 0}, std::vector<bool>(n)};
            for (std::size_t k = 0; k < g; ++k) {
                const double p =
                    stationaryProbability(fleet.groups[k].mtbf_hours, fleet.groups[k].mttr_hours);
                state.probability *= (mask >> (n + k)) & 1 ? p : 1 - p;
            }
            for (std::size_t i = 0; i < n; ++i) {
                const auto& c = fleet.clusters[i];
                const double p = stationaryProbability(c.mtbf_hours, c.mttr_hours);
                const bool own = (mask >> i) & 1;
                state.probability *= own ? p : 1 - p;
                bool on = own;
                for (std::size_t k = 0; k < g; ++k) {
                    if (fleet.groups[k].name == c.group && ((mask >> (n + k)) & 1)) {
                        on = true;
                    }
                }
                state.failed_over[i] = on;
                for (const Resource r : kResources) {
                    const auto ri = static_cast<std::size_t>(r);
                    state.demand[ri] += on ? c.active.of(r) : c.effectiveStandby().of(r);
                }
            }
            if (state.probability > 0) {
                states.push_back(std::move(state));
            }
        }
    }

    double risk(std::size_t r, std::int64_t capacity, int given = -1) const {
        double over = 0;
        double condition = 0;
        for (const auto& s : states) {
            if (given >= 0 && !s.failed_over[static_cast<std::size_t>(given)]) {
                continue;
            }
            condition += s.probability;
            if (s.demand[r] > capacity) {
                over += s.probability;
            }
        }
        return given >= 0 ? over / condition : over;
    }
    double anyRisk(const std::array<std::int64_t, 2>& capacity) const {
        double over = 0;
        for (const auto& s : states) {
            if (s.demand[0] > capacity[0] || s.demand[1] > capacity[1]) {
                over += s.probability;
            }
        }
        return over;
    }
    double shortfall(std::size_t r, std::int64_t capacity) const {
        double total = 0;
        for (const auto& s : states) {
            total += s.probability *
                     static_cast<double>(std::max<std::int64_t>(0, s.demand[r] - capacity));
        }
        return total;
    }
    // P(D > C) only changes at demand values, so the smallest C meeting ε is one of them.
    std::int64_t required(std::size_t r, double epsilon, int given = -1) const {
        std::map<std::int64_t, double> mass;
        double condition = 0;
        for (const auto& s : states) {
            if (given >= 0 && !s.failed_over[static_cast<std::size_t>(given)]) {
                continue;
            }
            mass[s.demand[r]] += s.probability;
            condition += s.probability;
        }
        double above = 0;
        std::int64_t answer = mass.empty() ? 0 : mass.rbegin()->first;
        for (auto it = mass.rbegin(); it != mass.rend(); ++it) {
            if (above / condition > epsilon) {
                break;
            }
            answer = it->first;
            above += it->second;
        }
        return answer;
    }
};

Fleet randomFleet(std::uint64_t seed, int clusters, int groups) {
    std::mt19937_64 rng(seed);
    auto uniform = [&](std::int64_t lo, std::int64_t hi) {
        return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
    };
    Fleet fleet;
    fleet.target_risk = 1e-3;
    fleet.cpu_overcommit = 2.0;
    for (int g = 0; g < groups; ++g) {
        fleet.groups.push_back({"g" + std::to_string(g), static_cast<double>(uniform(200, 2000)),
                                static_cast<double>(uniform(1, 40))});
    }
    for (int i = 0; i < clusters; ++i) {
        ClusterSpec c;
        c.name = "c" + std::to_string(i);
        c.priority = static_cast<int>(uniform(0, 1000));
        c.mtbf_hours = static_cast<double>(uniform(100, 3000));
        c.mttr_hours = static_cast<double>(uniform(1, 200));
        if (groups > 0 && uniform(0, 2) == 0) {
            c.group = "g" + std::to_string(uniform(0, groups - 1));
        }
        c.standby = {uniform(1, 2), uniform(1, 4) * 256};
        c.active = {c.standby.vcpus + uniform(0, 6),
                    c.standby.memory_mib + uniform(0, 40) * 256 + uniform(0, 1) * 100};
        if (uniform(0, 5) == 0) {
            c.memory_mode = MemoryMode::reserved;
        }
        fleet.clusters.push_back(c);
    }
    return fleet;
}

bool close(double actual, double expected) {
    return std::abs(actual - expected) <= 1e-12 + 1e-9 * std::abs(expected);
}

}  // namespace

class TestEngine : public QObject {
    Q_OBJECT
private slots:
    void matchesBruteForceEnumeration_data();
    void matchesBruteForceEnumeration();
    void identicalClustersFollowTheBinomial();
    void zeroClustersNeedNothing();
    void clusterWithZeroMttrNeverFailsOver();
    void standbyAboveCapacityOverflowsSurely();
    void oneHugeClusterIsUnservable();
    void targetZeroNeedsEveryPossibleFailover();
    void targetOneNeedsOnlyTheStandbyFootprints();
    void proposedApplianceMeetsTheTarget();
    void baselinesReserveActiveAndTheKLargestDeltas();
    void quantizedBoundsBracketTheExactRisk();
    void tinyRisksKeepTheirPrecision();
    void monteCarloAgreesWithExactWithinItsInterval_data();
    void monteCarloAgreesWithExactWithinItsInterval();
    void placementKeepsEveryClusterAndIsDeterministic();
    void placementSpreadsAnOverloadedFleetEvenly();
    void resultsAreReproducibleBitForBit();
};

void TestEngine::matchesBruteForceEnumeration_data() {
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<int>("clusters");
    QTest::addColumn<int>("groups");
    for (quint64 seed = 1; seed <= 24; ++seed) {
        const int clusters = 4 + static_cast<int>(seed % 13);  // up to 16
        const int groups = static_cast<int>(seed % 4);
        QTest::addRow("seed %llu, %d clusters, %d groups", seed, clusters, groups)
            << seed << clusters << groups;
    }
}

void TestEngine::matchesBruteForceEnumeration() {
    QFETCH(quint64, seed);
    QFETCH(int, clusters);
    QFETCH(int, groups);
    Fleet fleet = randomFleet(seed, clusters, std::min(groups, 20 - clusters));
    const BruteForce truth(fleet);
    // An appliance near the median demand, so risks are neither 0 nor 1.
    std::array<std::int64_t, 2> standby{};
    std::array<std::int64_t, 2> active{};
    for (const auto& c : fleet.clusters) {
        for (const Resource r : kResources) {
            standby[static_cast<std::size_t>(r)] += c.effectiveStandby().of(r);
            active[static_cast<std::size_t>(r)] += c.active.of(r);
        }
    }
    const std::int64_t memory = (standby[0] + active[0]) / 2 + 77;
    const std::int64_t vcpus = (standby[1] + active[1]) / 4 + 1;
    fleet.appliances.push_back({"pna-1", vcpus + 1, memory + 512, 1, 512});
    const SizingResult result = size(fleet);
    QVERIFY(result.exact);
    QCOMPARE(result.appliances.size(), std::size_t(1));
    const ApplianceResult& appliance = result.appliances[0];
    for (const Resource resource : kResources) {
        const auto r = static_cast<std::size_t>(resource);
        const ResourceFigures& figures = appliance.resources[r];
        const std::int64_t capacity = figures.capacity;
        QVERIFY2(close(figures.overflow_risk, truth.risk(r, capacity)),
                 qPrintable(QString("%1: overflow %2 vs %3")
                                .arg(resourceName(resource))
                                .arg(figures.overflow_risk, 0, 'g', 17)
                                .arg(truth.risk(r, capacity), 0, 'g', 17)));
        QVERIFY(close(figures.expected_shortfall, truth.shortfall(r, capacity)));
        QCOMPARE(figures.required_capacity, truth.required(r, fleet.target_risk));
        std::int64_t per_cluster = truth.required(r, fleet.target_risk);
        for (std::size_t i = 0; i < fleet.clusters.size(); ++i) {
            const double expected = truth.risk(r, capacity, static_cast<int>(i));
            QVERIFY2(close(appliance.clusters[i].risk_when_active[r], expected),
                     qPrintable(QString("%1 risk when active of %2: %3 vs %4")
                                    .arg(resourceName(resource))
                                    .arg(i)
                                    .arg(appliance.clusters[i].risk_when_active[r], 0, 'g', 17)
                                    .arg(expected, 0, 'g', 17)));
            per_cluster =
                std::max(per_cluster, truth.required(r, fleet.target_risk, static_cast<int>(i)));
        }
        QCOMPARE(figures.required_capacity_per_cluster, per_cluster);
        // The distribution sums to one and its tail at the capacity is the overflow risk.
        double total = figures.distribution.beyond_mass;
        for (const double p : figures.distribution.probability) {
            total += p;
        }
        QVERIFY(std::abs(total - 1.0) < 1e-12);
    }
    QCOMPARE(appliance.overflow_risk_any.method, std::string("exact"));
    const std::array<std::int64_t, 2> capacities{appliance.resources[0].capacity,
                                                 appliance.resources[1].capacity};
    QVERIFY(close(appliance.overflow_risk_any.value, truth.anyRisk(capacities)));
    for (std::size_t i = 0; i < fleet.clusters.size(); ++i) {
        double p = 0;
        for (const auto& s : truth.states) {
            p += s.failed_over[i] ? s.probability : 0;
        }
        QVERIFY(close(appliance.clusters[i].failover_probability, p));
    }
}

void TestEngine::identicalClustersFollowTheBinomial() {
    Fleet fleet;
    fleet.target_risk = 1e-6;
    const int n = 40;
    for (int i = 0; i < n; ++i) {
        fleet.clusters.push_back(
            {"c" + std::to_string(i), 500, 990, 10, "", {1, 1024}, {4, 9216}, MemoryMode::balloon});
    }
    const double p = 0.01;
    // Capacity for 3 simultaneous failovers: risk = P(Binomial(40, 0.01) > 3).
    const std::int64_t capacity = n * 1024 + 3 * 8192;
    fleet.appliances.push_back({"pna-1", 1000, capacity, 0, 0});
    const SizingResult result = size(fleet);
    double tail = 0;
    for (int k = 4; k <= n; ++k) {
        tail += std::exp(std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1) +
                         k * std::log(p) + (n - k) * std::log1p(-p));
    }
    QVERIFY(close(result.appliances[0].resources[0].overflow_risk, tail));
    // The smallest number of failovers k with P(Binomial > k) ≤ 1e-6 sets the requirement.
    int k = 0;
    double above = 1;
    while (true) {
        above = 0;
        for (int j = k + 1; j <= n; ++j) {
            above += std::exp(std::lgamma(n + 1) - std::lgamma(j + 1) - std::lgamma(n - j + 1) +
                              j * std::log(p) + (n - j) * std::log1p(-p));
        }
        if (above <= 1e-6) {
            break;
        }
        ++k;
    }
    QCOMPARE(result.appliances[0].resources[0].required_capacity,
             std::int64_t(n * 1024 + k * 8192));
}

void TestEngine::zeroClustersNeedNothing() {
    Fleet fleet;
    fleet.appliances.push_back({"pna-1", 8, 8192, 0, 0});
    const SizingResult result = size(fleet);
    const auto& figures = result.appliances[0].resources[0];
    QCOMPARE(figures.overflow_risk, 0.0);
    QCOMPARE(figures.required_capacity, std::int64_t(0));
    QCOMPARE(figures.required_capacity_per_cluster, std::int64_t(0));
    QVERIFY(result.appliances[0].unservable.empty());
    QVERIFY(result.allMeetTarget());
    fleet.appliances.clear();
    const SizingResult proposed = size(fleet);
    QCOMPARE(proposed.appliances[0].spec.name, std::string("proposed"));
    QVERIFY(proposed.allMeetTarget());
}

void TestEngine::clusterWithZeroMttrNeverFailsOver() {
    Fleet fleet;
    fleet.clusters.push_back(
        {"steady", 500, 1000, 0, "", {1, 1024}, {8, 65536}, MemoryMode::balloon});
    fleet.appliances.push_back({"pna-1", 4, 2048, 0, 0});
    const SizingResult result = size(fleet);
    const auto& appliance = result.appliances[0];
    QCOMPARE(appliance.clusters[0].failover_probability, 0.0);
    QCOMPARE(appliance.resources[0].overflow_risk, 0.0);
    QCOMPARE(appliance.resources[0].required_capacity, std::int64_t(1024));
    // Were it ever to fail over, it could not be served: that is reported regardless.
    QCOMPARE(appliance.clusters[0].risk_when_active[0], 1.0);
    QCOMPARE(appliance.resources[0].required_capacity_per_cluster, std::int64_t(65536));
    QVERIFY(!appliance.unservable.empty());
    QVERIFY(!result.allMeetTarget());
}

void TestEngine::standbyAboveCapacityOverflowsSurely() {
    Fleet fleet;
    for (int i = 0; i < 3; ++i) {
        fleet.clusters.push_back({"c" + std::to_string(i),
                                  500,
                                  1000,
                                  10,
                                  "",
                                  {1, 4096},
                                  {2, 8192},
                                  MemoryMode::balloon});
    }
    fleet.appliances.push_back({"pna-1", 16, 8192, 0, 0});
    const SizingResult result = size(fleet);
    const auto& memory = result.appliances[0].resources[0];
    QCOMPARE(memory.overflow_risk, 1.0);
    QVERIFY(!memory.meets_target);
    // E[D] − C = 3·4096 + 3·(10/1010)·4096 − 8192.
    const double expected = 3 * 4096.0 + 3 * (10.0 / 1010.0) * 4096.0 - 8192.0;
    QVERIFY(std::abs(memory.expected_shortfall - expected) < 1e-6);
    QCOMPARE(result.appliances[0].overflow_risk_any.value, 1.0);
    QCOMPARE(result.appliances[0].unservable.size(), std::size_t(3));
}

void TestEngine::oneHugeClusterIsUnservable() {
    Fleet fleet;
    fleet.clusters.push_back(
        {"small", 500, 8760, 24, "", {1, 1024}, {2, 4096}, MemoryMode::balloon});
    fleet.clusters.push_back(
        {"huge", 900, 8760, 24, "", {1, 1024}, {64, 1048576}, MemoryMode::balloon});
    fleet.appliances.push_back({"pna-1", 128, 262144, 0, 0});
    const SizingResult result = size(fleet);
    const auto& unservable = result.appliances[0].unservable;
    QCOMPARE(unservable.size(), std::size_t(1));
    QCOMPARE(unservable[0].cluster, std::string("huge"));
    QVERIFY(unservable[0].resource == Resource::memory_mib);
    QCOMPARE(unservable[0].needed, std::int64_t(1048576));
    QCOMPARE(unservable[0].available, std::int64_t(262144 - 1024));
    // The aggregate risk is small (2.7e-3 < 1 yet above the default target), and the
    // unservable entry stands whatever it is.
    QVERIFY(!result.allMeetTarget());
    QCOMPARE(result.appliances[0].clusters[1].risk_when_active[0], 1.0);
}

void TestEngine::targetZeroNeedsEveryPossibleFailover() {
    Fleet fleet = randomFleet(7, 8, 1);
    fleet.target_risk = 0;
    const SizingResult result = size(fleet);
    for (const Resource resource : kResources) {
        const auto r = static_cast<std::size_t>(resource);
        QCOMPARE(result.appliances[0].resources[r].required_capacity,
                 result.baselines.no_overbooking[r]);
    }
    QVERIFY(result.allMeetTarget());
}

void TestEngine::targetOneNeedsOnlyTheStandbyFootprints() {
    Fleet fleet = randomFleet(8, 8, 1);
    fleet.target_risk = 1;
    const SizingResult result = size(fleet);
    const auto& memory = result.appliances[0].resources[0];
    QCOMPARE(memory.required_capacity, memory.standby_total);
}

void TestEngine::proposedApplianceMeetsTheTarget() {
    Fleet fleet = randomFleet(11, 12, 2);
    fleet.target_risk = 1e-4;
    SizingOptions options;
    options.proposed_reserve_memory_mib = 4096;
    options.proposed_reserve_vcpus = 2;
    const SizingResult result = size(fleet, options);
    const ApplianceResult& proposed = result.appliances[0];
    QVERIFY(proposed.proposed);
    QCOMPARE(proposed.spec.reserve_memory_mib, std::int64_t(4096));
    const auto& memory = proposed.resources[0];
    QCOMPARE(proposed.spec.memory_mib, 4096 + memory.required_capacity_per_cluster);
    QVERIFY(proposed.meetsTarget());
    for (const auto& cluster : proposed.clusters) {
        QVERIFY(cluster.risk_when_active[0] <= fleet.target_risk);
        QVERIFY(cluster.risk_when_active[1] <= fleet.target_risk);
    }
    // One MiB less would break the target for some cluster (the requirement is the smallest).
    Fleet smaller = fleet;
    smaller.appliances.push_back(proposed.spec);
    smaller.appliances[0].memory_mib -= 1;
    const SizingResult below = size(smaller);
    bool some_cluster_over = below.appliances[0].resources[0].overflow_risk > fleet.target_risk;
    for (const auto& cluster : below.appliances[0].clusters) {
        some_cluster_over = some_cluster_over || cluster.risk_when_active[0] > fleet.target_risk;
    }
    QVERIFY(some_cluster_over);
}

void TestEngine::baselinesReserveActiveAndTheKLargestDeltas() {
    Fleet fleet;
    fleet.tolerate_k = 2;
    fleet.clusters.push_back({"a", 1, 100, 1, "", {1, 1000}, {5, 9000}, MemoryMode::balloon});
    fleet.clusters.push_back({"b", 1, 100, 1, "", {1, 1000}, {3, 3000}, MemoryMode::reserved});
    fleet.clusters.push_back({"c", 1, 100, 1, "", {2, 2000}, {4, 7000}, MemoryMode::balloon});
    const SizingResult result = size(fleet);
    QCOMPARE(result.baselines.no_overbooking[0], std::int64_t(19000));
    QCOMPARE(result.baselines.no_overbooking[1], std::int64_t(12));
    // Standby 1000 + 3000 (reserved) + 2000; deltas 8000, 0, 5000.
    QCOMPARE(result.baselines.tolerate_k_capacity[0], std::int64_t(6000 + 8000 + 5000));
    // vCPU standby 4, deltas 4, 2, 2.
    QCOMPARE(result.baselines.tolerate_k_capacity[1], std::int64_t(4 + 4 + 2));
}

void TestEngine::quantizedBoundsBracketTheExactRisk() {
    Fleet fleet = randomFleet(21, 14, 2);
    for (auto& c : fleet.clusters) {
        c.active.memory_mib += 37;  // a delta gcd of 1 MiB: many points
    }
    fleet.appliances.push_back({"pna-1", 64, 60000, 0, 0});
    const SizingResult exact = size(fleet);
    QVERIFY(exact.exact);
    SizingOptions coarse;
    coarse.max_points = 100;
    const SizingResult quantized = size(fleet, coarse);
    QVERIFY(!quantized.exact);
    const auto& figures = quantized.appliances[0].resources[0];
    QVERIFY(figures.overflow_risk_lower.has_value());
    QVERIFY(*figures.overflow_risk_lower <= exact.appliances[0].resources[0].overflow_risk + 1e-15);
    QVERIFY(*figures.overflow_risk_upper >= exact.appliances[0].resources[0].overflow_risk - 1e-15);
    QCOMPARE(figures.overflow_risk, *figures.overflow_risk_upper);
    QVERIFY(figures.required_capacity >= exact.appliances[0].resources[0].required_capacity);
    QVERIFY(!quantized.warnings.empty());
}

void TestEngine::tinyRisksKeepTheirPrecision() {
    // 12 clusters with p = 1e-3: P(all 12 fail over) = 1e-36, far below what 1 − CDF keeps.
    Fleet fleet;
    for (int i = 0; i < 12; ++i) {
        fleet.clusters.push_back(
            {"c" + std::to_string(i), 500, 999, 1, "", {1, 1024}, {2, 2048}, MemoryMode::balloon});
    }
    fleet.appliances.push_back({"pna-1", 100, 12 * 1024 + 11 * 1024, 0, 0});
    const SizingResult result = size(fleet);
    const double expected = std::pow(1e-3, 12);
    QVERIFY(std::abs(result.appliances[0].resources[0].overflow_risk - expected) <=
            1e-9 * expected);
    // Given one cluster active, all the others must be too: (1e-3)^11.
    QVERIFY(std::abs(result.appliances[0].clusters[0].risk_when_active[0] - std::pow(1e-3, 11)) <=
            1e-9 * std::pow(1e-3, 11));
}

void TestEngine::monteCarloAgreesWithExactWithinItsInterval_data() {
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<int>("clusters");
    QTest::addColumn<int>("groups");
    QTest::addColumn<double>("capacityShare");
    QTest::newRow("moderate risk") << quint64(31) << 30 << 3 << 0.35;
    QTest::newRow("rare risk") << quint64(32) << 40 << 4 << 0.6;
    QTest::newRow("no groups") << quint64(33) << 25 << 0 << 0.4;
}

void TestEngine::monteCarloAgreesWithExactWithinItsInterval() {
    QFETCH(quint64, seed);
    QFETCH(int, clusters);
    QFETCH(int, groups);
    QFETCH(double, capacityShare);
    Fleet fleet = randomFleet(seed, clusters, groups);
    std::array<std::int64_t, 2> standby{};
    std::array<std::int64_t, 2> active{};
    for (const auto& c : fleet.clusters) {
        for (const Resource r : kResources) {
            standby[static_cast<std::size_t>(r)] += c.effectiveStandby().of(r);
            active[static_cast<std::size_t>(r)] += c.active.of(r);
        }
    }
    const auto between = [&](std::size_t r) {
        return standby[r] + static_cast<std::int64_t>(capacityShare *
                                                      static_cast<double>(active[r] - standby[r]));
    };
    fleet.appliances.push_back({"pna-1", between(1), between(0), 0, 0});
    fleet.cpu_overcommit = 1.0;
    const SizingResult exact = size(fleet);
    SizingOptions options;
    options.method = Method::montecarlo;
    options.samples = 200'000;
    options.seed = seed;
    const SizingResult estimated = size(fleet, options);
    QCOMPARE(estimated.method, std::string("montecarlo"));
    QVERIFY(!estimated.exact);
    // A 95% interval misses one time in twenty by design; with nine comparisons the test asks
    // for agreement within twice the half-width (about four standard errors).
    auto agrees = [](double truth, double estimate, double lower, double upper) {
        return std::abs(estimate - truth) <= 2 * std::max(upper - estimate, estimate - lower);
    };
    for (std::size_t r = 0; r < 2; ++r) {
        const double truth = exact.appliances[0].resources[r].overflow_risk;
        const auto& figures = estimated.appliances[0].resources[r];
        QVERIFY2(agrees(truth, figures.overflow_risk, *figures.overflow_risk_lower,
                        *figures.overflow_risk_upper),
                 qPrintable(QString("resource %1: exact %2, estimate %3 in [%4, %5]")
                                .arg(r)
                                .arg(truth)
                                .arg(figures.overflow_risk)
                                .arg(*figures.overflow_risk_lower)
                                .arg(*figures.overflow_risk_upper)));
        QVERIFY(truth > 0);
        QVERIFY(*figures.overflow_risk_upper > *figures.overflow_risk_lower);
    }
    // The joint risk: exact (small box) against the importance sampler's interval.
    const double joint = exact.appliances[0].overflow_risk_any.value;
    const JointRisk& sampled = estimated.appliances[0].overflow_risk_any;
    QCOMPARE(sampled.method, std::string("montecarlo"));
    QVERIFY2(agrees(joint, sampled.value, sampled.lower, sampled.upper),
             qPrintable(QString("joint exact %1, estimate %2 in [%3, %4]")
                            .arg(joint)
                            .arg(sampled.value)
                            .arg(sampled.lower)
                            .arg(sampled.upper)));
}

void TestEngine::placementKeepsEveryClusterAndIsDeterministic() {
    Fleet fleet = randomFleet(41, 30, 3);
    fleet.appliances.push_back({"pna-1", 40, 40000, 0, 0});
    fleet.appliances.push_back({"pna-2", 40, 40000, 0, 0});
    fleet.appliances.push_back({"pna-3", 20, 20000, 0, 0});
    const SizingResult first = size(fleet);
    const SizingResult second = size(fleet);
    std::size_t placed = 0;
    for (std::size_t a = 0; a < 3; ++a) {
        placed += first.appliances[a].clusters.size();
        QCOMPARE(first.appliances[a].clusters.size(), second.appliances[a].clusters.size());
        for (std::size_t i = 0; i < first.appliances[a].clusters.size(); ++i) {
            QCOMPARE(first.appliances[a].clusters[i].name, second.appliances[a].clusters[i].name);
        }
    }
    QCOMPARE(placed, fleet.clusters.size());
    QVERIFY(first.pool.has_value());
    QCOMPARE(first.pool->n_plus_one.size(), std::size_t(3));
    // Each appliance is taken down once; its clusters land on the others, which then carry
    // more than before: with the small pna-3 down, the big ones still cope better than with a
    // big one down.
    QCOMPARE(first.pool->n_plus_one[0].down, std::string("pna-1"));
    QCOMPARE(first.pool->n_plus_one[2].down, std::string("pna-3"));
    QVERIFY(first.pool->n_plus_one[2].overflow_risk[0] <=
            first.pool->n_plus_one[0].overflow_risk[0]);
    for (std::size_t a = 0; a < 3; ++a) {
        const double before = first.appliances[a == 0 ? 1 : 0].resources[0].overflow_risk;
        QVERIFY(first.pool->n_plus_one[a].overflow_risk[0] >= before);
    }
}

void TestEngine::placementSpreadsAnOverloadedFleetEvenly() {
    // 30 identical clusters on 3 identical appliances that cannot even hold all standby
    // footprints: no appliance may be left light while another overflows.
    Fleet fleet;
    for (int i = 0; i < 30; ++i) {
        fleet.clusters.push_back({"c" + std::to_string(i),
                                  500,
                                  1000,
                                  10,
                                  "",
                                  {1, 1024},
                                  {4, 8192},
                                  MemoryMode::balloon});
    }
    for (int a = 1; a <= 3; ++a) {
        fleet.appliances.push_back({"pna-" + std::to_string(a), 8, 8192, 0, 0});
    }
    const SizingResult result = size(fleet);
    for (const auto& appliance : result.appliances) {
        QCOMPARE(appliance.clusters.size(), std::size_t(10));
    }
}

void TestEngine::resultsAreReproducibleBitForBit() {
    Fleet fleet = randomFleet(51, 16, 3);
    fleet.appliances.push_back({"pna-1", 30, 30000, 0, 0});
    SizingOptions options;
    options.method = Method::montecarlo;
    options.samples = 10'000;
    const SizingResult a = size(fleet, options);
    const SizingResult b = size(fleet, options);
    QCOMPARE(a.appliances[0].resources[0].overflow_risk,
             b.appliances[0].resources[0].overflow_risk);
    QCOMPARE(a.appliances[0].overflow_risk_any.value, b.appliances[0].overflow_risk_any.value);
    QCOMPARE(a.appliances[0].clusters[3].risk_when_active[1],
             b.appliances[0].clusters[3].risk_when_active[1]);
}

QTEST_GUILESS_MAIN(TestEngine)
#include "test_engine.moc"

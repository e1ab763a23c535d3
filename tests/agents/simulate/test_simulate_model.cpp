// The fleet simulator's core against the sizing engine: over a long virtual run, the share of
// time the model's demand exceeds capacity must agree with the engine's exact overflow risk
// within statistical error, and each cluster's share of time failed over with its stationary
// probability. Rows where the simulation is deliberately wrong show the check can fail.
#include <QTest>
#include <cmath>

#include "agents/simulate/fleet_simulation.h"
#include "sizing/engine.h"
#include "sizing/fleet_file.h"

using namespace understudy;
using understudy::simulate::FleetSimulation;
using understudy::simulate::ShareEstimate;
using understudy::simulate::SimAppliance;
using understudy::simulate::SimulationModel;
using understudy::simulate::SimulationStats;

Q_DECLARE_METATYPE(understudy::sizing::Fleet)

namespace {

constexpr double kHours = 4e6;
constexpr double kBatches = 50;
// Room for the rounding of sums over millions of intervals; far below any σ̂ here.
constexpr double kTolerance = 1e-6;
constexpr std::uint64_t kSeed = 20261126;

sizing::ClusterSpec cluster(const std::string& name, double mtbf, double mttr,
                            sizing::Footprint standby, sizing::Footprint active,
                            const std::string& group = {}) {
    sizing::ClusterSpec spec;
    spec.name = name;
    spec.mtbf_hours = mtbf;
    spec.mttr_hours = mttr;
    spec.group = group;
    spec.standby = standby;
    spec.active = active;
    return spec;
}

// Eight clusters failing over 8–20% of the time, on one appliance as large as all of them.
sizing::Fleet baseFleet() {
    sizing::Fleet fleet;
    fleet.cpu_overcommit = 1.0;
    fleet.clusters = {
        cluster("erp", 200, 30, {2, 4096}, {16, 65536}),
        cluster("crm", 300, 40, {1, 2048}, {8, 32768}),
        cluster("billing", 150, 20, {2, 4096}, {12, 49152}),
        cluster("mail", 250, 25, {1, 2048}, {4, 16384}),
        cluster("web", 120, 24, {1, 2048}, {8, 24576}),
        cluster("dwh", 400, 60, {2, 8192}, {16, 98304}),
        cluster("ldap", 180, 18, {1, 1024}, {2, 4096}),
        cluster("files", 220, 44, {1, 2048}, {4, 16384}),
    };
    sizing::ApplianceSpec appliance{"pna-1", 0, 0, 0, 0};
    for (const auto& c : fleet.clusters) {
        appliance.vcpus += c.active.vcpus;
        appliance.memory_mib += c.active.memory_mib;
    }
    fleet.appliances = {appliance};
    return fleet;
}

sizing::Fleet groupedFleet() {
    sizing::Fleet fleet = baseFleet();
    fleet.groups = {{"rack-a", 600, 60}};
    for (const char* member : {"erp", "crm", "dwh", "files"}) {
        for (auto& c : fleet.clusters) {
            if (c.name == member) {
                c.group = "rack-a";
            }
        }
    }
    return fleet;
}

sizing::Fleet reservedOvercommittedFleet() {
    sizing::Fleet fleet = groupedFleet();
    fleet.cpu_overcommit = 2.5;
    fleet.clusters[3].memory_mode = sizing::MemoryMode::reserved;
    fleet.clusters[6].memory_mode = sizing::MemoryMode::reserved;
    return fleet;
}

// The capacity the engine asks for at `target` per resource, as the fleet's appliance (with a
// reserve on top, which the model must subtract again).
sizing::Fleet sizedFor(sizing::Fleet fleet, double memory_target, double vcpu_target) {
    sizing::ApplianceSpec& appliance = fleet.appliances.front();
    for (const auto& [resource, target] : {std::pair{sizing::Resource::memory_mib, memory_target},
                                           std::pair{sizing::Resource::vcpus, vcpu_target}}) {
        fleet.target_risk = target;
        const sizing::SizingResult result = sizing::size(fleet);
        const std::int64_t required = result.appliances.front().figures(resource).required_capacity;
        if (resource == sizing::Resource::memory_mib) {
            appliance.reserve_memory_mib = 1024;
            appliance.memory_mib = required + appliance.reserve_memory_mib;
        } else {
            // Whole vCPUs that give at least `required` after the overcommit.
            appliance.reserve_vcpus = 1;
            appliance.vcpus = static_cast<std::int64_t>(
                                  std::ceil(static_cast<double>(required) / fleet.cpu_overcommit)) +
                              appliance.reserve_vcpus;
        }
    }
    fleet.target_risk = 1e-4;
    return fleet;
}

SimulationModel modelOf(const sizing::Fleet& fleet) {
    std::vector<SimAppliance> appliances;
    for (const auto& a : fleet.appliances) {
        SimAppliance made{a.name, {}};
        for (const sizing::Resource r : sizing::kResources) {
            made.capacity[static_cast<std::size_t>(r)] =
                sizing::usableCapacity(a, fleet.cpu_overcommit, r);
        }
        appliances.push_back(made);
    }
    auto model = SimulationModel::fromFleet(fleet, sizing::proposePlacement(fleet), appliances);
    if (!model) {
        qFatal("%s", model.error().describe().c_str());
    }
    return std::move(model).value();
}

SimulationStats runFor(const sizing::Fleet& fleet, double hours, std::uint64_t seed) {
    FleetSimulation simulation(modelOf(fleet), seed, hours / kBatches);
    while (simulation.next(hours)) {
    }
    return simulation.stats();
}

bool agrees(const ShareEstimate& estimate, double expected) {
    return std::isfinite(estimate.std_error) &&
           std::abs(estimate.share - expected) <= 4 * estimate.std_error + kTolerance;
}

QString describe(const char* what, const ShareEstimate& estimate, double expected) {
    return QStringLiteral("%1: share %2 ± %3 (%4 batches), expected %5")
        .arg(QString::fromLatin1(what))
        .arg(estimate.share, 0, 'g', 6)
        .arg(estimate.std_error, 0, 'g', 3)
        .arg(estimate.batches)
        .arg(expected, 0, 'g', 6);
}

}  // namespace

class TestFleetSimulation : public QObject {
    Q_OBJECT

private slots:
    void overflowShareAgreesWithTheEngineRisk_data() {
        QTest::addColumn<sizing::Fleet>("engine_fleet");
        QTest::addColumn<sizing::Fleet>("simulated_fleet");
        QTest::addColumn<bool>("expect_agreement");

        const sizing::Fleet independent = sizedFor(baseFleet(), 0.05, 0.03);
        const sizing::Fleet grouped = sizedFor(groupedFleet(), 0.05, 0.08);
        const sizing::Fleet reserved = sizedFor(reservedOvercommittedFleet(), 0.03, 0.05);
        QTest::newRow("independent clusters") << independent << independent << true;
        QTest::newRow("common-cause group") << grouped << grouped << true;
        QTest::newRow("reserved memory, CPU overcommit") << reserved << reserved << true;

        // A simulation that ignores the group fails its members independently: it must not
        // pass for the engine's grouped risk.
        sizing::Fleet ungrouped = grouped;
        ungrouped.groups.clear();
        for (auto& c : ungrouped.clusters) {
            c.group.clear();
        }
        QTest::newRow("wrong model: group ignored") << grouped << ungrouped << false;
        // The same simulation checked against the risk of a smaller appliance.
        QTest::newRow("wrong capacity: engine sized for 15%")
            << sizedFor(groupedFleet(), 0.15, 0.2) << grouped << false;
    }

    void overflowShareAgreesWithTheEngineRisk() {
        QFETCH(sizing::Fleet, engine_fleet);
        QFETCH(sizing::Fleet, simulated_fleet);
        QFETCH(bool, expect_agreement);

        const sizing::SizingResult engine = sizing::size(engine_fleet);
        QVERIFY(engine.exact);
        const sizing::ApplianceResult& result = engine.appliances.front();
        const SimulationStats stats = runFor(simulated_fleet, kHours, kSeed);
        QCOMPARE(stats.hours, kHours);
        QVERIFY(stats.transitions > 100000);

        for (const sizing::Resource r : sizing::kResources) {
            const double risk = result.figures(r).overflow_risk;
            // Sizeable, so that the check has something to measure.
            QVERIFY2(risk >= 0.005 && risk <= 0.2, qPrintable(QString::number(risk)));
            const ShareEstimate& share =
                stats.appliances.front().resource[static_cast<std::size_t>(r)];
            qInfo("%s", qPrintable(describe(sizing::resourceName(r), share, risk)));
            QVERIFY2(agrees(share, risk) == expect_agreement,
                     qPrintable(describe(sizing::resourceName(r), share, risk)));
        }
        QCOMPARE(result.overflow_risk_any.method, std::string("exact"));
        QVERIFY2(agrees(stats.appliances.front().either, result.overflow_risk_any.value) ==
                     expect_agreement,
                 qPrintable(describe("either", stats.appliances.front().either,
                                     result.overflow_risk_any.value)));
        // One appliance: "any appliance" is that appliance's "either".
        QCOMPARE(stats.any_appliance.share, stats.appliances.front().either.share);
    }

    void failedOverShareAgreesWithTheStationaryProbability_data() {
        QTest::addColumn<sizing::Fleet>("fleet");
        QTest::newRow("independent clusters") << sizedFor(baseFleet(), 0.05, 0.05);
        QTest::newRow("common-cause group") << sizedFor(groupedFleet(), 0.05, 0.05);
    }

    void failedOverShareAgreesWithTheStationaryProbability() {
        QFETCH(sizing::Fleet, fleet);
        const SimulationStats stats = runFor(fleet, kHours, kSeed + 1);
        for (std::size_t i = 0; i < fleet.clusters.size(); ++i) {
            const sizing::ClusterSpec& c = fleet.clusters[i];
            double p = sizing::stationaryProbability(c.mtbf_hours, c.mttr_hours);
            for (const auto& g : fleet.groups) {
                if (g.name == c.group) {
                    p = 1 -
                        (1 - p) * (1 - sizing::stationaryProbability(g.mtbf_hours, g.mttr_hours));
                }
            }
            QVERIFY2(agrees(stats.cluster_failed[i], p),
                     qPrintable(describe(c.name.c_str(), stats.cluster_failed[i], p)));
            // A failover starts about once per MTBF + MTTR of the cluster (and its group).
            QVERIFY(stats.cluster_failovers[i] >
                    static_cast<std::uint64_t>(kHours / (c.mtbf_hours + c.mttr_hours) / 2));
        }
    }

    void theSameSeedReplaysTheSameEvents() {
        const sizing::Fleet fleet = sizedFor(groupedFleet(), 0.05, 0.05);
        FleetSimulation first(modelOf(fleet), 7, 100);
        FleetSimulation second(modelOf(fleet), 7, 100);
        FleetSimulation other(modelOf(fleet), 8, 100);
        bool differs = false;
        for (int k = 0; k < 1000; ++k) {
            const auto a = first.next(1e9);
            const auto b = second.next(1e9);
            const auto c = other.next(1e9);
            QVERIFY(a && b && c);
            QCOMPARE(a->hours, b->hours);
            QCOMPARE(a->changes, b->changes);
            differs = differs || a->hours != c->hours;
        }
        QVERIFY(differs);
    }

    void transitionsKeepTheDemandOfTheFailedOverClusters() {
        const sizing::Fleet fleet = sizedFor(reservedOvercommittedFleet(), 0.05, 0.05);
        FleetSimulation simulation(modelOf(fleet), 3, 100);
        double last = 0;
        for (int k = 0; k < 5000; ++k) {
            const auto transition = simulation.next(1e9);
            QVERIFY(transition);
            QVERIFY(transition->hours >= last);
            last = transition->hours;
            for (const auto& [index, failed] : transition->changes) {
                QCOMPARE(simulation.failedOver(index), failed);
            }
            // The demand the core keeps incrementally equals the model's sum.
            for (const sizing::Resource r : sizing::kResources) {
                std::int64_t demand = 0;
                for (std::size_t i = 0; i < fleet.clusters.size(); ++i) {
                    const auto& c = fleet.clusters[i];
                    demand +=
                        simulation.failedOver(i) ? c.active.of(r) : c.effectiveStandby().of(r);
                }
                QCOMPARE(simulation.demand(0)[static_cast<std::size_t>(r)], demand);
            }
        }
    }

    void aRunStopsAtItsEnd() {
        const sizing::Fleet fleet = sizedFor(baseFleet(), 0.05, 0.05);
        FleetSimulation simulation(modelOf(fleet), 1, 10);
        while (simulation.next(250.5)) {
        }
        QCOMPARE(simulation.now(), 250.5);
        const SimulationStats stats = simulation.stats();
        QCOMPARE(stats.hours, 250.5);
        QCOMPARE(stats.any_appliance.batches, std::size_t{25});
        QVERIFY(!simulation.next(250.5));
    }

    void aPlacementThatLeavesAClusterOutIsRefused() {
        const sizing::Fleet fleet = baseFleet();
        const auto model = SimulationModel::fromFleet(fleet, {{0, 1, 2}}, {SimAppliance{"a", {}}});
        QVERIFY(!model);
        QCOMPARE(model.error().code, std::string("invalid_input"));
    }
};

QTEST_GUILESS_MAIN(TestFleetSimulation)
#include "test_simulate_model.moc"

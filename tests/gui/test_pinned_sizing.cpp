// Sizing with clusters kept on their appliances (the live fleet's in-process side): each
// appliance sized with exactly its own clusters, as the service sizes it; an unplaced cluster
// goes where the worst resulting risk is lowest; one appliance is the engine's own answer.
#include <QtTest>
#include <algorithm>

#include "gui/offline/pinned_sizing.h"
#include "sizing/engine.h"

using namespace understudy;
using understudy::gui::Placement;
using understudy::gui::sizePinned;

namespace {

sizing::ClusterSpec cluster(const std::string& name, std::int64_t standbyMib,
                            std::int64_t activeMib) {
    sizing::ClusterSpec spec;
    spec.name = name;
    spec.mtbf_hours = 2000;
    spec.mttr_hours = 200;
    spec.standby = {1, standbyMib};
    spec.active = {2, activeMib};
    return spec;
}

// Two appliances: "tight" barely holds x and y, "roomy" has space for anything here.
sizing::Fleet pool() {
    sizing::Fleet fleet;
    fleet.cpu_overcommit = 4.0;
    fleet.appliances = {{"tight", 8, 40960, 0, 0}, {"roomy", 64, 262144, 0, 0}};
    fleet.clusters = {cluster("x", 2048, 32768), cluster("y", 2048, 32768),
                      cluster("z", 1024, 8192), cluster("w", 2048, 32768)};
    return fleet;
}

std::vector<std::string> names(const sizing::ApplianceResult& appliance) {
    std::vector<std::string> made;
    for (const sizing::ClusterFigures& figures : appliance.clusters) {
        made.push_back(figures.name);
    }
    std::sort(made.begin(), made.end());
    return made;
}

}  // namespace

class TestPinnedSizing : public QObject {
    Q_OBJECT
private slots:
    void eachApplianceIsSizedWithExactlyItsOwnClusters();
    void anUnplacedClusterGoesWhereTheWorstRiskIsLowest();
    void oneApplianceIsTheEnginesOwnAnswer();
};

void TestPinnedSizing::eachApplianceIsSizedWithExactlyItsOwnClusters() {
    const sizing::Fleet fleet = pool();
    const Placement placement{{"x", "tight"}, {"y", "tight"}, {"z", "roomy"}, {"w", "roomy"}};
    const sizing::SizingResult pinned = sizePinned(fleet, placement);
    QCOMPARE(pinned.appliances.size(), std::size_t{2});
    QCOMPARE(pinned.appliances[0].spec.name, std::string("tight"));
    QCOMPARE(names(pinned.appliances[0]), (std::vector<std::string>{"x", "y"}));
    QCOMPARE(names(pinned.appliances[1]), (std::vector<std::string>{"w", "z"}));
    QVERIFY(!pinned.pool.has_value());
    // The same figures as sizing "tight" alone with x and y.
    sizing::Fleet alone = fleet;
    alone.appliances = {fleet.appliances[0]};
    alone.clusters = {fleet.clusters[0], fleet.clusters[1]};
    const sizing::SizingResult single = sizing::size(alone);
    for (const sizing::Resource resource : sizing::kResources) {
        QCOMPARE(pinned.appliances[0].figures(resource).overflow_risk,
                 single.appliances[0].figures(resource).overflow_risk);
        QCOMPARE(pinned.appliances[0].figures(resource).required_capacity,
                 single.appliances[0].figures(resource).required_capacity);
    }
    // Every cluster at its active footprint, over both appliances.
    QCOMPARE(pinned.baselines.no_overbooking[0], std::int64_t{32768 + 32768 + 8192 + 32768});
}

void TestPinnedSizing::anUnplacedClusterGoesWhereTheWorstRiskIsLowest() {
    const Placement placement{{"x", "tight"}, {"y", "tight"}, {"z", "roomy"}};
    const sizing::SizingResult pinned = sizePinned(pool(), placement);
    QCOMPARE(names(pinned.appliances[0]), (std::vector<std::string>{"x", "y"}));
    QCOMPARE(names(pinned.appliances[1]), (std::vector<std::string>{"w", "z"}));
    // Pinned the other way round, w's placement follows the risk again.
    const Placement swapped{{"x", "roomy"}, {"y", "roomy"}, {"z", "tight"}};
    sizing::Fleet fleet = pool();
    fleet.appliances[0].memory_mib = 262144;
    fleet.appliances[1].memory_mib = 40960;
    const sizing::SizingResult other = sizePinned(fleet, swapped);
    QCOMPARE(names(other.appliances[0]), (std::vector<std::string>{"w", "z"}));
    QCOMPARE(names(other.appliances[1]), (std::vector<std::string>{"x", "y"}));
}

void TestPinnedSizing::oneApplianceIsTheEnginesOwnAnswer() {
    sizing::Fleet fleet = pool();
    fleet.appliances.resize(1);
    fleet.appliances[0].memory_mib = 262144;
    const sizing::SizingResult pinned = sizePinned(fleet, {{"x", "tight"}});
    const sizing::SizingResult engine = sizing::size(fleet);
    QCOMPARE(pinned.appliances.size(), engine.appliances.size());
    QCOMPARE(names(pinned.appliances[0]), names(engine.appliances[0]));
    QCOMPARE(pinned.appliances[0].figures(sizing::Resource::memory_mib).required_capacity,
             engine.appliances[0].figures(sizing::Resource::memory_mib).required_capacity);
}

QTEST_MAIN(TestPinnedSizing)
#include "test_pinned_sizing.moc"

#include <QtTest>

#include "gui/offline/offline_arbitration.h"
#include "sizing/engine.h"

using namespace understudy;
using namespace understudy::gui;

namespace {

sizing::ClusterSpec cluster(const std::string& name, int priority, sizing::Footprint standby,
                            sizing::Footprint active) {
    sizing::ClusterSpec spec;
    spec.name = name;
    spec.priority = priority;
    spec.mtbf_hours = 8760;
    spec.mttr_hours = 24;
    spec.standby = standby;
    spec.active = active;
    return spec;
}

// One appliance of `vcpus` × `memory` usable capacity (no reserve, no overcommit).
sizing::Fleet fleetOf(std::int64_t vcpus, std::int64_t memory,
                      std::vector<sizing::ClusterSpec> clusters) {
    sizing::Fleet fleet;
    fleet.appliances = {{"pna", vcpus, memory, 0, 0}};
    fleet.clusters = std::move(clusters);
    return fleet;
}

std::vector<OfflineTakeover> fail(const sizing::Fleet& fleet, std::set<std::string> names) {
    return approximateTakeovers(fleet, sizing::size(fleet), names);
}

const OfflineTakeover& find(const std::vector<OfflineTakeover>& rows, const std::string& name) {
    static const OfflineTakeover none;
    for (const OfflineTakeover& row : rows) {
        if (row.cluster == name) {
            return row;
        }
    }
    return none;
}

}  // namespace

class TestOfflineArbitration : public QObject {
    Q_OBJECT
private slots:
    void aTakeoverThatFitsTheHeadroomIsGranted();
    void higherPriorityIsDecidedFirst();
    void lowerPriorityStandbyNodesArePreemptedLowestFirst();
    void equalOrHigherPriorityNodesAreNeverPreempted();
    void cpuIsGrantedPartlyWhenMemoryFits();
    void memoryIsNeverGrantedBeyondUsableMemory();
    void aPreemptedClusterThatFailsToo_isDenied();
    void reservedMemoryCountsAsHeldAlready();
};

void TestOfflineArbitration::aTakeoverThatFitsTheHeadroomIsGranted() {
    const auto fleet = fleetOf(16, 16384, {cluster("a", 500, {1, 1024}, {4, 8192})});
    const auto rows = fail(fleet, {"a"});
    QCOMPARE(rows.size(), std::size_t{1});
    QCOMPARE(rows[0].outcome, TakeoverOutcome::granted);
    QCOMPARE(rows[0].grant, (sizing::Footprint{4, 8192}));
    QVERIFY(rows[0].failing);
}

void TestOfflineArbitration::higherPriorityIsDecidedFirst() {
    // Room for one 8 GiB takeover: the higher priority gets it although "low" sorts first.
    const auto fleet = fleetOf(
        16, 10240,
        {cluster("low", 100, {1, 1024}, {2, 8192}), cluster("high", 900, {1, 1024}, {2, 8192})});
    const auto rows = fail(fleet, {"low", "high"});
    QCOMPARE(rows.size(), std::size_t{2});
    QCOMPARE(rows[0].cluster, std::string("high"));
    QCOMPARE(rows[0].outcome, TakeoverOutcome::granted);
    QCOMPARE(rows[1].cluster, std::string("low"));
    QCOMPARE(rows[1].outcome, TakeoverOutcome::denied);
    QVERIFY(rows[1].reason.find("Memory") != std::string::npos);
}

void TestOfflineArbitration::lowerPriorityStandbyNodesArePreemptedLowestFirst() {
    // Free memory 12288 − 3×2048 = 6144; "erp" needs 8192 − 2048 = 6144 + 2048 more: one
    // preemption suffices, and it must be the lowest priority.
    const auto fleet = fleetOf(
        32, 12288,
        {cluster("erp", 900, {1, 2048}, {4, 10240}), cluster("mail", 400, {1, 2048}, {2, 4096}),
         cluster("backup", 300, {1, 2048}, {2, 4096})});
    const auto rows = fail(fleet, {"erp"});
    const OfflineTakeover& erp = find(rows, "erp");
    QCOMPARE(erp.outcome, TakeoverOutcome::preempts);
    QCOMPARE(erp.preempted, std::vector<std::string>{"backup"});
    const OfflineTakeover& backup = find(rows, "backup");
    QCOMPARE(backup.outcome, TakeoverOutcome::preempted);
    QVERIFY(!backup.failing);
    QVERIFY(backup.reason.find("erp") != std::string::npos);
    QCOMPARE(find(rows, "mail").cluster, std::string());
}

void TestOfflineArbitration::equalOrHigherPriorityNodesAreNeverPreempted() {
    const auto fleet = fleetOf(
        32, 12288,
        {cluster("erp", 500, {1, 2048}, {4, 10240}), cluster("peer", 500, {1, 2048}, {2, 4096}),
         cluster("boss", 1000, {1, 2048}, {2, 4096})});
    const auto rows = fail(fleet, {"erp"});
    QCOMPARE(rows.size(), std::size_t{1});
    QCOMPARE(rows[0].outcome, TakeoverOutcome::denied);
}

void TestOfflineArbitration::cpuIsGrantedPartlyWhenMemoryFits() {
    // 8 usable vCPUs, 2 held by standbys: "a" wants 8 (7 more) and gets 1 + 6 = 7.
    const auto fleet =
        fleetOf(8, 65536,
                {cluster("a", 500, {1, 1024}, {8, 4096}), cluster("b", 800, {1, 1024}, {1, 1024})});
    const auto rows = fail(fleet, {"a"});
    QCOMPARE(rows.size(), std::size_t{1});
    QCOMPARE(rows[0].outcome, TakeoverOutcome::partial);
    QCOMPARE(rows[0].grant, (sizing::Footprint{7, 4096}));
    QCOMPARE(rows[0].wanted, (sizing::Footprint{8, 4096}));
}

void TestOfflineArbitration::memoryIsNeverGrantedBeyondUsableMemory() {
    const auto fleet = fleetOf(64, 8192, {cluster("big", 1000, {1, 1024}, {2, 16384})});
    const auto rows = fail(fleet, {"big"});
    QCOMPARE(rows.size(), std::size_t{1});
    QCOMPARE(rows[0].outcome, TakeoverOutcome::denied);
    QCOMPARE(rows[0].grant, sizing::Footprint{});
}

void TestOfflineArbitration::aPreemptedClusterThatFailsToo_isDenied() {
    const auto fleet = fleetOf(
        32, 12288,
        {cluster("erp", 900, {1, 2048}, {4, 10240}), cluster("mail", 400, {1, 2048}, {2, 4096}),
         cluster("backup", 300, {1, 2048}, {2, 4096})});
    const auto rows = fail(fleet, {"erp", "backup"});
    QCOMPARE(rows.size(), std::size_t{2});
    QCOMPARE(rows[0].cluster, std::string("erp"));
    QCOMPARE(rows[1].cluster, std::string("backup"));
    QCOMPARE(rows[1].outcome, TakeoverOutcome::denied);
    QVERIFY(rows[1].failing);
    QVERIFY(rows[1].reason.find("preempted for erp") != std::string::npos);
}

void TestOfflineArbitration::reservedMemoryCountsAsHeldAlready() {
    // A reserved-memory node holds its active memory already: only its CPU grows.
    auto reserved = cluster("win", 500, {1, 1024}, {4, 8192});
    reserved.memory_mode = sizing::MemoryMode::reserved;
    const auto fleet = fleetOf(8, 8192, {reserved});
    const auto rows = fail(fleet, {"win"});
    QCOMPARE(rows.size(), std::size_t{1});
    QCOMPARE(rows[0].outcome, TakeoverOutcome::granted);
}

QTEST_MAIN(TestOfflineArbitration)
#include "test_offline_arbitration.moc"

#include <QtTest>

#include "sizing/fleet.h"
#include "sizing/sizing_result.h"

using namespace understudy::sizing;

class TestFleetModel : public QObject {
    Q_OBJECT
private slots:
    void usableCapacitySubtractsReserveAndOvercommitsCpu_data();
    void usableCapacitySubtractsReserveAndOvercommitsCpu();
    void stationaryProbabilityIsMttrOverCycle();
    void reservedMemoryCountsActiveMemoryWhileStandby();
    void tailProbabilitiesAreSummedFromTheTop();
};

void TestFleetModel::usableCapacitySubtractsReserveAndOvercommitsCpu_data() {
    QTest::addColumn<qint64>("vcpus");
    QTest::addColumn<qint64>("reserveVcpus");
    QTest::addColumn<double>("overcommit");
    QTest::addColumn<qint64>("expectedVcpus");
    QTest::newRow("product example") << qint64(64) << qint64(2) << 4.0 << qint64(248);
    QTest::newRow("no overcommit") << qint64(16) << qint64(0) << 1.0 << qint64(16);
    QTest::newRow("fraction floors") << qint64(3) << qint64(0) << 1.5 << qint64(4);
}

void TestFleetModel::usableCapacitySubtractsReserveAndOvercommitsCpu() {
    QFETCH(qint64, vcpus);
    QFETCH(qint64, reserveVcpus);
    QFETCH(double, overcommit);
    QFETCH(qint64, expectedVcpus);
    const ApplianceSpec appliance{"pna-1", vcpus, 524288, reserveVcpus, 16384};
    QCOMPARE(usableCapacity(appliance, overcommit, Resource::vcpus), expectedVcpus);
    QCOMPARE(usableCapacity(appliance, overcommit, Resource::memory_mib), qint64(507904));
}

void TestFleetModel::stationaryProbabilityIsMttrOverCycle() {
    QCOMPARE(stationaryProbability(8760, 24), 24.0 / 8784.0);
    QCOMPARE(stationaryProbability(1000, 0), 0.0);
    QCOMPARE(stationaryProbability(0, 0), 0.0);
}

void TestFleetModel::reservedMemoryCountsActiveMemoryWhileStandby() {
    ClusterSpec cluster;
    cluster.standby = {1, 2048};
    cluster.active = {8, 32768};
    QCOMPARE(cluster.effectiveStandby(), (Footprint{1, 2048}));
    cluster.memory_mode = MemoryMode::reserved;
    QCOMPARE(cluster.effectiveStandby(), (Footprint{1, 32768}));
}

void TestFleetModel::tailProbabilitiesAreSummedFromTheTop() {
    DemandDistribution distribution;
    distribution.probability = {0.5, 0.25, 0.25 - 1e-15};
    distribution.beyond_mass = 1e-15;
    const auto tail = distribution.tailProbabilities();
    QCOMPARE(tail.size(), std::size_t(3));
    QCOMPARE(tail[2], 1e-15);
    // 1 − CDF would have lost this tail to cancellation; summed from the top it survives.
    QVERIFY(qAbs(tail[1] - 0.25) < 1e-16);
    QCOMPARE(tail[0], 0.5);
}

QTEST_GUILESS_MAIN(TestFleetModel)
#include "test_fleet_model.moc"

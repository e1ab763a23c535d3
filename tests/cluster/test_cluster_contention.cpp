// Three live clusters on one appliance sized so that only two can be active at once. Their
// physical nodes die together: the two higher priorities take over (one of them by preempting
// the standby of a lower-priority cluster that is only registered), the lowest is denied, its
// takeover's start fails with the denial's reason in crm_mon and its readiness drops; when the
// two fail back, the preempted standby is restored and the readiness recovers.
//
// Cluster c's corosync waits longer before it declares its physical node lost (9 s against
// 3 s): the service grants takeovers in the order they come, so the test lets c come last
// rather than leave the outcome to a race.
#include <QJsonArray>

#include "tests/cluster/cluster_lab.h"
#include "tests/cluster/erp_cluster.h"
#include "tests/cluster/lab_service.h"

using namespace understudy::tests;

namespace {

constexpr int kSettleMs = 90000;

// 12288 MiB: the four standbys (4096) leave 8192; a and b need 4608 more each, so the second of
// them preempts spare's standby; c needs 3072 more, which is free again once a and b release.
const QByteArray kFleet = R"({"clusters": [
  {"name": "a", "priority": 900, "mtbf_hours": 8760, "mttr_hours": 24,
   "standby": {"vcpus": 1, "memory_mib": 1024}, "active": {"vcpus": 2, "memory_mib": 5632}},
  {"name": "b", "priority": 500, "mtbf_hours": 8760, "mttr_hours": 24,
   "standby": {"vcpus": 1, "memory_mib": 1024}, "active": {"vcpus": 2, "memory_mib": 5632}},
  {"name": "c", "priority": 100, "mtbf_hours": 8760, "mttr_hours": 24,
   "standby": {"vcpus": 1, "memory_mib": 1024}, "active": {"vcpus": 2, "memory_mib": 4096}},
  {"name": "spare", "priority": 50, "mtbf_hours": 8760, "mttr_hours": 24,
   "standby": {"vcpus": 1, "memory_mib": 1024}, "active": {"vcpus": 2, "memory_mib": 2048}}
]})";

QString phys(const QString& cluster) {
    return cluster + QStringLiteral("-phys");
}
QString passive(const QString& cluster) {
    return cluster + QStringLiteral("-passive");
}

}  // namespace

class TestClusterContention : public QObject {
    Q_OBJECT

public:
    TestClusterContention()
        : lab_(QStringLiteral(UNDERSTUDY_CLUSTER_LAB_DIR "/contention")),
          service_(lab_, testDriverAppliance(32, 12288)) {}

private slots:
    void initTestCase();
    void theHigherPrioritiesTakeOverAndTheLowestIsDenied();
    void capacityReturningRestoresThePreemptedAndTheReadiness();
    void cleanupTestCase() { QVERIFY(lab_.down()); }

private:
    QString ready(const QString& cluster) {
        return lab_.attribute(passive(cluster), passive(cluster),
                              QStringLiteral("understudy-ready"));
    }
    void failBack(const QString& cluster);

    ClusterLab lab_;
    LabService service_;
};

void TestClusterContention::initTestCase() {
    QString why;
    QVERIFY2(service_.start(kFleet, &why), qPrintable(why));
    for (const QString& cluster : {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}) {
        const QString token = service_.tokenFile(cluster);
        QVERIFY(!token.isEmpty());
        QVERIFY2(lab_.up({phys(cluster), passive(cluster)}, &why, cluster,
                         cluster == QLatin1String("c") ? 9000 : 3000),
                 qPrintable(why));
        ErpClusterOptions options;
        options.cluster = cluster;
        options.url = service_.url();
        options.token_file = token;
        // Without the rule on readiness, c's application is placed on its passive node and its
        // takeover asked for, and denied.
        options.needs_readiness = cluster != QLatin1String("c");
        const Run configured =
            lab_.configure(phys(cluster), erpResources(options), erpConstraints(options));
        QVERIFY2(configured.exit_code == 0, qPrintable(configured.describe()));
    }
    for (const QString& cluster : {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}) {
        LAB_VERIFY(lab_, phys(cluster),
                   lab_.waitFor(
                       [&] {
                           return lab_.runsOn(phys(cluster), cluster + QStringLiteral("-service"),
                                              phys(cluster)) &&
                                  ready(cluster) == QLatin1String("1");
                       },
                       kSettleMs));
    }
}

void TestClusterContention::theHigherPrioritiesTakeOverAndTheLowestIsDenied() {
    for (const QString& cluster : {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")}) {
        QVERIFY(lab_.killCorosync(phys(cluster)));
    }
    for (const QString& cluster : {QStringLiteral("a"), QStringLiteral("b")}) {
        LAB_VERIFY(lab_, passive(cluster),
                   lab_.waitFor(
                       [&] {
                           return lab_.runsOn(passive(cluster),
                                              cluster + QStringLiteral("-service"),
                                              passive(cluster));
                       },
                       kSettleMs));
        QCOMPARE(service_.state(passive(cluster)), QStringLiteral("active"));
        QCOMPARE(service_.liveMemoryMib(passive(cluster)), 5632);
    }
    QCOMPARE(service_.state(QStringLiteral("spare-passive")), QStringLiteral("preempted"));
    QCOMPARE(service_.events(QStringLiteral("spare"), QStringLiteral("preempted")).size(), 1);

    // c's start fails with the service's reason, shown among crm_mon's failed actions.
    LAB_VERIFY(lab_, passive(QStringLiteral("c")),
               lab_.waitFor(
                   [&] {
                       return lab_.statusText(passive(QStringLiteral("c")))
                           .contains(QStringLiteral("c-takeover_start_0"));
                   },
                   kSettleMs));
    const QString status = lab_.statusText(passive(QStringLiteral("c")));
    QVERIFY2(status.contains(QStringLiteral("takeover of c-passive failed")) &&
                 status.contains(QStringLiteral("denied")),
             qPrintable(status));
    QCOMPARE(service_.events(QStringLiteral("c"), QStringLiteral("takeover.denied")).size(), 1);
    QCOMPARE(service_.state(passive(QStringLiteral("c"))), QStringLiteral("standby"));
    QVERIFY2(lab_.waitFor([&] { return ready(QStringLiteral("c")) == QLatin1String("0"); }, 20000),
             "c's understudy-ready did not drop to 0");
}

void TestClusterContention::failBack(const QString& cluster) {
    QVERIFY(lab_.start(phys(cluster)));
    LAB_VERIFY(
        lab_, passive(cluster),
        lab_.waitFor([&] { return lab_.online(passive(cluster), phys(cluster)); }, kSettleMs));
    QString why;
    QVERIFY2(moveApplication(lab_, cluster, phys(cluster), kSettleMs, &why), qPrintable(why));
}

void TestClusterContention::capacityReturningRestoresThePreemptedAndTheReadiness() {
    failBack(QStringLiteral("a"));
    failBack(QStringLiteral("b"));
    QVERIFY(lab_.waitFor(
        [&] {
            return service_.state(passive(QStringLiteral("a"))) == QLatin1String("standby") &&
                   service_.state(passive(QStringLiteral("b"))) == QLatin1String("standby");
        },
        30000));
    QVERIFY(lab_.waitFor(
        [&] { return service_.state(QStringLiteral("spare-passive")) == QLatin1String("standby"); },
        30000));
    QCOMPARE(service_.events(QStringLiteral("spare"), QStringLiteral("restored")).size(), 1);
    QVERIFY2(lab_.waitFor([&] { return ready(QStringLiteral("c")) == QLatin1String("1"); }, 20000),
             "c's understudy-ready did not come back to 1");
}

UNDERSTUDY_CLUSTER_TEST_MAIN(TestClusterContention)
#include "test_cluster_contention.moc"

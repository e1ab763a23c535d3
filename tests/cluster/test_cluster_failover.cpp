// The physical/virtual scenario end to end in a live two-node Pacemaker cluster: cluster erp of
// the physical active erp-phys and the passive erp-passive (its VM on a test-driver appliance
// run by a real understudyd; a lab namespace stands in for the guest). Everything is asserted
// through the cluster's own tools (crm_mon, crm_attribute, stonith_admin) and the service's
// events. The slots run in order, each from where the one before left the cluster.
#include <signal.h>

#include <QElapsedTimer>
#include <QRegularExpression>

#include "tests/cluster/cluster_lab.h"
#include "tests/cluster/erp_cluster.h"
#include "tests/cluster/lab_service.h"

using namespace understudy::tests;

namespace {

constexpr int kSettleMs = 60000;
// Longer than the takeover's stop timeout (30 s) with what comes before the stop.
constexpr int kStallMs = 60000;

const QByteArray kFleet = R"({"clusters": [
  {"name": "erp", "priority": 900, "mtbf_hours": 8760, "mttr_hours": 24,
   "standby": {"vcpus": 1, "memory_mib": 1024}, "active": {"vcpus": 4, "memory_mib": 8192}},
  {"name": "hog", "priority": 100, "mtbf_hours": 8760, "mttr_hours": 24,
   "standby": {"vcpus": 1, "memory_mib": 1024}, "active": {"vcpus": 4, "memory_mib": 8192}}
]})";

const QString kPhys = QStringLiteral("erp-phys");
const QString kPassive = QStringLiteral("erp-passive");

}  // namespace

class TestClusterFailover : public QObject {
    Q_OBJECT

public:
    TestClusterFailover()
        : lab_(QStringLiteral(UNDERSTUDY_CLUSTER_LAB_DIR "/failover")),
          service_(lab_, testDriverAppliance(16, 12288)) {}

private slots:
    void initTestCase();
    void steadyState();
    void readinessFollowsTheAppliance();
    void failoverGrowsThePassive();
    void rejoinKeepsTheGrant();
    void failbackShrinksThePassive();
    void aServiceStallDuringFailoverBansNothingAndFencesNobody();
    void aServiceStallDuringFailbackFencesNobody();
    void onDeniedStandbyRunsDegradedUntilGranted();
    void fencingThePassiveTurnsOffItsDomainOnly();
    void fencingWithAnotherClustersTokenIsRefused();
    void fencingAnotherClustersNodeIsRefused();
    void cleanupTestCase();

private:
    Run fence(const QString& from, const QString& target) {
        return lab_.exec(from,
                         {QStringLiteral("stonith_admin"), QStringLiteral("--fence"), target,
                          QStringLiteral("--timeout"), QStringLiteral("20")},
                         60000);
    }
    void reconfigureFencePassive(const QString& parameter, const QString& value) {
        const Run run = lab_.crmResource(
            kPhys, {QStringLiteral("--resource"), QStringLiteral("erp-fence-passive"),
                    QStringLiteral("--set-parameter"), parameter,
                    QStringLiteral("--parameter-value"), value});
        QVERIFY2(run.exit_code == 0, qPrintable(run.describe()));
    }

    // understudyd stops answering (SIGSTOP) for the object's lifetime.
    class ServiceStall {
    public:
        explicit ServiceStall(qint64 pid) : pid_(static_cast<pid_t>(pid)) {
            stalled_ = ::kill(pid_, SIGSTOP) == 0;
        }
        ~ServiceStall() { end(); }
        ServiceStall(const ServiceStall&) = delete;
        ServiceStall& operator=(const ServiceStall&) = delete;
        bool stalled() const { return stalled_; }
        void end() {
            if (stalled_) {
                ::kill(pid_, SIGCONT);
                stalled_ = false;
            }
        }

    private:
        pid_t pid_;
        bool stalled_ = false;
    };
    QString passiveAttribute(const QString& name) {
        return lab_.attribute(kPassive, kPassive, name);
    }
    // The fencing of erp-passive as the cluster recorded it, read on `observer`.
    QString passiveFencingHistory(const QString& observer) {
        return lab_
            .exec(observer,
                  {QStringLiteral("stonith_admin"), QStringLiteral("--history"), kPassive})
            .out;
    }
    // The application started on `node`, as `node` sees it.
    void waitForApplicationOn(const QString& node, int limit_ms = kSettleMs);
    void waitForPassiveAttribute(const QString& name, const QString& value, int limit_ms);
    void failOver();
    // erp-phys powered on (when it is not) and seen online by erp-passive.
    void bringBackPhys();
    // crm_resource --move of the application to erp-phys; waits until it runs there and the
    // takeover has stopped.
    void moveApplicationToPhys(int limit_ms = kSettleMs);
    void clearMove();
    void bringBackPhysAndFailBack();

    ClusterLab lab_;
    LabService service_;
    QString erp_token_;
    QString hog_token_;
    qint64 release_events_at_failover_ = 0;
};

void TestClusterFailover::initTestCase() {
    QString why;
    QVERIFY2(service_.start(kFleet, &why), qPrintable(why));
    erp_token_ = service_.tokenFile(QStringLiteral("erp"));
    hog_token_ = service_.tokenFile(QStringLiteral("hog"));
    QVERIFY(!erp_token_.isEmpty() && !hog_token_.isEmpty());
    QVERIFY2(lab_.up({kPhys, kPassive}, &why), qPrintable(why));

    ErpClusterOptions options;
    options.url = service_.url();
    options.token_file = erp_token_;
    options.sticky = true;
    const Run configured = lab_.configure(kPhys, erpResources(options), erpConstraints(options));
    QVERIFY2(configured.exit_code == 0, qPrintable(configured.describe()));
    waitForApplicationOn(kPhys);
}

void TestClusterFailover::steadyState() {
    QVERIFY(lab_.stopped(kPhys, QStringLiteral("erp-takeover")));
    QCOMPARE(service_.state(kPassive), QStringLiteral("standby"));
    QCOMPARE(service_.liveMemoryMib(kPassive), 1024);
    waitForPassiveAttribute(QStringLiteral("understudy-ready"), QStringLiteral("1"), kSettleMs);
    // Nothing of the takeover ran: no takeover was asked for.
    QCOMPARE(service_.events(QStringLiteral("erp"), QStringLiteral("takeover")).size(), 0);
}

// Another cluster's active node takes the memory erp's passive would need: the attribute in
// the live CIB drops to 0, and comes back to 1 when it is released.
void TestClusterFailover::readinessFollowsTheAppliance() {
    const Run taken = service_.service().ctl(
        hog_token_, {QStringLiteral("takeover"), QStringLiteral("hog-passive")});
    QVERIFY2(taken.exit_code == 0, qPrintable(taken.describe()));
    waitForPassiveAttribute(QStringLiteral("understudy-ready"), QStringLiteral("0"), 20000);
    const Run released = service_.service().ctl(
        hog_token_, {QStringLiteral("release"), QStringLiteral("hog-passive")});
    QVERIFY2(released.exit_code == 0, qPrintable(released.describe()));
    waitForPassiveAttribute(QStringLiteral("understudy-ready"), QStringLiteral("1"), 20000);
}

void TestClusterFailover::failoverGrowsThePassive() {
    QElapsedTimer clock;
    clock.start();
    QVERIFY(lab_.killCorosync(kPhys));
    waitForApplicationOn(kPassive);
    qInfo("kill of erp-phys's corosync -> application running on erp-passive: %lld ms",
          static_cast<long long>(clock.elapsed()));
    // Fenced by the lab's power switch (off: it stays down until it is repaired).
    QVERIFY(!lab_.running(kPhys));
    QVERIFY(lab_.runsOn(kPassive, QStringLiteral("erp-takeover"), kPassive));
    QCOMPARE(service_.state(kPassive), QStringLiteral("active"));
    QCOMPARE(service_.liveMemoryMib(kPassive), 8192);
    const QJsonArray granted =
        service_.events(QStringLiteral("erp"), QStringLiteral("takeover.granted"));
    QCOMPARE(granted.size(), 1);
    release_events_at_failover_ =
        service_.events(QStringLiteral("erp"), QStringLiteral("release")).size();
}

// The old active comes back. Pacemaker probes the takeover there: it must say "not running"
// (it never started on erp-phys), or Pacemaker sees it active on two nodes, stops it on both
// and the grant is released under the running application.
void TestClusterFailover::rejoinKeepsTheGrant() {
    bringBackPhys();
    // Long enough for the probes on erp-phys and a few monitors on erp-passive.
    QTest::qWait(8000);
    const auto takeover = lab_.resource(kPhys, QStringLiteral("erp-takeover"));
    QVERIFY(takeover);
    QCOMPARE(takeover->node, kPassive);
    QVERIFY(!takeover->failed);
    QVERIFY(lab_.runsOn(kPhys, QStringLiteral("erp-service"), kPassive));
    QCOMPARE(service_.events(QStringLiteral("erp"), QStringLiteral("release")).size(),
             release_events_at_failover_);
    QCOMPARE(service_.state(kPassive), QStringLiteral("active"));
}

void TestClusterFailover::failbackShrinksThePassive() {
    moveApplicationToPhys();
    clearMove();
    QCOMPARE(service_.state(kPassive), QStringLiteral("standby"));
    QCOMPARE(service_.liveMemoryMib(kPassive), 1024);
    QCOMPARE(service_.events(QStringLiteral("erp"), QStringLiteral("release")).size(),
             release_events_at_failover_ + 1);
}

void TestClusterFailover::waitForApplicationOn(const QString& node, int limit_ms) {
    LAB_VERIFY(lab_, node,
               lab_.waitFor([&] { return lab_.runsOn(node, QStringLiteral("erp-service"), node); },
                            limit_ms));
}

void TestClusterFailover::waitForPassiveAttribute(const QString& name, const QString& value,
                                                  int limit_ms) {
    LAB_VERIFY(lab_, kPassive,
               lab_.waitFor([&] { return passiveAttribute(name) == value; }, limit_ms));
}

void TestClusterFailover::failOver() {
    QVERIFY(lab_.killCorosync(kPhys));
    waitForApplicationOn(kPassive);
}

void TestClusterFailover::bringBackPhys() {
    QVERIFY(lab_.start(kPhys));
    LAB_VERIFY(lab_, kPassive,
               lab_.waitFor([&] { return lab_.online(kPassive, kPhys); }, kSettleMs));
}

void TestClusterFailover::moveApplicationToPhys(int limit_ms) {
    QString why;
    QVERIFY2(moveApplication(lab_, QStringLiteral("erp"), kPhys, limit_ms, &why), qPrintable(why));
}

void TestClusterFailover::clearMove() {
    const Run cleared = lab_.crmResource(
        kPhys,
        {QStringLiteral("--clear"), QStringLiteral("--resource"), QStringLiteral("erp-app")});
    QVERIFY2(cleared.exit_code == 0, qPrintable(cleared.describe()));
}

void TestClusterFailover::bringBackPhysAndFailBack() {
    bringBackPhys();
    moveApplicationToPhys();
    clearMove();
}

// understudyd stops answering (SIGSTOP) as erp-phys dies, for 25 s. The takeover's start waits
// for it within its timeout; the readiness monitor cannot ask and leaves understudy-ready as
// it was, so the rule on it does not ban the application from its passive node; nobody but
// erp-phys is fenced.
void TestClusterFailover::aServiceStallDuringFailoverBansNothingAndFencesNobody() {
    const QString fencings = passiveFencingHistory(kPassive);
    QCOMPARE(passiveAttribute(QStringLiteral("understudy-ready")), QStringLiteral("1"));
    ServiceStall stall(service_.service().pid());
    QVERIFY(stall.stalled());
    QVERIFY(lab_.killCorosync(kPhys));
    QTest::qWait(20000);
    // Several readiness monitors ran into the stall by now.
    QCOMPARE(passiveAttribute(QStringLiteral("understudy-ready")), QStringLiteral("1"));
    QTest::qWait(5000);
    stall.end();
    waitForApplicationOn(kPassive);
    QVERIFY(lab_.running(kPassive));
    QCOMPARE(service_.state(kPassive), QStringLiteral("active"));
    const auto takeover = lab_.resource(kPassive, QStringLiteral("erp-takeover"));
    QVERIFY(takeover && !takeover->failed);
    QCOMPARE(passiveFencingHistory(kPassive), fencings);
}

// Moving the application back while understudyd stalls for 60 s: the takeover's stop cannot
// release within its 30 s timeout, succeeds anyway (a failed stop would get erp-passive fenced
// under the application), and the release it left pending goes through once the service
// answers again.
void TestClusterFailover::aServiceStallDuringFailbackFencesNobody() {
    bringBackPhys();
    // Everything settled first: the stall is the stop's alone.
    LAB_VERIFY(lab_, kPhys,
               lab_.waitFor(
                   [&] {
                       return lab_.runsOn(kPhys, QStringLiteral("erp-fence-passive"), kPhys) &&
                              lab_.runsOn(kPhys, QStringLiteral("erp-physical"), kPhys);
                   },
                   kSettleMs));
    const QString fencings = passiveFencingHistory(kPassive);
    QElapsedTimer clock;
    clock.start();
    ServiceStall stall(service_.service().pid());
    QVERIFY(stall.stalled());
    moveApplicationToPhys(kStallMs);
    QVERIFY2(clock.elapsed() < kStallMs,
             "the takeover's stop outlasted the stall: nothing was tested");
    QTest::qWait(static_cast<int>(kStallMs - clock.elapsed()));
    QVERIFY(lab_.pacemakerLog(kPassive).contains(QStringLiteral("kept pending on this node")));
    stall.end();
    QVERIFY(lab_.running(kPassive));
    QCOMPARE(passiveFencingHistory(kPhys), fencings);
    QVERIFY(
        lab_.waitFor([&] { return service_.state(kPassive) == QLatin1String("standby"); }, 30000));
    QCOMPARE(service_.liveMemoryMib(kPassive), 1024);
    clearMove();
}

// on_denied=standby, without the rule that needs readiness: with hog holding the memory, the
// failover runs the application on the passive node at its standby size, flagged
// understudy-degraded=1; once hog releases, the takeover's monitor gets the grant and clears
// the flag.
void TestClusterFailover::onDeniedStandbyRunsDegradedUntilGranted() {
    const Run standby =
        lab_.crmResource(kPhys, {QStringLiteral("--resource"), QStringLiteral("erp-takeover"),
                                 QStringLiteral("--set-parameter"), QStringLiteral("on_denied"),
                                 QStringLiteral("--parameter-value"), QStringLiteral("standby")});
    QVERIFY2(standby.exit_code == 0, qPrintable(standby.describe()));
    const Run unruled =
        lab_.exec(kPhys, {QStringLiteral("cibadmin"), QStringLiteral("--delete"),
                          QStringLiteral("--xml-text"),
                          QStringLiteral("<rsc_location id=\"erp-app-needs-capacity\"/>")});
    QVERIFY2(unruled.exit_code == 0, qPrintable(unruled.describe()));
    const Run taken = service_.service().ctl(
        hog_token_, {QStringLiteral("takeover"), QStringLiteral("hog-passive")});
    QVERIFY2(taken.exit_code == 0, qPrintable(taken.describe()));

    failOver();
    const auto takeover = lab_.resource(kPassive, QStringLiteral("erp-takeover"));
    QVERIFY(takeover && takeover->node == kPassive && !takeover->failed);
    QCOMPARE(passiveAttribute(QStringLiteral("understudy-degraded")), QStringLiteral("1"));
    QCOMPARE(service_.state(kPassive), QStringLiteral("standby"));
    QCOMPARE(service_.liveMemoryMib(kPassive), 1024);

    const Run released = service_.service().ctl(
        hog_token_, {QStringLiteral("release"), QStringLiteral("hog-passive")});
    QVERIFY2(released.exit_code == 0, qPrintable(released.describe()));
    LAB_VERIFY(lab_, kPassive,
               lab_.waitFor(
                   [&] {
                       return passiveAttribute(QStringLiteral("understudy-degraded")).isEmpty() &&
                              service_.state(kPassive) == QLatin1String("active");
                   },
                   30000));
    QCOMPARE(service_.liveMemoryMib(kPassive), 8192);
    bringBackPhysAndFailBack();
    QCOMPARE(service_.state(kPassive), QStringLiteral("standby"));
}

// stonith_admin --fence is an "off": the passive node's domain goes off (and with it, through
// the lab's power hook, the namespace standing in for the guest), nothing else does.
void TestClusterFailover::fencingThePassiveTurnsOffItsDomainOnly() {
    const Run fenced = fence(kPhys, kPassive);
    QVERIFY2(fenced.exit_code == 0, qPrintable(fenced.describe()));
    const QJsonArray offs = service_.events(QStringLiteral("erp"), QStringLiteral("fence.off"));
    QCOMPARE(offs.size(), 1);
    QCOMPARE(offs.at(0).toObject().value(QStringLiteral("node")).toString(), kPassive);
    QCOMPARE(service_.state(kPassive), QStringLiteral("fenced"));
    QVERIFY(lab_.waitFor([&] { return !lab_.running(kPassive); }, 10000));
    // Only erp's domain: hog's passive node kept running.
    QCOMPARE(service_.events(QStringLiteral("hog"), QStringLiteral("fence")).size(), 0);
    QCOMPARE(service_.state(QStringLiteral("hog-passive")), QStringLiteral("standby"));
    LAB_VERIFY(lab_, kPhys, lab_.waitFor([&] { return !lab_.online(kPhys, kPassive); }, kSettleMs));
    QVERIFY(lab_.runsOn(kPhys, QStringLiteral("erp-service"), kPhys));
}

void TestClusterFailover::fencingWithAnotherClustersTokenIsRefused() {
    reconfigureFencePassive(QStringLiteral("token_file"), hog_token_);
    const Run refused = fence(kPhys, kPassive);
    reconfigureFencePassive(QStringLiteral("token_file"), erp_token_);
    QVERIFY2(refused.exit_code != 0, qPrintable(refused.describe()));
    const Run history =
        lab_.exec(kPhys, {QStringLiteral("stonith_admin"), QStringLiteral("--history"), kPassive,
                          QStringLiteral("--verbose")});
    QVERIFY2(history.out.contains(QStringLiteral("failed")), qPrintable(history.describe()));
    // pacemaker-fenced 2.1 keeps a fence agent's stderr for its log (stonith_admin can only say
    // "No data available"): the service's reason is there, on the line of the refusal.
    QVERIFY2(lab_.pacemakerLog(kPhys).contains(QRegularExpression(
                 QStringLiteral("fence_understudy\\[\\d+\\] stderr: \\[ Failed: .*"
                                "belongs to cluster 'hog'.*HTTP 403"))),
             "the refusal's reason is not in erp-phys's pacemaker.log");
    QCOMPARE(service_.events(QStringLiteral("erp"), QStringLiteral("fence")).size(), 1);
}

void TestClusterFailover::fencingAnotherClustersNodeIsRefused() {
    QVERIFY2(!lab_.pacemakerLog(kPhys).contains(QStringLiteral("ignoring unknown option")),
             "fence_understudy warned about an option pacemaker-fenced passes");
    reconfigureFencePassive(QStringLiteral("pcmk_host_map"),
                            QStringLiteral("erp-passive:hog-passive"));
    const Run refused = fence(kPhys, kPassive);
    reconfigureFencePassive(QStringLiteral("pcmk_host_map"),
                            QStringLiteral("erp-passive:erp-passive"));
    QVERIFY2(refused.exit_code != 0, qPrintable(refused.describe()));
    QCOMPARE(service_.events(QStringLiteral("hog"), QStringLiteral("fence")).size(), 0);
    QCOMPARE(service_.state(QStringLiteral("hog-passive")), QStringLiteral("standby"));
}

void TestClusterFailover::cleanupTestCase() {
    QVERIFY(lab_.down());
}

UNDERSTUDY_CLUSTER_TEST_MAIN(TestClusterFailover)
#include "test_cluster_failover.moc"

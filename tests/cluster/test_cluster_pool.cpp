// The pool's manager survives its appliance: three appliance nodes (pool-1..3, each a libvirtd
// with the test driver in its namespace) form the pool's own Pacemaker cluster, which runs
// understudyd as the README configures it (group `understudy`: the database's filesystem bind-
// mounted from the lab's shared folder, the floating address 10.99.0.2, the service), fenced by
// the lab's power switch. A live ERP cluster (erp_cluster.h) asks the service at the floating
// address; its passive node's domain lives on an appliance that survives. The slots run in
// order, each from where the one before left the pool: the service's appliance dies (the
// manager's failover), the pool's alert agent has it declared lost and its standby nodes move
// to the survivors, a surviving appliance is cut off from the service and comes back, the
// service, inside the pool, fences a passive node through the lab's power hook, the lost
// appliance is powered on again and rejoins without any node running twice, and a second live
// cluster whose passive node was on an appliance that is then lost is ready again once that
// node has moved.
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QMap>
#include <QProcess>
#include <QSet>

#include "tests/cluster/cluster_lab.h"
#include "tests/cluster/erp_cluster.h"
#include "tests/cluster/pool_cluster.h"

using namespace understudy::tests;

namespace {

constexpr int kSettleMs = 60000;
// The pool's corosync token: a dead appliance is seen within about 2 s.
constexpr int kPoolTokenMs = 1000;
// The manager's failover goal (kill -> first takeover granted again) with that token.
constexpr qint64 kManagerFailoverGoalMs = 15000;

const QStringList kAppliances = {QStringLiteral("pool-1"), QStringLiteral("pool-2"),
                                 QStringLiteral("pool-3")};
const QString kErp = QStringLiteral("erp");
const QString kPhys = QStringLiteral("erp-phys");
const QString kPassive = QStringLiteral("erp-passive");
// The live cluster whose passive node is on the appliance lost last.
const QString kCrm = QStringLiteral("crm");
const QString kCrmPassive = QStringLiteral("crm-passive");
const QString kReady = QStringLiteral("understudy-ready");
// The evacuated node the rejoin slot puts a stale copy of on the appliance that comes back.
const QString kCopied = QStringLiteral("moving-1-passive");

// The clusters whose passive nodes are on the appliance that dies: moving-1..3.
constexpr int kMovingClusters = 3;

QByteArray movingFleet(const QString& appliance) {
    QStringList clusters;
    for (int i = 1; i <= kMovingClusters; ++i) {
        clusters << QStringLiteral(
                        R"({"name": "moving-%1", "priority": 500, "mtbf_hours": 8760,
   "mttr_hours": 24, "appliance": "%2", "standby": {"vcpus": 1, "memory_mib": 64},
   "active": {"vcpus": 1, "memory_mib": 128}})")
                        .arg(i)
                        .arg(appliance);
    }
    return QStringLiteral(R"({"clusters": [%1]})").arg(clusters.join(QLatin1Char(','))).toUtf8();
}

// A live cluster (erp_cluster.h) whose passive node is on APPLIANCE.
QByteArray liveFleet(const QString& cluster, const QString& appliance) {
    return QStringLiteral(R"({"clusters": [
  {"name": "%1", "priority": 900, "mtbf_hours": 8760, "mttr_hours": 24, "appliance": "%2",
   "standby": {"vcpus": 1, "memory_mib": 256}, "active": {"vcpus": 2, "memory_mib": 1024}}]})")
        .arg(cluster, appliance)
        .toUtf8();
}

// Registers small clusters on APPLIANCE one after the other and takes over each one's passive
// node, until the file STOP exists; prints each acknowledged registration and grant. A request
// the service did not answer is not retried: it may or may not have been applied.
const QString kRegistrationLoop = QStringLiteral(R"(
ctl=$1 url=$2 token=$3 appliance=$4 dir=$5 stop=$6
ask() { "${ctl}" --url "${url}" --token-file "${token}" --timeout 3 "$@" >/dev/null 2>&1; }
i=0
while [ ! -e "${stop}" ]; do
    i=$((i + 1))
    name=reg-${i}
    printf '{"clusters": [{"name": "%s", "priority": 100, "mtbf_hours": 8760, "mttr_hours": 24, "appliance": "%s", "standby": {"vcpus": 1, "memory_mib": 32}, "active": {"vcpus": 1, "memory_mib": 64}}]}' \
        "${name}" "${appliance}" >"${dir}/${name}.json"
    if ask clusters add "${dir}/${name}.json"; then
        echo "registered ${name}"
        if ask takeover "${name}-passive"; then echo "granted ${name}-passive"; fi
    else
        sleep 0.2
    fi
done
)");

}  // namespace

class TestClusterPool : public QObject {
    Q_OBJECT

public:
    TestClusterPool()
        : lab_(QStringLiteral(UNDERSTUDY_CLUSTER_LAB_DIR "/pool")), pool_(lab_, poolOptions()) {}

private slots:
    void initTestCase();
    void theReadmeShowsThisConfiguration();
    void theServicesApplianceDiesDuringTakeoversAndRegistrations();
    void theFencedApplianceIsDeclaredLostAndItsStandbyNodesMove();
    void anApplianceCutOffFromTheServiceFailsFastAndComesBack();
    void fencingAPassiveFromThePoolPowersItsNamespaceOff();
    void theLostApplianceComesBackLostAndRejoinsWithoutRunningANodeTwice();
    void readinessRecoversOnceTheLostAppliancesPassiveNodeMoved();
    void cleanupTestCase();

private:
    static PoolOptions poolOptions() {
        PoolOptions options;
        options.appliances = kAppliances;
        return options;
    }
    // The appliance node understudyd runs on, as `observer` sees it ("" when it runs nowhere).
    QString serviceNode(const QString& observer) const {
        const auto view = lab_.resource(observer, pool::kService);
        return view && view->role == QLatin1String("Started") ? view->node : QString();
    }
    void startPool();
    // Registers CLUSTER with its passive node on `appliance`, starts its nodes CLUSTER-phys and
    // CLUSTER-passive and waits until the application runs on the physical node and the passive
    // node is ready.
    void startLiveCluster(const QString& cluster, const QString& appliance);
    // Milliseconds from `since` to the event's time.
    static qint64 msAfter(const QDateTime& since, const QJsonObject& event) {
        return since.msecsTo(QDateTime::fromString(event.value(QStringLiteral("time")).toString(),
                                                   Qt::ISODateWithMs));
    }

    // The first event of `kind` (about `node`, when given) at or after `since`; {} when none.
    static QJsonObject firstEventAfter(const QJsonArray& events, const QDateTime& since,
                                       const QString& kind, const QString& node = {}) {
        for (const QJsonValue& value : events) {
            const QJsonObject event = value.toObject();
            if (msAfter(since, event) >= 0 && event.value(QStringLiteral("kind")) == kind &&
                (node.isEmpty() || event.value(QStringLiteral("node")) == node)) {
                return event;
            }
        }
        return {};
    }
    // What the registration loop printed after `prefix`, one per line.
    static QStringList acknowledged(const QString& output, const QString& prefix) {
        QStringList names;
        for (const QString& line : output.split(QLatin1Char('\n'))) {
            if (line.startsWith(prefix)) {
                names << line.mid(prefix.size());
            }
        }
        return names;
    }
    void verifyKept(const QStringList& registered, const QStringList& grants);
    void verifyEventIdsGapFree();
    // GET /appliances/{name}.
    QJsonObject appliance(const QString& name) const {
        return pool_.admin({QStringLiteral("--json"), QStringLiteral("appliances"), name}, 2)
            .json();
    }
    // The appliance's state as the service reports it.
    QString applianceState(const QString& name) const {
        return appliance(name).value(QStringLiteral("state")).toString();
    }
    // virsh against the appliance's libvirtd, over the lab's network as the service reaches it.
    Run virsh(const QString& appliance, const QStringList& arguments) const {
        return runProgram(
            QStringLiteral("virsh"),
            QStringList{QStringLiteral("-q"), QStringLiteral("-c"),
                        QStringLiteral("test+tcp://%1/default").arg(lab_.address(appliance))} +
                arguments,
            QProcessEnvironment::systemEnvironment());
    }
    // The domains the appliance's libvirtd holds (`defined`: shut off ones too), without the
    // lab's own `test` (node-init); false when virsh failed.
    bool domainsOn(const QString& appliance, bool defined, QStringList* names) const {
        QStringList arguments = {QStringLiteral("list"), QStringLiteral("--name")};
        if (defined) {
            arguments << QStringLiteral("--all");
        }
        const Run listed = virsh(appliance, arguments);
        *names = listed.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        names->removeAll(QStringLiteral("test"));
        return listed.exit_code == 0;
    }
    void verifyNoDomainOnTwoAppliances();
    // POST /nodes/{node}/takeover with the admin token, and how long the answer took.
    Run timedTakeover(const QString& node, qint64* elapsed_ms) const {
        QElapsedTimer clock;
        clock.start();
        const Run run = pool_.admin({QStringLiteral("takeover"), node}, 10);
        *elapsed_ms = clock.elapsed();
        return run;
    }

    ClusterLab lab_;
    PoolService pool_;
    // Where the service runs; after the first slot, the appliance that died under it.
    QString service_node_;
    QString dead_appliance_;
    QDateTime killed_at_;
    // A node the registration loop got a grant for (on loop_appliance_).
    QString loop_node_;
    // The appliance that holds erp's passive node, and the one the registrations go to.
    QString erp_appliance_;
    QString loop_appliance_;
};

void TestClusterPool::startPool() {
    QString why;
    QVERIFY2(lab_.up(kAppliances, &why, QStringLiteral("pool"), kPoolTokenMs,
                     ClusterLab::NodeKind::appliance),
             qPrintable(why));
    QVERIFY(pool_.prepare());
    const Run configured = lab_.configure(kAppliances.first(), poolResources(pool_.options()),
                                          poolConstraints(pool_.options()),
                                          poolAlerts(pool_.url(), pool_.alertTokenFileInNode()));
    QVERIFY2(configured.exit_code == 0, qPrintable(configured.describe()));
    LAB_VERIFY(
        lab_, kAppliances.first(),
        lab_.waitFor([&] { return !serviceNode(kAppliances.first()).isEmpty(); }, kSettleMs));
    service_node_ = serviceNode(kAppliances.first());
    QVERIFY(lab_.runsOn(service_node_, pool::kIp, service_node_));
    const Run status = pool_.admin({QStringLiteral("status")});
    QVERIFY2(status.exit_code == 0, qPrintable(status.describe()));
    QStringList survivors = kAppliances;
    survivors.removeAll(service_node_);
    erp_appliance_ = survivors.at(0);
    loop_appliance_ = survivors.at(1);
    // Standby nodes on the appliance that will die, for its survivors to take in.
    QVERIFY2(pool_.add(movingFleet(service_node_), QStringLiteral("moving"), &why),
             qPrintable(why));
}

void TestClusterPool::startLiveCluster(const QString& cluster, const QString& appliance) {
    const QString phys = cluster + QStringLiteral("-phys");
    const QString passive = cluster + QStringLiteral("-passive");
    QString why;
    QVERIFY2(pool_.add(liveFleet(cluster, appliance), cluster, &why), qPrintable(why));
    ErpClusterOptions options;
    options.cluster = cluster;
    options.url = pool_.url();
    options.token_file = pool_.tokenFileInNode(cluster);
    QVERIFY(!options.token_file.isEmpty());
    QVERIFY2(lab_.up({phys, passive}, &why, cluster, 1000), qPrintable(why));
    const Run configured = lab_.configure(phys, erpResources(options), erpConstraints(options));
    QVERIFY2(configured.exit_code == 0, qPrintable(configured.describe()));
    LAB_VERIFY(lab_, phys,
               lab_.waitFor(
                   [&] {
                       return lab_.runsOn(phys, cluster + QStringLiteral("-service"), phys) &&
                              lab_.attribute(passive, passive, kReady) == QLatin1String("1");
                   },
                   kSettleMs));
    QCOMPARE(pool_.state(passive), QStringLiteral("standby"));
}

void TestClusterPool::initTestCase() {
    startPool();
    if (QTest::currentTestFailed()) {
        return;
    }
    startLiveCluster(kErp, erp_appliance_);
}

void TestClusterPool::verifyKept(const QStringList& registered, const QStringList& grants) {
    const QStringList kept = pool_.clusters();
    const QSet<QString> clusters(kept.begin(), kept.end());
    for (const QString& name : registered) {
        QVERIFY2(clusters.contains(name),
                 qPrintable(name + QStringLiteral(" was acknowledged, then lost")));
    }
    for (const QString& node : grants) {
        QCOMPARE(pool_.state(node), QStringLiteral("active"));
    }
}

// Event ids are consecutive from the first to the last.
void TestClusterPool::verifyEventIdsGapFree() {
    const QJsonArray events = pool_.events();
    QVERIFY(!events.isEmpty());
    qint64 previous = events.first().toObject().value(QStringLiteral("id")).toInteger() - 1;
    for (const QJsonValue& value : events) {
        const qint64 id = value.toObject().value(QStringLiteral("id")).toInteger();
        QCOMPARE(id, previous + 1);
        previous = id;
    }
}

// The README's pcs and crmsh examples set what this test's CIB sets (poolResources()).
void TestClusterPool::theReadmeShowsThisConfiguration() {
    QFile readme(sourcePath(QStringLiteral("README.md")));
    QVERIFY(readme.open(QIODevice::ReadOnly));
    const QStringList misses = readmeMisses(QString::fromUtf8(readme.readAll()));
    QVERIFY2(misses.isEmpty(),
             qPrintable(QStringLiteral("README.md lacks:\n") + misses.join(QLatin1Char('\n'))));
}

// While registrations and grants are posted in a loop, the appliance running the service and
// erp's physical node lose their power together. The pool fences its appliance and starts the
// group on a survivor, over the same database; erp's takeover, asked while no service
// answered, is retried by its agent and granted. Every acknowledged write is there afterwards
// and the events are gap-free.
void TestClusterPool::theServicesApplianceDiesDuringTakeoversAndRegistrations() {
    const QString loop_dir = lab_.dir() + QStringLiteral("/registrations");
    const QString stop_file = loop_dir + QStringLiteral("/stop");
    QVERIFY(QDir().mkpath(loop_dir));
    QProcess loop;
    loop.start(QStringLiteral("bash"),
               {QStringLiteral("-c"), kRegistrationLoop, QStringLiteral("registration-loop"),
                QStringLiteral(UNDERSTUDYCTL), pool_.url(), pool_.adminTokenFile(), loop_appliance_,
                loop_dir, stop_file});
    QVERIFY(loop.waitForStarted());
    QTest::qWait(2000);

    const QString observer = erp_appliance_;
    const QDateTime killed_at = QDateTime::currentDateTimeUtc();
    killed_at_ = killed_at;
    QElapsedTimer clock;
    clock.start();
    QVERIFY(lab_.kill(service_node_));
    QVERIFY(lab_.kill(kPhys));

    // erp's takeover agent asks while the pool is still without its service.
    qint64 asked_ms = -1;
    const QString asking = QStringLiteral("for the takeover of %1").arg(kPassive);
    LAB_VERIFY(lab_, kPassive,
               lab_.waitFor(
                   [&] {
                       if (asked_ms < 0 && lab_.pacemakerLog(kPassive).contains(asking)) {
                           asked_ms = clock.elapsed();
                       }
                       return pool_.state(kPassive, 1) == QLatin1String("active");
                   },
                   kSettleMs));
    QFile(stop_file).open(QIODevice::WriteOnly);
    QVERIFY(loop.waitForFinished(15000));

    const QJsonArray events = pool_.events();
    const QJsonObject restarted =
        firstEventAfter(events, killed_at, QStringLiteral("service.started"));
    const QJsonObject granted =
        firstEventAfter(events, killed_at, QStringLiteral("takeover.granted"), kPassive);
    QVERIFY2(!restarted.isEmpty(), "no service.started after the kill");
    QVERIFY2(!granted.isEmpty(), "no takeover.granted of erp-passive after the kill");
    const qint64 failover_ms = msAfter(killed_at, granted);
    qInfo(
        "power cut of %s (the service's appliance) and erp-phys -> service started on a "
        "survivor: %lld ms, erp's takeover asked at %lld ms, first takeover granted again: "
        "%lld ms",
        qPrintable(service_node_), static_cast<long long>(msAfter(killed_at, restarted)),
        static_cast<long long>(asked_ms), static_cast<long long>(failover_ms));
    QVERIFY2(asked_ms >= 0 && asked_ms < msAfter(killed_at, restarted),
             "erp's takeover was not asked while the service was down: nothing was in flight");
    QVERIFY2(failover_ms < kManagerFailoverGoalMs,
             qPrintable(QStringLiteral("manager failover took %1 ms").arg(failover_ms)));

    // The pool fenced the dead appliance (off: it stays down) and runs the group on a survivor.
    QVERIFY(!lab_.running(service_node_));
    const Run history = lab_.exec(
        observer, {QStringLiteral("stonith_admin"), QStringLiteral("--history"), service_node_});
    QVERIFY2(history.out.contains(QStringLiteral("successful")), qPrintable(history.describe()));
    const QString new_node = serviceNode(observer);
    QVERIFY(!new_node.isEmpty() && new_node != service_node_);
    QVERIFY(lab_.runsOn(observer, pool::kFs, new_node));
    QVERIFY(lab_.runsOn(observer, pool::kIp, new_node));

    // erp's takeover was retried and granted: the application runs on its passive node.
    LAB_VERIFY(
        lab_, kPassive,
        lab_.waitFor([&] { return lab_.runsOn(kPassive, QStringLiteral("erp-service"), kPassive); },
                     kSettleMs));
    const auto takeover = lab_.resource(kPassive, QStringLiteral("erp-takeover"));
    QVERIFY(takeover && takeover->node == kPassive && !takeover->failed);

    // Every acknowledged registration and grant is in the database the new service opened.
    const QString output = QString::fromUtf8(loop.readAllStandardOutput());
    const QStringList registered = acknowledged(output, QStringLiteral("registered "));
    const QStringList grants = acknowledged(output, QStringLiteral("granted "));
    QVERIFY2(registered.size() >= 2, "the loop registered next to nothing");
    verifyKept(registered, grants);
    if (QTest::currentTestFailed()) {
        return;
    }
    qInfo("%lld registrations and %lld grants acknowledged around the kill, all kept",
          static_cast<long long>(registered.size()), static_cast<long long>(grants.size()));
    QVERIFY(!grants.isEmpty());
    loop_node_ = grants.first();
    dead_appliance_ = service_node_;
    service_node_ = new_node;

    verifyEventIdsGapFree();
}

// The pool's alert agent, on the fencing of the dead appliance, declared it lost at the service
// (retrying while the service moved and until it saw the appliance gone); its standby nodes were
// defined and started on the survivors.
void TestClusterPool::theFencedApplianceIsDeclaredLostAndItsStandbyNodesMove() {
    QVERIFY2(!dead_appliance_.isEmpty(), "needs the pool the slot before left");
    LAB_VERIFY(
        lab_, service_node_,
        lab_.waitFor([&] { return applianceState(dead_appliance_) == QLatin1String("lost"); },
                     kSettleMs));
    const QJsonArray events = pool_.events();
    const QJsonObject lost = firstEventAfter(events, killed_at_, QStringLiteral("appliance.lost"));
    QVERIFY(!lost.isEmpty());
    qInfo("power cut of %s -> declared lost by the pool's alert agent: %lld ms",
          qPrintable(dead_appliance_), static_cast<long long>(msAfter(killed_at_, lost)));
    for (int i = 1; i <= kMovingClusters; ++i) {
        const QString node = QStringLiteral("moving-%1-passive").arg(i);
        const QJsonObject evacuated =
            firstEventAfter(events, killed_at_, QStringLiteral("node.evacuated"), node);
        QVERIFY2(!evacuated.isEmpty(), qPrintable(node + QStringLiteral(" was not evacuated")));
        const QJsonObject details = evacuated.value(QStringLiteral("details")).toObject();
        QCOMPARE(details.value(QStringLiteral("from")).toString(), dead_appliance_);
        const QJsonObject now = pool_.node(node);
        QCOMPARE(now.value(QStringLiteral("appliance")).toString(),
                 details.value(QStringLiteral("to")).toString());
        QVERIFY(now.value(QStringLiteral("appliance")).toString() != dead_appliance_);
        QCOMPARE(now.value(QStringLiteral("state")).toString(), QStringLiteral("standby"));
    }
}

// The survivor that does not run the service loses its libvirt link (its pool membership
// stays): the service sees it unreachable, answers requests about its nodes at once with 503
// hypervisor_unavailable while those about the other appliance's nodes are as fast as ever, and
// sees it connected again once the link is back.
void TestClusterPool::anApplianceCutOffFromTheServiceFailsFastAndComesBack() {
    QVERIFY2(!dead_appliance_.isEmpty(), "needs the pool the slot before left");
    QStringList survivors = kAppliances;
    survivors.removeAll(dead_appliance_);
    survivors.removeAll(service_node_);
    QCOMPARE(survivors.size(), 1);
    const QString cut = survivors.first();
    const auto nodeOn = [&](const QString& appliance) {
        return appliance == erp_appliance_ ? kPassive : loop_node_;
    };
    const QString cut_node = nodeOn(cut);
    const QString other_node = nodeOn(service_node_);
    QCOMPARE(applianceState(cut), QStringLiteral("connected"));
    QCOMPARE(applianceState(dead_appliance_), QStringLiteral("lost"));

    const QDateTime cut_at = QDateTime::currentDateTimeUtc();
    QElapsedTimer clock;
    clock.start();
    QVERIFY(lab_.partition(cut));
    // Before the service knows, nothing about the other appliance waits for the cut one.
    qint64 unknown_ms = 0;
    const Run meanwhile = timedTakeover(other_node, &unknown_ms);
    QVERIFY2(meanwhile.exit_code == 0 && unknown_ms < 2000, qPrintable(meanwhile.describe()));
    LAB_VERIFY(lab_, service_node_,
               lab_.waitFor([&] { return applianceState(cut) == QLatin1String("unreachable"); },
                            kSettleMs));
    const qint64 seen_ms = clock.elapsed();

    qint64 cut_ms = 0;
    const Run refused = timedTakeover(cut_node, &cut_ms);
    QVERIFY2(refused.exit_code != 0 && refused.err.contains(QStringLiteral("hypervisor")),
             qPrintable(refused.describe()));
    qint64 other_ms = 0;
    const Run answered = timedTakeover(other_node, &other_ms);
    QVERIFY2(answered.exit_code == 0, qPrintable(answered.describe()));
    qInfo(
        "libvirt link of %s cut -> unreachable after %lld ms; a takeover on it refused in "
        "%lld ms, one on %s answered in %lld ms (understudyctl's start included)",
        qPrintable(cut), static_cast<long long>(seen_ms), static_cast<long long>(cut_ms),
        qPrintable(service_node_), static_cast<long long>(other_ms));
    QVERIFY2(cut_ms < 2000, "a request about the unreachable appliance's node was held");
    QVERIFY2(other_ms < 2000, "a request about a reachable appliance's node slowed down");

    clock.restart();
    QVERIFY(lab_.heal(cut));
    LAB_VERIFY(
        lab_, service_node_,
        lab_.waitFor([&] { return applianceState(cut) == QLatin1String("connected"); }, kSettleMs));
    qInfo("link back -> %s connected after %lld ms", qPrintable(cut),
          static_cast<long long>(clock.elapsed()));
    qint64 back_ms = 0;
    const Run granted = timedTakeover(cut_node, &back_ms);
    QVERIFY2(granted.exit_code == 0, qPrintable(granted.describe()));
    QCOMPARE(pool_.state(cut_node), QStringLiteral("active"));

    int unreachable = 0;
    int reachable = 0;
    for (const QJsonValue& value : pool_.events()) {
        const QJsonObject event = value.toObject();
        if (msAfter(cut_at, event) < 0 || event.value(QStringLiteral("details"))
                                                  .toObject()
                                                  .value(QStringLiteral("appliance"))
                                                  .toString() != cut) {
            continue;
        }
        const QString kind = event.value(QStringLiteral("kind")).toString();
        unreachable += kind == QLatin1String("appliance.unreachable") ? 1 : 0;
        reachable += kind == QLatin1String("appliance.reachable") ? 1 : 0;
    }
    QCOMPARE(unreachable, 1);
    QCOMPARE(reachable, 1);
}

// The service runs its power hook inside an appliance node, where the lab's PIDs are out of
// reach: the hook asks the lab's watcher, which cuts erp-passive's power as fencing its VM would.
void TestClusterPool::fencingAPassiveFromThePoolPowersItsNamespaceOff() {
    QVERIFY(lab_.running(kPassive));
    const Run fenced = pool_.admin({QStringLiteral("power"), kPassive, QStringLiteral("off")});
    QVERIFY2(fenced.exit_code == 0, qPrintable(fenced.describe()));
    QVERIFY(lab_.waitFor([&] { return !lab_.running(kPassive); }, 10000));
    QCOMPARE(pool_.state(kPassive), QStringLiteral("fenced"));
}

// Every domain the pool's appliances hold is on one of them only, and each evacuated node's is
// on the appliance the service places the node on.
void TestClusterPool::verifyNoDomainOnTwoAppliances() {
    QMap<QString, QStringList> holders;
    for (const QString& appliance : kAppliances) {
        QStringList names;
        QVERIFY2(domainsOn(appliance, true, &names), qPrintable(appliance));
        for (const QString& name : names) {
            holders[name] << appliance;
        }
    }
    for (auto held = holders.cbegin(); held != holders.cend(); ++held) {
        QVERIFY2(held.value().size() == 1,
                 qPrintable(QStringLiteral("%1 is on %2")
                                .arg(held.key(), held.value().join(QStringLiteral(", ")))));
    }
    for (int i = 1; i <= kMovingClusters; ++i) {
        const QJsonObject node = pool_.node(QStringLiteral("moving-%1-passive").arg(i));
        QCOMPARE(holders.value(node.value(QStringLiteral("domain")).toString()),
                 QStringList{node.value(QStringLiteral("appliance")).toString()});
    }
}

// The appliance lost in the slots before is powered on again. Its libvirtd comes back empty (the
// lab's test driver keeps nothing), the pool takes the node back, and the service reconnects to
// it but keeps it lost and starts nothing there. A copy of an evacuated node is put back on it,
// running, as a host that kept its disks would hold one; the rejoin destroys and undefines that
// copy, returns the appliance to the pool and moves nothing back.
void TestClusterPool::theLostApplianceComesBackLostAndRejoinsWithoutRunningANodeTwice() {
    QVERIFY2(!dead_appliance_.isEmpty(), "needs the pool the slot before left");
    const QString back = dead_appliance_;
    QCOMPARE(applianceState(back), QStringLiteral("lost"));
    QElapsedTimer clock;
    clock.start();
    QVERIFY(lab_.start(back));
    LAB_VERIFY(lab_, service_node_,
               lab_.waitFor(
                   [&] {
                       return appliance(back).value(QStringLiteral("connected")).toBool() &&
                              lab_.online(service_node_, back);
                   },
                   kSettleMs));
    const qint64 reconnected_ms = clock.elapsed();
    QCOMPARE(applianceState(back), QStringLiteral("lost"));
    QStringList there;
    QVERIFY(domainsOn(back, true, &there));
    QVERIFY2(there.isEmpty(), qPrintable(QStringLiteral("defined on a lost appliance: ") +
                                         there.join(QStringLiteral(", "))));

    const QJsonObject moved = pool_.node(kCopied);
    const QString domain = moved.value(QStringLiteral("domain")).toString();
    const QString holder = moved.value(QStringLiteral("appliance")).toString();
    QVERIFY(!domain.isEmpty() && holder != back);
    const Run xml = virsh(holder, {QStringLiteral("dumpxml"), domain});
    QVERIFY2(xml.exit_code == 0, qPrintable(xml.describe()));
    const QString copy = lab_.dir() + QStringLiteral("/stale-copy.xml");
    writeFile(copy, xml.out.toUtf8());
    for (const QStringList& step : {QStringList{QStringLiteral("define"), copy},
                                    QStringList{QStringLiteral("start"), domain}}) {
        const Run done = virsh(back, step);
        QVERIFY2(done.exit_code == 0, qPrintable(done.describe()));
    }
    // The service, which sees that copy, leaves it alone while the appliance is lost.
    QVERIFY(domainsOn(back, false, &there));
    QCOMPARE(there, QStringList{domain});
    QCOMPARE(applianceState(back), QStringLiteral("lost"));

    const QDateTime asked = QDateTime::currentDateTimeUtc();
    const Run rejoined = pool_.admin({QStringLiteral("appliance"), QStringLiteral("rejoin"), back});
    QVERIFY2(rejoined.exit_code == 0, qPrintable(rejoined.describe()));
    QCOMPARE(applianceState(back), QStringLiteral("connected"));
    const QJsonObject event =
        firstEventAfter(pool_.events(), asked, QStringLiteral("appliance.rejoined"));
    QCOMPARE(event.value(QStringLiteral("details"))
                 .toObject()
                 .value(QStringLiteral("removed"))
                 .toArray(),
             QJsonArray{domain});
    QVERIFY(domainsOn(back, true, &there));
    QVERIFY2(there.isEmpty(), qPrintable(there.join(QStringLiteral(", "))));
    QCOMPARE(pool_.node(kCopied).value(QStringLiteral("appliance")).toString(), holder);
    verifyNoDomainOnTwoAppliances();
    qInfo(
        "%s powered on -> reconnected, still lost, after %lld ms; rejoined with its stale copy "
        "of %s removed",
        qPrintable(back), static_cast<long long>(reconnected_ms), qPrintable(kCopied));
}

// A second live cluster, crm, has its passive node's domain on the appliance that rejoined. That
// appliance is shut down in order: its libvirtd closes the service's connection, so the service
// sees it unreachable at once (after a power cut libvirt's keepalive takes about 20 s), and the
// pool does not fence a node that left it cleanly, so the administrator declares it lost. crm's
// passive node is not ready while its appliance is unreachable, and ready again once its domain
// runs on a survivor.
void TestClusterPool::readinessRecoversOnceTheLostAppliancesPassiveNodeMoved() {
    QVERIFY2(!dead_appliance_.isEmpty(), "needs the pool the slot before left");
    const QString lost = dead_appliance_;
    QCOMPARE(applianceState(lost), QStringLiteral("connected"));
    startLiveCluster(kCrm, lost);
    if (QTest::currentTestFailed()) {
        return;
    }
    const auto ready = [&] { return lab_.attribute(kCrmPassive, kCrmPassive, kReady); };
    QElapsedTimer clock;
    clock.start();
    QVERIFY(lab_.stop(lost));
    LAB_VERIFY(lab_, service_node_,
               lab_.waitFor([&] { return applianceState(lost) == QLatin1String("unreachable"); },
                            kSettleMs));
    LAB_VERIFY(lab_, kCrmPassive,
               lab_.waitFor([&] { return ready() == QLatin1String("0"); }, kSettleMs));
    const qint64 not_ready_ms = clock.elapsed();

    const QDateTime declared_at = QDateTime::currentDateTimeUtc();
    clock.restart();
    const Run declared = pool_.admin({QStringLiteral("appliance"), QStringLiteral("lost"), lost});
    QVERIFY2(declared.exit_code == 0, qPrintable(declared.describe()));
    LAB_VERIFY(lab_, kCrmPassive,
               lab_.waitFor([&] { return ready() == QLatin1String("1"); }, kSettleMs));
    const qint64 ready_ms = clock.elapsed();
    const QJsonObject evacuated =
        firstEventAfter(pool_.events(), declared_at, QStringLiteral("node.evacuated"), kCrmPassive);
    QVERIFY2(!evacuated.isEmpty(), "crm-passive was not evacuated");
    const QJsonObject node = pool_.node(kCrmPassive);
    QVERIFY(node.value(QStringLiteral("appliance")).toString() != lost);
    QCOMPARE(node.value(QStringLiteral("state")).toString(), QStringLiteral("standby"));
    QVERIFY(lab_.runsOn(kCrmPassive, QStringLiteral("crm-service"), QStringLiteral("crm-phys")));
    qInfo(
        "%s shut down -> crm's passive node not ready after %lld ms; declared lost -> ready "
        "again on %s after %lld ms",
        qPrintable(lost), static_cast<long long>(not_ready_ms),
        qPrintable(node.value(QStringLiteral("appliance")).toString()),
        static_cast<long long>(ready_ms));
}

void TestClusterPool::cleanupTestCase() {
    QVERIFY(lab_.down());
}

UNDERSTUDY_CLUSTER_TEST_MAIN(TestClusterPool)
#include "test_cluster_pool.moc"

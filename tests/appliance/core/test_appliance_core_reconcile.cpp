// Reconciliation at start-up on libvirt's test driver: a takeover a dead process reserved but
// never answered is rolled back to the standby footprint, whatever libvirt shows of it; a domain
// carrying Understudy's metadata without a row is reported and never touched.
//
// test:///default keeps its domains while any connection of the process is open, so a
// connection held by the test lets a domain outlive one core and meet the next one, as a real
// hypervisor's domains outlive a killed understudyd.
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

#include "core_fixture.h"
#include "db/database.h"
#include "db/event_log.h"
#include "db/node_repository.h"
#include "tests/support/libvirt_test_main.h"

using namespace understudy;
using namespace understudy::core;
using namespace understudy::hypervisor;
using namespace understudy::policy;
using namespace understudy::core::testing;

namespace {

const std::string kHost = "test:///default";
const sizing::Footprint kStandby{1, 64};
const sizing::Footprint kActive{2, 256};

CoreConfig config() {
    CoreConfig made;
    // test:///default's foreign domain leaves little room: admission warns instead.
    made.policy.admission = AdmissionMode::warn;
    made.appliances.push_back(applianceConfig("pna-1", kHost));
    return made;
}

QJsonObject detailsOf(const db::DBEvent& event) {
    return QJsonDocument::fromJson(QByteArray::fromStdString(event.details)).object();
}

}  // namespace

class CoreReconcileTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void anUnansweredTakeoverIsRolledBackToStandbyAtStart_data();
    void anUnansweredTakeoverIsRolledBackToStandbyAtStart();
    void anOrphanDomainIsReportedCountedAsForeignAndNeverTouched();
    void cleanupTestCase();

private:
    std::unique_ptr<LibvirtHypervisor> keep_;
};

void CoreReconcileTest::initTestCase() {
    auto opened = LibvirtHypervisor::open(kHost);
    QVERIFY_OK(opened);
    keep_ = std::move(*opened);
}

void CoreReconcileTest::cleanupTestCase() {
    keep_.reset();
}

void CoreReconcileTest::anUnansweredTakeoverIsRolledBackToStandbyAtStart_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("grown");
    QTest::newRow("reserved, libvirt untouched") << QStringLiteral("untouched") << false;
    QTest::newRow("reserved, libvirt fully grown") << QStringLiteral("grown") << true;
}

void CoreReconcileTest::anUnansweredTakeoverIsRolledBackToStandbyAtStart() {
    QFETCH(QString, name);
    QFETCH(bool, grown);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string database = dir.filePath(QStringLiteral("core.db")).toStdString();
    const std::string node = name.toStdString() + "-passive";
    {
        auto first = ApplianceCore::open(config(), database, defaultTemplate());
        QVERIFY_OK(first);
        auto registered =
            (*first)
                ->registerClusters({{}, {cluster(name.toStdString(), 500, kStandby, kActive)}})
                .result();
        QVERIFY_OK(registered);
        QVERIFY(registered->accepted);
    }

    // What a process killed between a takeover's reservation and its answer leaves: the node
    // taking over in the books (the reservation's commit), no grant, and libvirt either not yet
    // touched or already at the active footprint.
    {
        auto writer = db::Database::openWriter(database);
        QVERIFY(writer);
        auto row = db::NodeRepository(**writer).byName(node);
        QVERIFY(row && *row);
        QVERIFY(db::NodeRepository(**writer).setState((*row)->id, db::NodeState::TakingOver,
                                                      db::nowMs()));
        db::DBEvent requested;
        requested.time = db::nowMs();
        requested.kind = "takeover.requested";
        requested.cluster = name.toStdString();
        requested.node = node;
        requested.details = R"({"appliance":"pna-1"})";
        QVERIFY(db::EventLog(**writer).append(requested));
    }
    if (grown) {
        QVERIFY(keep_->setMemoryLive(node, kActive.memory_mib));
        QVERIFY(keep_->setVcpusLive(node, static_cast<int>(kActive.vcpus)));
    }
    const db::Id before = eventsIn(database).back().id;

    auto second = ApplianceCore::open(config(), database, defaultTemplate());
    QVERIFY_OK(second);
    ApplianceCore& core = **second;

    auto status = core.node(node);
    QVERIFY(status);
    QCOMPARE(status->state, db::NodeState::Standby);
    QVERIFY(!status->grant.has_value());
    auto info = keep_->domainInfo(node);
    QVERIFY(info);
    QVERIFY(info->active());
    QCOMPARE(info->memoryMib(), kStandby.memory_mib);
    QCOMPARE(std::int64_t{info->vcpus}, kStandby.vcpus);

    const auto logged = eventsIn(database, before);
    QCOMPARE(countKind(logged, "takeover.denied"), std::ptrdiff_t{1});
    QVERIFY(!hasKind(logged, "takeover.granted"));
    QVERIFY(!hasKind(logged, "node.drifted"));
    for (const db::DBEvent& event : logged) {
        if (event.kind == "takeover.denied") {
            QCOMPARE(event.node, std::optional<std::string>(node));
            const QJsonObject details = detailsOf(event);
            QCOMPARE(details.value(QStringLiteral("rolled_back")).toBool(), true);
            QCOMPARE(details.value(QStringLiteral("grown")).toBool(), grown);
            QCOMPARE(details.value(QStringLiteral("was")).toString(),
                     QStringLiteral("taking-over"));
            QVERIFY(!details.value(QStringLiteral("reason")).toString().isEmpty());
        }
    }

    // The model agrees with the books: the node can take over again, and is granted.
    auto again = core.takeover(node).result();
    QVERIFY_OK(again);
    QVERIFY(again->granted);
    QVERIFY(core.release(node).result());
    QVERIFY(core.removeCluster(name.toStdString()).result());
}

void CoreReconcileTest::anOrphanDomainIsReportedCountedAsForeignAndNeverTouched() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string database = dir.filePath(QStringLiteral("core.db")).toStdString();
    // A domain being registered carries the metadata before its row exists: no orphan.
    QTest::failOnWarning(QRegularExpression(QStringLiteral("domain owned-passive carries")));
    auto opened = ApplianceCore::open(config(), database, defaultTemplate());
    QVERIFY_OK(opened);
    ApplianceCore& core = **opened;
    auto registered =
        core.registerClusters({{}, {cluster("owned", 500, kStandby, kActive)}}).result();
    QVERIFY_OK(registered);
    QVERIFY(registered->accepted);
    QVERIFY(core.reconcile().result());
    const auto headroom_before = core.appliances()->front().headroom;

    // Left by another database (or a lost row): Understudy's metadata, no node uses it.
    // Its lifecycle events alone make the core reconcile: expected from here on.
    QTest::ignoreMessage(
        QtWarningMsg,
        QRegularExpression(QStringLiteral("domain orphan-vm carries Understudy's metadata \\(node "
                                          "'ghost-passive' of cluster 'ghost'\\).*left as it is")));
    auto defined = keep_->defineDomain(
        "<domain type='test'><name>orphan-vm</name><memory unit='MiB'>96</memory>"
        "<vcpu>1</vcpu><os><type>hvm</type></os></domain>");
    QVERIFY_OK(defined);
    const NodeMetadata ghost{"ghost", "ghost-passive", {1, 96}, {2, 512}, {}};
    QVERIFY(keep_->setMetadata("orphan-vm", ghost));
    QVERIFY(keep_->start("orphan-vm"));
    const db::Id before = core.lastEventId().value();

    QVERIFY(core.reconcile().result());
    // Reported once, not at every reconciliation.
    QVERIFY(core.reconcile().result());

    auto info = keep_->domainInfo("orphan-vm");
    QVERIFY(info);
    QVERIFY(info->active());
    QCOMPARE(info->memoryMib(), std::int64_t{96});
    QCOMPARE(info->vcpus, 1);
    auto metadata = keep_->getMetadata("orphan-vm");
    QVERIFY(metadata);
    QCOMPARE(*metadata, std::optional<NodeMetadata>(ghost));
    // No node, cluster or event of ours came out of it.
    QCOMPARE(core.nodes()->size(), std::size_t{1});
    QCOMPARE(core.clusters()->size(), std::size_t{1});
    QCOMPARE(eventsIn(database, before).size(), std::size_t{0});
    // What it holds is not available to passive nodes.
    const auto headroom_after = core.appliances()->front().headroom;
    QCOMPARE(headroom_after.foreign.memory_mib, headroom_before.foreign.memory_mib + 96);
    QCOMPARE(headroom_after.free.memory_mib, headroom_before.free.memory_mib - 96);

    QVERIFY(keep_->destroy("orphan-vm"));
    QVERIFY(keep_->undefineDomain("orphan-vm"));
    QVERIFY(core.removeCluster("owned").result());
}

QTEST_MAIN_WITHOUT_GLIB(CoreReconcileTest)
#include "test_appliance_core_reconcile.moc"

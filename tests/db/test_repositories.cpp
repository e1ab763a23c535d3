// The inventory repositories (appliances, groups, clusters, nodes), grants, probe results and
// failover statistics, each against a real database file.
#include <QTemporaryDir>
#include <QtTest>

#include "db/appliance_repository.h"
#include "db/cluster_repository.h"
#include "db/cluster_stats_repository.h"
#include "db/grant_repository.h"
#include "db/group_repository.h"
#include "db/node_repository.h"
#include "db/probe_result_repository.h"
#include "store_fixture.h"

using namespace understudy;
using namespace understudy::db;
using namespace understudy::db::testing;

class TestRepositories : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void appliancesInsertUpsertAndRejectTakenNames();
    void groupsCannotBeRemovedWhileTheyHaveMembers();
    void clustersRoundTripEveryField();
    void clusterValuesOutOfRangeAreRefused_data();
    void clusterValuesOutOfRangeAreRefused();
    void removingAClusterRemovesItsNodeGrantsAndStatistics();
    void nodeStateChangeMovesSinceOnlyOnAChange();
    void aClusterHasOneNodeAndADomainOneOwner();
    void everyNodeStateIsStorable();
    void grantsAreOnePerNodeUntilReleased();
    void grantsRecordPreemptedNodes();
    void probeOutputIsBoundedAndHistoryPruned();
    void observedFailureModelNeedsThreeFailovers();
    void repeatedTakeoverCountsOnce();

private:
    std::unique_ptr<QTemporaryDir> dir_;
    std::unique_ptr<Database> database_;
};

void TestRepositories::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    database_ = openWriter(*dir_);
}

void TestRepositories::cleanup() {
    database_.reset();
    dir_.reset();
}

void TestRepositories::appliancesInsertUpsertAndRejectTakenNames() {
    ApplianceRepository appliances(*database_);
    DBAppliance pna{0, "pna-1", "qemu:///system", 16384, 2, 4.0};
    auto id = appliances.insert(pna);
    QVERIFY_OK(id);
    pna.id = *id;
    auto read = appliances.byName("pna-1");
    QVERIFY_OK(read);
    QVERIFY(*read == pna);
    auto taken = appliances.insert(pna);
    QVERIFY(!taken.ok());
    QCOMPARE(QString::fromStdString(taken.error().code), QStringLiteral("conflict"));

    pna.uri = "qemu+ssh://pna-1/system";
    auto upserted = appliances.upsert(pna);
    QVERIFY_OK(upserted);
    QCOMPARE(*upserted, *id);
    auto all = appliances.list();
    QVERIFY_OK(all);
    QCOMPARE(all->size(), std::size_t{1});
    QCOMPARE(QString::fromStdString(all->front().uri), QStringLiteral("qemu+ssh://pna-1/system"));
    auto missing = appliances.update(DBAppliance{999, "x", "test:///default", 0, 0, 1});
    QCOMPARE(QString::fromStdString(missing.error().code), QStringLiteral("not_found"));
}

void TestRepositories::groupsCannotBeRemovedWhileTheyHaveMembers() {
    GroupRepository groups(*database_);
    auto rack = groups.insert(DBGroup{0, "rack-a", 43800, 6});
    QVERIFY_OK(rack);
    const Inventory inventory = addInventory(*database_);
    ClusterRepository clusters(*database_);
    auto cluster = clusters.byId(inventory.clusterId);
    QVERIFY_OK(cluster);
    DBCluster member = **cluster;
    member.groupId = *rack;
    QVERIFY_OK(clusters.update(member));
    auto members = groups.members(*rack);
    QVERIFY_OK(members);
    QCOMPARE(*members, std::vector<std::string>{"erp"});

    auto refused = groups.remove(*rack);
    QVERIFY(!refused.ok());
    QCOMPARE(QString::fromStdString(refused.error().code), QStringLiteral("conflict"));
    member.groupId.reset();
    QVERIFY_OK(clusters.update(member));
    QVERIFY_OK(groups.remove(*rack));
    auto gone = groups.byName("rack-a");
    QVERIFY_OK(gone);
    QVERIFY(!gone->has_value());
}

void TestRepositories::clustersRoundTripEveryField() {
    const Inventory inventory = addInventory(*database_);
    auto group = GroupRepository(*database_).insert(DBGroup{0, "feed-b", 20000, 2});
    QVERIFY_OK(group);
    DBCluster cluster = sampleCluster("crm", inventory.applianceId);
    cluster.priority = 950;
    cluster.groupId = *group;
    cluster.memoryMode = MemoryMode::Reserved;
    cluster.failureModel = FailureModel::Observed;
    ClusterRepository clusters(*database_);
    auto id = clusters.insert(cluster);
    QVERIFY_OK(id);
    cluster.id = *id;
    auto read = clusters.byName("crm");
    QVERIFY_OK(read);
    QVERIFY(**read == cluster);
    QVERIFY_OK(clusters.setTokenHash(*id, "sha256$new$hash"));
    auto rotated = clusters.byId(*id);
    QVERIFY_OK(rotated);
    QCOMPARE(QString::fromStdString((*rotated)->tokenHash), QStringLiteral("sha256$new$hash"));
    auto onAppliance = clusters.listByAppliance(inventory.applianceId);
    QVERIFY_OK(onAppliance);
    QCOMPARE(onAppliance->size(), std::size_t{2});
}

void TestRepositories::clusterValuesOutOfRangeAreRefused_data() {
    QTest::addColumn<int>("priority");
    QTest::addColumn<qint64>("standbyMemory");
    QTest::addColumn<qint64>("activeMemory");
    QTest::addColumn<qint64>("groupId");
    QTest::newRow("priority above 1000") << 1001 << qint64{1024} << qint64{2048} << qint64{0};
    QTest::newRow("negative priority") << -1 << qint64{1024} << qint64{2048} << qint64{0};
    QTest::newRow("negative memory") << 10 << qint64{-1} << qint64{2048} << qint64{0};
    QTest::newRow("active below standby") << 10 << qint64{4096} << qint64{2048} << qint64{0};
    QTest::newRow("unknown group") << 10 << qint64{1024} << qint64{2048} << qint64{77};
}

void TestRepositories::clusterValuesOutOfRangeAreRefused() {
    QFETCH(int, priority);
    QFETCH(qint64, standbyMemory);
    QFETCH(qint64, activeMemory);
    QFETCH(qint64, groupId);
    const Inventory inventory = addInventory(*database_);
    DBCluster cluster = sampleCluster("bad", inventory.applianceId);
    cluster.priority = priority;
    cluster.standby.memoryMib = standbyMemory;
    cluster.active.memoryMib = activeMemory;
    if (groupId != 0) {
        cluster.groupId = groupId;
    }
    auto id = ClusterRepository(*database_).insert(cluster);
    QVERIFY(!id.ok());
    QCOMPARE(QString::fromStdString(id.error().code), QStringLiteral("invalid_field"));
    auto stats = ClusterStatsRepository(*database_).get(inventory.clusterId + 1, 0);
    QVERIFY_OK(stats);
    QVERIFY(!stats->has_value());
}

void TestRepositories::removingAClusterRemovesItsNodeGrantsAndStatistics() {
    const Inventory inventory = addInventory(*database_);
    QVERIFY_OK(GrantRepository(*database_)
                   .open(DBGrant{0, inventory.nodeId, 8192, 4, false, {}, 5, std::nullopt}));
    QVERIFY_OK(ClusterRepository(*database_).remove(inventory.clusterId));
    auto node = NodeRepository(*database_).byId(inventory.nodeId);
    QVERIFY_OK(node);
    QVERIFY(!node->has_value());
    auto grants = GrantRepository(*database_).listOpen();
    QVERIFY_OK(grants);
    QVERIFY(grants->empty());
    auto stats = ClusterStatsRepository(*database_).get(inventory.clusterId, 0);
    QVERIFY_OK(stats);
    QVERIFY(!stats->has_value());
}

void TestRepositories::nodeStateChangeMovesSinceOnlyOnAChange() {
    const Inventory inventory = addInventory(*database_);
    NodeRepository nodes(*database_);
    auto changed = nodes.setState(inventory.nodeId, NodeState::TakingOver, 2000);
    QVERIFY_OK(changed);
    QVERIFY(*changed);
    auto same = nodes.setState(inventory.nodeId, NodeState::TakingOver, 3000);
    QVERIFY_OK(same);
    QVERIFY(!*same);
    auto node = nodes.byName("erp-passive");
    QVERIFY_OK(node);
    QCOMPARE((*node)->state, NodeState::TakingOver);
    QCOMPARE((*node)->since, TimeMs{2000});
    auto missing = nodes.setState(999, NodeState::Active, 1);
    QCOMPARE(QString::fromStdString(missing.error().code), QStringLiteral("not_found"));
}

void TestRepositories::aClusterHasOneNodeAndADomainOneOwner() {
    const Inventory inventory = addInventory(*database_);
    NodeRepository nodes(*database_);
    auto existing = nodes.byCluster(inventory.clusterId);
    QVERIFY_OK(existing);
    DBNode second = **existing;
    second.name = "erp-passive-2";
    second.domain = "other-domain";
    auto twoNodes = nodes.insert(second);
    QCOMPARE(QString::fromStdString(twoNodes.error().code), QStringLiteral("conflict"));

    const Inventory crm = addInventory(*database_, "crm");
    auto crmNode = nodes.byId(crm.nodeId);
    QVERIFY_OK(crmNode);
    DBNode stealing = **crmNode;
    stealing.domain = "erp-passive";
    auto twoOwners = nodes.update(stealing);
    QCOMPARE(QString::fromStdString(twoOwners.error().code), QStringLiteral("conflict"));
}

void TestRepositories::everyNodeStateIsStorable() {
    const Inventory inventory = addInventory(*database_);
    NodeRepository nodes(*database_);
    for (const auto state : {NodeState::Standby, NodeState::TakingOver, NodeState::Active,
                             NodeState::Releasing, NodeState::Preempted, NodeState::Fenced,
                             NodeState::Stopped, NodeState::Missing, NodeState::Drifted}) {
        QVERIFY_OK(nodes.setState(inventory.nodeId, state, 1));
        auto node = nodes.byId(inventory.nodeId);
        QVERIFY_OK(node);
        QCOMPARE((*node)->state, state);
        QCOMPARE(parseNodeState(nodeStateName(state)), std::optional<NodeState>(state));
    }
}

void TestRepositories::grantsAreOnePerNodeUntilReleased() {
    const Inventory inventory = addInventory(*database_);
    GrantRepository grants(*database_);
    const DBGrant grant{0, inventory.nodeId, 32768, 8, false, {}, 100, std::nullopt};
    auto first = grants.open(grant);
    QVERIFY_OK(first);
    auto second = grants.open(grant);
    QVERIFY(!second.ok());
    QCOMPARE(QString::fromStdString(second.error().code), QStringLiteral("conflict"));
    auto open = grants.openFor(inventory.nodeId);
    QVERIFY_OK(open);
    QCOMPARE((*open)->memoryMib, std::int64_t{32768});

    auto released = grants.release(inventory.nodeId, 500);
    QVERIFY_OK(released);
    QVERIFY(*released);
    auto again = grants.release(inventory.nodeId, 600);
    QVERIFY_OK(again);
    QVERIFY(!*again);
    QVERIFY_OK(grants.open(grant));
    auto history = grants.history(inventory.nodeId, 10);
    QVERIFY_OK(history);
    QCOMPARE(history->size(), std::size_t{2});
    QCOMPARE(history->back().releasedAt, std::optional<TimeMs>(500));
    auto pruned = grants.pruneReleasedBefore(1000);
    QVERIFY_OK(pruned);
    QCOMPARE(*pruned, std::int64_t{1});
}

void TestRepositories::grantsRecordPreemptedNodes() {
    const Inventory erp = addInventory(*database_);
    const Inventory crm = addInventory(*database_, "crm");
    const Inventory web = addInventory(*database_, "web");
    GrantRepository grants(*database_);
    auto id = grants.open(
        DBGrant{0, erp.nodeId, 32768, 6, true, {web.nodeId, crm.nodeId}, 100, std::nullopt});
    QVERIFY_OK(id);
    auto read = grants.byId(*id);
    QVERIFY_OK(read);
    QVERIFY((*read)->partial);
    QCOMPARE((*read)->preemptedNodeIds, (std::vector<Id>{crm.nodeId, web.nodeId}));
    auto open = grants.listOpen();
    QVERIFY_OK(open);
    QCOMPARE(open->size(), std::size_t{1});
}

void TestRepositories::probeOutputIsBoundedAndHistoryPruned() {
    const Inventory inventory = addInventory(*database_);
    ProbeResultRepository probes(*database_);
    // 4095 ASCII bytes then a two-byte character: the cut must not split it.
    const std::string output = std::string(kMaxProbeOutputBytes - 1, 'x') + "\xc3\xa9" + "tail";
    for (int i = 0; i < 5; ++i) {
        QVERIFY_OK(probes.record(DBProbeResult{0, inventory.clusterId, 100 + i, i % 2 == 0,
                                               i == 4 ? output : "Status: ON"},
                                 3));
    }
    auto latest = probes.latest(inventory.clusterId);
    QVERIFY_OK(latest);
    QCOMPARE((*latest)->time, TimeMs{104});
    QVERIFY((*latest)->ok);
    QCOMPARE((*latest)->output.size(), kMaxProbeOutputBytes - 1);
    auto recent = probes.recent(inventory.clusterId, 10);
    QVERIFY_OK(recent);
    QCOMPARE(recent->size(), std::size_t{3});
}

void TestRepositories::observedFailureModelNeedsThreeFailovers() {
    const Inventory inventory = addInventory(*database_);
    ClusterStatsRepository stats(*database_);
    constexpr TimeMs kHour = 3'600'000;
    const TimeMs origin = 1'000'000;  // the sample cluster's registration
    // Failovers at hours 10, 30 and 50 of the window, lasting 2, 4 and (still open) 6 hours.
    QVERIFY_OK(stats.recordTakeover(inventory.clusterId, origin + 10 * kHour));
    QVERIFY_OK(stats.recordRelease(inventory.clusterId, origin + 12 * kHour));
    QVERIFY_OK(stats.recordTakeover(inventory.clusterId, origin + 30 * kHour));
    QVERIFY_OK(stats.recordRelease(inventory.clusterId, origin + 34 * kHour));
    auto two = stats.get(inventory.clusterId, origin + 40 * kHour);
    QVERIFY_OK(two);
    QCOMPARE((*two)->failovers, std::int64_t{2});
    QVERIFY(!(*two)->observedMtbfHours && !(*two)->observedMttrHours);

    QVERIFY_OK(stats.recordTakeover(inventory.clusterId, origin + 50 * kHour));
    auto three = stats.get(inventory.clusterId, origin + 56 * kHour);
    QVERIFY_OK(three);
    const DBClusterStats& s = **three;
    QCOMPARE(s.failovers, std::int64_t{3});
    QCOMPARE(s.completedFailovers, std::int64_t{2});
    QCOMPARE(s.activeMs, 12 * kHour);
    QCOMPARE(s.lastFailover, std::optional<TimeMs>(origin + 50 * kHour));
    QCOMPARE(s.activeSince, std::optional<TimeMs>(origin + 50 * kHour));
    // MTTR from the two completed failovers: (2 + 4) / 2; MTBF: (56 - 12) up hours / 3.
    QCOMPARE(s.observedMttrHours.value_or(-1), 3.0);
    QCOMPARE(s.observedMtbfHours.value_or(-1), 44.0 / 3.0);
}

void TestRepositories::repeatedTakeoverCountsOnce() {
    const Inventory inventory = addInventory(*database_);
    ClusterStatsRepository stats(*database_);
    QVERIFY_OK(stats.recordTakeover(inventory.clusterId, 2'000'000));
    QVERIFY_OK(stats.recordTakeover(inventory.clusterId, 2'500'000));
    QVERIFY_OK(stats.recordRelease(inventory.clusterId, 3'000'000));
    QVERIFY_OK(stats.recordRelease(inventory.clusterId, 4'000'000));
    auto read = stats.get(inventory.clusterId, 5'000'000);
    QVERIFY_OK(read);
    QCOMPARE((*read)->failovers, std::int64_t{1});
    QCOMPARE((*read)->activeMs, std::int64_t{1'000'000});
    QVERIFY(!(*read)->activeSince);
    auto unknown = stats.recordTakeover(9999, 1);
    QCOMPARE(QString::fromStdString(unknown.error().code), QStringLiteral("not_found"));
}

QTEST_GUILESS_MAIN(TestRepositories)
#include "test_repositories.moc"

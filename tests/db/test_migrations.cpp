#include <sqlite3.h>

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include "db/appliance_repository.h"
#include "db/cluster_repository.h"
#include "db/cluster_stats_repository.h"
#include "db/event_log.h"
#include "db/grant_repository.h"
#include "db/group_repository.h"
#include "db/headroom_history.h"
#include "db/migrations.h"
#include "db/node_repository.h"
#include "db/probe_result_repository.h"
#include "store_fixture.h"
#include "tests/support/source_files.h"

using namespace understudy;
using namespace understudy::db;
using namespace understudy::db::testing;

class TestMigrations : public QObject {
    Q_OBJECT
private slots:
    void migrationsAreNumberedConsecutivelyFromOne();
    void freshDatabaseGetsTheLatestVersion();
    void versionOneFixtureMigratesAndReadsBackThroughTheRepositories();
    void eventsOfVersionThreeHaveNoActorAndNewOnesKeepTheirs();
    void versionFiveGainsAnEmptyHeadroomHistoryThatRecordsAndPrunes();
};

void TestMigrations::migrationsAreNumberedConsecutivelyFromOne() {
    int expected = 1;
    for (const auto& migration : migrations()) {
        QCOMPARE(migration.version, expected++);
        QVERIFY(!migration.description.empty());
    }
    QCOMPARE(latestSchemaVersion(), expected - 1);
}

void TestMigrations::freshDatabaseGetsTheLatestVersion() {
    QTemporaryDir dir;
    auto database = openWriter(dir);
    QCOMPARE(database->schemaVersion(), latestSchemaVersion());
}

void TestMigrations::versionOneFixtureMigratesAndReadsBackThroughTheRepositories() {
    QTemporaryDir dir;
    const QString fixture = understudy::testsupport::sourcePath("tests/db/data/schema_v1.db");
    const QString path = dir.filePath("understudy.db");
    QVERIFY2(QFile::copy(fixture, path), qPrintable(fixture));
    QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner);

    auto opened = Database::openWriter(path.toStdString());
    QVERIFY_OK(opened);
    Database& database = **opened;
    QCOMPARE(database.schemaVersion(), latestSchemaVersion());

    auto appliance = ApplianceRepository(database).byName("pna-1");
    QVERIFY_OK(appliance);
    QVERIFY(**appliance == (DBAppliance{1, "pna-1", "qemu:///system", 16384, 2, 4.0}));
    auto group = GroupRepository(database).byName("rack-a");
    QVERIFY_OK(group);
    QCOMPARE((*group)->mttrHours, 6.0);

    auto erp = ClusterRepository(database).byName("erp");
    QVERIFY_OK(erp);
    QCOMPARE((*erp)->priority, 900);
    QCOMPARE((*erp)->groupId, std::optional<Id>(1));
    QCOMPARE((*erp)->active, (Footprint{8, 32768}));
    auto crm = ClusterRepository(database).byName("crm");
    QVERIFY_OK(crm);
    QCOMPARE((*crm)->memoryMode, MemoryMode::Reserved);
    QCOMPARE((*crm)->failureModel, FailureModel::Observed);
    QVERIFY(!(*crm)->groupId);

    auto node = NodeRepository(database).byName("erp-passive");
    QVERIFY_OK(node);
    QCOMPARE((*node)->state, NodeState::Active);
    QVERIFY((*node)->definedByService);
    auto crmNode = NodeRepository(database).byName("crm-passive");
    QVERIFY_OK(crmNode);
    QCOMPARE((*crmNode)->state, NodeState::Preempted);
    QVERIFY(!(*crmNode)->uuid);

    auto grant = GrantRepository(database).openFor(1);
    QVERIFY_OK(grant);
    QCOMPARE((*grant)->preemptedNodeIds, std::vector<Id>{2});
    auto probe = ProbeResultRepository(database).latest(1);
    QVERIFY_OK(probe);
    QCOMPARE(QString::fromStdString((*probe)->output), QStringLiteral("Status: OFF"));

    auto stats = ClusterStatsRepository(database).get(1, 1700000100000);
    QVERIFY_OK(stats);
    QCOMPARE((*stats)->failovers, std::int64_t{4});
    QVERIFY((*stats)->observedMttrHours.has_value());

    EventLog log(database);
    auto page = log.page(EventQuery{0, 100, {}});
    QVERIFY_OK(page);
    QCOMPARE(page->events.size(), std::size_t{6});
    QCOMPARE(page->events.back().id, Id{6});
    // The log keeps counting where version 1 left it.
    auto next = log.append(
        DBEvent{0, 1700000200000, "release", "erp", "erp-passive", "{}", "admin@127.0.0.1"});
    QVERIFY_OK(next);
    QCOMPARE(*next, Id{7});
    auto check = database.integrityCheck();
    QVERIFY_OK(check);
    QVERIFY(check->ok);
}

void TestMigrations::eventsOfVersionThreeHaveNoActorAndNewOnesKeepTheirs() {
    QTemporaryDir dir;
    const QString path = dir.filePath("understudy.db");
    {
        sqlite3* raw = nullptr;
        QCOMPARE(sqlite3_open(path.toUtf8().constData(), &raw), SQLITE_OK);
        ConnectionHandle connection(raw);
        QVERIFY_OK(applyMigrations(raw, 3));
        QVERIFY_OK(change(raw,
                          "INSERT INTO events (time, kind, cluster, node, details) VALUES "
                          "(1700000000000, 'takeover.granted', 'erp', 'erp-passive', '{}'), "
                          "(1700000001000, 'hypervisor.connected', NULL, NULL, '{}')"));
    }

    auto opened = Database::openWriter(path.toStdString());
    QVERIFY_OK(opened);
    Database& database = **opened;
    QCOMPARE(database.schemaVersion(), latestSchemaVersion());
    EventLog log(database);
    DBEvent asked{0, 1700000002000, "release", "erp", "erp-passive", "{}", "cluster:erp@::1"};
    QVERIFY_OK(log.append(asked));
    auto page = log.page(EventQuery{0, 100, {}});
    QVERIFY_OK(page);
    QCOMPARE(page->events.size(), std::size_t{3});
    QCOMPARE(page->events[0].actor, std::optional<std::string>());
    QCOMPARE(page->events[1].actor, std::optional<std::string>());
    QCOMPARE(page->events[2].actor, std::optional<std::string>("cluster:erp@::1"));
    QCOMPARE(page->events[2].id, Id{3});
}

void TestMigrations::versionFiveGainsAnEmptyHeadroomHistoryThatRecordsAndPrunes() {
    QTemporaryDir dir;
    const QString path = dir.filePath("understudy.db");
    {
        sqlite3* raw = nullptr;
        QCOMPARE(sqlite3_open(path.toUtf8().constData(), &raw), SQLITE_OK);
        ConnectionHandle connection(raw);
        QVERIFY_OK(applyMigrations(raw, 5));
        QVERIFY_OK(change(raw,
                          "INSERT INTO appliances (name, uri) VALUES ('pna-1', 'test:///a'), "
                          "('pna-2', 'test:///b')"));
        QVERIFY(!change(raw, "SELECT 1 FROM headroom_samples"));
    }

    auto opened = Database::openWriter(path.toStdString());
    QVERIFY_OK(opened);
    Database& database = **opened;
    QCOMPARE(database.schemaVersion(), 6);
    auto first = ApplianceRepository(database).byName("pna-1");
    auto second = ApplianceRepository(database).byName("pna-2");
    QVERIFY_OK(first);
    QVERIFY_OK(second);
    const Id one = (**first).id;
    const Id two = (**second).id;
    const TimeMs day = 24LL * 3600 * 1000;
    const TimeMs start = 1700000000000;

    HeadroomHistory history(database);
    HeadroomQuery all{one, TimeMs{0}, 100};
    auto none = history.samples(all);
    QVERIFY_OK(none);
    QVERIFY(none->empty());

    const DBHeadroomSample old{one, start, "connected", 40960, 16, 1e-9, 0};
    const DBHeadroomSample full{one, start + day, "connected", -2048, 2, 0.0216, 4};
    const DBHeadroomSample elsewhere{two, start + day, "unreachable", 8192, 8, 0, 0};
    QVERIFY_OK(history.record({old}));
    QVERIFY_OK(history.record({full, elsewhere}));
    auto both = history.samples(all);
    QVERIFY_OK(both);
    QCOMPARE(*both, (std::vector<DBHeadroomSample>{old, full}));
    auto newest = history.samples(HeadroomQuery{one, std::nullopt, 1});
    QVERIFY_OK(newest);
    QCOMPARE(*newest, std::vector<DBHeadroomSample>{full});

    // A week after the first sample it is gone, on every appliance; the rest stays.
    const DBHeadroomSample later{
        two, start + kHeadroomRetentionMs + day / 2, "connected", 8192, 8, 0, 0};
    QVERIFY_OK(history.record({later}));
    auto kept = history.samples(all);
    QVERIFY_OK(kept);
    QCOMPARE(*kept, std::vector<DBHeadroomSample>{full});

    // The table refuses what no sample can be.
    DBHeadroomSample impossible = full;
    impossible.time += 1;
    impossible.denialRisk = 1.5;
    QVERIFY(!history.record({impossible}));
    impossible.denialRisk = 0;
    impossible.state = "asleep";
    QVERIFY(!history.record({impossible}));
}

QTEST_GUILESS_MAIN(TestMigrations)
#include "test_migrations.moc"

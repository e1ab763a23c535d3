#include <QTemporaryDir>
#include <QtTest>

#include "db/cluster_stats_repository.h"
#include "db/event_log.h"
#include "store_fixture.h"

using namespace understudy;
using namespace understudy::db;
using namespace understudy::db::testing;

namespace {

DBEvent makeEvent(const std::string& kind, TimeMs time, std::optional<std::string> cluster = "erp",
                  std::optional<std::string> node = "erp-passive") {
    return DBEvent{
        0, time, kind, std::move(cluster), std::move(node), R"({"n": 1})", "cluster:erp@10.0.0.5"};
}

std::vector<Id> idsOf(const EventPage& page) {
    std::vector<Id> ids;
    for (const auto& e : page.events) {
        ids.push_back(e.id);
    }
    return ids;
}

}  // namespace

Q_DECLARE_METATYPE(understudy::db::EventFilter)

class TestEventLog : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void appendReturnsConsecutiveIdsAndReadsBackEveryField();
    void batchAppendIsAllOrNothing();
    void rejectsUnknownKindsAndDetailsThatAreNotObjects();
    void pagesOldestFirstFromSince();
    void limitIsClamped_data();
    void limitIsClamped();
    void filters_data();
    void filters();
    void countFollowsTheFilter();
    void compactionByCountRemovesOnlyTheOldest();
    void compactionByAgeStopsAtTheFirstYoungEvent();
    void sinceOlderThanTheOldestKeptIsTruncated();
    void emptiedLogStillReportsTruncationAndKeepsCountingIds();
    void compactionKeepsFailoverStatistics();
    void timesFormatAsTheApiWritesThem_data();
    void timesFormatAsTheApiWritesThem();

private:
    std::unique_ptr<QTemporaryDir> dir_;
    std::unique_ptr<Database> database_;
};

void TestEventLog::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    database_ = openWriter(*dir_);
}

void TestEventLog::cleanup() {
    database_.reset();
    dir_.reset();
}

void TestEventLog::appendReturnsConsecutiveIdsAndReadsBackEveryField() {
    EventLog log(*database_);
    auto first = log.append(makeEvent("service.started", 5, std::nullopt, std::nullopt));
    QVERIFY_OK(first);
    QCOMPARE(*first, Id{1});
    auto more = log.append({makeEvent("takeover.requested", 6), makeEvent("takeover.granted", 7)});
    QVERIFY_OK(more);
    QCOMPARE(*more, (std::vector<Id>{2, 3}));

    auto page = log.page({});
    QVERIFY_OK(page);
    QCOMPARE(page->events.size(), std::size_t{3});
    const DBEvent& started = page->events[0];
    QCOMPARE(started.time, TimeMs{5});
    QCOMPARE(QString::fromStdString(started.kind), QStringLiteral("service.started"));
    QVERIFY(!started.cluster && !started.node);
    DBEvent expected = makeEvent("takeover.granted", 7);
    expected.id = 3;
    QVERIFY(page->events[2] == expected);
    QCOMPARE(page->next, Id{3});
    QVERIFY(!page->truncated);
}

void TestEventLog::batchAppendIsAllOrNothing() {
    EventLog log(*database_);
    QVERIFY_OK(log.append(makeEvent("release", 1)));
    DBEvent broken = makeEvent("release", 2);
    broken.details = "{not json";
    auto batch = log.append({makeEvent("release", 2), broken, makeEvent("release", 3)});
    QVERIFY(!batch.ok());
    QCOMPARE(QString::fromStdString(batch.error().code), QStringLiteral("invalid_field"));
    auto count = log.count();
    QVERIFY_OK(count);
    QCOMPARE(*count, std::int64_t{1});
    auto next = log.append(makeEvent("release", 4));
    QVERIFY_OK(next);
    QCOMPARE(*next, Id{2});
}

void TestEventLog::rejectsUnknownKindsAndDetailsThatAreNotObjects() {
    EventLog log(*database_);
    auto unknown = log.append(makeEvent("takeover.maybe", 1));
    QVERIFY(!unknown.ok());
    QCOMPARE(QString::fromStdString(unknown.error().code), QStringLiteral("invalid_field"));
    DBEvent array = makeEvent("release", 1);
    array.details = "[1, 2]";
    auto notObject = log.append(array);
    QVERIFY(!notObject.ok());
    QCOMPARE(QString::fromStdString(notObject.error().code), QStringLiteral("invalid_field"));
}

void TestEventLog::pagesOldestFirstFromSince() {
    EventLog log(*database_);
    std::vector<DBEvent> events;
    events.reserve(250);
    for (int i = 0; i < 250; ++i) {
        events.push_back(makeEvent("probe.failed", i));
    }
    QVERIFY_OK(log.append(events));
    auto page = log.page(EventQuery{120, 50, {}});
    QVERIFY_OK(page);
    QCOMPARE(page->events.size(), std::size_t{50});
    QCOMPARE(page->events.front().id, Id{121});
    QCOMPARE(page->next, Id{170});
    auto last = log.page(EventQuery{240, 50, {}});
    QVERIFY_OK(last);
    QCOMPARE(last->events.size(), std::size_t{10});
    auto none = log.page(EventQuery{250, 50, {}});
    QVERIFY_OK(none);
    QVERIFY(none->events.empty());
    QCOMPARE(none->next, Id{250});
    QVERIFY(!none->truncated);
}

void TestEventLog::limitIsClamped_data() {
    QTest::addColumn<int>("limit");
    QTest::addColumn<int>("returned");
    QTest::newRow("default") << kDefaultEventPage << 100;
    QTest::newRow("small") << 7 << 7;
    QTest::newRow("zero means one") << 0 << 1;
    QTest::newRow("negative means one") << -5 << 1;
    QTest::newRow("at the maximum") << 1000 << 1000;
    QTest::newRow("above the maximum") << 5000 << 1000;
}

void TestEventLog::limitIsClamped() {
    QFETCH(int, limit);
    QFETCH(int, returned);
    EventLog log(*database_);
    QVERIFY_OK(log.append(std::vector<DBEvent>(1200, makeEvent("release", 1))));
    auto page = log.page(EventQuery{0, limit, {}});
    QVERIFY_OK(page);
    QCOMPARE(static_cast<int>(page->events.size()), returned);
}

void TestEventLog::filters_data() {
    QTest::addColumn<EventFilter>("filter");
    QTest::addColumn<QList<qint64>>("ids");
    // The log: 1 takeover.requested erp, 2 takeover.granted erp, 3 release erp,
    // 4 takeover.requested crm, 5 service.started (no cluster), 6 takeover.denied crm.
    QTest::newRow("everything") << EventFilter{} << QList<qint64>{1, 2, 3, 4, 5, 6};
    QTest::newRow("cluster") << EventFilter{"crm", {}, {}, {}, {}} << QList<qint64>{4, 6};
    QTest::newRow("node") << EventFilter{{}, "erp-passive", {}, {}, {}} << QList<qint64>{1, 2, 3};
    QTest::newRow("kind prefix") << EventFilter{{}, {}, "takeover", {}, {}}
                                 << QList<qint64>{1, 2, 4, 6};
    QTest::newRow("exact kind") << EventFilter{{}, {}, "takeover.granted", {}, {}}
                                << QList<qint64>{2};
    QTest::newRow("prefix and cluster")
        << EventFilter{"erp", {}, "takeover", {}, {}} << QList<qint64>{1, 2};
    QTest::newRow("time range") << EventFilter{{}, {}, {}, 200, 500} << QList<qint64>{2, 3, 4};
    QTest::newRow("no match") << EventFilter{"nope", {}, {}, {}, {}} << QList<qint64>{};
}

void TestEventLog::filters() {
    QFETCH(EventFilter, filter);
    QFETCH(QList<qint64>, ids);
    EventLog log(*database_);
    QVERIFY_OK(log.append({makeEvent("takeover.requested", 100), makeEvent("takeover.granted", 200),
                           makeEvent("release", 300),
                           makeEvent("takeover.requested", 400, "crm", "crm-passive"),
                           makeEvent("service.started", 500, std::nullopt, std::nullopt),
                           makeEvent("takeover.denied", 600, "crm", "crm-passive")}));
    auto page = log.page(EventQuery{0, 100, filter});
    QVERIFY_OK(page);
    std::vector<Id> expected(ids.begin(), ids.end());
    QCOMPARE(idsOf(*page), expected);
    QCOMPARE(page->next, expected.empty() ? Id{0} : expected.back());
}

void TestEventLog::countFollowsTheFilter() {
    EventLog log(*database_);
    QVERIFY_OK(
        log.append({makeEvent("fence.on", 1), makeEvent("fence.off", 2), makeEvent("release", 3)}));
    auto fences = log.count(EventFilter{{}, {}, "fence", {}, {}});
    QVERIFY_OK(fences);
    QCOMPARE(*fences, std::int64_t{2});
    auto all = log.count();
    QVERIFY_OK(all);
    QCOMPARE(*all, std::int64_t{3});
}

void TestEventLog::compactionByCountRemovesOnlyTheOldest() {
    EventLog log(*database_);
    QVERIFY_OK(log.append(std::vector<DBEvent>(100, makeEvent("release", 1))));
    auto removed = log.compact(RetentionPolicy{30, std::nullopt, 0});
    QVERIFY_OK(removed);
    QCOMPARE(*removed, std::int64_t{70});
    auto oldest = log.oldestId();
    auto latest = log.latestId();
    QVERIFY_OK(oldest);
    QVERIFY_OK(latest);
    QCOMPARE(oldest->value_or(0), Id{71});
    QCOMPARE(latest->value_or(0), Id{100});
    auto again = log.compact(RetentionPolicy{30, std::nullopt, 0});
    QVERIFY_OK(again);
    QCOMPARE(*again, std::int64_t{0});
    auto next = log.append(makeEvent("release", 2));
    QVERIFY_OK(next);
    QCOMPARE(*next, Id{101});
}

void TestEventLog::compactionByAgeStopsAtTheFirstYoungEvent() {
    EventLog log(*database_);
    // Event 4 carries an old time after a young one (a clock step): it stays, so ids remain
    // one consecutive run.
    QVERIFY_OK(
        log.append({makeEvent("release", 10), makeEvent("release", 20), makeEvent("release", 100),
                    makeEvent("release", 15), makeEvent("release", 110)}));
    auto removed = log.compact(RetentionPolicy{std::nullopt, 50, 130});
    QVERIFY_OK(removed);
    QCOMPARE(*removed, std::int64_t{2});
    auto oldest = log.oldestId();
    QVERIFY_OK(oldest);
    QCOMPARE(oldest->value_or(0), Id{3});
}

void TestEventLog::sinceOlderThanTheOldestKeptIsTruncated() {
    EventLog log(*database_);
    QVERIFY_OK(log.append(std::vector<DBEvent>(20, makeEvent("release", 1))));
    QVERIFY_OK(log.compact(RetentionPolicy{10, std::nullopt, 0}));
    auto old = log.page(EventQuery{3, 5, {}});
    QVERIFY_OK(old);
    QVERIFY(old->truncated);
    QCOMPARE(idsOf(*old), (std::vector<Id>{11, 12, 13, 14, 15}));
    auto exact = log.page(EventQuery{10, 5, {}});
    QVERIFY_OK(exact);
    QVERIFY(!exact->truncated);
    QCOMPARE(exact->events.front().id, Id{11});
}

void TestEventLog::emptiedLogStillReportsTruncationAndKeepsCountingIds() {
    EventLog log(*database_);
    QVERIFY_OK(log.append(std::vector<DBEvent>(5, makeEvent("release", 1))));
    QVERIFY_OK(log.compact(RetentionPolicy{0, std::nullopt, 0}));
    auto oldest = log.oldestId();
    QVERIFY_OK(oldest);
    QVERIFY(!oldest->has_value());
    auto page = log.page(EventQuery{2, 10, {}});
    QVERIFY_OK(page);
    QVERIFY(page->truncated);
    QVERIFY(page->events.empty());
    auto current = log.page(EventQuery{5, 10, {}});
    QVERIFY_OK(current);
    QVERIFY(!current->truncated);
    auto next = log.append(makeEvent("release", 2));
    QVERIFY_OK(next);
    QCOMPARE(*next, Id{6});
}

void TestEventLog::compactionKeepsFailoverStatistics() {
    const Inventory inventory = addInventory(*database_);
    ClusterStatsRepository stats(*database_);
    EventLog log(*database_);
    for (int i = 0; i < 3; ++i) {
        const TimeMs start = 2'000'000 + i * 10'000;
        QVERIFY_OK(stats.recordTakeover(inventory.clusterId, start));
        QVERIFY_OK(log.append(makeEvent("takeover.granted", start)));
        QVERIFY_OK(stats.recordRelease(inventory.clusterId, start + 1000));
        QVERIFY_OK(log.append(makeEvent("release", start + 1000)));
    }
    auto before = stats.get(inventory.clusterId, 3'000'000);
    QVERIFY_OK(before);
    QVERIFY_OK(log.compact(RetentionPolicy{0, std::nullopt, 0}));
    auto after = stats.get(inventory.clusterId, 3'000'000);
    QVERIFY_OK(after);
    QVERIFY(after->has_value());
    QCOMPARE((*after)->failovers, std::int64_t{3});
    QCOMPARE((*after)->activeMs, std::int64_t{3000});
    QCOMPARE((*after)->observedMttrHours, (*before)->observedMttrHours);
    QCOMPARE((*after)->observedMtbfHours, (*before)->observedMtbfHours);
}

void TestEventLog::timesFormatAsTheApiWritesThem_data() {
    QTest::addColumn<qint64>("time");
    QTest::addColumn<QString>("text");
    QTest::newRow("epoch") << qint64{0} << "1970-01-01T00:00:00.000Z";
    QTest::newRow("the documented example") << qint64{1795670252123} << "2026-11-26T05:17:32.123Z";
    QTest::newRow("before the epoch") << qint64{-1} << "1969-12-31T23:59:59.999Z";
}

void TestEventLog::timesFormatAsTheApiWritesThem() {
    QFETCH(qint64, time);
    QFETCH(QString, text);
    QCOMPARE(QString::fromStdString(formatTime(time)), text);
}

QTEST_GUILESS_MAIN(TestEventLog)
#include "test_event_log.moc"

#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include "db/event_log.h"
#include "db/grant_repository.h"
#include "store_fixture.h"

using namespace understudy;
using namespace understudy::db;
using namespace understudy::db::testing;

class TestCrashDurability : public QObject {
    Q_OBJECT
private slots:
    void everyAcknowledgedWriteSurvivesSigkill();
};

void TestCrashDurability::everyAcknowledgedWriteSurvivesSigkill() {
    QTemporaryDir dir;
    const QString path = dir.filePath("understudy.db");
    QRandomGenerator random(20261126);
    constexpr int kRounds = 24;
    QSet<Id> events;
    QSet<Id> grants;
    for (int round = 0; round < kRounds; ++round) {
        QProcess writer;
        writer.setProgram(QStringLiteral(DB_CRASH_WRITER));
        writer.setArguments({path, QString::number(random.generate())});
        writer.start();
        QVERIFY2(writer.waitForStarted(5000), qPrintable(writer.errorString()));
        QVERIFY2(writer.waitForReadyRead(10000), writer.readAllStandardError().constData());
        QThread::msleep(random.bounded(5U, 200U));
        writer.kill();
        QVERIFY(writer.waitForFinished(5000));
        QCOMPARE(writer.exitStatus(), QProcess::CrashExit);

        // A line cut by the kill was never acknowledged: only whole lines count.
        const QByteArray output = writer.readAllStandardOutput();
        const QList<QByteArray> lines = output.left(output.lastIndexOf('\n') + 1).split('\n');
        int acknowledged = 0;
        for (const QByteArray& line : lines) {
            if (line.isEmpty()) {
                continue;
            }
            const Id id = line.mid(2).toLongLong();
            (line.startsWith('G') ? grants : events).insert(id);
            ++acknowledged;
        }
        QVERIFY2(acknowledged > 0, "the writer acknowledged nothing before the kill");

        auto database = openWriter(dir);
        auto check = database->integrityCheck();
        QVERIFY_OK(check);
        QVERIFY2(check->ok, check->problems.empty() ? "" : check->problems.front().c_str());
        QSet<Id> stored;
        EventLog log(*database);
        for (Id next = 0;;) {
            auto page = log.page(EventQuery{next, kMaxEventPage, {}});
            QVERIFY_OK(page);
            if (page->events.empty()) {
                break;
            }
            for (const auto& event : page->events) {
                stored.insert(event.id);
            }
            next = page->next;
        }
        for (const Id id : events) {
            QVERIFY2(stored.contains(id),
                     qPrintable(QStringLiteral("round %1 lost event %2").arg(round).arg(id)));
        }
        GrantRepository grantRepository(*database);
        for (const Id id : grants) {
            auto grant = grantRepository.byId(id);
            QVERIFY_OK(grant);
            QVERIFY2(grant->has_value(),
                     qPrintable(QStringLiteral("round %1 lost grant %2").arg(round).arg(id)));
        }
        // Ids stay consecutive across crashes: a killed transaction leaves no hole.
        auto count = log.count();
        auto latest = log.latestId();
        QVERIFY_OK(count);
        QVERIFY_OK(latest);
        QCOMPARE(latest->value_or(0), *count);
    }
    QVERIFY(events.size() > kRounds);
}

QTEST_GUILESS_MAIN(TestCrashDurability)
#include "test_crash_durability.moc"

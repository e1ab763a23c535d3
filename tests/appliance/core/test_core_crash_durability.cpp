// Answers the appliance core gave survive SIGKILL (understudyd(8): an answer it gave survives a
// crash; group commit must not answer before its commit). A real child process runs the core with
// many takeovers in flight and is killed at a moment chosen by the data; every takeover it printed
// as granted must be in the database afterwards, which must pass integrity_check with consecutive
// event ids.
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>

#include <map>
#include <string>

#include "core_fixture.h"
#include "db/database.h"
#include "db/event_log.h"

using namespace understudy;
using namespace understudy::core::testing;

class CoreCrashDurabilityTest : public QObject {
    Q_OBJECT

private slots:
    void everyAcknowledgedTakeoverSurvivesSigkill_data();
    void everyAcknowledgedTakeoverSurvivesSigkill();
};

void CoreCrashDurabilityTest::everyAcknowledgedTakeoverSurvivesSigkill_data() {
    QTest::addColumn<int>("acknowledgedBeforeKill");
    QTest::newRow("during the first wave") << 5;
    QTest::newRow("after a few waves") << 150;
}

void CoreCrashDurabilityTest::everyAcknowledgedTakeoverSurvivesSigkill() {
    QFETCH(int, acknowledgedBeforeKill);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string host = writeHost(dir, QStringLiteral("host"), 64, 65536);
    const QString database = dir.filePath(QStringLiteral("core.db"));

    QProcess child;
    child.start(QStringLiteral(CORE_CRASH_RUNNER),
                {database, QString::fromStdString(host), QString::fromStdString(defaultTemplate()),
                 QStringLiteral("40")});
    QVERIFY2(child.waitForStarted(), qPrintable(child.errorString()));

    std::map<std::string, int> acknowledged;
    int total = 0;
    QByteArray pending;
    const auto collect = [&] {
        pending += child.readAllStandardOutput();
        for (qsizetype end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
            const QByteArray line = pending.left(end);
            pending.remove(0, end + 1);
            if (line.startsWith("granted ")) {
                ++acknowledged[line.mid(8).toStdString()];
                ++total;
            }
        }
    };
    while (total < acknowledgedBeforeKill) {
        QVERIFY2(child.state() == QProcess::Running || child.bytesAvailable() > 0,
                 child.readAllStandardError().constData());
        child.waitForReadyRead(20000);
        collect();
    }
    QCOMPARE(::kill(static_cast<pid_t>(child.processId()), SIGKILL), 0);
    QVERIFY(child.waitForFinished(10000));
    collect();
    QCOMPARE(child.exitStatus(), QProcess::CrashExit);

    auto reopened = db::Database::openWriter(database.toStdString());
    QVERIFY_OK(reopened);
    auto check = (*reopened)->integrityCheck();
    QVERIFY(check);
    QVERIFY(check->ok);

    std::map<std::string, int> granted;
    db::Id previous = 0;
    db::EventLog log(**reopened);
    for (;;) {
        auto page = log.page(db::EventQuery{previous, db::kMaxEventPage, {}});
        QVERIFY(page);
        if (page->events.empty()) {
            break;
        }
        for (const db::DBEvent& event : page->events) {
            QCOMPARE(event.id, previous + 1);
            previous = event.id;
            if (event.kind == "takeover.granted" && event.node) {
                ++granted[*event.node];
            }
        }
    }
    QVERIFY(total >= acknowledgedBeforeKill);
    for (const auto& [node, count] : acknowledged) {
        QVERIFY2(granted[node] >= count,
                 qPrintable(QStringLiteral("%1: %2 takeovers answered granted, %3 recorded")
                                .arg(QString::fromStdString(node))
                                .arg(count)
                                .arg(granted[node])));
    }
}

QTEST_GUILESS_MAIN(CoreCrashDurabilityTest)
#include "test_core_crash_durability.moc"

// HookRunner with real hook commands: patterns, the UNDERSTUDY_EVENT_* environment, failures
// reported once and never in a loop, overload dropping the oldest runs.
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <map>
#include <string>
#include <vector>

#include "appliance/daemon/hook_runner.h"

using namespace understudy::daemon;
using namespace std::chrono_literals;
namespace db = understudy::db;

namespace {

HookConfig hook(std::string name, std::string command, std::vector<std::string> events,
                std::chrono::milliseconds timeout = 5000ms) {
    return HookConfig{std::move(name), std::move(command), std::move(events), timeout};
}

db::DBEvent makeEvent(db::Id id, std::string kind) {
    db::DBEvent result;
    result.id = id;
    result.time = 1795670252123;  // 2026-11-26T05:17:32.123Z
    result.kind = std::move(kind);
    return result;
}

HookRunner::Options options(std::size_t concurrent = 4, std::size_t queued = 256) {
    HookRunner::Options result;
    result.max_concurrent = concurrent;
    result.max_queued = queued;
    result.kill_grace = 200ms;
    return result;
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool idle(const HookRunner& runner) {
    return runner.stats().running == 0 && runner.stats().queued == 0;
}

}  // namespace

class TestHookRunner : public QObject {
    Q_OBJECT

private slots:
    void patternsMatchKinds_data() {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<bool>("matches");
        QTest::newRow("star, takeover") << "*"
                                        << "takeover.granted" << true;
        QTest::newRow("star, hook.failed") << "*"
                                           << "hook.failed" << true;
        QTest::newRow("exact") << "release"
                               << "release" << true;
        QTest::newRow("exact, other kind") << "release"
                                           << "restored" << false;
        QTest::newRow("prefix") << "takeover.*"
                                << "takeover.denied" << true;
        QTest::newRow("prefix, other family") << "takeover.*"
                                              << "fence.off" << false;
        QTest::newRow("prefix needs the dot") << "fence.*"
                                              << "fencer.x" << false;
        QTest::newRow("prefix, hook") << "hook.*"
                                      << "hook.failed" << true;
        QTest::newRow("exact is not a prefix") << "fence.on"
                                               << "fence.off" << false;
        QTest::newRow("probe family") << "probe.*"
                                      << "probe.recovered" << true;
    }

    void patternsMatchKinds() {
        QFETCH(QString, pattern);
        QFETCH(QString, kind);
        QFETCH(bool, matches);
        QCOMPARE(eventPatternMatches(pattern.toStdString(), kind.toStdString()), matches);
    }

    void patternsAreValidatedAgainstKnownKinds_data() {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<bool>("valid");
        QTest::newRow("star") << "*" << true;
        QTest::newRow("every known kind") << "takeover.requested" << true;
        QTest::newRow("kind without family") << "preempted" << true;
        QTest::newRow("family") << "fence.*" << true;
        QTest::newRow("family of one") << "hook.*" << true;
        QTest::newRow("unknown kind") << "takeover.started" << false;
        QTest::newRow("family without wildcard") << "takeover" << false;
        QTest::newRow("unknown family") << "disk.*" << false;
        QTest::newRow("glob inside a word") << "take*" << false;
        QTest::newRow("bare wildcard suffix") << ".*" << false;
        QTest::newRow("star in the middle") << "takeover.*.x" << false;
        QTest::newRow("empty") << "" << false;
    }

    void patternsAreValidatedAgainstKnownKinds() {
        QFETCH(QString, pattern);
        QFETCH(bool, valid);
        QCOMPARE(isValidEventPattern(pattern.toStdString()), valid);
    }

    void everyKnownKindIsAValidPattern() {
        for (const auto kind : db::eventKinds()) {
            QVERIFY2(isValidEventPattern(kind), std::string(kind).c_str());
        }
    }

    void configValuesAreValidated_data() {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("events");
        QTest::addColumn<int>("timeout");
        QTest::addColumn<QString>("where");  // empty: valid
        QTest::addColumn<int>("patterns");
        QTest::newRow("product example") << "/usr/local/bin/notify-admin"
                                         << "takeover.*, fence.*" << 10 << "" << 2;
        QTest::newRow("one pattern") << "/usr/bin/logger x"
                                     << " * " << 1 << "" << 1;
        QTest::newRow("bare program name") << "logger x"
                                           << "*" << 10 << "hook.notify: command" << 0;
        QTest::newRow("relative program") << "bin/notify"
                                          << "*" << 10 << "hook.notify: command" << 0;
        QTest::newRow("no command") << ""
                                    << "*" << 10 << "hook.notify: command" << 0;
        QTest::newRow("timeout zero") << "/bin/x"
                                      << "*" << 0 << "hook.notify: timeout_s" << 0;
        QTest::newRow("timeout above an hour") << "/bin/x"
                                               << "*" << 3601 << "hook.notify: timeout_s" << 0;
        QTest::newRow("no events") << "/bin/x"
                                   << "" << 10 << "hook.notify: events" << 0;
        QTest::newRow("trailing comma") << "/bin/x"
                                        << "release," << 10 << "hook.notify: events" << 0;
        QTest::newRow("unknown kind") << "/bin/x"
                                      << "release, takeover" << 10 << "hook.notify: events" << 0;
    }

    void configValuesAreValidated() {
        QFETCH(QString, command);
        QFETCH(QString, events);
        QFETCH(int, timeout);
        QFETCH(QString, where);
        QFETCH(int, patterns);
        const auto config =
            makeHookConfig("notify", command.toStdString(), events.toStdString(), timeout);
        if (where.isEmpty()) {
            QVERIFY(config.ok());
            QCOMPARE(config->events.size(), static_cast<std::size_t>(patterns));
            QCOMPARE(config->timeout, std::chrono::milliseconds(timeout * 1000));
        } else {
            QVERIFY(!config.ok());
            QCOMPARE(QString::fromStdString(config.error().where), where);
        }
    }

    void theEventArrivesInTheEnvironment() {
        QTemporaryDir dir;
        const QString out = dir.filePath("env");
        qputenv("UNDERSTUDY_ADMIN_TOKEN", "s3cret-admin");
        ProcessRunner processes;
        HookRunner runner(processes, options());
        QVERIFY(runner.configure({hook("notify", ("env > " + out).toStdString(), {"takeover.*"})})
                    .ok());
        auto granted = makeEvent(42, "takeover.granted");
        granted.cluster = "erp";
        granted.details =
            "{\"grant\": {\"memory_mib\": 32768}, \"note\": \"it's \\\"quoted\\\"; $(x)\"}";
        QCOMPARE(runner.dispatch(granted), std::size_t{1});
        QTRY_VERIFY(idle(runner));
        qunsetenv("UNDERSTUDY_ADMIN_TOKEN");
        QCOMPARE(runner.stats().failed, std::uint64_t{0});

        std::map<QString, QString> environment;
        for (const QByteArray& line : readAll(out).split('\n')) {
            const qsizetype equals = line.indexOf('=');
            if (equals > 0) {
                environment[QString::fromUtf8(line.left(equals))] =
                    QString::fromUtf8(line.mid(equals + 1));
            }
        }
        QCOMPARE(environment["UNDERSTUDY_HOOK"], QString("notify"));
        QCOMPARE(environment["UNDERSTUDY_EVENT_ID"], QString("42"));
        QCOMPARE(environment["UNDERSTUDY_EVENT_TIME"], QString("2026-11-26T05:17:32.123Z"));
        QCOMPARE(environment["UNDERSTUDY_EVENT_KIND"], QString("takeover.granted"));
        QCOMPARE(environment["UNDERSTUDY_EVENT_CLUSTER"], QString("erp"));
        QVERIFY(environment.count("UNDERSTUDY_EVENT_NODE") == 1);
        QCOMPARE(environment["UNDERSTUDY_EVENT_NODE"], QString());
        QCOMPARE(environment["UNDERSTUDY_EVENT_DETAILS"], QString::fromStdString(granted.details));
        QVERIFY(environment.count("UNDERSTUDY_ADMIN_TOKEN") == 0);
        QVERIFY(environment.count("PATH") == 1);
    }

    void onlyMatchingHooksRun() {
        QTemporaryDir dir;
        ProcessRunner processes;
        HookRunner runner(processes, options());
        const auto touch = [&](const QString& name) {
            return ("echo \"$UNDERSTUDY_EVENT_KIND\" >> " + dir.filePath(name)).toStdString();
        };
        QVERIFY(runner
                    .configure({hook("fences", touch("fences"), {"fence.*"}),
                                hook("all", touch("all"), {"*"}),
                                hook("releases", touch("releases"), {"release", "restored"})})
                    .ok());
        QCOMPARE(runner.dispatch(makeEvent(1, "fence.off")), std::size_t{2});
        QCOMPARE(runner.dispatch(makeEvent(2, "release")), std::size_t{2});
        QCOMPARE(runner.dispatch(makeEvent(3, "takeover.denied")), std::size_t{1});
        QTRY_VERIFY(idle(runner));
        QCOMPARE(readAll(dir.filePath("fences")), QByteArray("fence.off\n"));
        QCOMPARE(readAll(dir.filePath("releases")), QByteArray("release\n"));
        QCOMPARE(readAll(dir.filePath("all")).split('\n').size(), 4);  // three and the last \n
        QCOMPARE(runner.stats().started, std::uint64_t{5});
    }

    void aFailingHookIsReportedOnceAndDoesNotLoop() {
        ProcessRunner processes;
        HookRunner runner(processes, options());
        std::vector<HookRunner::Failure> failures;
        // Like the service: every reported failure becomes a hook.failed event, dispatched too.
        db::Id next_id = 100;
        runner.setFailureSink([&](const HookRunner::Failure& failure) {
            failures.push_back(failure);
            auto failed = makeEvent(++next_id, "hook.failed");
            failed.details = hookFailedDetails(failure);
            runner.dispatch(failed);
        });
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression("hook broken for event 7"));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression("hook broken for event 101"));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression("not reporting the failure"));
        QVERIFY(runner.configure({hook("broken", "echo no mail server; exit 2", {"*"})}).ok());
        runner.dispatch(makeEvent(7, "takeover.granted"));
        QTRY_COMPARE(runner.stats().started, std::uint64_t{2});
        QTRY_VERIFY(idle(runner));
        QCOMPARE(runner.stats().failed, std::uint64_t{2});
        QCOMPARE(failures.size(), std::size_t{1});
        QCOMPARE(failures[0].hook, std::string("broken"));
        QCOMPARE(failures[0].event.id, db::Id{7});
        QCOMPARE(failures[0].result.exit_code, std::optional<int>(2));

        const auto details =
            QJsonDocument::fromJson(QByteArray::fromStdString(hookFailedDetails(failures[0])))
                .object();
        QCOMPARE(details.value("hook").toString(), QString("broken"));
        QCOMPARE(details.value("event_id").toInt(), 7);
        QCOMPARE(details.value("event_kind").toString(), QString("takeover.granted"));
        QCOMPARE(details.value("exit_code").toInt(), 2);
        QCOMPARE(details.value("output").toString(), QString("no mail server\n"));
        QVERIFY(!details.contains("command"));
    }

    void aHungHookTimesOutAndIsReported() {
        ProcessRunner processes;
        HookRunner runner(processes, options());
        std::vector<HookRunner::Failure> failures;
        runner.setFailureSink(
            [&](const HookRunner::Failure& failure) { failures.push_back(failure); });
        QVERIFY(runner
                    .configure({hook("slow", "sleep 30", {"release"}, 300ms),
                                hook("quick", "true", {"release"})})
                    .ok());
        runner.dispatch(makeEvent(1, "release"));
        QTRY_COMPARE_WITH_TIMEOUT(failures.size(), std::size_t{1}, 10000);
        QCOMPARE(failures[0].hook, std::string("slow"));
        QVERIFY(failures[0].result.timed_out);
        QTRY_VERIFY(idle(runner));
        QCOMPARE(runner.stats().failed, std::uint64_t{1});
    }

    void overloadDropsTheOldestQueuedRunsWithAWarning() {
        QTemporaryDir dir;
        const QString ran = dir.filePath("ran");
        ProcessRunner processes;
        HookRunner runner(processes, options(1, 2));
        QVERIFY(runner
                    .configure({hook(
                        "log", ("echo \"$UNDERSTUDY_EVENT_ID\" >> " + ran).toStdString(), {"*"})})
                    .ok());
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression("hooks overloaded"));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression("2 runs were dropped"));
        // All five arrive before any run can finish (results come through the event loop):
        // 1 runs, 2 and 3 queue, 4 and 5 push them out.
        for (db::Id id = 1; id <= 5; ++id) {
            QCOMPARE(runner.dispatch(makeEvent(id, "release")), std::size_t{1});
        }
        QCOMPARE(runner.stats().running, std::size_t{1});
        QCOMPARE(runner.stats().queued, std::size_t{2});
        QCOMPARE(runner.stats().dropped, std::uint64_t{2});
        QTRY_VERIFY(idle(runner));
        QCOMPARE(readAll(ran), QByteArray("1\n4\n5\n"));
        QCOMPARE(runner.stats().started, std::uint64_t{3});
    }

    void reconfigureRejectsABadSetWhole() {
        ProcessRunner processes;
        HookRunner runner(processes, options());
        QVERIFY(runner.configure({hook("a", "true", {"*"})}).ok());
        QVERIFY(!runner.configure({hook("b", "true", {"*"}), hook("c", "true", {"nope"})}).ok());
        QVERIFY(!runner.configure({hook("b", "true", {"*"}), hook("b", "true", {"*"})}).ok());
        QVERIFY(!runner.configure({hook("b", "true", {})}).ok());
        QCOMPARE(runner.hooks().size(), std::size_t{1});
        QCOMPARE(runner.hooks()[0].name, std::string("a"));
    }

    void environmentValuesNeverCarryNul() {
        auto odd = makeEvent(1, "release");
        odd.details = std::string("{\"a\":\"x", 7) + std::string(1, '\0') + "y\"}";
        for (const auto& [name, value] : hookEnvironment("h", odd)) {
            QVERIFY(value.find('\0') == std::string::npos);
        }
    }
};

QTEST_GUILESS_MAIN(TestHookRunner)
#include "test_hook_runner.moc"

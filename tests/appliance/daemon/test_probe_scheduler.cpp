// ProbeScheduler with real probe commands: results, transitions, skipping, hung probes, reload.
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <string>
#include <vector>

#include "appliance/daemon/probe_scheduler.h"

using namespace understudy::daemon;
using namespace std::chrono_literals;

namespace {

ProbeConfig probe(std::string cluster, std::string command, std::chrono::milliseconds interval,
                  std::chrono::milliseconds timeout) {
    return ProbeConfig{std::move(cluster), std::move(command), interval, timeout};
}

ProbeScheduler::Options fastKill() {
    ProbeScheduler::Options options;
    options.kill_grace = 200ms;
    return options;
}

void writeFile(const QString& path, const QByteArray& content) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(content);
}

}  // namespace

class TestProbeScheduler : public QObject {
    Q_OBJECT

private slots:
    void configValuesAreValidated_data() {
        QTest::addColumn<QString>("command");
        QTest::addColumn<int>("interval");
        QTest::addColumn<int>("timeout");
        QTest::addColumn<QString>("where");  // empty: valid

        QTest::newRow("valid") << "/usr/sbin/fence_x --action=status" << 30 << 10 << "";
        QTest::newRow("shortest") << "/bin/true" << 2 << 1 << "";
        QTest::newRow("longest") << "/bin/true" << 86400 << 3600 << "";
        QTest::newRow("quoted program with a blank")
            << "\"/opt/my tools/check\" erp" << 30 << 10 << "";
        QTest::newRow("no command") << "  " << 30 << 10 << "probe.erp: command";
        QTest::newRow("bare program name")
            << "fence_x --action=status" << 30 << 10 << "probe.erp: command";
        QTest::newRow("relative program") << "bin/check erp" << 30 << 10 << "probe.erp: command";
        QTest::newRow("only quotes") << "\"\"" << 30 << 10 << "probe.erp: command";
        QTest::newRow("interval zero") << "/bin/true" << 0 << 10 << "probe.erp: interval_s";
        QTest::newRow("timeout zero") << "/bin/true" << 30 << 0 << "probe.erp: timeout_s";
        QTest::newRow("timeout equals interval")
            << "/bin/true" << 30 << 30 << "probe.erp: timeout_s";
        QTest::newRow("timeout above interval")
            << "/bin/true" << 10 << 30 << "probe.erp: timeout_s";
        QTest::newRow("timeout above an hour")
            << "/bin/true" << 7200 << 3601 << "probe.erp: timeout_s";
        QTest::newRow("interval above a day")
            << "/bin/true" << 86401 << 10 << "probe.erp: interval_s";
    }

    void configValuesAreValidated() {
        QFETCH(QString, command);
        QFETCH(int, interval);
        QFETCH(int, timeout);
        QFETCH(QString, where);
        const auto config = makeProbeConfig("erp", command.toStdString(), interval, timeout);
        if (where.isEmpty()) {
            QVERIFY(config.ok());
            QCOMPARE(config->interval, std::chrono::milliseconds(interval * 1000));
            QCOMPARE(config->timeout, std::chrono::milliseconds(timeout * 1000));
        } else {
            QVERIFY(!config.ok());
            QCOMPARE(QString::fromStdString(config.error().where), where);
            QVERIFY(!config.error().message.empty());
        }
    }

    void resultsReachTheSink() {
        ProcessRunner runner;
        ProbeScheduler scheduler(runner, fastKill());
        std::vector<ProbeResult> results;
        scheduler.setResultSink([&](const ProbeResult& result) { results.push_back(result); });
        const auto before = understudy::db::nowMs();
        QVERIFY(scheduler.add(probe("erp", "echo \"on $UNDERSTUDY_PROBE_CLUSTER\"", 60s, 5s)).ok());
        QTRY_COMPARE(results.size(), std::size_t{1});
        QCOMPARE(results[0].cluster, std::string("erp"));
        QVERIFY(results[0].ok);
        QCOMPARE(results[0].output, std::string("on erp\n"));
        QCOMPARE(results[0].exit_code, std::optional<int>(0));
        QVERIFY(results[0].time >= before);
        QVERIFY(results[0].time <= understudy::db::nowMs());
        QCOMPARE(scheduler.stats("erp")->runs, std::uint64_t{1});
        QCOMPARE(scheduler.stats("erp")->last_ok, std::optional<bool>(true));
    }

    void transitionsAreReportedOnceEach() {
        QTemporaryDir dir;
        const QString status = dir.filePath("status");
        // Exit statuses of successive runs: up, down three times, up twice.
        const std::vector<QByteArray> sequence = {"0", "2", "1", "2", "0", "0"};
        writeFile(status, sequence[0]);
        ProcessRunner runner;
        ProbeScheduler scheduler(runner, fastKill());
        std::vector<bool> oks;
        std::vector<std::pair<std::size_t, ProbeTransition>> transitions;
        scheduler.setResultSink([&](const ProbeResult& result) {
            oks.push_back(result.ok);
            // The next run starts only after this result: it sees the next status.
            if (oks.size() < sequence.size()) {
                writeFile(status, sequence[oks.size()]);
            } else {
                scheduler.remove("erp");
            }
        });
        scheduler.setTransitionSink([&](const ProbeResult&, ProbeTransition transition) {
            transitions.emplace_back(oks.size() - 1, transition);
        });
        QVERIFY(
            scheduler.add(probe("erp", ("exit $(cat " + status + ")").toStdString(), 150ms, 100ms))
                .ok());
        QTRY_COMPARE_WITH_TIMEOUT(oks.size(), sequence.size(), 10000);
        QCOMPARE(oks, (std::vector<bool>{true, false, false, false, true, true}));
        QCOMPARE(transitions.size(), std::size_t{2});
        QCOMPARE(transitions[0].first, std::size_t{1});
        QVERIFY(transitions[0].second == ProbeTransition::Failed);
        QCOMPARE(transitions[1].first, std::size_t{4});
        QVERIFY(transitions[1].second == ProbeTransition::Recovered);
        QVERIFY(!scheduler.stats("erp"));
    }

    void aFirstResultThatFailsIsATransition() {
        ProcessRunner runner;
        ProbeScheduler scheduler(runner, fastKill());
        std::size_t results = 0;
        std::vector<ProbeTransition> transitions;
        scheduler.setResultSink([&](const ProbeResult& result) {
            QVERIFY(!result.ok);
            QCOMPARE(result.exit_code, std::optional<int>(2));
            if (++results == 3) {
                scheduler.remove("erp");
            }
        });
        scheduler.setTransitionSink([&](const ProbeResult&, ProbeTransition transition) {
            transitions.push_back(transition);
        });
        QVERIFY(scheduler.add(probe("erp", "echo off; exit 2", 150ms, 100ms)).ok());
        QTRY_COMPARE_WITH_TIMEOUT(results, std::size_t{3}, 10000);
        QCOMPARE(transitions, std::vector<ProbeTransition>{ProbeTransition::Failed});
    }

    void theStoredStateDecidesTheFirstTransition_data() {
        QTest::addColumn<int>("stored");  // -1: nothing stored, 0: failed, 1: ok
        QTest::addColumn<QString>("command");
        QTest::addColumn<int>("transition");  // -1: none, else a ProbeTransition
        QTest::newRow("failing, stored failed") << 0 << "exit 2" << -1;
        QTest::newRow("failing, stored ok")
            << 1 << "exit 2" << static_cast<int>(ProbeTransition::Failed);
        QTest::newRow("failing, nothing stored")
            << -1 << "exit 2" << static_cast<int>(ProbeTransition::Failed);
        QTest::newRow("ok, stored failed")
            << 0 << "exit 0" << static_cast<int>(ProbeTransition::Recovered);
        QTest::newRow("ok, stored ok") << 1 << "exit 0" << -1;
        QTest::newRow("ok, nothing stored") << -1 << "exit 0" << -1;
    }

    void theStoredStateDecidesTheFirstTransition() {
        QFETCH(int, stored);
        QFETCH(QString, command);
        QFETCH(int, transition);
        ProcessRunner runner;
        ProbeScheduler scheduler(runner, fastKill());
        std::vector<std::string> asked;
        scheduler.setLastKnown([&](const std::string& cluster) -> std::optional<bool> {
            asked.push_back(cluster);
            return stored < 0 ? std::nullopt : std::optional<bool>(stored == 1);
        });
        std::vector<ProbeResult> results;
        std::vector<ProbeTransition> transitions;
        scheduler.setResultSink([&](const ProbeResult& result) {
            results.push_back(result);
            if (results.size() == 2) {
                scheduler.remove("erp");
            }
        });
        scheduler.setTransitionSink(
            [&](const ProbeResult&, ProbeTransition reported) { transitions.push_back(reported); });
        QVERIFY(scheduler.add(probe("erp", command.toStdString(), 150ms, 100ms)).ok());
        QTRY_COMPARE_WITH_TIMEOUT(results.size(), std::size_t{2}, 10000);
        QCOMPARE(asked, std::vector<std::string>{"erp"});
        if (transition < 0) {
            QVERIFY(transitions.empty());
            QVERIFY(!results[0].transition);
        } else {
            QCOMPARE(transitions.size(), std::size_t{1});
            QVERIFY(transitions[0] == static_cast<ProbeTransition>(transition));
            QVERIFY(results[0].transition == static_cast<ProbeTransition>(transition));
        }
        QVERIFY(!results[1].transition);  // the same result again is no news
    }

    void aHungProbeDoesNotDelayAnother() {
        ProcessRunner runner;
        ProbeScheduler scheduler(runner, fastKill());
        std::vector<ProbeResult> results;
        scheduler.setResultSink([&](const ProbeResult& result) { results.push_back(result); });
        QVERIFY(scheduler.add(probe("hung", "sleep 30", 60s, 1s)).ok());
        QVERIFY(scheduler.add(probe("quick", "echo on", 60s, 1s)).ok());
        QTRY_COMPARE_WITH_TIMEOUT(results.size(), std::size_t{2}, 10000);
        QCOMPARE(results[0].cluster, std::string("quick"));
        QVERIFY(results[0].ok);
        QCOMPARE(results[1].cluster, std::string("hung"));
        QVERIFY(!results[1].ok);
        QVERIFY(results[1].timed_out);
        QVERIFY(results[1].summary.starts_with("timed out after"));
    }

    void aRunStillGoingWhenDueIsSkippedAndCounted() {
        ProcessRunner runner;
        ProbeScheduler::Options options;
        // It ignores SIGTERM, so each run lasts timeout + grace: several intervals.
        options.kill_grace = 1000ms;
        ProbeScheduler scheduler(runner, options);
        std::vector<ProbeResult> results;
        scheduler.setResultSink([&](const ProbeResult& result) { results.push_back(result); });
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression("still running; this run is skipped"));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression("still running; this run is skipped"));
        QVERIFY(scheduler.add(probe("erp", "trap '' TERM; sleep 30", 300ms, 200ms)).ok());
        QTRY_COMPARE_WITH_TIMEOUT(results.size(), std::size_t{1}, 10000);
        QVERIFY(scheduler.stats("erp")->skipped >= 2);
        QCOMPARE(scheduler.stats("erp")->runs, std::uint64_t{1});
        scheduler.remove("erp");
        QVERIFY(results[0].timed_out);
        QCOMPARE(results[0].signal, std::optional<int>(SIGKILL));
    }

    void removingAProbeKillsItsRunAndReportsNothing() {
        QTemporaryDir dir;
        const QString pid_file = dir.filePath("pid");
        ProcessRunner runner;
        ProbeScheduler scheduler(runner, fastKill());
        std::size_t results = 0;
        scheduler.setResultSink([&](const ProbeResult&) { ++results; });
        QVERIFY(scheduler
                    .add(probe("erp", ("echo $$ > " + pid_file + "; exec sleep 30").toStdString(),
                               60s, 20s))
                    .ok());
        QTRY_VERIFY(QFile(pid_file).size() > 0);
        QTRY_VERIFY(scheduler.stats("erp")->running);
        QVERIFY(scheduler.remove("erp"));
        QVERIFY(!scheduler.remove("erp"));
        QFile file(pid_file);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString proc = "/proc/" + QString::fromLatin1(file.readAll().trimmed());
        QTRY_VERIFY(!QFile::exists(proc));
        QCOMPARE(runner.pending(), std::size_t{0});
        QCOMPARE(results, std::size_t{0});
    }

    void reloadKeepsStateRemovesAndRejectsBadSetsWhole() {
        ProcessRunner runner;
        ProbeScheduler scheduler(runner, fastKill());
        std::vector<std::string> results;
        std::vector<ProbeTransition> transitions;
        scheduler.setResultSink(
            [&](const ProbeResult& result) { results.push_back(result.cluster); });
        scheduler.setTransitionSink([&](const ProbeResult&, ProbeTransition transition) {
            transitions.push_back(transition);
        });
        QVERIFY(
            scheduler.configure({probe("a", "exit 1", 60s, 5s), probe("b", "true", 60s, 5s)}).ok());
        QTRY_COMPARE(results.size(), std::size_t{2});
        QCOMPARE(transitions.size(), std::size_t{1});

        // A bad set changes nothing.
        const auto bad =
            scheduler.configure({probe("a", "exit 1", 60s, 5s), probe("c", "", 60s, 5s)});
        QVERIFY(!bad.ok());
        QCOMPARE(bad.error().where, std::string("probe.c: command"));
        QCOMPARE(scheduler.probes().size(), std::size_t{2});

        // "a" changes command but keeps its failed state: its next failure is no new event.
        QVERIFY(scheduler.configure({probe("a", "exit 3", 60s, 5s)}).ok());
        QVERIFY(!scheduler.stats("b"));
        QTRY_COMPARE(results.size(), std::size_t{3});
        QCOMPARE(results.back(), std::string("a"));
        QCOMPARE(transitions.size(), std::size_t{1});
        QCOMPARE(scheduler.stats("a")->failures, std::uint64_t{2});

        const auto twice =
            scheduler.configure({probe("a", "true", 60s, 5s), probe("a", "true", 60s, 5s)});
        QVERIFY(!twice.ok());
    }

    void aProbeOfAnUnregisteredClusterIsAWarningAndStillRuns() {
        ProcessRunner runner;
        ProbeScheduler scheduler(runner, fastKill());
        std::size_t results = 0;
        scheduler.setResultSink([&](const ProbeResult&) { ++results; });
        scheduler.setClusterCheck([](const std::string& cluster) { return cluster == "erp"; });
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression("\\[probe\\.ghost\\] names a cluster that is not "
                                                "registered"));
        QVERIFY(
            scheduler.configure({probe("erp", "true", 60s, 5s), probe("ghost", "true", 60s, 5s)})
                .ok());
        QTRY_COMPARE(results, std::size_t{2});
    }

    void eventDetailsAreJsonWithoutTheCommand() {
        ProbeResult result;
        result.cluster = "erp";
        result.ok = false;
        result.exit_code = 2;
        result.output = "Status: OFF\n";
        result.duration = 1234ms;
        result.summary = "exited with status 2";
        const auto document =
            QJsonDocument::fromJson(QByteArray::fromStdString(probeEventDetails(result)));
        QVERIFY(document.isObject());
        const QJsonObject details = document.object();
        QCOMPARE(details.value("exit_code").toInt(), 2);
        QVERIFY(details.value("signal").isNull());
        QCOMPARE(details.value("timed_out").toBool(), false);
        QCOMPARE(details.value("duration_ms").toInt(), 1234);
        QCOMPARE(details.value("output").toString(), QString("Status: OFF\n"));
        QVERIFY(!details.contains("command"));
    }
};

QTEST_GUILESS_MAIN(TestProbeScheduler)
#include "test_probe_scheduler.moc"

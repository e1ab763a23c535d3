// ProcessRunner with real children: /bin/sh scripts that exit, spew, hang, ignore SIGTERM and
// leave grandchildren behind.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <memory>
#include <string>
#include <vector>

#include "appliance/daemon/process_runner.h"

using namespace understudy::daemon;
using namespace std::chrono_literals;

namespace {

// Alive means it exists and is not a zombie waiting for a parent that does not reap.
bool alive(qint64 pid) {
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly)) {
        return false;
    }
    const QByteArray text = stat.readAll();
    const qsizetype paren = text.lastIndexOf(')');
    return paren >= 0 && paren + 2 < text.size() && text.at(paren + 2) != 'Z';
}

std::vector<qint64> readPids(const QString& path) {
    std::vector<qint64> pids;
    QFile file(path);
    if (file.open(QIODevice::ReadOnly)) {
        for (const QByteArray& line : file.readAll().split('\n')) {
            if (!line.trimmed().isEmpty()) {
                pids.push_back(line.trimmed().toLongLong());
            }
        }
    }
    return pids;
}

ProcessSpec spec(std::string command, std::chrono::milliseconds timeout = 5000ms) {
    ProcessSpec result;
    result.command = std::move(command);
    result.timeout = timeout;
    result.kill_grace = 300ms;
    return result;
}

ProcessResult runToEnd(ProcessRunner& runner, ProcessSpec process) {
    auto future = runner.run(std::move(process));
    future.waitForFinished();
    return future.result();
}

}  // namespace

class TestProcessRunner : public QObject {
    Q_OBJECT

private slots:
    void exitStatusAndInterleavedOutputAreCaptured() {
        ProcessRunner runner;
        const auto result = runToEnd(runner, spec("echo out; echo err >&2; echo again; exit 3"));
        QVERIFY(result.started);
        QVERIFY(result.pid > 0);
        QCOMPARE(result.exit_code, std::optional<int>(3));
        QVERIFY(!result.signal);
        QVERIFY(!result.timed_out);
        QVERIFY(!result.succeeded());
        QCOMPARE(result.output, std::string("out\nerr\nagain\n"));
        QCOMPARE(result.output_bytes, std::uint64_t{14});
        QVERIFY(!result.output_truncated);
        QCOMPARE(describe(result), std::string("exited with status 3"));
    }

    void successIsExitStatusZero() {
        ProcessRunner runner;
        const auto result = runToEnd(runner, spec("true"));
        QVERIFY(result.succeeded());
        QCOMPARE(result.output, std::string());
    }

    void deathBySignalIsReported() {
        ProcessRunner runner;
        const auto result = runToEnd(runner, spec("kill -USR1 $$"));
        QVERIFY(!result.exit_code);
        QCOMPARE(result.signal, std::optional<int>(SIGUSR1));
        QCOMPARE(describe(result), std::string("was killed by SIGUSR1"));
    }

    void outputIsBoundedAndCounted() {
        ProcessRunner runner;
        auto process = spec("head -c 1048576 /dev/zero | tr '\\0' a; echo; echo THE-END");
        process.max_output_bytes = 4096;
        const auto result = runToEnd(runner, process);
        QCOMPARE(result.exit_code, std::optional<int>(0));
        QCOMPARE(result.output_bytes, std::uint64_t{1048576 + 1 + 8});
        QVERIFY(result.output_truncated);
        QVERIFY(result.output.size() <= 4096);
        QVERIFY(result.output.starts_with("aaaa"));
        // The tail is kept: the last words are usually the ones that explain a failure.
        QVERIFY(result.output.ends_with("\nTHE-END\n"));
        QVERIFY(result.output.find("bytes dropped") != std::string::npos);
    }

    void boundedOutputKeepsHeadAndTailAtCharacterBoundaries_data() {
        QTest::addColumn<int>("max");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("fits") << 200 << QByteArray("hello") << QByteArray("hello");
        QTest::newRow("exactly full") << 4 << QByteArray("abcd") << QByteArray("abcd");
        QTest::newRow("tiny limit keeps the head only")
            << 4 << QByteArray("abcdef") << QByteArray("abcd");
        const QByteArray long_text =
            QByteArray(100, 'h') + QByteArray(300, '-') + QByteArray(100, 't');
        QTest::newRow("head and tail")
            << 200 << long_text
            << QByteArray(76, 'h') + "\n[... 348 bytes dropped ...]\n" + QByteArray(76, 't');
        // "é" is two bytes: a cut through it moves to the character's edge.
        const QByteArray accents = QByteArray(75, 'h') + "\xC3\xA9" + QByteArray(300, '-') +
                                   "\xC3\xA9" + QByteArray(75, 't');
        QTest::newRow("utf-8 kept whole")
            << 200 << accents
            << QByteArray(75, 'h') + "\n[... 304 bytes dropped ...]\n" + QByteArray(75, 't');
    }

    void boundedOutputKeepsHeadAndTailAtCharacterBoundaries() {
        QFETCH(int, max);
        QFETCH(QByteArray, input);
        QFETCH(QByteArray, expected);
        BoundedOutput output(static_cast<std::size_t>(max));
        // In uneven pieces, as a pipe delivers them.
        for (qsizetype at = 0; at < input.size(); at += 7) {
            const qsizetype size = std::min<qsizetype>(7, input.size() - at);
            output.append(input.constData() + at, static_cast<std::size_t>(size));
        }
        QCOMPARE(QByteArray::fromStdString(output.text()), expected);
        QVERIFY(output.text().size() <= static_cast<std::size_t>(max));
        QCOMPARE(output.total(), static_cast<std::uint64_t>(input.size()));
    }

    void environmentIsAddedAndTokensAreNotPassed() {
        qputenv("UNDERSTUDY_ADMIN_TOKEN", "s3cret-admin");
        qputenv("UNDERSTUDY_TEST_REPLACED", "old");
        ProcessRunner runner;
        auto process = spec(
            "echo \"$EXTRA\"; echo \"${UNDERSTUDY_ADMIN_TOKEN-unset}\"; "
            "echo \"$UNDERSTUDY_TEST_REPLACED\"");
        process.environment = {{"EXTRA", "a b; $(rm -rf /) `x`"},
                               {"UNDERSTUDY_TEST_REPLACED", "new"}};
        const auto result = runToEnd(runner, process);
        qunsetenv("UNDERSTUDY_ADMIN_TOKEN");
        qunsetenv("UNDERSTUDY_TEST_REPLACED");
        // Values arrive verbatim: the shell does not interpret what is in a variable.
        QCOMPARE(result.output, std::string("a b; $(rm -rf /) `x`\nunset\nnew\n"));
    }

    void serviceDescriptorsDoNotReachTheChild() {
        QTemporaryDir dir;
        // Opened without O_CLOEXEC, as careless code elsewhere in the service might.
        const int leaked =
            ::open(QFile::encodeName(dir.filePath("f")).constData(), O_CREAT | O_WRONLY, 0600);
        QVERIFY(leaked > 2);
        ProcessRunner runner;
        const auto result = runToEnd(runner, spec("ls /proc/$$/fd"));
        ::close(leaked);
        QCOMPARE(result.exit_code, std::optional<int>(0));
        const QList<QByteArray> fds = QByteArray::fromStdString(result.output).split('\n');
        QVERIFY2(!fds.contains(QByteArray::number(leaked)), result.output.c_str());
        QVERIFY(fds.contains("0") && fds.contains("1") && fds.contains("2"));
    }

    void timeoutKillsTheChildAndItsChildren() {
        QTemporaryDir dir;
        const QString pids = dir.filePath("pids");
        ProcessRunner runner;
        const auto result = runToEnd(
            runner,
            spec(("sleep 30 & echo $! > " + pids + "; echo $$ >> " + pids + "; wait").toStdString(),
                 300ms));
        QVERIFY(result.timed_out);
        QVERIFY(!result.succeeded());
        QCOMPARE(result.signal, std::optional<int>(SIGTERM));
        const auto written = readPids(pids);
        QCOMPARE(written.size(), std::size_t{2});
        QCOMPARE(written[1], result.pid);
        for (const qint64 pid : written) {
            QTRY_VERIFY2(!alive(pid), qPrintable(QString::number(pid)));
        }
    }

    void childIgnoringSigtermGetsSigkill() {
        QTemporaryDir dir;
        const QString pids = dir.filePath("pids");
        ProcessRunner runner;
        const auto result =
            runToEnd(runner, spec(("trap '' TERM; sleep 30 & echo $! > " + pids + "; echo $$ >> " +
                                   pids + "; wait; wait; sleep 30")
                                      .toStdString(),
                                  300ms));
        QVERIFY(result.timed_out);
        QCOMPARE(result.signal, std::optional<int>(SIGKILL));
        QVERIFY(!result.abandoned);
        const auto written = readPids(pids);
        QCOMPARE(written.size(), std::size_t{2});
        for (const qint64 pid : written) {
            QTRY_VERIFY2(!alive(pid), qPrintable(QString::number(pid)));
        }
    }

    void aHungChildDoesNotDelayAnother() {
        ProcessRunner runner;
        QObject receiver;
        std::vector<std::string> finished;
        runner.start(spec("sleep 30", 1000ms), &receiver, [&](const ProcessResult& result) {
            QVERIFY(result.timed_out);
            finished.push_back("hung");
        });
        runner.start(spec("echo quick"), &receiver, [&](const ProcessResult& result) {
            QCOMPARE(result.output, std::string("quick\n"));
            finished.push_back("quick");
        });
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), std::size_t{2}, 10000);
        QCOMPARE(finished, (std::vector<std::string>{"quick", "hung"}));
        QCOMPARE(runner.pending(), std::size_t{0});
    }

    void manyChildrenAtOnceAllReport() {
        ProcessRunner runner;
        QObject receiver;
        std::vector<int> codes;
        for (int i = 0; i < 20; ++i) {
            runner.start(spec("exit " + std::to_string(i)), &receiver,
                         [&codes](const ProcessResult& result) {
                             codes.push_back(result.exit_code.value_or(-1));
                         });
        }
        QTRY_COMPARE_WITH_TIMEOUT(codes.size(), std::size_t{20}, 10000);
        std::sort(codes.begin(), codes.end());
        for (int i = 0; i < 20; ++i) {
            QCOMPARE(codes[static_cast<std::size_t>(i)], i);
        }
    }

    void backgroundedGrandchildDoesNotHoldTheRunOpen() {
        QTemporaryDir dir;
        const QString pids = dir.filePath("pids");
        ProcessRunner runner;
        // The grandchild keeps the output pipe open; the run still ends with its parent.
        const auto result = runToEnd(
            runner, spec(("sleep 30 & echo $! > " + pids + "; echo done").toStdString(), 20000ms));
        QCOMPARE(result.exit_code, std::optional<int>(0));
        QVERIFY(!result.timed_out);
        QCOMPARE(result.output, std::string("done\n"));
        const auto written = readPids(pids);
        QCOMPARE(written.size(), std::size_t{1});
        ::kill(static_cast<pid_t>(written[0]), SIGKILL);
    }

    void cancelKillsTheChildAndSuppressesItsCallback() {
        QTemporaryDir dir;
        const QString pids = dir.filePath("pids");
        ProcessRunner runner;
        int calls = 0;
        const auto id =
            runner.start(spec(("echo $$ > " + pids + "; exec sleep 30").toStdString(), 20000ms),
                         [&calls](const ProcessResult&) { ++calls; });
        QTRY_COMPARE(readPids(pids).size(), std::size_t{1});
        runner.cancel(id);
        QCOMPARE(runner.pending(), std::size_t{0});
        QTRY_VERIFY(!alive(readPids(pids).front()));
        // A later run's result proves the worker went on past the cancelled one.
        QCOMPARE(runToEnd(runner, spec("exit 4")).exit_code, std::optional<int>(4));
        QCOMPARE(calls, 0);
    }

    void destroyingTheRunnerKillsItsChildren() {
        QTemporaryDir dir;
        const QString pids = dir.filePath("pids");
        int calls = 0;
        {
            ProcessRunner runner;
            runner.start(spec(("echo $$ > " + pids + "; exec sleep 30").toStdString(), 20000ms),
                         [&calls](const ProcessResult&) { ++calls; });
            QTRY_COMPARE(readPids(pids).size(), std::size_t{1});
        }
        QVERIFY(!alive(readPids(pids).front()));
        QCOMPARE(calls, 0);
    }
};

QTEST_GUILESS_MAIN(TestProcessRunner)
#include "test_process_runner.moc"

// What the agents' process tests share: a real understudyd (the shared launcher) with its files
// in one folder and understudyctl to drive it, cluster tokens obtained through the API, and a
// way to run a program with an environment and stdin.
#pragma once

#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include "tests/support/ports.h"
#include "tests/support/source_files.h"
#include "tests/support/understudyd_process.h"

namespace understudy::tests {

using namespace understudy::testsupport;

// Generous: a run that takes longer than this has hung, which is what some tests look for.
inline constexpr int kHangMs = 30000;

struct Run {
    int exit_code = -1;  // -1: crashed or did not finish within the limit
    bool finished = false;
    QString out;
    QString err;

    QJsonObject json() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
    QString describe() const {
        return QStringLiteral("exit %1\nstdout:\n%2\nstderr:\n%3").arg(exit_code).arg(out, err);
    }
};

#define EXPECT_EXIT(run, code) QVERIFY2((run).exit_code == (code), qPrintable((run).describe()))

// Runs a program to its end (or kills it after `limit_ms`) while this thread's event loop keeps
// turning, so listeners of the test itself stay alive.
inline Run runProgram(const QString& program, const QStringList& arguments,
                      const QProcessEnvironment& environment, const QByteArray& input = {},
                      int limit_ms = kHangMs) {
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(program, arguments);
    Run run;
    if (!process.waitForStarted(limit_ms)) {
        run.err = process.errorString();
        return run;
    }
    process.write(input);
    process.closeWriteChannel();
    QDeadlineTimer deadline(limit_ms);
    while (process.state() != QProcess::NotRunning && !deadline.hasExpired()) {
        QTest::qWait(10);
    }
    if (process.state() != QProcess::NotRunning) {
        process.kill();
        process.waitForFinished();
        run.out = QString::fromUtf8(process.readAllStandardOutput());
        run.err = QString::fromUtf8(process.readAllStandardError()) +
                  QStringLiteral("\n[killed: still running after %1 ms]").arg(limit_ms);
        return run;
    }
    run.finished = true;
    run.exit_code = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

// understudyctl's arguments that rotate `cluster`'s token and print the new one.
inline QStringList rotateTokenArguments(const QString& cluster) {
    return {QStringLiteral("--json"), QStringLiteral("clusters"), QStringLiteral("rotate-token"),
            cluster};
}

// Writes the token a run of rotateTokenArguments() printed to `path`; false, with a warning
// naming `cluster`, when the rotation failed.
inline bool writeRotatedToken(const Run& rotated, const QString& cluster, const QString& path) {
    const QString token = rotated.json().value(QStringLiteral("token")).toString();
    if (rotated.exit_code != 0 || token.isEmpty()) {
        qWarning("token rotation of %s failed: %s", qPrintable(cluster),
                 qPrintable(rotated.describe()));
        return false;
    }
    writeFile(path, token.toUtf8() + "\n");
    return true;
}

// A real understudyd with its database, admin token file and log (understudyd.log, to keep the
// test's output readable) in `dir`, driven through understudyctl.
class AgentService {
public:
    explicit AgentService(const QString& dir)
        : dir_(dir), process_(dir + QStringLiteral("/understudy.db")) {
        process_.setLogFile(dir + QStringLiteral("/understudyd.log"));
        // Its request log too: the first thing to read when an agent's test fails.
        process_.setEnvironment(QStringLiteral("QT_LOGGING_RULES"),
                                QStringLiteral("understudy.api.info=true"));
    }

    QString url() const { return process_.url().toString(); }
    QString adminTokenFile() const { return dir_ + QStringLiteral("/admin.token"); }
    // Its port, when `arguments` name a config that listens on a given one.
    void setPort(quint16 port) { process_.setPort(port); }

    // Starts `understudyd --demo` (or with `arguments`) and waits until it listens; false when it
    // did not come up, and output() says why.
    bool start(const QStringList& arguments = {}) {
        writeAdminTokenFile(adminTokenFile());
        return process_.start(arguments);
    }
    void stop() { process_.stop(); }
    qint64 pid() const { return process_.pid(); }
    QByteArray output() { return process_.output(); }

    // understudyctl with the admin token.
    Run admin(const QStringList& arguments) const { return ctl(adminTokenFile(), arguments); }

    Run ctl(const QString& token_file, const QStringList& arguments) const {
        QProcessEnvironment env;
        env.insert(QStringLiteral("PATH"), qEnvironmentVariable("PATH"));
        env.insert(QStringLiteral("HOME"), dir_);
        return runProgram(QStringLiteral(UNDERSTUDYCTL),
                          QStringList{QStringLiteral("--url"), url(),
                                      QStringLiteral("--token-file"), token_file} +
                              arguments,
                          env);
    }

    // A fresh token for `cluster` (POST /clusters/{name}/token), written to a file in the
    // service's folder; empty when the rotation failed.
    QString clusterTokenFile(const QString& cluster) const {
        const QString path = dir_ + QStringLiteral("/%1.token").arg(cluster);
        return writeRotatedToken(admin(rotateTokenArguments(cluster)), cluster, path) ? path
                                                                                      : QString();
    }

    QString nodeState(const QString& node) const {
        const Run run = admin({QStringLiteral("--json"), QStringLiteral("nodes"), node});
        return run.exit_code == 0 ? run.json().value(QStringLiteral("state")).toString()
                                  : run.describe();
    }

private:
    QString dir_;
    UnderstudydProcess process_;
};

}  // namespace understudy::tests

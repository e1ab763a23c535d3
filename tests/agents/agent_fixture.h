// What the agents' process tests share: a real `understudyd --demo` on a free loopback port
// with its own database, cluster tokens obtained through the API, a closed port and a
// listener that never answers, and a way to run a program with an environment and stdin.
#pragma once

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <memory>

namespace understudy::tests {

// Generous: a run that takes longer than this has hung, which is what some tests look for.
inline constexpr int kHangMs = 30000;
inline constexpr char kAdminToken[] = "admin-agents-7f31c2a9e4";

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

inline void writeFile(const QString& path, const QByteArray& content) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        qFatal("cannot write %s", qPrintable(path));
    }
    file.write(content);
}

inline quint16 freePort() {
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0)) {
        qFatal("cannot bind a loopback port");
    }
    return probe.serverPort();
}

inline QString urlOf(quint16 port) {
    return QStringLiteral("http://127.0.0.1:%1").arg(port);
}

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

// A real understudyd serving the demo fleet from a database in `dir`.
class DemoService {
public:
    explicit DemoService(const QString& dir) : dir_(dir) {}
    ~DemoService() { stop(); }

    QString url() const { return url_; }
    QString adminTokenFile() const { return dir_ + QStringLiteral("/admin.token"); }

    // Starts it and waits until GET /health answers; false with the reason in `error`.
    bool start(QString& error) {
        writeFile(adminTokenFile(), QByteArray(kAdminToken) + "\n");
        const quint16 port = freePort();
        url_ = urlOf(port);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("UNDERSTUDY_ADMIN_TOKEN"), QString::fromLatin1(kAdminToken));
        process_.setProcessEnvironment(env);
        // Its request log goes to a file beside its database, to keep the test's output readable.
        process_.setProcessChannelMode(QProcess::MergedChannels);
        process_.setStandardOutputFile(dir_ + QStringLiteral("/understudyd.log"));
        process_.start(QStringLiteral(UNDERSTUDYD),
                       {QStringLiteral("--demo"), QStringLiteral("--listen"),
                        QStringLiteral("127.0.0.1:%1").arg(port), QStringLiteral("--database"),
                        dir_ + QStringLiteral("/understudy.db")});
        if (!process_.waitForStarted(kHangMs)) {
            error = process_.errorString();
            return false;
        }
        QDeadlineTimer deadline(kHangMs);
        while (!deadline.hasExpired() && process_.state() == QProcess::Running) {
            if (admin({QStringLiteral("--timeout"), QStringLiteral("2"), QStringLiteral("status")})
                    .exit_code == 0) {
                return true;
            }
            QThread::msleep(100);
        }
        error = QStringLiteral("understudyd did not answer GET /health");
        return false;
    }

    void stop() {
        if (process_.state() != QProcess::NotRunning) {
            process_.terminate();
            if (!process_.waitForFinished(10000)) {
                process_.kill();
                process_.waitForFinished();
            }
        }
    }

    // understudyctl with the admin token.
    Run admin(const QStringList& arguments) const { return ctl(adminTokenFile(), arguments); }

    Run ctl(const QString& token_file, const QStringList& arguments) const {
        QProcessEnvironment env;
        env.insert(QStringLiteral("PATH"), qEnvironmentVariable("PATH"));
        env.insert(QStringLiteral("HOME"), dir_);
        return runProgram(
            QStringLiteral(UNDERSTUDYCTL),
            QStringList{QStringLiteral("--url"), url_, QStringLiteral("--token-file"), token_file} +
                arguments,
            env);
    }

    // A fresh token for `cluster` (POST /clusters/{name}/token), written to a file in the
    // service's folder; empty when the rotation failed.
    QString clusterTokenFile(const QString& cluster) const {
        const Run run = admin({QStringLiteral("--json"), QStringLiteral("clusters"),
                               QStringLiteral("rotate-token"), cluster});
        const QString token = run.json().value(QStringLiteral("token")).toString();
        if (run.exit_code != 0 || token.isEmpty()) {
            qWarning("token rotation of %s failed: %s", qPrintable(cluster),
                     qPrintable(run.describe()));
            return {};
        }
        const QString path = dir_ + QStringLiteral("/%1.token").arg(cluster);
        writeFile(path, token.toUtf8() + "\n");
        return path;
    }

    QString nodeState(const QString& node) const {
        const Run run = admin({QStringLiteral("--json"), QStringLiteral("nodes"), node});
        return run.exit_code == 0 ? run.json().value(QStringLiteral("state")).toString()
                                  : run.describe();
    }

private:
    QString dir_;
    QString url_;
    QProcess process_;
};

// A port nothing listens on.
inline quint16 closedPort() {
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0)) {
        qFatal("cannot bind a loopback port");
    }
    const quint16 port = probe.serverPort();
    probe.close();
    return port;
}

}  // namespace understudy::tests

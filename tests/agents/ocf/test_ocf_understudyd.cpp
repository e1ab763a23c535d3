// ocf:understudy:understudyd, the agent that runs the service itself under Pacemaker, as
// Pacemaker runs it: the script from the build tree starting, watching and stopping the
// understudyd of this build on a test-driver appliance, its refusals, a service that died,
// hangs or cannot start, and ocf-tester.
#include <QtTest>

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <csignal>

#include "tests/agents/agent_fixture.h"
#include "tests/agents/ocf/ocf_exit_codes.h"
#include "tests/support/test_driver_host.h"

using namespace understudy::tests;

namespace {

QString agentPath() {
    return QStringLiteral(UNDERSTUDY_OCF_ROOT "/resource.d/understudy/understudyd");
}

bool processAlive(qint64 pid) {
    return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0;
}

}  // namespace

class TestOcfUnderstudyd : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    quint16 port_ = 0;

    QString path(const QString& name) const { return dir_.filePath(name); }
    QString config() const { return path(QStringLiteral("understudyd.conf")); }
    QString pidFile() const { return path(QStringLiteral("rsctmp/understudyd-test.pid")); }

    // The service's config: a test-driver appliance, listening on every address (the agent asks
    // on loopback), `extra` appended to [service].
    void writeConfig(const QString& extra = {}) {
        writeFile(
            config(),
            QStringLiteral("[service]\nlisten = 0.0.0.0:%1\ndatabase = %2\n"
                           "admin_token_file = %3\n%4\n"
                           "[appliance.lab]\nuri = test://%5\ndomain_template = %6\n")
                .arg(port_)
                .arg(path(QStringLiteral("understudy.db")), path(QStringLiteral("admin.token")),
                     extra, path(QStringLiteral("host.xml")),
                     sourcePath(QStringLiteral("appliance/data/passive-node.xml")))
                .toUtf8());
    }

    QProcessEnvironment environment(const QString& timeout_ms = QStringLiteral("20000")) const {
        QProcessEnvironment env;
        env.insert("PATH", QFileInfo(QStringLiteral(UNDERSTUDYD)).absolutePath() + ":" +
                               QFileInfo(QStringLiteral(UNDERSTUDYCTL)).absolutePath() + ":" +
                               qEnvironmentVariable("PATH"));
        env.insert("OCF_ROOT", UNDERSTUDY_OCF_ROOT);
        env.insert("OCF_RA_VERSION_MAJOR", "1");
        env.insert("OCF_RA_VERSION_MINOR", "0");
        env.insert("OCF_RESOURCE_INSTANCE", "test");
        env.insert("HA_RSCTMP", path(QStringLiteral("rsctmp")));
        env.insert("OCF_RESKEY_config", config());
        env.insert("OCF_RESKEY_log_file", path(QStringLiteral("log/understudyd.log")));
        env.insert("OCF_RESKEY_CRM_meta_timeout", timeout_ms);
        return env;
    }
    Run agent(const QString& action, const QProcessEnvironment& env) {
        return runProgram(agentPath(), {action}, env, {}, 90000);
    }
    Run agent(const QString& action) { return agent(action, environment()); }
    qint64 servicePid() const {
        QFile file(pidFile());
        return file.open(QIODevice::ReadOnly) ? file.readAll().trimmed().toLongLong() : 0;
    }
    void stopAnyService() {
        const qint64 pid = servicePid();
        if (processAlive(pid)) {
            ::kill(static_cast<pid_t>(pid), SIGCONT);
            ::kill(static_cast<pid_t>(pid), SIGKILL);
            QVERIFY(QTest::qWaitFor([&] { return !processAlive(pid); }, 10000));
        }
        QFile::remove(pidFile());
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        port_ = freePort();
        writeAdminTokenFile(path(QStringLiteral("admin.token")));
        QVERIFY(understudy::testsupport::writeTestDriverHost(path(QStringLiteral("host.xml")), 16,
                                                             65536));
    }
    void init() { writeConfig(); }
    void cleanup() { stopAnyService(); }

    void startRunsTheServiceUntilStop() {
        EXPECT_EXIT(agent("monitor"), kOcfNotRunning);
        EXPECT_EXIT(agent("start"), kOcfSuccess);
        const qint64 pid = servicePid();
        QVERIFY(processAlive(pid));
        // The service answers where its config says.
        QProcessEnvironment ctl;
        ctl.insert("HOME", dir_.path());
        const Run health = runProgram(
            QStringLiteral(UNDERSTUDYCTL),
            {"--url", QStringLiteral("http://127.0.0.1:%1").arg(port_), "--json", "status"}, ctl);
        EXPECT_EXIT(health, 0);
        EXPECT_EXIT(agent("monitor"), kOcfSuccess);
        QProcessEnvironment deep = environment();
        deep.insert("OCF_CHECK_LEVEL", "10");
        EXPECT_EXIT(agent("monitor", deep), kOcfSuccess);
        // A second start leaves the running service alone.
        EXPECT_EXIT(agent("start"), kOcfSuccess);
        QCOMPARE(servicePid(), pid);

        const Run stop = agent("stop");
        EXPECT_EXIT(stop, kOcfSuccess);
        QVERIFY(!processAlive(pid));
        QVERIFY(!QFile::exists(pidFile()));
        // It drained and exited on SIGTERM: no SIGKILL was needed.
        QVERIFY2(!stop.err.contains("killing it"), qPrintable(stop.describe()));
        EXPECT_EXIT(agent("monitor"), kOcfNotRunning);
        EXPECT_EXIT(agent("stop"), kOcfSuccess);
    }

    void aServiceThatDiedIsNotRunning() {
        EXPECT_EXIT(agent("start"), kOcfSuccess);
        const qint64 pid = servicePid();
        ::kill(static_cast<pid_t>(pid), SIGKILL);
        QVERIFY(QTest::qWaitFor([&] { return !processAlive(pid); }, 10000));
        EXPECT_EXIT(agent("monitor"), kOcfNotRunning);
        EXPECT_EXIT(agent("stop"), kOcfSuccess);
    }

    // SIGSTOP: the process is there and answers nothing. monitor fails within its timeout; stop
    // kills it when the drain cannot happen within the stop's timeout.
    void aHungServiceFailsItsMonitorAndIsKilledAtStop() {
        EXPECT_EXIT(agent("start"), kOcfSuccess);
        const qint64 pid = servicePid();
        ::kill(static_cast<pid_t>(pid), SIGSTOP);
        const Run monitor = agent("monitor", environment(QStringLiteral("5000")));
        EXPECT_EXIT(monitor, kOcfErrGeneric);
        QVERIFY2(
            monitor.err.contains("ocf-exit-reason:") && monitor.err.contains("does not answer"),
            qPrintable(monitor.describe()));
        QElapsedTimer clock;
        clock.start();
        const Run stop = agent("stop", environment(QStringLiteral("5000")));
        EXPECT_EXIT(stop, kOcfSuccess);
        QVERIFY2(stop.err.contains("killing it"), qPrintable(stop.describe()));
        QVERIFY2(clock.elapsed() < 5000, "stop outlasted its timeout");
        QVERIFY(QTest::qWaitFor([&] { return !processAlive(pid); }, 5000));
    }

    // An appliance the service cannot reach degrades it, and neither monitor fails: restarting
    // the service would not bring the appliance back (a pool that lost one would restart its
    // service every time the depth-10 monitor ran).
    void anUnreachableApplianceFailsNoMonitor() {
        QFile appended(config());
        QVERIFY(appended.open(QIODevice::Append));
        appended.write(QStringLiteral("\n[appliance.gone]\nuri = test://%1\n")
                           .arg(path(QStringLiteral("absent-host.xml")))
                           .toUtf8());
        appended.close();
        EXPECT_EXIT(agent("start"), kOcfSuccess);
        QProcessEnvironment deep = environment();
        deep.insert("OCF_CHECK_LEVEL", "10");
        const Run monitor = agent("monitor", deep);
        EXPECT_EXIT(monitor, kOcfSuccess);
        QVERIFY2(monitor.err.contains("degraded"), qPrintable(monitor.describe()));
        EXPECT_EXIT(agent("monitor"), kOcfSuccess);
        EXPECT_EXIT(agent("stop"), kOcfSuccess);
    }

    void aServiceThatCannotStartFailsTheStartWithItsReason() {
        writeConfig(QStringLiteral("max_body_bytes = lots\n"));
        const Run start = agent("start");
        EXPECT_EXIT(start, kOcfErrGeneric);
        QVERIFY2(start.err.contains("ocf-exit-reason:understudyd exited at start") &&
                     start.err.contains("max_body_bytes"),
                 qPrintable(start.describe()));
        QVERIFY(!QFile::exists(pidFile()));
    }

    void aMissingConfigIsNotInstalled() {
        QProcessEnvironment env = environment();
        env.insert("OCF_RESKEY_config", path(QStringLiteral("absent.conf")));
        const Run validate = agent("validate-all", env);
        EXPECT_EXIT(validate, kOcfErrInstalled);
        QVERIFY2(validate.err.contains("absent.conf"), qPrintable(validate.describe()));
        EXPECT_EXIT(agent("stop", env), kOcfSuccess);
        env.insert("OCF_RESKEY_CRM_meta_interval", "0");
        EXPECT_EXIT(agent("monitor", env), kOcfNotRunning);
        EXPECT_EXIT(agent("validate-all"), kOcfSuccess);
    }

    void passesOcfTester() {
        QProcessEnvironment env = environment();
        env.insert("OCF_ROOT", "/usr/lib/ocf");  // ocf-tester's own checks read its DTD there
        env.remove("OCF_RESOURCE_INSTANCE");
        const Run run =
            runProgram("ocf-tester",
                       {"-n", "understudyd", "-o", "config=" + config(), "-o",
                        "log_file=" + path(QStringLiteral("log/understudyd.log")), agentPath()},
                       env, {}, 180000);
        EXPECT_EXIT(run, 0);
        QVERIFY2(run.out.contains("passed all tests"), qPrintable(run.describe()));
    }
};

QTEST_GUILESS_MAIN(TestOcfUnderstudyd)
#include "test_ocf_understudyd.moc"

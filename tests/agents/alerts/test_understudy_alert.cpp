// understudy-alert, the pool cluster's Pacemaker alert agent, run as Pacemaker runs it: the
// script from the build tree with the event in CRM_alert_* variables and its instance
// attributes as variables of their own, calling the understudyctl of this build. What it
// ignores it ignores without a connection; what it acts on reaches a real understudyd, which
// may refuse (the appliance still reached: asked again until the deadline) or come up late.
#include <QtTest>

#include <QElapsedTimer>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>

#include "tests/agents/agent_fixture.h"
#include "tests/support/test_driver_host.h"

using namespace understudy::tests;

namespace {

// Whether a client connected: accepted already while the event loop ran, or arriving now.
bool wasConnected(QTcpServer& server, int wait_ms) {
    return server.hasPendingConnections() || server.waitForNewConnection(wait_ms);
}

// The lines of `text` that match `pattern`.
int countMatches(const QString& text, const QString& pattern) {
    int count = 0;
    auto matches = QRegularExpression(pattern).globalMatch(text);
    while (matches.hasNext()) {
        matches.next();
        ++count;
    }
    return count;
}

}  // namespace

class TestUnderstudyAlert : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;

    QString path(const QString& name) const { return dir_.filePath(name); }

    // What Pacemaker 2.1.5 sets for the successful reboot fencing of `node` (the action only in
    // the description), then `assignments` (NAME=VALUE; an empty VALUE removes the variable).
    QProcessEnvironment fencing(const QString& node, const QStringList& assignments = {}) const {
        QProcessEnvironment env;
        env.insert("PATH", QFileInfo(QStringLiteral(UNDERSTUDYCTL)).absolutePath() + ":" +
                               qEnvironmentVariable("PATH"));
        env.insert("HOME", path("home"));
        env.insert("CRM_alert_version", "2.1.5");
        env.insert("CRM_alert_kind", "fencing");
        env.insert("CRM_alert_node", node);
        env.insert("CRM_alert_task", "st_notify_fence");
        env.insert("CRM_alert_rc", "0");
        env.insert("CRM_alert_desc", QStringLiteral("Operation reboot of %1 by pool-1 for "
                                                    "pacemaker-controld.1207@pool-1: OK (ref=4d1c)")
                                         .arg(node));
        env.insert("CRM_alert_timestamp", "16:05:12.123456");
        env.insert("CRM_alert_node_sequence", "7");
        for (const QString& assignment : assignments) {
            const qsizetype equals = assignment.indexOf('=');
            const QString name = assignment.left(equals);
            const QString value = assignment.mid(equals + 1);
            if (value.isEmpty()) {
                env.remove(name);
            } else {
                env.insert(name, value);
            }
        }
        return env;
    }

    Run alert(const QProcessEnvironment& env, int limit_ms = kHangMs) {
        return runProgram(QStringLiteral(UNDERSTUDY_ALERT), {}, env, {}, limit_ms);
    }

private slots:
    void initTestCase() { QVERIFY(QDir().mkpath(path("home"))); }

    // Nothing but a successful fencing that powered a node off means an appliance is off.
    void ignoresEverythingButAFencingThatPoweredANodeOff_data() {
        QTest::addColumn<QStringList>("assignments");
        QTest::newRow("node alert") << QStringList{"CRM_alert_kind=node", "CRM_alert_desc=lost",
                                                   "CRM_alert_task=", "CRM_alert_rc="};
        QTest::newRow("resource alert")
            << QStringList{"CRM_alert_kind=resource", "CRM_alert_rsc=understudyd",
                           "CRM_alert_task=monitor", "CRM_alert_rc=7"};
        QTest::newRow("attribute alert")
            << QStringList{"CRM_alert_kind=attribute", "CRM_alert_attribute_name=standby"};
        QTest::newRow("failed fencing") << QStringList{"CRM_alert_rc=1"};
        QTest::newRow("unfencing") << QStringList{
            "CRM_alert_desc=Operation on of pool-2 by pool-1 for "
            "pacemaker-controld.1207@pool-1: OK (ref=4d1c)"};
        QTest::newRow("unfencing, the action as the task") << QStringList{"CRM_alert_task=on"};
        QTest::newRow("not in the map") << QStringList{"appliance_map=pool-1=pna-1 pool-3=pna-3"};
        QTest::newRow("not run by Pacemaker") << QStringList{"CRM_alert_kind="};
    }
    void ignoresEverythingButAFencingThatPoweredANodeOff() {
        QFETCH(QStringList, assignments);
        QTcpServer service;  // a request would show up as a connection
        QVERIFY(service.listen(QHostAddress::LocalHost, 0));
        const Run run = alert(fencing(
            "pool-2", QStringList{"url=" + loopbackUrl(service.serverPort())} + assignments));
        EXPECT_EXIT(run, 0);
        QVERIFY2(!wasConnected(service, 200), "the agent asked the service about an ignored alert");
    }

    void refusesInvalidAttributesWithoutAsking_data() {
        QTest::addColumn<QString>("assignment");
        QTest::addColumn<QString>("expected");
        QTest::newRow("deadline in words") << "deadline=soon"
                                           << "deadline \"soon\"";
        QTest::newRow("zero deadline") << "deadline=0"
                                       << "deadline \"0\"";
        QTest::newRow("map entry without appliance") << "appliance_map=pool-1=pna-1 pool-2"
                                                     << "\"pool-2\" is not NODE=APPLIANCE";
        QTest::newRow("recipient that is no URL") << "CRM_alert_recipient=/var/log/alerts.log"
                                                  << "\"/var/log/alerts.log\"";
    }
    void refusesInvalidAttributesWithoutAsking() {
        QFETCH(QString, assignment);
        QFETCH(QString, expected);
        QTcpServer service;
        QVERIFY(service.listen(QHostAddress::LocalHost, 0));
        QStringList assignments{assignment};
        if (!assignment.startsWith("CRM_alert_recipient")) {
            assignments.append("url=" + loopbackUrl(service.serverPort()));
        }
        const Run run = alert(fencing("pool-2", assignments));
        EXPECT_EXIT(run, 1);
        QVERIFY2(run.err.contains(expected), qPrintable(run.err));
        QVERIFY(!wasConnected(service, 200));
    }

    // The map names the appliance asked about; the recipient is the service when there is no
    // url. An appliance the service does not know is not asked about again.
    void asksAboutTheMappedApplianceAtTheRecipient() {
        AgentService service(path("mapped"));
        QDir().mkpath(path("mapped"));
        QVERIFY2(service.start(), service.output().constData());
        QElapsedTimer clock;
        clock.start();
        const Run run =
            alert(fencing("pool-2", {"CRM_alert_recipient=" + service.url(),
                                     "token_file=" + service.adminTokenFile(),
                                     "appliance_map=pool-1=pna-1, pool-2=pna-gone  pool-3=pna-3"}));
        EXPECT_EXIT(run, 1);
        QVERIFY2(clock.elapsed() < 10000,
                 "asked again about an appliance the service does not know");
        QVERIFY2(run.err.contains("pool-2 was fenced (reboot): declaring appliance pna-gone lost"),
                 qPrintable(run.err));
        QVERIFY2(run.err.contains("not retried; check appliance_map"), qPrintable(run.err));
        QVERIFY(!run.err.contains(kAdminToken));
        QVERIFY(!run.out.contains(kAdminToken));
        service.stop();
        const QString log = QString::fromUtf8(service.output());
        QCOMPARE(countMatches(log, "POST /api/v1/appliances/pna-gone/lost -> 404"), 1);
    }

    // The service still reaches the appliance (it has not noticed the loss yet, or the fencing
    // was of a node that is not really gone): refused, asked again every 2 s until the
    // deadline, then given up with the reason.
    void asksAgainWhileTheServiceStillReachesTheAppliance() {
        AgentService service(path("reachable"));
        QDir().mkpath(path("reachable"));
        QVERIFY2(service.start(), service.output().constData());
        const Run appliances = service.admin({"--json", "appliances"});
        const QString appliance =
            appliances.json()["appliances"].toArray()[0].toObject()["name"].toString();
        QVERIFY2(!appliance.isEmpty(), qPrintable(appliances.describe()));
        QElapsedTimer clock;
        clock.start();
        const Run run =
            alert(fencing(appliance, {"url=" + service.url(),
                                      "token_file=" + service.adminTokenFile(), "deadline=5"}));
        const qint64 elapsed = clock.elapsed();
        EXPECT_EXIT(run, 1);
        QVERIFY2(elapsed >= 3500 && elapsed < 15000, qPrintable(QString::number(elapsed)));
        QVERIFY2(run.err.contains(QRegularExpression(
                     "gave up declaring appliance " + appliance +
                     " lost after [2-9] attempt\\(s\\) in 5 s: the service still reaches it")),
                 qPrintable(run.err));
        QVERIFY2(run.err.contains("understudyctl appliance lost " + appliance),
                 qPrintable(run.err));
        QVERIFY(!run.err.contains(kAdminToken));
        const Run after = service.admin({"--json", "appliances", appliance});
        QCOMPARE(after.json()["state"].toString(), QStringLiteral("connected"));
        service.stop();
        QVERIFY2(countMatches(QString::fromUtf8(service.output()),
                              "POST /api/v1/appliances/" + appliance + "/lost -> 409") >= 2,
                 service.output().constData());
    }

    // The fencing took the appliance the service ran on: the service is unreachable until it
    // has started on a survivor. The agent keeps asking, and the late service declares the
    // unreachable appliance lost; the same alert on another pool node then finds it lost.
    void ridesOutAServiceThatComesUpLate() {
        const QString folder = path("late");
        const quint16 port = freePort();
        QDir().mkpath(folder);
        const QString config = writeApplianceConfig(folder, port, {"pna-1", "pna-2"}, {"pna-2"});
        QVERIFY(!config.isEmpty());
        AgentService service(folder);
        service.setPort(port);
        writeAdminTokenFile(folder + "/admin.token");
        const QProcessEnvironment env = fencing(
            "pna-2",
            {"url=" + loopbackUrl(port), "token_file=" + folder + "/admin.token", "deadline=40"});
        QProcess agent;
        agent.setProcessEnvironment(env);
        agent.start(QStringLiteral(UNDERSTUDY_ALERT), QStringList{});
        QVERIFY(agent.waitForStarted());
        QTest::qWait(1500);
        QCOMPARE(agent.state(), QProcess::Running);
        QVERIFY2(service.start({"--config", config}), service.output().constData());
        QVERIFY(QTest::qWaitFor([&] { return agent.state() == QProcess::NotRunning; }, 45000));
        const QString err = QString::fromUtf8(agent.readAllStandardError());
        QVERIFY2(agent.exitCode() == 0, qPrintable(err));
        QVERIFY2(err.contains("appliance pna-2 declared lost: appliance pna-2 is lost: 0 standby "
                              "node(s) evacuated, 0 stranded"),
                 qPrintable(err));
        QVERIFY(!err.contains(kAdminToken));
        const Run state = service.admin({"--json", "appliances", "pna-2"});
        QCOMPARE(state.json()["state"].toString(), QStringLiteral("lost"));
        const Run events = service.admin({"--json", "events", "--kind", "appliance.lost"});
        QCOMPARE(events.json()["events"].toArray().size(), 1);

        const Run again = alert(env);
        EXPECT_EXIT(again, 0);
        QVERIFY2(again.err.contains("appliance pna-2"), qPrintable(again.err));
        const Run still = service.admin({"--json", "events", "--kind", "appliance.lost"});
        QCOMPARE(still.json()["events"].toArray().size(), 1);
        service.stop();
    }
};

QTEST_GUILESS_MAIN(TestUnderstudyAlert)
#include "test_understudy_alert.moc"

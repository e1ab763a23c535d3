// The OCF agents (ocf:understudy:takeover, ocf:understudy:readiness) as Pacemaker runs them:
// the scripts from the build tree against a real `understudyd --demo`, through ocf-tester and
// through crm_resource with a file CIB; refusals, an unreachable and a silent service, the
// takeover's instance on this node, its pending release and its degraded start.
#include <QtTest>

#include <QDir>
#include <QFile>
#include <QHostInfo>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSysInfo>
#include <QTcpServer>
#include <QTemporaryDir>
#include <memory>

#include "tests/agents/agent_fixture.h"
#include "tests/agents/ocf/ocf_exit_codes.h"

using namespace understudy::tests;

namespace {

// Operation timeout for runs against a dead service: it leaves understudyctl 2 s, and the agent
// must answer within it, or Pacemaker kills the operation and counts it as failed.
constexpr int kShortTimeoutMs = 4000;

QString agentPath(const QString& agent) {
    return QStringLiteral(UNDERSTUDY_OCF_ROOT "/resource.d/understudy/") + agent;
}

// The lines of an agent's stderr that show understudyctl's multi-line error logged line by
// line, as the takeover agent once did ("failed:   state  fenced"): a second ERROR line, or a
// line holding an indented table row or a run of blanks.
QString garbledLines(const QString& err) {
    static const QRegularExpression residue(QStringLiteral(R"(^\s|\S\s{2,}\S|:\s*$)"));
    QStringList garbled;
    const QStringList lines = err.split('\n', Qt::SkipEmptyParts);
    if (lines.filter(QStringLiteral("ERROR:")).size() > 1) {
        garbled << QStringLiteral("(more than one ERROR line)");
    }
    for (const QString& line : lines) {
        if (residue.match(line).hasMatch()) {
            garbled << line;
        }
    }
    return garbled.join('\n');
}

}  // namespace

class TestOcfAgents : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::unique_ptr<AgentService> service_;
    QString dwh_token_;   // the cluster whose node the tests take over
    QString ldap_token_;  // another cluster, for refusals
    QString cib_;         // a file CIB with this host as its one node
    QString host_;

    QString path(const QString& name) const { return dir_.filePath(name); }

    // What the takeover agent keeps for dwh-passive under HA_RSCTMP.
    QString takeoverInstance() const {
        QFile file(path("rsctmp/understudy-takeover-dwh-passive.state"));
        return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()).trimmed()
                                              : QStringLiteral("(none)");
    }
    bool releasePending() const {
        return QFileInfo::exists(path("rsctmp/understudy-takeover-dwh-passive.release-pending"));
    }

    // A service that does not answer: a closed port (refused at once), or a listener that
    // accepts connections (the kernel does) and never answers.
    static QString deadServiceUrl(bool silent, QTcpServer& listener) {
        if (!silent) {
            return loopbackUrl(closedPort());
        }
        return listener.listen(QHostAddress::LocalHost, 0) ? loopbackUrl(listener.serverPort())
                                                           : QString();
    }

    QProcessEnvironment agentEnvironment(const QString& node, const QString& token_file,
                                         const QString& url) const {
        QProcessEnvironment env;
        env.insert("PATH", QFileInfo(QStringLiteral(UNDERSTUDYCTL)).absolutePath() + ":" +
                               qEnvironmentVariable("PATH"));
        env.insert("OCF_ROOT", UNDERSTUDY_OCF_ROOT);
        env.insert("OCF_RA_VERSION_MAJOR", "1");
        env.insert("OCF_RA_VERSION_MINOR", "0");
        env.insert("OCF_RESOURCE_INSTANCE", "understudy-test");
        env.insert("HA_RSCTMP", path("rsctmp"));
        env.insert("CIB_file", cib_);
        env.insert("HOME", dir_.path());
        if (!node.isEmpty()) {
            env.insert("OCF_RESKEY_node", node);
        }
        if (!token_file.isEmpty()) {
            env.insert("OCF_RESKEY_token_file", token_file);
        }
        if (!url.isEmpty()) {
            env.insert("OCF_RESKEY_url", url);
        }
        return env;
    }

    Run runAgentIn(const QString& name, const QString& action, const QProcessEnvironment& env) {
        return runProgram(agentPath(name), {action}, env);
    }
    Run takeover(const QString& action, const QStringList& extra = {}) {
        QProcessEnvironment env = agentEnvironment("dwh-passive", dwh_token_, service_->url());
        for (const QString& assignment : extra) {
            env.insert(assignment.section('=', 0, 0), assignment.section('=', 1));
        }
        return runAgentIn("takeover", action, env);
    }

    QString nodeAttribute(const QString& name) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("CIB_file", cib_);
        const Run run = runProgram(
            "crm_attribute",
            {"--node", host_, "--name", name, "--query", "--lifetime", "reboot", "--quiet"}, env);
        return run.exit_code == 0 ? run.out.trimmed() : QStringLiteral("(none)");
    }
    QString readyAttribute() { return nodeAttribute("understudy-ready"); }
    QString degradedAttribute() { return nodeAttribute("understudy-degraded"); }

    QJsonObject dwhGrant() const {
        return service_->admin({"--json", "nodes", "dwh-passive"}).json().value("grant").toObject();
    }

    // The id of the newest event: GET /events pages oldest first.
    qint64 lastEventId() const {
        qint64 since = 0;
        for (;;) {
            const Run run =
                service_->admin({"--json", "events", "--since", QString::number(since)});
            const qint64 next = run.json().value("next").toInteger(since);
            if (run.exit_code != 0 || next == since) {
                return since;
            }
            since = next;
        }
    }
    qsizetype grantsToDwhSince(qint64 id) const {
        const Run run = service_->admin({"--json", "events", "--since", QString::number(id),
                                         "--cluster", "dwh", "--kind", "takeover.granted"});
        return run.json().value("events").toArray().size();
    }

    // Takes over higher-priority nodes until dwh (priority 300) could not grow any more.
    void fillApplianceAboveDwh() {
        const QStringList by_priority{"ldap-passive",  "billing-passive",    "erp-passive",
                                      "crm-passive",   "monitoring-passive", "web-passive",
                                      "files-passive", "legacy-win-passive", "mail-passive"};
        for (const QString& node : by_priority) {
            const Run ready = service_->admin({"--json", "readiness", "dwh-passive"});
            if (!ready.json().value("ready").toBool(true)) {
                break;
            }
            EXPECT_EXIT(service_->admin({"takeover", node}), 0);
        }
        const Run ready = service_->admin({"--json", "readiness", "dwh-passive"});
        QVERIFY2(!ready.json().value("ready").toBool(true), qPrintable(ready.describe()));
    }

    // crm_resource finds OCF agents only under its compiled-in /usr/lib/ocf/resource.d: run it
    // in a private mount namespace where the build tree's resource.d is mounted there.
    Run crmResource(const QStringList& arguments) {
        QProcessEnvironment env = agentEnvironment({}, {}, {});
        env.remove("OCF_ROOT");
        const QString script = QStringLiteral(
            "mount --bind \"$0\" /usr/lib/ocf/resource.d && exec crm_resource \"$@\"");
        return runProgram(
            "unshare",
            QStringList{"-m", "sh", "-c", script, UNDERSTUDY_OCF_ROOT "/resource.d"} + arguments,
            env);
    }

    void releaseAll() {
        const Run nodes = service_->admin({"--json", "nodes"});
        for (const QJsonValue& node : nodes.json().value("nodes").toArray()) {
            const QString name = node.toObject().value("name").toString();
            if (node.toObject().value("state").toString() == "active") {
                service_->admin({"release", name});
            }
        }
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        service_ = std::make_unique<AgentService>(dir_.path());
        QVERIFY2(service_->start(), service_->output().constData());
        dwh_token_ = service_->clusterTokenFile("dwh");
        ldap_token_ = service_->clusterTokenFile("ldap");
        QVERIFY(!dwh_token_.isEmpty() && !ldap_token_.isEmpty());
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("standby"));

        host_ = QSysInfo::machineHostName();
        cib_ = path("cib.xml");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("CIB_file", cib_);
        const Run empty = runProgram("cibadmin", {"--empty"}, env);
        EXPECT_EXIT(empty, 0);
        writeFile(cib_, empty.out.toUtf8());
        EXPECT_EXIT(runProgram("cibadmin",
                               {"-C", "-o", "nodes", "-X",
                                QStringLiteral("<node id=\"1\" uname=\"%1\"/>").arg(host_)},
                               env),
                    0);
        EXPECT_EXIT(runProgram("cibadmin",
                               {"-C", "-o", "status", "-X",
                                QStringLiteral("<node_state id=\"1\" uname=\"%1\"/>").arg(host_)},
                               env),
                    0);
    }

    void cleanupTestCase() {
        if (service_) {
            service_->stop();
        }
    }

    // Every test starts as after a reboot of this node: HA_RSCTMP is empty, no grant holds, and
    // no node is left fenced by a test that failed half-way.
    void init() {
        releaseAll();
        if (service_->nodeState("dwh-passive") == "fenced") {
            service_->admin({"power", "dwh-passive", "on"});
        }
        QDir(path("rsctmp")).removeRecursively();
    }

    void metaDataIsValidOcfXml_data() {
        QTest::addColumn<QString>("agent");
        QTest::newRow("takeover") << "takeover";
        QTest::newRow("readiness") << "readiness";
    }
    void metaDataIsValidOcfXml() {
        QFETCH(QString, agent);
        const Run meta = runProgram(agentPath(agent), {"meta-data"}, agentEnvironment({}, {}, {}));
        EXPECT_EXIT(meta, kOcfSuccess);
        writeFile(path(agent + ".xml"), meta.out.toUtf8());
        const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        // The DTD ocf-tester uses, and resource-agents' RELAX NG schema.
        QProcess lint;
        lint.setWorkingDirectory("/usr/share/resource-agents");
        lint.start("sh", {"-c",
                          "xmllint --noout --valid - < \"$0\" && xmllint --noout --relaxng "
                          "metadata.rng \"$0\"",
                          path(agent + ".xml")});
        QVERIFY(lint.waitForFinished(kHangMs));
        QVERIFY2(lint.exitCode() == 0, lint.readAllStandardError().constData());
        for (const char* parameter : {"name=\"url\"", "name=\"node\"", "name=\"token_file\"",
                                      "default=\"http://127.0.0.1:8470\""}) {
            QVERIFY2(meta.out.contains(parameter), parameter);
        }
        if (agent == "takeover") {
            QVERIFY2(
                meta.out.contains("name=\"on_denied\"") && meta.out.contains("default=\"fail\""),
                qPrintable(meta.out));
        }
        for (const char* action : {"start", "stop", "monitor", "meta-data", "validate-all"}) {
            QVERIFY2(meta.out.contains(QStringLiteral("<action name=\"%1\"").arg(action)), action);
        }
    }

    void unsupportedActionsAreUnimplemented_data() {
        QTest::addColumn<QString>("agent");
        QTest::addColumn<QString>("action");
        for (const char* agent : {"takeover", "readiness"}) {
            for (const char* action : {"promote", "demote", "notify", "migrate_to", "reload"}) {
                QTest::addRow("%s %s", agent, action) << agent << action;
            }
        }
    }
    void unsupportedActionsAreUnimplemented() {
        QFETCH(QString, agent);
        QFETCH(QString, action);
        const Run run = runAgent(agent, action);
        EXPECT_EXIT(run, kOcfErrUnimplemented);
    }

    void badParametersAreConfigurationErrors_data() {
        QTest::addColumn<QString>("agent");
        QTest::addColumn<QString>("node");
        QTest::addColumn<QString>("tokenFile");
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("onDenied");
        QTest::addColumn<int>("expected");
        QTest::addColumn<QString>("reason");
        for (const char* agent : {"takeover", "readiness"}) {
            QTest::addRow("%s without node", agent)
                << agent << ""
                << "TOKEN"
                << "URL"
                << "" << kOcfErrConfigured << "node is required";
            QTest::addRow("%s without token_file", agent)
                << agent << "dwh-passive"
                << ""
                << "URL"
                << "" << kOcfErrConfigured << "token_file is required";
            QTest::addRow("%s with a bad node name", agent)
                << agent << "dwh passive"
                << "TOKEN"
                << "URL"
                << "" << kOcfErrConfigured << "is not a node name";
            QTest::addRow("%s with a bad url", agent)
                << agent << "dwh-passive"
                << "TOKEN"
                << "ftp://x"
                << "" << kOcfErrConfigured << "is not an http";
            QTest::addRow("%s with a missing token file", agent)
                << agent << "dwh-passive"
                << "/nonexistent/token"
                << "URL"
                << "" << kOcfErrInstalled << "/nonexistent/token";
        }
        QTest::newRow("takeover with a bad on_denied")
            << "takeover"
            << "dwh-passive"
            << "TOKEN"
            << "URL"
            << "bogus" << kOcfErrConfigured << "on_denied 'bogus' is neither fail nor standby";
    }
    void badParametersAreConfigurationErrors() {
        QFETCH(QString, agent);
        QFETCH(QString, node);
        QFETCH(QString, tokenFile);
        QFETCH(QString, url);
        QFETCH(QString, onDenied);
        QFETCH(int, expected);
        QFETCH(QString, reason);
        QProcessEnvironment env =
            agentEnvironment(node, tokenFile == "TOKEN" ? dwh_token_ : tokenFile,
                             url == "URL" ? service_->url() : url);
        if (!onDenied.isEmpty()) {
            env.insert("OCF_RESKEY_on_denied", onDenied);
        }
        for (const char* action : {"validate-all", "start"}) {
            const Run run = runAgent(agent, action, env);
            EXPECT_EXIT(run, expected);
            QVERIFY2(run.err.contains("ocf-exit-reason:") && run.err.contains(reason),
                     qPrintable(run.describe()));
        }
        // Nothing can run where the agent cannot work: a probe says "not running" and a stop
        // succeeds, so Pacemaker does not fence a node over a configuration it never used.
        QProcessEnvironment probe = env;
        probe.insert("OCF_RESKEY_CRM_meta_interval", "0");
        EXPECT_EXIT(runAgent(agent, "monitor", probe), kOcfNotRunning);
        EXPECT_EXIT(runAgent(agent, "stop", env), kOcfSuccess);
    }

    void validateAllAsksTheService_data() {
        QTest::addColumn<QString>("agent");
        QTest::addColumn<QString>("node");
        QTest::addColumn<QString>("token");
        QTest::addColumn<int>("expected");
        QTest::addColumn<QString>("reason");
        for (const char* agent : {"takeover", "readiness"}) {
            QTest::addRow("%s own node", agent) << agent << "dwh-passive"
                                                << "dwh" << kOcfSuccess << "";
            QTest::addRow("%s wrong token", agent) << agent << "dwh-passive"
                                                   << "wrong" << kOcfErrPerm << "401";
            QTest::addRow("%s another cluster's node", agent) << agent << "dwh-passive"
                                                              << "ldap" << kOcfErrPerm << "403";
            QTest::addRow("%s unknown node", agent) << agent << "no-such-passive"
                                                    << "dwh" << kOcfErrPerm << "403";
            QTest::addRow("%s unknown node, admin token", agent)
                << agent << "no-such-passive"
                << "admin" << kOcfErrConfigured << "404";
        }
    }
    void validateAllAsksTheService() {
        QFETCH(QString, agent);
        QFETCH(QString, node);
        QFETCH(QString, token);
        QFETCH(int, expected);
        QFETCH(QString, reason);
        writeFile(path("wrong.token"), "not-a-token-the-service-knows\n");
        const QString file = token == "dwh"     ? dwh_token_
                             : token == "ldap"  ? ldap_token_
                             : token == "admin" ? service_->adminTokenFile()
                                                : path("wrong.token");
        const Run run =
            runAgent(agent, "validate-all", agentEnvironment(node, file, service_->url()));
        EXPECT_EXIT(run, expected);
        QVERIFY2(run.err.contains(reason), qPrintable(run.describe()));
        // understudyctl adds a hint line to a 401: it joins the error's one line.
        QVERIFY2(garbledLines(run.err).isEmpty(), qPrintable(run.describe()));
    }

    void takeoverStartGrowsTheNodeAndStopReleasesIt() {
        EXPECT_EXIT(takeover("monitor"), kOcfNotRunning);
        const Run start = takeover("start");
        EXPECT_EXIT(start, kOcfSuccess);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("active"));
        QCOMPARE(takeoverInstance(), QStringLiteral("granted"));
        const Run node = service_->admin({"--json", "nodes", "dwh-passive"});
        const QJsonObject current = node.json().value("current").toObject();
        const QJsonObject active = node.json().value("active").toObject();
        QCOMPARE(current.value("memory_mib").toInt(), active.value("memory_mib").toInt());
        EXPECT_EXIT(takeover("monitor"), kOcfSuccess);
        EXPECT_EXIT(takeover("start"), kOcfSuccess);
        EXPECT_EXIT(takeover("stop"), kOcfSuccess);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("standby"));
        QCOMPARE(takeoverInstance(), QStringLiteral("(none)"));
        QVERIFY(!releasePending());
        EXPECT_EXIT(takeover("monitor"), kOcfNotRunning);
        EXPECT_EXIT(takeover("stop"), kOcfSuccess);
    }

    // Pacemaker probes the takeover on every node, the physical one too: only the node where it
    // started may call it running, or a rejoining node's probe makes it "active on 2 nodes" and
    // Pacemaker stops it everywhere, releasing the grant under the running application.
    void takeoverMonitorIsNotRunningWhereItNeverStarted() {
        EXPECT_EXIT(service_->admin({"takeover", "dwh-passive"}), 0);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("active"));
        EXPECT_EXIT(takeover("monitor", {"OCF_RESKEY_CRM_meta_interval=0"}), kOcfNotRunning);
        EXPECT_EXIT(takeover("monitor"), kOcfNotRunning);
        // Nor does it ask the service, which knows nothing about this node's instance.
        QTcpServer listener;
        const QString silent = deadServiceUrl(true, listener);
        QVERIFY(!silent.isEmpty());
        EXPECT_EXIT(takeover("monitor", {"OCF_RESKEY_url=" + silent}), kOcfNotRunning);
        QVERIFY(!listener.hasPendingConnections());
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("active"));
    }

    // A stop that fails gets the node fenced, under the application it stopped for; so a stop
    // that cannot reach the service succeeds and leaves the release pending on this node, and
    // the next takeover monitor or readiness monitor there releases the grant.
    void takeoverStopKeepsTheReleasePendingWhileTheServiceIsUnreachable_data() {
        QTest::addColumn<bool>("silent");
        QTest::addColumn<QString>("retriedBy");
        QTest::addColumn<int>("timeoutMs");  // of every operation here
        for (const bool silent : {false, true}) {
            const char* how = silent ? "silent" : "closed";
            // Shorter than the time a takeover monitor gives a pending release at most.
            QTest::addRow("%s, retried by takeover monitor", how)
                << silent << "takeover" << kShortTimeoutMs;
            // Long enough that a readiness monitor giving each of its two calls the whole
            // budget would overrun it.
            QTest::addRow("%s, retried by readiness monitor", how) << silent << "readiness" << 6000;
        }
    }
    void takeoverStopKeepsTheReleasePendingWhileTheServiceIsUnreachable() {
        QFETCH(bool, silent);
        QFETCH(QString, retriedBy);
        QFETCH(int, timeoutMs);
        QProcessEnvironment up = agentEnvironment("dwh-passive", dwh_token_, service_->url());
        up.insert("OCF_RESKEY_CRM_meta_timeout", QString::number(timeoutMs));
        EXPECT_EXIT(runAgent("takeover", "start", up), kOcfSuccess);
        if (retriedBy == "readiness") {
            EXPECT_EXIT(runAgent("readiness", "start", up), kOcfSuccess);
        }
        QTcpServer listener;
        QProcessEnvironment down = up;
        down.insert("OCF_RESKEY_url", deadServiceUrl(silent, listener));

        // Killed at its timeout, as Pacemaker would.
        const Run stop = runProgram(agentPath("takeover"), {"stop"}, down, {}, timeoutMs);
        QVERIFY2(stop.finished, qPrintable(stop.describe()));
        EXPECT_EXIT(stop, kOcfSuccess);
        QVERIFY2(stop.err.contains("ERROR: release of dwh-passive failed, kept pending on this "
                                   "node: ") &&
                     stop.err.contains(silent ? "no answer from" : "cannot reach"),
                 qPrintable(stop.describe()));
        QVERIFY(releasePending());
        QCOMPARE(takeoverInstance(), QStringLiteral("(none)"));
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("active"));

        // Still no answer: still pending, and the monitor keeps within its timeout too.
        const Run unanswered = runProgram(agentPath(retriedBy), {"monitor"}, down, {}, timeoutMs);
        QVERIFY2(unanswered.finished, qPrintable(unanswered.describe()));
        EXPECT_EXIT(unanswered, retriedBy == "takeover" ? kOcfNotRunning : kOcfSuccess);
        QVERIFY2(unanswered.err.contains("release of dwh-passive still pending"),
                 qPrintable(unanswered.describe()));
        QVERIFY(releasePending());
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("active"));

        const Run monitor = runAgent(retriedBy, "monitor", up);
        EXPECT_EXIT(monitor, retriedBy == "takeover" ? kOcfNotRunning : kOcfSuccess);
        QVERIFY2(monitor.err.contains("pending release of dwh-passive done"),
                 qPrintable(monitor.describe()));
        QVERIFY(!releasePending());
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("standby"));
        if (retriedBy == "readiness") {
            QCOMPARE(readyAttribute(), QStringLiteral("1"));  // asked after the release
            EXPECT_EXIT(runAgent("readiness", "stop", up), kOcfSuccess);
        }
    }

    // The application came back before the service did: the start keeps the grant the
    // pending release never gave back, and no second grant is counted against the appliance.
    void takeoverStartSupersedesAPendingRelease() {
        const qint64 before = lastEventId();
        EXPECT_EXIT(takeover("start"), kOcfSuccess);
        QCOMPARE(grantsToDwhSince(before), 1);
        const QJsonObject grant = dwhGrant();
        QVERIFY(!grant.isEmpty());

        QProcessEnvironment down =
            agentEnvironment("dwh-passive", dwh_token_, loopbackUrl(closedPort()));
        down.insert("OCF_RESKEY_CRM_meta_timeout", QString::number(kShortTimeoutMs));
        EXPECT_EXIT(runAgent("takeover", "stop", down), kOcfSuccess);
        QVERIFY(releasePending());

        const Run start = takeover("start");
        EXPECT_EXIT(start, kOcfSuccess);
        QVERIFY(!releasePending());
        QCOMPARE(takeoverInstance(), QStringLiteral("granted"));
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("active"));
        QCOMPARE(dwhGrant(), grant);
        QCOMPARE(grantsToDwhSince(before), 1);

        // Nothing left for a readiness monitor to release behind the takeover's back.
        const QProcessEnvironment up = agentEnvironment("dwh-passive", dwh_token_, service_->url());
        EXPECT_EXIT(runAgent("readiness", "start", up), kOcfSuccess);
        EXPECT_EXIT(runAgent("readiness", "monitor", up), kOcfSuccess);
        EXPECT_EXIT(runAgent("readiness", "stop", up), kOcfSuccess);
        EXPECT_EXIT(takeover("monitor"), kOcfSuccess);
        EXPECT_EXIT(takeover("stop"), kOcfSuccess);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("standby"));
    }

    void takeoverStartFailsWithTheServicesReasonWhenDenied() {
        fillApplianceAboveDwh();
        if (QTest::currentTestFailed()) {
            return;
        }

        const Run start = takeover("start");
        EXPECT_EXIT(start, kOcfErrGeneric);
        QVERIFY2(start.err.contains("ocf-exit-reason:takeover of dwh-passive failed"),
                 qPrintable(start.describe()));
        QVERIFY2(start.err.contains("memory_mib") || start.err.contains("vcpus"),
                 qPrintable(start.describe()));
        QVERIFY2(garbledLines(start.err).isEmpty(), qPrintable(start.describe()));
        EXPECT_EXIT(takeover("monitor"), kOcfNotRunning);
        QCOMPARE(degradedAttribute(), QStringLiteral("(none)"));

        // The readiness clone publishes the same news as 0.
        const QProcessEnvironment env =
            agentEnvironment("dwh-passive", dwh_token_, service_->url());
        EXPECT_EXIT(runAgent("readiness", "start", env), kOcfSuccess);
        QCOMPARE(readyAttribute(), QStringLiteral("0"));
        releaseAll();
        EXPECT_EXIT(runAgent("readiness", "monitor", env), kOcfSuccess);
        QCOMPARE(readyAttribute(), QStringLiteral("1"));
        EXPECT_EXIT(runAgent("readiness", "stop", env), kOcfSuccess);
        QCOMPARE(readyAttribute(), QStringLiteral("(none)"));
        EXPECT_EXIT(runAgent("readiness", "monitor", env), kOcfNotRunning);
    }

    // on_denied=standby: a degraded service rather than none, until capacity returns.
    void takeoverOnDeniedStandbyRunsDegradedUntilGranted() {
        fillApplianceAboveDwh();
        if (QTest::currentTestFailed()) {
            return;
        }
        const QStringList standby{"OCF_RESKEY_on_denied=standby"};

        const Run start = takeover("start", standby);
        EXPECT_EXIT(start, kOcfSuccess);
        QVERIFY2(start.err.contains("WARNING: takeover of dwh-passive not granted, running at the "
                                    "standby footprint") &&
                     (start.err.contains("memory_mib") || start.err.contains("vcpus")),
                 qPrintable(start.describe()));
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("standby"));
        QCOMPARE(takeoverInstance(), QStringLiteral("degraded"));
        QCOMPARE(degradedAttribute(), QStringLiteral("1"));

        const Run denied = takeover("monitor", standby);
        EXPECT_EXIT(denied, kOcfSuccess);
        QVERIFY2(denied.err.contains("still not granted"), qPrintable(denied.describe()));
        QCOMPARE(degradedAttribute(), QStringLiteral("1"));

        releaseAll();
        const Run granted = takeover("monitor", standby);
        EXPECT_EXIT(granted, kOcfSuccess);
        QVERIFY2(granted.err.contains("granted after running degraded"),
                 qPrintable(granted.describe()));
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("active"));
        QCOMPARE(takeoverInstance(), QStringLiteral("granted"));
        QCOMPARE(degradedAttribute(), QStringLiteral("(none)"));
        EXPECT_EXIT(takeover("monitor", standby), kOcfSuccess);
        EXPECT_EXIT(takeover("stop", standby), kOcfSuccess);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("standby"));
    }

    // The same when the service cannot be reached within the start's timeout; the first
    // monitor that reaches it gets the grant.
    void takeoverOnDeniedStandbyRunsDegradedWhileTheServiceIsUnreachable() {
        QProcessEnvironment up = agentEnvironment("dwh-passive", dwh_token_, service_->url());
        up.insert("OCF_RESKEY_on_denied", "standby");
        up.insert("OCF_RESKEY_CRM_meta_timeout", QString::number(kShortTimeoutMs));
        QProcessEnvironment down = up;
        down.insert("OCF_RESKEY_url", loopbackUrl(closedPort()));

        const Run start = runProgram(agentPath("takeover"), {"start"}, down, {}, kShortTimeoutMs);
        EXPECT_EXIT(start, kOcfSuccess);
        QVERIFY2(start.err.contains("not granted") && start.err.contains("cannot reach"),
                 qPrintable(start.describe()));
        QCOMPARE(takeoverInstance(), QStringLiteral("degraded"));
        QCOMPARE(degradedAttribute(), QStringLiteral("1"));
        // Asking again, a monitor waits at most 5 s, not its whole 20 s: Pacemaker runs one
        // operation of a resource at a time, and a stop would wait behind it.
        QProcessEnvironment patient = down;
        patient.remove("OCF_RESKEY_CRM_meta_timeout");
        const Run monitor = runProgram(agentPath("takeover"), {"monitor"}, patient, {}, 10000);
        QVERIFY2(monitor.finished, qPrintable(monitor.describe()));
        EXPECT_EXIT(monitor, kOcfSuccess);
        QVERIFY2(monitor.err.contains("still not granted"), qPrintable(monitor.describe()));
        QCOMPARE(degradedAttribute(), QStringLiteral("1"));

        EXPECT_EXIT(runAgent("takeover", "monitor", up), kOcfSuccess);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("active"));
        QCOMPARE(degradedAttribute(), QStringLiteral("(none)"));
        EXPECT_EXIT(runAgent("takeover", "stop", up), kOcfSuccess);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("standby"));
    }

    // A fenced node holds no grant: a running instance's monitor fails, stop succeeds, start
    // fails with the reason, which understudyctl gives with a table ("  state  fenced") that
    // the log and the exit reason join into one line.
    void aFencedNodeIsNotRunningAndCannotStart() {
        EXPECT_EXIT(takeover("start"), kOcfSuccess);
        EXPECT_EXIT(service_->admin({"power", "dwh-passive", "off"}), 0);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("fenced"));
        const Run monitor = takeover("monitor");
        EXPECT_EXIT(monitor, kOcfErrGeneric);
        QVERIFY2(monitor.err.contains("ocf-exit-reason:node dwh-passive is fenced"),
                 qPrintable(monitor.describe()));
        const Run stop = takeover("stop");
        EXPECT_EXIT(stop, kOcfSuccess);
        QVERIFY2(stop.err.contains("refused while fenced"), qPrintable(stop.describe()));
        QVERIFY(!releasePending());
        QVERIFY2(garbledLines(stop.err).isEmpty(), qPrintable(stop.describe()));
        EXPECT_EXIT(takeover("monitor"), kOcfNotRunning);

        const Run start = takeover("start");
        EXPECT_EXIT(start, kOcfErrGeneric);
        QVERIFY2(
            start.err.contains(QRegularExpression(
                "ERROR: takeover of dwh-passive failed: [^\n]*fenced[^\n]*; state fenced\n")) &&
                start.err.contains(QRegularExpression(
                    "ocf-exit-reason:takeover of dwh-passive failed: [^\n]*; state fenced")),
            qPrintable(start.describe()));
        QVERIFY2(garbledLines(start.err).isEmpty(), qPrintable(start.describe()));
        EXPECT_EXIT(service_->admin({"power", "dwh-passive", "on"}), 0);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("standby"));
    }

    // Unknown is not "not ready": during an outage of the service a location rule on the
    // attribute must not ban the application from its passive node.
    void readinessLeavesTheAttributeAsItWasWhenTheServiceIsUnreachable() {
        const QProcessEnvironment up = agentEnvironment("dwh-passive", dwh_token_, service_->url());
        EXPECT_EXIT(runAgent("readiness", "start", up), kOcfSuccess);
        QCOMPARE(readyAttribute(), QStringLiteral("1"));
        const QProcessEnvironment down =
            agentEnvironment("dwh-passive", dwh_token_, loopbackUrl(closedPort()));
        const Run monitor = runAgent("readiness", "monitor", down);
        EXPECT_EXIT(monitor, kOcfSuccess);
        QVERIFY2(monitor.err.contains("WARNING: cannot ask") &&
                     monitor.err.contains("leaving understudy-ready as it was"),
                 qPrintable(monitor.describe()));
        QCOMPARE(readyAttribute(), QStringLiteral("1"));
        EXPECT_EXIT(runAgent("readiness", "stop", down), kOcfSuccess);
        QCOMPARE(readyAttribute(), QStringLiteral("(none)"));
    }

    // Each within its timeout: what fails says why in an exit reason; a stop, a running
    // instance's monitor and the readiness monitor succeed and log why.
    void agentsAnswerWithinTheirTimeoutWhenTheServiceIsDownOrSilent_data() {
        QTest::addColumn<QString>("agent");
        QTest::addColumn<QString>("action");
        QTest::addColumn<bool>("silent");
        QTest::addColumn<bool>("started");  // first started against the service as it is
        QTest::addColumn<int>("expected");
        for (const bool silent : {false, true}) {
            const char* how = silent ? "silent" : "closed";
            QTest::addRow("takeover start, %s", how)
                << "takeover"
                << "start" << silent << false << kOcfErrGeneric;
            QTest::addRow("takeover stop, %s", how) << "takeover"
                                                    << "stop" << silent << true << kOcfSuccess;
            QTest::addRow("takeover monitor, %s", how)
                << "takeover"
                << "monitor" << silent << true << kOcfSuccess;
            QTest::addRow("takeover validate-all, %s", how)
                << "takeover"
                << "validate-all" << silent << false << kOcfErrGeneric;
            QTest::addRow("readiness monitor, %s", how)
                << "readiness"
                << "monitor" << silent << true << kOcfSuccess;
            QTest::addRow("readiness validate-all, %s", how)
                << "readiness"
                << "validate-all" << silent << false << kOcfErrGeneric;
        }
    }
    void agentsAnswerWithinTheirTimeoutWhenTheServiceIsDownOrSilent() {
        QFETCH(QString, agent);
        QFETCH(QString, action);
        QFETCH(bool, silent);
        QFETCH(bool, started);
        QFETCH(int, expected);
        QProcessEnvironment env = agentEnvironment("dwh-passive", dwh_token_, service_->url());
        env.insert("OCF_RESKEY_CRM_meta_timeout", QString::number(kShortTimeoutMs));
        if (started) {
            EXPECT_EXIT(runAgent(agent, "start", env), kOcfSuccess);
        }
        QTcpServer listener;
        env.insert("OCF_RESKEY_url", deadServiceUrl(silent, listener));
        const Run run = runProgram(agentPath(agent), {action}, env, {}, kShortTimeoutMs);
        QVERIFY2(run.finished, qPrintable(run.describe()));
        EXPECT_EXIT(run, expected);
        QVERIFY2(run.err.contains("ocf-exit-reason:") == (expected != kOcfSuccess),
                 qPrintable(run.describe()));
        QVERIFY2(run.err.contains(silent ? "no answer from" : "cannot reach"),
                 qPrintable(run.describe()));
        QVERIFY2(garbledLines(run.err).isEmpty(), qPrintable(run.describe()));
    }

    void passesOcfTester_data() {
        QTest::addColumn<QString>("agent");
        QTest::newRow("takeover") << "takeover";
        QTest::newRow("readiness") << "readiness";
    }
    void passesOcfTester() {
        QFETCH(QString, agent);
        QProcessEnvironment env = agentEnvironment({}, {}, {});
        env.insert("OCF_ROOT", "/usr/lib/ocf");  // ocf-tester's own checks read its DTD there
        env.remove("OCF_RESOURCE_INSTANCE");
        const Run run =
            runProgram("ocf-tester",
                       {"-n", "understudy-" + agent, "-o", "url=" + service_->url(), "-o",
                        "node=dwh-passive", "-o", "token_file=" + dwh_token_, agentPath(agent)},
                       env);
        EXPECT_EXIT(run, 0);
        QVERIFY2(run.out.contains("passed all tests"), qPrintable(run.describe()));
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("standby"));
    }

    void crmResourceRunsBothAgentsFromAFileCib() {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("CIB_file", cib_);
        for (const char* agent : {"takeover", "readiness"}) {
            const QString id = QStringLiteral("us-%1").arg(agent);
            const QString primitive =
                QStringLiteral(
                    "<primitive id=\"%1\" class=\"ocf\" provider=\"understudy\" type=\"%2\">"
                    "<instance_attributes id=\"%1-ia\">"
                    "<nvpair id=\"%1-url\" name=\"url\" value=\"%3\"/>"
                    "<nvpair id=\"%1-node\" name=\"node\" value=\"dwh-passive\"/>"
                    "<nvpair id=\"%1-token\" name=\"token_file\" value=\"%4\"/>"
                    "</instance_attributes></primitive>")
                    .arg(id, agent, service_->url(), dwh_token_);
            EXPECT_EXIT(runProgram("cibadmin", {"-C", "-o", "resources", "-X", primitive}, env), 0);
        }
        EXPECT_EXIT(crmResource({"--force-check", "-r", "us-takeover"}), kOcfNotRunning);
        const Run start = crmResource({"--force-start", "-r", "us-takeover"});
        EXPECT_EXIT(start, 0);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("active"));
        EXPECT_EXIT(crmResource({"--force-check", "-r", "us-takeover"}), 0);
        EXPECT_EXIT(crmResource({"--force-stop", "-r", "us-takeover"}), 0);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("standby"));
        EXPECT_EXIT(crmResource({"--force-check", "-r", "us-takeover"}), kOcfNotRunning);

        EXPECT_EXIT(crmResource({"--force-start", "-r", "us-readiness"}), 0);
        QCOMPARE(readyAttribute(), QStringLiteral("1"));
        EXPECT_EXIT(crmResource({"--force-check", "-r", "us-readiness"}), 0);
        EXPECT_EXIT(crmResource({"--force-stop", "-r", "us-readiness"}), 0);
        QCOMPARE(readyAttribute(), QStringLiteral("(none)"));
    }

private:
    Run runAgent(const QString& name, const QString& action) {
        return runAgentIn(name, action,
                          agentEnvironment("dwh-passive", dwh_token_, service_->url()));
    }
    Run runAgent(const QString& name, const QString& action, const QProcessEnvironment& env) {
        return runAgentIn(name, action, env);
    }
};

QTEST_GUILESS_MAIN(TestOcfAgents)
#include "test_ocf_agents.moc"

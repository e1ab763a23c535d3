// The OCF agents (ocf:understudy:takeover, ocf:understudy:readiness) as Pacemaker runs them:
// the scripts from the build tree against a real `understudyd --demo`, through ocf-tester and
// through crm_resource with a file CIB; refusals, an unreachable and a silent service.
#include <QtTest>

#include <QHostInfo>
#include <QSysInfo>
#include <QTcpServer>
#include <QTemporaryDir>
#include <memory>

#include "tests/agents/agent_fixture.h"

using namespace understudy::tests;

namespace {

constexpr int kOcfSuccess = 0;
constexpr int kOcfErrGeneric = 1;
constexpr int kOcfErrUnimplemented = 3;
constexpr int kOcfErrPerm = 4;
constexpr int kOcfErrInstalled = 5;
constexpr int kOcfErrConfigured = 6;
constexpr int kOcfNotRunning = 7;

QString agentPath(const QString& agent) {
    return QStringLiteral(UNDERSTUDY_OCF_ROOT "/resource.d/understudy/") + agent;
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

    QString readyAttribute() {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("CIB_file", cib_);
        const Run run = runProgram("crm_attribute",
                                   {"--node", host_, "--name", "understudy-ready", "--query",
                                    "--lifetime", "reboot", "--quiet"},
                                   env);
        return run.exit_code == 0 ? run.out.trimmed() : QStringLiteral("(none)");
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

    void init() { releaseAll(); }

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
        QTest::addColumn<int>("expected");
        QTest::addColumn<QString>("reason");
        for (const char* agent : {"takeover", "readiness"}) {
            QTest::addRow("%s without node", agent)
                << agent << ""
                << "TOKEN"
                << "URL" << kOcfErrConfigured << "node is required";
            QTest::addRow("%s without token_file", agent)
                << agent << "dwh-passive"
                << ""
                << "URL" << kOcfErrConfigured << "token_file is required";
            QTest::addRow("%s with a bad node name", agent)
                << agent << "dwh passive"
                << "TOKEN"
                << "URL" << kOcfErrConfigured << "is not a node name";
            QTest::addRow("%s with a bad url", agent)
                << agent << "dwh-passive"
                << "TOKEN"
                << "ftp://x" << kOcfErrConfigured << "is not an http";
            QTest::addRow("%s with a missing token file", agent)
                << agent << "dwh-passive"
                << "/nonexistent/token"
                << "URL" << kOcfErrInstalled << "/nonexistent/token";
        }
    }
    void badParametersAreConfigurationErrors() {
        QFETCH(QString, agent);
        QFETCH(QString, node);
        QFETCH(QString, tokenFile);
        QFETCH(QString, url);
        QFETCH(int, expected);
        QFETCH(QString, reason);
        const QProcessEnvironment env =
            agentEnvironment(node, tokenFile == "TOKEN" ? dwh_token_ : tokenFile,
                             url == "URL" ? service_->url() : url);
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
    }

    void takeoverStartGrowsTheNodeAndStopReleasesIt() {
        EXPECT_EXIT(takeover("monitor"), kOcfNotRunning);
        const Run start = takeover("start");
        EXPECT_EXIT(start, kOcfSuccess);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("active"));
        const Run node = service_->admin({"--json", "nodes", "dwh-passive"});
        const QJsonObject current = node.json().value("current").toObject();
        const QJsonObject active = node.json().value("active").toObject();
        QCOMPARE(current.value("memory_mib").toInt(), active.value("memory_mib").toInt());
        EXPECT_EXIT(takeover("monitor"), kOcfSuccess);
        EXPECT_EXIT(takeover("start"), kOcfSuccess);
        EXPECT_EXIT(takeover("stop"), kOcfSuccess);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("standby"));
        EXPECT_EXIT(takeover("monitor"), kOcfNotRunning);
        EXPECT_EXIT(takeover("stop"), kOcfSuccess);
    }

    // Fills the appliance with higher-priority takeovers until dwh (priority 300) cannot grow.
    void takeoverStartFailsWithTheServicesReasonWhenDenied() {
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

        const Run start = takeover("start");
        EXPECT_EXIT(start, kOcfErrGeneric);
        QVERIFY2(start.err.contains("ocf-exit-reason:takeover of dwh-passive failed"),
                 qPrintable(start.describe()));
        QVERIFY2(start.err.contains("memory_mib") || start.err.contains("vcpus"),
                 qPrintable(start.describe()));
        EXPECT_EXIT(takeover("monitor"), kOcfNotRunning);

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

    // A fenced node holds no grant: not running, stop succeeds, start fails with the reason.
    void aFencedNodeIsNotRunningAndCannotStart() {
        EXPECT_EXIT(service_->admin({"power", "dwh-passive", "off"}), 0);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("fenced"));
        EXPECT_EXIT(takeover("monitor"), kOcfNotRunning);
        const Run stop = takeover("stop");
        EXPECT_EXIT(stop, kOcfSuccess);
        QVERIFY2(stop.err.contains("fenced"), qPrintable(stop.describe()));
        const Run start = takeover("start");
        EXPECT_EXIT(start, kOcfErrGeneric);
        QVERIFY2(start.err.contains("ocf-exit-reason:") && start.err.contains("fenced"),
                 qPrintable(start.describe()));
        EXPECT_EXIT(service_->admin({"power", "dwh-passive", "on"}), 0);
        QCOMPARE(service_->nodeState("dwh-passive"), QStringLiteral("standby"));
    }

    void readinessCountsAnUnreachableServiceAsNotReady() {
        const QProcessEnvironment up = agentEnvironment("dwh-passive", dwh_token_, service_->url());
        EXPECT_EXIT(runAgent("readiness", "start", up), kOcfSuccess);
        QCOMPARE(readyAttribute(), QStringLiteral("1"));
        const QProcessEnvironment down =
            agentEnvironment("dwh-passive", dwh_token_, loopbackUrl(closedPort()));
        const Run monitor = runAgent("readiness", "monitor", down);
        EXPECT_EXIT(monitor, kOcfSuccess);
        QVERIFY2(monitor.err.contains("counting it as not ready"), qPrintable(monitor.describe()));
        QCOMPARE(readyAttribute(), QStringLiteral("0"));
        EXPECT_EXIT(runAgent("readiness", "stop", down), kOcfSuccess);
    }

    void agentsFailCleanlyWhenTheServiceIsDownOrSilent_data() {
        QTest::addColumn<QString>("agent");
        QTest::addColumn<QString>("action");
        QTest::addColumn<bool>("silent");
        QTest::addColumn<int>("expected");
        for (const bool silent : {false, true}) {
            const char* how = silent ? "silent" : "closed";
            QTest::addRow("takeover start, %s", how) << "takeover"
                                                     << "start" << silent << kOcfErrGeneric;
            QTest::addRow("takeover stop, %s", how) << "takeover"
                                                    << "stop" << silent << kOcfErrGeneric;
            QTest::addRow("takeover monitor, %s", how) << "takeover"
                                                       << "monitor" << silent << kOcfErrGeneric;
            QTest::addRow("takeover validate-all, %s", how)
                << "takeover"
                << "validate-all" << silent << kOcfErrGeneric;
            QTest::addRow("readiness validate-all, %s", how)
                << "readiness"
                << "validate-all" << silent << kOcfErrGeneric;
        }
    }
    void agentsFailCleanlyWhenTheServiceIsDownOrSilent() {
        QFETCH(QString, agent);
        QFETCH(QString, action);
        QFETCH(bool, silent);
        QFETCH(int, expected);
        QTcpServer listener;  // accepts connections (the kernel does) and never answers
        quint16 port = closedPort();
        if (silent) {
            QVERIFY(listener.listen(QHostAddress::LocalHost, 0));
            port = listener.serverPort();
        }
        QProcessEnvironment env = agentEnvironment("dwh-passive", dwh_token_, loopbackUrl(port));
        // 4 s of operation timeout leave understudyctl 2 s: the agent must answer within it.
        env.insert("OCF_RESKEY_CRM_meta_timeout", "4000");
        const Run run = runProgram(agentPath(agent), {action}, env, {}, 15000);
        QVERIFY2(run.finished, qPrintable(run.describe()));
        EXPECT_EXIT(run, expected);
        QVERIFY2(run.err.contains("ocf-exit-reason:"), qPrintable(run.describe()));
        QVERIFY2(run.err.contains(silent ? "no answer from" : "cannot reach"),
                 qPrintable(run.describe()));
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

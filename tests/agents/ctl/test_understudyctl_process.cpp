// The understudyctl program itself as a child process: bad usage and invalid input end with
// exit 2 before any connection is made, an unreachable or silent service with exit 5 and a
// clear message, and the URL and token are taken in the documented order.
#include <QtTest>

#include <QElapsedTimer>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>

#include "appliance/http/http_server.h"
#include "tests/agents/agent_fixture.h"

using namespace understudy::http;
using namespace understudy::tests;

namespace {

// Whether a client connected: accepted already while the event loop ran, or arriving now.
bool wasConnected(QTcpServer& server, int wait_ms) {
    return server.hasPendingConnections() || server.waitForNewConnection(wait_ms);
}

}  // namespace

class TestUnderstudyctlProcess : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;

    QString home() const { return dir_.filePath("home"); }

    QProcessEnvironment environment(const QStringList& assignments = {}) const {
        QProcessEnvironment env;
        env.insert("HOME", home());
        env.insert("PATH", qEnvironmentVariable("PATH"));
        for (const QString& assignment : assignments) {
            const qsizetype equals = assignment.indexOf('=');
            env.insert(assignment.left(equals), assignment.mid(equals + 1));
        }
        return env;
    }

    // understudyctl in the test's folder (where relative file names point), while this thread's
    // event loop keeps serving (the HTTP server of a test lives here too).
    Run run(const QStringList& arguments, const QProcessEnvironment& env) {
        return runProgram(QStringLiteral(UNDERSTUDYCTL), arguments, env);
    }

private slots:
    void initTestCase() { QVERIFY(QDir::setCurrent(dir_.path())); }

    void init() {
        QDir(home()).removeRecursively();
        QDir().mkpath(home());
    }

    void printsHelp() {
        const Run result = run({"--help"}, environment());
        QCOMPARE(result.exit_code, 0);
        for (const char* command :
             {"status", "appliances", "appliance", "groups", "clusters", "nodes", "readiness",
              "takeover", "release", "power", "events", "sizing", "what-if", "backup", "check"}) {
            QVERIFY2(result.out.contains(QStringLiteral("\n  %1").arg(command)), command);
        }
    }

    void refusesBadUsageBeforeConnecting_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no command") << QStringList{} << "no command given";
        QTest::newRow("unknown command") << QStringList{"frobnicate"} << "unknown command";
        QTest::newRow("too many names") << QStringList{"nodes", "a", "b"} << "nodes [NAME]";
        QTest::newRow("bad node name") << QStringList{"takeover", "bad name"} << "contains ' '";
        QTest::newRow("zero wait") << QStringList{"takeover", "n1", "--wait", "0"} << "--wait";
        QTest::newRow("no power action") << QStringList{"power", "n1"} << "power NODE";
        QTest::newRow("bad power action")
            << QStringList{"power", "n1", "sideways"} << "not a power action";
        QTest::newRow("negative since") << QStringList{"events", "--since", "-3"} << "--since";
        QTest::newRow("unknown kind") << QStringList{"events", "--kind", "nope"} << "no event kind";
        QTest::newRow("unknown events option") << QStringList{"events", "--tail"} << "--tail";
        QTest::newRow("appliance without subcommand")
            << QStringList{"appliance"} << "appliance lost|rejoin NAME";
        QTest::newRow("appliance lost without name")
            << QStringList{"appliance", "lost"} << "appliance lost|rejoin NAME";
        QTest::newRow("appliance lost two names")
            << QStringList{"appliance", "lost", "pna-1", "pna-2"} << "appliance lost|rejoin NAME";
        QTest::newRow("bad appliance name")
            << QStringList{"appliance", "lost", "pna/1"} << "appliance name";
        QTest::newRow("unknown appliance subcommand")
            << QStringList{"appliance", "forget", "pna-1"} << "unknown appliance subcommand";
        QTest::newRow("appliance rejoin with an option")
            << QStringList{"appliance", "rejoin", "--force"} << "unknown option --force";
        QTest::newRow("patch text for number")
            << QStringList{"clusters", "set", "erp", "priority=high"} << "whole number";
        QTest::newRow("patch without changes")
            << QStringList{"clusters", "set", "erp"} << "clusters set NAME FIELD=VALUE";
        QTest::newRow("unknown clusters subcommand")
            << QStringList{"clusters", "explode", "erp"} << "unknown clusters subcommand";
        QTest::newRow("missing cluster file")
            << QStringList{"clusters", "add", "missing.json"} << "missing.json";
        QTest::newRow("invalid cluster file")
            << QStringList{"clusters", "add", "invalid.json"} << "invalid.json: active.memory_mib";
        QTest::newRow("invalid group file")
            << QStringList{"groups", "add", "groups.csv"} << "groups.csv:2";
        QTest::newRow("bad what-if name") << QStringList{"what-if", "--fail", "a b"} << "contains";
        QTest::newRow("bad what-if file")
            << QStringList{"what-if", "--add", "invalid.json"} << "invalid.json";
        QTest::newRow("backup into a missing folder")
            << QStringList{"backup", "no/such/folder/copy.db"} << "does not exist";
        QTest::newRow("sizing format") << QStringList{"sizing", "--format", "pdf"} << "--format";
        QTest::newRow("bad timeout") << QStringList{"--timeout", "zero", "status"} << "--timeout";
        QTest::newRow("missing token file")
            << QStringList{"--token-file", "nowhere.token", "status"} << "nowhere.token";
    }
    void refusesBadUsageBeforeConnecting() {
        QFETCH(QStringList, arguments);
        QFETCH(QString, expected);
        writeFile(dir_.filePath("invalid.json"),
                  R"({"name": "web", "mtbf_hours": 10, "mttr_hours": 1,
                      "standby": {"vcpus": 1, "memory_mib": 1024},
                      "active": {"vcpus": 2, "memory_mib": 512}})");
        writeFile(dir_.filePath("groups.csv"), "name,mtbf_hours,mttr_hours\nrack-a,-5,6\n");
        // A listening service: a request would show up as a connection.
        QTcpServer service;
        QVERIFY(service.listen(QHostAddress::LocalHost, 0));
        const Run result =
            run(QStringList{"--url", loopbackUrl(service.serverPort())} + arguments, environment());
        QCOMPARE(result.exit_code, 2);
        QVERIFY2(result.err.contains(expected), qPrintable(result.err));
        QVERIFY(result.out.isEmpty());
        QVERIFY2(!wasConnected(service, 100), "understudyctl connected before refusing");
    }

    void aBrokenConfigIsBadInput() {
        writeFile(home() + "/.config/understudy/ctl.conf", "url = http://127.0.0.1:1\nurll = x\n");
        const Run result = run({"status"}, environment());
        QCOMPARE(result.exit_code, 2);
        QVERIFY2(result.err.contains("ctl.conf:2: unknown key \"urll\""), qPrintable(result.err));
    }

    // Asked again until --timeout (the service may be moving to another appliance), then exit 5.
    void anUnreachableServiceExitsWith5AtTheTimeout() {
        const QString url = loopbackUrl(closedPort());
        QElapsedTimer clock;
        clock.start();
        const Run result = run({"--url", url, "--timeout", "2", "nodes"}, environment());
        QCOMPARE(result.exit_code, 5);
        QVERIFY2(clock.elapsed() >= 1500, "gave up before its timeout");
        QVERIFY2(result.err.contains("cannot reach " + url), qPrintable(result.err));
        QVERIFY2(result.err.contains("check that understudyd runs"), qPrintable(result.err));
    }

    // A service that comes up while understudyctl keeps asking is reached: the switch of the
    // service to another appliance is ridden out.
    void aServiceThatComesUpWithinTheTimeoutIsReached() {
        const quint16 port = freePort();
        QProcess ctl;
        ctl.setProcessEnvironment(environment());
        ctl.start(QStringLiteral(UNDERSTUDYCTL),
                  {"--url", loopbackUrl(port), "--timeout", "20", "--json", "status"});
        QVERIFY(ctl.waitForStarted());
        QTest::qWait(1500);
        QCOMPARE(ctl.state(), QProcess::Running);
        AgentService service(dir_.filePath(QStringLiteral("late")));
        QDir().mkpath(dir_.filePath(QStringLiteral("late")));
        service.setPort(port);
        QVERIFY2(service.start(), service.output().constData());
        QVERIFY(QTest::qWaitFor([&] { return ctl.state() == QProcess::NotRunning; }, 25000));
        QCOMPARE(ctl.exitCode(), 0);
        QVERIFY2(ctl.readAllStandardOutput().contains("\"status\""),
                 ctl.readAllStandardError().constData());
        service.stop();
    }

    void aServiceThatNeverAnswersTimesOutWith5() {
        QTcpServer silent;  // accepts (in the kernel) and never answers
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        const Run result =
            run({"--url", loopbackUrl(silent.serverPort()), "--timeout", "0.5", "nodes"},
                environment());
        QCOMPARE(result.exit_code, 5);
        QVERIFY2(result.err.contains("no answer from " + loopbackUrl(silent.serverPort()) +
                                     " within 0.5 s"),
                 qPrintable(result.err));
        QVERIFY(wasConnected(silent, 1000));
    }

    void takeoverWaitBoundsTheClientTimeout() {
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        const Run result = run({"--url", loopbackUrl(silent.serverPort()), "--timeout", "60",
                                "takeover", "erp-passive", "--wait", "0.4"},
                               environment());
        QCOMPARE(result.exit_code, 5);
        QVERIFY2(result.err.contains("within 0.4 s"), qPrintable(result.err));
    }

    // What became of a lost appliance's standby nodes, for people and for scripts, from the
    // contract's answer; the loss is declared with exactly {"confirmed_down": true}.
    void aLossShowsTheEvacuatedAndStrandedNodes() {
        HttpServerOptions options;
        options.port = 0;
        HttpServer server(options);
        QByteArray body;
        const QByteArray answer = readSourceFile("tests/appliance/data/api/appliance_lost.json");
        server.route("POST", "/api/v1/appliances/{name}/lost", [&](const HttpRequest& request) {
            body = request.body;
            return request.capture("name") == QLatin1String("pna-2")
                       ? HttpResponse::json(200, nlohmann::json::parse(answer.toStdString()))
                       : errors::conflict("pna-1 is still reachable: it is not known to be off",
                                          QStringLiteral("connected"));
        });
        QVERIFY(server.listen().ok());
        const QStringList url{"--url", loopbackUrl(server.port())};

        const Run table = run(url + QStringList{"appliance", "lost", "pna-2"}, environment());
        EXPECT_EXIT(table, 0);
        QCOMPARE(nlohmann::json::parse(body.toStdString()),
                 (nlohmann::json{{"confirmed_down", true}}));
        QVERIFY2(table.out.startsWith("appliance pna-2 is lost: 2 standby node(s) evacuated, "
                                      "1 stranded\n"),
                 qPrintable(table.out));
        QVERIFY2(table.out.contains(QRegularExpression("\nEVACUATED +TO\nerp-passive +pna-1\n"
                                                       "crm-passive +pna-3\n")),
                 qPrintable(table.out));
        QVERIFY2(table.out.contains(
                     QRegularExpression("\nSTRANDED +REASON\nweb-passive +memory_mib: needs 8192")),
                 qPrintable(table.out));

        const Run json =
            run(url + QStringList{"--json", "appliance", "lost", "pna-2"}, environment());
        EXPECT_EXIT(json, 0);
        QCOMPARE(json.json()["stranded"].toArray().size(), 1);

        const Run refused = run(url + QStringList{"appliance", "lost", "pna-1"}, environment());
        EXPECT_EXIT(refused, 1);
        QVERIFY2(refused.err.contains("still reachable"), qPrintable(refused.err));
        QVERIFY(refused.out.isEmpty());
    }

    void findsTheServiceInTheDocumentedOrder_data() {
        QTest::addColumn<bool>("option");
        QTest::addColumn<bool>("variable");
        QTest::addColumn<bool>("configured");
        QTest::addColumn<int>("expected");  // 0 option, 1 variable, 2 config
        QTest::newRow("option first") << true << true << true << 0;
        QTest::newRow("then UNDERSTUDY_URL") << false << true << true << 1;
        QTest::newRow("then ctl.conf") << false << false << true << 2;
    }
    void findsTheServiceInTheDocumentedOrder() {
        QFETCH(bool, option);
        QFETCH(bool, variable);
        QFETCH(bool, configured);
        QFETCH(int, expected);
        QTcpServer services[3];
        for (QTcpServer& service : services) {
            QVERIFY(service.listen(QHostAddress::LocalHost, 0));
        }
        QStringList arguments{"--timeout", "0.3", "status"};
        if (option) {
            arguments = QStringList{"--url", loopbackUrl(services[0].serverPort())} + arguments;
        }
        QStringList variables;
        if (variable) {
            variables.append("UNDERSTUDY_URL=" + loopbackUrl(services[1].serverPort()));
        }
        if (configured) {
            writeFile(home() + "/.config/understudy/ctl.conf",
                      ("url = " + loopbackUrl(services[2].serverPort()) + "\n").toUtf8());
        }
        const Run result = run(arguments, environment(variables));
        QCOMPARE(result.exit_code, 5);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(wasConnected(services[i], i == expected ? 1000 : 50), i == expected);
        }
    }

    void sendsTheTokenFoundInTheDocumentedOrder_data() {
        QTest::addColumn<bool>("option");
        QTest::addColumn<bool>("variable");
        QTest::addColumn<QString>("expected");
        QTest::newRow("--token-file first") << true << true << "from-file";
        QTest::newRow("then UNDERSTUDY_TOKEN") << false << true << "from-variable";
        QTest::newRow("then token_file in ctl.conf") << false << false << "from-config";
    }
    void sendsTheTokenFoundInTheDocumentedOrder() {
        QFETCH(bool, option);
        QFETCH(bool, variable);
        QFETCH(QString, expected);
        HttpServerOptions options;
        options.port = 0;
        HttpServer server(options);
        QString seen;
        server.route("GET", "/api/v1/nodes", [&](const HttpRequest& request) {
            seen = request.bearerToken();
            return HttpResponse::json(200, {{"nodes", nlohmann::json::array()}});
        });
        QVERIFY(server.listen().ok());
        writeFile(dir_.filePath("file.token"), "from-file\n");
        writeFile(home() + "/.config/understudy/config.token", "from-config\n");
        writeFile(home() + "/.config/understudy/ctl.conf", "token_file = config.token\n");
        QStringList arguments{"--url", loopbackUrl(server.port()), "nodes"};
        if (option) {
            arguments += QStringList{"--token-file", dir_.filePath("file.token")};
        }
        const Run result = run(
            arguments,
            environment(variable ? QStringList{"UNDERSTUDY_TOKEN=from-variable"} : QStringList{}));
        QCOMPARE(result.exit_code, 0);
        QCOMPARE(seen, expected);
        QVERIFY(!result.out.contains(expected));
        QVERIFY(!result.err.contains(expected));
    }
};

QTEST_GUILESS_MAIN(TestUnderstudyctlProcess)
#include "test_understudyctl_process.moc"

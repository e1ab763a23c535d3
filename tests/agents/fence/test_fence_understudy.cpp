// fence_understudy as the fencer runs it: options on the command line or name=value lines on
// stdin, against a real `understudyd --demo`; every action, every refusal and an unreachable
// or silent service, with fence-agents' exit codes (0 done / on, 1 failed, 2 off).
#include <QtTest>

#include <QTcpServer>
#include <QTemporaryDir>
#include <memory>

#include "tests/agents/agent_fixture.h"

using namespace understudy::tests;

class TestFenceUnderstudy : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::unique_ptr<AgentService> service_;
    QString crm_token_;   // cluster crm fences its own node crm-passive
    QString mail_token_;  // another cluster

    QString path(const QString& name) const { return dir_.filePath(name); }

    Run fence(const QStringList& arguments, const QByteArray& input = {}, int limit_ms = kHangMs) {
        QProcessEnvironment env;
        env.insert("PATH", qEnvironmentVariable("PATH"));
        return runProgram(QStringLiteral(FENCE_UNDERSTUDY), arguments, env, input, limit_ms);
    }
    Run fenceCrm(const QString& action, const QString& plug = "crm-passive") {
        return fence({"--url", service_->url(), "--token-file", crm_token_, "--plug", plug,
                      "--action", action});
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        service_ = std::make_unique<AgentService>(dir_.path());
        QVERIFY2(service_->start(), service_->output().constData());
        crm_token_ = service_->clusterTokenFile("crm");
        mail_token_ = service_->clusterTokenFile("mail");
        QVERIFY(!crm_token_.isEmpty() && !mail_token_.isEmpty());
        writeFile(path("wrong.token"), "not-a-token-the-service-knows\n");
    }

    void cleanupTestCase() {
        if (service_) {
            service_->stop();
        }
    }

    // The service goes away and comes back at the same address while a fencing keeps asking,
    // as when it moves to another appliance of its pool: the fencing still succeeds.
    void aFencingDuringTheServicesSwitchSucceeds() {
        const QString url = service_->url();
        service_->setPort(static_cast<quint16>(QUrl(url).port()));
        service_->stop();
        QProcess fencing;
        fencing.start(QStringLiteral(FENCE_UNDERSTUDY),
                      {"--url", url, "--token-file", crm_token_, "--plug", "crm-passive",
                       "--action", "status", "--power-timeout", "20"});
        QVERIFY(fencing.waitForStarted());
        QTest::qWait(1500);
        QCOMPARE(fencing.state(), QProcess::Running);
        QVERIFY2(service_->start(), service_->output().constData());
        QVERIFY(QTest::qWaitFor([&] { return fencing.state() == QProcess::NotRunning; }, 25000));
        QVERIFY2(fencing.exitCode() == 0, fencing.readAllStandardError().constData());
    }

    void metadataFollowsTheFenceAgentsSchema() {
        const Run meta = fence({"-o", "metadata"});
        EXPECT_EXIT(meta, 0);
        writeFile(path("metadata.xml"), meta.out.toUtf8());
        QProcess lint;
        lint.start("xmllint", {"--noout", "--relaxng", "/usr/share/cluster/relaxng/metadata.rng",
                               path("metadata.xml")});
        QVERIFY(lint.waitForFinished(kHangMs));
        QVERIFY2(lint.exitCode() == 0, lint.readAllStandardError().constData());
        // The same shape as a packaged agent's (fence_virsh -o metadata).
        for (const char* piece :
             {"<resource-agent name=\"fence_understudy\"", "<parameter name=\"plug\"",
              "<getopt mixed=\"-n, --plug=[id]\" />", "<parameter name=\"port\"",
              "<parameter name=\"action\" unique=\"0\" required=\"1\">",
              // The fencer passes the plug itself, so a device need not set one.
              "<parameter name=\"plug\" unique=\"0\" required=\"0\">",
              "<parameter name=\"port\" unique=\"0\" required=\"0\" deprecated=\"1\">",
              "<parameter name=\"token_file\"", "<parameter name=\"password_script\"",
              "<action name=\"on\" automatic=\"0\"/>", "<action name=\"list\"/>",
              "<action name=\"validate-all\"/>"}) {
            QVERIFY2(meta.out.contains(piece), piece);
        }
        // And on stdin, as the fencer asks for it.
        const Run stdin_meta = fence({}, "action=metadata\n");
        EXPECT_EXIT(stdin_meta, 0);
        QCOMPARE(stdin_meta.out, meta.out);
    }

    void helpAndVersionExitZero() {
        const Run help = fence({"--help"});
        EXPECT_EXIT(help, 0);
        QVERIFY(help.out.contains("--token-file"));
        const Run version = fence({"-V"});
        EXPECT_EXIT(version, 0);
        QVERIFY(!version.out.trimmed().isEmpty());
    }

    void badInputFailsBeforeAnyRequest_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown option")
            << QStringList{"--frobnicate"} << QByteArray() << "unknown option";
        QTest::newRow("unknown action")
            << QStringList{"-o", "explode"} << QByteArray() << "unknown action";
        QTest::newRow("off without plug") << QStringList{"-o", "off", "--password", "x"}
                                          << QByteArray() << "needs the passive node's name";
        QTest::newRow("no token") << QStringList{"-o", "status", "-n", "crm-passive"}
                                  << QByteArray() << "no token given";
        QTest::newRow("bad plug") << QStringList{"-o", "status", "-n", "../etc", "-p", "x"}
                                  << QByteArray() << "is not a node name";
        QTest::newRow("bad url") << QStringList{"--url", "ftp://x", "-o", "list", "-p", "x"}
                                 << QByteArray() << "is not an http";
        QTest::newRow("off on stdin without plug")
            << QStringList{} << QByteArray("action=off\nnodename=crm-vm\npassword=x\n")
            << "needs the passive node's name";
        QTest::newRow("stdin line without =")
            << QStringList{} << QByteArray("action=off\nplug\n") << "stdin:2";
        QTest::newRow("bad power timeout")
            << QStringList{"--power-timeout", "0"} << QByteArray() << "power_timeout";
    }
    void badInputFailsBeforeAnyRequest() {
        QFETCH(QStringList, arguments);
        QFETCH(QByteArray, input);
        QFETCH(QString, message);
        QTcpServer listener;
        QVERIFY(listener.listen(QHostAddress::LocalHost, 0));
        if (!arguments.contains("--url")) {
            arguments << "--url" << loopbackUrl(listener.serverPort());
        }
        if (!input.isEmpty()) {
            arguments.clear();
        }
        const Run run = fence(arguments, input);
        EXPECT_EXIT(run, 1);
        QVERIFY2(run.err.contains(message), qPrintable(run.describe()));
        QVERIFY(!listener.hasPendingConnections() && !listener.waitForNewConnection(100));
    }

    void validateAllChecksOptionsOnly() {
        const Run run = fence({"--url", loopbackUrl(closedPort()), "-n", "crm-passive",
                               "--token-file", crm_token_, "-o", "validate-all"});
        EXPECT_EXIT(run, 0);
    }

    void everyActionOnItsOwnNode() {
        Run status = fenceCrm("status");
        EXPECT_EXIT(status, 0);
        QCOMPARE(status.out.trimmed(), QStringLiteral("Status: ON"));

        const Run off = fenceCrm("off");
        EXPECT_EXIT(off, 0);
        QCOMPARE(off.out.trimmed(), QStringLiteral("Success: Powered OFF"));
        status = fenceCrm("status");
        EXPECT_EXIT(status, 2);
        QCOMPARE(status.out.trimmed(), QStringLiteral("Status: OFF"));

        const Run on = fenceCrm("on");
        EXPECT_EXIT(on, 0);
        QCOMPARE(on.out.trimmed(), QStringLiteral("Success: Powered ON"));
        EXPECT_EXIT(fenceCrm("status"), 0);

        const Run reboot = fenceCrm("reboot");
        EXPECT_EXIT(reboot, 0);
        QCOMPARE(reboot.out.trimmed(), QStringLiteral("Success: Rebooted"));
        EXPECT_EXIT(fenceCrm("status"), 0);

        const Run list = fenceCrm("list");
        EXPECT_EXIT(list, 0);
        const QStringList lines = list.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines[0].startsWith("crm-passive,"), qPrintable(list.out));

        EXPECT_EXIT(fenceCrm("monitor"), 0);

        const Run events = service_->admin({"--json", "events", "--kind", "fence"});
        for (const char* kind : {"fence.off", "fence.on", "fence.reboot"}) {
            QVERIFY2(events.out.contains(kind), kind);
        }
    }

    // Pacemaker's fencer: name=value lines, port instead of plug, nodename (taken without a
    // word, as fence-agents do); the token may come as password or from a password script.
    void readsTheFencersStdin_data() {
        QTest::addColumn<QByteArray>("token");
        QTest::newRow("token_file") << QByteArray("token_file=CRM\n");
        QTest::newRow("password") << QByteArray("password=CONTENT\n");
        QTest::newRow("password_script") << QByteArray("password_script=cat CRM\n");
    }
    void readsTheFencersStdin() {
        QFETCH(QByteArray, token);
        QFile file(crm_token_);
        QVERIFY(file.open(QIODevice::ReadOnly));
        token.replace("CONTENT", file.readAll().trimmed());
        token.replace("CRM", crm_token_.toUtf8());
        const QByteArray input =
            "action=status\nport=crm-passive\nnodename=node-a\nurl=" + service_->url().toUtf8() +
            "\n" + token;
        const Run run = fence({}, input);
        EXPECT_EXIT(run, 0);
        QCOMPARE(run.out.trimmed(), QStringLiteral("Status: ON"));
        QVERIFY2(run.err.isEmpty(), qPrintable(run.describe()));
    }

    // A device parameter the agent does not know reaches it from the fencer too: noted, and
    // the action still done.
    void anUnknownStdinOptionIsIgnoredWithAWarning() {
        const Run run = fence(
            {}, "action=status\nport=crm-passive\nlogin=admin\nurl=" + service_->url().toUtf8() +
                    "\ntoken_file=" + crm_token_.toUtf8() + "\n");
        EXPECT_EXIT(run, 0);
        QCOMPARE(run.out.trimmed(), QStringLiteral("Status: ON"));
        QCOMPARE(run.err.trimmed(),
                 QStringLiteral("WARNING: stdin:3: ignoring unknown option 'login'"));
    }

    void refusalsExitOneWithAClearMessage_data() {
        QTest::addColumn<QString>("token");
        QTest::addColumn<QString>("plug");
        QTest::addColumn<QString>("action");
        QTest::addColumn<QString>("message");
        for (const char* action : {"off", "on", "reboot", "status"}) {
            QTest::addRow("wrong token, %s", action) << "wrong"
                                                     << "crm-passive" << action << "401";
            QTest::addRow("another cluster's node, %s", action) << "mail"
                                                                << "crm-passive" << action << "403";
            QTest::addRow("unknown node, %s", action)
                << "crm"
                << "no-such-passive" << action << "may fence only its own";
        }
        QTest::newRow("wrong token, list") << "wrong"
                                           << ""
                                           << "list"
                                           << "401";
        QTest::newRow("wrong token, monitor") << "wrong"
                                              << ""
                                              << "monitor"
                                              << "401";
    }
    void refusalsExitOneWithAClearMessage() {
        QFETCH(QString, token);
        QFETCH(QString, plug);
        QFETCH(QString, action);
        QFETCH(QString, message);
        const QString file = token == "crm"    ? crm_token_
                             : token == "mail" ? mail_token_
                                               : path("wrong.token");
        QStringList arguments{"--url", service_->url(), "--token-file", file, "-o", action};
        if (!plug.isEmpty()) {
            arguments << "-n" << plug;
        }
        const Run run = fence(arguments);
        EXPECT_EXIT(run, 1);
        QVERIFY2(run.err.startsWith("Failed: ") && run.err.contains(message),
                 qPrintable(run.describe()));
        // One line, once: the fencer logs each stderr line, and the failed action's stdout too.
        QVERIFY2(run.err.count('\n') == 1 && run.out.isEmpty(), qPrintable(run.describe()));
        QCOMPARE(service_->nodeState("crm-passive"), QStringLiteral("standby"));
    }

    void unknownNodeWithTheAdminTokenIsNotFound() {
        const Run run = fence({"--url", service_->url(), "--token-file", service_->adminTokenFile(),
                               "-n", "no-such-passive", "-o", "off"});
        EXPECT_EXIT(run, 1);
        QVERIFY2(run.err.contains("404") && run.err.contains("no-such-passive"),
                 qPrintable(run.describe()));
    }

    void aDownOrSilentServiceFailsWithinThePowerTimeout_data() {
        QTest::addColumn<bool>("silent");
        QTest::addColumn<QString>("action");
        for (const char* action : {"off", "status", "list", "monitor"}) {
            QTest::addRow("closed port, %s", action) << false << action;
            QTest::addRow("silent listener, %s", action) << true << action;
        }
    }
    void aDownOrSilentServiceFailsWithinThePowerTimeout() {
        QFETCH(bool, silent);
        QFETCH(QString, action);
        QTcpServer listener;
        quint16 port = closedPort();
        if (silent) {
            QVERIFY(listener.listen(QHostAddress::LocalHost, 0));
            port = listener.serverPort();
        }
        const Run run = fence({"--url", loopbackUrl(port), "--token-file", crm_token_, "-n",
                               "crm-passive", "-o", action, "--power-timeout", "2"},
                              {}, 15000);
        QVERIFY2(run.finished, qPrintable(run.describe()));
        EXPECT_EXIT(run, 1);
        QVERIFY2(run.err.contains(silent ? "no answer from the service within 2 s"
                                         : "cannot reach the service"),
                 qPrintable(run.describe()));
    }
};

QTEST_GUILESS_MAIN(TestFenceUnderstudy)
#include "test_fence_understudy.moc"

// understudyctl against a real `understudyd --demo` on a free loopback port, with its own
// database in a temporary folder: every command once, and each exit code caused for real.
#include <QtTest>

#include <QJsonArray>
#include <QRegularExpression>
#include <QTemporaryDir>

#include "tests/agents/agent_fixture.h"

using namespace understudy::tests;

class TestUnderstudyctlE2e : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    AgentService service_{dir_.path()};
    QString appliance_;

    QString path(const QString& name) const { return dir_.filePath(name); }

    // understudyctl finding the service through UNDERSTUDY_URL, run in the test's folder (where
    // relative file names point).
    Run ctl(const QStringList& arguments, const QString& token_file = {}) {
        QProcessEnvironment env;
        env.insert("HOME", path("home"));
        env.insert("PATH", qEnvironmentVariable("PATH"));
        env.insert("UNDERSTUDY_URL", service_.url());
        return runProgram(
            QStringLiteral(UNDERSTUDYCTL),
            QStringList{"--token-file",
                        token_file.isEmpty() ? service_.adminTokenFile() : token_file} +
                arguments,
            env);
    }

    QString nodeState(const QString& node) {
        const Run run = ctl({"--json", "nodes", node});
        return run.exit_code == 0 ? run.json().value("state").toString() : run.err;
    }

private slots:
    void initTestCase() {
        QVERIFY(QDir().mkpath(path("home")));
        QVERIFY(QDir::setCurrent(dir_.path()));
        writeFile(path("wrong.token"), "not-a-token-the-service-knows\n");
        QVERIFY2(service_.start(), service_.output().constData());
        const Run check = ctl({"--timeout", "2", "check"});
        EXPECT_EXIT(check, 0);
        const Run appliances = ctl({"--json", "appliances"});
        EXPECT_EXIT(appliances, 0);
        appliance_ = appliances.json()["appliances"].toArray()[0].toObject()["name"].toString();
        QVERIFY(!appliance_.isEmpty());
    }

    void cleanupTestCase() { service_.stop(); }

    void statusShowsHealthAndHeadroom() {
        const Run run = ctl({"status"});
        EXPECT_EXIT(run, 0);
        QVERIFY2(run.out.contains(QRegularExpression("status +ok")), qPrintable(run.out));
        QVERIFY2(
            run.out.contains(QRegularExpression(appliance_ + " +connected +yes +memory +256 GiB")),
            qPrintable(run.out));
        const Run json = ctl({"--json", "status"});
        EXPECT_EXIT(json, 0);
        QCOMPARE(json.json()["status"].toString(), QStringLiteral("ok"));
    }

    void appliancesByNameAndUnknownIsNotFound() {
        const Run one = ctl({"appliances", appliance_});
        EXPECT_EXIT(one, 0);
        QVERIFY2(one.out.contains("uri") && one.out.contains("test://"), qPrintable(one.out));
        const Run missing = ctl({"appliances", "no-such-appliance"});
        EXPECT_EXIT(missing, 4);
        QVERIFY2(missing.err.contains("HTTP 404, not_found"), qPrintable(missing.err));
    }

    void appliancesShowTheirState() {
        const Run json = ctl({"--json", "appliances", appliance_});
        EXPECT_EXIT(json, 0);
        QCOMPARE(json.json()["state"].toString(), QStringLiteral("connected"));
        const Run one = ctl({"appliances", appliance_});
        QVERIFY2(one.out.contains(QRegularExpression("\\nstate +connected\\n")),
                 qPrintable(one.out));
    }

    // The service reaches its appliance, so it is not known to be off: the loss is refused (1),
    // and so is a rejoin of an appliance that is not lost; nothing changes.
    void aReachableApplianceIsNeitherLostNorRejoined() {
        const Run lost = ctl({"appliance", "lost", appliance_});
        EXPECT_EXIT(lost, 1);
        QVERIFY2(lost.err.contains("HTTP 409, conflict"), qPrintable(lost.err));
        QVERIFY(lost.out.isEmpty());
        const Run rejoin = ctl({"appliance", "rejoin", appliance_});
        EXPECT_EXIT(rejoin, 1);
        QVERIFY2(rejoin.err.contains("HTTP 409, conflict"), qPrintable(rejoin.err));
        EXPECT_EXIT(ctl({"appliance", "lost", "no-such-appliance"}), 4);
        EXPECT_EXIT(ctl({"appliance", "rejoin", "no-such-appliance"}), 4);
        QCOMPARE(nodeState("erp-passive"), QStringLiteral("standby"));
        const Run after = ctl({"--json", "appliances", appliance_});
        QCOMPARE(after.json()["state"].toString(), QStringLiteral("connected"));
        const Run events = ctl({"--json", "events", "--kind", "appliance.lost"});
        EXPECT_EXIT(events, 0);
        QCOMPARE(events.json()["events"].toArray().size(), 0);
    }

    void clustersListShowAndJson() {
        const Run list = ctl({"clusters"});
        EXPECT_EXIT(list, 0);
        QVERIFY2(list.out.contains(QRegularExpression("\\berp +900 +rack-a")),
                 qPrintable(list.out));
        const Run show = ctl({"clusters", "show", "erp"});
        EXPECT_EXIT(show, 0);
        QVERIFY2(show.out.contains(QRegularExpression("active +16 vCPUs, 64 GiB")),
                 qPrintable(show.out));
        const Run json = ctl({"--json", "clusters", "show", "erp"});
        EXPECT_EXIT(json, 0);
        QCOMPARE(json.json()["priority"].toInt(), 900);
    }

    void clustersAddSetStatsAndRemove() {
        writeFile(path("new.json"), R"({"name": "e2e-app", "priority": 420, "mtbf_hours": 8760,
            "mttr_hours": 8, "standby": {"vcpus": 1, "memory_mib": 1024},
            "active": {"vcpus": 2, "memory_mib": 4096}})");
        const Run added = ctl({"clusters", "add", "new.json"});
        EXPECT_EXIT(added, 0);
        QVERIFY2(added.out.contains(QRegularExpression("token +\\S+ +\\(shown this once")),
                 qPrintable(added.out));
        QVERIFY2(added.out.contains(QRegularExpression("node +e2e-app-passive")),
                 qPrintable(added.out));

        const Run changed = ctl({"clusters", "set", "e2e-app", "priority=430", "mttr_hours=6"});
        EXPECT_EXIT(changed, 0);
        QVERIFY2(changed.out.contains(QRegularExpression("priority +430")),
                 qPrintable(changed.out));
        const Run shown = ctl({"--json", "clusters", "show", "e2e-app"});
        QCOMPARE(shown.json()["mttr_hours"].toDouble(), 6.0);

        const Run stats = ctl({"clusters", "stats", "e2e-app"});
        EXPECT_EXIT(stats, 0);
        QVERIFY2(stats.out.contains(QRegularExpression("failovers +0")), qPrintable(stats.out));

        const Run removed = ctl({"clusters", "remove", "e2e-app"});
        EXPECT_EXIT(removed, 0);
        EXPECT_EXIT(ctl({"clusters", "show", "e2e-app"}), 4);
    }

    void aFleetFileIsRegisteredAllOrNothing() {
        writeFile(path("fleet.csv"),
                  "name,priority,mtbf_hours,mttr_hours,group,standby_vcpus,standby_memory_mib,"
                  "active_vcpus,active_memory_mib\n"
                  "e2e-a,300,8760,4,,1,512,2,2048\n"
                  "e2e-b,310,8760,4,,1,512,2,2048\n");
        const Run added = ctl({"--json", "clusters", "add", "fleet.csv"});
        EXPECT_EXIT(added, 0);
        QCOMPARE(added.json()["clusters"].toArray().size(), 2);
        EXPECT_EXIT(ctl({"clusters", "remove", "e2e-a"}), 0);
        EXPECT_EXIT(ctl({"clusters", "remove", "e2e-b"}), 0);
    }

    void aRefusedAdmissionExitsWith1AndShowsTheRisks() {
        writeFile(path("huge.json"), R"({"name": "e2e-huge", "priority": 100, "mtbf_hours": 100,
            "mttr_hours": 100, "standby": {"vcpus": 1, "memory_mib": 1024},
            "active": {"vcpus": 4, "memory_mib": 307200}})");
        const Run refused = ctl({"clusters", "add", "huge.json"});
        EXPECT_EXIT(refused, 1);
        QVERIFY2(refused.err.contains("admission_refused"), qPrintable(refused.err));
        QVERIFY2(refused.err.contains(QRegularExpression(
                     "memory_mib +1 in [0-9,.]+( [a-z]+)? +1 in 10,000 +over target")),
                 qPrintable(refused.err));
        QVERIFY2(refused.err.contains(QRegularExpression("e2e-huge +memory_mib +300 GiB")),
                 qPrintable(refused.err));
        EXPECT_EXIT(ctl({"clusters", "show", "e2e-huge"}), 4);
    }

    void invalidInputTheServiceRefusesExitsWith2() {
        const Run run = ctl({"clusters", "set", "mail", "group=no-such-group"});
        EXPECT_EXIT(run, 2);
        QVERIFY2(run.err.contains("HTTP 400"), qPrintable(run.err));
    }

    void groupsAddListAndRemove() {
        writeFile(path("group.json"),
                  R"({"name": "e2e-rack", "mtbf_hours": 40000, "mttr_hours": 3})");
        EXPECT_EXIT(ctl({"groups", "add", "group.json"}), 0);
        const Run list = ctl({"groups"});
        EXPECT_EXIT(list, 0);
        QVERIFY2(list.out.contains(QRegularExpression("e2e-rack +40000 +3")), qPrintable(list.out));
        QVERIFY2(list.out.contains(QRegularExpression("rack-a .*(crm, erp|erp, crm)")),
                 qPrintable(list.out));
        EXPECT_EXIT(ctl({"groups", "remove", "e2e-rack"}), 0);
        // A group with members cannot go: a conflict, refused by the service.
        const Run busy = ctl({"groups", "remove", "rack-a"});
        EXPECT_EXIT(busy, 1);
        QVERIFY2(busy.err.contains("conflict"), qPrintable(busy.err));
    }

    void nodesReadinessTakeoverAndRelease() {
        const Run list = ctl({"nodes"});
        EXPECT_EXIT(list, 0);
        QVERIFY2(list.out.contains(
                     QRegularExpression("ldap-passive +ldap +" + appliance_ + " +standby")),
                 qPrintable(list.out));
        const Run ready = ctl({"readiness", "ldap-passive"});
        EXPECT_EXIT(ready, 0);
        QVERIFY2(ready.out.contains(QRegularExpression("ready +yes")), qPrintable(ready.out));

        const Run granted = ctl({"takeover", "ldap-passive", "--wait", "20"});
        EXPECT_EXIT(granted, 0);
        QVERIFY2(granted.out.contains("granted ldap-passive: runs with 2 vCPUs, 4 GiB"),
                 qPrintable(granted.out));
        QCOMPARE(nodeState("ldap-passive"), QStringLiteral("active"));
        const Run shown = ctl({"nodes", "ldap-passive"});
        // The grant is the growth over standby, as the console shows it.
        QVERIFY2(shown.out.contains(QRegularExpression(
                     "grant +\\+\\d+ vCPUs?, \\+\\d+(\\.\\d)? [MG]iB over standby\n")),
                 qPrintable(shown.out));

        const Run released = ctl({"release", "ldap-passive"});
        EXPECT_EXIT(released, 0);
        QVERIFY2(released.out.contains("released ldap-passive"), qPrintable(released.out));
        QCOMPARE(nodeState("ldap-passive"), QStringLiteral("standby"));

        const Run stats = ctl({"--json", "clusters", "stats", "ldap"});
        EXPECT_EXIT(stats, 0);
        QCOMPARE(stats.json()["failovers"].toInt(), 1);
    }

    void powerStatus() {
        const Run run = ctl({"power", "mail-passive", "status"});
        EXPECT_EXIT(run, 0);
        QCOMPARE(run.out, QStringLiteral("on\n"));
    }

    void anUnknownNodeIsNotFound() {
        const Run run = ctl({"takeover", "ghost-passive"});
        EXPECT_EXIT(run, 4);
        QVERIFY2(run.err.contains("not_found"), qPrintable(run.err));
    }

    void eventsWithFilters() {
        EXPECT_EXIT(ctl({"takeover", "monitoring-passive"}), 0);
        EXPECT_EXIT(ctl({"release", "monitoring-passive"}), 0);
        const Run all = ctl({"events"});
        EXPECT_EXIT(all, 0);
        QVERIFY2(all.out.contains("takeover.granted") && all.out.contains("release"),
                 qPrintable(all.out));
        const QString granted = all.out.split('\n').filter("takeover.granted").constLast();
        QVERIFY2(granted.contains("  admin@127.0.0.1  "), qPrintable(granted));
        const Run takeovers =
            ctl({"--json", "events", "--kind", "takeover", "--cluster", "monitoring"});
        EXPECT_EXIT(takeovers, 0);
        const QJsonArray events = takeovers.json()["events"].toArray();
        QVERIFY(events.size() >= 2);
        qint64 previous = 0;
        for (const QJsonValue& event : events) {
            QVERIFY(event["kind"].toString().startsWith("takeover."));
            QCOMPARE(event["cluster"].toString(), QStringLiteral("monitoring"));
            QCOMPARE(event["actor"].toString(), QStringLiteral("admin@127.0.0.1"));
            QVERIFY(event["id"].toInteger() > previous);
            previous = event["id"].toInteger();
        }
        const Run later = ctl({"--json", "events", "--since", QString::number(previous)});
        EXPECT_EXIT(later, 0);
        for (const QJsonValue& event : later.json()["events"].toArray()) {
            QVERIFY(event["id"].toInteger() > previous);
        }
    }

    void followPrintsEventsAsTheyHappen() {
        const Run last = ctl({"--json", "events"});
        const qint64 since = last.json()["next"].toInteger();
        QProcessEnvironment env;
        env.insert("HOME", path("home"));
        env.insert("UNDERSTUDY_URL", service_.url());
        QProcess follower;
        follower.setProcessEnvironment(env);
        follower.start(QStringLiteral(UNDERSTUDYCTL),
                       {"--token-file", service_.adminTokenFile(), "--json", "events", "--follow",
                        "--since", QString::number(since), "--cluster", "files"});
        QVERIFY(follower.waitForStarted(kHangMs));
        EXPECT_EXIT(ctl({"takeover", "files-passive"}), 0);
        QByteArray lines;
        QDeadlineTimer deadline(kHangMs);
        while (!lines.contains("takeover.granted") && !deadline.hasExpired()) {
            follower.waitForReadyRead(200);
            lines += follower.readAllStandardOutput();
        }
        follower.terminate();
        follower.waitForFinished(kHangMs);
        EXPECT_EXIT(ctl({"release", "files-passive"}), 0);
        QVERIFY2(lines.contains("takeover.requested") && lines.contains("takeover.granted"),
                 lines.constData());
        for (const QByteArray& line : lines.trimmed().split('\n')) {
            const QJsonObject event = QJsonDocument::fromJson(line).object();
            QCOMPARE(event["cluster"].toString(), QStringLiteral("files"));
            QCOMPARE(event["actor"].toString(), QStringLiteral("admin@127.0.0.1"));
            QVERIFY(event["id"].toInteger() > since);
        }
    }

    void sizingInEachFormat() {
        const Run table = ctl({"sizing"});
        EXPECT_EXIT(table, 0);
        QVERIFY2(table.out.contains("target risk 1 in 10,000"), qPrintable(table.out));
        // Named by what it is: the fleet's risk alone, not every cluster's risk when active.
        QVERIFY2(table.out.contains("FLEET RISK MEETS TARGET AT"), qPrintable(table.out));
        QVERIFY2(table.out.contains("MEETS TARGET"), qPrintable(table.out));
        const Run csv = ctl({"sizing", "--format", "csv"});
        EXPECT_EXIT(csv, 0);
        QVERIFY(csv.out.startsWith("appliance,cluster,failover_probability"));
        QVERIFY2(csv.out.contains(",erp,"), qPrintable(csv.out));
        const Run json = ctl({"--json", "sizing"});
        EXPECT_EXIT(json, 0);
        QVERIFY(json.json().contains("baselines"));
    }

    void whatIfChangesNothing() {
        const Run run = ctl({"what-if", "--fail", "erp", "crm", "--remove", "mail"});
        EXPECT_EXIT(run, 0);
        QVERIFY2(run.out.contains(QRegularExpression("erp-passive +(granted|partial|preempts)")),
                 qPrintable(run.out));
        QCOMPARE(nodeState("erp-passive"), QStringLiteral("standby"));
        EXPECT_EXIT(ctl({"clusters", "show", "mail"}), 0);
    }

    void backupWritesASqliteDatabase() {
        const Run run = ctl({"backup", "copy.db"});
        EXPECT_EXIT(run, 0);
        QFile copy(path("copy.db"));
        QVERIFY(copy.open(QIODevice::ReadOnly));
        QCOMPARE(copy.read(16), QByteArray("SQLite format 3\0", 16));
        QVERIFY2(run.out.contains(QStringLiteral("wrote %1 bytes").arg(copy.size())),
                 qPrintable(run.out));
    }

    void aWrongTokenIsNotAllowed() {
        const Run run = ctl({"nodes"}, path("wrong.token"));
        EXPECT_EXIT(run, 3);
        QVERIFY2(run.err.contains("unauthorized") && run.err.contains("--token-file"),
                 qPrintable(run.err));
        QVERIFY(!run.err.contains("not-a-token-the-service-knows"));
    }

    void aClusterTokenReachesOnlyItsOwnNode() {
        const Run rotated = ctl({"clusters", "rotate-token", "web"});
        EXPECT_EXIT(rotated, 0);
        writeFile(path("web.token"), rotated.out.toUtf8());
        EXPECT_EXIT(ctl({"nodes", "web-passive"}, path("web.token")), 0);
        EXPECT_EXIT(ctl({"readiness", "web-passive"}, path("web.token")), 0);
        const Run other = ctl({"nodes", "erp-passive"}, path("web.token"));
        EXPECT_EXIT(other, 3);
        EXPECT_EXIT(ctl({"appliances"}, path("web.token")), 3);
        // status falls back to the health links when headroom is admin-only.
        const Run status = ctl({"status"}, path("web.token"));
        EXPECT_EXIT(status, 0);
        QVERIFY2(status.out.contains(QRegularExpression(appliance_ + " +connected +yes")),
                 qPrintable(status.out));
    }

    // Last: it fills the appliance. The big nodes take everything but a few GiB, so web's
    // takeover (22 GiB more) is denied with the holders listed.
    void aTakeoverDenialExitsWith1AndNamesTheHolders() {
        const QStringList big{"erp-passive", "dwh-passive", "billing-passive", "crm-passive"};
        for (const QString& node : big) {
            EXPECT_EXIT(ctl({"takeover", node}), 0);
        }
        const Run denied = ctl({"takeover", "web-passive"});
        EXPECT_EXIT(denied, 1);
        QVERIFY2(denied.err.contains("takeover_denied"), qPrintable(denied.err));
        QVERIFY2(denied.err.contains(QRegularExpression("resource +memory_mib")),
                 qPrintable(denied.err));
        QVERIFY2(denied.err.contains(QRegularExpression("needed +22 GiB")), qPrintable(denied.err));
        QVERIFY2(
            denied.err.contains(QRegularExpression("dwh-passive +dwh +300 +active +\\+88 GiB")),
            qPrintable(denied.err));
        QCOMPARE(nodeState("web-passive"), QStringLiteral("standby"));
        for (const QString& node : big) {
            EXPECT_EXIT(ctl({"release", node}), 0);
        }
    }
};

QTEST_GUILESS_MAIN(TestUnderstudyctlE2e)
#include "test_understudyctl_e2e.moc"

// understudyctl appliance lost and rejoin against a real understudyd of two test-driver
// appliances, through the life of an appliance that goes away: a cluster registered on pna-2
// while it runs; pna-2 unreachable after a restart (its libvirt address now leads nowhere),
// declared lost, its standby node started on pna-1 and shown so; pna-2 back, still lost until
// rejoined, its node left where it was evacuated.
#include <QtTest>

#include <QJsonArray>
#include <QRegularExpression>
#include <QTemporaryDir>

#include "tests/agents/agent_fixture.h"
#include "tests/support/test_driver_host.h"

using namespace understudy::tests;

class TestUnderstudyctlApplianceLoss : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    quint16 port_ = 0;
    AgentService service_{dir_.path()};

    QString path(const QString& name) const { return dir_.filePath(name); }

    // pna-1 on a host of its own; pna-2 too while it runs, else behind a libvirt daemon address
    // where nothing listens.
    bool restartWith(bool pna2_reachable) {
        service_.stop();
        const QString config =
            writeApplianceConfig(dir_.path(), port_, {"pna-1", "pna-2"},
                                 pna2_reachable ? QStringList{} : QStringList{"pna-2"});
        return !config.isEmpty() && service_.start({"--config", config});
    }

    QString applianceState(const QString& name) const {
        const Run run = service_.admin({"--json", "appliances", name});
        return run.exit_code == 0 ? run.json()["state"].toString() : run.describe();
    }

    QString nodeAppliance(const QString& node) const {
        const Run run = service_.admin({"--json", "nodes", node});
        return run.exit_code == 0 ? run.json()["appliance"].toString() : run.describe();
    }

private slots:
    void initTestCase() {
        port_ = freePort();
        service_.setPort(port_);
        QVERIFY2(restartWith(true), service_.output().constData());
    }

    void cleanupTestCase() { service_.stop(); }

    void aLostAppliancesStandbyNodeIsStartedOnTheOther() {
        writeFile(path("orders.json"), R"({"name": "orders", "priority": 500, "mtbf_hours": 8760,
            "mttr_hours": 4, "appliance": "pna-2", "standby": {"vcpus": 1, "memory_mib": 1024},
            "active": {"vcpus": 2, "memory_mib": 4096}})");
        EXPECT_EXIT(service_.admin({"clusters", "add", path("orders.json")}), 0);
        QCOMPARE(nodeAppliance("orders-passive"), QStringLiteral("pna-2"));
        const Run reachable = service_.admin({"appliance", "lost", "pna-2"});
        EXPECT_EXIT(reachable, 1);
        QVERIFY2(reachable.err.contains("HTTP 409, conflict"), qPrintable(reachable.err));

        QVERIFY2(restartWith(false), service_.output().constData());
        QTRY_COMPARE_WITH_TIMEOUT(applianceState("pna-2"), QStringLiteral("unreachable"), 20000);
        // Nobody asked: the service found it unreachable by itself.
        const QJsonArray unreachable =
            service_.admin({"--json", "events", "--kind", "hypervisor.disconnected"})
                .json()["events"]
                .toArray();
        QVERIFY(!unreachable.isEmpty());
        QCOMPARE(unreachable.last()["actor"].toString(), QStringLiteral("service"));
        const Run table = service_.admin({"appliances"});
        QVERIFY2(table.out.contains(QRegularExpression("\\npna-2 +unreachable +no +memory")),
                 qPrintable(table.out));

        const Run lost = service_.admin({"appliance", "lost", "pna-2"});
        EXPECT_EXIT(lost, 0);
        QVERIFY2(lost.out.startsWith("appliance pna-2 is lost: 1 standby node(s) evacuated, "
                                     "0 stranded\n"),
                 qPrintable(lost.out));
        QVERIFY2(
            lost.out.contains(QRegularExpression("\\nEVACUATED +TO\\norders-passive +pna-1\\n")),
            qPrintable(lost.out));
        QCOMPARE(applianceState("pna-2"), QStringLiteral("lost"));
        QCOMPARE(nodeAppliance("orders-passive"), QStringLiteral("pna-1"));
        const Run evacuated = service_.admin({"--json", "events", "--kind", "node.evacuated"});
        const QJsonArray events = evacuated.json()["events"].toArray();
        QCOMPARE(events.size(), 1);
        QCOMPARE(events[0]["details"]["to"].toString(), QStringLiteral("pna-1"));
        // The administrator's declaration moved it, not the service on its own.
        QCOMPARE(events[0]["actor"].toString(), QStringLiteral("admin@127.0.0.1"));

        // Still off: it cannot rejoin.
        const Run early = service_.admin({"appliance", "rejoin", "pna-2"});
        EXPECT_EXIT(early, 1);
        QVERIFY2(early.err.contains("HTTP 409, conflict"), qPrintable(early.err));
    }

    void aLostApplianceThatIsBackRejoinsOnlyWhenAsked() {
        QVERIFY2(restartWith(true), service_.output().constData());
        QTRY_VERIFY_WITH_TIMEOUT(
            service_.admin({"--json", "appliances", "pna-2"}).json()["connected"].toBool(), 20000);
        QCOMPARE(applianceState("pna-2"), QStringLiteral("lost"));

        const Run rejoined = service_.admin({"appliance", "rejoin", "pna-2"});
        EXPECT_EXIT(rejoined, 0);
        QCOMPARE(rejoined.out, QStringLiteral("appliance pna-2 rejoined the pool: connected\n"));
        QCOMPARE(applianceState("pna-2"), QStringLiteral("connected"));
        QCOMPARE(nodeAppliance("orders-passive"), QStringLiteral("pna-1"));
        const Run json = service_.admin({"--json", "appliance", "rejoin", "pna-2"});
        EXPECT_EXIT(json, 1);
    }
};

QTEST_GUILESS_MAIN(TestUnderstudyctlApplianceLoss)
#include "test_understudyctl_appliance_loss.moc"

// The risk of now end to end (docs/http-api.md, "Appliance": not_ready and denial_risk): a real
// understudyd on the demo appliance (libvirt test driver) filled to 96 % of its memory by
// takeovers, as an operator found it, then relieved by a release.
#include <QElapsedTimer>
#include <QTest>
#include <cmath>

#include "tests/e2e/service_process.h"

using namespace understudy::e2e;

namespace {

// P(at least one of these clusters fails within 24 hours), from their MTBFs.
double anyFailsWithinADay(std::initializer_list<double> mtbf_hours) {
    double rate = 0;
    for (double mtbf : mtbf_hours) {
        rate += 1 / mtbf;
    }
    return 1 - std::exp(-24 * rate);
}

json byNode(const json& not_ready, const std::string& node) {
    for (const json& entry : not_ready) {
        if (entry["node"] == node) {
            return entry;
        }
    }
    return nullptr;
}

}  // namespace

class RiskOfNowEndToEnd : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::unique_ptr<ServiceProcess> service_;

    ServiceProcess& s() { return *service_; }
    json demo() { return s().getJson(QStringLiteral("/api/v1/appliances/demo")); }
    void takeOver(const char* node) {
        const Reply reply = s().post(QStringLiteral("/api/v1/nodes/%1/takeover").arg(node));
        QVERIFY2(reply.status == 200, reply.body.constData());
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        service_ = std::make_unique<ServiceProcess>(dir_.filePath(QStringLiteral("demo.db")));
        QVERIFY2(s().start(), s().output().constData());
    }
    void cleanupTestCase() { JCOMPARE(s().terminate(), 0); }

    void anIdleApplianceIsReadyWithATinyRisk() {
        const json appliance = demo();
        JCOMPARE(appliance["not_ready"], json::array());
        QCOMPARE(appliance["denial_risk"]["horizon_hours"].get<double>(), 24.0);
        const double value = appliance["denial_risk"]["value"].get<double>();
        QVERIFY2(value >= 0 && value < 1e-6, appliance["denial_risk"].dump().c_str());
    }

    void aFullApplianceNamesTheNodesThatCannotTakeOverAndTheirShortfall() {
        for (const char* node : {"dwh-passive", "erp-passive", "billing-passive", "crm-passive"}) {
            takeOver(node);
        }
        const json appliance = demo();
        const json& memory = appliance["resources"]["memory_mib"];
        const double held =
            memory["standby_committed"].get<double>() + memory["granted"].get<double>();
        QVERIFY2(held / memory["capacity"].get<double>() > 0.96, memory.dump().c_str());
        JCOMPARE(memory["free"], 9216);

        // web and files are standby but do not fit; crm's takeover preempted mail and legacy-win.
        const json& not_ready = appliance["not_ready"];
        QCOMPARE(not_ready.size(), std::size_t{4});
        json web;
        web["node"] = "web-passive";
        web["cluster"] = "web";
        web["reason"] = "not enough memory: short 13 GiB (needs 22 GiB, 9 GiB free)";
        web["would_preempt"] = json::array();
        web["partial_cpu"] = false;
        JCOMPARE(byNode(not_ready, "web-passive"), web);
        JCOMPARE(byNode(not_ready, "files-passive")["reason"],
                 "not enough memory: short 5 GiB (needs 14 GiB, 9 GiB free)");
        JCOMPARE(byNode(not_ready, "mail-passive")["reason"],
                 "the node is preempted; only a standby node can take over");
        QVERIFY(!byNode(not_ready, "legacy-win-passive").is_null());
        // The same answer as the node's own readiness.
        const json readiness = s().getJson(QStringLiteral("/api/v1/nodes/web-passive/readiness"));
        JCOMPARE(readiness["ready"], false);
        JCOMPARE(readiness["reason"], byNode(not_ready, "web-passive")["reason"]);

        // ldap (3 GiB) and monitoring (6 GiB) fit together in the 9 GiB free, so a denial is
        // exactly a failure of web, files, mail or legacy-win within the day.
        const double expected = anyFailsWithinADay({2190, 8760, 4380, 8760});
        const double value = appliance["denial_risk"]["value"].get<double>();
        QVERIFY2(
            std::abs(value - expected) <= 1e-9 * expected,
            qPrintable(QStringLiteral("denial_risk %1, expected %2").arg(value).arg(expected)));

        const Reply metrics = s().get(QStringLiteral("/metrics"), {});
        QVERIFY(metrics.body.contains("understudy_not_ready_nodes{appliance=\"demo\"} 4\n"));
        QVERIFY(metrics.body.contains("understudy_denial_risk{appliance=\"demo\"} 0.0216"));
        const json sizing = s().getJson(QStringLiteral("/api/v1/sizing"));
        JCOMPARE(sizing["appliances"][0]["denial_risk"], appliance["denial_risk"]);
        QCOMPARE(sizing["appliances"][0]["not_ready"].size(), std::size_t{4});
    }

    void aReleaseBringsTheRiskDown() {
        const double before = demo()["denial_risk"]["value"].get<double>();
        const Reply released = s().post(QStringLiteral("/api/v1/nodes/crm-passive/release"));
        QVERIFY2(released.status == 200, released.body.constData());
        // The preempted nodes come back by themselves once crm's memory is free.
        QElapsedTimer clock;
        clock.start();
        json appliance = demo();
        while (!appliance["not_ready"].empty() && clock.elapsed() < 20000) {
            QTest::qWait(200);
            appliance = demo();
        }
        JCOMPARE(appliance["not_ready"], json::array());
        const double after = appliance["denial_risk"]["value"].get<double>();
        QVERIFY2(after < before / 4,
                 qPrintable(QStringLiteral("before %1, after %2").arg(before).arg(after)));
        QVERIFY2(s().get(QStringLiteral("/metrics"), {})
                     .body.contains("understudy_not_ready_nodes{appliance=\"demo\"} 0\n"),
                 "the metric follows");
    }
};

QTEST_MAIN(RiskOfNowEndToEnd)
#include "test_e2e_risk_of_now.moc"

// An appliance's history end to end (docs/http-api.md, "Appliance history"): a real understudyd
// on the demo appliance (libvirt test driver) sampling every second, a takeover that leaves a
// sample with less headroom, and the query's refusals.
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QTest>

#include "tests/e2e/service_process.h"

using namespace understudy::e2e;

class HistoryEndToEnd : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::unique_ptr<ServiceProcess> service_;

    ServiceProcess& s() { return *service_; }
    json history(const QString& query = {}) {
        const Reply reply = s().get(QStringLiteral("/api/v1/appliances/demo/history") + query);
        return reply.status == 200 ? reply.document() : json();
    }
    void expectRefusal(const QString& query, const char* field, const char* words) {
        const Reply reply = s().get(QStringLiteral("/api/v1/appliances/demo/history") + query);
        QCOMPARE(reply.status, 400);
        const json body = reply.document();
        JCOMPARE(body["error"], "invalid_field");
        JCOMPARE(body["field"], field);
        QVERIFY2(body["message"].get<std::string>().find(words) != std::string::npos,
                 body.dump().c_str());
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        const QString config = dir_.filePath(QStringLiteral("understudyd.conf"));
        QFile file(config);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("[service]\nhistory_interval_s = 1\n");
        file.close();
        service_ = std::make_unique<ServiceProcess>();
        const quint16 port = freePort();
        s().setPort(port);
        QVERIFY2(s().start({QStringLiteral("--demo"), QStringLiteral("--config"), config,
                            QStringLiteral("--database"), dir_.filePath(QStringLiteral("h.db")),
                            QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port)}),
                 s().output().constData());
    }
    void cleanupTestCase() { JCOMPARE(s().terminate(), 0); }

    void samplesComeEveryIntervalOldestFirstAsTheApplianceSaysIt() {
        QElapsedTimer clock;
        clock.start();
        json answer = history();
        while (answer["samples"].size() < 3 && clock.elapsed() < 10000) {
            QTest::qWait(200);
            answer = history();
        }
        QVERIFY2(answer["samples"].size() >= 3, answer.dump().c_str());
        JCOMPARE(answer["appliance"], "demo");
        JCOMPARE(answer["interval_s"], 1);
        JCOMPARE(answer["retention_hours"], 168);
        JCOMPARE(answer["truncated"], false);
        const json appliance = s().getJson(QStringLiteral("/api/v1/appliances/demo"));
        std::string previous;
        for (const json& sample : answer["samples"]) {
            QVERIFY2(sample["time"].get<std::string>() > previous, answer.dump().c_str());
            previous = sample["time"].get<std::string>();
            JCOMPARE(sample["state"], "connected");
            JCOMPARE(sample["free"]["memory_mib"], appliance["resources"]["memory_mib"]["free"]);
            JCOMPARE(sample["free"]["vcpus"], appliance["resources"]["vcpus"]["free"]);
            JCOMPARE(sample["denial_risk"], appliance["denial_risk"]["value"]);
            JCOMPARE(sample["not_ready"], appliance["not_ready"].size());
        }
    }

    void aGrantLeavesASampleWithLessHeadroom() {
        const std::int64_t before =
            history(QStringLiteral("?limit=1"))["samples"][0]["free"]["memory_mib"];
        const QString asked = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
        const Reply granted = s().post(QStringLiteral("/api/v1/nodes/dwh-passive/takeover"));
        QVERIFY2(granted.status == 200, granted.body.constData());
        const json appliance = s().getJson(QStringLiteral("/api/v1/appliances/demo"));
        const std::int64_t free = appliance["resources"]["memory_mib"]["free"];
        QVERIFY2(free < before, appliance.dump().c_str());

        QElapsedTimer clock;
        clock.start();
        json after;
        while (clock.elapsed() < 5000) {
            after = history(QStringLiteral("?since=") + asked);
            if (!after["samples"].empty() &&
                after["samples"].back()["free"]["memory_mib"] == free) {
                break;
            }
            QTest::qWait(100);
        }
        QVERIFY2(!after["samples"].empty(), after.dump().c_str());
        const json& last = after["samples"].back();
        JCOMPARE(last["free"]["memory_mib"], free);
        JCOMPARE(last["denial_risk"], appliance["denial_risk"]["value"]);
        JCOMPARE(last["not_ready"], appliance["not_ready"].size());
        QVERIFY2(last["time"].get<std::string>() >= asked.toStdString(), after.dump().c_str());
    }

    void aLimitKeepsTheNewestWithoutSinceAndTheOldestWithIt() {
        const json all = history(QStringLiteral("?limit=10080"));
        QVERIFY(all["samples"].size() >= 3);
        const json newest = history(QStringLiteral("?limit=2"));
        QCOMPARE(newest["samples"].size(), std::size_t{2});
        JCOMPARE(newest["truncated"], true);
        const json first = all["samples"][0];
        const json oldest =
            history(QStringLiteral("?limit=1&since=") + QString::fromStdString(first["time"]));
        JCOMPARE(oldest["samples"], json::array({first}));
        JCOMPARE(oldest["truncated"], true);
        QVERIFY(newest["samples"][1]["time"] >= all["samples"].back()["time"]);
    }

    void aBadQueryIsRefusedNamingTheParameter() {
        expectRefusal(QStringLiteral("?since=yesterday"), "since", "RFC 3339");
        expectRefusal(QStringLiteral("?since=2026-12-07T08:00:00"), "since", "with its offset");
        expectRefusal(QStringLiteral("?since=2026-13-07T08:00:00Z"), "since", "RFC 3339");
        expectRefusal(QStringLiteral("?limit=0"), "limit", "from 1 to 10080");
        expectRefusal(QStringLiteral("?limit=10081"), "limit", "got '10081'");
        expectRefusal(QStringLiteral("?limit=ten"), "limit", "whole number");
        expectRefusal(QStringLiteral("?from=2026-12-07T08:00:00Z"), "from", "use since or limit");
    }

    void anUnknownApplianceIsNotFoundAndOnlyTheAdminMayAsk() {
        const Reply unknown = s().get(QStringLiteral("/api/v1/appliances/nowhere/history"));
        QCOMPARE(unknown.status, 404);
        JCOMPARE(unknown.document()["error"], "not_found");
        QCOMPARE(s().get(QStringLiteral("/api/v1/appliances/demo/history"), {}).status, 401);
        QCOMPARE(s().get(QStringLiteral("/api/v1/appliances/demo/history"), "wrong").status, 401);
    }
};

QTEST_MAIN(HistoryEndToEnd)
#include "test_e2e_history.moc"

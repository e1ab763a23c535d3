// understudyd killed in the middle of takeovers (SIGTERM: graceful; SIGKILL: a crash) and
// restarted on the same database: every grant the API acknowledged with 200 is still there, and
// reconciled with libvirt. The demo's test driver forgets its domains with the process, so the
// demo appliance's recreate_missing re-defines them at the footprint the database says.
#include <QSet>
#include <QTest>
#include <csignal>

#include "tests/e2e/service_process.h"

using namespace understudy::e2e;

class RestartEndToEnd : public QObject {
    Q_OBJECT

private slots:
    void everyAcknowledgedGrantSurvivesARestart_data() {
        QTest::addColumn<bool>("graceful");
        QTest::newRow("SIGTERM") << true;
        QTest::newRow("SIGKILL") << false;
    }
    void everyAcknowledgedGrantSurvivesARestart() {
        QFETCH(bool, graceful);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString database = dir.filePath(QStringLiteral("restart.db"));
        const QStringList nodes{
            QStringLiteral("ldap-passive"), QStringLiteral("monitoring-passive"),
            QStringLiteral("mail-passive"), QStringLiteral("files-passive"),
            QStringLiteral("web-passive"),  QStringLiteral("crm-passive")};
        QSet<QString> acknowledged;
        int answered = 0;
        {
            ServiceProcess service(database);
            QVERIFY2(service.start(), service.output().constData());
            // The answers are held to the document after the service is gone.
            QVERIFY(servedDocument(service.port()) != nullptr);
            // All at once, at most QNetworkAccessManager's 6 connections per host so that every
            // one is at the service before the signal: the core works through them one by one
            // on the appliance's worker.
            std::vector<std::pair<QString, QNetworkReply*>> pending;
            for (const QString& node : nodes) {
                QNetworkRequest request(
                    service.url(QStringLiteral("/api/v1/nodes/%1/takeover").arg(node)));
                request.setRawHeader("Authorization", QByteArray("Bearer ") + kAdminToken);
                pending.emplace_back(node, service.manager().post(request, QByteArray()));
            }
            QTRY_VERIFY_WITH_TIMEOUT(
                std::any_of(pending.begin(), pending.end(),
                            [](const auto& entry) { return entry.second->isFinished(); }),
                30000);
            if (graceful) {
                ::kill(static_cast<pid_t>(service.pid()), SIGTERM);
            } else {
                service.kill();
            }
            QTRY_VERIFY_WITH_TIMEOUT(
                std::all_of(pending.begin(), pending.end(),
                            [](const auto& entry) { return entry.second->isFinished(); }),
                30000);
            for (const auto& [node, reply] : pending) {
                const int status =
                    reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                if (status == 200) {
                    acknowledged.insert(node);
                }
                answered += status != 0 ? 1 : 0;
                const QByteArray body = reply->readAll();
                holdToDocument(
                    service.port(),
                    exchangeOf("POST", QStringLiteral("/api/v1/nodes/%1/takeover").arg(node), {},
                               *reply, body));
                QVERIFY2(status == 0 || status == 200, body.constData());
                delete reply;
            }
            QVERIFY(answered >= 1);
            if (graceful) {
                // Graceful: what reached the service was answered (a request still connecting
                // when the listener closed is refused, never half-answered), then exit 0.
                QCOMPARE(service.terminate(), 0);
            }
        }
        QVERIFY(!acknowledged.isEmpty());

        ServiceProcess again(database);
        QVERIFY2(again.start(), again.output().constData());
        // The sample fleet went only into the empty database.
        QCOMPARE(again.getJson(QStringLiteral("/api/v1/clusters"))["clusters"].size(), 10u);
        const json listed = again.getJson(QStringLiteral("/api/v1/nodes"))["nodes"];
        QCOMPARE(listed.size(), 10u);
        for (const json& node : listed) {
            const QString name = QString::fromStdString(node["name"].get<std::string>());
            const std::string state = node["state"].get<std::string>();
            if (acknowledged.contains(name)) {
                QVERIFY2(state == "active", qPrintable(name));
            }
            if (!acknowledged.contains(name) && state == "taking-over") {
                // A takeover reserved but never answered before SIGKILL: the core's restart
                // leaves it reserved (reported); only acknowledged grants are promised.
                continue;
            }
            QVERIFY2(state == "active" || state == "standby",
                     qPrintable(name + u' ' + QString::fromStdString(state)));
            json expected = node["standby"];
            if (state == "active") {
                JCOMPARE(node["grant"]["memory_mib"], node["active"]["memory_mib"]);
                expected = json{{"vcpus", node["grant"]["vcpus"]},
                                {"memory_mib", node["grant"]["memory_mib"]}};
            }
            if (node["name"] == "legacy-win-passive") {
                expected["memory_mib"] = node["active"]["memory_mib"];  // memory_mode reserved
            }
            // What libvirt reports after the restart is what the database says.
            JCOMPARE(node["current"], expected);
        }
        const json recreated =
            again.getJson(QStringLiteral("/api/v1/events?kind=node.recreated&limit=1000"));
        QCOMPARE(recreated["events"].size(), 10u);
        const json started =
            again.getJson(QStringLiteral("/api/v1/events?kind=service.&limit=1000"))["events"];
        JCOMPARE(started.back()["kind"], "service.started");
        if (graceful) {
            JCOMPARE(started[started.size() - 2]["kind"], "service.stopped");
        }
        // And the grants are usable: release them all.
        for (const QString& node : acknowledged) {
            QCOMPARE(again.post(QStringLiteral("/api/v1/nodes/%1/release").arg(node)).status, 200);
            JCOMPARE(again.getJson(QStringLiteral("/api/v1/nodes/%1").arg(node))["state"],
                     "standby");
        }
        QCOMPARE(again.terminate(), 0);
    }
};

QTEST_GUILESS_MAIN(RestartEndToEnd)
#include "test_e2e_restart.moc"

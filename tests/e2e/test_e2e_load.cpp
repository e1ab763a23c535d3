// A bounded load on loopback: 200 concurrent clients, 10,000 mixed requests (reads with the
// admin token and with their cluster's token, takeovers and releases of their own nodes). Every
// answer is a 200, and the event log stays gap-free with no lost or repeated ids.
#include <QTest>
#include <memory>

#include "tests/e2e/service_process.h"

using namespace understudy::e2e;

namespace {

constexpr int kClients = 200;
constexpr int kCycles = 10;  // 5 requests each
// Every tenth client's answers (1,000, of every kind) are held to the served document: each
// costs milliseconds in the validator co-process, which on all 10,000 answers added a third to
// the test's time (18 s of 62 s; more on a busy machine), eating into the load's time budget
// without checking anything the sample does not (the other e2e tests hold every answer).
constexpr int kHeldToDocumentEvery = 10;

struct Client {
    QString node;
    QByteArray token;
    std::unique_ptr<QNetworkAccessManager> manager;
    bool held_to_document = false;
    int step = 0;
};

}  // namespace

class LoadEndToEnd : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::unique_ptr<ServiceProcess> service_;
    std::vector<Client> clients_;
    int done_ = 0;
    int requests_ = 0;
    QStringList failures_;

    void next(Client& client) {
        if (client.step == kCycles * 5) {
            ++done_;
            return;
        }
        const int kind = client.step++ % 5;
        QString path;
        QByteArray method = "GET";
        QByteArray token = client.token;
        switch (kind) {
            case 0:
                path = QStringLiteral("/api/v1/nodes/%1").arg(client.node);
                break;
            case 1:
                path = QStringLiteral("/api/v1/nodes/%1/takeover").arg(client.node);
                method = "POST";
                break;
            case 2:
                path = QStringLiteral("/api/v1/appliances");
                token = kAdminToken;
                break;
            case 3:
                path = QStringLiteral("/api/v1/nodes/%1/release").arg(client.node);
                method = "POST";
                break;
            default:
                path = QStringLiteral("/api/v1/nodes/%1/readiness").arg(client.node);
                break;
        }
        QNetworkRequest request(service_->url(path));
        request.setRawHeader("Authorization", "Bearer " + token);
        QNetworkReply* reply = client.manager->sendCustomRequest(
            request, method, method == "POST" ? QByteArray("") : QByteArray());
        connect(reply, &QNetworkReply::finished, this, [this, &client, reply, path, method] {
            ++requests_;
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            const QByteArray body = reply->readAll();
            if (status != 200) {
                failures_ << QStringLiteral("%1 -> %2 %3")
                                 .arg(path)
                                 .arg(status)
                                 .arg(QString::fromUtf8(body));
            }
            if (client.held_to_document) {
                const std::string mismatch = documentMismatch(
                    service_->port(), exchangeOf(method, path, QByteArray(), *reply, body));
                if (!mismatch.empty()) {
                    failures_ << QString::fromStdString(mismatch);
                }
            }
            reply->deleteLater();
            next(client);
        });
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        const QString host = writeHost(dir_.path(), 256, 1 << 20);
        service_ = std::make_unique<ServiceProcess>(dir_.filePath(QStringLiteral("unused")));
        const quint16 port = freePort();
        const QString config = writeConfig(dir_.path(), port, host, 8.0);
        QVERIFY(!config.isEmpty());
        service_->setPort(port);
        QVERIFY2(service_->start({QStringLiteral("--config"), config}),
                 service_->output().constData());
        json fleet;
        fleet["clusters"] = json::array();
        for (int i = 0; i < kClients; ++i) {
            fleet["clusters"].push_back({{"name", "load-" + std::to_string(i)},
                                         {"mtbf_hours", 8760},
                                         {"mttr_hours", 1},
                                         {"standby", {{"vcpus", 1}, {"memory_mib", 256}}},
                                         {"active", {{"vcpus", 2}, {"memory_mib", 512}}}});
        }
        const Reply registered = service_->post(QStringLiteral("/api/v1/clusters"),
                                                QByteArray::fromStdString(fleet.dump()));
        QVERIFY2(registered.status == 201, registered.body.left(500).constData());
        const json answer = registered.document();
        for (const json& cluster : answer["clusters"]) {
            Client client;
            client.held_to_document = clients_.size() % kHeldToDocumentEvery == 0;
            client.node = QString::fromStdString(cluster["node"].get<std::string>());
            client.token = QByteArray::fromStdString(cluster["token"].get<std::string>());
            client.manager = std::make_unique<QNetworkAccessManager>();
            clients_.push_back(std::move(client));
        }
        QCOMPARE(static_cast<int>(clients_.size()), kClients);
    }
    void cleanupTestCase() { QCOMPARE(service_->terminate(), 0); }

    void twoHundredClientsGetEveryAnswerAndTheEventLogStaysGapFree() {
        for (Client& client : clients_) {
            next(client);
        }
        QTRY_VERIFY_WITH_TIMEOUT(done_ == kClients, 120000);
        QCOMPARE(requests_, kClients * kCycles * 5);
        QVERIFY2(failures_.isEmpty(), qPrintable(failures_.mid(0, 5).join(u'\n')));

        std::int64_t expected = 1;
        std::int64_t since = 0;
        int granted = 0;
        int released = 0;
        for (;;) {
            const json page =
                service_->getJson(QStringLiteral("/api/v1/events?limit=1000&since=%1").arg(since));
            if (page["events"].empty()) {
                break;
            }
            for (const json& event : page["events"]) {
                QCOMPARE(event["id"].get<std::int64_t>(), expected);
                ++expected;
                granted += event["kind"] == "takeover.granted" ? 1 : 0;
                released += event["kind"] == "release" ? 1 : 0;
            }
            since = page["next"].get<std::int64_t>();
        }
        QCOMPARE(granted, kClients * kCycles);
        QCOMPARE(released, kClients * kCycles);
        const json nodes = service_->getJson(QStringLiteral("/api/v1/nodes"))["nodes"];
        for (const json& node : nodes) {
            JCOMPARE(node["state"], "standby");
        }
    }
};

QTEST_GUILESS_MAIN(LoadEndToEnd)
#include "test_e2e_load.moc"

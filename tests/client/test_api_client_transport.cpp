// The API client's transport against the service's real HTTP layer (appliance/http) on a free
// loopback port, so error shapes, headers and long-polls are the ones understudyd sends; and
// against a closed port and a listener that never answers, for the failures.
#include <QtTest>

#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <nlohmann/json.hpp>

#include "appliance/client/api_client.h"
#include "appliance/http/http_server.h"
#include "tests/support/ports.h"
#include "tests/support/result_checks.h"
#include "tests/support/source_files.h"

using namespace understudy::client;
using namespace understudy::http;
using namespace std::chrono_literals;
using understudy::testsupport::closedPort;
using understudy::testsupport::readSourceFile;

namespace {

constexpr int kWaitMs = 10000;
constexpr char kToken[] = "tok-client-test-5d1e";

nlohmann::json fixture(const QString& name) {
    return nlohmann::json::parse(
        readSourceFile(QStringLiteral("tests/appliance/data/api/") + name).toStdString());
}

}  // namespace

class TestApiClientTransport : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<HttpServer> server_;
    QTemporaryDir dir_;

    void startServer() {
        auto status = server_->listen();
        QVERIFY_OK(status);
    }
    void makeServer(HttpServerOptions options = {}) {
        options.port = 0;
        server_ = std::make_unique<HttpServer>(options);
    }
    ClientOptions clientOptions() const {
        ClientOptions options;
        options.base_url = QUrl(QStringLiteral("%1://127.0.0.1:%2")
                                    .arg(server_->isTls() ? "https" : "http")
                                    .arg(server_->port()));
        options.token = kToken;
        options.timeout = 5s;
        return options;
    }

private slots:
    void cleanup() { server_.reset(); }

    void sendsTheBearerTokenAndDecodesAList() {
        makeServer();
        QString seen_token;
        server_->route("GET", "/api/v1/nodes", [&](const HttpRequest& request) {
            seen_token = request.bearerToken();
            return HttpResponse::json(200, fixture("nodes.json"));
        });
        startServer();
        ApiClient client(clientOptions());
        auto nodes = client.callSync(api::nodes());
        QVERIFY2(nodes.ok(), nodes.ok() ? "" : qPrintable(nodes.error().message));
        QCOMPARE(nodes->size(), std::size_t{2});
        QCOMPARE((*nodes)[0].name, QStringLiteral("crm-passive"));
        QCOMPARE(seen_token, QString::fromLatin1(kToken));
    }

    void putsNamesAndQueriesIntoThePath() {
        makeServer();
        QString seen_node;
        QString seen_query;
        nlohmann::json seen_body;
        server_->route("POST", "/api/v1/nodes/{name}/power", [&](const HttpRequest& request) {
            seen_node = request.capture("name");
            seen_body = nlohmann::json::parse(request.body.toStdString());
            return HttpResponse::json(200, {{"power", "on"}});
        });
        server_->route("GET", "/api/v1/events", [&](const HttpRequest& request) {
            seen_query = QStringLiteral("since=%1 kind=%2 cluster=%3 limit=%4")
                             .arg(request.queryItem("since"), request.queryItem("kind"),
                                  request.queryItem("cluster"), request.queryItem("limit"));
            return HttpResponse::json(200, fixture("events.json"));
        });
        startServer();
        ApiClient client(clientOptions());
        auto power = client.callSync(api::power("erp-passive", understudy::PowerAction::reboot));
        QVERIFY(power.ok());
        QCOMPARE(power->power, QStringLiteral("on"));
        QCOMPARE(seen_node, QStringLiteral("erp-passive"));
        QCOMPARE(seen_body, (nlohmann::json{{"action", "reboot"}}));

        EventQuery query;
        query.since = 40;
        query.kind = "takeover";
        query.cluster = "crm";
        query.limit = 5;
        auto page = client.callSync(api::events(query));
        QVERIFY(page.ok());
        QCOMPARE(seen_query, QStringLiteral("since=40 kind=takeover cluster=crm limit=5"));
    }

    // The loss is declared with exactly {"confirmed_down": true}; a rejoin sends nothing.
    void declaresAnApplianceLostAndRejoinsIt() {
        makeServer();
        QString lost_name;
        QByteArray lost_body;
        QByteArray rejoin_body = "not called";
        server_->route("POST", "/api/v1/appliances/{name}/lost", [&](const HttpRequest& request) {
            lost_name = request.capture("name");
            lost_body = request.body;
            return HttpResponse::json(200, fixture("appliance_lost.json"));
        });
        server_->route("POST", "/api/v1/appliances/{name}/rejoin", [&](const HttpRequest& request) {
            rejoin_body = request.body;
            if (request.capture("name") != QLatin1String("pna-2")) {
                return errors::conflict("pna-9 is not lost", QStringLiteral("connected"));
            }
            return HttpResponse::json(200, fixture("appliances.json")["appliances"][1]);
        });
        startServer();
        ApiClient client(clientOptions());

        auto loss = client.callSync(api::declareLost("pna-2"));
        QVERIFY2(loss.ok(), loss.ok() ? "" : qPrintable(loss.error().message));
        QCOMPARE(lost_name, QStringLiteral("pna-2"));
        QCOMPARE(nlohmann::json::parse(lost_body.toStdString()),
                 (nlohmann::json{{"confirmed_down", true}}));
        QCOMPARE(loss->evacuated.size(), std::size_t{2});
        QCOMPARE(loss->stranded[0].node, QStringLiteral("web-passive"));

        auto rejoined = client.callSync(api::rejoin("pna-2"));
        QVERIFY2(rejoined.ok(), rejoined.ok() ? "" : qPrintable(rejoined.error().message));
        QCOMPARE(rejoined->name, QStringLiteral("pna-2"));
        QVERIFY(rejoin_body.isEmpty());

        auto refused = client.callSync(api::rejoin("pna-9"));
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().status, 409);
        QCOMPARE(refused.error().code, QStringLiteral("conflict"));
    }

    void serviceErrorsKeepTheirCodeAndExtraFields() {
        makeServer();
        server_->route("POST", "/api/v1/nodes/{name}/takeover", [](const HttpRequest&) {
            return errors::takeoverDenied("no room", fixture("takeover_denied.json")["denial"]);
        });
        server_->route("POST", "/api/v1/clusters", [](const HttpRequest&) {
            nlohmann::json extra = fixture("admission_refused.json");
            extra.erase("error");
            extra.erase("message");
            return errors::admissionRefused("too risky", extra);
        });
        server_->route("GET", "/api/v1/clusters/{name}",
                       [](const HttpRequest&) { return errors::notFound("no such cluster"); });
        startServer();
        ApiClient client(clientOptions());

        auto takeover = client.callSync(api::takeover("erp-passive"));
        QVERIFY(!takeover.ok());
        QCOMPARE(takeover.error().status, 409);
        QCOMPARE(takeover.error().code, QStringLiteral("takeover_denied"));
        QCOMPARE(takeover.error().message, QStringLiteral("no room"));
        QVERIFY(takeover.error().denial);
        QCOMPARE(takeover.error().denial->holders[0].node, QStringLiteral("crm-passive"));

        auto added = client.callSync(api::registerClusters(QJsonObject{{"name", "big"}}));
        QVERIFY(!added.ok());
        QCOMPARE(added.error().code, QStringLiteral("admission_refused"));
        QVERIFY(added.error().refusal);
        QCOMPARE(added.error().refusal->unservable[0].cluster, QStringLiteral("big"));

        auto missing = client.callSync(api::cluster("nope"));
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().status, 404);
        QCOMPARE(missing.error().code, QStringLiteral("not_found"));
    }

    void retriesAGetAfterA503WithRetryAfter() {
        makeServer();
        int calls = 0;
        server_->route("GET", "/api/v1/health", [&](const HttpRequest&) {
            ++calls;
            return calls == 1 ? errors::databaseUnavailable("database locked", 0)
                              : HttpResponse::json(200, fixture("health.json"));
        });
        startServer();
        ApiClient client(clientOptions());
        auto health = client.callSync(api::health());
        QVERIFY2(health.ok(), health.ok() ? "" : qPrintable(health.error().message));
        QCOMPARE(calls, 2);
        QCOMPARE(health->status, QStringLiteral("degraded"));
    }

    void neverRetriesAPost() {
        makeServer();
        int calls = 0;
        server_->route("POST", "/api/v1/nodes/{name}/release", [&](const HttpRequest&) {
            ++calls;
            return errors::hypervisorUnavailable("libvirt is disconnected", 0);
        });
        startServer();
        ApiClient client(clientOptions());
        auto released = client.callSync(api::release("erp-passive"));
        QVERIFY(!released.ok());
        QCOMPARE(released.error().status, 503);
        QCOMPARE(released.error().code, QStringLiteral("hypervisor_unavailable"));
        QCOMPARE(released.error().retry_after_s, std::optional<int>(0));
        QCOMPARE(calls, 1);
    }

    void givesUpWhenTheRetryWouldNotFitTheTimeout() {
        makeServer();
        int calls = 0;
        server_->route("GET", "/api/v1/nodes", [&](const HttpRequest&) {
            ++calls;
            return errors::databaseUnavailable("database locked", 120);
        });
        startServer();
        ClientOptions options = clientOptions();
        options.timeout = 3s;
        ApiClient client(options);
        auto nodes = client.callSync(api::nodes());
        QVERIFY(!nodes.ok());
        QCOMPARE(nodes.error().status, 503);
        QCOMPARE(nodes.error().retry_after_s, std::optional<int>(120));
        QCOMPARE(calls, 1);
    }

    void aClosedPortIsUnreachable() {
        ClientOptions options;
        options.base_url = QUrl(understudy::testsupport::loopbackUrl(closedPort()));
        ApiClient client(options);
        auto health = client.callSync(api::health());
        QVERIFY(!health.ok());
        QCOMPARE(health.error().status, 0);
        QCOMPARE(health.error().code, QString::fromLatin1(kUnreachable));
        QVERIFY2(health.error().message.contains("understudyd runs"),
                 qPrintable(health.error().message));
    }

    void aServiceThatNeverAnswersTimesOut() {
        QTcpServer silent;  // the kernel accepts; nobody ever reads or answers
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        ClientOptions options;
        options.base_url = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(silent.serverPort()));
        options.timeout = 300ms;
        ApiClient client(options);
        auto nodes = client.callSync(api::nodes());
        QVERIFY(!nodes.ok());
        QCOMPARE(nodes.error().code, QString::fromLatin1(kTimedOut));
        QVERIFY2(nodes.error().message.contains("within 0.3 s"), qPrintable(nodes.error().message));
    }

    void aRequestTimeoutOverridesTheClients() {
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        ClientOptions options;
        options.base_url = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(silent.serverPort()));
        options.timeout = 60s;
        ApiClient client(options);
        auto granted = client.callSync(api::takeover("erp-passive", 200ms));
        QVERIFY(!granted.ok());
        QCOMPARE(granted.error().code, QString::fromLatin1(kTimedOut));
        QVERIFY2(granted.error().message.contains("within 0.2 s"),
                 qPrintable(granted.error().message));
    }

    void anInvalidUrlFailsBeforeSending() {
        ClientOptions options;
        options.base_url = QUrl(QStringLiteral("ftp://127.0.0.1:8470"));
        ApiClient client(options);
        auto health = client.callSync(api::health());
        QVERIFY(!health.ok());
        QCOMPARE(health.error().code, QString::fromLatin1(kInvalidRequest));
    }

    void anUnreadableCaFileIsAConfigurationError() {
        ClientOptions options;
        options.ca_file = dir_.filePath("missing-ca.pem");
        ApiClient client(options);
        QVERIFY(client.configurationError());
        auto health = client.callSync(api::health());
        QVERIFY(!health.ok());
        QVERIFY(health.error().message.contains("missing-ca.pem"));
    }

    void callbacksRunLaterAndNotForADeletedContext() {
        makeServer();
        server_->route("GET", "/api/v1/health", [](const HttpRequest&) {
            return HttpResponse::json(200, fixture("health.json"));
        });
        startServer();
        ApiClient client(clientOptions());
        int delivered = 0;
        auto context = std::make_unique<QObject>();
        client.call<Health>(api::health(), context.get(), [&](ApiResult<Health>) { ++delivered; });
        context.reset();
        bool kept = false;
        QObject keeper;
        client.call<Health>(api::health(), &keeper,
                            [&](ApiResult<Health> health) { kept = health.ok(); });
        QCOMPARE(delivered, 0);  // never inside call()
        QTRY_VERIFY_WITH_TIMEOUT(kept, kWaitMs);
        QCOMPARE(delivered, 0);
    }

    void streamsTheBackupIntoAFile() {
        makeServer();
        QByteArray database(3 * 1024 * 1024, '\0');
        for (qsizetype i = 0; i < database.size(); ++i) {
            database[i] = static_cast<char>((i * 7919) % 251);
        }
        server_->route("GET", "/api/v1/backup", [&](const HttpRequest&) {
            return HttpResponse::bytes(200, database, "application/vnd.sqlite3");
        });
        startServer();
        ApiClient client(clientOptions());
        const QString path = dir_.filePath("copy.db");
        auto written = client.downloadBackupSync(path);
        QVERIFY2(written.ok(), written.ok() ? "" : qPrintable(written.error().message));
        QCOMPARE(*written, database.size());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), database);
    }

    void aFailedBackupLeavesNoFile_data() {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("contentType");
        QTest::newRow("forbidden") << 403 << QByteArray();
        QTest::newRow("not a database") << 200 << QByteArray("text/html");
    }
    void aFailedBackupLeavesNoFile() {
        QFETCH(int, status);
        QFETCH(QByteArray, contentType);
        makeServer();
        server_->route("GET", "/api/v1/backup", [&](const HttpRequest&) {
            return status == 403 ? errors::forbidden("admin only")
                                 : HttpResponse::bytes(200, "<html/>", contentType);
        });
        startServer();
        ApiClient client(clientOptions());
        const QString path = dir_.filePath(QStringLiteral("failed-%1.db").arg(status));
        auto written = client.downloadBackupSync(path);
        QVERIFY(!written.ok());
        QVERIFY(!QFile::exists(path));
        QCOMPARE(QDir(dir_.path()).entryList({"failed-*"}, QDir::Files), QStringList());
    }

    void theFollowerPassesNextAsTheFollowingSince() {
        makeServer();
        QStringList sinces;
        server_->routeDeferred(
            "GET", "/api/v1/events", [&](const HttpRequest& request, Responder responder) {
                sinces.append(request.queryItem("since") + "/" + request.queryItem("wait"));
                const qint64 since = request.queryItem("since").toLongLong();
                nlohmann::json events = nlohmann::json::array();
                if (since < 3) {
                    events.push_back({{"id", since + 1},
                                      {"time", "2026-11-26T05:17:32.123Z"},
                                      {"kind", "release"},
                                      {"cluster", "crm"},
                                      {"node", "crm-passive"},
                                      {"details", nlohmann::json::object()}});
                    responder.send(
                        HttpResponse::json(200, {{"events", events}, {"next", since + 1}}));
                } else {
                    // Nothing newer: answer empty after a moment, as a long-poll that ran out.
                    QTimer::singleShot(50ms, [responder, since] {
                        responder.send(HttpResponse::json(
                            200, {{"events", nlohmann::json::array()}, {"next", since}}));
                    });
                }
            });
        startServer();
        ApiClient client(clientOptions());
        EventQuery query;
        query.since = 0;
        query.wait_s = 5;
        EventFollower follower(&client, query);
        QList<qint64> ids;
        follower.on_events = [&](const EventPage& page) {
            for (const Event& event : page.events) {
                ids.append(event.id);
            }
        };
        follower.start();
        QTRY_VERIFY_WITH_TIMEOUT(sinces.size() >= 5, kWaitMs);
        follower.stop();
        QCOMPARE(ids, (QList<qint64>{1, 2, 3}));
        QCOMPARE(sinces.mid(0, 5), (QStringList{"0/5", "1/5", "2/5", "3/5", "3/5"}));
        QCOMPARE(follower.next(), 3);
    }

    void theFollowerStopsOnAnErrorThatRetryingCannotFix() {
        makeServer();
        server_->route("GET", "/api/v1/events",
                       [](const HttpRequest&) { return errors::unauthorized(); });
        startServer();
        ApiClient client(clientOptions());
        EventFollower follower(&client, EventQuery{});
        QString code;
        follower.on_error = [&](const ApiError& error) { code = error.code; };
        follower.start();
        QTRY_COMPARE_WITH_TIMEOUT(code, QStringLiteral("unauthorized"), kWaitMs);
        QVERIFY(!follower.isRunning());
    }

    void tlsNeedsTheServicesCaOrInsecure() {
        QProcess openssl;
        openssl.start(
            "openssl",
            {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", dir_.filePath("key.pem"), "-out", dir_.filePath("cert.pem")});
        QVERIFY(openssl.waitForFinished(kWaitMs));
        QVERIFY2(openssl.exitCode() == 0, openssl.readAllStandardError().constData());
        HttpServerOptions options;
        options.tls_certificate = dir_.filePath("cert.pem");
        options.tls_key = dir_.filePath("key.pem");
        makeServer(options);
        server_->route("GET", "/api/v1/health", [](const HttpRequest&) {
            return HttpResponse::json(200, fixture("health.json"));
        });
        startServer();
        QVERIFY(server_->isTls());

        ApiClient untrusting(clientOptions());
        auto refused = untrusting.callSync(api::health());
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().code, QString::fromLatin1(kTlsFailed));

        ClientOptions with_ca = clientOptions();
        with_ca.ca_file = dir_.filePath("cert.pem");
        ApiClient trusting(with_ca);
        auto health = trusting.callSync(api::health());
        QVERIFY2(health.ok(), health.ok() ? "" : qPrintable(health.error().message));

        ClientOptions insecure = clientOptions();
        insecure.insecure = true;
        ApiClient careless(insecure);
        QVERIFY(careless.callSync(api::health()).ok());
    }
};

QTEST_GUILESS_MAIN(TestApiClientTransport)
#include "test_api_client_transport.moc"

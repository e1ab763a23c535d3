// ApiService's handlers in-process: a real ApplianceCore on libvirt's test driver, a real SQLite
// file and the real HTTP server on a free loopback port, asked by a client on another thread
// (the server answers from this thread's event loop). The e2e tests do the same through an
// understudyd process; these reach the handlers' preamble and error mapping directly.
#include <QTemporaryDir>
#include <QtTest>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "appliance/api/api_service.h"
#include "appliance/api/openapi.h"
#include "appliance/core/appliance_core.h"
#include "appliance/http/http_server.h"
#include "appliance/hypervisor/libvirt_hypervisor.h"
#include "tests/appliance/core/core_fixture.h"
#include "tests/e2e/raw_http.h"
#include "tests/support/libvirt_test_main.h"
#include "tests/support/result_checks.h"

using namespace understudy;
using namespace understudy::core::testing;
using nlohmann::json;

namespace {

const QByteArray kAdminToken = "admin-token-for-the-in-process-tests";

struct Answer {
    int status = 0;
    json body;
};

QByteArray request(const QByteArray& method, const QByteArray& target, const QByteArray& token,
                   const QByteArray& body = {}) {
    QByteArray made = method + " /api/v1" + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!token.isEmpty()) {
        made += "Authorization: Bearer " + token + "\r\n";
    }
    if (!body.isEmpty()) {
        made +=
            "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
            "\r\n";
    }
    return made + "\r\n" + body;
}

}  // namespace

class TestApiService : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void everyRouteServedIsInTheOpenApiDocument();
    void adminRoutesRefuseAMissingTokenAndAClusterToken();
    void aClusterTokenReachesOnlyItsOwnNode();
    void aBodyThatDoesNotDecodeChangesNothing_data();
    void aBodyThatDoesNotDecodeChangesNothing();
    void aGroupIsCreatedListedAndChanged();
    void aChangeNamingAMissingGroupIsRefusedBeforeTheCore();
    void aTakeoverAnswersTheGrantAndAReleaseTheNode();
    void aTakeoverWithABodyIsRefused();
    void missingThingsAreNotFound_data();
    void missingThingsAreNotFound();
    void aReachableApplianceIsNeitherLostNorRejoined();
    void eventsNameWhoAskedFromWhereAndNeverAToken();

private:
    // (Re)starts the HTTP server and the API on `address`, over the same core.
    void serveOn(const QHostAddress& address);
    Answer ask(const QByteArray& method, const QByteArray& target,
               const QByteArray& token = kAdminToken, const QByteArray& body = {});
    // Registers a cluster through the API and answers its token.
    QByteArray registerCluster(const std::string& name, int priority);

    std::unique_ptr<QTemporaryDir> dir_;
    std::unique_ptr<core::ApplianceCore> core_;
    std::unique_ptr<http::HttpServer> server_;
    std::unique_ptr<api::ApiService> service_;
};

void TestApiService::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
    core::CoreConfig config;
    config.appliances = {applianceConfig("pna-1", writeHost(*dir_, "host", 16, 65536))};
    auto opened = core::ApplianceCore::open(
        config, dir_->filePath(QStringLiteral("api.db")).toStdString(), defaultTemplate());
    QVERIFY_OK(opened);
    core_ = std::move(*opened);
    serveOn(QHostAddress::LocalHost);
}

void TestApiService::serveOn(const QHostAddress& address) {
    service_.reset();
    server_.reset();
    http::HttpServerOptions options;
    options.address = address;
    options.port = 0;
    server_ = std::make_unique<http::HttpServer>(options);
    service_ = std::make_unique<api::ApiService>(
        *core_, *server_, api::ApiService::Options{kAdminToken.toStdString(), "test", 60});
    Status open = service_->open();
    QVERIFY_OK(open);
    Status listening = server_->listen();
    QVERIFY_OK(listening);
}

void TestApiService::cleanup() {
    service_.reset();
    server_.reset();
    core_.reset();
    dir_.reset();
}

Answer TestApiService::ask(const QByteArray& method, const QByteArray& target,
                           const QByteArray& token, const QByteArray& body) {
    const quint16 port = server_->port();
    const QByteArray bytes = request(method, target, token, body);
    auto answered =
        std::async(std::launch::async, [port, bytes] { return e2e::rawRequest(port, bytes); });
    const bool done = QTest::qWaitFor(
        [&] { return answered.wait_for(std::chrono::seconds(0)) == std::future_status::ready; },
        30000);
    if (!done) {
        qWarning("no answer to %s %s", method.constData(), target.constData());
    }
    const e2e::RawAnswer raw = answered.get();
    Answer made;
    made.status = raw.status;
    made.body = raw.body.isEmpty() ? json() : json::parse(raw.body.toStdString(), nullptr, false);
    return made;
}

QByteArray TestApiService::registerCluster(const std::string& name, int priority) {
    json body = {{"name", name},
                 {"priority", priority},
                 {"mtbf_hours", 8760},
                 {"mttr_hours", 24},
                 {"standby", {{"vcpus", 1}, {"memory_mib", 1024}}},
                 {"active", {{"vcpus", 2}, {"memory_mib", 4096}}}};
    const Answer made =
        ask("POST", "/clusters", kAdminToken, QByteArray::fromStdString(body.dump()));
    if (made.status != 201 || !made.body.contains("token")) {
        qWarning("registering %s: %d %s", name.c_str(), made.status, made.body.dump().c_str());
        return {};
    }
    return QByteArray::fromStdString(made.body["token"].get<std::string>());
}

void TestApiService::everyRouteServedIsInTheOpenApiDocument() {
    const json document = api::openApiDocument("test");
    QVERIFY(!service_->routes().empty());
    for (const api::RouteInfo& route : service_->routes()) {
        const std::string path = route.pattern.toStdString();
        const std::string method = route.method.toLower().toStdString();
        QVERIFY2(document["paths"].contains(path), path.c_str());
        QVERIFY2(document["paths"][path].contains(method), (method + " " + path).c_str());
    }
}

void TestApiService::adminRoutesRefuseAMissingTokenAndAClusterToken() {
    const QByteArray token = registerCluster("erp", 900);
    QVERIFY(!token.isEmpty());
    for (const QByteArray& target :
         {QByteArray("/groups"), QByteArray("/appliances"), QByteArray("/appliances/pna-1/history"),
          QByteArray("/events"), QByteArray("/sizing")}) {
        QCOMPARE(ask("GET", target, {}).status, 401);
        const Answer refused = ask("GET", target, token);
        QCOMPARE(refused.status, 403);
        QCOMPARE(refused.body["error"], json("forbidden"));
        QCOMPARE(ask("GET", target).status, 200);
    }
    QCOMPARE(ask("GET", "/groups", "not-a-token-of-anyone").status, 401);
}

void TestApiService::aClusterTokenReachesOnlyItsOwnNode() {
    const QByteArray erp = registerCluster("erp", 900);
    const QByteArray crm = registerCluster("crm", 500);
    QVERIFY(!erp.isEmpty() && !crm.isEmpty());
    QCOMPARE(ask("GET", "/nodes/erp-passive", erp).status, 200);
    QCOMPARE(ask("GET", "/nodes/crm-passive", erp).status, 403);
    QCOMPARE(ask("GET", "/nodes/no-such-node", erp).status, 403);
    QCOMPARE(ask("POST", "/nodes/crm-passive/takeover", erp).status, 403);
    const Answer listed = ask("GET", "/nodes", erp);
    QCOMPARE(listed.status, 200);
    QCOMPARE(listed.body["nodes"].size(), std::size_t(1));
    QCOMPARE(listed.body["nodes"][0]["name"], json("erp-passive"));
}

void TestApiService::aBodyThatDoesNotDecodeChangesNothing_data() {
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    QTest::addColumn<QString>("field");
    QTest::newRow("not JSON") << QByteArray("/groups") << QByteArray("{\"name\": ")
                              << "malformed_json"
                              << "";
    QTest::newRow("a group without mttr_hours")
        << QByteArray("/groups") << QByteArray(R"({"name": "rack-a", "mtbf_hours": 43800})")
        << "invalid_field"
        << "mttr_hours";
    QTest::newRow("a cluster with a string priority")
        << QByteArray("/clusters")
        << QByteArray(R"({"name": "web", "priority": "high", "mtbf_hours": 1, "mttr_hours": 1,
                          "standby": {"vcpus": 1, "memory_mib": 512},
                          "active": {"vcpus": 1, "memory_mib": 512}})")
        << "invalid_field"
        << "priority";
    QTest::newRow("a loss not confirmed")
        << QByteArray("/appliances/pna-1/lost") << QByteArray(R"({"confirmed_down": false})")
        << "invalid_field"
        << "confirmed_down";
    QTest::newRow("a loss with another key")
        << QByteArray("/appliances/pna-1/lost")
        << QByteArray(R"({"confirmed_down": true, "force": true})") << "invalid_field"
        << "force";
    QTest::newRow("a what-if failing an unknown cluster")
        << QByteArray("/sizing/what-if") << QByteArray(R"({"fail": ["nobody"]})") << "invalid_field"
        << "fail[0]";
}

void TestApiService::aBodyThatDoesNotDecodeChangesNothing() {
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    QFETCH(QString, field);
    const Answer refused = ask("POST", target, kAdminToken, body);
    QCOMPARE(refused.status, 400);
    QCOMPARE(QString::fromStdString(refused.body["error"].get<std::string>()), error);
    if (!field.isEmpty()) {
        QCOMPARE(QString::fromStdString(refused.body["field"].get<std::string>()), field);
    }
    QCOMPARE(ask("GET", "/groups").body["groups"].size(), std::size_t(0));
    QCOMPARE(ask("GET", "/clusters").body["clusters"].size(), std::size_t(0));
}

void TestApiService::aGroupIsCreatedListedAndChanged() {
    const Answer created = ask("POST", "/groups", kAdminToken,
                               R"({"name": "rack-a", "mtbf_hours": 43800, "mttr_hours": 6})");
    QCOMPARE(created.status, 201);
    QCOMPARE(created.body["name"], json("rack-a"));
    QCOMPARE(ask("POST", "/groups", kAdminToken,
                 R"({"name": "rack-a", "mtbf_hours": 43800, "mttr_hours": 6})")
                 .status,
             409);
    const Answer changed = ask("PATCH", "/groups/rack-a", kAdminToken, R"({"mttr_hours": 3})");
    QCOMPARE(changed.status, 200);
    QCOMPARE(changed.body["mttr_hours"], json(3.0));
    const Answer listed = ask("GET", "/groups/rack-a");
    QCOMPARE(listed.status, 200);
    QCOMPARE(listed.body["mttr_hours"], json(3.0));
}

void TestApiService::aChangeNamingAMissingGroupIsRefusedBeforeTheCore() {
    QVERIFY(!registerCluster("erp", 900).isEmpty());
    const Answer refused = ask("PATCH", "/clusters/erp", kAdminToken, R"({"group": "rack-z"})");
    QCOMPARE(refused.status, 400);
    QCOMPARE(refused.body["error"], json("invalid_field"));
    QCOMPARE(refused.body["field"], json("group"));
    QCOMPARE(ask("GET", "/clusters/erp").body["group"], json(nullptr));
}

void TestApiService::aTakeoverAnswersTheGrantAndAReleaseTheNode() {
    const QByteArray token = registerCluster("erp", 900);
    QVERIFY(!token.isEmpty());
    const Answer granted = ask("POST", "/nodes/erp-passive/takeover", token);
    QCOMPARE(granted.status, 200);
    QCOMPARE(granted.body["grant"]["memory_mib"], json(4096));
    QCOMPARE(granted.body["grant"]["vcpus"], json(2));
    QCOMPARE(ask("GET", "/nodes/erp-passive", token).body["state"], json("active"));
    const Answer released = ask("POST", "/nodes/erp-passive/release", token, "{}");
    QCOMPARE(released.status, 200);
    QCOMPARE(released.body["node"], json("erp-passive"));
    QCOMPARE(ask("GET", "/nodes/erp-passive", token).body["state"], json("standby"));
}

void TestApiService::aTakeoverWithABodyIsRefused() {
    const QByteArray token = registerCluster("erp", 900);
    QVERIFY(!token.isEmpty());
    const Answer refused = ask("POST", "/nodes/erp-passive/takeover", token, R"({"now": true})");
    QCOMPARE(refused.status, 400);
    QCOMPARE(ask("GET", "/nodes/erp-passive", token).body["state"], json("standby"));
}

void TestApiService::missingThingsAreNotFound_data() {
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("appliance") << QByteArray("GET") << QByteArray("/appliances/pna-9")
                               << QByteArray();
    QTest::newRow("group") << QByteArray("GET") << QByteArray("/groups/rack-z") << QByteArray();
    QTest::newRow("cluster") << QByteArray("GET") << QByteArray("/clusters/nobody") << QByteArray();
    QTest::newRow("cluster stats")
        << QByteArray("GET") << QByteArray("/clusters/nobody/stats") << QByteArray();
    QTest::newRow("node takeover")
        << QByteArray("POST") << QByteArray("/nodes/nobody-passive/takeover") << QByteArray();
    QTest::newRow("node power") << QByteArray("POST") << QByteArray("/nodes/nobody-passive/power")
                                << QByteArray(R"({"action": "status"})");
    QTest::newRow("route") << QByteArray("GET") << QByteArray("/no-such-route") << QByteArray();
    QTest::newRow("appliance lost") << QByteArray("POST") << QByteArray("/appliances/pna-9/lost")
                                    << QByteArray(R"({"confirmed_down": true})");
    QTest::newRow("appliance rejoin")
        << QByteArray("POST") << QByteArray("/appliances/pna-9/rejoin") << QByteArray();
}

void TestApiService::aReachableApplianceIsNeitherLostNorRejoined() {
    const Answer listed = ask("GET", "/appliances/pna-1");
    QCOMPARE(listed.status, 200);
    QCOMPARE(listed.body["state"], json("connected"));
    const Answer health = ask("GET", "/health", {});
    QCOMPARE(health.body["appliances"][0]["state"], json("connected"));
    const Answer lost =
        ask("POST", "/appliances/pna-1/lost", kAdminToken, R"({"confirmed_down": true})");
    QCOMPARE(lost.status, 409);
    QCOMPARE(lost.body["error"], json("conflict"));
    const Answer rejoin = ask("POST", "/appliances/pna-1/rejoin");
    QCOMPARE(rejoin.status, 409);
    QCOMPARE(rejoin.body["error"], json("conflict"));
    QCOMPARE(ask("GET", "/appliances/pna-1").body["state"], json("connected"));
    const QByteArray erp = registerCluster("erp", 900);
    QCOMPARE(ask("POST", "/appliances/pna-1/lost", erp, R"({"confirmed_down": true})").status, 403);
}

void TestApiService::missingThingsAreNotFound() {
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, body);
    const Answer missing = ask(method, target, kAdminToken, body);
    QCOMPARE(missing.status, 404);
    QCOMPARE(missing.body["error"], json("not_found"));
}

void TestApiService::eventsNameWhoAskedFromWhereAndNeverAToken() {
    // The dual-stack any-address, where IPv4 clients come as ::ffff:a.b.c.d.
    serveOn(QHostAddress::Any);
    const QByteArray erp = registerCluster("erp", 900);
    QVERIFY(!erp.isEmpty());
    QCOMPARE(ask("POST", "/nodes/erp-passive/takeover", erp).status, 200);
    QCOMPARE(ask("POST", "/nodes/erp-passive/release", erp).status, 200);
    QCOMPARE(ask("POST", "/nodes/erp-passive/power", kAdminToken, R"({"action": "off"})").status,
             200);
    // Behind the service's back: what the reconciliation finds is the service's own doing.
    QVERIFY(!registerCluster("crm", 500).isEmpty());
    const std::string domain = ask("GET", "/nodes/crm-passive").body["domain"].get<std::string>();
    hypervisor::LibvirtHypervisor* host = core_->hypervisorForTest("pna-1");
    QVERIFY(host);
    QVERIFY_OK(host->destroy(domain));
    QVERIFY_OK(host->undefineDomain(domain));
    QVERIFY_OK(core_->reconcile().result());

    const Answer listed = ask("GET", "/events?limit=1000");
    QCOMPARE(listed.status, 200);
    std::map<std::string, std::string> actors;
    for (const json& event : listed.body["events"]) {
        QVERIFY2(event.contains("actor") && event["actor"].is_string(), event.dump().c_str());
        const std::string actor = event["actor"].get<std::string>();
        QVERIFY2(actor.find(kAdminToken.toStdString()) == std::string::npos &&
                     actor.find(erp.toStdString()) == std::string::npos,
                 actor.c_str());
        std::string kind = event["kind"].get<std::string>();
        if (kind.starts_with("node.") && event["node"] == json("crm-passive")) {
            kind = "node.* of crm-passive";
        }
        actors[kind] = actor;
    }
    const std::map<std::string, std::string> expected{
        {"node.* of crm-passive", "service"},
        {"cluster.registered", "admin@127.0.0.1"},
        {"admission.accepted", "admin@127.0.0.1"},
        {"takeover.requested", "cluster:erp@127.0.0.1"},
        {"takeover.granted", "cluster:erp@127.0.0.1"},
        {"release", "cluster:erp@127.0.0.1"},
        {"fence.off", "admin@127.0.0.1"}};
    for (const auto& [kind, actor] : expected) {
        QVERIFY2(actors.count(kind) == 1, (kind + " is not among " + listed.body.dump()).c_str());
        QCOMPARE(QString::fromStdString(actors.at(kind)), QString::fromStdString(actor));
    }
}

QTEST_MAIN_WITHOUT_GLIB(TestApiService)

#include "test_api_service.moc"

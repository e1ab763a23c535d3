// understudyd end to end, happy paths and the contract's JSON: a real daemon in demo mode on a
// free loopback port, spoken to over HTTP.
#include <QRegularExpression>
#include <QSet>
#include <QTest>

#include <map>
#include <regex>
#include <string>

#include "tests/e2e/service_process.h"

using namespace understudy::e2e;

class ApiEndToEnd : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::unique_ptr<ServiceProcess> service_;

    ServiceProcess& s() { return *service_; }
    QByteArray registerCluster(const QString& name, const QByteArray& extra = {}) {
        const Reply reply = s().post(
            QStringLiteral("/api/v1/clusters"),
            QStringLiteral("{\"name\": \"%1\", \"priority\": 100, \"mtbf_hours\": 8760, "
                           "\"mttr_hours\": 1, \"standby\": {\"vcpus\": 1, \"memory_mib\": 512}, "
                           "\"active\": {\"vcpus\": 2, \"memory_mib\": 1024}%2}")
                .arg(name, QString::fromUtf8(extra))
                .toUtf8());
        if (reply.status != 201) {
            qWarning() << reply.status << reply.body;
            return {};
        }
        return QByteArray::fromStdString(reply.document()["token"].get<std::string>());
    }
    std::int64_t lastEventId() {
        json page = s().getJson(QStringLiteral("/api/v1/events?since=0&limit=1000"));
        std::int64_t next = page["next"].get<std::int64_t>();
        while (!page["events"].empty()) {
            page = s().getJson(QStringLiteral("/api/v1/events?limit=1000&since=%1").arg(next));
            next = page["next"].get<std::int64_t>();
        }
        return next;
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        service_ = std::make_unique<ServiceProcess>(dir_.filePath(QStringLiteral("demo.db")));
        QVERIFY2(s().start(), s().output().constData());
    }
    void cleanupTestCase() {
        JCOMPARE(s().terminate(), 0);
        QVERIFY(s().output().contains("stopped"));
    }

    void healthAnswersAnyoneAndTheFullCheckNeedsTheAdmin() {
        const Reply open = s().get(QStringLiteral("/api/v1/health"), {});
        JCOMPARE(open.status, 200);
        const json health = open.document();
        JCOMPARE(health["status"], "ok");
        JCOMPARE(health["database"], "ok");
        JCOMPARE(health["appliances"][0]["name"], "demo");
        JCOMPARE(health["appliances"][0]["connected"], true);
        QVERIFY(health["version"].is_string());
        JCOMPARE(s().get(QStringLiteral("/api/v1/health?check=full"), {}).status, 401);
        const json full = s().getJson(QStringLiteral("/api/v1/health?check=full"));
        JCOMPARE(full["quick_check"]["ok"], true);
    }

    void theDemoApplianceIsOverbookedWithinItsRiskTarget() {
        const Reply reply = s().get(QStringLiteral("/api/v1/appliances"));
        JCOMPARE(reply.status, 200);
        QVERIFY(reply.content_type.startsWith("application/json"));
        const json appliance = reply.document()["appliances"][0];
        JCOMPARE(appliance["name"], "demo");
        const json memory = appliance["resources"]["memory_mib"];
        JCOMPARE(memory["capacity"], 262144);
        JCOMPARE(appliance["resources"]["vcpus"]["capacity"], 64);
        for (const char* resource : {"memory_mib", "vcpus"}) {
            const json r = appliance["resources"][resource];
            QVERIFY(r["overbooking_ratio"].get<double>() > 1.0);
            QVERIFY(r["overflow_risk"].get<double>() <= 1e-4);
            JCOMPARE(r["free"].get<std::int64_t>(), r["capacity"].get<std::int64_t>() -
                                                        r["foreign"].get<std::int64_t>() -
                                                        r["standby_committed"].get<std::int64_t>() -
                                                        r["granted"].get<std::int64_t>());
        }
        JCOMPARE(s().getJson(QStringLiteral("/api/v1/appliances/demo"))["name"], "demo");
        JCOMPARE(s().get(QStringLiteral("/api/v1/appliances/nope")).status, 404);
    }

    void theSampleFleetHasTenClustersAGroupAndAReservedNode() {
        const json clusters = s().getJson(QStringLiteral("/api/v1/clusters"))["clusters"];
        QVERIFY(clusters.size() >= 10);
        int reserved = 0;
        int grouped = 0;
        for (const json& cluster : clusters) {
            reserved += cluster["memory_mode"] == "reserved" ? 1 : 0;
            grouped += cluster["group"].is_string() ? 1 : 0;
            QVERIFY(!cluster.contains("token"));
            JCOMPARE(cluster["appliance"], "demo");
        }
        JCOMPARE(reserved, 1);
        QVERIFY(grouped >= 2);
        const json groups = s().getJson(QStringLiteral("/api/v1/groups"))["groups"];
        JCOMPARE(groups[0]["name"], "rack-a");
        JCOMPARE(groups[0]["members"].size(), 2u);
        const json node = s().getJson(QStringLiteral("/api/v1/nodes/erp-passive"));
        JCOMPARE(node["state"], "standby");
        JCOMPARE(node["current"], node["standby"]);
        QVERIFY(node["grant"].is_null());
        JCOMPARE(s().getJson(QStringLiteral("/api/v1/nodes"))["nodes"].size(), clusters.size());
    }

    void aClusterTokenActsOnItsOwnClusterAndNodeOnly() {
        const QByteArray token = registerCluster(QStringLiteral("alpha"));
        QVERIFY(!token.isEmpty());
        JCOMPARE(s().get(QStringLiteral("/api/v1/clusters/alpha"), token).status, 200);
        JCOMPARE(s().get(QStringLiteral("/api/v1/clusters/alpha/stats"), token).status, 200);
        JCOMPARE(s().get(QStringLiteral("/api/v1/nodes/alpha-passive"), token).status, 200);
        JCOMPARE(s().get(QStringLiteral("/api/v1/nodes/alpha-passive/readiness"), token).status,
                 200);
        JCOMPARE(s().get(QStringLiteral("/api/v1/health"), token).status, 200);
        const json own = s().getJson(QStringLiteral("/api/v1/clusters"), token)["clusters"];
        JCOMPARE(own.size(), 1u);
        JCOMPARE(own[0]["name"], "alpha");
        // Not its own: 403, whether it exists or not.
        JCOMPARE(s().get(QStringLiteral("/api/v1/clusters/erp"), token).status, 403);
        JCOMPARE(s().get(QStringLiteral("/api/v1/nodes/erp-passive"), token).status, 403);
        JCOMPARE(s().post(QStringLiteral("/api/v1/nodes/erp-passive/takeover"), "", token).status,
                 403);
        JCOMPARE(s().get(QStringLiteral("/api/v1/appliances"), token).status, 403);
        JCOMPARE(s().get(QStringLiteral("/api/v1/events"), token).status, 403);
        JCOMPARE(s().post(QStringLiteral("/api/v1/clusters/alpha/token"), "", token).status, 403);

        const Reply takeover =
            s().post(QStringLiteral("/api/v1/nodes/alpha-passive/takeover"), "", token);
        JCOMPARE(takeover.status, 200);
        JCOMPARE(takeover.document()["node"], "alpha-passive");
        JCOMPARE(takeover.document()["grant"]["memory_mib"], 1024);
        JCOMPARE(takeover.document()["grant"]["vcpus"], 2);
        JCOMPARE(takeover.document()["grant"]["partial"], false);
        const json active = s().getJson(QStringLiteral("/api/v1/nodes/alpha-passive"), token);
        JCOMPARE(active["state"], "active");
        JCOMPARE(active["current"], active["active"]);
        JCOMPARE(active["grant"]["memory_mib"], 1024);
        // Idempotent: an active node answers with its grant.
        JCOMPARE(s().post(QStringLiteral("/api/v1/nodes/alpha-passive/takeover"), "", token)
                     .document()["grant"]["memory_mib"],
                 1024);
        JCOMPARE(s().post(QStringLiteral("/api/v1/nodes/alpha-passive/release"), "", token).status,
                 200);
        JCOMPARE(s().getJson(QStringLiteral("/api/v1/nodes/alpha-passive"))["state"], "standby");
        JCOMPARE(s().post(QStringLiteral("/api/v1/nodes/alpha-passive/release"), "", token).status,
                 200);
        const Reply power = s().post(QStringLiteral("/api/v1/nodes/alpha-passive/power"),
                                     R"({"action": "status"})", token);
        JCOMPARE(power.status, 200);
        JCOMPARE(power.document()["power"], "on");
        const json stats = s().getJson(QStringLiteral("/api/v1/clusters/alpha/stats"), token);
        JCOMPARE(stats["failovers"], 1);
        QVERIFY(stats["last_failover"].is_string());
        QVERIFY(stats["last_probe"].is_null());

        // Rotation: the old token stops at once, the new one works.
        const Reply rotated = s().post(QStringLiteral("/api/v1/clusters/alpha/token"));
        JCOMPARE(rotated.status, 200);
        const QByteArray fresh =
            QByteArray::fromStdString(rotated.document()["token"].get<std::string>());
        JCOMPARE(s().get(QStringLiteral("/api/v1/clusters/alpha"), token).status, 401);
        JCOMPARE(s().get(QStringLiteral("/api/v1/clusters/alpha"), fresh).status, 200);
        JCOMPARE(s().get(QStringLiteral("/api/v1/clusters/alpha"), {}).status, 401);
    }

    void powerOffFencesTheNodeAndATakeoverOfItIsAConflict() {
        JCOMPARE(registerCluster(QStringLiteral("beta")).isEmpty(), false);
        const Reply off =
            s().post(QStringLiteral("/api/v1/nodes/beta-passive/power"), R"({"action": "off"})");
        JCOMPARE(off.status, 200);
        JCOMPARE(off.document()["power"], "off");
        const std::string state =
            s().getJson(QStringLiteral("/api/v1/nodes/beta-passive"))["state"].get<std::string>();
        const Reply takeover = s().post(QStringLiteral("/api/v1/nodes/beta-passive/takeover"));
        JCOMPARE(takeover.status, 409);
        JCOMPARE(takeover.error(), "conflict");
        JCOMPARE(takeover.document()["state"].get<std::string>(), state);
        const Reply on =
            s().post(QStringLiteral("/api/v1/nodes/beta-passive/power"), R"({"action": "on"})");
        JCOMPARE(on.document()["power"], "on");
        JCOMPARE(s().getJson(QStringLiteral("/api/v1/nodes/beta-passive"))["state"], "standby");
    }

    void aTakeoverBeyondCapacityIsDeniedWithTheReason() {
        const QStringList granted{QStringLiteral("billing"), QStringLiteral("erp"),
                                  QStringLiteral("crm"), QStringLiteral("web")};
        for (const QString& cluster : granted) {
            JCOMPARE(
                s().post(QStringLiteral("/api/v1/nodes/%1-passive/takeover").arg(cluster)).status,
                200);
        }
        const json readiness = s().getJson(QStringLiteral("/api/v1/nodes/dwh-passive/readiness"));
        JCOMPARE(readiness["ready"], false);
        const Reply denied = s().post(QStringLiteral("/api/v1/nodes/dwh-passive/takeover"));
        JCOMPARE(denied.status, 409);
        JCOMPARE(denied.error(), "takeover_denied");
        const json denial = denied.document()["denial"];
        JCOMPARE(denial["resource"], "memory_mib");
        JCOMPARE(denial["needed"], 98304 - 8192);
        QVERIFY(denial["free"].get<std::int64_t>() < denial["needed"].get<std::int64_t>());
        QVERIFY(!denial["holders"].empty());
        JCOMPARE(denial["holders"][0]["node"], "erp-passive");
        QVERIFY(denial["tried"].is_array());
        JCOMPARE(s().getJson(QStringLiteral("/api/v1/nodes/dwh-passive"))["state"], "standby");
        const json kinds = s().getJson(
            QStringLiteral("/api/v1/events?kind=takeover.denied&node=dwh-passive"))["events"];
        JCOMPARE(kinds.size(), 1u);
        for (const QString& cluster : granted) {
            JCOMPARE(
                s().post(QStringLiteral("/api/v1/nodes/%1-passive/release").arg(cluster)).status,
                200);
        }
    }

    void groupsAreCreatedChangedAndDeleted() {
        const Reply created =
            s().post(QStringLiteral("/api/v1/groups"),
                     R"({"name": "feed-b", "mtbf_hours": 20000, "mttr_hours": 2})");
        JCOMPARE(created.status, 201);
        JCOMPARE(created.document()["members"].size(), 0u);
        JCOMPARE(s().post(QStringLiteral("/api/v1/groups"),
                          R"({"name": "feed-b", "mtbf_hours": 20000, "mttr_hours": 2})")
                     .error(),
                 "conflict");
        const Reply changed =
            s().request("PATCH", QStringLiteral("/api/v1/groups/feed-b"), R"({"mttr_hours": 1})");
        JCOMPARE(changed.status, 200);
        JCOMPARE(changed.document()["mttr_hours"], 1.0);
        JCOMPARE(s().getJson(QStringLiteral("/api/v1/groups/feed-b"))["mttr_hours"], 1.0);
        JCOMPARE(s().request("DELETE", QStringLiteral("/api/v1/groups/rack-a")).error(),
                 "conflict");
        JCOMPARE(s().request("DELETE", QStringLiteral("/api/v1/groups/feed-b")).status, 204);
        JCOMPARE(s().get(QStringLiteral("/api/v1/groups/feed-b")).status, 404);
    }

    void clustersAreChangedAndRemovedButNotWhileActive() {
        JCOMPARE(registerCluster(QStringLiteral("gamma")).isEmpty(), false);
        const Reply changed = s().request("PATCH", QStringLiteral("/api/v1/clusters/gamma"),
                                          R"({"priority": 700, "group": "rack-a"})");
        JCOMPARE(changed.status, 200);
        JCOMPARE(changed.document()["priority"], 700);
        JCOMPARE(changed.document()["group"], "rack-a");
        JCOMPARE(s().post(QStringLiteral("/api/v1/nodes/gamma-passive/takeover")).status, 200);
        const Reply busy = s().request("DELETE", QStringLiteral("/api/v1/clusters/gamma"));
        JCOMPARE(busy.status, 409);
        JCOMPARE(busy.error(), "conflict");
        JCOMPARE(s().post(QStringLiteral("/api/v1/nodes/gamma-passive/release")).status, 200);
        JCOMPARE(s().request("DELETE", QStringLiteral("/api/v1/clusters/gamma")).status, 204);
        JCOMPARE(s().get(QStringLiteral("/api/v1/clusters/gamma")).status, 404);
        JCOMPARE(s().get(QStringLiteral("/api/v1/nodes/gamma-passive")).status, 404);
    }

    void aFleetIsRegisteredAllOrNothingWithTokensAndWarnings() {
        const Reply reply = s().post(QStringLiteral("/api/v1/clusters"),
                                     R"({"target_risk": 0.01, "tolerate_k": 2,
                "groups": [{"name": "site-c", "mtbf_hours": 90000, "mttr_hours": 4}],
                "clusters": [
                 {"name": "f1", "mtbf_hours": 8760, "mttr_hours": 2, "group": "site-c",
                  "standby": {"vcpus": 1, "memory_mib": 256}, "active": {"vcpus": 1, "memory_mib": 512}},
                 {"name": "f2", "mtbf_hours": 8760, "mttr_hours": 2, "node": "f2-standby",
                  "standby": {"vcpus": 1, "memory_mib": 256}, "active": {"vcpus": 1, "memory_mib": 512}}]})");
        JCOMPARE(reply.status, 201);
        const json made = reply.document();
        JCOMPARE(made["clusters"].size(), 2u);
        QVERIFY(made["clusters"][0]["token"].is_string());
        QVERIFY(made["clusters"][0]["token"] != made["clusters"][1]["token"]);
        JCOMPARE(made["clusters"][1]["node"], "f2-standby");
        JCOMPARE(made["warnings"].size(), 2u);
        JCOMPARE(s().getJson(QStringLiteral("/api/v1/groups/site-c"))["members"].size(), 1u);
    }

    void eventsPageFilterAndLongPoll() {
        const json first = s().getJson(QStringLiteral("/api/v1/events?limit=2"));
        JCOMPARE(first["events"].size(), 2u);
        JCOMPARE(first["events"][0]["id"], 1);
        JCOMPARE(first["events"][1]["id"], 2);
        JCOMPARE(first["next"], 2);
        JCOMPARE(first["truncated"], false);
        const json takeovers =
            s().getJson(QStringLiteral("/api/v1/events?kind=takeover&limit=1000"));
        QVERIFY(!takeovers["events"].empty());
        for (const json& event : takeovers["events"]) {
            QVERIFY(event["kind"].get<std::string>().starts_with("takeover."));
        }
        const json erp = s().getJson(QStringLiteral("/api/v1/events?cluster=erp&limit=1000"));
        for (const json& event : erp["events"]) {
            JCOMPARE(event["cluster"], "erp");
        }
        const std::int64_t last = lastEventId();
        // Nothing newer: an empty page after the wait, `next` unchanged.
        const Reply empty = s().get(QStringLiteral("/api/v1/events?since=%1&wait=1").arg(last));
        JCOMPARE(empty.status, 200);
        JCOMPARE(empty.document()["events"].size(), 0u);
        JCOMPARE(empty.document()["next"], last);

        // A waiting request is answered by the next event, long before its wait ends.
        QNetworkRequest request(
            s().url(QStringLiteral("/api/v1/events?since=%1&wait=50").arg(last)));
        request.setRawHeader("Authorization", QByteArray("Bearer ") + kAdminToken);
        QNetworkAccessManager other;
        QNetworkReply* waiting = other.get(request);
        QTest::qWait(300);
        QVERIFY(!waiting->isFinished());
        QElapsedTimer clock;
        clock.start();
        JCOMPARE(s().post(QStringLiteral("/api/v1/nodes/ldap-passive/takeover")).status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(waiting->isFinished(), 20000);
        const QByteArray woken_body = waiting->readAll();
        holdToDocument(
            s().port(),
            exchangeOf("GET", request.url().toString(QUrl::RemoveScheme | QUrl::RemoveAuthority),
                       {}, *waiting, woken_body));
        const json woken = json::parse(woken_body.toStdString());
        QVERIFY(!woken["events"].empty());
        JCOMPARE(woken["events"][0]["id"], last + 1);
        JCOMPARE(woken["events"][0]["kind"], "takeover.requested");
        delete waiting;
        JCOMPARE(s().post(QStringLiteral("/api/v1/nodes/ldap-passive/release")).status, 200);
    }

    void eventsNameWhoCausedThemAndNeverAToken() {
        const QByteArray token = registerCluster(QStringLiteral("witness"));
        QVERIFY(!token.isEmpty());
        JCOMPARE(
            s().post(QStringLiteral("/api/v1/nodes/witness-passive/takeover"), {}, token).status,
            200);
        JCOMPARE(
            s().post(QStringLiteral("/api/v1/nodes/witness-passive/release"), {}, token).status,
            200);
        std::map<std::string, std::string> actors;
        const json witness =
            s().getJson(QStringLiteral("/api/v1/events?cluster=witness&limit=1000"));
        for (const json& event : witness["events"]) {
            actors[event["kind"].get<std::string>()] = event["actor"].get<std::string>();
        }
        JCOMPARE(actors["cluster.registered"], "admin@127.0.0.1");
        JCOMPARE(actors["takeover.requested"], "cluster:witness@127.0.0.1");
        JCOMPARE(actors["takeover.granted"], "cluster:witness@127.0.0.1");
        JCOMPARE(actors["release"], "cluster:witness@127.0.0.1");

        // What the service did by itself: its start, and the demo fleet it registered.
        const json started = s().getJson(QStringLiteral("/api/v1/events?kind=service.started"));
        JCOMPARE(started["events"][0]["actor"], "service");
        const json demo =
            s().getJson(QStringLiteral("/api/v1/events?kind=cluster.registered&cluster=erp"));
        JCOMPARE(demo["events"][0]["actor"], "service");

        const std::regex shape("^(service|(admin|cluster:[^@]+)@[0-9a-f.:]+)$");
        json page = s().getJson(QStringLiteral("/api/v1/events?since=0&limit=1000"));
        while (!page["events"].empty()) {
            for (const json& event : page["events"]) {
                const std::string actor = event["actor"].get<std::string>();
                QVERIFY2(std::regex_match(actor, shape), actor.c_str());
                QVERIFY2(actor.find(token.toStdString()) == std::string::npos &&
                             actor.find(kAdminToken) == std::string::npos,
                         actor.c_str());
            }
            page = s().getJson(QStringLiteral("/api/v1/events?limit=1000&since=%1")
                                   .arg(page["next"].get<std::int64_t>()));
        }
    }

    void sizingWhatIfBackupAndMetrics() {
        const json sizing = s().getJson(QStringLiteral("/api/v1/sizing"));
        JCOMPARE(sizing["method"], "exact");
        JCOMPARE(sizing["appliances"][0]["name"], "demo");
        QVERIFY(sizing["appliances"][0]["resources"]["memory_mib"].contains("overflow_risk"));

        const Reply what_if =
            s().post(QStringLiteral("/api/v1/sizing/what-if"),
                     R"({"fail": ["billing", "erp", "crm", "web", "dwh"], "remove": ["mail"],
                "capacity": {"demo": {"vcpus": 64, "memory_mib": 262144}}})");
        JCOMPARE(what_if.status, 200);
        const json outcome = what_if.document();
        JCOMPARE(outcome["takeovers"].size(), 5u);
        bool denied = false;
        for (const json& takeover : outcome["takeovers"]) {
            denied = denied || takeover["outcome"] == "denied";
        }
        QVERIFY(denied);
        QVERIFY(outcome["sizing"]["appliances"].is_array());
        JCOMPARE(s().getJson(QStringLiteral("/api/v1/nodes/dwh-passive"))["state"], "standby");

        // Free after: with nothing failed, the free of now; a takeover granted in the headroom
        // takes its growth from it.
        const json demo = s().getJson(QStringLiteral("/api/v1/appliances/demo"));
        const json idle = s().post(QStringLiteral("/api/v1/sizing/what-if"), "{}").document();
        JCOMPARE(idle["free_after"].size(), 1u);
        JCOMPARE(idle["free_after"][0]["appliance"], "demo");
        for (const char* resource : {"memory_mib", "vcpus"}) {
            JCOMPARE(idle["free_after"][0][resource], demo["resources"][resource]["free"]);
        }
        const json ldap = s().getJson(QStringLiteral("/api/v1/clusters/ldap"));
        const json one =
            s().post(QStringLiteral("/api/v1/sizing/what-if"), R"({"fail": ["ldap"]})").document();
        JCOMPARE(one["takeovers"][0]["outcome"], "granted");
        for (const char* resource : {"memory_mib", "vcpus"}) {
            const std::int64_t growth = ldap["active"][resource].get<std::int64_t>() -
                                        ldap["standby"][resource].get<std::int64_t>();
            JCOMPARE(one["free_after"][0][resource].get<std::int64_t>(),
                     demo["resources"][resource]["free"].get<std::int64_t>() - growth);
        }

        const Reply backup = s().get(QStringLiteral("/api/v1/backup"));
        JCOMPARE(backup.status, 200);
        QCOMPARE(backup.content_type, QByteArray("application/vnd.sqlite3"));
        QVERIFY(backup.body.startsWith(QByteArray("SQLite format 3\0", 16)));

        const Reply metrics = s().get(QStringLiteral("/metrics"), {});
        JCOMPARE(metrics.status, 200);
        const QRegularExpression sample(QStringLiteral(
            "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\",?)*\\})? "
            "(-?[0-9.eE+-]+|NaN|\\+Inf)$"));
        const QRegularExpression comment(
            QStringLiteral("^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$"));
        int samples = 0;
        for (const QByteArray& line : metrics.body.split('\n')) {
            if (line.isEmpty()) {
                continue;
            }
            const QString text = QString::fromUtf8(line);
            QVERIFY2(comment.match(text).hasMatch() || sample.match(text).hasMatch(),
                     line.constData());
            samples += line.startsWith('#') ? 0 : 1;
        }
        QVERIFY(samples > 20);
        QVERIFY(metrics.body.contains(
            "understudy_overbooking_ratio{appliance=\"demo\",resource=\"memory_mib\"}"));
        QVERIFY(metrics.body.contains("understudy_nodes{appliance=\"demo\",state=\"standby\"}"));
        QVERIFY(metrics.body.contains("understudy_takeover_duration_seconds_bucket{le=\"+Inf\"}"));
        QVERIFY(
            metrics.body.contains("understudy_http_requests_total{method=\"POST\",route=\"/api/v1/"
                                  "nodes/{name}/takeover\",status=\"200\"}"));
    }

    // The document names exactly the routes the server serves: every documented operation is
    // routed (never 404/405), and every other method on a documented path is a 405.
    void theOpenApiDocumentListsExactlyTheServedRoutes() {
        const Reply reply = s().get(QStringLiteral("/api/v1/openapi.json"), {});
        JCOMPARE(reply.status, 200);
        const json document = reply.document();
        JCOMPARE(document["openapi"].get<std::string>().substr(0, 2), "3.");
        int operations = 0;
        for (const auto& [path, methods] : document["paths"].items()) {
            QString concrete = QString::fromStdString(path);
            concrete.replace(QStringLiteral("{name}"), QStringLiteral("zz-unknown"));
            for (const char* method : {"get", "post", "patch", "delete", "put"}) {
                const bool documented = methods.contains(method);
                // No token: admin routes answer 401 before looking anything up.
                const Reply answer = s().request(QByteArray(method).toUpper(), concrete, "{}", {});
                QVERIFY2(documented ? (answer.status != 405 && answer.error() != "not_found")
                                    : answer.status == 405,
                         qPrintable(QStringLiteral("%1 %2 -> %3")
                                        .arg(QString::fromLatin1(method), concrete)
                                        .arg(answer.status)));
                operations += documented ? 1 : 0;
            }
        }
        JCOMPARE(operations, 30);
        JCOMPARE(s().get(QStringLiteral("/api/v1/nothing-here"), {}).status, 404);
    }
};

QTEST_GUILESS_MAIN(ApiEndToEnd)
#include "test_e2e_api.moc"

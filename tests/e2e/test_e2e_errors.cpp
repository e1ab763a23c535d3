// understudyd's error paths end to end: every row of the error table of docs/http-api.md that a
// client can cause, with the JSON path in `field`, and after each failed request the inventory is
// what it was (only the events docs/http-api.md names may have been logged).
#include <QDir>
#include <QFile>
#include <QTest>

#include "tests/e2e/service_process.h"

using namespace understudy::e2e;

namespace {

const QByteArray kCluster =
    R"({"name": "e1", "mtbf_hours": 8760, "mttr_hours": 1,
        "standby": {"vcpus": 1, "memory_mib": 512}, "active": {"vcpus": 2, "memory_mib": 1024})";

QByteArray cluster(const QByteArray& extra) {
    return kCluster + extra + "}";
}

}  // namespace

class ErrorsEndToEnd : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::unique_ptr<ServiceProcess> service_;
    QByteArray alpha_token_;

    ServiceProcess& s() { return *service_; }

    // A second understudyd, on a test-driver appliance whose domain template is
    // `template_path`; null when it does not start.
    static std::unique_ptr<ServiceProcess> serviceWithTemplate(const QTemporaryDir& dir,
                                                               const QString& template_path) {
        const quint16 port = freePort();
        const QString host = writeHost(dir.path(), 16, 65536);
        const QString config_path = writeConfig(dir.path(), port, host, 4.0);
        QFile config(config_path);
        if (!config.open(QIODevice::ReadOnly)) {
            return nullptr;
        }
        QByteArray text = config.readAll();
        config.close();
        text.replace(sourcePath(QStringLiteral("appliance/data/passive-node.xml")).toUtf8(),
                     template_path.toUtf8());
        if (!config.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
            config.write(text) != text.size()) {
            return nullptr;
        }
        config.close();
        auto service =
            std::make_unique<ServiceProcess>(dir.filePath(QStringLiteral("understudy.db")));
        service->setPort(port);
        if (!service->start({QStringLiteral("--config"), config_path})) {
            qWarning("understudyd did not start: %s", service->output().constData());
            return nullptr;
        }
        return service;
    }

    // What a failed request must leave alone.
    std::string inventory() {
        json state;
        state["clusters"] = s().getJson(QStringLiteral("/api/v1/clusters"));
        state["groups"] = s().getJson(QStringLiteral("/api/v1/groups"));
        state["nodes"] = s().getJson(QStringLiteral("/api/v1/nodes"));
        return state.dump();
    }
    std::int64_t lastEventId() {
        std::int64_t next = 0;
        for (;;) {
            const json page =
                s().getJson(QStringLiteral("/api/v1/events?limit=1000&since=%1").arg(next));
            if (page["events"].empty()) {
                return next;
            }
            next = page["next"].get<std::int64_t>();
        }
    }
    QByteArray token(const QString& kind) {
        if (kind == QStringLiteral("admin")) {
            return kAdminToken;
        }
        if (kind == QStringLiteral("wrong")) {
            return "not-a-token-anyone-knows-0123456789";
        }
        if (kind == QStringLiteral("alpha")) {
            return alpha_token_;
        }
        return {};
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        service_ = std::make_unique<ServiceProcess>(dir_.filePath(QStringLiteral("errors.db")));
        QVERIFY2(s().start(), s().output().constData());
        const Reply alpha = s().post(QStringLiteral("/api/v1/clusters"),
                                     R"({"name": "alpha", "mtbf_hours": 8760, "mttr_hours": 1,
                                         "standby": {"vcpus": 1, "memory_mib": 256},
                                         "active": {"vcpus": 1, "memory_mib": 512}})");
        QCOMPARE(alpha.status, 201);
        alpha_token_ = QByteArray::fromStdString(alpha.document()["token"].get<std::string>());
    }
    void cleanupTestCase() { QCOMPARE(s().terminate(), 0); }

    void aFailedRequestAnswersTheErrorAndChangesNothing_data() {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("who");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("error");
        QTest::addColumn<QString>("field");
        QTest::addColumn<bool>("logs_events");
        const QString clusters = QStringLiteral("/api/v1/clusters");
        const QString admin = QStringLiteral("admin");
        QByteArray deep;
        for (int i = 0; i < 70; ++i) {
            deep = "{\"a\": " + (deep.isEmpty() ? QByteArray("1") : deep) + "}";
        }
        auto row = [&](const char* name, QByteArray method, QString path, QByteArray body,
                       QString who, int status, QString error, QString field = {},
                       bool logs = false) {
            QTest::newRow(name) << method << path << body << who << status << error << field
                                << logs;
        };
        row("not json", "POST", clusters, "{name: e1", admin, 400, "malformed_json");
        row("not an object", "POST", clusters, "[1, 2]", admin, 400, "malformed_json");
        row("nested deeper than 64", "POST", clusters, deep, admin, 400, "malformed_json");
        row("wrong type", "POST", clusters,
            R"({"name": "e1", "mtbf_hours": 8760, "mttr_hours": 1,
                "standby": {"vcpus": "one", "memory_mib": 512}, "active": {"vcpus": 2, "memory_mib": 1024}})",
            admin, 400, "invalid_field", "standby.vcpus");
        row("unknown field", "POST", clusters, cluster(R"(, "colour": "red")"), admin, 400,
            "invalid_field", "colour");
        row("missing field", "POST", clusters,
            R"({"name": "e1", "mttr_hours": 1, "standby": {"vcpus": 1, "memory_mib": 512},
                "active": {"vcpus": 2, "memory_mib": 1024}})",
            admin, 400, "invalid_field", "mtbf_hours");
        row("out of range", "POST", clusters, cluster(R"(, "priority": 2000)"), admin, 400,
            "invalid_field", "priority");
        row("unknown group", "POST", clusters, cluster(R"(, "group": "nope")"), admin, 400,
            "invalid_field", "group");
        row("unknown appliance", "POST", clusters, cluster(R"(, "appliance": "nope")"), admin, 400,
            "invalid_field", "appliance");
        row("bad failure model", "POST", clusters, cluster(R"(, "failure_model": "guessed")"),
            admin, 400, "invalid_field", "failure_model");
        row("fleet with one bad cluster", "POST", clusters,
            "{\"clusters\": [" + cluster("") + ", " +
                R"({"name": "e2", "mtbf_hours": 8760, "mttr_hours": 1,
                    "standby": {"vcpus": 1, "memory_mib": "x"}, "active": {"vcpus": 2, "memory_mib": 1024}})" +
                "]}",
            admin, 400, "invalid_field", "clusters[1].standby.memory_mib");
        row("fleet with an unknown key", "POST", clusters, "{\"clusters\": [], \"extra\": 1}",
            admin, 400, "invalid_field", "extra");
        row("taken name", "POST", clusters, R"({"name": "erp", "mtbf_hours": 8760,
            "mttr_hours": 1, "standby": {"vcpus": 1, "memory_mib": 512},
            "active": {"vcpus": 2, "memory_mib": 1024}})",
            admin, 409, "conflict");
        row("admission refused", "POST", clusters,
            R"({"name": "huge", "mtbf_hours": 100, "mttr_hours": 100,
                "standby": {"vcpus": 1, "memory_mib": 512}, "active": {"vcpus": 60, "memory_mib": 250000}})",
            admin, 409, "admission_refused", {}, true);
        row("patch: wrong type", "PATCH", clusters + "/erp", R"({"priority": "high"})", admin, 400,
            "invalid_field", "priority");
        row("patch: fixed field", "PATCH", clusters + "/erp", R"({"name": "erp2"})", admin, 400,
            "invalid_field", "name");
        row("patch: unknown group", "PATCH", clusters + "/erp", R"({"group": "nope"})", admin, 400,
            "invalid_field", "group");
        row("patch: footprint missing a key", "PATCH", clusters + "/erp",
            R"({"active": {"vcpus": 64}})", admin, 400, "invalid_field", "active.memory_mib");
        row("patch: unknown cluster", "PATCH", clusters + "/nope", R"({"priority": 1})", admin, 404,
            "not_found");
        row("patch: growth refused", "PATCH", clusters + "/dwh",
            R"({"active": {"vcpus": 16, "memory_mib": 258000}})", admin, 409, "admission_refused",
            {}, true);
        row("delete: unknown cluster", "DELETE", clusters + "/nope", {}, admin, 404, "not_found");
        row("token: unknown cluster", "POST", clusters + "/nope/token", "", admin, 404,
            "not_found");
        row("stats: unknown cluster", "GET", clusters + "/nope/stats", {}, admin, 404, "not_found");
        row("group: negative MTBF", "POST", QStringLiteral("/api/v1/groups"),
            R"({"name": "g1", "mtbf_hours": -1, "mttr_hours": 1})", admin, 400, "invalid_field",
            "mtbf_hours");
        row("group: taken name", "POST", QStringLiteral("/api/v1/groups"),
            R"({"name": "rack-a", "mtbf_hours": 1000, "mttr_hours": 1})", admin, 409, "conflict");
        row("group: read-only members", "PATCH", QStringLiteral("/api/v1/groups/rack-a"),
            R"({"members": []})", admin, 400, "invalid_field", "members");
        row("group: unknown", "DELETE", QStringLiteral("/api/v1/groups/nope"), {}, admin, 404,
            "not_found");
        row("group with members", "DELETE", QStringLiteral("/api/v1/groups/rack-a"), {}, admin, 409,
            "conflict");
        row("power: unknown action", "POST", QStringLiteral("/api/v1/nodes/erp-passive/power"),
            R"({"action": "explode"})", admin, 400, "invalid_field", "action");
        row("power: no action", "POST", QStringLiteral("/api/v1/nodes/erp-passive/power"), "{}",
            admin, 400, "invalid_field", "action");
        row("power: action of the wrong type", "POST",
            QStringLiteral("/api/v1/nodes/erp-passive/power"), R"({"action": 1})", admin, 400,
            "invalid_field", "action");
        row("takeover: body with fields", "POST",
            QStringLiteral("/api/v1/nodes/erp-passive/takeover"), R"({"force": true})", admin, 400,
            "invalid_field", "force");
        row("takeover: unknown node", "POST", QStringLiteral("/api/v1/nodes/nope/takeover"), "",
            admin, 404, "not_found");
        row("node: unknown", "GET", QStringLiteral("/api/v1/nodes/nope"), {}, admin, 404,
            "not_found");
        row("readiness: unknown node", "GET", QStringLiteral("/api/v1/nodes/nope/readiness"), {},
            admin, 404, "not_found");
        row("what-if: unknown cluster", "POST", QStringLiteral("/api/v1/sizing/what-if"),
            R"({"fail": ["erp", "nope"]})", admin, 400, "invalid_field", "fail[1]");
        row("what-if: unknown appliance", "POST", QStringLiteral("/api/v1/sizing/what-if"),
            R"({"capacity": {"nope": {"vcpus": 1, "memory_mib": 1}}})", admin, 400, "invalid_field",
            "capacity.nope");
        row("what-if: unknown key", "POST", QStringLiteral("/api/v1/sizing/what-if"),
            R"({"fails": []})", admin, 400, "invalid_field", "fails");
        row("events: bad since", "GET", QStringLiteral("/api/v1/events?since=abc"), {}, admin, 400,
            "invalid_field", "since");
        row("events: bad limit", "GET", QStringLiteral("/api/v1/events?limit=0"), {}, admin, 400,
            "invalid_field", "limit");
        row("no token", "GET", clusters, {}, QString(), 401, "unauthorized");
        row("unknown token", "GET", clusters, {}, QStringLiteral("wrong"), 401, "unauthorized");
        row("no token on a change", "POST", clusters, cluster(""), QString(), 401, "unauthorized");
        row("cluster token on another node", "GET", QStringLiteral("/api/v1/nodes/erp-passive"), {},
            QStringLiteral("alpha"), 403, "forbidden");
        row("cluster token takes over another node", "POST",
            QStringLiteral("/api/v1/nodes/erp-passive/takeover"), "", QStringLiteral("alpha"), 403,
            "forbidden");
        row("cluster token powers another node", "POST",
            QStringLiteral("/api/v1/nodes/erp-passive/power"), R"({"action": "off"})",
            QStringLiteral("alpha"), 403, "forbidden");
        row("cluster token on another cluster", "GET", clusters + "/erp", {},
            QStringLiteral("alpha"), 403, "forbidden");
        row("cluster token registers", "POST", clusters, cluster(""), QStringLiteral("alpha"), 403,
            "forbidden");
        row("cluster token deletes itself", "DELETE", clusters + "/alpha", {},
            QStringLiteral("alpha"), 403, "forbidden");
        row("cluster token reads appliances", "GET", QStringLiteral("/api/v1/appliances"), {},
            QStringLiteral("alpha"), 403, "forbidden");
        row("cluster token takes a backup", "GET", QStringLiteral("/api/v1/backup"), {},
            QStringLiteral("alpha"), 403, "forbidden");
        row("cluster token full health", "GET", QStringLiteral("/api/v1/health?check=full"), {},
            QStringLiteral("alpha"), 403, "forbidden");
        row("wrong method", "PUT", clusters, cluster(""), admin, 405, "method_not_allowed");
        row("wrong method on a node", "DELETE", QStringLiteral("/api/v1/nodes/erp-passive"), {},
            admin, 405, "method_not_allowed");
        row("no such route", "GET", QStringLiteral("/api/v1/nothing"), {}, admin, 404, "not_found");
        row("oversized body", "POST", clusters, QByteArray(2 << 20, ' '), admin, 413,
            "payload_too_large");
    }
    void aFailedRequestAnswersTheErrorAndChangesNothing() {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        QFETCH(QByteArray, body);
        QFETCH(QString, who);
        QFETCH(int, status);
        QFETCH(QString, error);
        QFETCH(QString, field);
        QFETCH(bool, logs_events);
        const std::string before = inventory();
        const std::int64_t events_before = lastEventId();
        const Reply reply = s().request(method, path, body, token(who));
        QVERIFY2(reply.status == status, reply.body.constData());
        const json answer = reply.document();
        JCOMPARE(answer["error"], error.toStdString());
        QVERIFY(answer["message"].is_string() && !answer["message"].get<std::string>().empty());
        if (!field.isEmpty()) {
            JCOMPARE(answer["field"], field.toStdString());
        }
        if (error == QStringLiteral("admission_refused")) {
            JCOMPARE(answer["appliance"], "demo");
            QVERIFY(answer["overflow_risk"].contains("memory_mib"));
            QVERIFY(answer["overflow_risk"].contains("vcpus"));
            JCOMPARE(answer["target_risk"], 1e-4);
            QVERIFY(answer["unservable"].is_array());
        }
        if (error == QStringLiteral("payload_too_large")) {
            JCOMPARE(answer["limit"], 1048576);
        }
        QCOMPARE(inventory(), before);
        if (logs_events) {
            const json logged = s().getJson(
                QStringLiteral("/api/v1/events?since=%1&kind=admission").arg(events_before));
            JCOMPARE(logged["events"][0]["kind"], "admission.refused");
        } else {
            QCOMPARE(lastEventId(), events_before);
        }
    }

    // A denied takeover changes no node and logs exactly takeover.requested and takeover.denied.
    void aDeniedTakeoverChangesNothingButTheLog() {
        const QStringList holders{QStringLiteral("billing"), QStringLiteral("erp"),
                                  QStringLiteral("crm"), QStringLiteral("web")};
        for (const QString& cluster : holders) {
            QCOMPARE(
                s().post(QStringLiteral("/api/v1/nodes/%1-passive/takeover").arg(cluster)).status,
                200);
        }
        const std::string before = inventory();
        const std::int64_t events_before = lastEventId();
        const Reply denied = s().post(QStringLiteral("/api/v1/nodes/dwh-passive/takeover"));
        QCOMPARE(denied.status, 409);
        QCOMPARE(denied.error(), std::string("takeover_denied"));
        QVERIFY(denied.document()["denial"]["holders"].size() >= 1);
        QCOMPARE(inventory(), before);
        const json logged =
            s().getJson(QStringLiteral("/api/v1/events?since=%1").arg(events_before));
        JCOMPARE(logged["events"].size(), 2u);
        JCOMPARE(logged["events"][0]["kind"], "takeover.requested");
        JCOMPARE(logged["events"][1]["kind"], "takeover.denied");
        for (const QString& cluster : holders) {
            QCOMPARE(
                s().post(QStringLiteral("/api/v1/nodes/%1-passive/release").arg(cluster)).status,
                200);
        }
    }

    // libvirt refusing an operation (here: defining a domain from a template its schema
    // rejects) is the hypervisor's state, not a bug: 503
    // hypervisor_unavailable with libvirt's reason, and the registration changes nothing.
    void aHypervisorRefusalIsAnsweredAs503NamingTheCause() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString shipped_template =
            sourcePath(QStringLiteral("appliance/data/passive-node.xml"));
        QFile shipped(shipped_template);
        QVERIFY(shipped.open(QIODevice::ReadOnly));
        QByteArray domain = shipped.readAll();
        QVERIFY(domain.contains("<type>hvm</type>"));
        domain.replace("<type>hvm</type>", "<type arch='no-such-arch'>hvm</type>");
        const QString template_path = dir.filePath(QStringLiteral("passive-node.xml"));
        QFile refused_template(template_path);
        QVERIFY(refused_template.open(QIODevice::WriteOnly));
        refused_template.write(domain);
        refused_template.close();

        const auto service = serviceWithTemplate(dir, template_path);
        QVERIFY(service);

        const json clusters_before = service->getJson(QStringLiteral("/api/v1/clusters"));
        const Reply refused = service->post(QStringLiteral("/api/v1/clusters"), kCluster + "}");
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.error(), std::string("hypervisor_unavailable"));
        QCOMPARE(refused.header("Retry-After"), QByteArray("5"));
        const std::string message = refused.document()["message"].get<std::string>();
        QVERIFY2(message.find("attribute arch") != std::string::npos, message.c_str());
        QCOMPARE(service->getJson(QStringLiteral("/api/v1/clusters")).dump(),
                 clusters_before.dump());
        QCOMPARE(service->terminate(), 0);
    }

    // A domain template that cannot be read is the host's state as well: 503 naming the
    // template's path, with a retry hint that holds, since the next registration reads it
    // again. A dangling symlink, because the tests may run as root, who reads through any mode.
    void anUnreadableTemplateIsAnsweredAs503NamingItsPath() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString template_path = dir.filePath(QStringLiteral("passive-node.xml"));
        const QString target = dir.filePath(QStringLiteral("templates/passive-node.xml"));
        QVERIFY(QFile::link(target, template_path));
        const auto service = serviceWithTemplate(dir, template_path);
        QVERIFY(service);

        const json clusters_before = service->getJson(QStringLiteral("/api/v1/clusters"));
        const Reply refused = service->post(QStringLiteral("/api/v1/clusters"), kCluster + "}");
        QVERIFY2(refused.status == 503, refused.body.constData());
        QCOMPARE(refused.error(), std::string("hypervisor_unavailable"));
        QCOMPARE(refused.header("Retry-After"), QByteArray("5"));
        const std::string message = refused.document()["message"].get<std::string>();
        QVERIFY2(message.find(template_path.toStdString()) != std::string::npos, message.c_str());
        QCOMPARE(service->getJson(QStringLiteral("/api/v1/clusters")).dump(),
                 clusters_before.dump());

        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("templates")));
        QVERIFY(QFile::copy(sourcePath(QStringLiteral("appliance/data/passive-node.xml")), target));
        const Reply registered = service->post(QStringLiteral("/api/v1/clusters"), kCluster + "}");
        QVERIFY2(registered.status == 201, registered.body.constData());
        QCOMPARE(service->terminate(), 0);
    }
};

QTEST_GUILESS_MAIN(ErrorsEndToEnd)
#include "test_e2e_errors.moc"

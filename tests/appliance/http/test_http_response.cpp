#include <QtTest>

#include "appliance/http/http_response.h"

using namespace understudy::http;

Q_DECLARE_METATYPE(understudy::http::HttpResponse)

namespace {

nlohmann::json bodyOf(const HttpResponse& response) {
    return nlohmann::json::parse(response.body.toStdString());
}

QByteArray nested(int depth) {
    return QByteArray("{\"a\":") + QByteArray("[").repeated(depth - 1) +
           QByteArray("]").repeated(depth - 1) + "}";
}

}  // namespace

class TestHttpResponse : public QObject {
    Q_OBJECT

private slots:
    void everyErrorHasTheApiShape_data() {
        QTest::addColumn<HttpResponse>("response");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("extra");  // JSON of the fields beyond error and message

        QTest::newRow("malformed_json")
            << errors::malformedJson("Not JSON.") << 400 << "malformed_json"
            << "{}";
        QTest::newRow("invalid_field")
            << errors::invalidField("clusters[3].standby.memory_mib", "Must be positive.") << 400
            << "invalid_field"
            << R"({"field":"clusters[3].standby.memory_mib"})";
        QTest::newRow("unauthorized") << errors::unauthorized() << 401 << "unauthorized"
                                      << "{}";
        QTest::newRow("forbidden") << errors::forbidden("Not yours.") << 403 << "forbidden"
                                   << "{}";
        QTest::newRow("not_found") << errors::notFound("No node x.") << 404 << "not_found"
                                   << "{}";
        QTest::newRow("method_not_allowed")
            << errors::methodNotAllowed("PUT", {"GET", "POST"}) << 405 << "method_not_allowed"
            << "{}";
        QTest::newRow("admission_refused")
            << errors::admissionRefused("Too risky.",
                                        {{"appliance", "pna-1"},
                                         {"overflow_risk", {{"memory_mib", 0.002}, {"vcpus", 0.0}}},
                                         {"target_risk", 0.0001},
                                         {"unservable", nlohmann::json::array()}})
            << 409 << "admission_refused"
            << R"({"appliance":"pna-1","overflow_risk":{"memory_mib":0.002,"vcpus":0.0},)"
               R"("target_risk":0.0001,"unservable":[]})";
        QTest::newRow("takeover_denied")
            << errors::takeoverDenied("No memory.", {{"resource", "memory_mib"}, {"needed", 1}})
            << 409 << "takeover_denied"
            << R"({"denial":{"resource":"memory_mib","needed":1}})";
        QTest::newRow("conflict with state")
            << errors::conflict("Node is fenced.", QString("fenced")) << 409 << "conflict"
            << R"({"state":"fenced"})";
        QTest::newRow("conflict") << errors::conflict("Name taken.") << 409 << "conflict"
                                  << "{}";
        QTest::newRow("payload_too_large")
            << errors::payloadTooLarge(1048576) << 413 << "payload_too_large"
            << R"({"limit":1048576})";
        QTest::newRow("uri_too_long") << errors::uriTooLong(8192) << 414 << "uri_too_long"
                                      << "{}";
        QTest::newRow("hypervisor_unavailable")
            << errors::hypervisorUnavailable("libvirt is down.", 5) << 503
            << "hypervisor_unavailable"
            << "{}";
        QTest::newRow("database_unavailable")
            << errors::databaseUnavailable("Database locked.", 2) << 503 << "database_unavailable"
            << "{}";
    }

    void everyErrorHasTheApiShape() {
        QFETCH(HttpResponse, response);
        QFETCH(int, status);
        QFETCH(QString, code);
        QFETCH(QString, extra);

        QCOMPARE(response.status, status);
        QCOMPARE(response.error, code);
        QCOMPARE(response.header("content-type"), QByteArray("application/json"));
        nlohmann::json body = bodyOf(response);
        QCOMPARE(QString::fromStdString(body.at("error").get<std::string>()), code);
        QVERIFY(!body.at("message").get<std::string>().empty());
        body.erase("error");
        body.erase("message");
        QCOMPARE(body, nlohmann::json::parse(extra.toStdString()));
    }

    void headersNamedByTheContractAreSet() {
        QCOMPARE(errors::methodNotAllowed("PUT", {"GET", "POST"}).header("Allow"),
                 QByteArray("GET, POST"));
        QCOMPARE(errors::hypervisorUnavailable("x", 5).header("Retry-After"), QByteArray("5"));
        QCOMPARE(errors::databaseUnavailable("x", 2).header("Retry-After"), QByteArray("2"));
    }

    void internalErrorsCarryACorrelationIdThatIsLogged() {
        static QStringList messages;
        messages.clear();
        const auto previous = qInstallMessageHandler(
            [](QtMsgType, const QMessageLogContext&, const QString& text) { messages << text; });
        const HttpResponse first = errors::internal("the database handle was null");
        const HttpResponse second = errors::internal("the database handle was null");
        qInstallMessageHandler(previous);

        const QString id = QString::fromStdString(bodyOf(first).at("id").get<std::string>());
        QCOMPARE(first.status, 500);
        QVERIFY(!id.isEmpty());
        QVERIFY(id != QString::fromStdString(bodyOf(second).at("id").get<std::string>()));
        QVERIFY(!first.body.contains("database handle"));
        QCOMPARE(messages.size(), 2);
        QVERIFY(messages[0].contains(id));
        QVERIFY(messages[0].contains("the database handle was null"));
    }

    void jsonBodiesAreObjectsWithinTheDepthLimit_data() {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("code");  // empty: accepted
        QTest::addColumn<QString>("field");

        QTest::newRow("object") << QByteArray(R"({"name": "erp"})") << QString() << QString();
        QTest::newRow("depth 64") << nested(64) << QString() << QString();
        QTest::newRow("depth 65") << nested(65) << "malformed_json" << QString();
        QTest::newRow("not json") << QByteArray("{name: erp}") << "malformed_json" << QString();
        QTest::newRow("empty") << QByteArray() << "malformed_json" << QString();
        QTest::newRow("truncated") << QByteArray(R"({"name": )") << "malformed_json" << QString();
        QTest::newRow("array") << QByteArray("[1, 2]") << "malformed_json" << QString();
        QTest::newRow("string") << QByteArray(R"("erp")") << "malformed_json" << QString();
        QTest::newRow("duplicate key")
            << QByteArray(R"({"standby": {"vcpus": 1, "vcpus": 2}})") << "invalid_field"
            << "standby.vcpus";
    }

    void jsonBodiesAreObjectsWithinTheDepthLimit() {
        QFETCH(QByteArray, body);
        QFETCH(QString, code);
        QFETCH(QString, field);

        const JsonBody parsed = parseJsonObject(body);
        if (code.isEmpty()) {
            QVERIFY(parsed.ok());
            QVERIFY(parsed.document().is_object());
            return;
        }
        QVERIFY(!parsed.ok());
        QCOMPARE(parsed.refusal().status, 400);
        QCOMPARE(parsed.refusal().error, code);
        const nlohmann::json refusal = bodyOf(parsed.refusal());
        if (!field.isEmpty()) {
            QCOMPARE(QString::fromStdString(refusal.at("field").get<std::string>()), field);
        }
    }
};

QTEST_GUILESS_MAIN(TestHttpResponse)
#include "test_http_response.moc"

// understudyd against hostile clients, end to end: every route of its own OpenAPI document
// without a token, with an unknown token and with another cluster's token; path traversal in
// names (dot segments, encoded slashes, NUL); huge and deeply nested JSON and lying framing;
// slow clients dribbling their headers or body (slowloris) while a normal client is served; the
// limit of failed authentications per address;
// tokens that never reach the service's output, its events or its database; and the fence
// agent, which must never act on the appliance host or on another cluster's node.
#include <QTest>

#include <memory>
#include <set>
#include <vector>

#include "tests/e2e/raw_http.h"
#include "tests/e2e/service_process.h"

using namespace understudy::e2e;

namespace {

const QByteArray kWrongToken = "wrong-token-nobody-was-given-42abcdef";

QByteArray get(const QByteArray& target, const QByteArray& token) {
    return rawGet(target, token);
}

QByteArray post(const QByteArray& target, const QByteArray& token, const QByteArray& body) {
    return rawPost(target, token, body);
}

QByteArray nested(int depth, char open, char close, const QByteArray& inner = "1") {
    return QByteArray(depth, open) + inner + QByteArray(depth, close);
}

}  // namespace

class SecurityEndToEnd : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::unique_ptr<ServiceProcess> service_;
    QByteArray alpha_token_;
    QByteArray beta_token_;
    std::vector<QByteArray> retired_tokens_;
    int requests_ = 0;
    int sources_ = 0;

    ServiceProcess& s() { return *service_; }

    // Sends `request` as it is and holds the answer to the served document, as request() does.
    RawAnswer raw(const QByteArray& request, const QHostAddress& from = QHostAddress()) {
        const RawAnswer answer = rawRequest(s().port(), request, 20000, from);
        const QList<QByteArray> line = request.left(request.indexOf("\r\n")).split(' ');
        const qsizetype head_end = request.indexOf("\r\n\r\n");
        const QByteArray body = head_end < 0 ? QByteArray() : request.mid(head_end + 4);
        holdToDocument(
            s().port(),
            Exchange{line.value(0).toStdString(), line.value(1).toStdString(), body.toStdString(),
                     answer.status, answer.header("content-type").toStdString(),
                     answer.body.toStdString()});
        return answer;
    }

    Reply call(const QByteArray& method, const QString& path, const QByteArray& body,
               const QByteArray& token) {
        ++requests_;
        return s().request(method, path, body, token);
    }
    // From `from`, over a connection of its own.
    Reply callFrom(const QHostAddress& from, const QByteArray& method, const QString& path,
                   const QByteArray& token) {
        ++requests_;
        const RawAnswer answer = raw(rawRequestBytes(method, path.toUtf8(), token, {}), from);
        Reply reply;
        reply.status = answer.status;
        reply.body = answer.body;
        retry_after_ = answer.header("Retry-After");
        return reply;
    }
    // From an address used by no other request: the sweeps refuse far more than the limit of
    // failed authentications per address allows (docs/http-api.md, "Errors", 429).
    Reply callFromNewAddress(const QByteArray& method, const QString& path, const QByteArray& body,
                             const QByteArray& token) {
        ++requests_;
        ++sources_;
        const QHostAddress from(
            QStringLiteral("127.0.%1.%2").arg(1 + sources_ / 250).arg(1 + sources_ % 250));
        const RawAnswer answer = raw(rawRequestBytes(method, path.toUtf8(), token, body), from);
        Reply reply;
        reply.status = answer.status;
        reply.body = answer.body;
        return reply;
    }
    QByteArray retry_after_;
    QByteArray registerCluster(const char* name) {
        const Reply made = call("POST", QStringLiteral("/api/v1/clusters"),
                                QStringLiteral(R"({"name": "%1", "mtbf_hours": 8760,
                                   "mttr_hours": 1, "standby": {"vcpus": 1, "memory_mib": 256},
                                   "active": {"vcpus": 1, "memory_mib": 512}})")
                                    .arg(QLatin1String(name))
                                    .toUtf8(),
                                kAdminToken);
        if (made.status != 201) {
            qWarning("%s", made.body.constData());
            return {};
        }
        return QByteArray::fromStdString(made.document()["token"].get<std::string>());
    }
    // What no refused request may change: the inventory and the event log.
    std::string inventory() {
        json state;
        state["clusters"] = s().getJson(QStringLiteral("/api/v1/clusters"));
        state["groups"] = s().getJson(QStringLiteral("/api/v1/groups"));
        json nodes = s().getJson(QStringLiteral("/api/v1/nodes"));
        for (json& node : nodes["nodes"]) {
            node.erase("current");  // libvirt's live view, not something a request changes
        }
        state["nodes"] = nodes;
        return state.dump();
    }
    std::vector<json> allEvents() {
        std::vector<json> events;
        std::int64_t next = 0;
        for (;;) {
            const json page =
                s().getJson(QStringLiteral("/api/v1/events?limit=1000&since=%1").arg(next));
            if (!page.contains("events") || page["events"].empty()) {
                return events;
            }
            for (const json& event : page["events"]) {
                events.push_back(event);
            }
            next = page["next"].get<std::int64_t>();
        }
    }
    std::string nodeState(const QString& node) {
        return s().getJson(QStringLiteral("/api/v1/nodes/") + node)["state"].get<std::string>();
    }
    void verifyAlive() {
        const Reply health = s().get(QStringLiteral("/api/v1/health"));
        QVERIFY2(health.status == 200, s().output().right(2000).constData());
        QCOMPARE(s().process().state(), QProcess::Running);
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        service_ = std::make_unique<ServiceProcess>(dir_.filePath(QStringLiteral("sec.db")));
        // Everything the service can log, so a token in any message would show.
        s().setEnvironment(QStringLiteral("QT_LOGGING_RULES"),
                           QStringLiteral("understudy.*.debug=true"));
        QVERIFY2(s().start(), s().output().constData());
        alpha_token_ = registerCluster("alpha");
        beta_token_ = registerCluster("beta");
        QVERIFY(!alpha_token_.isEmpty() && !beta_token_.isEmpty());
        QVERIFY(alpha_token_ != beta_token_);
    }
    void cleanupTestCase() {
        qInfo("requests sent: %d", requests_);
        QCOMPARE(s().terminate(), 0);
    }

    // Driven by GET /api/v1/openapi.json, so a route added later is covered without a new row.
    void everyRouteRefusesMissingUnknownAndForeignTokens() {
        const Reply document = call("GET", QStringLiteral("/api/v1/openapi.json"), {}, {});
        QCOMPARE(document.status, 200);
        const json paths = document.document()["paths"];
        QVERIFY(paths.is_object() && paths.size() >= 15);
        const std::string before = inventory();
        const std::size_t events_before = allEvents().size();
        int operations = 0;
        int guarded = 0;
        for (const auto& [path_template, methods] : paths.items()) {
            // Names that exist and belong to neither alpha nor beta: a foreign token must not
            // reach them, and a missing name must not be how it is turned away.
            QString path = QString::fromStdString(path_template);
            if (path.startsWith(QStringLiteral("/api/v1/appliances/"))) {
                path.replace(QStringLiteral("{name}"), QStringLiteral("demo"));
            } else if (path.startsWith(QStringLiteral("/api/v1/groups/"))) {
                path.replace(QStringLiteral("{name}"), QStringLiteral("rack-a"));
            } else if (path.startsWith(QStringLiteral("/api/v1/clusters/"))) {
                path.replace(QStringLiteral("{name}"), QStringLiteral("erp"));
            } else if (path.startsWith(QStringLiteral("/api/v1/nodes/"))) {
                path.replace(QStringLiteral("{name}"), QStringLiteral("erp-passive"));
            }
            QVERIFY2(!path.contains(u'{'), qPrintable(path));
            for (const auto& [method_name, operation] : methods.items()) {
                ++operations;
                const QByteArray method = QByteArray::fromStdString(method_name).toUpper();
                const QByteArray body = method == "GET" || method == "DELETE"
                                            ? QByteArray()
                                            : QByteArray(R"({"action": "off"})");
                const QString where = QString::fromLatin1(method) + u' ' + path;
                // OpenAPI: an empty requirement among the alternatives makes the token optional.
                bool needs_token = operation.contains("security");
                for (const json& requirement : operation.value("security", json::array())) {
                    needs_token = needs_token && !requirement.empty();
                }
                const std::string who = operation["description"].get<std::string>();
                if (!needs_token) {
                    for (const QByteArray& token : {QByteArray(), kWrongToken}) {
                        const Reply open = callFromNewAddress(method, path, body, token);
                        QVERIFY2(open.status == 200, qPrintable(where + u' ' + open.body));
                    }
                    continue;
                }
                ++guarded;
                for (const QByteArray& token : {QByteArray(), kWrongToken}) {
                    const Reply refused = callFromNewAddress(method, path, body, token);
                    QVERIFY2(refused.status == 401, qPrintable(where + u' ' + refused.body));
                    QCOMPARE(refused.error(), std::string("unauthorized"));
                    QVERIFY(!refused.document()["message"].get<std::string>().empty());
                }
                // Lists answer a cluster token with its own entries only; everything else of
                // erp's, and every admin route, is forbidden to alpha.
                const Reply foreign = call(method, path, body, alpha_token_);
                const bool own_list =
                    method == "GET" && (path == QStringLiteral("/api/v1/clusters") ||
                                        path == QStringLiteral("/api/v1/nodes"));
                if (own_list) {
                    QCOMPARE(foreign.status, 200);
                    QVERIFY2(!foreign.body.contains("erp") && foreign.body.contains("alpha"),
                             foreign.body.constData());
                } else if (path == QStringLiteral("/api/v1/health")) {
                    QCOMPARE(foreign.status, 200);
                } else {
                    QVERIFY2(foreign.status == 403, qPrintable(where + u' ' + foreign.body));
                    QCOMPARE(foreign.error(), std::string("forbidden"));
                }
                // A cluster token reaches its own resources on the routes that say so.
                if (who.find("own") != std::string::npos && method == "GET") {
                    QString own = path;
                    own.replace(QStringLiteral("/erp-passive"), QStringLiteral("/alpha-passive"))
                        .replace(QStringLiteral("/erp"), QStringLiteral("/alpha"));
                    const Reply mine = call(method, own, {}, alpha_token_);
                    QVERIFY2(mine.status == 200, qPrintable(own + u' ' + mine.body));
                }
            }
        }
        qInfo("%d operations, %d of them guarded by a token", operations, guarded);
        QVERIFY(guarded >= 20);
        QCOMPARE(inventory(), before);
        QCOMPARE(allEvents().size(), events_before);
    }

    void pathTraversalNeverEscapesTheNamedResource_data() {
        QTest::addColumn<QByteArray>("request");
        const QByteArray a = alpha_token_;
        QTest::newRow("dot segments to an admin route")
            << get("/api/v1/nodes/alpha-passive/../../appliances", a);
        QTest::newRow("dot segments to another node")
            << get("/api/v1/nodes/alpha-passive/../erp-passive", a);
        QTest::newRow("encoded slash") << get("/api/v1/nodes/..%2Ferp-passive", a);
        QTest::newRow("encoded slash, lower case") << get("/api/v1/nodes/..%2ferp-passive", a);
        QTest::newRow("encoded dots and slash")
            << get("/api/v1/nodes/%2e%2e%2f%2e%2e%2fappliances", a);
        QTest::newRow("double-encoded slash") << get("/api/v1/nodes/..%252Ferp-passive", a);
        QTest::newRow("backslash") << get("/api/v1/nodes/..%5Cerp-passive", a);
        QTest::newRow("NUL after the own name") << get("/api/v1/nodes/alpha-passive%00", a);
        QTest::newRow("NUL before another name") << get("/api/v1/nodes/alpha-passive%00erp", a);
        QTest::newRow("cluster with an encoded slash")
            << get("/api/v1/clusters/alpha%2F..%2Ferp", a);
        QTest::newRow("power through dot segments")
            << post("/api/v1/nodes/alpha-passive/../erp-passive/power", a, R"({"action": "off"})");
        QTest::newRow("power through an encoded slash")
            << post("/api/v1/nodes/..%2Ferp-passive/power", a, R"({"action": "off"})");
        QTest::newRow("takeover through NUL")
            << post("/api/v1/nodes/erp-passive%00/takeover", a, "");
        QTest::newRow("absolute form to another node")
            << get("http://127.0.0.1/api/v1/nodes/erp-passive", a);
    }
    void pathTraversalNeverEscapesTheNamedResource() {
        QFETCH(QByteArray, request);
        const std::string before = inventory();
        ++requests_;
        const RawAnswer answer = raw(request);
        QVERIFY2(answer.status == 400 || answer.status == 403 || answer.status == 404,
                 (QByteArray::number(answer.status) + ' ' + answer.body).constData());
        QVERIFY2(!answer.body.contains("\"erp") && !answer.body.contains("\"appliances\""),
                 answer.body.constData());
        QCOMPARE(inventory(), before);
        QCOMPARE(nodeState(QStringLiteral("erp-passive")), std::string("standby"));
    }

    void namesWithSeparatorsOrControlsAreRefused_data() {
        QTest::addColumn<QByteArray>("name");
        QTest::newRow("dot dot slash") << QByteArray(R"("../etc")");
        QTest::newRow("slash") << QByteArray(R"("a/b")");
        QTest::newRow("dot dot") << QByteArray(R"("..")");
        QTest::newRow("NUL") << QByteArray(R"("a\u0000b")");
        QTest::newRow("newline") << QByteArray(R"("a\nb")");
        QTest::newRow("empty") << QByteArray(R"("")");
        QTest::newRow("percent") << QByteArray(R"("a%2Fb")");
    }
    void namesWithSeparatorsOrControlsAreRefused() {
        QFETCH(QByteArray, name);
        const std::string before = inventory();
        for (const char* field : {"name", "node"}) {
            if (QByteArray(field) == "node" && name == R"("")") {
                continue;  // an empty node name means the default, <cluster>-passive
            }
            QByteArray body = R"({"name": "okname", "mtbf_hours": 8760, "mttr_hours": 1,
                "standby": {"vcpus": 1, "memory_mib": 256}, "active": {"vcpus": 1, "memory_mib": 512}})";
            body.replace(QByteArray("\"") + field + "\": \"okname\"",
                         QByteArray("\"") + field + "\": " + name);
            if (QByteArray(field) == "node") {
                body.replace("{\"name\"", "{\"node\": " + name + ", \"name\"");
            }
            const Reply refused =
                call("POST", QStringLiteral("/api/v1/clusters"), body, kAdminToken);
            QVERIFY2(refused.status == 400, refused.body.constData());
            QCOMPARE(refused.error(), std::string("invalid_field"));
        }
        QCOMPARE(inventory(), before);
    }

    void hugeAndDeeplyNestedBodiesAreRefusedWithoutHarm_data() {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<QList<int>>("statuses");
        const QByteArray clusters = "/api/v1/clusters";
        QTest::newRow("100,000 nested arrays")
            << post(clusters, kAdminToken, nested(100000, '[', ']')) << QList<int>{400};
        QByteArray objects;
        objects.reserve(700000);
        for (int i = 0; i < 100000; ++i) {
            objects += "{\"a\":";
        }
        objects += "1" + QByteArray(100000, '}');
        QTest::newRow("100,000 nested objects")
            << post(clusters, kAdminToken, objects) << QList<int>{400};
        QTest::newRow("nested arrays inside a field")
            << post(clusters, kAdminToken, "{\"name\": " + nested(100000, '[', ']') + "}")
            << QList<int>{400};
        QTest::newRow("unclosed nesting")
            << post(clusters, kAdminToken, QByteArray(500000, '[')) << QList<int>{400};
        QTest::newRow("nested what-if")
            << post("/api/v1/sizing/what-if", kAdminToken,
                    "{\"fail\": " + nested(50000, '[', ']', "\"erp\"") + "}")
            << QList<int>{400};
        QByteArray keys = "{";
        for (int i = 0; i < 60000; ++i) {
            keys += "\"k" + QByteArray::number(i) + "\": 1,";
        }
        keys += "\"name\": \"many\"}";
        QTest::newRow("60,000 keys") << post(clusters, kAdminToken, keys) << QList<int>{400};
        QTest::newRow("a 1,000,000-character name")
            << post(clusters, kAdminToken,
                    "{\"name\": \"" + QByteArray(1000000, 'n') + "\", \"mtbf_hours\": 1}")
            << QList<int>{400, 413};
        QTest::newRow("16 MiB body")
            << post(clusters, kAdminToken, QByteArray(16 << 20, '[')) << QList<int>{413};
        QTest::newRow("Content-Length of 100 GB, no body")
            << QByteArray("POST /api/v1/clusters HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                          QByteArray(kAdminToken) + "\r\nContent-Length: 100000000000\r\n\r\n")
            << QList<int>{413};
        QTest::newRow("negative Content-Length")
            << QByteArray("POST /api/v1/clusters HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
            << QList<int>{400};
        QTest::newRow("two Content-Lengths")
            << QByteArray(
                   "POST /api/v1/clusters HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                   "Content-Length: 40\r\n\r\n{}")
            << QList<int>{400};
        QByteArray chunked = "POST /api/v1/clusters HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                             QByteArray(kAdminToken) + "\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (int i = 0; i < 40; ++i) {
            chunked += "10000\r\n" + QByteArray(0x10000, '[') + "\r\n";
        }
        chunked += "0\r\n\r\n";
        QTest::newRow("2.5 MiB chunked") << chunked << QList<int>{400, 411, 413, 501};
        QTest::newRow("request line above 8 KiB")
            << get("/api/v1/nodes/" + QByteArray(9000, 'a'), kAdminToken) << QList<int>{414};
        QTest::newRow("100 KiB header")
            << QByteArray("GET /api/v1/health HTTP/1.1\r\nX-Big: " + QByteArray(100000, 'b') +
                          "\r\n\r\n")
            << QList<int>{400, 431};
        QByteArray many = "GET /api/v1/health HTTP/1.1\r\n";
        for (int i = 0; i < 5000; ++i) {
            many += "X-H" + QByteArray::number(i) + ": v\r\n";
        }
        QTest::newRow("5,000 header fields") << many + "\r\n" << QList<int>{400, 431};
    }
    void hugeAndDeeplyNestedBodiesAreRefusedWithoutHarm() {
        QFETCH(QByteArray, request);
        QFETCH(QList<int>, statuses);
        const std::string before = inventory();
        ++requests_;
        const RawAnswer answer = raw(request);
        QVERIFY2(statuses.contains(answer.status),
                 (QByteArray::number(answer.status) + ' ' + answer.body.left(300)).constData());
        const json error = json::parse(answer.body.toStdString(), nullptr, false);
        QVERIFY2(error.is_object() && error.contains("error") && error.contains("message"),
                 answer.body.left(300).constData());
        verifyAlive();
        QCOMPARE(inventory(), before);
    }

    void slowClientsAreCutOffWhileOthersAreServed() {
        constexpr int kSlowHeaders = 40;
        constexpr int kSlowBodies = 20;
        std::vector<std::unique_ptr<QTcpSocket>> slow;
        for (int i = 0; i < kSlowHeaders + kSlowBodies; ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            socket->connectToHost(QHostAddress::LocalHost, s().port());
            QVERIFY(socket->waitForConnected(5000));
            if (i < kSlowHeaders) {
                socket->write("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
            } else {
                socket->write(
                    "POST /api/v1/sizing/what-if HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Authorization: Bearer " +
                    QByteArray(kAdminToken) +
                    "\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n"
                    "{\"fail\": [");
            }
            socket->flush();
            slow.push_back(std::move(socket));
        }
        // Each slow client sends one more byte every 250 ms: never a whole request within the
        // read timeout (10 s), always something, so only a limit on the whole request stops it.
        int dribbled = 0;
        QTimer dribble;
        QObject::connect(&dribble, &QTimer::timeout, [&] {
            for (const auto& socket : slow) {
                if (socket->state() == QAbstractSocket::ConnectedState) {
                    socket->write(" ");
                    ++dribbled;
                }
            }
        });
        dribble.start(250);
        int served = 0;
        QElapsedTimer clock;
        clock.start();
        auto open = [&] {
            return std::count_if(slow.begin(), slow.end(), [](const auto& socket) {
                return socket->state() != QAbstractSocket::UnconnectedState;
            });
        };
        while (open() > 0 && clock.elapsed() < 40000) {
            const Reply normal = call("GET", QStringLiteral("/api/v1/nodes"), {}, kAdminToken);
            QVERIFY2(normal.status == 200, normal.body.constData());
            ++served;
            QTest::qWait(200);
        }
        dribble.stop();
        qInfo("slow clients: %d, bytes dribbled: %d, normal requests served meanwhile: %d",
              kSlowHeaders + kSlowBodies, dribbled, served);
        QCOMPARE(open(), std::ptrdiff_t(0));
        for (const auto& socket : slow) {
            QVERIFY2(!socket->readAll().startsWith("HTTP/1.1 200"),
                     "a request that never finished was answered");
        }
        QVERIFY(served > 0);
        verifyAlive();
    }

    void theFenceAgentNeverActsOnTheHostOrAForeignNode_data() {
        QTest::addColumn<QString>("token");
        QTest::addColumn<QString>("plug");
        QTest::addColumn<QString>("action");
        QTest::addColumn<bool>("on_stdin");
        for (const char* action : {"off", "reboot", "on"}) {
            QTest::addRow("another cluster's node, %s", action)
                << "alpha"
                << "beta-passive" << action << false;
            QTest::addRow("the appliance, %s", action) << "alpha"
                                                       << "demo" << action << false;
            QTest::addRow("the appliance with the admin token, %s", action)
                << "admin"
                << "demo" << action << false;
        }
        for (const char* plug :
             {"..", ".", "../beta-passive", "alpha-passive/../beta-passive", "%2e%2e",
              "..%2Fbeta-passive", "", " ", "beta-passive\t", "alpha-passive/", "/", "*"}) {
            QTest::addRow("plug '%s'", plug) << "alpha" << plug << "off" << false;
            QTest::addRow("plug '%s' on stdin", plug) << "alpha" << plug << "off" << true;
            QTest::addRow("plug '%s' with the admin token", plug)
                << "admin" << plug << "off" << false;
        }
    }
    void theFenceAgentNeverActsOnTheHostOrAForeignNode() {
        QFETCH(QString, token);
        QFETCH(QString, plug);
        QFETCH(QString, action);
        QFETCH(bool, on_stdin);
        const QString token_file = dir_.filePath(token + QStringLiteral(".token"));
        QFile file(token_file);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(token == QStringLiteral("admin") ? QByteArray(kAdminToken) : alpha_token_);
        file.close();
        const std::string before = inventory();
        const std::size_t events_before = allEvents().size();
        QProcess agent;
        QStringList arguments{QStringLiteral("--url"), s().url(QString()).toString()};
        QByteArray input;
        if (on_stdin) {
            input = "action=" + action.toUtf8() + "\nplug=" + plug.toUtf8() +
                    "\ntoken_file=" + token_file.toUtf8() + "\n";
        } else {
            arguments << QStringLiteral("--token-file") << token_file << QStringLiteral("-o")
                      << action << QStringLiteral("-n") << plug;
        }
        agent.start(QStringLiteral(FENCE_UNDERSTUDY), arguments);
        QVERIFY(agent.waitForStarted());
        agent.write(input);
        agent.closeWriteChannel();
        QVERIFY(agent.waitForFinished(30000));
        const QByteArray err = agent.readAllStandardError();
        QVERIFY2(agent.exitStatus() == QProcess::NormalExit && agent.exitCode() != 0,
                 (QByteArray::number(agent.exitCode()) + ' ' + err).constData());
        QVERIFY2(!err.isEmpty(), "a refusal must say why");
        QCOMPARE(inventory(), before);
        QCOMPARE(nodeState(QStringLiteral("beta-passive")), std::string("standby"));
        QCOMPARE(nodeState(QStringLiteral("alpha-passive")), std::string("standby"));
        // Only refusals may have been logged; nothing was fenced.
        const std::vector<json> events = allEvents();
        for (std::size_t i = events_before; i < events.size(); ++i) {
            QVERIFY2(events[i]["kind"].get<std::string>().rfind("fence.", 0) != 0,
                     events[i].dump().c_str());
        }
    }

    // The positive control of the fence rows: the same agent and token act on their own node.
    void theFenceAgentActsOnItsOwnNode() {
        const QString token_file = dir_.filePath(QStringLiteral("own.token"));
        QFile file(token_file);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(alpha_token_);
        file.close();
        QProcess agent;
        agent.start(
            QStringLiteral(FENCE_UNDERSTUDY),
            {QStringLiteral("--url"), s().url(QString()).toString(), QStringLiteral("--token-file"),
             token_file, QStringLiteral("-o"), QStringLiteral("status"), QStringLiteral("-n"),
             QStringLiteral("alpha-passive")});
        QVERIFY(agent.waitForFinished(30000));
        QVERIFY2(agent.exitCode() == 0, agent.readAllStandardError().constData());
    }

    // The limit of docs/http-api.md ("Errors", 429): 20 failures within 10 s, then everything
    // from that address is refused for 10 s, even with a good token; other addresses are not.
    // The block's end is the limiter's unit test (tests/appliance/api), on a clock it moves.
    void repeatedFailuresRefuseTheirAddressOnly() {
        const QHostAddress guesser(QStringLiteral("127.0.9.1"));
        const QHostAddress neighbour(QStringLiteral("127.0.9.2"));
        const QString clusters = QStringLiteral("/api/v1/clusters");
        for (int i = 1; i <= 20; ++i) {
            const Reply refused = callFrom(guesser, "GET", clusters, kWrongToken);
            QVERIFY2(refused.status == 401, qPrintable(QString::number(i) + u' ' + refused.body));
        }
        for (const QByteArray& token : {kWrongToken, QByteArray(kAdminToken), alpha_token_}) {
            const Reply blocked = callFrom(guesser, "GET", clusters, token);
            QVERIFY2(blocked.status == 429, blocked.body.constData());
            QCOMPARE(blocked.error(), std::string("too_many_failures"));
            const int retry_after = retry_after_.toInt();
            QVERIFY2(retry_after >= 1 && retry_after <= 10, retry_after_.constData());
        }
        QCOMPARE(callFrom(guesser, "GET", QStringLiteral("/metrics"), {}).status, 429);
        QCOMPARE(callFrom(neighbour, "GET", clusters, kAdminToken).status, 200);
        QCOMPARE(callFrom(neighbour, "GET", clusters, kWrongToken).status, 401);
        const Reply metrics = callFrom(neighbour, "GET", QStringLiteral("/metrics"), {});
        QCOMPARE(metrics.status, 200);
        QVERIFY2(metrics.body.contains("\nunderstudy_auth_refused_total 4\n"),
                 metrics.body.constData());
        QVERIFY(metrics.body.contains("\nunderstudy_auth_failures_total "));
    }

    // Last: after everything above, including refusals, rotations and debug logging.
    void tokensNeverReachTheLogEventsOrDatabase() {
        const Reply rotated =
            call("POST", QStringLiteral("/api/v1/clusters/beta/token"), "", kAdminToken);
        QCOMPARE(rotated.status, 200);
        retired_tokens_.push_back(beta_token_);
        const QByteArray fresh =
            QByteArray::fromStdString(rotated.document()["token"].get<std::string>());
        QCOMPARE(call("GET", QStringLiteral("/api/v1/nodes/beta-passive"), {}, fresh).status, 200);
        QCOMPARE(call("GET", QStringLiteral("/api/v1/nodes/beta-passive"), {}, beta_token_).status,
                 401);
        const Reply backup = call("GET", QStringLiteral("/api/v1/backup"), {}, kAdminToken);
        QCOMPARE(backup.status, 200);
        QVERIFY(backup.body.startsWith("SQLite format 3"));
        const Reply metrics = call("GET", QStringLiteral("/metrics"), {}, {});
        QCOMPARE(metrics.status, 200);
        std::string events;
        for (const json& event : allEvents()) {
            events += event.dump();
        }
        QVERIFY(events.find("token.rotated") != std::string::npos);
        // Stop the service so that everything it would write is in the captured output.
        QCOMPARE(s().terminate(), 0);
        const QByteArray output = s().output();
        QVERIFY2(output.contains("understudy."), "debug logging was not on");
        // repeatedFailuresRefuseTheirAddressOnly's block, logged once for its burst.
        QCOMPARE(output.count("failed authentications from 127.0.9.1 "), 1);
        for (const QByteArray& token :
             {QByteArray(kAdminToken), alpha_token_, beta_token_, fresh, kWrongToken}) {
            QVERIFY2(!output.contains(token), "a token is in the service's output");
            QVERIFY2(events.find(token.toStdString()) == std::string::npos,
                     "a token is in an event");
            QVERIFY2(!backup.body.contains(token), "a token is in the database");
            QVERIFY2(!metrics.body.contains(token), "a token is in the metrics");
        }
        QFile database(dir_.filePath(QStringLiteral("sec.db")));
        QVERIFY(database.open(QIODevice::ReadOnly));
        QByteArray files = database.readAll();
        QFile wal(dir_.filePath(QStringLiteral("sec.db-wal")));
        if (wal.open(QIODevice::ReadOnly)) {
            files += wal.readAll();
        }
        for (const QByteArray& token : {QByteArray(kAdminToken), alpha_token_, fresh}) {
            QVERIFY2(!files.contains(token), "a token is stored in the clear");
        }
        QVERIFY2(s().start(), s().output().constData());
    }
};

QTEST_GUILESS_MAIN(SecurityEndToEnd)
#include "test_e2e_security.moc"

#include <QtTest>

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <atomic>
#include <memory>
#include <optional>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include "appliance/http/http_server.h"
#include "tests/appliance/http/raw_client.h"

using namespace understudy::http;
using namespace understudy::http::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kToken[] = "tok-8f3a91c2d7e64b05";

QStringList& capturedLog() {
    static QStringList lines;
    return lines;
}

void captureLog(QtMsgType, const QMessageLogContext&, const QString& text) {
    capturedLog().append(text);
}

// `size` bytes of a repeating pattern, made as they are read: a large body that exists nowhere
// in memory, whose reads show how far ahead of the client the server has read.
class PatternDevice : public QIODevice {
public:
    explicit PatternDevice(qint64 size) : size_(size) { open(QIODevice::ReadOnly); }
    static char byteAt(qint64 offset) { return static_cast<char>(offset % 251); }
    qint64 size() const override { return size_; }
    bool isSequential() const override { return false; }
    qint64 served() const { return served_; }

protected:
    qint64 readData(char* data, qint64 max) override {
        const qint64 count = std::min(max, size_ - served_);
        for (qint64 i = 0; i < count; ++i) {
            data[i] = byteAt(served_ + i);
        }
        served_ += count;
        return count;
    }
    qint64 writeData(const char*, qint64) override { return -1; }

private:
    qint64 size_;
    qint64 served_ = 0;
};

}  // namespace

class TestHttpServer : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<HttpServer> server_;
    std::optional<Responder> held_;
    int gone_ = 0;
    QNetworkAccessManager nam_;
    QTemporaryDir tls_dir_;

    bool startServer(HttpServerOptions options = {}) {
        options.address = QHostAddress::LocalHost;
        options.port = 0;
        server_ = std::make_unique<HttpServer>(options);
        HttpServer& server = *server_;
        server.route("GET", "/api/v1/nodes", [](const HttpRequest&) {
            return HttpResponse::json(200, {{"nodes", nlohmann::json::array()}});
        });
        server.route("GET", "/api/v1/nodes/{name}", [](const HttpRequest& request) {
            return HttpResponse::json(200, {{"name", request.capture("name").toStdString()},
                                            {"since", request.queryItem("since").toStdString()},
                                            {"route", request.route.toStdString()}});
        });
        server.route("DELETE", "/api/v1/nodes/{name}",
                     [](const HttpRequest&) { return HttpResponse::noContent(); });
        server.route("POST", "/api/v1/nodes/{name}/takeover", [](const HttpRequest& request) {
            if (request.bearerToken() != QLatin1String(kToken)) {
                return errors::unauthorized();
            }
            return HttpResponse::json(200, {{"node", request.capture("name").toStdString()}});
        });
        server.route("POST", "/api/v1/echo", [](const HttpRequest& request) {
            const JsonBody body = parseJsonBody(request);
            if (!body.ok()) {
                return body.refusal();
            }
            return HttpResponse::json(200, {{"echo", body.document()}});
        });
        server.route("GET", "/api/v1/conflict", [](const HttpRequest&) {
            return errors::conflict("The node is fenced; power it on first.", QString("fenced"));
        });
        server.route("GET", "/api/v1/busy", [](const HttpRequest&) {
            return errors::hypervisorUnavailable("libvirt is disconnected; retry shortly.", 5);
        });
        server.route("GET", "/api/v1/throw", [](const HttpRequest&) -> HttpResponse {
            throw std::runtime_error("broken invariant in the test handler");
        });
        server.routeDeferred("GET", "/api/v1/events",
                             [this](const HttpRequest&, const Responder& responder) {
                                 responder.whenClientGone([this] { ++gone_; });
                                 held_ = responder;
                             });
        server.routeDeferred("GET", "/api/v1/forgotten",
                             [](const HttpRequest&, const Responder&) {});
        const auto status = server.listen();
        if (!status) {
            qWarning() << status.error().describe().c_str();
        }
        return status.ok();
    }

    QString url(const QString& path) const {
        return QStringLiteral("http://127.0.0.1:%1%2").arg(server_->port()).arg(path);
    }

    Answer request(const QByteArray& method, const QString& path, const QByteArray& body = {},
                   const QByteArray& authorization = {}) {
        QNetworkRequest request(QUrl::fromEncoded(url(path).toLatin1(), QUrl::StrictMode));
        if (!body.isEmpty()) {
            request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        }
        if (!authorization.isEmpty()) {
            request.setRawHeader("Authorization", authorization);
        }
        QNetworkReply* reply = nam_.sendCustomRequest(request, method, body);
        Answer answer;
        if (!QTest::qWaitFor([&] { return reply->isFinished(); }, kWaitMs)) {
            reply->abort();
        }
        answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        answer.body = reply->readAll();
        for (const auto& [name, value] : reply->rawHeaderPairs()) {
            answer.headers.insert(name.toLower(), value);
        }
        reply->deleteLater();
        return answer;
    }

    static QByteArray get(const QByteArray& target, const QByteArray& extra = {}) {
        return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
    }

private slots:
    void initTestCase() {
        QVERIFY(tls_dir_.isValid());
        QProcess openssl;
        openssl.start("openssl",
                      {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                       "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout",
                       tls_dir_.filePath("key.pem"), "-out", tls_dir_.filePath("cert.pem")});
        QVERIFY2(openssl.waitForFinished(kWaitMs), "openssl did not finish");
        QVERIFY2(openssl.exitCode() == 0, openssl.readAllStandardError().constData());
        QFile garbage(tls_dir_.filePath("garbage.pem"));
        QVERIFY(garbage.open(QIODevice::WriteOnly));
        garbage.write("-----BEGIN NOTHING-----\nbm90aGluZw==\n-----END NOTHING-----\n");
    }

    void cleanup() {
        // The server goes first, so every test also answers a held responder after it is gone.
        server_.reset();
        held_.reset();
        gone_ = 0;
        nam_.clearConnectionCache();
    }

    void routesByMethodAndPathWithDecodedCaptures_data() {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("field");  // a field of the JSON answer, or the error code
        QTest::addColumn<QString>("value");

        QTest::newRow("list") << QByteArray("GET") << "/api/v1/nodes" << 200 << "nodes"
                              << "[]";
        QTest::newRow("capture") << QByteArray("GET") << "/api/v1/nodes/erp-passive" << 200
                                 << "name"
                                 << "erp-passive";
        QTest::newRow("percent-decoded capture")
            << QByteArray("GET") << "/api/v1/nodes/a%2Fb%20c" << 200 << "name"
            << "a/b c";
        QTest::newRow("query item")
            << QByteArray("GET") << "/api/v1/nodes/x?since=42&limit=5" << 200 << "since"
            << "42";
        QTest::newRow("route template") << QByteArray("GET") << "/api/v1/nodes/x" << 200 << "route"
                                        << "/api/v1/nodes/{name}";
        QTest::newRow("unknown path") << QByteArray("GET") << "/api/v1/nothing" << 404 << "error"
                                      << "not_found";
        QTest::newRow("wrong method") << QByteArray("PUT") << "/api/v1/nodes/x" << 405 << "error"
                                      << "method_not_allowed";
    }

    void routesByMethodAndPathWithDecodedCaptures() {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        QFETCH(int, status);
        QFETCH(QString, field);
        QFETCH(QString, value);
        QVERIFY(startServer());

        const Answer answer = request(method, path);
        QCOMPARE(answer.status, status);
        QCOMPARE(answer.headers.value("content-type"), QByteArray("application/json"));
        const nlohmann::json body = answer.json();
        QVERIFY(body.contains(field.toStdString()));
        const nlohmann::json& actual = body[field.toStdString()];
        QCOMPARE(
            QString::fromStdString(actual.is_string() ? actual.get<std::string>() : actual.dump()),
            value);
        if (status >= 400) {
            QVERIFY(!body.at("message").get<std::string>().empty());
        }
    }

    void wrongMethodListsTheAllowedMethods() {
        QVERIFY(startServer());
        const Answer answer = request("POST", "/api/v1/nodes/x");
        QCOMPARE(answer.status, 405);
        QCOMPARE(answer.headers.value("allow"), QByteArray("GET, DELETE"));
    }

    void noContentHasNoBody() {
        QVERIFY(startServer());
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        client.send("DELETE /api/v1/nodes/x HTTP/1.1\r\n\r\n" + get("/api/v1/nodes"));
        const auto deleted = client.answer();
        QVERIFY(deleted);
        QCOMPARE(deleted->status, 204);
        QVERIFY(!deleted->headers.contains("content-length"));
        const auto next = client.answer();  // the connection still frames the next answer
        QVERIFY(next);
        QCOMPARE(next->status, 200);
    }

    void errorsFromHandlersKeepTheirShapeAndHeaders() {
        QVERIFY(startServer());
        const Answer conflict = request("GET", "/api/v1/conflict");
        QCOMPARE(conflict.status, 409);
        QCOMPARE(conflict.json(),
                 nlohmann::json({{"error", "conflict"},
                                 {"message", "The node is fenced; power it on first."},
                                 {"state", "fenced"}}));
        const Answer busy = request("GET", "/api/v1/busy");
        QCOMPARE(busy.status, 503);
        QCOMPARE(busy.error(), QString("hypervisor_unavailable"));
        QCOMPARE(busy.headers.value("retry-after"), QByteArray("5"));
    }

    void jsonBodiesAreCheckedBeforeTheHandlerUsesThem_data() {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("error");

        QTest::newRow("object") << QByteArray(R"({"name":"erp"})") << 200 << QString();
        QTest::newRow("not json") << QByteArray("name=erp") << 400 << "malformed_json";
        QTest::newRow("array") << QByteArray("[]") << 400 << "malformed_json";
        QTest::newRow("depth 64") << QByteArray("[").repeated(64) + QByteArray("]").repeated(64)
                                  << 400 << "malformed_json";  // valid depth, but not an object
        QTest::newRow("object at depth 64")
            << "{\"a\":" + QByteArray("[").repeated(63) + QByteArray("]").repeated(63) + "}" << 200
            << QString();
        QTest::newRow("depth 65") << "{\"a\":" + QByteArray("[").repeated(64) +
                                         QByteArray("]").repeated(64) + "}"
                                  << 400 << "malformed_json";
        QTest::newRow("duplicate key") << QByteArray(R"({"a":1,"a":2})") << 400 << "invalid_field";
    }

    void jsonBodiesAreCheckedBeforeTheHandlerUsesThem() {
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, error);
        QVERIFY(startServer());

        const Answer answer = request("POST", "/api/v1/echo", body);
        QCOMPARE(answer.status, status);
        QCOMPARE(answer.error(), error);
        if (status == 200) {
            QCOMPARE(answer.json()["echo"], nlohmann::json::parse(body.toStdString()));
        }
    }

    void bodyAboveTheLimitIsRefusedBeforeItIsSent() {
        QVERIFY(startServer());  // max_body_bytes: the default 1 MiB
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        // Headers only: the 413 must not need a single byte of the 10 MiB body.
        client.send(
            "POST /api/v1/echo HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n");
        const auto answer = client.answer();
        QVERIFY(answer);
        QCOMPARE(answer->status, 413);
        QCOMPARE(answer->json(), nlohmann::json::parse(answer->body.toStdString()));
        QCOMPARE(answer->error(), QString("payload_too_large"));
        QCOMPARE(answer->json()["limit"], nlohmann::json(1048576));
        QCOMPARE(answer->headers.value("connection"), QByteArray("close"));
        QVERIFY(client.waitClosed());
    }

    void clientUploadingTooMuchStillReadsThe413() {
        QVERIFY(startServer());
        // QNetworkAccessManager reports an answer only once its upload is done: the server
        // drops the rest of a refused body (up to a bound) instead of resetting the connection.
        const Answer answer = request("POST", "/api/v1/echo", QByteArray(3 << 20, ' '));
        QCOMPARE(answer.status, 413);
        QCOMPARE(answer.error(), QString("payload_too_large"));
    }

    void refusedBodyIsNotDrainedWithoutBound() {
        HttpServerOptions options;
        options.max_body_bytes = 1024;
        QVERIFY(startServer(options));
        // A plain POSIX socket that never reads: a Qt socket would close on the server's FIN
        // and hide whether the server itself ends the connection.
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        QVERIFY(fd >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(server_->port());
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
        QCOMPARE(::fcntl(fd, F_SETFL, O_NONBLOCK), 0);
        const QByteArray head = "POST /api/v1/echo HTTP/1.1\r\nContent-Length: 104857600\r\n\r\n";
        QCOMPARE(::send(fd, head.constData(), static_cast<std::size_t>(head.size()), MSG_NOSIGNAL),
                 static_cast<ssize_t>(head.size()));
        const QByteArray block(qsizetype{64} * 1024, 'x');
        qint64 sent = 0;
        int failure = 0;
        const bool ended = QTest::qWaitFor(
            [&] {
                const ssize_t written = ::send(
                    fd, block.constData(), static_cast<std::size_t>(block.size()), MSG_NOSIGNAL);
                if (written > 0) {
                    sent += written;
                } else if (written < 0 && errno != EAGAIN) {
                    failure = errno;
                }
                return failure != 0;
            },
            kWaitMs);
        ::close(fd);
        QVERIFY(ended);
        QVERIFY2(failure == ECONNRESET || failure == EPIPE, strerror(failure));
        QVERIFY(sent < 104857600);
    }

    void chunkedBodyAboveTheLimitIsRefusedWhileItStreams() {
        HttpServerOptions options;
        options.max_body_bytes = 1000;
        QVERIFY(startServer(options));
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        client.send("POST /api/v1/echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        client.send("258\r\n" + QByteArray(600, ' ') + "\r\n");  // 600 bytes: within the limit
        QTest::qWait(50);
        QVERIFY(client.unread().isEmpty());
        client.send("258\r\n");  // announces 600 more: 1200 in all, before any of it is sent
        const auto answer = client.answer();
        QVERIFY(answer);
        QCOMPARE(answer->status, 413);
        QCOMPARE(answer->error(), QString("payload_too_large"));
        QVERIFY(client.waitClosed());
    }

    void chunkedBodyIsReassembled() {
        QVERIFY(startServer());
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        client.send(
            "POST /api/v1/echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5;ext=1\r\n{\"nam\r\n"
            "A\r\ne\":\"erp\"}\r\n"
            "0\r\nX-Trailer: ignored\r\n\r\n");
        const auto answer = client.answer();
        QVERIFY(answer);
        QCOMPARE(answer->status, 200);
        QCOMPARE(answer->json()["echo"], nlohmann::json({{"name", "erp"}}));
    }

    void requestLineAbove8KiBIs414_data() {
        QTest::addColumn<int>("line_length");
        QTest::addColumn<bool>("complete");  // whether the client ends the line
        QTest::addColumn<int>("status");
        QTest::newRow("8 KiB exactly") << 8192 << true << 404;
        QTest::newRow("one byte more") << 8193 << true << 414;
        QTest::newRow("never ends") << 9000 << false << 414;
    }

    void requestLineAbove8KiBIs414() {
        QFETCH(int, line_length);
        QFETCH(bool, complete);
        QFETCH(int, status);
        QVERIFY(startServer());
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        const QByteArray prefix = "GET /api/v1/x";
        const QByteArray suffix = " HTTP/1.1";
        const QByteArray line =
            prefix + QByteArray(line_length - prefix.size() - suffix.size(), 'a') + suffix;
        QCOMPARE(line.size(), line_length);
        client.send(complete ? line + "\r\n\r\n" : line);
        const auto answer = client.answer();
        QVERIFY(answer);
        QCOMPARE(answer->status, status);
        if (status == 414) {
            QCOMPARE(answer->error(), QString("uri_too_long"));
            QVERIFY(client.waitClosed());
        }
    }

    void oversizedHeaderSectionIs431() {
        QVERIFY(startServer());
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        client.send("GET /api/v1/nodes HTTP/1.1\r\nX-Big: " +
                    QByteArray(qsizetype{40} * 1024, 'b'));
        const auto answer = client.answer();
        QVERIFY(answer);
        QCOMPARE(answer->status, 431);
        QVERIFY(client.waitClosed());
    }

    void tooManyHeaderFieldsIs431() {
        QVERIFY(startServer());
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        QByteArray fields;
        for (int i = 0; i < 101; ++i) {
            fields += "X-" + QByteArray::number(i) + ": 1\r\n";
        }
        client.send(get("/api/v1/nodes", fields));
        const auto answer = client.answer();
        QVERIFY(answer);
        QCOMPARE(answer->status, 431);
    }

    void slowClientIsDisconnectedWhileOthersAreServed() {
        HttpServerOptions options;
        options.read_timeout = 300ms;
        QVERIFY(startServer(options));
        RawClient slow;
        QVERIFY(slow.connectTo(server_->port()));
        // At a byte per 100 ms this head would take 100 s; only the read timeout can end it.
        const QByteArray head =
            get("/api/v1/nodes", "X-Padding: " + QByteArray(1000, 'p') + "\r\n");
        qsizetype sent = 0;
        QTimer drip;
        drip.setInterval(100);
        connect(&drip, &QTimer::timeout, [&] {
            if (slow.isConnected() && sent < head.size()) {
                slow.send(head.mid(sent++, 1));
            }
        });
        drip.start();
        QVERIFY(QTest::qWaitFor([&] { return sent >= 2; }, kWaitMs));

        RawClient other;
        QVERIFY(other.connectTo(server_->port()));
        other.send(get("/api/v1/nodes"));
        const auto answer = other.answer();
        QVERIFY(answer);
        QCOMPARE(answer->status, 200);

        QVERIFY(slow.waitClosed());
        QVERIFY(sent < head.size());
        QVERIFY(slow.unread().isEmpty());  // dropped, not answered
    }

    void idleConnectionIsClosedAfterTheReadTimeout() {
        HttpServerOptions options;
        options.read_timeout = 300ms;
        QVERIFY(startServer(options));
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        client.send(get("/api/v1/nodes"));
        QVERIFY(client.answer());
        QVERIFY(client.waitClosed());  // kept alive, then idle for longer than the timeout
        QVERIFY(QTest::qWaitFor([&] { return server_->connectionCount() == 0; }, kWaitMs));
    }

    void connectionsAboveTheLimitAreClosedAtAccept() {
        HttpServerOptions options;
        options.max_connections = 1;
        QVERIFY(startServer(options));
        RawClient first;
        QVERIFY(first.connectTo(server_->port()));
        QVERIFY(QTest::qWaitFor([&] { return server_->connectionCount() == 1; }, kWaitMs));
        RawClient second;
        QVERIFY(second.connectTo(server_->port()));
        QVERIFY(second.waitClosed());
        first.send(get("/api/v1/nodes"));
        const auto answer = first.answer();
        QVERIFY(answer);
        QCOMPARE(answer->status, 200);
    }

    void keepAliveServesTwoRequestsOnOneConnection() {
        QVERIFY(startServer());
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        client.send(get("/api/v1/nodes/first"));
        const auto first = client.answer();
        QVERIFY(first);
        QCOMPARE(first->json()["name"], "first");
        QVERIFY(client.isConnected());
        client.send(get("/api/v1/nodes/second"));
        const auto second = client.answer();
        QVERIFY(second);
        QCOMPARE(second->json()["name"], "second");
        QVERIFY(client.isConnected());
        QCOMPARE(server_->connectionCount(), 1);
    }

    void connectionCloseIsHonoured_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("1.1 close") << get("/api/v1/nodes", "Connection: close\r\n");
        QTest::newRow("1.0 default") << QByteArray("GET /api/v1/nodes HTTP/1.0\r\n\r\n");
    }

    void connectionCloseIsHonoured() {
        QFETCH(QByteArray, bytes);
        QVERIFY(startServer());
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        client.send(bytes);
        const auto answer = client.answer();
        QVERIFY(answer);
        QCOMPARE(answer->status, 200);
        QCOMPARE(answer->headers.value("connection"), QByteArray("close"));
        QVERIFY(client.waitClosed());
    }

    void expectContinueIsAnswered() {
        QVERIFY(startServer());
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        client.send(
            "POST /api/v1/echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
        QVERIFY(
            QTest::qWaitFor([&] { return client.unread().startsWith("HTTP/1.1 100"); }, kWaitMs));
        QCOMPARE(client.unread(), QByteArray("HTTP/1.1 100 Continue\r\n\r\n"));
    }

    void longPollIsAnsweredLater() {
        QVERIFY(startServer());
        QNetworkReply* reply =
            nam_.get(QNetworkRequest(QUrl(url("/api/v1/events?since=3&wait=30"))));
        QVERIFY(QTest::qWaitFor([&] { return held_.has_value(); }, kWaitMs));
        QVERIFY(held_->isClientWaiting());
        QTest::qWait(50);
        QVERIFY(!reply->isFinished());

        QTimer::singleShot(20, this, [this] {
            held_->send(
                HttpResponse::json(200, {{"events", nlohmann::json::array()}, {"next", 3}}));
        });
        QVERIFY(QTest::qWaitFor([&] { return reply->isFinished(); }, kWaitMs));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QCOMPARE(nlohmann::json::parse(reply->readAll().toStdString())["next"], 3);
        QVERIFY(held_->isAnswered());
        QVERIFY(!held_->isClientWaiting());
        held_->send(HttpResponse::json(200, {}));  // a second answer is ignored
        QCOMPARE(gone_, 0);
        reply->deleteLater();
        // The connection goes on with the next request.
        QCOMPARE(request("GET", "/api/v1/nodes").status, 200);
    }

    void longPollWhoseClientLeftIsAnsweredSafely() {
        QVERIFY(startServer());
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        client.send(get("/api/v1/events?wait=30"));
        QVERIFY(QTest::qWaitFor([&] { return held_.has_value(); }, kWaitMs));
        client.socket().abort();
        QVERIFY(QTest::qWaitFor([&] { return gone_ == 1; }, kWaitMs));
        QVERIFY(!held_->isClientWaiting());
        QVERIFY(QTest::qWaitFor([&] { return server_->connectionCount() == 0; }, kWaitMs));
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        held_->send(HttpResponse::json(200, {{"events", nlohmann::json::array()}}));
        QCOMPARE(gone_, 1);
        QCOMPARE(request("GET", "/api/v1/nodes").status, 200);
    }

    void longPollOutlivingTheServerIsANoOp() {
        QVERIFY(startServer());
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        client.send(get("/api/v1/events?wait=30"));
        QVERIFY(QTest::qWaitFor([&] { return held_.has_value(); }, kWaitMs));
        server_.reset();
        QCOMPARE(gone_, 1);  // closing the server let the waiter go
        held_->send(HttpResponse::json(200, {}));
        QVERIFY(client.waitClosed());
        QVERIFY(client.unread().isEmpty());
    }

    void drainRefusesNewConnectionsAndFinishesWhatIsInFlight() {
        QVERIFY(startServer());
        const quint16 port = server_->port();
        int drained = 0;
        connect(server_.get(), &HttpServer::drained, this, [&drained] { ++drained; });
        RawClient idle;
        QVERIFY(idle.connectTo(port));
        RawClient reading;  // half its body sent
        QVERIFY(reading.connectTo(port));
        RawClient polling;  // a long-poll held by its handler
        QVERIFY(polling.connectTo(port));
        polling.send(get("/api/v1/events?wait=30"));
        QVERIFY(QTest::qWaitFor([&] { return held_.has_value(); }, kWaitMs));
        reading.send("POST /api/v1/echo HTTP/1.1\r\nContent-Length: 14\r\n\r\n{\"a\": ");
        QVERIFY(QTest::qWaitFor([&] { return server_->connectionCount() == 3; }, kWaitMs));

        server_->drain();
        QVERIFY(!server_->isListening());
        // A new connection is refused at once, while the requests in flight go on.
        RawClient late;
        late.socket().connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(QTest::qWaitFor(
            [&] { return late.socket().state() == QAbstractSocket::UnconnectedState; }, kWaitMs));
        QCOMPARE(late.socket().error(), QAbstractSocket::ConnectionRefusedError);
        // The idle keep-alive connection is closed without an answer.
        QVERIFY(idle.waitClosed());
        QVERIFY(idle.unread().isEmpty());
        QCOMPARE(drained, 0);

        reading.send("[1, 2] }");
        const auto echoed = reading.answer();
        QVERIFY(echoed);
        QCOMPARE(echoed->status, 200);
        QCOMPARE(echoed->json()["echo"]["a"], nlohmann::json({1, 2}));
        QCOMPARE(echoed->headers.value("connection"), QByteArray("close"));
        QVERIFY(reading.waitClosed());
        QCOMPARE(drained, 0);

        held_->send(HttpResponse::json(200, {{"events", nlohmann::json::array()}}));
        const auto polled = polling.answer();
        QVERIFY(polled);
        QCOMPARE(polled->status, 200);
        QCOMPARE(polled->headers.value("connection"), QByteArray("close"));
        QVERIFY(polling.waitClosed());
        QVERIFY(QTest::qWaitFor([&] { return drained == 1; }, kWaitMs));
        QCOMPARE(server_->connectionCount(), 0);
    }

    void drainWithoutConnectionsIsDrainedAtOnce() {
        QVERIFY(startServer());
        int drained = 0;
        connect(server_.get(), &HttpServer::drained, this, [&drained] { ++drained; });
        server_->drain();
        QVERIFY(QTest::qWaitFor([&] { return drained == 1; }, kWaitMs));
    }

    void aStreamedBodyIsReadOnlyAsTheClientTakesIt() {
        QVERIFY(startServer());
        static constexpr qint64 kSize = qint64{32} << 20;
        PatternDevice* device = nullptr;
        server_->route("GET", "/api/v1/download", [&device](const HttpRequest&) {
            auto made = std::make_shared<PatternDevice>(kSize);
            device = made.get();
            return HttpResponse::streamed(200, made, kSize, "application/octet-stream");
        });
        RawClient client;
        // The client reads nothing until told, and Qt buffers little for it.
        client.socket().setReadBufferSize(64 * 1024);
        QVERIFY(client.connectTo(server_->port()));
        client.send(get("/api/v1/download"));
        QVERIFY(
            QTest::qWaitFor([&] { return device != nullptr && device->served() > 0; }, kWaitMs));
        // Whatever the pace: at most the sockets' buffers and a chunk ahead of the client, far
        // from the whole body.
        QTest::qWait(200);
        QVERIFY2(device->served() < kSize / 4, QByteArray::number(device->served()).constData());

        // Then the client takes it all, byte for byte, on a connection that stays usable.
        client.socket().setReadBufferSize(0);
        QByteArray head;
        qint64 received = 0;
        bool intact = true;
        QVERIFY(QTest::qWaitFor(
            [&] {
                QByteArray bytes = client.socket().readAll();
                if (head.isEmpty() || !head.endsWith("\r\n\r\n")) {
                    head += bytes;
                    const qsizetype end = head.indexOf("\r\n\r\n");
                    if (end < 0) {
                        return false;
                    }
                    bytes = head.mid(end + 4);
                    head.truncate(end + 4);
                }
                const char* data = bytes.constData();
                for (qsizetype i = 0; intact && i < bytes.size(); ++i) {
                    intact = data[i] == PatternDevice::byteAt(received + i);
                }
                received += bytes.size();
                return received >= kSize;
            },
            60000));
        QVERIFY(head.startsWith("HTTP/1.1 200"));
        QVERIFY(head.contains("Content-Length: " + QByteArray::number(kSize) + "\r\n"));
        QCOMPARE(received, kSize);
        QVERIFY(intact);
        client.send(get("/api/v1/nodes"));
        const auto next = client.answer();
        QVERIFY(next);
        QCOMPARE(next->status, 200);
    }

    void aStreamEndingEarlyAbortsTheConnection() {
        QVERIFY(startServer());
        server_->route("GET", "/api/v1/short", [](const HttpRequest&) {
            // Promises more than the device holds.
            return HttpResponse::streamed(200, std::make_shared<PatternDevice>(1000), 5000,
                                          "application/octet-stream");
        });
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        client.send(get("/api/v1/short"));
        QVERIFY(client.waitClosed());
        // Never a complete answer of the promised length.
        QVERIFY(!client.answer().has_value());
    }

    void droppedResponderAnswersInternal() {
        QVERIFY(startServer());
        const Answer answer = request("GET", "/api/v1/forgotten");
        QCOMPARE(answer.status, 500);
        QCOMPARE(answer.error(), QString("internal"));
    }

    void handlerExceptionAnswersInternalWithALoggedId() {
        QVERIFY(startServer());
        capturedLog().clear();
        const auto previous = qInstallMessageHandler(captureLog);
        const Answer answer = request("GET", "/api/v1/throw");
        qInstallMessageHandler(previous);

        QCOMPARE(answer.status, 500);
        QCOMPARE(answer.error(), QString("internal"));
        const QString id = QString::fromStdString(answer.json()["id"].get<std::string>());
        QVERIFY(!answer.body.contains("broken invariant"));
        const QString log = capturedLog().join('\n');
        QVERIFY2(log.contains(id) && log.contains("broken invariant"), qPrintable(log));
    }

    void tlsServesHttpsOnly() {
        HttpServerOptions options;
        options.tls_certificate = tls_dir_.filePath("cert.pem");
        options.tls_key = tls_dir_.filePath("key.pem");
        options.read_timeout = 1000ms;
        QVERIFY(startServer(options));
        QVERIFY(server_->isTls());

        RawClient secure(std::make_unique<QSslSocket>());
        QVERIFY(secure.connectEncryptedTo(server_->port()));
        secure.send(get("/api/v1/nodes/tls"));
        const auto answer = secure.answer();
        QVERIFY(answer);
        QCOMPARE(answer->status, 200);
        QCOMPARE(answer->json()["name"], "tls");

        RawClient plain;
        QVERIFY(plain.connectTo(server_->port()));
        plain.send(get("/api/v1/nodes"));
        QVERIFY(plain.waitClosed());
        QVERIFY(!plain.unread().startsWith("HTTP/"));
    }

    void tlsFilesThatCannotBeUsedAreClearErrors_data() {
        QTest::addColumn<QString>("certificate");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("expected");  // a part of the error
        const QString cert = tls_dir_.filePath("cert.pem");
        const QString key = tls_dir_.filePath("key.pem");
        const QString missing = tls_dir_.filePath("missing.pem");
        const QString garbage = tls_dir_.filePath("garbage.pem");
        QTest::newRow("certificate missing") << missing << key << missing;
        QTest::newRow("certificate not PEM") << garbage << key << "no PEM certificate";
        QTest::newRow("key missing") << cert << missing << missing;
        QTest::newRow("key not a key") << cert << cert << "no unencrypted RSA or EC private key";
        QTest::newRow("key without certificate") << QString() << key << "set together";
    }

    void tlsFilesThatCannotBeUsedAreClearErrors() {
        QFETCH(QString, certificate);
        QFETCH(QString, key);
        QFETCH(QString, expected);
        HttpServerOptions options;
        options.port = 0;
        options.tls_certificate = certificate;
        options.tls_key = key;
        HttpServer server(options);
        const auto status = server.listen();
        QVERIFY(!status.ok());
        QVERIFY2(QString::fromStdString(status.error().describe()).contains(expected),
                 status.error().describe().c_str());
        QVERIFY(!server.isListening());
    }

    void tokensNeverReachTheLog() {
        QLoggingCategory::setFilterRules(QStringLiteral("understudy.api.debug=true"));
        QVERIFY(startServer());
        capturedLog().clear();
        const auto previous = qInstallMessageHandler(captureLog);
        const QByteArray bearer = QByteArray("Bearer ") + kToken;
        QCOMPARE(request("POST", "/api/v1/nodes/erp/takeover", "{}", bearer).status, 200);
        QCOMPARE(request("POST", "/api/v1/nodes/erp/takeover", "{}", "Bearer wrong-7d1e").status,
                 401);
        QCOMPARE(request("GET", "/api/v1/throw", {}, bearer).status, 500);
        QCOMPARE(request("GET", "/api/v1/nowhere", {}, bearer).status, 404);
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        client.send("POST /api/v1/echo HTTP/1.1\r\nAuthorization: " + bearer +
                    "\r\nContent-Length: 99999999\r\n\r\n");
        QVERIFY(client.answer());
        qInstallMessageHandler(previous);
        QLoggingCategory::setFilterRules(QString());

        const QString log = capturedLog().join('\n');
        QVERIFY2(log.contains("/api/v1/nodes/erp/takeover -> 200"), qPrintable(log));
        QVERIFY(log.contains("-> 413"));
        QVERIFY2(!log.contains(kToken) && !log.contains("wrong-7d1e") &&
                     !log.contains("Bearer", Qt::CaseInsensitive),
                 qPrintable(log));
    }

    void handlersRunOnTheThreadTheServerLivesIn() {
        QThread thread;
        thread.start();
        HttpServerOptions options;
        options.port = 0;
        auto* server = new HttpServer(options);
        std::atomic<QThread*> seen = nullptr;
        server->route("GET", "/api/v1/where", [&seen](const HttpRequest&) {
            seen = QThread::currentThread();
            return HttpResponse::json(200, nlohmann::json::object());
        });
        server->moveToThread(&thread);
        quint16 port = 0;
        QMetaObject::invokeMethod(
            server, [&] { port = server->listen().ok() ? server->port() : 0; },
            Qt::BlockingQueuedConnection);
        QVERIFY(port != 0);

        QNetworkReply* reply = nam_.get(
            QNetworkRequest(QUrl(QStringLiteral("http://127.0.0.1:%1/api/v1/where").arg(port))));
        QVERIFY(QTest::qWaitFor([&] { return reply->isFinished(); }, kWaitMs));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QCOMPARE(seen.load(), &thread);
        reply->deleteLater();

        QMetaObject::invokeMethod(
            server, [server] { delete server; }, Qt::BlockingQueuedConnection);
        thread.quit();
        QVERIFY(thread.wait(kWaitMs));
    }

    void requestsAreCountedPerRouteAndStatusAndObserved() {
        QVERIFY(startServer());
        std::vector<RequestObservation> observed;
        server_->setLatencyObserver(
            [&](const RequestObservation& observation) { observed.push_back(observation); });
        QCOMPARE(request("GET", "/api/v1/nodes").status, 200);
        QCOMPARE(request("GET", "/api/v1/nodes").status, 200);
        QCOMPARE(request("GET", "/api/v1/nodes/a").status, 200);
        QCOMPARE(request("PUT", "/api/v1/nodes/a").status, 405);
        QCOMPARE(request("GET", "/api/v1/nowhere").status, 404);
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        client.send("POST /api/v1/echo HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n");
        QVERIFY(client.answer());

        const std::map<RequestKey, quint64> expected{
            {{"GET", "/api/v1/nodes", 200}, 2}, {{"GET", "/api/v1/nodes/{name}", 200}, 1},
            {{"PUT", "(unmatched)", 405}, 1},   {{"GET", "(unmatched)", 404}, 1},
            {{"POST", "(refused)", 413}, 1},
        };
        const auto counts = server_->requestCounts();
        QCOMPARE(counts.size(), expected.size());
        for (const auto& [key, count] : expected) {
            QVERIFY2(counts.count(key) == 1 && counts.at(key) == count,
                     qPrintable(key.method + ' ' + key.route));
        }
        QCOMPARE(observed.size(), std::size_t{6});
        for (const RequestObservation& observation : observed) {
            QVERIFY(observation.seconds >= 0.0);
            QVERIFY(counts.count(observation.key) == 1);
        }
    }
};

QTEST_GUILESS_MAIN(TestHttpServer)
#include "test_http_server.moc"

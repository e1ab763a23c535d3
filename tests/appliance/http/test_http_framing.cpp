// The HTTP/1.1 reader's framing rules (RFC 9112), pinned row by row: every hostile request is
// answered 400 (413, 414 or 431 where docs/http-api.md says so) with the connection closed, no
// handler runs, and a request pipelined behind it is never read; the tolerable variants the
// RFC allows are served.
#include <QtTest>

#include "appliance/http/http_server.h"
#include "tests/appliance/http/raw_client.h"

using namespace understudy::http;
using namespace understudy::http::testing;

namespace {

QByteArray post(const QByteArray& fields, const QByteArray& body = {}) {
    return "POST /api/v1/echo HTTP/1.1\r\nHost: 127.0.0.1\r\n" + fields + "\r\n" + body;
}

QByteArray chunked(const QByteArray& chunks) {
    return post("Transfer-Encoding: chunked\r\n", chunks);
}

QByteArray get(const QByteArray& fields) {
    return "GET /api/v1/nodes HTTP/1.1\r\nHost: 127.0.0.1\r\n" + fields + "\r\n";
}

// Sent right behind every hostile request that ends its head, in the same write and in a second
// one: a reader that lost its place in the stream would answer it.
const QByteArray kFollowUp = get("X-Follow-Up: 1\r\n");

}  // namespace

class TestHttpFraming : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<HttpServer> server_;
    int handled_ = 0;

    bool startServer() {
        HttpServerOptions options;
        options.address = QHostAddress::LocalHost;
        options.port = 0;
        server_ = std::make_unique<HttpServer>(options);
        server_->route("GET", "/api/v1/nodes", [this](const HttpRequest&) {
            ++handled_;
            return HttpResponse::json(200, {{"nodes", nlohmann::json::array()}});
        });
        server_->route("POST", "/api/v1/echo", [this](const HttpRequest& request) {
            ++handled_;
            return HttpResponse::json(200, {{"echo", request.body.toStdString()}});
        });
        return server_->listen().ok();
    }

private slots:
    void cleanup() {
        server_.reset();
        handled_ = 0;
    }

    void hostileRequestsAreRefusedAndNothingIsHandled_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("status");
        const QByteArray body = "{}";
        const QByteArray chunks = "2\r\n{}\r\n0\r\n\r\n";

        // Two framings, or one that two parsers could read differently (RFC 9112 6.1, 6.3).
        QTest::newRow("Content-Length with Transfer-Encoding")
            << post("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", body) << 400;
        QTest::newRow("Transfer-Encoding with Content-Length")
            << post("Transfer-Encoding: chunked\r\nContent-Length: 2\r\n", body) << 400;
        QTest::newRow("two different Content-Lengths")
            << post("Content-Length: 2\r\nContent-Length: 3\r\n", body) << 400;
        QTest::newRow("two lengths in one field") << post("Content-Length: 2, 3\r\n", body) << 400;
        QTest::newRow("length with a plus sign") << post("Content-Length: +2\r\n", body) << 400;
        QTest::newRow("negative length") << post("Content-Length: -2\r\n", body) << 400;
        QTest::newRow("length with a space inside") << post("Content-Length: 1 2\r\n", body) << 400;
        QTest::newRow("length in hex") << post("Content-Length: 0x2\r\n", body) << 400;
        QTest::newRow("empty length") << post("Content-Length: \r\n", body) << 400;
        QTest::newRow("length beyond 64 bits")
            << post("Content-Length: 184467440737095516160\r\n", body) << 413;
        QTest::newRow("gzip, chunked")
            << post("Transfer-Encoding: gzip, chunked\r\n", chunks) << 400;
        QTest::newRow("gzip alone") << post("Transfer-Encoding: gzip\r\n", chunks) << 400;
        QTest::newRow("identity") << post("Transfer-Encoding: identity\r\n", chunks) << 400;
        QTest::newRow("chunked twice")
            << post("Transfer-Encoding: chunked, chunked\r\n", chunks) << 400;
        QTest::newRow("chunked after a vertical tab")
            << post("Transfer-Encoding: " + QByteArray(1, '\v') + "chunked\r\n", chunks) << 400;
        QTest::newRow("Transfer-Encoding in HTTP/1.0")
            << QByteArray(
                   "POST /api/v1/echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "2\r\n{}\r\n0\r\n\r\n")
            << 400;

        // Chunks (RFC 9112 7.1).
        QTest::newRow("chunk size beyond 64 bits")
            << chunked("10000000000000002\r\n{}\r\n0\r\n\r\n") << 413;
        QTest::newRow("chunk size far beyond 64 bits")
            << chunked("ffffffffffffffffffffffffffffffff2\r\n{}\r\n0\r\n\r\n") << 413;
        QTest::newRow("chunk size with a sign") << chunked("+2\r\n{}\r\n0\r\n\r\n") << 400;
        QTest::newRow("chunk size in 0x form") << chunked("0x2\r\n{}\r\n0\r\n\r\n") << 400;
        QTest::newRow("chunk extension with a control character")
            << chunked("2;ext=\x01\r\n{}\r\n0\r\n\r\n") << 400;
        QTest::newRow("chunk extension with a bare CR")
            << chunked("2;ext\r0\r\n{}\r\n0\r\n\r\n") << 400;
        QTest::newRow("chunk extension with NUL")
            << chunked(QByteArray("2;ext=\0\r\n{}\r\n0\r\n\r\n", 17)) << 400;
        QTest::newRow("chunk data longer than its size")
            << chunked("2\r\n{}xx\r\n0\r\n\r\n") << 400;
        QTest::newRow("trailer without a colon")
            << chunked("2\r\n{}\r\n0\r\nnot a field\r\n\r\n") << 400;
        QTest::newRow("folded trailer") << chunked("2\r\n{}\r\n0\r\nX-T: a\r\n b\r\n\r\n") << 400;

        // Field lines (RFC 9112 2.2, 5; RFC 9110 5.5).
        QTest::newRow("bare CR after a length") << post("Content-Length: 2\r\r\n", body) << 400;
        QTest::newRow("bare CR before a length") << post("Content-Length: \r2\r\n", body) << 400;
        QTest::newRow("bare CR in a name") << get("X-A\rB: c\r\n") << 400;
        QTest::newRow("bare CR before a name") << post("\rContent-Length: 2\r\n", body) << 400;
        QTest::newRow("NUL in a name") << get(QByteArray("X-A\0B: c\r\n", 10)) << 400;
        // RFC 9110 5.5 lets a recipient replace CR, LF or NUL in a value with SP instead;
        // this reader refuses them (docs/http-api.md, "Limits").
        QTest::newRow("bare CR in a value") << get("X-Note: a\rb\r\n") << 400;
        QTest::newRow("NUL in a value") << get(QByteArray("X-Note: a\0b\r\n", 13)) << 400;
        QTest::newRow("DEL in a value")
            << get("X-Note: a" + QByteArray(1, '\x7f') + "b\r\n") << 400;
        QTest::newRow("obs-fold with a space") << get("X-Note: a\r\n b\r\n") << 400;
        QTest::newRow("obs-fold with a tab") << get("X-Note: a\r\n\tb\r\n") << 400;
        QTest::newRow("obs-fold of a length") << post("Content-Length:\r\n 2\r\n", body) << 400;
        QTest::newRow("space before the colon") << post("Content-Length : 2\r\n", body) << 400;
        QTest::newRow("tab before the colon") << post("Content-Length\t: 2\r\n", body) << 400;
        QTest::newRow("whitespace before the first field")
            << QByteArray("GET /api/v1/nodes HTTP/1.1\r\n Host: 127.0.0.1\r\n\r\n") << 400;
        QTest::newRow("no colon") << get("X-Note\r\n") << 400;
        QTest::newRow("empty name") << get(": value\r\n") << 400;
        QTest::newRow("two Host fields") << get("Host: evil.example\r\n") << 400;

        // The request line (RFC 9112 3).
        QTest::newRow("absolute-form naming another host")
            << QByteArray(
                   "GET http://evil.example/api/v1/nodes HTTP/1.1\r\n"
                   "Host: 127.0.0.1\r\n\r\n")
            << 400;
        QTest::newRow("absolute-form naming this host")
            << QByteArray("GET http://127.0.0.1/api/v1/nodes HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            << 400;
        QTest::newRow("asterisk-form")
            << QByteArray("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n") << 400;
        QTest::newRow("control character in the target")
            << "GET /api/v1/no" + QByteArray(1, '\x01') + "des HTTP/1.1\r\nHost: x\r\n\r\n"
            << 400;
        // An HTTP/0.9 client sends one line and waits, an HTTP/2 client its preface's first line
        // and then frames: they are told at once, not after the read timeout.
        QTest::newRow("HTTP/0.9") << QByteArray("GET /api/v1/nodes\r\n") << 400;
        QTest::newRow("HTTP/2 preface's first line") << QByteArray("PRI * HTTP/2.0\r\n") << 400;
        QTest::newRow("absolute-form line")
            << QByteArray("GET http://evil.example/ HTTP/1.1\r\n") << 400;
        QTest::newRow("HTTP/2 preface") << QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") << 400;
        QTest::newRow("HTTP/2.0 request line")
            << QByteArray("GET /api/v1/nodes HTTP/2.0\r\nHost: x\r\n\r\n") << 400;
        QTest::newRow("lower-case version")
            << QByteArray("GET /api/v1/nodes http/1.1\r\nHost: x\r\n\r\n") << 400;
        QTest::newRow("one word") << QByteArray("HELLO\r\n\r\n") << 400;
        QTest::newRow("two spaces") << QByteArray("GET  /api/v1/nodes HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("bare CR ending the request line")
            << QByteArray("GET /api/v1/nodes HTTP/1.1\rHost: x\r\n\r\n") << 400;
        QTest::newRow("bare CR before the request line")
            << QByteArray("\rGET /api/v1/nodes HTTP/1.1\r\nHost: x\r\n\r\n") << 400;

        // Limits (docs/http-api.md, "Limits").
        QTest::newRow("body above the limit") << post("Content-Length: 1048577\r\n") << 413;
        QTest::newRow("request line above 8 KiB")
            << "GET /" + QByteArray(8200, 'a') + " HTTP/1.1\r\n\r\n"
            << 414;
        QTest::newRow("header section above 32 KiB")
            << get("X-Big: " + QByteArray(33 * 1024, 'b') + "\r\n") << 431;
    }

    void hostileRequestsAreRefusedAndNothingIsHandled() {
        QFETCH(QByteArray, bytes);
        QFETCH(int, status);
        static const QHash<int, QString> codes{{400, QStringLiteral("bad_request")},
                                               {413, QStringLiteral("payload_too_large")},
                                               {414, QStringLiteral("uri_too_long")},
                                               {431, QStringLiteral("headers_too_large")}};
        QVERIFY(startServer());
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        // A request that never ends its head must be judged on what it sent: no follow-up.
        if (bytes.contains("\r\n\r\n")) {
            client.send(bytes + kFollowUp);
            client.send(kFollowUp);
        } else {
            client.send(bytes);
        }

        const auto answer = client.answer();
        QVERIFY(answer);
        QCOMPARE(answer->status, status);
        QCOMPARE(answer->error(), codes.value(status));
        QCOMPARE(answer->headers.value("connection"), QByteArray("close"));
        QVERIFY(client.waitClosed());
        QCOMPARE(client.unread(), QByteArray());  // one answer, none for the follow-ups
        QCOMPARE(handled_, 0);
        const auto counts = server_->requestCounts();
        QCOMPARE(counts.size(), std::size_t{1});
        QCOMPARE(counts.begin()->first.route, QStringLiteral("(refused)"));
        QCOMPARE(counts.begin()->second, quint64{1});
    }

    // What RFC 9112 lets a recipient accept, so that the table above cannot pass by refusing
    // everything.
    void tolerableVariantsAreServed_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QByteArray>("body");  // what the handler must see
        const QByteArray body = "{}";

        QTest::newRow("the same length twice")
            << post("Content-Length: 2\r\nContent-Length: 2\r\n", body) << body;
        QTest::newRow("the same length twice in one field")
            << post("Content-Length: 2, 2\r\n", body) << body;
        QTest::newRow("length with leading zeros")
            << post("Content-Length: 0002\r\n", body) << body;
        QTest::newRow("chunked in capitals")
            << post("Transfer-Encoding: CHUNKED\r\n", "2\r\n{}\r\n0\r\n\r\n") << body;
        QTest::newRow("chunk size with leading zeros")
            << chunked("000000000000000000002\r\n{}\r\n0\r\n\r\n") << body;
        QTest::newRow("chunk extensions")
            << chunked("1;name=value;quoted=\"a b\"\r\n{\r\n1;flag\r\n}\r\n0\r\n\r\n") << body;
        QTest::newRow("trailer fields") << chunked("2\r\n{}\r\n0\r\nX-Sum: 1\r\n\r\n") << body;
        QTest::newRow("tab and obs-text in a value")
            << post("Content-Length: 2\r\nX-Note:\tcaf\xc3\xa9\t\r\n", body) << body;
        QTest::newRow("bare LF line ends")
            << QByteArray("POST /api/v1/echo HTTP/1.1\nContent-Length: 2\n\n{}") << body;
        QTest::newRow("empty lines before the request line")
            << "\r\n\n\r\n" + post({}) << QByteArray();
    }

    void tolerableVariantsAreServed() {
        QFETCH(QByteArray, bytes);
        QFETCH(QByteArray, body);
        QVERIFY(startServer());
        RawClient client;
        QVERIFY(client.connectTo(server_->port()));
        // And a request behind it, which the reader finds only if it kept its place.
        client.send(bytes + kFollowUp);
        const auto echoed = client.answer();
        const auto followed = client.answer();
        QVERIFY(echoed && followed);
        QCOMPARE(echoed->status, 200);
        QCOMPARE(QByteArray::fromStdString(echoed->json()["echo"].get<std::string>()), body);
        QCOMPARE(followed->status, 200);
        QCOMPARE(handled_, 2);
    }
};

QTEST_GUILESS_MAIN(TestHttpFraming)
#include "test_http_framing.moc"

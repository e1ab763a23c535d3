// The API server's HTTP/1.1 reader, driven from bytes: each input is what one client sends on
// one connection (any number of requests, then end of input). The connection is a socketpair
// handed to HttpConnection as the server's accept would hand a TCP socket, so the whole path
// runs: request line, headers, Content-Length and chunked bodies, limits (413, 414, 431),
// keep-alive, routing with captures, deferred answers, a throwing handler, and the lingering
// close after a refusal. The server must answer or close and then tear the connection down;
// a connection still open long after the input ended is a hang and aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QTcpSocket>
#include <QTimer>

#include <sys/socket.h>
#include <unistd.h>

#include "appliance/http/http_connection.h"
#include "appliance/http/http_server.h"

namespace {

using namespace understudy::http;

constexpr qint64 kMaxBody = 2048;
constexpr int kHangMs = 8000;

HttpServerOptions options() {
    HttpServerOptions made;
    made.max_body_bytes = kMaxBody;
    made.max_request_line_bytes = 512;
    made.max_header_bytes = 1024;
    made.max_header_count = 16;
    made.read_timeout = std::chrono::milliseconds(2000);
    return made;
}

struct Harness {
    int argc = 1;
    char name[16] = "fuzz_http";
    char* argv[2] = {name, nullptr};
    QCoreApplication application{argc, argv};
    HttpServer server{options()};

    Harness() {
        QLoggingCategory::setFilterRules(QStringLiteral("*=false"));
        server.route("GET", QStringLiteral("/api/v1/health"), [](const HttpRequest&) {
            return HttpResponse::json(200, {{"status", "ok"}});
        });
        server.route("GET", QStringLiteral("/api/v1/nodes/{name}"), [](const HttpRequest& r) {
            nlohmann::json query = nlohmann::json::array();
            for (const auto& [key, value] : r.query) {
                query.push_back({key.toStdString(), value.toStdString()});
            }
            return HttpResponse::json(200,
                                      {{"name", r.capture(QStringLiteral("name")).toStdString()},
                                       {"path", r.path.toStdString()},
                                       {"query", query},
                                       {"token", !r.bearerToken().isEmpty()}})
                .withHeader("X-Echo", r.header("x-echo"));
        });
        server.route("POST", QStringLiteral("/api/v1/clusters"), [](const HttpRequest& r) {
            JsonBody body = parseJsonBody(r);
            return body.ok() ? HttpResponse::json(201, body.document()) : body.refusal();
        });
        server.route("PUT", QStringLiteral("/api/v1/clusters/{name}"),
                     [](const HttpRequest&) -> HttpResponse {
                         throw std::runtime_error("a handler's bug");
                     });
        // Answered from the event loop, like a takeover finishing on a worker.
        server.routeDeferred("POST", QStringLiteral("/api/v1/nodes/{name}/takeover"),
                             [](const HttpRequest&, Responder responder) {
                                 QTimer::singleShot(0, [responder] {
                                     responder.send(HttpResponse::json(200, {{"granted", true}}));
                                 });
                             });
        // A long-poll that the client's end of input may cut short.
        server.routeDeferred("GET", QStringLiteral("/api/v1/events"),
                             [](const HttpRequest&, Responder responder) {
                                 responder.whenClientGone([] {});
                                 QTimer::singleShot(1, [responder] {
                                     responder.send(HttpResponse::json(200, {{"events", {}}}));
                                 });
                             });
        // Dropped unanswered: the responder itself must answer 500.
        server.routeDeferred("DELETE", QStringLiteral("/api/v1/nodes/{name}"),
                             [](const HttpRequest&, Responder) {});
    }
};

Harness& harness() {
    static Harness* made = new Harness;
    return *made;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Harness& h = harness();
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
        std::perror("socketpair");
        std::abort();
    }
    // The client's bytes go in whole before the server reads: a socketpair buffers far more
    // than -max_len, so a blocking write cannot stall.
    for (std::size_t written = 0; written < size;) {
        const ssize_t n = ::write(ends[1], data + written, size - written);
        if (n <= 0) {
            std::perror("write");
            std::abort();
        }
        written += static_cast<std::size_t>(n);
    }
    ::shutdown(ends[1], SHUT_WR);

    auto* socket = new QTcpSocket;
    if (!socket->setSocketDescriptor(ends[0])) {
        std::fprintf(stderr, "QTcpSocket refused the socketpair: %s\n",
                     qPrintable(socket->errorString()));
        std::abort();
    }
    const int open_before = h.server.connectionCount();
    new HttpConnection(socket, &h.server);

    bool client_saw_end = false;
    QSocketNotifier notifier(ends[1], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
        char answer[4096];
        const ssize_t n = ::read(ends[1], answer, sizeof answer);
        if (n <= 0) {
            client_saw_end = true;
            notifier.setEnabled(false);
        }
    });
    QElapsedTimer clock;
    clock.start();
    QTimer wake;
    wake.start(5);
    while (!client_saw_end || h.server.connectionCount() >= open_before) {
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        if (clock.elapsed() > kHangMs) {
            std::fprintf(stderr,
                         "the connection was neither closed nor torn down %d ms after the "
                         "client's input ended\n",
                         kHangMs);
            std::abort();
        }
    }
    ::close(ends[1]);
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    return 0;
}

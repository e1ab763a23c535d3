// The HTTP/1.1 server under the service's API: routing, limits, deferred answers, TLS and the
// hooks for logs and metrics, so that API endpoints are thin handlers.
//
// Why a small HTTP/1.1 reader of our own over QTcpServer/QSslServer instead of QHttpServer or
// QAbstractHttpServer (Qt 6.4, read from its source; see docs/platform-notes.md, "Qt 6.4"):
// - QAbstractHttpServer owns the socket's readyRead and buffers the whole body before any
//   handler runs, with no size limit. A reader in front could check the first request's head,
//   but on a keep-alive connection every later request is parsed by Qt's parser, which has
//   consumed the bytes by then: enforcing 413 before the body, 414, a header bound and a read
//   timeout on those requests would mean running a second parser in parallel anyway.
// - It has no timeouts at all, so a slow client (slowloris) holds a connection forever.
// - QHttpServerResponder keeps a raw QTcpSocket pointer (and a reference to the request), so
//   a long-poll answered after the client disconnected writes through a dangling pointer.
// - It does not close the connection on `Connection: close`.
// What remains of QHttpServer once those are fixed is the routing and the responder, which
// are the parts this API needs differently (`{name}` captures, JSON error shape, deferred
// answers). The parser here is small because the API needs little: request line, headers,
// Content-Length or chunked bodies, keep-alive, `Expect: 100-continue`; no pipelining (a
// client that sends more than one request head's worth while its answer is pending is
// disconnected), no other transfer codings, no upgrades. Qt's network types are used as they
// are: QTcpServer/QSslServer, QTcpSocket/QSslSocket, QSslConfiguration, QUrlQuery.
//
// Decisions where the contract is silent:
// - The read timeout runs from the moment the server waits for a request (after accepting,
//   or after answering the previous one on a keep-alive connection) until the whole request
//   is read, so idle keep-alive connections are closed after it too. It stops while a handler
//   works or a long-poll waits. On expiry the connection is closed without an answer.
// - Limits refused before routing (413, 414, 431, 400 for broken HTTP) close the connection, since
//   the rest of the request cannot be skipped reliably. The close is a lingering one: FIN after the
//   answer, then whatever the client still sends is dropped unparsed, never buffered, until it
//   closes, the read timeout ends or 4 bodies' worth went by (then a reset). Closing at once would
//   reset the connection over unread input, and clients that answer only after their upload
//   (QNetworkAccessManager) would see an error, not the 413. 431 `headers_too_large` and 400
//   `bad_request` are codes of this layer (docs/http-api.md, "Errors").
// - Request line limit: 8 KiB including method and version (docs/http-api.md, "Limits"); header
//   section: 32 KiB and 100 fields by default.
// - `Host` is not required: the API serves one host and tools talk to it raw.
#pragma once

#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QString>
#include <chrono>
#include <functional>
#include <map>

#include "appliance/http/api_log.h"
#include "appliance/http/http_request.h"
#include "appliance/http/http_response.h"
#include "appliance/http/responder.h"
#include "appliance/http/router.h"
#include "base/result.h"

class QTcpServer;

namespace understudy::http {

class HttpConnection;

struct HttpServerOptions {
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 8470;  // 0: a free port, see HttpServer::port()
    qint64 max_body_bytes = qint64{1} << 20;
    int max_request_line_bytes = 8 * 1024;
    int max_header_bytes = 32 * 1024;  // the header fields after the request line
    int max_header_count = 100;
    std::chrono::milliseconds read_timeout{10000};  // whole header and body
    int max_connections = 1024;                     // further clients are closed at accept
    // Both set: HTTPS only. PEM files; the key is RSA or EC, unencrypted.
    QString tls_certificate;
    QString tls_key;
};

// One counted outcome: the route template ("/api/v1/nodes/{name}") or, for requests that
// matched no route, "(unmatched)", and for requests refused before routing, "(refused)".
struct RequestKey {
    QByteArray method;
    QString route;
    int status = 0;
    friend bool operator<(const RequestKey& a, const RequestKey& b);
};

struct RequestObservation {
    RequestKey key;
    double seconds = 0;  // from the request's first byte to its answer being written
};

// Serves from the event loop of the thread it lives in: create it there (or moveToThread it
// before listen()) and call listen(), close() and the Responders there. Register every route
// before listen().
class HttpServer : public QObject {
    Q_OBJECT

public:
    using Handler = std::function<HttpResponse(const HttpRequest&)>;
    using DeferredHandler = Router::Handler;  // void(const HttpRequest&, Responder)

    explicit HttpServer(HttpServerOptions options, QObject* parent = nullptr);
    ~HttpServer() override;

    // Handlers run on this object's thread. An exception escaping a handler answers 500
    // `internal` with a logged correlation id.
    void route(const QByteArray& method, const QString& pattern, Handler handler);
    // The handler answers through the Responder now or later (long-polling).
    void routeDeferred(const QByteArray& method, const QString& pattern, DeferredHandler handler);

    // Binds and listens; with TLS configured, loads the certificate and key first.
    Status listen();
    // Stops listening and closes every connection (pending responders become no-ops).
    void close();
    // Graceful shutdown: stops listening at once (new connections are refused), closes idle
    // keep-alive connections, and lets every connection with a request in flight (being read,
    // handled or held as a long-poll) finish it; its answer then closes the connection.
    // drained() follows once no connection is left (at once when none is open).
    void drain();
    bool isDraining() const { return draining_; }
    bool isListening() const;
    quint16 port() const;
    bool isTls() const { return tls_; }
    int connectionCount() const { return connections_; }
    const HttpServerOptions& options() const { return options_; }

    std::map<RequestKey, quint64> requestCounts() const { return counts_; }
    // Called for every answered request (after the answer is written to the socket).
    void setLatencyObserver(std::function<void(const RequestObservation&)> observer);

    // Reads a PEM certificate and private key into a server configuration; errors name the
    // file and what to fix (for the config check at start-up too).
    static Result<QSslConfiguration> loadTlsConfiguration(const QString& certificate_file,
                                                          const QString& key_file);

signals:
    // While draining, the last connection has closed (its answer written out).
    void drained();

private:
    friend class HttpConnection;
    void acceptConnections();
    void dispatch(HttpConnection* connection, HttpRequest request, const Responder& responder);
    void finished(const QByteArray& method, const QString& path, const QString& route,
                  const QHostAddress& peer, const HttpResponse& response, double seconds);
    void connectionClosed(int closed = 1);
    void stopListening();

    HttpServerOptions options_;
    Router router_;
    QPointer<QTcpServer> listener_;
    bool tls_ = false;
    bool draining_ = false;
    int connections_ = 0;
    std::map<RequestKey, quint64> counts_;
    std::function<void(const RequestObservation&)> observer_;
};

}  // namespace understudy::http

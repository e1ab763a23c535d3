#include "appliance/http/http_server.h"

#include <QDateTime>
#include <QFile>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <tuple>

#include "appliance/http/http_connection.h"
#include "base/error_codes.h"

namespace understudy::http {

bool operator<(const RequestKey& a, const RequestKey& b) {
    return std::tie(a.method, a.route, a.status) < std::tie(b.method, b.route, b.status);
}

HttpServer::HttpServer(HttpServerOptions options, QObject* parent)
    : QObject(parent), options_(std::move(options)) {}

HttpServer::~HttpServer() {
    close();
    // Connections are our children; delete them now, while this object is still whole.
    qDeleteAll(findChildren<HttpConnection*>(Qt::FindDirectChildrenOnly));
}

void HttpServer::route(const QByteArray& method, const QString& pattern, Handler handler) {
    router_.add(
        method, pattern,
        [handler = std::move(handler)](const HttpRequest& request, const Responder& responder) {
            responder.send(handler(request));
        });
}

void HttpServer::routeDeferred(const QByteArray& method, const QString& pattern,
                               DeferredHandler handler) {
    router_.add(method, pattern, std::move(handler));
}

void HttpServer::setLatencyObserver(std::function<void(const RequestObservation&)> observer) {
    observer_ = std::move(observer);
}

bool HttpServer::isListening() const {
    return listener_ && listener_->isListening();
}

quint16 HttpServer::port() const {
    return listener_ ? listener_->serverPort() : 0;
}

Status HttpServer::listen() {
    if (listener_) {
        return Error{"http", "the API server is already listening; close it first", ""};
    }
    const bool certificate = !options_.tls_certificate.isEmpty();
    const bool key = !options_.tls_key.isEmpty();
    if (certificate != key) {
        return Error{"config",
                     "tls_certificate and tls_key must be set together (both for HTTPS, "
                     "neither for HTTP); set the missing one",
                     ""};
    }
    if (certificate) {
        auto configuration = loadTlsConfiguration(options_.tls_certificate, options_.tls_key);
        if (!configuration) {
            return configuration.error();
        }
        auto* server = new QSslServer(this);
        server->setSslConfiguration(*configuration);
        server->setHandshakeTimeout(static_cast<int>(options_.read_timeout.count()));
        connect(server, &QSslServer::errorOccurred, this,
                [](QSslSocket* socket, QAbstractSocket::SocketError) {
                    qCDebug(lcApi).noquote()
                        << "TLS connection from" << socket->peerAddress().toString()
                        << "failed:" << socket->errorString();
                });
        listener_ = server;
        tls_ = true;
    } else {
        listener_ = new QTcpServer(this);
        tls_ = false;
    }
    connect(listener_, &QTcpServer::pendingConnectionAvailable, this,
            &HttpServer::acceptConnections);
    if (!listener_->listen(options_.address, options_.port)) {
        const QString reason = listener_->errorString();
        delete listener_.data();
        return Error{errc::kIo,
                     QStringLiteral("cannot listen on %1:%2: %3; choose a free address and "
                                    "port in `listen`")
                         .arg(options_.address.toString())
                         .arg(options_.port)
                         .arg(reason)
                         .toStdString(),
                     ""};
    }
    qCInfo(lcApi).noquote() << QStringLiteral("API listening on %1://%2:%3")
                                   .arg(tls_ ? "https" : "http", options_.address.toString())
                                   .arg(port());
    return Done{};
}

void HttpServer::stopListening() {
    if (listener_) {
        listener_->close();
        delete listener_.data();
    }
}

void HttpServer::close() {
    stopListening();
    for (HttpConnection* connection : findChildren<HttpConnection*>(Qt::FindDirectChildrenOnly)) {
        connection->abort();
    }
}

void HttpServer::drain() {
    const bool listening = isListening();
    draining_ = true;
    stopListening();
    if (listening) {
        qCInfo(lcApi).noquote() << "stopped listening; finishing the requests of" << connections_
                                << "open connection(s)";
    }
    for (HttpConnection* connection : findChildren<HttpConnection*>(Qt::FindDirectChildrenOnly)) {
        connection->drain();
    }
    connectionClosed(0);
}

void HttpServer::connectionClosed(int closed) {
    connections_ -= closed;
    if (draining_ && connections_ == 0) {
        // Queued: the last connection is still tearing itself down, and a listener may delete
        // this server.
        QMetaObject::invokeMethod(
            this,
            [this] {
                if (connections_ == 0) {
                    emit drained();
                }
            },
            Qt::QueuedConnection);
    }
}

void HttpServer::acceptConnections() {
    while (listener_ && listener_->hasPendingConnections()) {
        QTcpSocket* socket = listener_->nextPendingConnection();
        if (connections_ >= options_.max_connections) {
            qCWarning(lcApi).noquote()
                << "refused a connection from" << socket->peerAddress().toString() << ":"
                << connections_ << "connections are open (the limit)";
            socket->abort();
            socket->deleteLater();
            continue;
        }
        ++connections_;
        new HttpConnection(socket, this);
    }
}

void HttpServer::dispatch(HttpConnection* connection, HttpRequest request,
                          const Responder& responder) {
    Router::Match match = router_.match(request.method, request.raw_path);
    if (match.handler == nullptr) {
        connection->pending_.route = QStringLiteral("(unmatched)");
        if (match.allowed.isEmpty()) {
            responder.send(errors::notFound(
                QStringLiteral("There is no %1; check the path (the API is under /api/v1, "
                               "described at /api/v1/openapi.json).")
                    .arg(request.path)));
        } else {
            responder.send(errors::methodNotAllowed(request.method, match.allowed));
        }
        return;
    }
    connection->pending_.route = match.pattern;
    request.route = match.pattern;
    request.captures = std::move(match.captures);
    // The outermost boundary of a request: a handler's exception is a bug, answered as such.
    try {
        (*match.handler)(request, responder);
    } catch (const std::exception& error) {
        responder.send(errors::internal(QStringLiteral("%1 %2 threw: %3")
                                            .arg(QString::fromLatin1(request.method), request.route,
                                                 QString::fromUtf8(error.what()))));
    } catch (...) {
        responder.send(
            errors::internal(QStringLiteral("%1 %2 threw a non-standard exception")
                                 .arg(QString::fromLatin1(request.method), request.route)));
    }
}

void HttpServer::finished(const QByteArray& method, const QString& path, const QString& route,
                          const QHostAddress& peer, const HttpResponse& response, double seconds) {
    const RequestKey key{method, route, response.status};
    ++counts_[key];
    // The path and status only: headers (Authorization), query values and bodies are never
    // logged, so no token can reach the log.
    const QString line =
        QStringLiteral("%1 %2 -> %3%4 in %5 ms from %6")
            .arg(method.isEmpty() ? QStringLiteral("-") : QString::fromLatin1(method),
                 path.isEmpty() ? QStringLiteral("-") : path)
            .arg(response.status)
            .arg(response.error.isEmpty() ? QString() : ' ' + response.error)
            .arg(seconds * 1000.0, 0, 'f', 1)
            .arg(peer.toString());
    if (response.status >= 500) {
        qCWarning(lcApi).noquote() << line;
    } else if (response.status >= 400) {
        qCInfo(lcApi).noquote() << line;
    } else {
        qCDebug(lcApi).noquote() << line;
    }
    if (observer_) {
        observer_(RequestObservation{key, seconds});
    }
}

Result<QSslConfiguration> HttpServer::loadTlsConfiguration(const QString& certificate_file,
                                                           const QString& key_file) {
    if (!QSslSocket::supportsSsl()) {
        return Error{"tls",
                     "TLS is not available: Qt found no TLS backend; install libssl3 or leave "
                     "tls_certificate and tls_key empty",
                     ""};
    }
    QFile certificate_input(certificate_file);
    if (!certificate_input.open(QIODevice::ReadOnly)) {
        return Error{"tls",
                     QStringLiteral("cannot read the TLS certificate: %1; check "
                                    "tls_certificate in [service]")
                         .arg(certificate_input.errorString())
                         .toStdString(),
                     certificate_file.toStdString()};
    }
    const QList<QSslCertificate> chain =
        QSslCertificate::fromData(certificate_input.readAll(), QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull()) {
        return Error{"tls",
                     "holds no PEM certificate (-----BEGIN CERTIFICATE-----); tls_certificate "
                     "must name the server's certificate in PEM, chain after it",
                     certificate_file.toStdString()};
    }
    if (chain.first().expiryDate() < QDateTime::currentDateTimeUtc()) {
        qCWarning(lcApi).noquote() << "the TLS certificate" << certificate_file << "expired on"
                                   << chain.first().expiryDate().toString(Qt::ISODate)
                                   << "; clients will refuse it until it is renewed";
    }
    QFile key_input(key_file);
    if (!key_input.open(QIODevice::ReadOnly)) {
        return Error{"tls",
                     QStringLiteral("cannot read the TLS private key: %1; check tls_key in "
                                    "[service]")
                         .arg(key_input.errorString())
                         .toStdString(),
                     key_file.toStdString()};
    }
    const QByteArray key_pem = key_input.readAll();
    QSslKey key(key_pem, QSsl::Rsa, QSsl::Pem, QSsl::PrivateKey);
    if (key.isNull()) {
        key = QSslKey(key_pem, QSsl::Ec, QSsl::Pem, QSsl::PrivateKey);
    }
    if (key.isNull()) {
        return Error{"tls",
                     "holds no unencrypted RSA or EC private key in PEM; tls_key must name the "
                     "key of tls_certificate, without a passphrase",
                     key_file.toStdString()};
    }
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(key);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    return configuration;
}

}  // namespace understudy::http

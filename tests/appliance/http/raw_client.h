// A raw-socket HTTP client for the HTTP server's tests: sends exactly the bytes a test needs
// (malformed, slow, oversized) and reads answers as they arrive.
#pragma once

#include <QHash>
#include <QHostAddress>
#include <QTcpSocket>
#include <QTest>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

namespace understudy::http::testing {

// An upper bound for anything to happen; a passing run never waits this long.
constexpr int kWaitMs = 10000;
struct Answer {
    int status = 0;
    QHash<QByteArray, QByteArray> headers;  // lower-case names
    QByteArray body;                        // exactly Content-Length bytes

    nlohmann::json json() const {
        return nlohmann::json::parse(body.toStdString(), nullptr, false);
    }
    QString error() const {
        const nlohmann::json document = json();
        return document.is_object() && document.contains("error")
                   ? QString::fromStdString(document["error"].get<std::string>())
                   : QString();
    }
};

class RawClient {
public:
    explicit RawClient(std::unique_ptr<QTcpSocket> socket = std::make_unique<QTcpSocket>())
        : socket_(std::move(socket)) {}

    bool connectTo(quint16 port) {
        socket_->connectToHost(QHostAddress::LocalHost, port);
        return QTest::qWaitFor([&] { return socket_->state() == QAbstractSocket::ConnectedState; },
                               kWaitMs);
    }
    bool connectEncryptedTo(quint16 port) {
        auto* ssl = qobject_cast<QSslSocket*>(socket_.get());
        ssl->setPeerVerifyMode(QSslSocket::VerifyNone);
        ssl->connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
        return QTest::qWaitFor([&] { return ssl->isEncrypted(); }, kWaitMs);
    }
    void send(const QByteArray& bytes) {
        socket_->write(bytes);
        socket_->flush();
    }
    bool isConnected() const { return socket_->state() == QAbstractSocket::ConnectedState; }
    QTcpSocket& socket() { return *socket_; }
    const QByteArray& unread() {
        pull();
        return buffer_;
    }

    // The next complete answer; nullopt when the connection ends first (or the bound passes).
    std::optional<Answer> answer() {
        std::optional<Answer> result;
        static_cast<void>(QTest::qWaitFor(
            [&] {
                pull();
                result = parse();
                return result.has_value() || socket_->state() == QAbstractSocket::UnconnectedState;
            },
            kWaitMs));
        if (!result) {
            pull();
            result = parse();
        }
        return result;
    }

    bool waitClosed() {
        return QTest::qWaitFor(
            [&] {
                pull();
                return socket_->state() == QAbstractSocket::UnconnectedState;
            },
            kWaitMs);
    }

private:
    void pull() { buffer_ += socket_->readAll(); }

    std::optional<Answer> parse() {
        const qsizetype end = buffer_.indexOf("\r\n\r\n");
        if (end < 0) {
            return std::nullopt;
        }
        Answer answer;
        const QList<QByteArray> lines = buffer_.left(end).split('\n');
        answer.status = lines.first().split(' ').value(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines[i].trimmed();
            const qsizetype colon = line.indexOf(':');
            answer.headers.insert(line.left(colon).toLower(), line.mid(colon + 1).trimmed());
        }
        const qsizetype length = answer.headers.value("content-length", "0").toLongLong();
        if (buffer_.size() < end + 4 + length) {
            return std::nullopt;
        }
        answer.body = buffer_.mid(end + 4, length);
        buffer_.remove(0, end + 4 + length);
        return answer;
    }

    std::unique_ptr<QTcpSocket> socket_;
    QByteArray buffer_;
};

}  // namespace understudy::http::testing

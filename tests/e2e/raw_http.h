// Raw HTTP/1.1 over a QTcpSocket for tests that must send exact bytes (no client-side
// normalisation of the path, lying framing) or read the answer's headers.
#pragma once

#include <QElapsedTimer>
#include <QHostAddress>
#include <QTcpSocket>

namespace understudy::e2e {

struct RawAnswer {
    int status = 0;  // 0: closed or timed out without an answer
    QByteArray head;
    QByteArray body;
    QByteArray header(const QByteArray& name) const {
        for (const QByteArray& line : head.split('\n')) {
            if (line.toLower().startsWith(name.toLower() + ':')) {
                return line.mid(name.size() + 1).trimmed();
            }
        }
        return {};
    }
};

// Sends `bytes` as they are and reads one answer; from the address `from` when given (any of
// 127.0.0.0/8 reaches the service on 127.0.0.1 under Linux), so that a test can be several clients
// to the per-address limit of failed authentications.
inline RawAnswer rawRequest(quint16 port, const QByteArray& bytes, int timeout_ms = 20000,
                            const QHostAddress& from = QHostAddress()) {
    QTcpSocket socket;
    if (!from.isNull() && !socket.bind(from)) {
        return {};
    }
    socket.connectToHost(QHostAddress::LocalHost, port);
    RawAnswer answer;
    if (!socket.waitForConnected(5000)) {
        return answer;
    }
    socket.write(bytes);
    QByteArray got;
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < timeout_ms) {
        if (socket.bytesToWrite() > 0) {
            socket.waitForBytesWritten(50);
        }
        socket.waitForReadyRead(50);
        got += socket.readAll();
        const qsizetype end = got.indexOf("\r\n\r\n");
        if (end >= 0) {
            answer.head = got.left(end);
            const qint64 length = answer.header("content-length").toLongLong();
            if (got.size() - end - 4 >= length) {
                answer.body = got.mid(end + 4, length);
                answer.status = answer.head.mid(9, 3).toInt();
                return answer;
            }
        }
        if (socket.state() == QAbstractSocket::UnconnectedState && socket.bytesAvailable() == 0) {
            break;
        }
    }
    return answer;
}

inline QByteArray rawRequestBytes(const QByteArray& method, const QByteArray& target,
                                  const QByteArray& token, const QByteArray& body) {
    QByteArray request = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!token.isEmpty()) {
        request += "Authorization: Bearer " + token + "\r\n";
    }
    if (!body.isEmpty()) {
        request +=
            "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
            "\r\n";
    }
    return request + "\r\n" + body;
}

inline QByteArray rawGet(const QByteArray& target, const QByteArray& token) {
    return rawRequestBytes("GET", target, token, {});
}

inline QByteArray rawPost(const QByteArray& target, const QByteArray& token,
                          const QByteArray& body) {
    return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
           "\r\nContent-Type: application/json\r\nContent-Length: " +
           QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

}  // namespace understudy::e2e

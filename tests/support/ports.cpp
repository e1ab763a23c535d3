#include "tests/support/ports.h"

#include <QTcpServer>

namespace understudy::testsupport {

namespace {

quint16 boundAndReleased() {
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0)) {
        qFatal("cannot bind a loopback port");
    }
    return probe.serverPort();
}

}  // namespace

quint16 freePort() {
    return boundAndReleased();
}

quint16 closedPort() {
    return boundAndReleased();
}

QString loopbackUrl(quint16 port) {
    return QStringLiteral("http://127.0.0.1:%1").arg(port);
}

}  // namespace understudy::testsupport

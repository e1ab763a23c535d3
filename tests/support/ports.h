// Loopback ports for tests that start servers or need a connection to fail.
#pragma once

#include <QString>

namespace understudy::testsupport {

// A port free on 127.0.0.1 a moment ago: bound once and released, for a server to listen on.
quint16 freePort();

// A port nothing listens on: bound once, then closed, so a connection to it is refused.
quint16 closedPort();

// http://127.0.0.1:PORT
QString loopbackUrl(quint16 port);

}  // namespace understudy::testsupport

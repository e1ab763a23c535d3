#include "appliance/daemon/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <QString>
#include <QtGlobal>
#include <algorithm>
#include <cstring>

namespace understudy::daemon {

SystemdNotifier SystemdNotifier::fromEnvironment() {
    SystemdNotifier made;
    made.socket_path_ = qEnvironmentVariable("NOTIFY_SOCKET").toStdString();
    bool ok = false;
    const qlonglong usec = qEnvironmentVariable("WATCHDOG_USEC").toLongLong(&ok);
    const QString pid = qEnvironmentVariable("WATCHDOG_PID");
    const bool ours = pid.isEmpty() || pid.toLongLong() == static_cast<qlonglong>(::getpid());
    if (ok && usec > 0 && ours) {
        made.ping_ = std::chrono::milliseconds(std::max<qlonglong>(1, usec / 2000));
    }
    return made;
}

bool SystemdNotifier::notify(const QByteArray& message) const {
    if (socket_path_.empty() || socket_path_.size() >= sizeof(sockaddr_un::sun_path)) {
        return false;
    }
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, socket_path_.data(), socket_path_.size());
    if (address.sun_path[0] == '@') {
        address.sun_path[0] = '\0';  // the abstract namespace
    }
    const auto length =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());
    const ssize_t sent =
        ::sendto(fd, message.constData(), static_cast<size_t>(message.size()), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&address), length);
    ::close(fd);
    return sent == message.size();
}

}  // namespace understudy::daemon

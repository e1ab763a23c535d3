// systemd's notify protocol (sd_notify(3)) for `Type=notify` units, without libsystemd: a
// datagram of "KEY=VALUE" lines to the unix socket named by $NOTIFY_SOCKET (a path, or an
// abstract name written with a leading '@'). READY=1 once serving, STOPPING=1 at shutdown,
// WATCHDOG=1 every half of $WATCHDOG_USEC when the unit sets WatchdogSec.
#pragma once

#include <QByteArray>
#include <chrono>
#include <optional>
#include <string>

namespace understudy::daemon {

class SystemdNotifier {
public:
    // Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID (the watchdog is ours only when
    // WATCHDOG_PID is unset or our pid).
    static SystemdNotifier fromEnvironment();

    bool enabled() const { return !socket_path_.empty(); }
    // Sends one message; false when not enabled or the send failed (never fatal).
    bool notify(const QByteArray& message) const;
    // Half of $WATCHDOG_USEC, when the watchdog is on.
    std::optional<std::chrono::milliseconds> watchdogPingInterval() const { return ping_; }

private:
    std::string socket_path_;
    std::optional<std::chrono::milliseconds> ping_;
};

}  // namespace understudy::daemon

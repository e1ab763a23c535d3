// QemuAppliance: a real libvirtd with QEMU under software emulation, and a tiny guest built at
// test time, for the appliance core's integration tests.
//
// start() runs virtlogd, virtlockd and libvirtd (`-d`, as root, no systemd) unless they already
// run, waits until qemu:///system answers, removes test domains left by dead test processes and
// builds the guest (make-guest.sh: the installed Debian kernel with a busybox initramfs that
// loads the virtio balloon and prints "UNDERSTUDY seq=… memtotal_kib=… online_cpus=…" on its
// serial console every period). defineGuest() defines a domain (type 'qemu', direct kernel boot,
// serial pty logged to a file, virtio balloon, a global CPU quota); the caller drives it through
// libvirt's C API on domain(). waitForStatus() reads the serial log until the guest reports what
// the caller waits for. stop() destroys and undefines every domain it defined (with its managed
// save image) and stops the daemons that fixtures started, by PID, once no other fixture process
// uses them.
//
// Every wait is bounded; failures are Errors that say what was waited for, the guest's last
// serial lines and where libvirtd and QEMU log.
#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "base/result.h"

struct _virConnect;
struct _virDomain;

namespace understudy::core::testing {

// One status line of the guest, as the fixture read it from the serial log.
struct GuestStatus {
    qint64 seq = 0;  // 1 at each boot; keeps counting across a managed save and restore
    double uptime_s = 0;
    qint64 memtotal_kib = 0;
    int online_cpus = 0;
    int present_cpus = 0;
    // When the fixture read the line (the guest's period plus the fixture's poll interval
    // after the guest printed it).
    std::chrono::steady_clock::time_point seen;
    QString line;

    // Parses "UNDERSTUDY seq=… uptime_s=… memtotal_kib=… online_cpus=… present_cpus=…".
    static std::optional<GuestStatus> parse(const QString& line);
};

struct GuestSpec {
    // Empty: a unique name "understudy-test-<pid>-<n>" (dead processes' ones are swept away).
    QString name;
    // <memory>: the most the balloon can give the guest (the active footprint).
    quint64 max_memory_mib = 512;
    // <currentMemory>: what the guest boots with (the standby footprint).
    quint64 current_memory_mib = 256;
    unsigned vcpus = 2;
    // <vcpu current=…>; 0: all vCPUs online at boot.
    unsigned current_vcpus = 0;
    // <cputune><global_quota>; a negative value: no cap.
    qint64 global_quota_us = -1;
    quint64 global_period_us = 100000;
    // Seconds between status lines (the guest reads understudy_period= from its command line).
    double status_period_s = 0.5;
};

class QemuAppliance {
public:
    struct Options {
        QString uri = QStringLiteral("qemu:///system");
        // Where make-guest.sh builds and caches the kernel and initramfs. Empty: the folder
        // under the build tree that CMake set.
        QString guest_dir;
        QString make_guest_script;  // Empty: tests/appliance/qemu/make-guest.sh.
        // Serial logs of the guests. Empty: a folder beside guest_dir.
        QString run_dir;
        std::chrono::milliseconds daemon_timeout{90000};
        std::chrono::milliseconds guest_build_timeout{120000};
        // Runs libvirt's default event loop on a thread so that callbacks registered with
        // virConnectDomainEventRegisterAny on connection() are delivered. That loop runs on
        // GLib's default main context, which Qt's GLib dispatcher keeps for the main thread:
        // the process must set QT_NO_GLIB=1 before creating its QCoreApplication (start()
        // fails with that advice otherwise). Turn it off when the process already runs the
        // loop (LibvirtHypervisor does): only one thread may run it. start() also ignores
        // SIGPIPE for the process, as virsh does.
        bool run_event_loop = true;
        // Keep the guests' serial logs after stop() (they are removed otherwise).
        bool keep_serial_logs = false;
    };

    QemuAppliance();
    explicit QemuAppliance(Options options);
    ~QemuAppliance();  // stop(), logging what it could not clean up
    QemuAppliance(const QemuAppliance&) = delete;
    QemuAppliance& operator=(const QemuAppliance&) = delete;

    // Idempotent: a second call on a started fixture does nothing.
    Status start();
    // Destroys and undefines this fixture's domains, closes the connection, stops the daemons
    // that fixtures started if no other fixture process still uses them. Idempotent.
    Status stop();

    _virConnect* connection() const { return connection_; }
    const Options& options() const { return options_; }
    QString kernelPath() const;
    QString initrdPath() const;
    // Where to look when the daemon misbehaves: its log file when a fixture started it.
    QString libvirtdLogHint() const;
    // True when this process started any of the daemons (they stop with the last fixture).
    bool startedDaemons() const { return !started_daemons_.empty(); }

    // The domain XML defineGuest() would define (no side effects).
    QString domainXml(const GuestSpec& spec, const QString& name) const;
    // Defines (does not start) a guest; returns its name. The fixture owns the domain handle
    // and undefines the domain at stop().
    Result<QString> defineGuest(const GuestSpec& spec);
    // A fresh test-domain name ("understudy-test-<pid>-<n>", swept away once this process is
    // gone) for a domain someone else defines, e.g. the appliance core from its template.
    QString uniqueGuestName();
    // Takes an existing domain into this fixture's care: stop() destroys and undefines it like
    // the ones it defined, and its serial log is read from serialLogPath(name).
    Status adopt(const QString& name);
    // The handle of a domain defined through this fixture, or nullptr.
    _virDomain* domain(const QString& name) const;
    QString serialLogPath(const QString& name) const;

    // A position in the guest's serial output: waitForStatus(…, since) sees only later lines.
    qsizetype serialMark(const QString& name);
    // All serial lines read so far (kernel messages and status lines).
    QStringList serialLines(const QString& name);
    // The newest status line read so far.
    std::optional<GuestStatus> latestStatus(const QString& name);
    // Waits until a status line after `since` satisfies `predicate`; `what` describes the wait
    // for the error message.
    Result<GuestStatus> waitForStatus(const QString& name,
                                      const std::function<bool(const GuestStatus&)>& predicate,
                                      const QString& what, std::chrono::milliseconds timeout,
                                      qsizetype since = 0);

    // The PID of the domain's QEMU process (from libvirt's pid file), while it runs.
    Result<qint64> qemuPid(const QString& name) const;
    // The domain's cgroup (v1) CPU controller folder, the parent of its vcpuN/emulator groups.
    Result<QString> cpuCgroupDir(const QString& name) const;
    // cpu.cfs_quota_us of that folder: what the kernel enforces for the whole guest.
    Result<qint64> cgroupCpuQuota(const QString& name) const;

    // Text to append to a failure message: the last serial lines and the log locations.
    QString diagnostics(const QString& name, int last_lines = 12);

private:
    struct SerialLog {
        QString path;
        qint64 offset = 0;
        QByteArray partial;
        QStringList lines;
        QList<std::chrono::steady_clock::time_point> seen;
    };
    struct StartedDaemon {
        QString name;
        qint64 pid = 0;
    };

    Status checkHost() const;
    Status startDaemons();
    Status stopDaemons();
    Status openConnection();
    Status buildGuest();
    void sweepStaleDomains();
    void readSerial(SerialLog& log);
    void startEventLoop();
    void stopEventLoop();

    Options options_;
    bool started_ = false;
    _virConnect* connection_ = nullptr;
    std::map<QString, _virDomain*> domains_;
    std::map<QString, SerialLog> serial_;
    std::vector<StartedDaemon> started_daemons_;
    int lock_fd_ = -1;   // serializes daemon start and stop between fixture processes
    int users_fd_ = -1;  // held shared while this fixture uses the daemons
    QString libvirtd_log_;
    std::unique_ptr<std::thread> event_thread_;
    std::shared_ptr<std::atomic<bool>> event_stop_;
    int next_guest_ = 0;
};

}  // namespace understudy::core::testing

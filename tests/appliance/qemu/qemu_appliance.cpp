#include "tests/appliance/qemu/qemu_appliance.h"

#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QAbstractEventDispatcher>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QThread>
#include <atomic>
#include <csignal>
#include <mutex>

#include "tests/appliance/qemu/libvirt_readings.h"

namespace understudy::core::testing {

Q_LOGGING_CATEGORY(lcQemuFixture, "understudy.test.qemu")

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const QString kDomainPrefix = QStringLiteral("understudy-test-");
// Shared by every fixture process on the host: who started the daemons, who still uses them.
const QString kStateDir = QStringLiteral("/run/understudy-qemu-fixture");
const QString kLibvirtdLog = QStringLiteral("/var/log/libvirt/understudy-libvirtd.log");
// Start order; stopped in reverse.
const QStringList kDaemons = {QStringLiteral("virtlogd"), QStringLiteral("virtlockd"),
                              QStringLiteral("libvirtd")};

Error fixtureError(const QString& message, const QString& where = {}) {
    return Error{"qemu_fixture", message.toStdString(), where.toStdString()};
}

void ignoreLibvirtError(void*, virErrorPtr) {}

QString seconds(milliseconds duration) {
    return QString::number(static_cast<double>(duration.count()) / 1000.0, 'f', 1) + " s";
}

QString readText(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QString::fromUtf8(file.readAll());
}

QString findProgram(const QString& name) {
    QString path = QStandardPaths::findExecutable(name);
    if (path.isEmpty()) {
        path = QStandardPaths::findExecutable(
            name, {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/bin"), QStringLiteral("/sbin"),
                   QStringLiteral("/bin")});
    }
    return path;
}

// Alive and not a zombie: daemons reparented to a PID 1 that does not reap stay as zombies.
bool processAlive(qint64 pid) {
    const QString stat = readText(QStringLiteral("/proc/%1/stat").arg(pid));
    if (stat.isEmpty()) {
        return false;
    }
    const qsizetype paren = stat.lastIndexOf(QLatin1Char(')'));
    if (paren < 0 || paren + 2 >= stat.size()) {
        return false;
    }
    const QChar state = stat.at(paren + 2);
    return state != QLatin1Char('Z') && state != QLatin1Char('X');
}

QString processName(qint64 pid) {
    return readText(QStringLiteral("/proc/%1/comm").arg(pid)).trimmed();
}

std::vector<qint64> processesNamed(const QString& name) {
    std::vector<qint64> pids;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString& entry : entries) {
        bool numeric = false;
        const qint64 pid = entry.toLongLong(&numeric);
        if (numeric && processName(pid) == name && processAlive(pid)) {
            pids.push_back(pid);
        }
    }
    return pids;
}

struct ProgramOutput {
    int exit_code = -1;
    QString output;
};

Result<ProgramOutput> runProgram(
    const QString& program, const QStringList& arguments, milliseconds timeout,
    const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment()) {
    QProcess process;
    process.setProcessEnvironment(environment);
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(program, arguments);
    if (!process.waitForStarted(static_cast<int>(timeout.count()))) {
        return fixtureError(
            QStringLiteral("cannot run %1: %2").arg(program, process.errorString()));
    }
    if (!process.waitForFinished(static_cast<int>(timeout.count()))) {
        process.kill();
        process.waitForFinished(5000);
        return fixtureError(QStringLiteral("%1 %2 did not finish within %3; output: %4")
                                .arg(program, arguments.join(QLatin1Char(' ')), seconds(timeout),
                                     QString::fromUtf8(process.readAll()).trimmed()));
    }
    ProgramOutput result;
    result.exit_code =
        process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -process.exitCode();
    result.output = QString::fromUtf8(process.readAll()).trimmed();
    return result;
}

// flock with a deadline: the other holders only keep these locks for seconds.
bool lockWithin(int fd, int operation, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (flock(fd, operation | LOCK_NB) != 0) {
        if (Clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(milliseconds(50));
    }
    return true;
}

bool waitUntilGone(qint64 pid, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (processAlive(pid)) {
        if (Clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(milliseconds(50));
    }
    return true;
}

QString lastLines(const QString& path, int count) {
    QStringList lines = readText(path).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    if (lines.size() > count) {
        lines = lines.mid(lines.size() - count);
    }
    return lines.join(QLatin1Char('\n'));
}

QString defaultGuestDir() {
    return QStringLiteral(UNDERSTUDY_QEMU_GUEST_DIR);
}
QString defaultScript() {
    return QStringLiteral(UNDERSTUDY_QEMU_MAKE_GUEST);
}

// The PID embedded in a test domain's name ("understudy-test-<pid>-<n>"), or 0.
qint64 ownerPid(const QString& name) {
    if (!name.startsWith(kDomainPrefix)) {
        return 0;
    }
    return name.mid(kDomainPrefix.size()).section(QLatin1Char('-'), 0, 0).toLongLong();
}

void destroyAndUndefine(virDomainPtr domain, QStringList& problems) {
    const QString name = QString::fromUtf8(virDomainGetName(domain));
    if (virDomainIsActive(domain) == 1 && virDomainDestroy(domain) != 0) {
        problems << QStringLiteral("cannot destroy domain %1: %2").arg(name, libvirtMessage());
    }
    const unsigned int flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                               VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                               VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA;
    if (virDomainUndefineFlags(domain, flags) != 0 && virDomainIsPersistent(domain) == 1) {
        problems << QStringLiteral("cannot undefine domain %1: %2").arg(name, libvirtMessage());
    }
}

}  // namespace

std::optional<GuestStatus> GuestStatus::parse(const QString& line) {
    static const QRegularExpression pattern(QStringLiteral(
        R"(UNDERSTUDY seq=(\d+) uptime_s=([\d.]+) memtotal_kib=(\d+) online_cpus=(\d+) )"
        R"(present_cpus=(\d+))"));
    const QRegularExpressionMatch match = pattern.match(line);
    if (!match.hasMatch()) {
        return std::nullopt;
    }
    GuestStatus status;
    status.seq = match.captured(1).toLongLong();
    status.uptime_s = match.captured(2).toDouble();
    status.memtotal_kib = match.captured(3).toLongLong();
    status.online_cpus = match.captured(4).toInt();
    status.present_cpus = match.captured(5).toInt();
    status.line = match.captured(0);
    return status;
}

QemuAppliance::QemuAppliance() : QemuAppliance(Options{}) {}

QemuAppliance::QemuAppliance(Options options) : options_(std::move(options)) {
    if (options_.guest_dir.isEmpty()) {
        options_.guest_dir = defaultGuestDir();
    }
    if (options_.make_guest_script.isEmpty()) {
        options_.make_guest_script = defaultScript();
    }
    if (options_.run_dir.isEmpty()) {
        options_.run_dir = QFileInfo(options_.guest_dir).absolutePath() + "/runs";
    }
}

QemuAppliance::~QemuAppliance() {
    const Status stopped = stop();
    if (!stopped) {
        qCWarning(lcQemuFixture, "%s", stopped.error().message.c_str());
    }
}

QString QemuAppliance::kernelPath() const {
    return options_.guest_dir + "/vmlinuz";
}
QString QemuAppliance::initrdPath() const {
    return options_.guest_dir + "/initrd.img";
}

QString QemuAppliance::libvirtdLogHint() const {
    if (!libvirtd_log_.isEmpty()) {
        return libvirtd_log_;
    }
    return QStringLiteral(
               "%1 if a test fixture started libvirtd, else where "
               "/etc/libvirt/libvirtd.conf's log_outputs say")
        .arg(kLibvirtdLog);
}

Status QemuAppliance::start() {
    if (started_) {
        return Done{};
    }
    static std::once_flag silenced;
    std::call_once(silenced, [] {
        virSetErrorFunc(nullptr, ignoreLibvirtError);
        // libvirt writes to its socket without MSG_NOSIGNAL: a daemon that drops the
        // connection must fail the call, not kill the test (virsh ignores SIGPIPE too).
        std::signal(SIGPIPE, SIG_IGN);
    });
    if (options_.run_event_loop) {
        // Qt's glib dispatcher keeps GLib's default main context acquired by the main thread,
        // and libvirt's default event loop runs on that same context: a second thread running
        // virEventRunDefaultImpl then waits forever, no event arrives and libvirtd drops the
        // connection after its keepalive timeout.
        const QCoreApplication* app = QCoreApplication::instance();
        const QAbstractEventDispatcher* dispatcher =
            app != nullptr ? app->thread()->eventDispatcher() : nullptr;
        if (dispatcher != nullptr && dispatcher->inherits("QEventDispatcherGlib")) {
            return fixtureError(QStringLiteral(
                "Qt's GLib event dispatcher owns the GLib main context that libvirt's event loop "
                "needs: set QT_NO_GLIB=1 before creating the QCoreApplication (see "
                "test_qemu_guest.cpp's main), or set Options::run_event_loop = false and spin "
                "Qt's event loop on the main thread instead"));
        }
    }
    if (Status host = checkHost(); !host) {
        return host;
    }
    if (Status built = buildGuest(); !built) {
        return built;
    }
    if (Status daemons = startDaemons(); !daemons) {
        const Status undone = stopDaemons();
        if (!undone) {
            qCWarning(lcQemuFixture, "%s", undone.error().message.c_str());
        }
        return daemons;
    }
    started_ = true;
    if (options_.run_event_loop) {
        startEventLoop();
    }
    if (Status connected = openConnection(); !connected) {
        const Status undone = stop();
        if (!undone) {
            qCWarning(lcQemuFixture, "%s", undone.error().message.c_str());
        }
        return connected;
    }
    sweepStaleDomains();
    if (!QDir().mkpath(options_.run_dir)) {
        return fixtureError(
            QStringLiteral("cannot create the folder %1 for the guests' serial logs")
                .arg(options_.run_dir));
    }
    return Done{};
}

Status QemuAppliance::checkHost() const {
    if (geteuid() != 0) {
        return fixtureError(QStringLiteral(
            "the real-QEMU tests need root: they run libvirtd and use qemu:///system. Run them "
            "as root (CI does)"));
    }
    QStringList missing;
    for (const QString& program : {QStringLiteral("qemu-system-x86_64"), QStringLiteral("libvirtd"),
                                   QStringLiteral("virtlogd"), QStringLiteral("virtlockd")}) {
        if (findProgram(program).isEmpty()) {
            missing << program;
        }
    }
    if (!missing.isEmpty()) {
        return fixtureError(
            QStringLiteral("%1 not found: install libvirt-daemon-system, qemu-system-x86, "
                           "linux-image-amd64, busybox-static and cpio (installer/deps.sh)")
                .arg(missing.join(QStringLiteral(", "))));
    }
    if (!QFileInfo(options_.make_guest_script).isExecutable()) {
        return fixtureError(QStringLiteral("the guest build script %1 is missing or not executable")
                                .arg(options_.make_guest_script));
    }
    return Done{};
}

Status QemuAppliance::buildGuest() {
    const auto started = Clock::now();
    auto ran =
        runProgram(options_.make_guest_script, {options_.guest_dir}, options_.guest_build_timeout);
    if (!ran) {
        return ran.error();
    }
    if (ran->exit_code != 0) {
        return fixtureError(QStringLiteral("building the test guest failed (exit code %1): %2")
                                .arg(ran->exit_code)
                                .arg(ran->output),
                            options_.make_guest_script);
    }
    for (const QString& path : {kernelPath(), initrdPath()}) {
        if (QFileInfo(path).size() == 0) {
            return fixtureError(QStringLiteral("make-guest.sh succeeded but left no %1").arg(path));
        }
    }
    if (!ran->output.isEmpty()) {
        qCInfo(lcQemuFixture, "%s (%lld ms)", qPrintable(ran->output),
               static_cast<long long>(
                   std::chrono::duration_cast<milliseconds>(Clock::now() - started).count()));
    }
    return Done{};
}

Status QemuAppliance::startDaemons() {
    if (!QDir().mkpath(kStateDir)) {
        return fixtureError(QStringLiteral("cannot create %1").arg(kStateDir));
    }
    const QByteArray lock_path = (kStateDir + "/lock").toLocal8Bit();
    const QByteArray users_path = (kStateDir + "/users").toLocal8Bit();
    lock_fd_ = ::open(lock_path.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    users_fd_ = ::open(users_path.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0 || users_fd_ < 0) {
        return fixtureError(QStringLiteral("cannot open the lock files in %1").arg(kStateDir));
    }
    if (!lockWithin(lock_fd_, LOCK_EX, options_.daemon_timeout)) {
        return fixtureError(
            QStringLiteral("another test process held %1/lock for %2 while starting or stopping "
                           "libvirtd")
                .arg(kStateDir, seconds(options_.daemon_timeout)));
    }
    // Held shared for the fixture's life: the last fixture out is the one whose exclusive try
    // succeeds, and it stops the daemons.
    if (!lockWithin(users_fd_, LOCK_SH, options_.daemon_timeout)) {
        flock(lock_fd_, LOCK_UN);
        return fixtureError(QStringLiteral("cannot take a shared lock on %1/users").arg(kStateDir));
    }

    Status result = Done{};
    for (const QString& daemon : kDaemons) {
        if (!processesNamed(daemon).empty()) {
            continue;
        }
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        if (daemon == QLatin1String("libvirtd")) {
            QDir().mkpath(QFileInfo(kLibvirtdLog).absolutePath());
            environment.insert(QStringLiteral("LIBVIRT_LOG_OUTPUTS"), "3:file:" + kLibvirtdLog);
            libvirtd_log_ = kLibvirtdLog;
        }
        QFile::remove("/run/" + daemon + ".pid");
        auto ran = runProgram(findProgram(daemon), {QStringLiteral("-d")}, options_.daemon_timeout,
                              environment);
        if (!ran || ran->exit_code != 0) {
            result =
                fixtureError(QStringLiteral("cannot start %1 -d: %2")
                                 .arg(daemon, ran ? QStringLiteral("exit code %1: %2")
                                                        .arg(ran->exit_code)
                                                        .arg(ran->output)
                                                  : QString::fromStdString(ran.error().message)));
            break;
        }
        // -d forks: the daemon's PID is in its pid file once it is up.
        qint64 pid = 0;
        const auto deadline = Clock::now() + options_.daemon_timeout;
        while (pid == 0 && Clock::now() < deadline) {
            const qint64 written = readText("/run/" + daemon + ".pid").trimmed().toLongLong();
            if (written > 0 && processAlive(written) && processName(written) == daemon) {
                pid = written;
            } else {
                std::this_thread::sleep_for(milliseconds(20));
            }
        }
        if (pid == 0) {
            result = fixtureError(
                QStringLiteral("%1 -d returned but no %1 process appeared within %2 (pid file "
                               "/run/%1.pid)%3")
                    .arg(daemon, seconds(options_.daemon_timeout),
                         daemon == QLatin1String("libvirtd")
                             ? QStringLiteral("; its log: %1").arg(kLibvirtdLog)
                             : QString()));
            break;
        }
        started_daemons_.push_back({daemon, pid});
        QFile state(kStateDir + "/daemons");
        if (state.open(QIODevice::Append | QIODevice::Text)) {
            state.write(QStringLiteral("%1 %2\n").arg(daemon).arg(pid).toUtf8());
        }
        qCInfo(lcQemuFixture, "started %s (pid %lld)", qPrintable(daemon),
               static_cast<long long>(pid));
    }
    flock(lock_fd_, LOCK_UN);
    return result;
}

Status QemuAppliance::stopDaemons() {
    if (lock_fd_ < 0 && users_fd_ < 0) {
        return Done{};
    }
    QStringList problems;
    if (lock_fd_ >= 0 && !lockWithin(lock_fd_, LOCK_EX, options_.daemon_timeout)) {
        problems << QStringLiteral("could not take %1/lock within %2; the daemons keep running")
                        .arg(kStateDir, seconds(options_.daemon_timeout));
    } else if (users_fd_ >= 0) {
        flock(users_fd_, LOCK_UN);
        if (flock(users_fd_, LOCK_EX | LOCK_NB) == 0) {
            // Last fixture out: stop what fixtures started (maybe a process that crashed).
            const QStringList entries =
                readText(kStateDir + "/daemons").split(QLatin1Char('\n'), Qt::SkipEmptyParts);
            for (auto entry = entries.crbegin(); entry != entries.crend(); ++entry) {
                const QString name = entry->section(QLatin1Char(' '), 0, 0);
                const qint64 pid = entry->section(QLatin1Char(' '), 1, 1).toLongLong();
                if (pid <= 0 || !processAlive(pid) || processName(pid) != name) {
                    continue;
                }
                ::kill(static_cast<pid_t>(pid), SIGTERM);
                if (!waitUntilGone(pid, milliseconds(20000))) {
                    ::kill(static_cast<pid_t>(pid), SIGKILL);
                    if (!waitUntilGone(pid, milliseconds(5000))) {
                        problems << QStringLiteral("%1 (pid %2) survived SIGTERM and SIGKILL")
                                        .arg(name)
                                        .arg(pid);
                        continue;
                    }
                    qCWarning(lcQemuFixture, "%s (pid %lld) ignored SIGTERM for 20 s: killed",
                              qPrintable(name), static_cast<long long>(pid));
                }
                qCInfo(lcQemuFixture, "stopped %s (pid %lld)", qPrintable(name),
                       static_cast<long long>(pid));
            }
            if (problems.isEmpty()) {
                QFile::remove(kStateDir + "/daemons");
            }
            flock(users_fd_, LOCK_UN);
        } else {
            qCInfo(lcQemuFixture, "another test process still uses libvirtd: left running");
        }
    }
    if (lock_fd_ >= 0) {
        flock(lock_fd_, LOCK_UN);
        ::close(lock_fd_);
        lock_fd_ = -1;
    }
    if (users_fd_ >= 0) {
        ::close(users_fd_);
        users_fd_ = -1;
    }
    if (!problems.isEmpty()) {
        return fixtureError(problems.join(QStringLiteral("; ")));
    }
    return Done{};
}

Status QemuAppliance::openConnection() {
    const QByteArray uri = options_.uri.toUtf8();
    const auto deadline = Clock::now() + options_.daemon_timeout;
    QString last_error;
    while (Clock::now() < deadline) {
        connection_ = virConnectOpen(uri.constData());
        if (connection_ != nullptr) {
            return Done{};
        }
        last_error = libvirtMessage();
        std::this_thread::sleep_for(milliseconds(200));
    }
    return fixtureError(
        QStringLiteral("%1 did not answer within %2 (last error: %3); libvirtd's "
                       "log: %4")
            .arg(options_.uri, seconds(options_.daemon_timeout), last_error, libvirtdLogHint()));
}

void QemuAppliance::sweepStaleDomains() {
    virDomainPtr* domains = nullptr;
    const int count = virConnectListAllDomains(connection_, &domains, 0);
    QStringList problems;
    for (int i = 0; i < count; ++i) {
        const QString name = QString::fromUtf8(virDomainGetName(domains[i]));
        const qint64 owner = ownerPid(name);
        if (owner > 0 && owner != getpid() && !processAlive(owner)) {
            qCInfo(lcQemuFixture, "removing %s, left by test process %lld", qPrintable(name),
                   static_cast<long long>(owner));
            destroyAndUndefine(domains[i], problems);
            QFile::remove(serialLogPath(name));
        }
        virDomainFree(domains[i]);
    }
    free(domains);  // NOLINT(cppcoreguidelines-no-malloc): libvirt allocates it with malloc
    for (const QString& problem : problems) {
        qCWarning(lcQemuFixture, "%s", qPrintable(problem));
    }
}

void QemuAppliance::startEventLoop() {
    static std::once_flag registered;
    std::call_once(registered, [] {
        if (virEventRegisterDefaultImpl() != 0) {
            qCWarning(lcQemuFixture, "cannot register libvirt's event loop: %s",
                      qPrintable(libvirtMessage()));
        }
    });
    event_stop_ = std::make_shared<std::atomic<bool>>(false);
    event_thread_ = std::make_unique<std::thread>([stop = event_stop_] {
        while (!*stop) {
            if (virEventRunDefaultImpl() != 0) {
                qCWarning(lcQemuFixture, "libvirt's event loop failed: %s",
                          qPrintable(libvirtMessage()));
                std::this_thread::sleep_for(milliseconds(100));
            }
        }
    });
}

void QemuAppliance::stopEventLoop() {
    if (!event_thread_) {
        return;
    }
    *event_stop_ = true;
    // A timer due at once wakes the loop from its poll so that it sees the flag.
    virEventAddTimeout(
        0, [](int timer, void*) { virEventRemoveTimeout(timer); }, nullptr, nullptr);
    event_thread_->join();
    event_thread_.reset();
}

Status QemuAppliance::stop() {
    QStringList problems;
    for (auto& [name, domain] : domains_) {
        destroyAndUndefine(domain, problems);
        virDomainFree(domain);
        if (!options_.keep_serial_logs) {
            QFile::remove(serialLogPath(name));
        }
    }
    domains_.clear();
    serial_.clear();
    if (connection_ != nullptr) {
        virConnectClose(connection_);
        connection_ = nullptr;
    }
    stopEventLoop();
    if (Status daemons = stopDaemons(); !daemons) {
        problems << QString::fromStdString(daemons.error().message);
    }
    started_ = false;
    if (!problems.isEmpty()) {
        return fixtureError(QStringLiteral("cleaning up the QEMU test fixture: %1")
                                .arg(problems.join(QStringLiteral("; "))));
    }
    return Done{};
}

QString QemuAppliance::serialLogPath(const QString& name) const {
    return options_.run_dir + "/" + name + ".serial.log";
}

QString QemuAppliance::domainXml(const GuestSpec& spec, const QString& name) const {
    const QString vcpu = spec.current_vcpus > 0 && spec.current_vcpus < spec.vcpus
                             ? QStringLiteral("<vcpu placement='static' current='%1'>%2</vcpu>")
                                   .arg(spec.current_vcpus)
                                   .arg(spec.vcpus)
                             : QStringLiteral("<vcpu placement='static'>%1</vcpu>").arg(spec.vcpus);
    const QString cputune = spec.global_quota_us >= 0
                                ? QStringLiteral(
                                      "  <cputune>\n    <global_period>%1</global_period>\n"
                                      "    <global_quota>%2</global_quota>\n  </cputune>\n")
                                      .arg(spec.global_period_us)
                                      .arg(spec.global_quota_us)
                                : QString();
    // no_timer_check: on a loaded host the emulated guest's early check of the IO-APIC timer can
    // fail, and the kernel panics ("IO-APIC + timer doesn't work"); every hypervisor guest
    // skips it.
    return QStringLiteral(
               "<domain type='qemu'>\n"
               "  <name>%1</name>\n"
               "  <description>Understudy test guest (tests/appliance/qemu); the test fixture "
               "removes it.</description>\n"
               "  <memory unit='KiB'>%2</memory>\n"
               "  <currentMemory unit='KiB'>%3</currentMemory>\n"
               "  %4\n"
               "%5"
               "  <os>\n"
               "    <type arch='x86_64' machine='pc'>hvm</type>\n"
               "    <kernel>%6</kernel>\n"
               "    <initrd>%7</initrd>\n"
               "    <cmdline>console=ttyS0 quiet no_timer_check understudy_period=%8</cmdline>\n"
               "  </os>\n"
               "  <features><acpi/><apic/></features>\n"
               "  <clock offset='utc'/>\n"
               "  <on_poweroff>destroy</on_poweroff>\n"
               "  <on_reboot>restart</on_reboot>\n"
               "  <on_crash>destroy</on_crash>\n"
               "  <devices>\n"
               "    <serial type='pty'>\n"
               "      <log file='%9' append='on'/>\n"
               "      <target port='0'/>\n"
               "    </serial>\n"
               "    <console type='pty'><target type='serial' port='0'/></console>\n"
               "    <memballoon model='virtio'/>\n"
               "  </devices>\n"
               "</domain>\n")
        .arg(name.toHtmlEscaped())
        .arg(spec.max_memory_mib * 1024)
        .arg(spec.current_memory_mib * 1024)
        .arg(vcpu, cputune, kernelPath().toHtmlEscaped(), initrdPath().toHtmlEscaped(),
             QString::number(spec.status_period_s, 'g', 3), serialLogPath(name).toHtmlEscaped());
}

QString QemuAppliance::uniqueGuestName() {
    const QString name =
        QStringLiteral("%1%2-%3").arg(kDomainPrefix).arg(getpid()).arg(next_guest_++);
    QFile::remove(serialLogPath(name));
    return name;
}

Status QemuAppliance::adopt(const QString& name) {
    if (connection_ == nullptr) {
        return fixtureError(QStringLiteral("adopt before start(): no connection"));
    }
    if (domains_.count(name) != 0) {
        return Done{};
    }
    virDomainPtr domain = virDomainLookupByName(connection_, name.toUtf8().constData());
    if (domain == nullptr) {
        return fixtureError(
            QStringLiteral("cannot adopt domain %1: %2").arg(name, libvirtMessage()), options_.uri);
    }
    domains_[name] = domain;
    serial_[name].path = serialLogPath(name);
    return Done{};
}

Result<QString> QemuAppliance::defineGuest(const GuestSpec& spec) {
    if (connection_ == nullptr) {
        return fixtureError(QStringLiteral("defineGuest before start(): no connection"));
    }
    const QString name = spec.name.isEmpty() ? uniqueGuestName() : spec.name;
    if (domains_.count(name) != 0) {
        return fixtureError(
            QStringLiteral("guest %1 is already defined by this fixture").arg(name));
    }
    QFile::remove(serialLogPath(name));
    const QByteArray xml = domainXml(spec, name).toUtf8();
    virDomainPtr domain = virDomainDefineXML(connection_, xml.constData());
    if (domain == nullptr) {
        return fixtureError(
            QStringLiteral("cannot define guest %1: %2").arg(name, libvirtMessage()), options_.uri);
    }
    domains_[name] = domain;
    serial_[name].path = serialLogPath(name);
    return name;
}

_virDomain* QemuAppliance::domain(const QString& name) const {
    const auto found = domains_.find(name);
    return found != domains_.end() ? found->second : nullptr;
}

void QemuAppliance::readSerial(SerialLog& log) {
    QFile file(log.path);
    if (!file.open(QIODevice::ReadOnly)) {
        return;
    }
    if (file.size() < log.offset) {
        // Truncated (a new log): read from the start, keep what was read before.
        log.offset = 0;
        log.partial.clear();
    }
    if (!file.seek(log.offset)) {
        return;
    }
    const QByteArray data = file.readAll();
    log.offset += data.size();
    log.partial += data;
    const auto now = Clock::now();
    qsizetype newline = 0;
    while ((newline = log.partial.indexOf('\n')) >= 0) {
        QString line = QString::fromUtf8(log.partial.left(newline));
        log.partial.remove(0, newline + 1);
        line.remove(QLatin1Char('\r'));
        log.lines << line;
        log.seen << now;
    }
}

qsizetype QemuAppliance::serialMark(const QString& name) {
    SerialLog& log = serial_[name];
    if (log.path.isEmpty()) {
        log.path = serialLogPath(name);
    }
    readSerial(log);
    return log.lines.size();
}

QStringList QemuAppliance::serialLines(const QString& name) {
    serialMark(name);
    return serial_[name].lines;
}

std::optional<GuestStatus> QemuAppliance::latestStatus(const QString& name) {
    serialMark(name);
    const SerialLog& log = serial_[name];
    for (qsizetype i = log.lines.size() - 1; i >= 0; --i) {
        if (auto status = GuestStatus::parse(log.lines.at(i))) {
            status->seen = log.seen.at(i);
            return status;
        }
    }
    return std::nullopt;
}

Result<GuestStatus> QemuAppliance::waitForStatus(
    const QString& name, const std::function<bool(const GuestStatus&)>& predicate,
    const QString& what, milliseconds timeout, qsizetype since) {
    const auto started = Clock::now();
    const auto deadline = started + timeout;
    auto next_liveness_check = started + milliseconds(500);
    qsizetype scanned = since;
    while (true) {
        serialMark(name);
        const SerialLog& log = serial_[name];
        for (; scanned < log.lines.size(); ++scanned) {
            auto status = GuestStatus::parse(log.lines.at(scanned));
            if (status) {
                status->seen = log.seen.at(scanned);
                if (predicate(*status)) {
                    return *status;
                }
            }
        }
        const auto now = Clock::now();
        if (now >= deadline) {
            return fixtureError(QStringLiteral("timed out after %1 waiting for guest %2 to report "
                                               "%3.%4")
                                    .arg(seconds(timeout), name, what, diagnostics(name)));
        }
        if (now >= next_liveness_check) {
            next_liveness_check = now + milliseconds(500);
            virDomainPtr handle = domain(name);
            if (handle != nullptr && virDomainIsActive(handle) == 0) {
                return fixtureError(
                    QStringLiteral("guest %1 stopped while waiting for it to report %2.%3")
                        .arg(name, what, diagnostics(name)));
            }
        }
        std::this_thread::sleep_for(milliseconds(20));
    }
}

Result<qint64> QemuAppliance::qemuPid(const QString& name) const {
    const QString path = "/run/libvirt/qemu/" + name + ".pid";
    const qint64 pid = readText(path).trimmed().toLongLong();
    if (pid <= 0 || !processAlive(pid)) {
        return fixtureError(
            QStringLiteral("no running QEMU process for guest %1 (pid file %2)").arg(name, path));
    }
    return pid;
}

Result<QString> QemuAppliance::cpuCgroupDir(const QString& name) const {
    auto pid = qemuPid(name);
    if (!pid) {
        return pid.error();
    }
    const QString cgroups = readText(QStringLiteral("/proc/%1/cgroup").arg(*pid));
    for (const QString& line : cgroups.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QString controllers = line.section(QLatin1Char(':'), 1, 1);
        QString path = line.section(QLatin1Char(':'), 2);
        // QEMU's main thread lives in the domain's "emulator" child group.
        if (path.endsWith(QLatin1String("/emulator"))) {
            path.chop(static_cast<qsizetype>(std::char_traits<char>::length("/emulator")));
        }
        if (controllers.split(QLatin1Char(',')).contains(QLatin1String("cpu"))) {
            for (const QString& mount : {QStringLiteral("/sys/fs/cgroup/cpu"),
                                         QStringLiteral("/sys/fs/cgroup/cpu,cpuacct")}) {
                if (QFileInfo::exists(mount + path + "/cpu.cfs_quota_us")) {
                    return mount + path;
                }
            }
        }
        if (controllers.isEmpty() && QFileInfo::exists("/sys/fs/cgroup" + path + "/cpu.max")) {
            return "/sys/fs/cgroup" + path;
        }
    }
    return fixtureError(QStringLiteral("cannot find the CPU cgroup of guest %1 (QEMU pid %2): "
                                       "/proc/%2/cgroup says %3")
                            .arg(name)
                            .arg(*pid)
                            .arg(cgroups.trimmed()));
}

Result<qint64> QemuAppliance::cgroupCpuQuota(const QString& name) const {
    auto dir = cpuCgroupDir(name);
    if (!dir) {
        return dir.error();
    }
    if (QFileInfo::exists(*dir + "/cpu.cfs_quota_us")) {
        bool ok = false;
        const qint64 quota = readText(*dir + "/cpu.cfs_quota_us").trimmed().toLongLong(&ok);
        if (ok) {
            return quota;
        }
    } else {
        // cgroup v2: "<quota|max> <period>".
        const QString max = readText(*dir + "/cpu.max").section(QLatin1Char(' '), 0, 0);
        if (max == QLatin1String("max")) {
            return qint64{-1};
        }
        bool ok = false;
        const qint64 quota = max.toLongLong(&ok);
        if (ok) {
            return quota;
        }
    }
    return fixtureError(
        QStringLiteral("cannot read the CPU quota of guest %1 in %2").arg(name, *dir));
}

QString QemuAppliance::diagnostics(const QString& name, int last_lines) {
    QStringList lines = serialLines(name);
    if (lines.size() > last_lines) {
        lines = lines.mid(lines.size() - last_lines);
    }
    const QString qemu_log = "/var/log/libvirt/qemu/" + name + ".log";
    return QStringLiteral(
               "\nLast serial lines of %1 (%2):\n%3\nQEMU's log %4 ends with:\n%5\n"
               "libvirtd's log: %6")
        .arg(name, serialLogPath(name),
             lines.isEmpty() ? QStringLiteral("(none)") : lines.join(QLatin1Char('\n')), qemu_log,
             lastLines(qemu_log, 5), libvirtdLogHint());
}

}  // namespace understudy::core::testing

// A real guest under a real libvirtd and QEMU (software emulation): what the appliance core relies
// on to grow and shrink a passive node, proven from inside the guest (its MemTotal on the serial
// console) and from the host (scheduler parameters, the cgroup, lifecycle events).
// The tests share one guest and run in order: each leaves it running at its standby footprint.
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <QRegularExpression>
#include <QtTest>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/appliance/qemu/libvirt_readings.h"
#include "tests/appliance/qemu/qemu_appliance.h"
#include "tests/support/libvirt_test_main.h"
#include "tests/support/result_checks.h"

using namespace understudy::core::testing;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr quint64 kStandbyMib = 256;
constexpr quint64 kActiveMib = 512;
constexpr qint64 kPeriodUs = 100000;
constexpr qint64 kStandbyQuotaUs = kPeriodUs;  // one vCPU of two
// Under emulation, on two cores shared with other builds: generous, never reached when healthy.
constexpr milliseconds kBootTimeout{120000};
constexpr milliseconds kChangeTimeout{30000};

qint64 elapsedMs(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration_cast<milliseconds>(to - from).count();
}

struct LifecycleEvent {
    QString domain;
    int event = 0;
    int detail = 0;
};

// Lifecycle events as libvirt delivers them on the fixture's event-loop thread.
class EventRecorder {
public:
    static void onLifecycle(virConnectPtr, virDomainPtr domain, int event, int detail,
                            void* opaque) {
        auto* self = static_cast<EventRecorder*>(opaque);
        const std::lock_guard lock(self->mutex_);
        self->events_.push_back({QString::fromUtf8(virDomainGetName(domain)), event, detail});
    }

    std::size_t mark() {
        const std::lock_guard lock(mutex_);
        return events_.size();
    }

    // Waits for `event` with `detail` on `domain` after `since`.
    bool waitFor(const QString& domain, int event, int detail, std::size_t since,
                 milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            {
                const std::lock_guard lock(mutex_);
                for (std::size_t i = since; i < events_.size(); ++i) {
                    if (events_[i].domain == domain && events_[i].event == event &&
                        events_[i].detail == detail) {
                        return true;
                    }
                }
            }
            std::this_thread::sleep_for(milliseconds(20));
        }
        return false;
    }

    QString describe() {
        const std::lock_guard lock(mutex_);
        QStringList seen;
        for (const LifecycleEvent& event : events_) {
            seen << QStringLiteral("%1:%2/%3").arg(event.domain).arg(event.event).arg(event.detail);
        }
        return seen.isEmpty() ? QStringLiteral("no events") : seen.join(QStringLiteral(", "));
    }

private:
    std::mutex mutex_;
    std::vector<LifecycleEvent> events_;
};

bool setGlobalQuota(virDomainPtr domain, qint64 quota_us) {
    virTypedParameterPtr parameters = nullptr;
    int count = 0;
    int capacity = 0;
    if (virTypedParamsAddLLong(&parameters, &count, &capacity, VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA,
                               quota_us) != 0) {
        return false;
    }
    const bool set = virDomainSetSchedulerParametersFlags(domain, parameters, count,
                                                          VIR_DOMAIN_AFFECT_LIVE) == 0;
    virTypedParamsFree(parameters, count);
    return set;
}

int domainState(virDomainPtr domain, int* reason = nullptr) {
    int state = -1;
    int why = -1;
    if (virDomainGetState(domain, &state, &why, 0) != 0) {
        return -1;
    }
    if (reason != nullptr) {
        *reason = why;
    }
    return state;
}

// The balloon's current size as libvirt reports it (what the core confirms a takeover from).
bool waitForLibvirtMemory(virDomainPtr domain, quint64 kib, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        virDomainInfo info{};
        if (virDomainGetInfo(domain, &info) == 0 && info.memory == kib) {
            return true;
        }
        std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
}

// Every QEMU process whose command line names the guest.
QStringList qemuProcessesOf(const QString& name) {
    QStringList found;
    const QByteArray needle = "guest=" + name.toUtf8();
    for (const QString& entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        QFile cmdline("/proc/" + entry + "/cmdline");
        if (cmdline.open(QIODevice::ReadOnly)) {
            QByteArray text = cmdline.readAll();
            text.replace('\0', ' ');
            if (text.startsWith("/usr/bin/qemu-system") && text.contains(needle + ",")) {
                found << entry;
            }
        }
    }
    return found;
}

}  // namespace

class TestQemuGuest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void coldBootReportsTheStandbyMemTotal();
    void growingTheBalloonLiveRaisesTheGuestsMemTotal();
    void shrinkingTheBalloonLiveLowersTheGuestsMemTotal();
    void globalQuotaCapsTheGuestAtItsStandbyVcpus();
    void liveQuotaReachesTheCgroup_data();
    void liveQuotaReachesTheCgroup();
    void suspendAndResumeAreReportedAsEvents();
    void managedSaveThenStartRestoresTheRunningGuest();
    void resetRebootsTheGuest();
    void destroyAndStartPowerCyclesTheGuestBackToStandby();
    void cleanupTestCase();

private:
    virDomainPtr domain() const { return fixture_.domain(name_); }
    QByteArray why(const QString& message) {
        return (message + fixture_.diagnostics(name_)).toUtf8();
    }
    QString bootAndMeasure(const char* what);

    QemuAppliance fixture_;
    EventRecorder events_;
    int callback_id_ = -1;
    QString name_;
};

void TestQemuGuest::initTestCase() {
    const auto started = Clock::now();
    const understudy::Status ready = fixture_.start();
    QVERIFY_OK(ready);
    qInfo("fixture ready in %lld ms (daemons started here: %s)",
          static_cast<long long>(elapsedMs(started, Clock::now())),
          fixture_.startedDaemons() ? "yes" : "no, already running");

    callback_id_ = virConnectDomainEventRegisterAny(
        fixture_.connection(), nullptr, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
        reinterpret_cast<virConnectDomainEventGenericCallback>(
            reinterpret_cast<void (*)()>(&EventRecorder::onLifecycle)),
        &events_, nullptr);
    QVERIFY2(callback_id_ >= 0,
             qPrintable("cannot register for lifecycle events: " + libvirtMessage()));

    GuestSpec spec;
    spec.max_memory_mib = kActiveMib;
    spec.current_memory_mib = kStandbyMib;
    spec.vcpus = 2;
    spec.global_period_us = kPeriodUs;
    spec.global_quota_us = kStandbyQuotaUs;
    spec.status_period_s = 0.25;  // finer timing of the balloon and boot figures
    auto defined = fixture_.defineGuest(spec);
    QVERIFY_OK(defined);
    name_ = *defined;
}

QString TestQemuGuest::bootAndMeasure(const char* what) {
    const qsizetype mark = fixture_.serialMark(name_);
    const auto created = Clock::now();
    if (virDomainCreate(domain()) != 0) {
        return "virDomainCreate failed: " + libvirtMessage();
    }
    const auto running = Clock::now();
    auto first = fixture_.waitForStatus(
        name_, [](const GuestStatus&) { return true; }, QStringLiteral("its first status line"),
        kBootTimeout, mark);
    if (!first) {
        return QString::fromStdString(first.error().message);
    }
    if (first->seq > 2) {
        return QStringLiteral("the guest did not boot afresh: its first line was %1")
            .arg(first->line);
    }
    qInfo("%s: virDomainCreate returned after %lld ms; first status line after %lld ms (%s)", what,
          static_cast<long long>(elapsedMs(created, running)),
          static_cast<long long>(elapsedMs(created, first->seen)), qPrintable(first->line));
    return {};
}

void TestQemuGuest::coldBootReportsTheStandbyMemTotal() {
    const std::size_t since = events_.mark();
    const QString failure = bootAndMeasure("cold boot");
    QVERIFY2(failure.isEmpty(), why(failure).constData());
    QVERIFY2(events_.waitFor(name_, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED,
                             since, kChangeTimeout),
             qPrintable("no STARTED/BOOTED event; seen: " + events_.describe()));

    // The guest starts with all of <memory> and the balloon takes it down to <currentMemory>.
    auto standby = fixture_.waitForStatus(
        name_, [](const GuestStatus& s) { return s.memtotal_kib <= qint64{kStandbyMib} * 1024; },
        QStringLiteral("MemTotal at most %1 MiB").arg(kStandbyMib), kChangeTimeout);
    QVERIFY_OK(standby);
    QVERIFY(standby->memtotal_kib > 0);
    QCOMPARE(standby->online_cpus, 2);
}

void TestQemuGuest::growingTheBalloonLiveRaisesTheGuestsMemTotal() {
    const auto before = fixture_.latestStatus(name_);
    QVERIFY(before.has_value());
    const qsizetype mark = fixture_.serialMark(name_);
    const auto asked = Clock::now();
    QVERIFY2(virDomainSetMemoryFlags(domain(), kActiveMib * 1024, VIR_DOMAIN_AFFECT_LIVE) == 0,
             qPrintable("virDomainSetMemoryFlags(LIVE) failed: " + libvirtMessage()));
    const auto answered = Clock::now();
    // More than half of the added memory must show: the rest is the kernel's own overhead.
    const qint64 grown_kib = before->memtotal_kib + qint64{kActiveMib - kStandbyMib} * 1024 / 2;
    auto grown = fixture_.waitForStatus(
        name_, [grown_kib](const GuestStatus& s) { return s.memtotal_kib >= grown_kib; },
        QStringLiteral("MemTotal of at least %1 KiB").arg(grown_kib), kChangeTimeout, mark);
    QVERIFY_OK(grown);
    qInfo(
        "balloon %llu -> %llu MiB: call returned after %lld ms; guest MemTotal %lld -> %lld KiB "
        "seen after %lld ms",
        static_cast<unsigned long long>(kStandbyMib), static_cast<unsigned long long>(kActiveMib),
        static_cast<long long>(elapsedMs(asked, answered)),
        static_cast<long long>(before->memtotal_kib), static_cast<long long>(grown->memtotal_kib),
        static_cast<long long>(elapsedMs(asked, grown->seen)));
    QVERIFY2(waitForLibvirtMemory(domain(), kActiveMib * 1024, kChangeTimeout),
             "libvirt never reported the domain's memory at the active size");

    // Live only: the persistent definition keeps the standby footprint.
    char* inactive = virDomainGetXMLDesc(domain(), VIR_DOMAIN_XML_INACTIVE);
    QVERIFY(inactive != nullptr);
    const QString xml = QString::fromUtf8(inactive);
    free(inactive);  // NOLINT(cppcoreguidelines-no-malloc)
    const auto current =
        QRegularExpression(QStringLiteral("<currentMemory unit='KiB'>(\\d+)<")).match(xml);
    QVERIFY2(current.hasMatch(), qPrintable(xml));
    QCOMPARE(current.captured(1).toULongLong(), kStandbyMib * 1024);
}

void TestQemuGuest::shrinkingTheBalloonLiveLowersTheGuestsMemTotal() {
    const qsizetype mark = fixture_.serialMark(name_);
    const auto asked = Clock::now();
    QVERIFY2(virDomainSetMemoryFlags(domain(), kStandbyMib * 1024, VIR_DOMAIN_AFFECT_LIVE) == 0,
             qPrintable("virDomainSetMemoryFlags(LIVE) failed: " + libvirtMessage()));
    auto shrunk = fixture_.waitForStatus(
        name_, [](const GuestStatus& s) { return s.memtotal_kib <= qint64{kStandbyMib} * 1024; },
        QStringLiteral("MemTotal at most %1 MiB").arg(kStandbyMib), kChangeTimeout, mark);
    QVERIFY_OK(shrunk);
    qInfo("balloon %llu -> %llu MiB: guest MemTotal %lld KiB seen after %lld ms",
          static_cast<unsigned long long>(kActiveMib), static_cast<unsigned long long>(kStandbyMib),
          static_cast<long long>(shrunk->memtotal_kib),
          static_cast<long long>(elapsedMs(asked, shrunk->seen)));
    QVERIFY2(waitForLibvirtMemory(domain(), kStandbyMib * 1024, kChangeTimeout),
             "libvirt never reported the domain's memory back at the standby size");
}

void TestQemuGuest::globalQuotaCapsTheGuestAtItsStandbyVcpus() {
    QCOMPARE(liveSchedulerParameter(domain(), VIR_DOMAIN_SCHEDULER_GLOBAL_PERIOD), kPeriodUs);
    QCOMPARE(liveSchedulerParameter(domain(), VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA), kStandbyQuotaUs);
    auto cgroup = fixture_.cgroupCpuQuota(name_);
    QVERIFY_OK(cgroup);
    QCOMPARE(*cgroup, kStandbyQuotaUs);
    // The cap is a quota, not fewer vCPUs: both stay online in the guest.
    auto status = fixture_.waitForStatus(
        name_, [](const GuestStatus&) { return true; }, QStringLiteral("a status line"),
        kChangeTimeout, fixture_.serialMark(name_));
    QVERIFY_OK(status);
    QCOMPARE(status->online_cpus, 2);
}

void TestQemuGuest::liveQuotaReachesTheCgroup_data() {
    QTest::addColumn<qint64>("quota");
    // Takeover lifts the cap; release sets it again; partial grants are whole vCPUs.
    QTest::newRow("lifted") << qint64{-1};
    QTest::newRow("two vCPUs") << 2 * kPeriodUs;
    QTest::newRow("capped again at one vCPU") << kStandbyQuotaUs;
}

void TestQemuGuest::liveQuotaReachesTheCgroup() {
    QFETCH(qint64, quota);
    const auto asked = Clock::now();
    QVERIFY2(setGlobalQuota(domain(), quota),
             qPrintable("virDomainSetSchedulerParametersFlags failed: " + libvirtMessage()));
    qInfo("global_quota %lld set in %lld ms", static_cast<long long>(quota),
          static_cast<long long>(elapsedMs(asked, Clock::now())));
    QCOMPARE(liveSchedulerParameter(domain(), VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA), quota);
    auto cgroup = fixture_.cgroupCpuQuota(name_);
    QVERIFY_OK(cgroup);
    QCOMPARE(*cgroup, quota);
}

void TestQemuGuest::suspendAndResumeAreReportedAsEvents() {
    const std::size_t since = events_.mark();
    QVERIFY2(virDomainSuspend(domain()) == 0, qPrintable("suspend failed: " + libvirtMessage()));
    QCOMPARE(domainState(domain()), int{VIR_DOMAIN_PAUSED});
    QVERIFY2(events_.waitFor(name_, VIR_DOMAIN_EVENT_SUSPENDED, VIR_DOMAIN_EVENT_SUSPENDED_PAUSED,
                             since, kChangeTimeout),
             qPrintable("no SUSPENDED/PAUSED event; seen: " + events_.describe()));
    const qsizetype mark = fixture_.serialMark(name_);
    QVERIFY2(virDomainResume(domain()) == 0, qPrintable("resume failed: " + libvirtMessage()));
    QVERIFY2(events_.waitFor(name_, VIR_DOMAIN_EVENT_RESUMED, VIR_DOMAIN_EVENT_RESUMED_UNPAUSED,
                             since, kChangeTimeout),
             qPrintable("no RESUMED/UNPAUSED event; seen: " + events_.describe()));
    auto alive = fixture_.waitForStatus(
        name_, [](const GuestStatus&) { return true; },
        QStringLiteral("a status line after resuming"), kChangeTimeout, mark);
    QVERIFY_OK(alive);
}

void TestQemuGuest::managedSaveThenStartRestoresTheRunningGuest() {
    const auto before = fixture_.latestStatus(name_);
    QVERIFY(before.has_value());
    const std::size_t since = events_.mark();

    const auto save_started = Clock::now();
    QVERIFY2(virDomainManagedSave(domain(), 0) == 0,
             why("virDomainManagedSave failed: " + libvirtMessage()).constData());
    const auto saved = Clock::now();
    int reason = -1;
    QCOMPARE(domainState(domain(), &reason), int{VIR_DOMAIN_SHUTOFF});
    QCOMPARE(reason, int{VIR_DOMAIN_SHUTOFF_SAVED});
    QCOMPARE(virDomainHasManagedSaveImage(domain(), 0), 1);
    QVERIFY2(events_.waitFor(name_, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_SAVED, since,
                             kChangeTimeout),
             qPrintable("no STOPPED/SAVED event; seen: " + events_.describe()));

    const qsizetype mark = fixture_.serialMark(name_);
    const auto restore_started = Clock::now();
    QVERIFY2(virDomainCreate(domain()) == 0,
             why("virDomainCreate from the managed save failed: " + libvirtMessage()).constData());
    const auto restored = Clock::now();
    QVERIFY2(events_.waitFor(name_, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_RESTORED,
                             since, kChangeTimeout),
             qPrintable("no STARTED/RESTORED event; seen: " + events_.describe()));
    QCOMPARE(virDomainHasManagedSaveImage(domain(), 0), 0);
    // The same boot carries on: its counter continues instead of starting again at 1.
    const qint64 last_seq = before->seq;
    auto resumed = fixture_.waitForStatus(
        name_, [last_seq](const GuestStatus& s) { return s.seq > last_seq; },
        QStringLiteral("a status line continuing after seq %1").arg(last_seq), kChangeTimeout,
        mark);
    QVERIFY_OK(resumed);
    qInfo("managed save %lld ms, restore %lld ms, first status line after restore %lld ms (%s)",
          static_cast<long long>(elapsedMs(save_started, saved)),
          static_cast<long long>(elapsedMs(restore_started, restored)),
          static_cast<long long>(elapsedMs(restore_started, resumed->seen)),
          qPrintable(resumed->line));
    QCOMPARE(liveSchedulerParameter(domain(), VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA), kStandbyQuotaUs);
}

void TestQemuGuest::resetRebootsTheGuest() {
    const auto before = fixture_.latestStatus(name_);
    QVERIFY(before.has_value());
    const qint64 last_seq = before->seq;
    QVERIFY2(last_seq > 2, "the guest's counter must be past a fresh boot's before the reset");
    const qsizetype mark = fixture_.serialMark(name_);
    QVERIFY2(virDomainReset(domain(), 0) == 0, qPrintable("reset failed: " + libvirtMessage()));
    auto rebooted = fixture_.waitForStatus(
        name_, [last_seq](const GuestStatus& s) { return s.seq < last_seq; },
        QStringLiteral("a fresh boot's status line (seq below %1)").arg(last_seq), kBootTimeout,
        mark);
    QVERIFY_OK(rebooted);
    QCOMPARE(domainState(domain()), int{VIR_DOMAIN_RUNNING});
}

void TestQemuGuest::destroyAndStartPowerCyclesTheGuestBackToStandby() {
    // A taken-over node (cap lifted, balloon deflated) that is power-cycled comes back as a
    // standby: live changes never reached the persistent definition.
    QVERIFY(setGlobalQuota(domain(), -1));
    QVERIFY(virDomainSetMemoryFlags(domain(), kActiveMib * 1024, VIR_DOMAIN_AFFECT_LIVE) == 0);
    const std::size_t since = events_.mark();
    QVERIFY2(virDomainDestroy(domain()) == 0, qPrintable("destroy failed: " + libvirtMessage()));
    int reason = -1;
    QCOMPARE(domainState(domain(), &reason), int{VIR_DOMAIN_SHUTOFF});
    QCOMPARE(reason, int{VIR_DOMAIN_SHUTOFF_DESTROYED});
    QVERIFY2(events_.waitFor(name_, VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED,
                             since, kChangeTimeout),
             qPrintable("no STOPPED/DESTROYED event; seen: " + events_.describe()));

    const QString failure = bootAndMeasure("cold boot after destroy");
    QVERIFY2(failure.isEmpty(), why(failure).constData());
    QVERIFY2(events_.waitFor(name_, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STARTED_BOOTED,
                             since, kChangeTimeout),
             qPrintable("no STARTED/BOOTED event; seen: " + events_.describe()));
    QCOMPARE(liveSchedulerParameter(domain(), VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA), kStandbyQuotaUs);
    auto standby = fixture_.waitForStatus(
        name_, [](const GuestStatus& s) { return s.memtotal_kib <= qint64{kStandbyMib} * 1024; },
        QStringLiteral("MemTotal at most %1 MiB").arg(kStandbyMib), kChangeTimeout);
    QVERIFY_OK(standby);
}

void TestQemuGuest::cleanupTestCase() {
    if (callback_id_ >= 0 && fixture_.connection() != nullptr) {
        virConnectDomainEventDeregisterAny(fixture_.connection(), callback_id_);
    }
    const auto started = Clock::now();
    const understudy::Status stopped = fixture_.stop();
    QVERIFY_OK(stopped);
    qInfo("fixture cleaned up in %lld ms",
          static_cast<long long>(elapsedMs(started, Clock::now())));
    if (!name_.isEmpty()) {
        const QStringList left = qemuProcessesOf(name_);
        QVERIFY2(left.isEmpty(), qPrintable("QEMU processes left for " + name_ + ": " +
                                            left.join(QLatin1Char(' '))));
    }
}

QTEST_MAIN_WITHOUT_GLIB(TestQemuGuest)
#include "test_qemu_guest.moc"

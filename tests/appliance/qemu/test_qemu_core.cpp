// The appliance core against a real libvirtd and QEMU (software emulation): two tiny guests
// registered as passive nodes on qemu:///system, defined by the core from a domain template,
// then driven only through ApplianceCore and checked from libvirt (current memory, the live
// global_quota), from the kernel (the guest's CPU cgroup) and from inside the guests (MemTotal
// and their boot counter on the serial console).
//
// The appliance's reserve is chosen here so that its usable memory is 1 GiB: the high-priority
// node can only take over by preempting the low-priority one (admission = warn, since that
// fleet is unservable at full size by design). The tests share the guests and run in order.
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <QTemporaryDir>
#include <QtTest>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "appliance/core/appliance_core.h"
#include "appliance/hypervisor/node_lifecycle.h"
#include "tests/appliance/core/core_fixture.h"
#include "tests/appliance/qemu/libvirt_readings.h"
#include "tests/appliance/qemu/qemu_appliance.h"
#include "tests/appliance/qemu/qemu_core_setup.h"
#include "tests/support/libvirt_test_main.h"

using namespace understudy;
using namespace understudy::core;
using namespace understudy::hypervisor;
using namespace understudy::policy;
using namespace understudy::core::testing;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr std::int64_t kUsableMib = 1024;
constexpr std::int64_t kPeriodUs = 100000;
// The low-priority node (preempted) and the high-priority one (whose takeover needs 640 MiB
// while 512 are free: it preempts the other).
const sizing::Footprint kLowStandby{1, 256};
const sizing::Footprint kLowActive{2, 384};
const sizing::Footprint kHighStandby{1, 256};
const sizing::Footprint kHighActive{2, 896};
// Under emulation, on two cores shared with builds: generous, never reached when healthy.
constexpr milliseconds kBootTimeout{60000};
constexpr milliseconds kChangeTimeout{20000};

struct LibvirtView {
    int state = -1;
    qint64 memory_kib = 0;
    int vcpus = 0;
    std::optional<qint64> quota;
    int managed_save = -1;
};

// What libvirt says of a domain now, through the fixture's own connection.
LibvirtView lookAt(virDomainPtr domain) {
    LibvirtView view;
    virDomainInfo info{};
    if (domain == nullptr || virDomainGetInfo(domain, &info) != 0) {
        return view;
    }
    view.state = info.state;
    view.memory_kib = static_cast<qint64>(info.memory);
    view.vcpus = info.nrVirtCpu;
    view.managed_save = virDomainHasManagedSaveImage(domain, 0);
    if (info.state == VIR_DOMAIN_RUNNING) {
        view.quota = liveSchedulerParameter(domain, VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA);
    }
    return view;
}

QString describe(const LibvirtView& view) {
    return QStringLiteral("state %1, memory %2 KiB, %3 vCPUs, global_quota %4, managed save %5")
        .arg(view.state)
        .arg(view.memory_kib)
        .arg(view.vcpus)
        .arg(view.quota ? QString::number(*view.quota) : QStringLiteral("none"))
        .arg(view.managed_save);
}

bool memoryIs(const LibvirtView& view, std::int64_t mib) {
    return NodeLifecycle::memoryMatches(view.memory_kib, mib);
}

// A node's `current` against a footprint: vCPUs exactly, memory within the balloon's tolerance,
// as the core confirms a change (a balloon stops near its target, now and then a MiB short).
bool currentIs(const std::optional<sizing::Footprint>& current, const sizing::Footprint& expected) {
    return current && current->vcpus == expected.vcpus &&
           NodeLifecycle::memoryMatches(current->memory_mib * 1024, expected.memory_mib);
}

QString describe(const std::optional<sizing::Footprint>& current) {
    return current ? QStringLiteral("current: %1 vCPUs, %2 MiB")
                         .arg(current->vcpus)
                         .arg(current->memory_mib)
                   : QStringLiteral("current: none");
}

}  // namespace

class TestQemuCore : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void registeredNodesStartAtTheirStandbyFootprint();
    void takeoverGrowsTheGuestAndAnswersOnceLibvirtShowsIt();
    void releaseShrinksTheGuestBackToACappedStandby();
    void takeoverPreemptsTheLowerPriorityNodeByManagedSave();
    void releaseRestoresThePreemptedNodeFromItsSave();
    void fencingPowerCyclesAndResetsOnlyThatDomain();
    void lifecycleEventsBehindTheCoresBackMarkTheNodeDrifted();
    void aDomainUndefinedBehindTheCoresBackIsMissingAndNotRedefined();
    void cleanupTestCase();

private:
    virDomainPtr domain(const QString& name) const { return fixture_.domain(name); }
    QByteArray why(const QString& message, const QString& guest) {
        return (message + fixture_.diagnostics(guest)).toUtf8();
    }
    Result<NodeStatus> node(const QString& name) const { return core_->node(name.toStdString()); }
    // Waits until the core's view of the node is in `state` (without asking it to reconcile).
    bool waitForState(const QString& name, db::NodeState state, milliseconds timeout) const;
    Result<GuestStatus> waitForMemTotal(const QString& guest, bool above, qint64 kib,
                                        qsizetype since);
    std::vector<db::DBEvent> events() const {
        return eventsIn(core_->databasePath(), events_seen_);
    }
    void markEvents() {
        auto last = core_->lastEventId();
        events_seen_ = last ? *last : 0;
    }

    QemuAppliance fixture_{[] {
        QemuAppliance::Options options;
        // The core's LibvirtHypervisor runs libvirt's event loop; only one thread may.
        options.run_event_loop = false;
        return options;
    }()};
    QTemporaryDir dir_;
    std::unique_ptr<ApplianceCore> core_;
    QString low_;
    QString high_;
    qint64 low_standby_memtotal_ = 0;
    qint64 high_standby_memtotal_ = 0;
    db::Id events_seen_ = 0;
};

bool TestQemuCore::waitForState(const QString& name, db::NodeState state,
                                milliseconds timeout) const {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        auto now = node(name);
        if (now && now->state == state) {
            return true;
        }
        std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
}

Result<GuestStatus> TestQemuCore::waitForMemTotal(const QString& guest, bool above, qint64 kib,
                                                  qsizetype since) {
    return fixture_.waitForStatus(
        guest,
        [above, kib](const GuestStatus& s) {
            return above ? s.memtotal_kib >= kib : s.memtotal_kib <= kib;
        },
        QStringLiteral("MemTotal %1 %2 KiB").arg(above ? "of at least" : "of at most").arg(kib),
        kChangeTimeout, since);
}

void TestQemuCore::initTestCase() {
    QVERIFY(dir_.isValid());
    const Status ready = fixture_.start();
    QVERIFY_OK(ready);

    virNodeInfo host{};
    QVERIFY2(virNodeGetInfo(fixture_.connection(), &host) == 0, qPrintable(libvirtMessage()));
    const auto host_mib = static_cast<std::int64_t>(host.memory / 1024);
    QVERIFY(host_mib > kUsableMib);

    GuestSpec shape;
    shape.status_period_s = 0.25;
    auto appliance = qemuApplianceConfig(fixture_, shape, dir_.path());
    QVERIFY_OK(appliance);
    appliance->reserve_memory_mib = host_mib - kUsableMib;
    appliance->cpu_overcommit = 4.0 / static_cast<double>(host.cpus);  // 4 usable vCPUs
    auto opened =
        openQemuCore(*appliance, kChangeTimeout, dir_.filePath(QStringLiteral("core.db")));
    QVERIFY_OK(opened);
    core_ = std::move(*opened);
    const auto status = core_->appliances();
    QVERIFY(status && status->size() == 1);
    QVERIFY2(status->front().connected, status->front().last_error.c_str());

    low_ = fixture_.uniqueGuestName();
    high_ = fixture_.uniqueGuestName();
    RegistrationRequest request;
    request.clusters.push_back(cluster("low", 100, kLowStandby, kLowActive));
    request.clusters.back().node = low_.toStdString();
    request.clusters.push_back(cluster("high", 900, kHighStandby, kHighActive));
    request.clusters.back().node = high_.toStdString();
    auto registered = registerAndAdopt(*core_, fixture_, request);
    QVERIFY_OK(registered);
    QVERIFY(registered->accepted);
    QCOMPARE(registered->clusters.size(), std::size_t{2});
    QVERIFY(registered->clusters[0].defined_by_service);
}

void TestQemuCore::registeredNodesStartAtTheirStandbyFootprint() {
    for (const QString& guest : {low_, high_}) {
        const LibvirtView seen = lookAt(domain(guest));
        QCOMPARE(seen.state, int{VIR_DOMAIN_RUNNING});
        QVERIFY2(memoryIs(seen, 256), qPrintable(describe(seen)));
        // Booted with its active vCPUs, capped at one by the scheduler.
        QCOMPARE(seen.vcpus, 2);
        QCOMPARE(seen.quota, std::optional<qint64>(kPeriodUs));
        auto cgroup = fixture_.cgroupCpuQuota(guest);
        QVERIFY_OK(cgroup);
        QCOMPARE(*cgroup, kPeriodUs);
        auto status = node(guest);
        QVERIFY(status);
        QCOMPARE(status->state, db::NodeState::Standby);
        QVERIFY2(currentIs(status->current, sizing::Footprint{1, 256}),
                 qPrintable(describe(status->current)));
    }
    // The guests boot with all of <memory>; the balloon takes them down to their standby.
    auto low = waitForMemTotal(low_, false, 256 * 1024, 0);
    QVERIFY2(low, why(low ? QString() : QString::fromStdString(low.error().message), low_));
    auto high = waitForMemTotal(high_, false, 256 * 1024, 0);
    QVERIFY2(high, why(high ? QString() : QString::fromStdString(high.error().message), high_));
    low_standby_memtotal_ = low->memtotal_kib;
    high_standby_memtotal_ = high->memtotal_kib;
}

void TestQemuCore::takeoverGrowsTheGuestAndAnswersOnceLibvirtShowsIt() {
    markEvents();
    const qsizetype mark = fixture_.serialMark(low_);
    auto outcome = core_->takeover(low_.toStdString()).result();
    // Read before anything else: the answer must already find the grant applied.
    const LibvirtView answered = lookAt(domain(low_));
    QVERIFY_OK(outcome);
    QVERIFY(outcome->granted);
    QCOMPARE(outcome->grant->footprint, kLowActive);
    QVERIFY(!outcome->grant->partial);
    QVERIFY2(memoryIs(answered, kLowActive.memory_mib), qPrintable(describe(answered)));
    QCOMPARE(answered.quota, std::optional<qint64>(-1));
    auto cgroup = fixture_.cgroupCpuQuota(low_);
    QVERIFY(cgroup);
    QCOMPARE(*cgroup, qint64{-1});

    auto status = node(low_);
    QVERIFY(status);
    QCOMPARE(status->state, db::NodeState::Active);
    QCOMPARE(*status->current, kLowActive);
    const auto logged = events();
    QVERIFY(hasKind(logged, "takeover.requested", low_.toStdString()));
    QVERIFY(hasKind(logged, "takeover.granted", low_.toStdString()));

    // The guest itself sees most of the added memory.
    const qint64 grown = low_standby_memtotal_ + (kLowActive.memory_mib - 256) * 1024 / 2;
    auto seen = waitForMemTotal(low_, true, grown, mark);
    QVERIFY2(seen, why(seen ? QString() : QString::fromStdString(seen.error().message), low_));
}

void TestQemuCore::releaseShrinksTheGuestBackToACappedStandby() {
    markEvents();
    const qsizetype mark = fixture_.serialMark(low_);
    const Status released = core_->release(low_.toStdString()).result();
    QVERIFY_OK(released);
    const LibvirtView seen = lookAt(domain(low_));
    QCOMPARE(seen.state, int{VIR_DOMAIN_RUNNING});
    QVERIFY2(memoryIs(seen, 256), qPrintable(describe(seen)));
    // Capped again by the quota, never by unplugging vCPUs (which times out under emulation).
    QCOMPARE(seen.vcpus, 2);
    QCOMPARE(seen.quota, std::optional<qint64>(kPeriodUs));
    auto cgroup = fixture_.cgroupCpuQuota(low_);
    QVERIFY(cgroup);
    QCOMPARE(*cgroup, kPeriodUs);
    auto status = node(low_);
    QVERIFY(status);
    QCOMPARE(status->state, db::NodeState::Standby);
    QVERIFY2(currentIs(status->current, kLowStandby), qPrintable(describe(status->current)));
    QVERIFY(!status->grant.has_value());
    QVERIFY(hasKind(events(), "release", low_.toStdString()));
    auto shrunk = waitForMemTotal(low_, false, 256 * 1024, mark);
    QVERIFY2(shrunk,
             why(shrunk ? QString() : QString::fromStdString(shrunk.error().message), low_));
}

void TestQemuCore::takeoverPreemptsTheLowerPriorityNodeByManagedSave() {
    markEvents();
    const qsizetype mark = fixture_.serialMark(high_);
    auto outcome = core_->takeover(high_.toStdString()).result();
    QVERIFY_OK(outcome);
    QVERIFY2(outcome->granted, "denied although preempting the low-priority node frees enough");
    QCOMPARE(outcome->grant->footprint, kHighActive);
    QCOMPARE(outcome->grant->preempted, std::vector<std::string>{low_.toStdString()});

    const LibvirtView saved = lookAt(domain(low_));
    QCOMPARE(saved.state, int{VIR_DOMAIN_SHUTOFF});
    QCOMPARE(saved.managed_save, 1);
    auto low = node(low_);
    QVERIFY(low);
    QCOMPARE(low->state, db::NodeState::Preempted);
    QVERIFY(hasKind(events(), "preempted", low_.toStdString()));

    const LibvirtView grown = lookAt(domain(high_));
    QVERIFY2(memoryIs(grown, kHighActive.memory_mib), qPrintable(describe(grown)));
    QCOMPARE(grown.quota, std::optional<qint64>(-1));
    // Memory is never granted beyond the usable memory.
    auto appliance = core_->appliances();
    QVERIFY(appliance);
    const Headroom& headroom = appliance->front().headroom;
    QVERIFY(headroom.free.memory_mib >= 0);
    QCOMPARE(headroom.capacity.memory_mib, kUsableMib);

    const qint64 wanted = high_standby_memtotal_ + (kHighActive.memory_mib - 256) * 1024 / 2;
    auto seen = waitForMemTotal(high_, true, wanted, mark);
    QVERIFY2(seen, why(seen ? QString() : QString::fromStdString(seen.error().message), high_));
}

void TestQemuCore::releaseRestoresThePreemptedNodeFromItsSave() {
    auto before = fixture_.latestStatus(low_);
    QVERIFY(before.has_value());
    markEvents();
    const qsizetype mark = fixture_.serialMark(low_);
    const Status released = core_->release(high_.toStdString()).result();
    QVERIFY_OK(released);

    const LibvirtView high = lookAt(domain(high_));
    QVERIFY2(memoryIs(high, 256), qPrintable(describe(high)));
    QCOMPARE(high.quota, std::optional<qint64>(kPeriodUs));

    const LibvirtView low = lookAt(domain(low_));
    QCOMPARE(low.state, int{VIR_DOMAIN_RUNNING});
    QCOMPARE(low.managed_save, 0);
    QVERIFY2(memoryIs(low, 256), qPrintable(describe(low)));
    QCOMPARE(low.quota, std::optional<qint64>(kPeriodUs));
    auto status = node(low_);
    QVERIFY(status);
    QCOMPARE(status->state, db::NodeState::Standby);
    const auto logged = events();
    QVERIFY(hasKind(logged, "release", high_.toStdString()));
    QVERIFY(hasKind(logged, "restored", low_.toStdString()));

    // Restored, not rebooted: the guest's counter goes on from where it was saved.
    const qint64 seq = before->seq;
    auto resumed = fixture_.waitForStatus(
        low_, [seq](const GuestStatus& s) { return s.seq > seq; },
        QStringLiteral("a status line after seq=%1").arg(seq), kChangeTimeout, mark);
    QVERIFY2(resumed,
             why(resumed ? QString() : QString::fromStdString(resumed.error().message), low_));
}

void TestQemuCore::fencingPowerCyclesAndResetsOnlyThatDomain() {
    auto bystander = fixture_.qemuPid(low_);
    QVERIFY(bystander);
    markEvents();

    auto off = core_->power(high_.toStdString(), PowerAction::off).result();
    QVERIFY_OK(off);
    QCOMPARE(*off, PowerState::off);
    QCOMPARE(lookAt(domain(high_)).state, int{VIR_DOMAIN_SHUTOFF});
    QCOMPARE(node(high_)->state, db::NodeState::Fenced);

    qsizetype mark = fixture_.serialMark(high_);
    auto on = core_->power(high_.toStdString(), PowerAction::on).result();
    QVERIFY_OK(on);
    QCOMPARE(*on, PowerState::on);
    const LibvirtView started = lookAt(domain(high_));
    QCOMPARE(started.state, int{VIR_DOMAIN_RUNNING});
    QVERIFY2(memoryIs(started, 256), qPrintable(describe(started)));
    QCOMPARE(started.quota, std::optional<qint64>(kPeriodUs));
    QCOMPARE(node(high_)->state, db::NodeState::Standby);
    auto booted = fixture_.waitForStatus(
        high_, [](const GuestStatus& s) { return s.seq <= 2; }, QStringLiteral("a fresh boot"),
        kBootTimeout, mark);
    QVERIFY2(booted,
             why(booted ? QString() : QString::fromStdString(booted.error().message), high_));
    // Let it count past the first lines, so that a reset shows as the counter starting over.
    auto counting = fixture_.waitForStatus(
        high_, [](const GuestStatus& s) { return s.seq >= 4; }, QStringLiteral("seq=4"),
        kChangeTimeout, mark);
    QVERIFY(counting);

    mark = fixture_.serialMark(high_);
    auto reboot = core_->power(high_.toStdString(), PowerAction::reboot).result();
    QVERIFY_OK(reboot);
    QCOMPARE(*reboot, PowerState::on);
    auto rebooted = fixture_.waitForStatus(
        high_, [](const GuestStatus& s) { return s.seq <= 2; },
        QStringLiteral("a fresh boot after the reset"), kBootTimeout, mark);
    QVERIFY2(rebooted,
             why(rebooted ? QString() : QString::fromStdString(rebooted.error().message), high_));

    const auto logged = events();
    QVERIFY(hasKind(logged, "fence.off", high_.toStdString()));
    QVERIFY(hasKind(logged, "fence.on", high_.toStdString()));
    QVERIFY(hasKind(logged, "fence.reboot", high_.toStdString()));
    // Only that domain: the other node's QEMU ran through all of it.
    auto after = fixture_.qemuPid(low_);
    QVERIFY(after);
    QCOMPARE(*after, *bystander);
    QCOMPARE(node(low_)->state, db::NodeState::Standby);
    for (const db::DBEvent& event : logged) {
        QVERIFY2(event.node != low_.toStdString(), event.kind.c_str());
    }
}

void TestQemuCore::lifecycleEventsBehindTheCoresBackMarkTheNodeDrifted() {
    markEvents();
    // Through the fixture's own connection: the core hears of it only by libvirt's events.
    QVERIFY2(virDomainDestroy(domain(high_)) == 0, qPrintable(libvirtMessage()));
    QVERIFY2(waitForState(high_, db::NodeState::Drifted, kChangeTimeout),
             qPrintable(QStringLiteral("the core never saw the destroyed domain; node is %1")
                            .arg(QString::fromStdString(
                                std::string(db::nodeStateName(node(high_)->state))))));
    QVERIFY(hasKind(events(), "node.drifted", high_.toStdString()));

    // Started again behind its back at its persistent (standby) definition: settled again once
    // the guest's balloon has inflated to its standby memory (libvirt reports all of <memory>
    // until the driver loads, so the balloon event is what settles it).
    markEvents();
    QVERIFY2(virDomainCreate(domain(high_)) == 0, qPrintable(libvirtMessage()));
    QVERIFY2(waitForState(high_, db::NodeState::Standby, kBootTimeout),
             why(QStringLiteral("the node never settled after its domain was started again"), high_)
                 .constData());
    const LibvirtView seen = lookAt(domain(high_));
    QVERIFY2(memoryIs(seen, 256), qPrintable(describe(seen)));
    QCOMPARE(seen.quota, std::optional<qint64>(kPeriodUs));
    QVERIFY(hasKind(events(), "node.drifted", high_.toStdString()));
}

void TestQemuCore::aDomainUndefinedBehindTheCoresBackIsMissingAndNotRedefined() {
    auto bystander = fixture_.qemuPid(low_);
    QVERIFY(bystander);
    markEvents();
    QVERIFY2(virDomainDestroy(domain(high_)) == 0, qPrintable(libvirtMessage()));
    QVERIFY2(virDomainUndefineFlags(domain(high_), VIR_DOMAIN_UNDEFINE_MANAGED_SAVE) == 0,
             qPrintable(libvirtMessage()));
    QVERIFY(waitForState(high_, db::NodeState::Missing, kChangeTimeout));
    const Status reconciled = core_->reconcile().result();
    QVERIFY_OK(reconciled);

    QCOMPARE(node(high_)->state, db::NodeState::Missing);
    QVERIFY(hasKind(events(), "node.missing", high_.toStdString()));
    QVERIFY(!hasKind(events(), "node.recreated"));
    // recreate_missing is off: the core defined nothing in its place.
    virDomainPtr again = virDomainLookupByName(fixture_.connection(), high_.toUtf8().constData());
    const bool redefined = again != nullptr;
    if (again != nullptr) {
        virDomainFree(again);
    }
    QVERIFY(!redefined);
    auto after = fixture_.qemuPid(low_);
    QVERIFY(after);
    QCOMPARE(*after, *bystander);
}

void TestQemuCore::cleanupTestCase() {
    core_.reset();
    const Status stopped = fixture_.stop();
    QVERIFY_OK(stopped);
}

QTEST_MAIN_WITHOUT_GLIB(TestQemuCore)

#include "test_qemu_core.moc"

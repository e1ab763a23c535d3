// Hot growth against a VM-restart failover, on a real guest (libvirtd + QEMU under software
// emulation, the test fixture's tiny busybox guest; needs root, as the QEMU tests do).
//
// Hot: a passive node registered through the appliance core on qemu:///system idles at its
// standby footprint; the time from ApplianceCore::takeover() to the guest reporting its active
// memory (MemTotal on its serial console) is measured, then it is released again.
// Cold: the same guest defined at its active footprint is booted from power-off, and the time to
// its first status line is measured: what a failover that restarts the VM costs. Its MemTotal
// is the one the hot guest must reach, so no threshold comes from a reading taken while a
// balloon settles. Both include the guest's status period (0.1 s) as read latency.
//
//   bench/bench_qemu_takeover [rounds]
#include <libvirt/libvirt.h>

#include <QCoreApplication>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "appliance/core/appliance_core.h"
#include "tests/appliance/qemu/qemu_appliance.h"
#include "tests/appliance/qemu/qemu_core_setup.h"

using namespace understudy;
using namespace understudy::core;
using namespace understudy::core::testing;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr std::int64_t kStandbyMib = 256;
constexpr std::int64_t kActiveMib = 768;
constexpr milliseconds kTimeout{120000};

double ms(Clock::duration duration) {
    return std::chrono::duration<double, std::milli>(duration).count();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

bool fail(const std::string& what) {
    std::fprintf(stderr, "%s\n", what.c_str());
    return false;
}

bool atStandby(const GuestStatus& s) {
    return s.memtotal_kib <= kStandbyMib * 1024;
}

// The hot path: one passive node registered through the core, at its standby footprint.
struct HotNode {
    std::unique_ptr<ApplianceCore> core;
    QString node;
    // The MemTotal the guest reports at its active footprint: what the cold guest, the same
    // kernel booted at that footprint without a balloon, reports, less the 1% the service's
    // confirmation allows the balloon.
    qint64 active_kib = 0;
};

bool registerHotNode(QemuAppliance& fixture, const GuestSpec& shape, const QTemporaryDir& dir,
                     HotNode& hot) {
    auto appliance = qemuApplianceConfig(fixture, shape, dir.path());
    if (!appliance) {
        return fail(appliance.error().describe());
    }
    auto opened = openQemuCore(*appliance, kTimeout, dir.filePath(QStringLiteral("bench.db")));
    if (!opened) {
        return fail(opened.error().describe());
    }
    hot.core = std::move(*opened);
    hot.node = fixture.uniqueGuestName();
    ClusterRegistration cluster;
    cluster.spec.name = "bench";
    cluster.spec.priority = 500;
    cluster.spec.mtbf_hours = 8760;
    cluster.spec.mttr_hours = 24;
    cluster.spec.standby = {1, kStandbyMib};
    cluster.spec.active = {2, kActiveMib};
    cluster.node = hot.node.toStdString();
    cluster.token_hash = "hash";
    auto registered = registerAndAdopt(*hot.core, fixture, {{}, {cluster}});
    if (!registered || !registered->accepted) {
        return fail(registered ? "registration refused" : registered.error().describe());
    }
    auto standby = fixture.waitForStatus(hot.node, atStandby,
                                         QStringLiteral("its standby MemTotal"), kTimeout);
    return standby ? true : fail(standby.error().message);
}

// One takeover until the guest sees its active memory, and the release back to standby.
bool hotRound(QemuAppliance& fixture, const HotNode& hot, int round, std::vector<double>& grown,
              std::vector<double>& answered) {
    const qsizetype mark = fixture.serialMark(hot.node);
    const auto asked = Clock::now();
    auto outcome = hot.core->takeover(hot.node.toStdString()).result();
    const auto answer = Clock::now();
    if (!outcome || !outcome->granted) {
        return fail(outcome ? "takeover denied" : outcome.error().describe());
    }
    const qint64 active_kib = hot.active_kib;
    auto seen = fixture.waitForStatus(
        hot.node, [active_kib](const GuestStatus& s) { return s.memtotal_kib >= active_kib; },
        QStringLiteral("its active MemTotal"), kTimeout, mark);
    if (!seen) {
        return fail(seen.error().message);
    }
    grown.push_back(ms(seen->seen - asked));
    answered.push_back(ms(answer - asked));
    std::printf("hot %d: takeover answered after %.0f ms, guest at %lld KiB after %.0f ms\n",
                round + 1, answered.back(), static_cast<long long>(seen->memtotal_kib),
                grown.back());
    const qsizetype released_mark = fixture.serialMark(hot.node);
    if (Status released = hot.core->release(hot.node.toStdString()).result(); !released) {
        return fail(released.error().describe());
    }
    auto back = fixture.waitForStatus(
        hot.node, atStandby, QStringLiteral("its standby MemTotal again"), kTimeout, released_mark);
    return back ? true : fail(back.error().message);
}

// One boot of `guest` from power-off to its first status line, whose MemTotal is the one the
// guest has at the active footprint, then power-off again.
bool coldRound(QemuAppliance& fixture, const QString& guest, int round, std::vector<double>& booted,
               qint64& active_kib) {
    const qsizetype mark = fixture.serialMark(guest);
    const auto asked = Clock::now();
    if (virDomainCreate(fixture.domain(guest)) != 0) {
        return fail("cannot boot the cold guest");
    }
    auto seen = fixture.waitForStatus(
        guest, [](const GuestStatus& s) { return s.memtotal_kib > 0; },
        QStringLiteral("its first status line after a cold boot"), kTimeout, mark);
    if (!seen) {
        return fail(seen.error().message);
    }
    active_kib = seen->memtotal_kib;
    booted.push_back(ms(seen->seen - asked));
    std::printf("cold %d: booted to %lld KiB after %.0f ms\n", round + 1,
                static_cast<long long>(seen->memtotal_kib), booted.back());
    virDomainDestroy(fixture.domain(guest));
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    // libvirt's event loop (run by the core) needs GLib's default context.
    qputenv("QT_NO_GLIB", "1");
    qputenv("QT_LOGGING_RULES", "understudy.*.debug=false;understudy.*.info=false");
    QCoreApplication application(argc, argv);
    const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;

    QemuAppliance::Options options;
    options.run_event_loop = false;
    QemuAppliance fixture(options);
    if (Status started = fixture.start(); !started) {
        fail(started.error().describe());
        return 1;
    }
    QTemporaryDir dir;
    GuestSpec shape;
    shape.status_period_s = 0.1;

    // The guest defined at its active footprint: what a failover that restarts the VM costs,
    // and the MemTotal that marks the hot guest's growth done (same kernel, same <memory>).
    GuestSpec cold_spec = shape;
    cold_spec.max_memory_mib = kActiveMib;
    cold_spec.current_memory_mib = kActiveMib;
    cold_spec.vcpus = 2;
    auto cold_guest = fixture.defineGuest(cold_spec);
    if (!cold_guest) {
        fail(cold_guest.error().describe());
        return 1;
    }
    std::vector<double> booted;
    qint64 cold_active_kib = 0;
    for (int round = 0; round < rounds; ++round) {
        if (!coldRound(fixture, *cold_guest, round, booted, cold_active_kib)) {
            return 1;
        }
    }

    HotNode hot;
    hot.active_kib = cold_active_kib - kActiveMib * 1024 / 100;
    if (!registerHotNode(fixture, shape, dir, hot)) {
        return 1;
    }
    std::vector<double> grown;
    std::vector<double> answered;
    for (int round = 0; round < rounds; ++round) {
        if (!hotRound(fixture, hot, round, grown, answered)) {
            return 1;
        }
    }
    hot.core.reset();

    std::printf(
        "takeover answered by the API: median %.0f ms\nguest sees its active %lld MiB: median "
        "%.0f ms after the request\ncold boot (power-on -> guest sees it): median %.0f ms\n"
        "ratio cold/answered: %.1fx, cold/guest-visible: %.1fx (target at least 10x)\n",
        median(answered), static_cast<long long>(kActiveMib), median(grown), median(booted),
        median(booted) / median(answered), median(booted) / median(grown));
    if (Status stopped = fixture.stop(); !stopped) {
        fail(stopped.error().describe());
        return 1;
    }
    return 0;
}

// Hot growth against a VM-restart failover, on a real guest (libvirtd + QEMU under software
// emulation, the test fixture's tiny busybox guest; needs root, as the QEMU tests do).
//
// Hot: a passive node registered through the appliance core on qemu:///system idles at its
// standby footprint; the time from ApplianceCore::takeover() to the guest reporting its active
// memory (MemTotal on its serial console) is measured, then it is released again.
// Cold: the same guest defined at its active footprint is booted from power-off, and the time to
// the same point (its first status line with that MemTotal) is measured: what a failover that
// restarts the VM costs. Both include the guest's status period (0.1 s) as read latency.
//
//   bench/bench_qemu_takeover [rounds]
#include <libvirt/libvirt.h>

#include <QCoreApplication>
#include <QFile>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "appliance/core/appliance_core.h"
#include "tests/appliance/qemu/qemu_appliance.h"

using namespace understudy;
using namespace understudy::core;
using namespace understudy::policy;
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

int fail(const std::string& what) {
    std::fprintf(stderr, "%s\n", what.c_str());
    return 1;
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
        return fail(started.error().describe());
    }
    QTemporaryDir dir;
    GuestSpec shape;
    shape.status_period_s = 0.1;
    const QString template_path = dir.filePath(QStringLiteral("passive-node.xml"));
    {
        QFile file(template_path);
        if (!file.open(QIODevice::WriteOnly)) {
            return fail("cannot write the domain template");
        }
        file.write(fixture.domainXml(shape, QStringLiteral("${name}")).toUtf8());
    }
    CoreConfig config;
    config.policy.admission = AdmissionMode::warn;
    config.policy.confirm_timeout = kTimeout;
    ApplianceConfig appliance;
    appliance.name = "pna-qemu";
    appliance.uri = fixture.options().uri.toStdString();
    appliance.domain_template = template_path.toStdString();
    config.appliances.push_back(appliance);
    auto opened =
        ApplianceCore::open(config, dir.filePath(QStringLiteral("bench.db")).toStdString(), {});
    if (!opened) {
        return fail(opened.error().describe());
    }
    std::unique_ptr<ApplianceCore> core = std::move(*opened);

    const QString node = fixture.uniqueGuestName();
    ClusterRegistration cluster;
    cluster.spec.name = "bench";
    cluster.spec.priority = 500;
    cluster.spec.mtbf_hours = 8760;
    cluster.spec.mttr_hours = 24;
    cluster.spec.standby = {1, kStandbyMib};
    cluster.spec.active = {2, kActiveMib};
    cluster.node = node.toStdString();
    cluster.token_hash = "hash";
    auto registered = core->registerClusters({{}, {cluster}}).result();
    if (Status adopted = fixture.adopt(node); !adopted) {
        return fail(adopted.error().describe());
    }
    if (!registered || !registered->accepted) {
        return fail(registered ? "registration refused" : registered.error().describe());
    }
    auto standby = fixture.waitForStatus(
        node, [](const GuestStatus& s) { return s.memtotal_kib <= kStandbyMib * 1024; },
        QStringLiteral("its standby MemTotal"), kTimeout);
    if (!standby) {
        return fail(standby.error().message);
    }
    // The balloon gives back exactly what it held: the guest sees all of it (5% slack).
    const qint64 active_kib = standby->memtotal_kib + (kActiveMib - kStandbyMib) * 1024 * 95 / 100;
    const auto grown = [active_kib](const GuestStatus& s) { return s.memtotal_kib >= active_kib; };

    std::vector<double> hot;
    std::vector<double> answered;
    for (int round = 0; round < rounds; ++round) {
        const qsizetype mark = fixture.serialMark(node);
        const auto asked = Clock::now();
        auto outcome = core->takeover(node.toStdString()).result();
        const auto answer = Clock::now();
        if (!outcome || !outcome->granted) {
            return fail(outcome ? "takeover denied" : outcome.error().describe());
        }
        auto seen = fixture.waitForStatus(node, grown, QStringLiteral("its active MemTotal"),
                                          kTimeout, mark);
        if (!seen) {
            return fail(seen.error().message);
        }
        hot.push_back(ms(seen->seen - asked));
        answered.push_back(ms(answer - asked));
        std::printf("hot %d: takeover answered after %.0f ms, guest at %lld KiB after %.0f ms\n",
                    round + 1, answered.back(), static_cast<long long>(seen->memtotal_kib),
                    hot.back());
        const qsizetype released_mark = fixture.serialMark(node);
        if (Status released = core->release(node.toStdString()).result(); !released) {
            return fail(released.error().describe());
        }
        auto back = fixture.waitForStatus(
            node, [](const GuestStatus& s) { return s.memtotal_kib <= kStandbyMib * 1024; },
            QStringLiteral("its standby MemTotal again"), kTimeout, released_mark);
        if (!back) {
            return fail(back.error().message);
        }
    }
    core.reset();

    GuestSpec cold_spec = shape;
    cold_spec.max_memory_mib = kActiveMib;
    cold_spec.current_memory_mib = kActiveMib;
    cold_spec.vcpus = 2;
    auto cold_guest = fixture.defineGuest(cold_spec);
    if (!cold_guest) {
        return fail(cold_guest.error().describe());
    }
    // Its MemTotal at the active size, as the hot guest's after growth (same kernel, same
    // <memory>): the point a failover is done.
    const qint64 cold_kib = active_kib;
    std::vector<double> cold;
    for (int round = 0; round < rounds; ++round) {
        const qsizetype mark = fixture.serialMark(*cold_guest);
        const auto asked = Clock::now();
        if (virDomainCreate(fixture.domain(*cold_guest)) != 0) {
            return fail("cannot boot the cold guest");
        }
        auto seen = fixture.waitForStatus(
            *cold_guest, [cold_kib](const GuestStatus& s) { return s.memtotal_kib >= cold_kib; },
            QStringLiteral("its active MemTotal after a cold boot"), kTimeout, mark);
        if (!seen) {
            return fail(seen.error().message);
        }
        cold.push_back(ms(seen->seen - asked));
        std::printf("cold %d: booted to %lld KiB after %.0f ms\n", round + 1,
                    static_cast<long long>(seen->memtotal_kib), cold.back());
        virDomainDestroy(fixture.domain(*cold_guest));
    }

    std::printf(
        "hot growth (takeover request -> guest sees %lld MiB): median %.0f ms (answered after "
        "%.0f ms)\ncold boot (power-on -> guest sees it): median %.0f ms\nratio cold/hot: %.1fx "
        "(target at least 10x)\n",
        static_cast<long long>(kActiveMib), median(hot), median(answered), median(cold),
        median(cold) / median(hot));
    if (Status stopped = fixture.stop(); !stopped) {
        return fail(stopped.error().describe());
    }
    return 0;
}

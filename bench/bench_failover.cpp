// The failover itself on the live-cluster lab (tests/cluster/): the physical node erp-phys's
// corosync is killed, and the clock runs until crm_mon on erp-passive shows the application
// started there: detection, fencing, the takeover (the passive VM grows on the test-driver
// appliance) and the application's start. The same cluster without the takeover resource (a
// passive node of fixed size) gives the baseline; the difference is what the takeover adds.
// Each repetition is one failover; between repetitions erp-phys comes back and the application
// moves back, outside the clock. The failovers' own jitter (detection, fencing) is about half a
// second, so the difference of the medians is noisy; the takeover's step on the critical path is
// also read from the passive node's Pacemaker log. Root only (namespaces). Run:
//   bench/bench_failover                 (5 repetitions each; the medians, their difference and
//                                         the takeover's step at the end)
#include <benchmark/benchmark.h>

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QRegularExpression>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include "tests/cluster/cluster_lab.h"
#include "tests/cluster/erp_cluster.h"
#include "tests/cluster/lab_service.h"

namespace {

using namespace understudy::tests;

const QByteArray kFleet = R"({"clusters": [
  {"name": "erp", "priority": 900, "mtbf_hours": 8760, "mttr_hours": 24,
   "standby": {"vcpus": 1, "memory_mib": 1024}, "active": {"vcpus": 4, "memory_mib": 8192}}
]})";
const QString kPhys = QStringLiteral("erp-phys");
const QString kPassive = QStringLiteral("erp-passive");
constexpr int kSettleMs = 90000;

// One lab for the whole run: a cluster is configured anew for each benchmark.
struct Lab {
    ClusterLab lab{QStringLiteral(UNDERSTUDY_CLUSTER_LAB_DIR "/bench-failover")};
    LabService service{lab, testDriverAppliance(16, 16384)};
    QString token;
    QString error;

    Lab() {
        if (!service.start(kFleet, &error)) {
            return;
        }
        token = service.tokenFile(QStringLiteral("erp"));
        if (token.isEmpty()) {
            error = QStringLiteral("no token for erp");
            return;
        }
        lab.up({kPhys, kPassive}, &error);
    }

    bool runsOn(const QString& observer, const QString& node) const {
        return lab.runsOn(observer, QStringLiteral("erp-service"), node);
    }
};

Lab& sharedLab() {
    static Lab lab;
    return lab;
}

std::vector<double> g_with_takeover;
std::vector<double> g_fixed_size;
// Per failover with the takeover: from the takeover's start to the application's start, as
// erp-passive's Pacemaker logged them; what the takeover adds to the failover's critical path,
// free of the detection's and the fencing's jitter.
std::vector<double> g_takeover_step;

// The time of day (seconds) of the last line of `log` that says `action` was requested.
std::optional<double> lastRequest(const QString& log, const QString& action) {
    const QRegularExpression line(
        QStringLiteral(
            "(\\d\\d):(\\d\\d):(\\d\\d\\.\\d{3}) [^\\n]*Requesting local execution of %1")
            .arg(QRegularExpression::escape(action)));
    std::optional<double> last;
    for (auto it = line.globalMatch(log); it.hasNext();) {
        const auto match = it.next();
        last = match.captured(1).toDouble() * 3600 + match.captured(2).toDouble() * 60 +
               match.captured(3).toDouble();
    }
    return last;
}

bool configure(Lab& lab, bool takeover) {
    ErpClusterOptions options;
    options.url = lab.service.url();
    options.token_file = lab.token;
    options.takeover = takeover;
    options.sticky = true;
    return lab.lab.configure(kPhys, erpResources(options), erpConstraints(options)).exit_code ==
               0 &&
           ClusterLab::waitFor([&] { return lab.runsOn(kPhys, kPhys); }, kSettleMs);
}

// erp-phys back and the application moved back to it; false when the cluster did not settle.
bool restore(Lab& lab) {
    if (!lab.lab.start(kPhys) ||
        !ClusterLab::waitFor([&] { return lab.lab.online(kPassive, kPhys); }, kSettleMs)) {
        return false;
    }
    const auto crm_resource = [&](const QStringList& arguments) {
        return lab.lab.crmResource(kPhys, arguments).exit_code == 0;
    };
    const bool moved = crm_resource({QStringLiteral("--move"), QStringLiteral("--resource"),
                                     QStringLiteral("erp-app"), QStringLiteral("--node"), kPhys}) &&
                       ClusterLab::waitFor([&] { return lab.runsOn(kPhys, kPhys); }, kSettleMs);
    return crm_resource({QStringLiteral("--clear"), QStringLiteral("--resource"),
                         QStringLiteral("erp-app")}) &&
           moved &&
           ClusterLab::waitFor(
               [&] { return lab.service.state(kPassive) == QLatin1String("standby"); }, kSettleMs);
}

void BM_Failover(benchmark::State& state) {
    const bool takeover = state.range(0) != 0;
    Lab& lab = sharedLab();
    if (!lab.error.isEmpty()) {
        state.SkipWithError(qPrintable(QStringLiteral("lab: ") + lab.error));
        return;
    }
    if (!configure(lab, takeover)) {
        state.SkipWithError("the cluster did not settle with the application on erp-phys");
        return;
    }
    for (auto _ : state) {
        QElapsedTimer clock;
        clock.start();
        if (!lab.lab.killCorosync(kPhys) ||
            !ClusterLab::waitFor([&] { return lab.runsOn(kPassive, kPassive); }, kSettleMs)) {
            state.SkipWithError("the application did not start on erp-passive");
            return;
        }
        const double seconds = static_cast<double>(clock.nsecsElapsed()) / 1e9;
        state.SetIterationTime(seconds);
        (takeover ? g_with_takeover : g_fixed_size).push_back(seconds);
        if (takeover) {
            const QString log = lab.lab.pacemakerLog(kPassive);
            const auto takeover_start =
                lastRequest(log, QStringLiteral("start operation for erp-takeover"));
            const auto service_start =
                lastRequest(log, QStringLiteral("start operation for erp-service"));
            if (takeover_start && service_start) {
                g_takeover_step.push_back(*service_start - *takeover_start);
            }
        }
        state.PauseTiming();
        const bool restored = restore(lab);
        state.ResumeTiming();
        if (!restored) {
            state.SkipWithError("erp-phys did not come back with the application");
            return;
        }
    }
    state.SetLabel(takeover ? "with the takeover (the passive grows)" : "fixed-size passive");
}
BENCHMARK(BM_Failover)
    ->Arg(1)
    ->Arg(0)
    ->Iterations(1)
    ->Repetitions(5)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

double median(std::vector<double> values) {
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    const std::size_t middle = values.size() / 2;
    return values.size() % 2 != 0 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
    QString why;
    if (!enterPrivateNetwork(&why)) {
        std::fprintf(stderr, "bench_failover needs root: %s\n", qPrintable(why));
        return 1;
    }
    QCoreApplication application(argc, argv);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    sharedLab().lab.down();
    if (!g_with_takeover.empty() && !g_fixed_size.empty()) {
        const double with = median(g_with_takeover);
        const double fixed = median(g_fixed_size);
        std::printf(
            "kill -> application running, median of %zu and %zu failovers: with the takeover "
            "%.2f s, fixed-size passive %.2f s, the takeover adds %.2f s\n",
            g_with_takeover.size(), g_fixed_size.size(), with, fixed, with - fixed);
    }
    if (!g_takeover_step.empty()) {
        std::printf(
            "the takeover's start to the application's start (erp-passive's Pacemaker log), "
            "median of %zu: %.3f s\n",
            g_takeover_step.size(), median(g_takeover_step));
    }
    return 0;
}

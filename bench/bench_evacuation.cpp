// Evacuation of a lost appliance (understudyd(8), "Appliance loss"): the seeded benchmark fleet
// of make_fleet.py with 400 clusters at capacity scale 4 (docs/benchmarks.md), placed as the
// sizing engine proposes on 4 test-driver hosts of the generator's appliance size, registered
// (admission in warn mode, so every cluster is where the engine put it), then the policy set to
// enforce and the first appliance switched off and declared lost. Prints, per round, how many of
// its standby nodes were evacuated and stranded and how long the whole declaration took (plan,
// admission of each node, define and start of each copy on the survivors, one commit), then the
// median.
//
//   bench/bench_evacuation [rounds]     (UNDERSTUDY_BENCH_FLEET: another fleet file)
#include <QCoreApplication>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "appliance/core/appliance_core.h"
#include "sizing/engine.h"
#include "sizing/fleet_file.h"
#include "tests/appliance/core/faulty_hypervisor.h"
#include "tests/support/test_driver_host.h"

using namespace understudy;
using namespace understudy::core;
using Clock = std::chrono::steady_clock;

namespace {

sizing::Fleet loadFleet() {
    std::string path;
    if (const char* given = std::getenv("UNDERSTUDY_BENCH_FLEET")) {
        path = given;
    } else {
        path =
            (std::filesystem::temp_directory_path() / "understudy-bench-evacuation.json").string();
        const std::string command =
            "python3 " UNDERSTUDY_MAKE_FLEET
            " --clusters 400 --groups 8 --appliances 1 --capacity-scale 4 --seed 1 --output " +
            path;
        if (std::system(command.c_str()) != 0) {
            std::fprintf(stderr, "cannot run %s; set UNDERSTUDY_BENCH_FLEET\n",
                         UNDERSTUDY_MAKE_FLEET);
            std::exit(2);
        }
    }
    auto loaded = sizing::loadFleetFile(path);
    if (!loaded) {
        std::fprintf(stderr, "%s\n", loaded.error().describe().c_str());
        std::exit(2);
    }
    // A pool of four appliances of the generator's size, so that the fleet has room for one
    // of them to be lost (N+1); the engine places the clusters over them.
    sizing::Fleet fleet = std::move(*loaded);
    const sizing::ApplianceSpec size = fleet.appliances.front();
    fleet.appliances.clear();
    for (int a = 1; a <= 4; ++a) {
        sizing::ApplianceSpec appliance = size;
        appliance.name = "pna-" + std::to_string(a);
        fleet.appliances.push_back(appliance);
    }
    return fleet;
}

RegistrationRequest requestFor(const sizing::Fleet& fleet,
                               const std::vector<std::vector<std::size_t>>& placement) {
    RegistrationRequest request;
    request.groups = fleet.groups;
    for (std::size_t a = 0; a < placement.size(); ++a) {
        for (const std::size_t i : placement[a]) {
            ClusterRegistration cluster;
            cluster.spec = fleet.clusters[i];
            cluster.appliance = fleet.appliances[a].name;
            cluster.token_hash = "hash-of-" + cluster.spec.name;
            request.clusters.push_back(cluster);
        }
    }
    return request;
}

struct Round {
    std::size_t nodes = 0;
    std::size_t evacuated = 0;
    std::size_t stranded = 0;
    double seconds = 0;
    std::string first_reason;  // of the first node stranded, highest priority first
};

bool runRound(const sizing::Fleet& fleet, const std::string& domain_template, Round& round) {
    QTemporaryDir dir;
    CoreConfig config;
    config.policy.admission = policy::AdmissionMode::warn;
    config.policy.target_risk = fleet.target_risk;
    for (std::size_t a = 0; a < fleet.appliances.size(); ++a) {
        const sizing::ApplianceSpec& spec = fleet.appliances[a];
        const QString path = dir.filePath(QStringLiteral("host-%1.xml").arg(a));
        if (!testsupport::writeTestDriverHost(path, static_cast<int>(spec.vcpus), spec.memory_mib,
                                              {})) {
            return false;
        }
        ApplianceConfig appliance;
        appliance.name = spec.name;
        appliance.uri = "test://" + path.toStdString();
        appliance.cpu_overcommit = fleet.cpu_overcommit;
        config.appliances.push_back(appliance);
    }
    std::atomic<testing::FaultyHypervisor*> lost{nullptr};
    const std::string lost_name = config.appliances.front().name;
    config.open_hypervisor =
        [&](const ApplianceConfig& appliance) -> Result<std::unique_ptr<hypervisor::Hypervisor>> {
        auto real = hypervisor::LibvirtHypervisor::open(appliance.uri);
        if (!real) {
            return real.error();
        }
        auto wrapped = std::make_unique<testing::FaultyHypervisor>(std::move(*real));
        if (appliance.name == lost_name) {
            lost = wrapped.get();
        }
        return std::unique_ptr<hypervisor::Hypervisor>(std::move(wrapped));
    };
    auto opened = ApplianceCore::open(
        config, dir.filePath(QStringLiteral("bench.db")).toStdString(), domain_template);
    if (!opened) {
        std::fprintf(stderr, "%s\n", opened.error().describe().c_str());
        return false;
    }
    ApplianceCore& core = **opened;
    const auto placement = sizing::proposePlacement(fleet);
    round.nodes = placement.front().size();
    auto registered = core.registerClusters(requestFor(fleet, placement)).result();
    if (!registered || !registered->accepted) {
        std::fprintf(stderr, "registration failed\n");
        return false;
    }
    CorePolicy enforce = config.policy;
    enforce.admission = policy::AdmissionMode::enforce;
    if (Status set = core.setPolicy(enforce); !set || !core.reconcile().result()) {
        std::fprintf(stderr, "cannot settle the fleet\n");
        return false;
    }
    lost.load()->setHostOff(true);
    while (core.applianceLinks().front().state != ApplianceState::unreachable) {
        QCoreApplication::processEvents();
    }
    const auto start = Clock::now();
    auto outcome = core.declareLost(lost_name, LossCause{}).result();
    round.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!outcome) {
        std::fprintf(stderr, "%s\n", outcome.error().describe().c_str());
        return false;
    }
    round.evacuated = outcome->evacuated.size();
    round.stranded = outcome->stranded.size();
    if (!outcome->stranded.empty()) {
        round.first_reason = outcome->stranded.front().reason;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    qputenv("QT_NO_GLIB", "1");
    qputenv("QT_LOGGING_RULES",
            "understudy.*.debug=false;understudy.*.info=false;"
            "understudy.*.warning=false");
    QCoreApplication application(argc, argv);
    const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    const char* source = std::getenv("UNDERSTUDY_SOURCE_DIR");
    const std::string domain_template =
        std::string(source ? source : UNDERSTUDY_SOURCE_DIR) + "/appliance/data/passive-node.xml";
    const sizing::Fleet fleet = loadFleet();
    std::vector<double> times;
    for (int r = 0; r < rounds; ++r) {
        Round round;
        if (!runRound(fleet, domain_template, round)) {
            return 1;
        }
        std::printf(
            "round %d: %zu standby nodes on the lost appliance: %zu evacuated, %zu "
            "stranded, in %.3f s\n",
            r + 1, round.nodes, round.evacuated, round.stranded, round.seconds);
        if (!round.first_reason.empty()) {
            std::printf("  first stranded: %s\n", round.first_reason.c_str());
        }
        times.push_back(round.seconds);
    }
    std::sort(times.begin(), times.end());
    std::printf("median evacuation: %.3f s over %d rounds\n", times[times.size() / 2], rounds);
    return 0;
}

// The core crash test's child: an appliance core on a test-driver host that takes over and
// releases its nodes, many takeovers at once, until it is killed. It prints "granted NODE" the
// moment a takeover's future has answered granted (after its commit, as the API would answer),
// so every line on its output is an answer that must survive SIGKILL.
//
//   core_crash_runner DATABASE HOST_URI TEMPLATE NODES
#include <QCoreApplication>
#include <QFuture>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "appliance/core/appliance_core.h"

using namespace understudy;
using namespace understudy::core;

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: core_crash_runner DATABASE HOST_URI TEMPLATE NODES\n");
        return 2;
    }
    // libvirt's event loop needs GLib's default context, which Qt's GLib dispatcher would take.
    qputenv("QT_NO_GLIB", "1");
    qputenv("QT_LOGGING_RULES", "understudy.*.debug=false;understudy.*.info=false");
    QCoreApplication application(argc, argv);
    const int count = std::atoi(argv[4]);
    CoreConfig config;
    ApplianceConfig appliance;
    appliance.name = "pna-1";
    appliance.uri = argv[2];
    config.appliances.push_back(appliance);
    auto opened = ApplianceCore::open(config, argv[1], argv[3]);
    if (!opened) {
        std::fprintf(stderr, "%s\n", opened.error().describe().c_str());
        return 1;
    }
    ApplianceCore& core = **opened;

    RegistrationRequest request;
    std::vector<std::string> nodes;
    for (int i = 0; i < count; ++i) {
        ClusterRegistration cluster;
        cluster.spec.name = "c" + std::to_string(i);
        cluster.spec.priority = i % 10;
        cluster.spec.mtbf_hours = 8760;
        cluster.spec.mttr_hours = 24;
        cluster.spec.standby = {1, 256};
        cluster.spec.active = {2, 1024};
        cluster.token_hash = "hash-of-" + cluster.spec.name;
        request.clusters.push_back(cluster);
        nodes.push_back(cluster.spec.name + "-passive");
    }
    auto registered = core.registerClusters(request).result();
    if (!registered || !registered->accepted) {
        std::fprintf(stderr, "registration failed\n");
        return 1;
    }
    std::printf("ready\n");
    std::fflush(stdout);

    std::mutex output;
    for (;;) {
        std::vector<QFuture<void>> answered;
        for (const std::string& node : nodes) {
            answered.push_back(core.takeover(node).then(
                QtFuture::Launch::Sync, [&output, node](const Result<TakeoverOutcome>& outcome) {
                    if (outcome && outcome->granted) {
                        const std::lock_guard lock(output);
                        std::printf("granted %s\n", node.c_str());
                        std::fflush(stdout);
                    }
                }));
        }
        for (QFuture<void>& future : answered) {
            future.waitForFinished();
        }
        std::vector<QFuture<Status>> released;
        for (const std::string& node : nodes) {
            released.push_back(core.release(node));
        }
        for (QFuture<Status>& future : released) {
            if (!future.result()) {
                std::fprintf(stderr, "release failed\n");
                return 1;
            }
        }
    }
}

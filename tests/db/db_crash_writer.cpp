// A child for the crash test: writes events and grants forever, printing each id only after
// its commit returned, so every printed id is one the store acknowledged as durable.
// Usage: db_crash_writer DATABASE SEED
#include <cstdio>
#include <random>
#include <string>

#include "db/appliance_repository.h"
#include "db/cluster_repository.h"
#include "db/database.h"
#include "db/event_log.h"
#include "db/grant_repository.h"
#include "db/node_repository.h"

using namespace understudy::db;

namespace {

[[noreturn]] void fail(const understudy::Error& error) {
    std::fprintf(stderr, "db_crash_writer: %s: %s\n", error.code.c_str(), error.describe().c_str());
    std::exit(2);
}

template <typename T>
T check(understudy::Result<T> result) {
    if (!result) {
        fail(result.error());
    }
    return std::move(*result);
}

void acknowledge(char kind, Id id) {
    std::printf("%c %lld\n", kind, static_cast<long long>(id));
}

DBEvent event(const char* kind, TimeMs time) {
    return DBEvent{0, time, kind, "crash", "crash-passive", R"({"writer": "crash"})", "service"};
}

Id ensureNode(Database& database) {
    NodeRepository nodes(database);
    if (auto existing = check(nodes.byName("crash-passive"))) {
        return existing->id;
    }
    auto transaction = check(database.transaction());
    const Id appliance =
        check(ApplianceRepository(database).upsert({0, "pna-1", "test:///default", 0, 0, 1.0}));
    DBCluster cluster;
    cluster.name = "crash";
    cluster.priority = 100;
    cluster.mtbfHours = 100;
    cluster.mttrHours = 1;
    cluster.standby = {1, 1024};
    cluster.active = {4, 8192};
    cluster.tokenHash = "sha256$salt$crash";
    cluster.applianceId = appliance;
    const Id clusterId = check(ClusterRepository(database).insert(cluster));
    DBNode node;
    node.name = "crash-passive";
    node.clusterId = clusterId;
    node.applianceId = appliance;
    node.domain = "crash-passive";
    const Id nodeId = check(nodes.insert(node));
    if (auto committed = transaction.commit(); !committed) {
        fail(committed.error());
    }
    return nodeId;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: db_crash_writer DATABASE SEED\n");
        return 2;
    }
    auto database = check(Database::openWriter(argv[1]));
    const Id node = ensureNode(*database);
    EventLog log(*database);
    GrantRepository grants(*database);
    std::mt19937 random(static_cast<unsigned>(std::stoul(argv[2])));
    TimeMs time = 1'000'000;
    // A kill between takeover and release leaves the grant open; settle it as the core's
    // reconciliation would at start.
    check(grants.release(node, time));
    for (;;) {
        ++time;
        switch (random() % 3) {
            case 0:
                acknowledge('E', check(log.append(event("probe.failed", time))));
                break;
            case 1: {
                std::vector<DBEvent> batch(1 + random() % 50, event("probe.recovered", time));
                for (const Id id : check(log.append(batch))) {
                    acknowledge('E', id);
                }
                break;
            }
            default: {
                // A takeover: the grant and its event commit together, as the core does it.
                auto transaction = check(database->transaction());
                DBGrant grant;
                grant.nodeId = node;
                grant.memoryMib = 8192;
                grant.vcpus = 4;
                grant.grantedAt = time;
                const Id grantId = check(grants.open(grant));
                const Id granted = check(log.append(event("takeover.granted", time)));
                if (auto committed = transaction.commit(); !committed) {
                    fail(committed.error());
                }
                acknowledge('G', grantId);
                acknowledge('E', granted);
                std::fflush(stdout);
                auto release = check(database->transaction());
                check(grants.release(node, time + 1));
                const Id released = check(log.append(event("release", time + 1)));
                if (auto committed = release.commit(); !committed) {
                    fail(committed.error());
                }
                acknowledge('E', released);
                break;
            }
        }
        std::fflush(stdout);
    }
}

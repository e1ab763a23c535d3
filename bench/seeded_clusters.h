// A service database holding many clusters on one appliance, written directly with the db
// repositories: registering 10,000 clusters through the API places each one by running the
// appliance's whole risk analysis, quadratic in the fleet (docs/benchmarks.md,
// "bench_auth_flood"). Every cluster has one standby node and a token in the digest format.
#pragma once

#include <string>

#include "appliance/api/token_auth.h"
#include "appliance/hypervisor/domain_xml.h"
#include "db/appliance_repository.h"
#include "db/cluster_repository.h"
#include "db/database.h"
#include "db/node_repository.h"

namespace understudy::bench {

// Each seeded cluster's footprints; the host must fit `count` standby footprints. One vCPU in
// both: the test driver runs a domain with its definition's vCPUs, and the service would
// otherwise find every node drifted from its standby count.
inline constexpr db::Footprint kSeededStandby{1, 256};
inline constexpr db::Footprint kSeededActive{1, 1024};

inline std::string seededClusterName(int index) {
    return "flood-" + std::to_string(index);
}
inline std::string seededClusterToken(int index) {
    return "seeded-token-" + std::to_string(index);
}
inline std::string seededNodeName(int index) {
    return seededClusterName(index) + "-standby";
}

// The seeded nodes' domains rendered from `domain_template`, as the service defines them, for a
// test-driver host to run: the service then finds every node's domain as it left it instead of
// reporting 10,000 missing. The error's description in `error` when it cannot.
inline std::string seededDomains(const std::string& domain_template, int count,
                                 std::string& error) {
    auto loaded = hypervisor::loadDomainTemplate(domain_template);
    if (!loaded) {
        error = loaded.error().describe();
        return {};
    }
    std::string domains;
    for (int i = 0; i < count; ++i) {
        hypervisor::DomainSpec spec;
        spec.name = seededNodeName(i);
        spec.node.cluster = seededClusterName(i);
        spec.node.node = spec.name;
        spec.node.standby = {kSeededStandby.vcpus, kSeededStandby.memoryMib};
        spec.node.active = {kSeededActive.vcpus, kSeededActive.memoryMib};
        auto rendered = hypervisor::renderDomainXml(*loaded, spec);
        if (!rendered) {
            error = rendered.error().describe();
            return {};
        }
        domains += *rendered;
    }
    return domains;
}

// Writes `count` clusters and their nodes on appliance `appliance` (at `uri`) to the database at
// `path`, in one transaction; the error's description when it cannot, empty when done.
inline std::string seedClusters(const std::string& path, const std::string& appliance,
                                const std::string& uri, int count) {
    auto database = db::Database::openWriter(path);
    if (!database) {
        return database.error().describe();
    }
    auto transaction = (*database)->transaction();
    if (!transaction) {
        return transaction.error().describe();
    }
    db::DBAppliance host;
    host.name = appliance;
    host.uri = uri;
    auto appliance_id = db::ApplianceRepository(**database).insert(host);
    if (!appliance_id) {
        return appliance_id.error().describe();
    }
    db::ClusterRepository clusters(**database);
    db::NodeRepository nodes(**database);
    for (int i = 0; i < count; ++i) {
        db::DBCluster cluster;
        cluster.name = seededClusterName(i);
        cluster.mtbfHours = 8760;
        cluster.mttrHours = 4;
        cluster.standby = kSeededStandby;
        cluster.active = kSeededActive;
        cluster.tokenHash = api::tokenDigest(seededClusterToken(i));
        cluster.applianceId = *appliance_id;
        auto cluster_id = clusters.insert(cluster);
        if (!cluster_id) {
            return cluster_id.error().describe();
        }
        db::DBNode node;
        node.name = seededNodeName(i);
        node.clusterId = *cluster_id;
        node.applianceId = *appliance_id;
        node.domain = node.name;
        node.definedByService = true;
        if (auto inserted = nodes.insert(node); !inserted) {
            return inserted.error().describe();
        }
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error().describe();
    }
    return {};
}

}  // namespace understudy::bench

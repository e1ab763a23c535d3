// The clusters: their failure model, footprints, placement and token hash. Registering a
// cluster also starts its failover statistics (ClusterStatsRepository).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/database.h"
#include "db/records.h"

namespace understudy::db {

class ClusterRepository {
public:
    explicit ClusterRepository(Database& database) : database_(database) {}

    // Adds a cluster (its id is ignored) and its statistics row, observed from registeredAt,
    // in one transaction. conflict on a taken name; invalid_field on a value out of range or
    // an unknown group or appliance.
    Result<Id> insert(const DBCluster& cluster);
    // Rewrites the cluster with cluster.id; not_found when there is none.
    Status update(const DBCluster& cluster);
    Status setTokenHash(Id id, const std::string& tokenHash);
    // Replaces the cluster's token hash only if it is still `expected`; whether it was.
    Result<bool> replaceTokenHash(std::string_view name, std::string_view expected,
                                  std::string_view replacement);
    // Removes the cluster with its node, grants, probe results and statistics. Its events stay.
    Status remove(Id id);

    Result<std::optional<DBCluster>> byId(Id id) const;
    Result<std::optional<DBCluster>> byName(std::string_view name) const;
    // All clusters, by name.
    Result<std::vector<DBCluster>> list() const;
    Result<std::vector<DBCluster>> listByAppliance(Id applianceId) const;
    // The cluster whose token hash is `tokenHash`, by its unique index.
    Result<std::optional<std::string>> nameByTokenHash(std::string_view tokenHash) const;
    // The salted hashes of before schema version 5 not yet replaced (DBCluster::tokenHash), by
    // cluster name; read through their own index, so it costs nothing once none is left.
    Result<std::vector<std::pair<std::string, std::string>>> saltedTokenHashes() const;

private:
    Database& database_;
};

}  // namespace understudy::db

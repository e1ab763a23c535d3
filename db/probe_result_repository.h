// The results of each cluster's health probe of its physical active node, newest kept.
#pragma once

#include <optional>
#include <vector>

#include "db/database.h"
#include "db/records.h"

namespace understudy::db {

class ProbeResultRepository {
public:
    explicit ProbeResultRepository(Database& database) : database_(database) {}

    // Records a result (id ignored), its output cut to kMaxProbeOutputBytes at a character
    // boundary, and drops the cluster's results beyond the newest keepPerCluster, in one
    // transaction.
    Result<Id> record(const DBProbeResult& result, int keepPerCluster = 100);

    Result<std::optional<DBProbeResult>> latest(Id clusterId) const;
    // The cluster's results, newest first, at most limit.
    Result<std::vector<DBProbeResult>> recent(Id clusterId, int limit) const;

private:
    Database& database_;
};

}  // namespace understudy::db

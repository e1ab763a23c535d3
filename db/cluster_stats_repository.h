// Per-cluster failover statistics. They live apart from the event log so that retention can
// drop old events without forgetting how often and how long a cluster failed over; from them
// come the observed MTBF and MTTR of the `observed` failure model.
#pragma once

#include <optional>

#include "db/database.h"
#include "db/records.h"

namespace understudy::db {

class ClusterStatsRepository {
public:
    explicit ClusterStatsRepository(Database& database) : database_(database) {}

    // A takeover began at time: counts a failover, unless one is already open (a repeated
    // takeover of an active node is the same failover).
    Status recordTakeover(Id clusterId, TimeMs time);
    // The open takeover ended at time: adds its duration. Without an open takeover, nothing.
    Status recordRelease(Id clusterId, TimeMs time);

    // The statistics as of now (an open takeover counts as active up to now), with the
    // observed MTBF and MTTR once the cluster holds kMinFailoversForObserved failovers:
    // MTTR = time failed over / completed failovers; MTBF = time not failed over in the
    // observation window / failovers: the point estimates of an up/down alternation whose
    // long-run share of down time is MTTR / (MTBF + MTTR), as the sizing model assumes.
    Result<std::optional<DBClusterStats>> get(Id clusterId, TimeMs now) const;

private:
    Database& database_;
};

}  // namespace understudy::db

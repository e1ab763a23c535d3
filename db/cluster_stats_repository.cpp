#include "db/cluster_stats_repository.h"

#include <algorithm>

#include "base/error_codes.h"
#include "db/statement.h"

namespace understudy::db {

namespace {

constexpr double kMsPerHour = 3'600'000.0;

DBClusterStats read(const Statement& row) {
    DBClusterStats stats;
    stats.clusterId = row.integer(0);
    stats.failovers = row.integer(1);
    stats.completedFailovers = row.integer(2);
    stats.activeMs = row.integer(3);
    stats.lastFailover = row.optionalInteger(4);
    stats.activeSince = row.optionalInteger(5);
    stats.observedSince = row.integer(6);
    return stats;
}

// An update of a cluster's statistics that changed nothing either found the row in another
// state (no failover to start or end: fine) or found no row at all (not_found).
Status requireStats(const Database& database, const Result<std::int64_t>& changed, Id clusterId) {
    if (!changed) {
        return changed.error();
    }
    if (*changed > 0) {
        return Done{};
    }
    auto row = queryFirst<bool>(
        database.connection(), "SELECT 1 FROM cluster_stats WHERE cluster_id = ?",
        [](const Statement&) { return true; }, clusterId);
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return Error{errc::kNotFound, "no statistics for cluster " + std::to_string(clusterId),
                     database.path()};
    }
    return Done{};
}

}  // namespace

Status ClusterStatsRepository::recordTakeover(Id clusterId, TimeMs time) {
    return requireStats(
        database_,
        change(database_.connection(),
               "UPDATE cluster_stats SET failovers = failovers + 1, last_failover = ?1, "
               "active_since = ?1 WHERE cluster_id = ?2 AND active_since IS NULL",
               time, clusterId),
        clusterId);
}

Status ClusterStatsRepository::recordRelease(Id clusterId, TimeMs time) {
    return requireStats(
        database_,
        change(database_.connection(),
               "UPDATE cluster_stats SET completed_failovers = completed_failovers + 1, active_ms "
               "= active_ms + max(0, ?1 - active_since), active_since = NULL WHERE cluster_id = "
               "?2 AND active_since IS NOT NULL",
               time, clusterId),
        clusterId);
}

Result<std::optional<DBClusterStats>> ClusterStatsRepository::get(Id clusterId, TimeMs now) const {
    auto stats = queryFirst<DBClusterStats>(
        database_.connection(),
        "SELECT cluster_id, failovers, completed_failovers, active_ms, last_failover, "
        "active_since, observed_since FROM cluster_stats WHERE cluster_id = ?",
        read, clusterId);
    if (!stats || !*stats) {
        return stats;
    }
    DBClusterStats& result = **stats;
    const TimeMs ongoing = result.activeSince ? std::max<TimeMs>(0, now - *result.activeSince) : 0;
    const TimeMs completedActive = result.activeMs;
    result.activeMs += ongoing;
    if (result.failovers >= kMinFailoversForObserved) {
        const auto window = std::max<TimeMs>(0, now - result.observedSince);
        const auto up = std::max<TimeMs>(0, window - result.activeMs);
        result.observedMtbfHours =
            static_cast<double>(up) / kMsPerHour / static_cast<double>(result.failovers);
        if (result.completedFailovers > 0) {
            result.observedMttrHours = static_cast<double>(completedActive) / kMsPerHour /
                                       static_cast<double>(result.completedFailovers);
        }
    }
    return stats;
}

}  // namespace understudy::db

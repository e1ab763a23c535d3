#include "db/cluster_stats_repository.h"

#include <algorithm>

#include "db/statement.h"

namespace understudy::db {

namespace {

constexpr double kMsPerHour = 3'600'000.0;

Status requireChanged(Database& database, Id clusterId) {
    if (changedRows(database.connection()) > 0) {
        return Done{};
    }
    auto statement = Statement::prepare(database.connection(),
                                        "SELECT 1 FROM cluster_stats WHERE cluster_id = ?");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, clusterId);
    auto row = statement->step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return Error{"not_found", "no statistics for cluster " + std::to_string(clusterId),
                     database.path()};
    }
    return Done{};
}

}  // namespace

Status ClusterStatsRepository::recordTakeover(Id clusterId, TimeMs time) {
    auto statement = Statement::prepare(
        database_.connection(),
        "UPDATE cluster_stats SET failovers = failovers + 1, last_failover = ?1, active_since = "
        "?1 WHERE cluster_id = ?2 AND active_since IS NULL");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, time).bind(2, clusterId);
    if (auto done = statement->run(); !done) {
        return done;
    }
    return requireChanged(database_, clusterId);
}

Status ClusterStatsRepository::recordRelease(Id clusterId, TimeMs time) {
    auto statement = Statement::prepare(
        database_.connection(),
        "UPDATE cluster_stats SET completed_failovers = completed_failovers + 1, active_ms = "
        "active_ms + max(0, ?1 - active_since), active_since = NULL WHERE cluster_id = ?2 AND "
        "active_since IS NOT NULL");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, time).bind(2, clusterId);
    if (auto done = statement->run(); !done) {
        return done;
    }
    return requireChanged(database_, clusterId);
}

Result<std::optional<DBClusterStats>> ClusterStatsRepository::get(Id clusterId, TimeMs now) const {
    auto statement = Statement::prepare(
        database_.connection(),
        "SELECT cluster_id, failovers, completed_failovers, active_ms, last_failover, "
        "active_since, observed_since FROM cluster_stats WHERE cluster_id = ?");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, clusterId);
    auto stats = first<DBClusterStats>(*statement, [](const Statement& row) {
        DBClusterStats result;
        result.clusterId = row.integer(0);
        result.failovers = row.integer(1);
        result.completedFailovers = row.integer(2);
        result.activeMs = row.integer(3);
        result.lastFailover = row.optionalInteger(4);
        result.activeSince = row.optionalInteger(5);
        result.observedSince = row.integer(6);
        return result;
    });
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

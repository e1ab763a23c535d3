#include "db/headroom_history.h"

#include <algorithm>

#include "db/statement.h"

namespace understudy::db {

namespace {

DBHeadroomSample read(const Statement& row) {
    DBHeadroomSample sample;
    sample.applianceId = row.integer(0);
    sample.time = row.integer(1);
    sample.state = row.text(2);
    sample.freeMemoryMib = row.integer(3);
    sample.freeVcpus = row.integer(4);
    sample.denialRisk = row.real(5);
    sample.notReady = row.integer(6);
    return sample;
}

}  // namespace

Status HeadroomHistory::record(const std::vector<DBHeadroomSample>& samples, TimeMs retentionMs) {
    if (samples.empty()) {
        return Done{};
    }
    auto transaction = database_.transaction();
    if (!transaction) {
        return transaction.error();
    }
    TimeMs newest = samples.front().time;
    for (const DBHeadroomSample& sample : samples) {
        auto inserted = change(database_.connection(),
                               "INSERT OR REPLACE INTO headroom_samples (appliance_id, time, "
                               "state, free_memory_mib, free_vcpus, denial_risk, not_ready) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)",
                               sample.applianceId, sample.time, sample.state, sample.freeMemoryMib,
                               sample.freeVcpus, sample.denialRisk, sample.notReady);
        if (!inserted) {
            return inserted.error();
        }
        newest = std::max(newest, sample.time);
    }
    auto pruned = change(database_.connection(), "DELETE FROM headroom_samples WHERE time < ?",
                         newest - retentionMs);
    if (!pruned) {
        return pruned.error();
    }
    return transaction->commit();
}

Result<std::vector<DBHeadroomSample>> HeadroomHistory::samples(const HeadroomQuery& query) const {
    constexpr std::string_view kColumns =
        "appliance_id, time, state, free_memory_mib, free_vcpus, denial_risk, not_ready";
    if (query.since) {
        return queryAll<DBHeadroomSample>(
            database_.connection(),
            "SELECT " + std::string(kColumns) +
                " FROM headroom_samples WHERE appliance_id = ? AND time >= ? ORDER BY time LIMIT ?",
            read, query.applianceId, *query.since, query.limit);
    }
    auto newest = queryAll<DBHeadroomSample>(
        database_.connection(),
        "SELECT " + std::string(kColumns) +
            " FROM headroom_samples WHERE appliance_id = ? ORDER BY time DESC LIMIT ?",
        read, query.applianceId, query.limit);
    if (newest) {
        std::reverse(newest->begin(), newest->end());
    }
    return newest;
}

}  // namespace understudy::db

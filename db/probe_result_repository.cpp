#include "db/probe_result_repository.h"

#include "db/statement.h"

namespace understudy::db {

namespace {

// Cuts text to at most limit bytes without splitting a UTF-8 sequence.
std::string bounded(const std::string& text, std::size_t limit) {
    if (text.size() <= limit) {
        return text;
    }
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
        --end;
    }
    return text.substr(0, end);
}

DBProbeResult read(const Statement& row) {
    return DBProbeResult{row.integer(0), row.integer(1), row.integer(2), row.integer(3) != 0,
                         row.text(4)};
}

}  // namespace

Result<Id> ProbeResultRepository::record(const DBProbeResult& result, int keepPerCluster) {
    auto transaction = database_.transaction();
    if (!transaction) {
        return transaction.error();
    }
    auto id = insertRow(
        database_.connection(),
        "INSERT INTO probe_results (cluster_id, time, ok, output) VALUES (?, ?, ?, ?)",
        result.clusterId, result.time, result.ok, bounded(result.output, kMaxProbeOutputBytes));
    if (!id) {
        return id.error();
    }
    if (auto pruned =
            change(database_.connection(),
                   "DELETE FROM probe_results WHERE cluster_id = ?1 AND id <= (SELECT id FROM "
                   "probe_results WHERE cluster_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
                   result.clusterId, std::max(keepPerCluster, 1));
        !pruned) {
        return pruned.error();
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    return *id;
}

Result<std::optional<DBProbeResult>> ProbeResultRepository::latest(Id clusterId) const {
    return firstOf(recent(clusterId, 1));
}

Result<std::vector<DBProbeResult>> ProbeResultRepository::recent(Id clusterId, int limit) const {
    return queryAll<DBProbeResult>(database_.connection(),
                                   "SELECT id, cluster_id, time, ok, output FROM probe_results "
                                   "WHERE cluster_id = ? ORDER BY id DESC LIMIT ?",
                                   read, clusterId, limit);
}

}  // namespace understudy::db

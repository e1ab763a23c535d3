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
    auto statement = Statement::prepare(
        database_.connection(),
        "INSERT INTO probe_results (cluster_id, time, ok, output) VALUES (?, ?, ?, ?)");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, result.clusterId)
        .bind(2, result.time)
        .bind(3, result.ok)
        .bind(4, bounded(result.output, kMaxProbeOutputBytes));
    if (auto done = statement->run(); !done) {
        return done.error();
    }
    const Id id = lastInsertId(database_.connection());
    auto prune = Statement::prepare(
        database_.connection(),
        "DELETE FROM probe_results WHERE cluster_id = ?1 AND id <= (SELECT id FROM "
        "probe_results WHERE cluster_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
    if (!prune) {
        return prune.error();
    }
    prune->bind(1, result.clusterId).bind(2, std::max(keepPerCluster, 1));
    if (auto done = prune->run(); !done) {
        return done.error();
    }
    if (auto committed = transaction->commit(); !committed) {
        return committed.error();
    }
    return id;
}

Result<std::optional<DBProbeResult>> ProbeResultRepository::latest(Id clusterId) const {
    auto results = recent(clusterId, 1);
    if (!results) {
        return results.error();
    }
    return results->empty() ? std::optional<DBProbeResult>()
                            : std::optional<DBProbeResult>(results->front());
}

Result<std::vector<DBProbeResult>> ProbeResultRepository::recent(Id clusterId, int limit) const {
    auto statement =
        Statement::prepare(database_.connection(),
                           "SELECT id, cluster_id, time, ok, output FROM probe_results "
                           "WHERE cluster_id = ? ORDER BY id DESC LIMIT ?");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, clusterId).bind(2, limit);
    return collect<DBProbeResult>(*statement, read);
}

}  // namespace understudy::db

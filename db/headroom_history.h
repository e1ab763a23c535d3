// Each appliance's headroom over time (docs/http-api.md, "Appliance history"): the samples the
// service takes of what GET /appliances says, kept for kHeadroomRetentionMs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/database.h"
#include "db/records.h"

namespace understudy::db {

// A week: long enough to compare this week's peak with last week's, short enough that a
// sample a minute per appliance stays a few megabytes.
inline constexpr TimeMs kHeadroomRetentionMs = 7LL * 24 * 3600 * 1000;

// GET /appliances/{name}/history: a day of samples a minute by default, a week at most.
inline constexpr int kDefaultHeadroomPage = 1440;
inline constexpr int kMaxHeadroomPage = 10080;

struct DBHeadroomSample {
    Id applianceId = 0;
    TimeMs time = 0;
    std::string state;  // connected, unreachable or lost
    std::int64_t freeMemoryMib = 0;
    std::int64_t freeVcpus = 0;
    double denialRisk = 0;
    std::int64_t notReady = 0;
    bool operator==(const DBHeadroomSample&) const = default;
};

struct HeadroomQuery {
    Id applianceId = 0;
    // Samples at or after this time, oldest first; nothing: the newest `limit`, oldest first.
    std::optional<TimeMs> since;
    int limit = 1;
};

class HeadroomHistory {
public:
    explicit HeadroomHistory(Database& database) : database_(database) {}

    // Records the samples and drops those older than retentionMs before the newest of them, in
    // one transaction (a savepoint inside the caller's).
    Status record(const std::vector<DBHeadroomSample>& samples,
                  TimeMs retentionMs = kHeadroomRetentionMs);
    Result<std::vector<DBHeadroomSample>> samples(const HeadroomQuery& query) const;

private:
    Database& database_;
};

}  // namespace understudy::db

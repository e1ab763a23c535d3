// Prometheus text exposition (version 0.0.4) of the service's state: per appliance and resource
// its headroom, overbooking ratio and overflow risk against the risk target; nodes per state and
// each node's readiness; the takeover latency histogram; events per kind since the start;
// requests by route and status from the HTTP server's counters; failed and refused
// authentications; whether the database could be read. The names are a contract
// (docs/http-api.md, "Metrics"): the shipped alerting rules and dashboard use them.
#pragma once

#include <QByteArray>
#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "appliance/core/core_types.h"
#include "appliance/http/http_server.h"
#include "base/result.h"
#include "db/database.h"

namespace understudy::api {

// Seconds from a takeover request to its answer, for granted takeovers.
class LatencyHistogram {
public:
    static constexpr std::array<double, 12> kBounds{0.005, 0.01, 0.025, 0.05, 0.1,  0.25,
                                                    0.5,   1.0,  2.5,   5.0,  10.0, 30.0};
    void observe(double seconds);
    // Cumulative counts per bound, then the +Inf count.
    const std::array<std::uint64_t, kBounds.size()>& buckets() const { return buckets_; }
    std::uint64_t count() const { return count_; }
    double sum() const { return sum_; }

private:
    std::array<std::uint64_t, kBounds.size()> buckets_{};
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

// Events appended since the service started, per kind. Every known kind starts at 0, so an
// alert on the first takeover.denied or hook.failed sees an increase, not a new series.
class EventCounts {
public:
    EventCounts();
    // Counting starts with the event after `newest`.
    void startAfter(db::Id newest) { counted_ = newest; }
    // Reads the events appended since the last call.
    Status catchUp(db::Database& reader);
    const std::map<std::string, std::uint64_t>& counts() const { return counts_; }

private:
    std::map<std::string, std::uint64_t> counts_;
    db::Id counted_ = 0;
};

struct MetricsInput {
    // false when the database could not be read for this scrape: the appliances and nodes are
    // then left out, and the rest is still rendered so that monitoring sees why.
    bool database_available = true;
    double target_risk = 0;
    std::vector<core::ApplianceStatus> appliances;
    std::vector<core::NodeStatus> nodes;
    const LatencyHistogram* takeover_latency = nullptr;
    std::map<http::RequestKey, quint64> requests;
    std::int64_t last_event_id = 0;
    const EventCounts* events = nullptr;
    // Requests whose bearer token matched nobody, and requests refused 429 `too_many_failures`.
    std::uint64_t auth_failures = 0;
    std::uint64_t auth_refusals = 0;
};

QByteArray renderMetrics(const MetricsInput& input);

}  // namespace understudy::api

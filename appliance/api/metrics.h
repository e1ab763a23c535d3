// Prometheus text exposition (version 0.0.4) of the service's state: per appliance and resource
// its headroom, overbooking ratio and overflow risk; nodes per state; the takeover latency
// histogram; requests by route and status from the HTTP server's counters; failed and refused
// authentications.
#pragma once

#include <QByteArray>
#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "appliance/core/core_types.h"
#include "appliance/http/http_server.h"

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

struct MetricsInput {
    std::vector<core::ApplianceStatus> appliances;
    std::vector<core::NodeStatus> nodes;
    const LatencyHistogram* takeover_latency = nullptr;
    std::map<http::RequestKey, quint64> requests;
    std::int64_t last_event_id = 0;
    // Requests whose bearer token matched nobody, and requests refused 429 `too_many_failures`.
    std::uint64_t auth_failures = 0;
    std::uint64_t auth_refusals = 0;
};

QByteArray renderMetrics(const MetricsInput& input);

}  // namespace understudy::api

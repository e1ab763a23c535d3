// The risk of now (docs/http-api.md, "Resources", Appliance: denial_risk): the probability that
// at least one takeover on an appliance is denied within a horizon, given the grants held now.
// Pure: a model built from one snapshot, then the sizing engine's exact distributions on it.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "appliance/policy/arbitration.h"

namespace understudy::policy {

inline constexpr double kDenialHorizonHours = 24;

// Every cluster of the appliance that holds no grant now, failing within the horizon with
// p = 1 − e^(−H/MTBF) (its group likewise). A takeover is denied when the clusters that fail
// need more, in memory or in vCPUs, than the pool: the free headroom plus the standby
// footprints that every other takeover could reclaim (docs/sizing-method.md, "The risk of now").
struct DenialRiskModel {
    struct Member {
        double p_own = 0;
        int group = -1;  // index into groups, or −1
        // False for a node that cannot take over at all (not standby, or its appliance is not
        // usable): its cluster's failure is a denial whatever the headroom.
        bool able = true;
        std::array<std::int64_t, sizing::kResourceCount> demand{};
        bool operator==(const Member&) const = default;
    };
    std::array<std::int64_t, sizing::kResourceCount> pool{};
    std::vector<Member> members;
    std::vector<double> group_p;
    bool operator==(const DenialRiskModel&) const = default;
};

// `usable`: the appliance is connected and not lost, so its standby nodes can take over. The
// policy says whether takeovers may preempt at all.
DenialRiskModel denialRiskModel(const ApplianceView& appliance, bool usable,
                                const ArbitrationPolicy& policy,
                                double horizon_hours = kDenialHorizonHours);

// P(at least one takeover denied): the joint memory-or-vCPU overflow of the able members
// (exact by a two-dimensional convolution where its box is small enough, else the engine's
// Monte Carlo estimate), combined exactly with the failures of the members that cannot take
// over.
double denialRisk(const DenialRiskModel& model);

// The last model and its risk: consoles poll the appliance every second, and the model only
// changes with the fleet or the grants.
class DenialRiskMemo {
public:
    double valueFor(const DenialRiskModel& model);

private:
    std::mutex mutex_;
    std::optional<DenialRiskModel> model_;
    double value_ = 0;
};

}  // namespace understudy::policy

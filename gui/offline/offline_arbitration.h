// "Fail these clusters now" without a service: the OFFLINE APPROXIMATION of the appliance's
// arbitration (docs/http-api.md, "Takeover and the denial"). The appliance decides takeovers from
// its live state (what nodes really hold, grants already made, foreign domains); offline we only
// have the fleet and the engine's placement, so every node starts as a standby holding its standby
// footprint and the chosen clusters take over one by one, highest priority first, each trying in
// order: free headroom; preempting lower-priority standby nodes (lowest priority first, as few as
// needed); a partial grant of whole vCPUs with memory in full; deny. Memory is never granted beyond
// the usable memory. The console says so where it shows the outcomes; the service's own what-if
// replaces this in online mode.
#pragma once

#include <QString>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sizing/fleet.h"
#include "sizing/sizing_result.h"

namespace understudy::gui {

enum class TakeoverOutcome {
    granted,    // fits in the free headroom
    preempts,   // granted after preempting lower-priority standby nodes
    partial,    // memory in full, fewer vCPUs than the active footprint
    denied,     // does not fit even after every allowed preemption
    preempted,  // lost its standby footprint to a higher-priority takeover
};
QString takeoverOutcomeName(TakeoverOutcome outcome);

struct OfflineTakeover {
    std::string cluster;
    std::string appliance;
    int priority = 0;
    bool failing = false;  // one of the chosen clusters (a preempted bystander is not)
    TakeoverOutcome outcome = TakeoverOutcome::granted;
    sizing::Footprint grant;             // the whole footprint it would run at (zero when denied)
    sizing::Footprint wanted;            // its active footprint
    std::vector<std::string> preempted;  // the nodes this takeover preempted, in order
    std::string reason;                  // for denied and preempted: why, in one sentence
};

// One row per chosen cluster (in decision order: per appliance, highest priority first) and
// one per bystander that lost its standby. Clusters the result does not place are ignored.
// `active` (the live fleet): clusters whose node is active now, with what it holds; they start
// active, hold that instead of their standby, are never preempted, and a chosen one keeps it.
// `unavailable` (the live fleet): clusters whose node holds nothing now, with its state
// (fenced, preempted, stopped, missing); they are never preempted and a chosen one is denied.
std::vector<OfflineTakeover> approximateTakeovers(
    const sizing::Fleet& fleet, const sizing::SizingResult& result,
    const std::set<std::string>& failing,
    const std::map<std::string, sizing::Footprint>& active = {},
    const std::map<std::string, std::string>& unavailable = {});

}  // namespace understudy::gui

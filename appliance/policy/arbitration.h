// The appliance's decisions as pure functions over a snapshot: headroom accounting, admission
// control, takeover arbitration under contention, restoring preempted nodes, and what-if simulation
// (docs/sizing-method.md, "In the service": admission control; docs/http-api.md,
// "Takeover and the denial" and "Errors": contention at takeover, the denial and the admission
// refusal). No hypervisor and no database here: the core takes a snapshot under the appliance's
// lock, decides, then applies the decision through libvirt.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/records.h"
#include "sizing/fleet.h"
#include "sizing/sizing_result.h"

namespace understudy::policy {

using sizing::Footprint;
using sizing::Resource;

// One passive node as the arbiter sees it.
struct NodeView {
    std::string name;
    std::string cluster;
    int priority = 0;
    sizing::ClusterSpec spec;  // footprints, failure model, group, memory mode of its cluster
    db::NodeState state = db::NodeState::Standby;
    // While a grant is held (taking-over, active, releasing): the whole footprint granted,
    // standby included; a partial grant has fewer vCPUs than spec.active.
    std::optional<Footprint> grant;
};

// One appliance at one moment.
struct ApplianceView {
    std::string name;
    Footprint usable;   // host capacity minus reserve; vCPUs × overcommit, floored
    Footprint foreign;  // what domains the service does not own hold on the host
    double cpu_overcommit = 1.0;
    std::vector<NodeView> nodes;
    std::vector<sizing::GroupSpec> groups;  // the groups its clusters belong to
};

// Per resource, as docs/http-api.md ("Resources", Appliance) lists them: capacity, foreign, standby
// committed, granted, free.
struct Headroom {
    Footprint capacity;
    Footprint foreign;
    Footprint standby_committed;  // standby footprints of nodes that hold them now
    Footprint granted;            // what granted nodes hold above their standby footprint
    Footprint free;  // capacity − foreign − standby_committed − granted (may be < 0)
    // Σ active footprints of the appliance's nodes / capacity, per resource.
    std::array<double, sizing::kResourceCount> overbooking_ratio{};
};

// Which states hold their standby footprint on the host (running domains): standby,
// taking-over, active, releasing, drifted. Preempted (saved), fenced (off), stopped and missing
// nodes hold nothing.
bool holdsStandby(db::NodeState state);
// Which states may ask for a takeover: every state that holds its standby footprint. Preempted,
// fenced, stopped and missing nodes cannot (the caller answers 409 conflict with the state).
bool canTakeOver(db::NodeState state);
Headroom computeHeadroom(const ApplianceView& appliance);

enum class ContentionStep { headroom, preempt, partial_cpu, deny };
const char* contentionStepName(ContentionStep step);

struct ArbitrationPolicy {
    std::vector<ContentionStep> order{ContentionStep::headroom, ContentionStep::preempt,
                                      ContentionStep::partial_cpu, ContentionStep::deny};
};

// The denial of docs/http-api.md ("Takeover and the denial"): which resource, what was needed, what
// is free, who holds the rest.
struct Holder {
    std::string node;
    std::string cluster;
    int priority = 0;
    db::NodeState state = db::NodeState::Active;
    std::int64_t holds = 0;  // above its standby footprint, in the denied resource
};
struct Denial {
    Resource resource = Resource::memory_mib;
    std::int64_t needed = 0;  // above the node's standby footprint
    std::int64_t free = 0;
    std::vector<Holder> holders;           // largest first
    std::vector<std::string> preemptable;  // lower-priority standby nodes, empty when none
    std::vector<ContentionStep> tried;
};

struct TakeoverDecision {
    bool granted = false;
    Footprint grant;  // the whole footprint to grow to (standby included)
    bool partial = false;
    std::vector<std::string> preempt;  // nodes to managed-save first, in order
    std::optional<Denial> denial;
};

// The takeover of `node` (which must be in `appliance`), following the policy's order. A node
// that already holds a grant gets that grant back (idempotent). Memory is never granted
// beyond usable memory; preemption picks lower-priority standby nodes, lowest priority first.
// A node that is not in `appliance` or cannot take over in its state (canTakeOver) gets neither
// a grant nor a denial (granted false, denial empty): the caller refuses those before asking.
TakeoverDecision decideTakeover(const ApplianceView& appliance, const std::string& node,
                                const ArbitrationPolicy& policy);

// Preempted nodes to restore now, highest priority first, as long as they fit.
std::vector<std::string> nodesToRestore(const ApplianceView& appliance);

struct AdmissionDecision {
    bool accepted = false;
    bool warned = false;  // accepted under admission = warn although it breaks the target
    std::array<double, sizing::kResourceCount> overflow_risk_before{};
    std::array<double, sizing::kResourceCount> overflow_risk{};  // after the change
    double target_risk = 1e-4;
    std::vector<sizing::Unservable> unservable;  // after the change
    std::string reason;                          // one sentence for the refusal message
};

enum class AdmissionMode { enforce, warn };

// Admission for a change to one appliance's fleet: `after` is the appliance with the change
// applied. Refused when a risk exceeds the target or a cluster would be unservable, unless the
// change raises no risk and leaves no new cluster unservable (always accepted then).
AdmissionDecision decideAdmission(const ApplianceView& before, const ApplianceView& after,
                                  double target_risk, AdmissionMode mode);

// The overflow risk per resource of the appliance's fleet at its capacity (exact, sizing engine).
std::array<double, sizing::kResourceCount> liveOverflowRisk(const ApplianceView& appliance,
                                                            double target_risk);

struct WhatIfTakeover {
    std::string node;
    std::string outcome;  // "granted", "partial", "preempts", "denied"
    std::vector<std::string> preempted;
    std::optional<Denial> denial;
};

struct WhatIfSimulation {
    std::vector<WhatIfTakeover> takeovers;
    // What is free once they are decided, as computeHeadroom counts it: grants made, standby
    // footprints lost to preemption given back.
    Footprint free_after;
};

// Takes over the named nodes one by one, highest priority first, on a copy of the appliance.
WhatIfSimulation simulateWhatIf(ApplianceView appliance, const std::vector<std::string>& nodes,
                                const ArbitrationPolicy& policy);
std::vector<WhatIfTakeover> simulateTakeovers(ApplianceView appliance,
                                              const std::vector<std::string>& nodes,
                                              const ArbitrationPolicy& policy);

}  // namespace understudy::policy

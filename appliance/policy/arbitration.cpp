// Headroom accounting, takeover arbitration under contention, restoring preempted nodes and the
// what-if simulation (docs/http-api.md, "Takeover and the denial"). Admission control lives in
// admission.cpp. Everything here is a pure function of the snapshot it is given.
#include <algorithm>
#include <set>

#include "appliance/policy/arbitration.h"
#include "appliance/policy/arbitration_detail.h"

namespace understudy::policy {

using detail::at;
using detail::ref;

namespace {

const NodeView* findNode(const ApplianceView& appliance, const std::string& name) {
    const auto found = std::find_if(appliance.nodes.begin(), appliance.nodes.end(),
                                    [&](const NodeView& node) { return node.name == name; });
    return found == appliance.nodes.end() ? nullptr : &*found;
}

// A grant counts while the node's domain runs; a grant recorded on a saved or stopped domain
// holds nothing on the host.
bool holdsGrant(const NodeView& node) {
    return node.grant.has_value() && holdsStandby(node.state);
}

// What a granted node holds above its standby footprint. Never negative: a grant recorded below
// the standby footprint (which a consistent database never holds) must not inflate the free
// headroom.
std::int64_t heldAboveStandby(const NodeView& node, Resource resource) {
    if (!holdsGrant(node)) {
        return 0;
    }
    return std::max<std::int64_t>(
        0, node.grant->of(resource) - node.spec.effectiveStandby().of(resource));
}

// What the node needs on top of the standby footprint it already holds. A reserved-memory node
// holds its active memory all the time and so needs no memory.
Footprint needAboveStandby(const NodeView& node) {
    const Footprint standby = node.spec.effectiveStandby();
    Footprint need;
    for (const Resource resource : sizing::kResources) {
        ref(need, resource) =
            std::max<std::int64_t>(0, node.spec.active.of(resource) - standby.of(resource));
    }
    return need;
}

// A resource the node needs none of always fits, even on a host that is already over in it
// (foreign domains grew, say): granting nothing of it cannot overbook it further.
bool fits(std::int64_t need, std::int64_t free) {
    return need <= 0 || need <= free;
}

bool fitsAll(const Footprint& need, const Footprint& free) {
    return fits(need.memory_mib, free.memory_mib) && fits(need.vcpus, free.vcpus);
}

Footprint plus(Footprint a, const Footprint& b) {
    a.vcpus += b.vcpus;
    a.memory_mib += b.memory_mib;
    return a;
}

// The standby nodes whose capacity a takeover of `requester` may reclaim, in the order they are
// reclaimed: lowest priority first (the clusters that lose least), then the largest memory
// first (fewest nodes lose their standby), then by name so the choice is reproducible. Only
// `standby` nodes qualify: a drifted node's reality is unknown, and a node in any other state
// either holds a grant or holds nothing to reclaim.
std::vector<const NodeView*> preemptionCandidates(const ApplianceView& appliance,
                                                  const NodeView& requester) {
    std::vector<const NodeView*> candidates;
    for (const NodeView& node : appliance.nodes) {
        if (&node != &requester && node.state == db::NodeState::Standby && !node.grant &&
            node.priority < requester.priority) {
            candidates.push_back(&node);
        }
    }
    std::sort(candidates.begin(), candidates.end(), [](const NodeView* a, const NodeView* b) {
        if (a->priority != b->priority) {
            return a->priority < b->priority;
        }
        const std::int64_t a_memory = a->spec.effectiveStandby().memory_mib;
        const std::int64_t b_memory = b->spec.effectiveStandby().memory_mib;
        if (a_memory != b_memory) {
            return a_memory > b_memory;
        }
        return a->name < b->name;
    });
    return candidates;
}

// The free headroom after reclaiming the first `count` candidates, for count = 0..n.
std::vector<Footprint> freeAfterPreempting(const Footprint& free,
                                           const std::vector<const NodeView*>& candidates) {
    std::vector<Footprint> after{free};
    after.reserve(candidates.size() + 1);
    for (const NodeView* candidate : candidates) {
        after.push_back(plus(after.back(), candidate->spec.effectiveStandby()));
    }
    return after;
}

std::vector<std::string> namesOf(const std::vector<const NodeView*>& nodes, std::size_t count) {
    std::vector<std::string> names;
    names.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        names.push_back(nodes[i]->name);
    }
    return names;
}

Denial makeDenial(const ApplianceView& appliance, const Footprint& need, const Footprint& free,
                  const std::vector<const NodeView*>& candidates,
                  std::vector<ContentionStep> tried) {
    Denial denial;
    // Memory first: it is the resource that can never be stretched, so it is the reason an
    // administrator must act on first.
    // The caller denies only what does not fit in full, so the resource named always lacks.
    denial.resource =
        !fits(need.memory_mib, free.memory_mib) ? Resource::memory_mib : Resource::vcpus;
    denial.needed = need.of(denial.resource);
    denial.free = free.of(denial.resource);
    for (const NodeView& node : appliance.nodes) {
        const std::int64_t holds = heldAboveStandby(node, denial.resource);
        if (holds > 0) {
            denial.holders.push_back({node.name, node.cluster, node.priority, node.state, holds});
        }
    }
    std::sort(denial.holders.begin(), denial.holders.end(), [](const Holder& a, const Holder& b) {
        return a.holds != b.holds ? a.holds > b.holds : a.node < b.node;
    });
    denial.preemptable = namesOf(candidates, candidates.size());
    denial.tried = std::move(tried);
    return denial;
}

}  // namespace

bool holdsStandby(db::NodeState state) {
    switch (state) {
        case db::NodeState::Standby:
        case db::NodeState::TakingOver:
        case db::NodeState::Active:
        case db::NodeState::Releasing:
        case db::NodeState::Drifted:
            return true;
        case db::NodeState::Preempted:
        case db::NodeState::Fenced:
        case db::NodeState::Stopped:
        case db::NodeState::Missing:
            return false;
    }
    return false;
}

bool canTakeOver(db::NodeState state) {
    return holdsStandby(state);
}

Headroom computeHeadroom(const ApplianceView& appliance) {
    Headroom headroom;
    headroom.capacity = appliance.usable;
    headroom.foreign = appliance.foreign;
    Footprint active_total;
    for (const NodeView& node : appliance.nodes) {
        active_total = plus(active_total, node.spec.active);
        if (!holdsStandby(node.state)) {
            continue;
        }
        headroom.standby_committed = plus(headroom.standby_committed, node.spec.effectiveStandby());
        for (const Resource resource : sizing::kResources) {
            ref(headroom.granted, resource) += heldAboveStandby(node, resource);
        }
    }
    for (const Resource resource : sizing::kResources) {
        ref(headroom.free, resource) =
            headroom.capacity.of(resource) - headroom.foreign.of(resource) -
            headroom.standby_committed.of(resource) - headroom.granted.of(resource);
        const std::int64_t capacity = headroom.capacity.of(resource);
        headroom.overbooking_ratio[at(resource)] =
            capacity > 0
                ? static_cast<double>(active_total.of(resource)) / static_cast<double>(capacity)
                : 0.0;
    }
    return headroom;
}

const char* contentionStepName(ContentionStep step) {
    switch (step) {
        case ContentionStep::headroom:
            return "headroom";
        case ContentionStep::preempt:
            return "preempt";
        case ContentionStep::partial_cpu:
            return "partial_cpu";
        case ContentionStep::deny:
            return "deny";
    }
    return "deny";
}

TakeoverDecision decideTakeover(const ApplianceView& appliance, const std::string& node,
                                const ArbitrationPolicy& policy) {
    TakeoverDecision decision;
    const NodeView* requester = findNode(appliance, node);
    if (requester == nullptr || !canTakeOver(requester->state)) {
        return decision;
    }
    // Idempotent: a repeated request (the agent retried, the answer was lost) must not grow the
    // node twice nor upgrade a partial grant behind the arbiter's back.
    if (holdsGrant(*requester)) {
        decision.granted = true;
        decision.grant = *requester->grant;
        decision.partial = requester->grant->vcpus < requester->spec.active.vcpus ||
                           requester->grant->memory_mib < requester->spec.active.memory_mib;
        return decision;
    }

    const Footprint need = needAboveStandby(*requester);
    const Footprint free = computeHeadroom(appliance).free;
    // The policy orders what to do when capacity runs short; a takeover that fits in the free
    // headroom is never refused nor made to preempt, whatever the configured order.
    if (fitsAll(need, free)) {
        decision.granted = true;
        decision.grant = requester->spec.active;
        return decision;
    }

    const std::vector<const NodeView*> candidates = preemptionCandidates(appliance, *requester);
    const std::vector<Footprint> after = freeAfterPreempting(free, candidates);
    // Preemptions the preempt step chose for a partial grant; they are applied only if a later
    // partial_cpu step grants, never for a denial.
    std::size_t pending = 0;
    std::vector<ContentionStep> tried;
    for (const ContentionStep step : policy.order) {
        if (step == ContentionStep::deny) {
            break;
        }
        tried.push_back(step);
        if (step == ContentionStep::headroom) {
            continue;  // known not to fit (above)
        }
        if (step == ContentionStep::preempt) {
            // As few nodes as the full footprint needs. Failing that, as few as make memory fit
            // with at least one vCPU to grant, for a partial grant later; if not even all of
            // them make memory fit, nobody loses a standby for nothing.
            for (std::size_t count = 0; count < after.size(); ++count) {
                if (fitsAll(need, after[count])) {
                    decision.granted = true;
                    decision.grant = requester->spec.active;
                    decision.preempt = namesOf(candidates, count);
                    return decision;
                }
            }
            pending = 0;
            for (std::size_t count = 0; count < after.size(); ++count) {
                if (fits(need.memory_mib, after[count].memory_mib) && after[count].vcpus > 0) {
                    pending = count;
                    break;
                }
            }
            continue;
        }
        // partial_cpu: memory in full or not at all; whole vCPUs within the free headroom (the
        // usable vCPUs already include the overcommit ratio).
        const Footprint& available = after[pending];
        if (!fits(need.memory_mib, available.memory_mib)) {
            continue;
        }
        const Footprint standby = requester->spec.effectiveStandby();
        const std::int64_t vcpus =
            std::min(requester->spec.active.vcpus,
                     standby.vcpus + std::max<std::int64_t>(0, available.vcpus));
        if (vcpus > standby.vcpus || fits(need.vcpus, available.vcpus)) {
            decision.granted = true;
            decision.grant = {vcpus, requester->spec.active.memory_mib};
            decision.partial = vcpus < requester->spec.active.vcpus;
            decision.preempt = namesOf(candidates, pending);
            return decision;
        }
    }
    decision.denial = makeDenial(appliance, need, free, candidates, std::move(tried));
    return decision;
}

std::vector<std::string> nodesToRestore(const ApplianceView& appliance) {
    std::vector<const NodeView*> preempted;
    for (const NodeView& node : appliance.nodes) {
        if (node.state == db::NodeState::Preempted) {
            preempted.push_back(&node);
        }
    }
    std::sort(preempted.begin(), preempted.end(), [](const NodeView* a, const NodeView* b) {
        return a->priority != b->priority ? a->priority > b->priority : a->name < b->name;
    });
    // A node that does not fit is passed over, not waited for: a smaller, lower-priority node
    // that fits regains its standby now, and the larger one is retried when capacity returns.
    Footprint free = computeHeadroom(appliance).free;
    std::vector<std::string> restore;
    for (const NodeView* node : preempted) {
        const Footprint standby = node->spec.effectiveStandby();
        if (fitsAll(standby, free)) {
            restore.push_back(node->name);
            free.memory_mib -= standby.memory_mib;
            free.vcpus -= standby.vcpus;
        }
    }
    return restore;
}

WhatIfSimulation simulateWhatIf(ApplianceView appliance, const std::vector<std::string>& nodes,
                                const ArbitrationPolicy& policy) {
    // Names of nodes on other appliances are ignored: a pool-wide what-if hands each appliance
    // the whole list. A name given twice is taken over once.
    std::vector<std::pair<int, std::string>> order;
    const std::set<std::string> unique(nodes.begin(), nodes.end());
    for (const std::string& name : unique) {
        if (const NodeView* node = findNode(appliance, name)) {
            order.emplace_back(node->priority, name);
        }
    }
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });

    std::vector<WhatIfTakeover> outcomes;
    for (const auto& [priority, name] : order) {
        WhatIfTakeover outcome;
        outcome.node = name;
        const NodeView* requester = findNode(appliance, name);
        // A node that cannot take over (fenced, stopped, missing, or preempted by an earlier
        // takeover of this very simulation) is denied without a resource to blame.
        if (!canTakeOver(requester->state)) {
            outcome.outcome = "denied";
            outcomes.push_back(std::move(outcome));
            continue;
        }
        TakeoverDecision decision = decideTakeover(appliance, name, policy);
        if (!decision.granted) {
            outcome.outcome = "denied";
            outcome.denial = std::move(decision.denial);
            outcomes.push_back(std::move(outcome));
            continue;
        }
        for (NodeView& node : appliance.nodes) {
            if (std::find(decision.preempt.begin(), decision.preempt.end(), node.name) !=
                decision.preempt.end()) {
                node.state = db::NodeState::Preempted;
                node.grant.reset();
            } else if (node.name == name) {
                node.state = db::NodeState::Active;
                node.grant = decision.grant;
            }
        }
        outcome.outcome = decision.partial           ? "partial"
                          : decision.preempt.empty() ? "granted"
                                                     : "preempts";
        outcome.preempted = std::move(decision.preempt);
        outcomes.push_back(std::move(outcome));
    }
    return {std::move(outcomes), computeHeadroom(appliance).free};
}

std::vector<WhatIfTakeover> simulateTakeovers(ApplianceView appliance,
                                              const std::vector<std::string>& nodes,
                                              const ArbitrationPolicy& policy) {
    return simulateWhatIf(std::move(appliance), nodes, policy).takeovers;
}

}  // namespace understudy::policy

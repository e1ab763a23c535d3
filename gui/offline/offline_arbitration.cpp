#include "gui/offline/offline_arbitration.h"

#include <QString>
#include <algorithm>
#include <map>
#include <optional>

#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

using sizing::Footprint;
using sizing::Resource;

namespace {

enum class NodeState { standby, active, preempted, unavailable };

struct Node {
    const sizing::ClusterSpec* spec = nullptr;
    NodeState state = NodeState::standby;
    std::string preempted_by;  // or, unavailable, the state the service reports
    Footprint held;  // what it holds now: its standby footprint, or its grant while active
};

bool fitsAll(const Footprint& need, const Footprint& free) {
    return need.vcpus <= free.vcpus && need.memory_mib <= free.memory_mib;
}

Footprint minus(const Footprint& a, const Footprint& b) {
    return {a.vcpus - b.vcpus, a.memory_mib - b.memory_mib};
}

Footprint plus(const Footprint& a, const Footprint& b) {
    return {a.vcpus + b.vcpus, a.memory_mib + b.memory_mib};
}

bool higherPriorityFirst(const Node* a, const Node* b) {
    return a->spec->priority != b->spec->priority ? a->spec->priority > b->spec->priority
                                                  : a->spec->name < b->spec->name;
}

std::string denialReason(const Footprint& need, const Footprint& best) {
    const Resource resource =
        need.memory_mib > best.memory_mib ? Resource::memory_mib : Resource::vcpus;
    return QStringLiteral(
               "%1: needs %2 more, only %3 free even after preempting every "
               "lower-priority standby node")
        .arg(resourceTitle(resource), formatQuantity(resource, need.of(resource)),
             formatQuantity(resource, std::max<std::int64_t>(0, best.of(resource))))
        .toStdString();
}

// The appliance's capacity less what every node holds before any takeover.
Footprint freeHeadroom(const sizing::ApplianceResult& appliance, const std::vector<Node>& nodes) {
    Footprint free{appliance.figures(Resource::vcpus).capacity,
                   appliance.figures(Resource::memory_mib).capacity};
    for (const Node& node : nodes) {
        free = minus(free, node.held);
    }
    return free;
}

// The chosen clusters' nodes in decision order: highest priority first.
std::vector<Node*> requesters(std::vector<Node>& nodes, const std::set<std::string>& failing) {
    std::vector<Node*> order;
    for (Node& node : nodes) {
        if (failing.count(node.spec->name) != 0) {
            order.push_back(&node);
        }
    }
    std::sort(order.begin(), order.end(), higherPriorityFirst);
    return order;
}

// The standby nodes `requester` may preempt, lowest priority first, as the appliance reclaims
// them.
std::vector<Node*> preemptionCandidates(std::vector<Node>& nodes, const Node& requester) {
    std::vector<Node*> candidates;
    for (Node& node : nodes) {
        if (node.state == NodeState::standby && &node != &requester &&
            node.spec->priority < requester.spec->priority) {
            candidates.push_back(&node);
        }
    }
    std::sort(candidates.begin(), candidates.end(),
              [](const Node* a, const Node* b) { return higherPriorityFirst(b, a); });
    return candidates;
}

struct Grant {
    TakeoverOutcome outcome = TakeoverOutcome::granted;
    Footprint footprint;
    std::size_t preempt = 0;  // how many of the candidates it preempts, in their order
};

// `after[count]` is the free headroom once the first `count` candidates are preempted. The
// whole active footprint with as few preemptions as possible; failing that, memory in full
// with fewer vCPUs; nothing when neither fits.
std::optional<Grant> chooseGrant(const sizing::ClusterSpec& spec, const Footprint& standby,
                                 const std::vector<Footprint>& after) {
    const Footprint need = minus(spec.active, standby);
    for (std::size_t count = 0; count < after.size(); ++count) {
        if (fitsAll(need, after[count])) {
            return Grant{count == 0 ? TakeoverOutcome::granted : TakeoverOutcome::preempts,
                         spec.active, count};
        }
    }
    for (std::size_t count = 0; count < after.size(); ++count) {
        const Footprint& available = after[count];
        const std::int64_t vcpus =
            std::min(spec.active.vcpus, standby.vcpus + std::max<std::int64_t>(0, available.vcpus));
        if (need.memory_mib <= available.memory_mib && vcpus > standby.vcpus) {
            return Grant{TakeoverOutcome::partial, {vcpus, spec.active.memory_mib}, count};
        }
    }
    return std::nullopt;
}

// A standby node's takeover into `row`: it grows from its standby footprint into the free
// headroom, preempting lower-priority standby nodes as needed; `free` follows what it takes.
void takeOver(Node& requester, std::vector<Node>& nodes, Footprint& free, OfflineTakeover& row) {
    const sizing::ClusterSpec& spec = *requester.spec;
    const Footprint standby = spec.effectiveStandby();
    const std::vector<Node*> candidates = preemptionCandidates(nodes, requester);
    std::vector<Footprint> after{free};
    for (const Node* node : candidates) {
        after.push_back(plus(after.back(), node->spec->effectiveStandby()));
    }
    const std::optional<Grant> grant = chooseGrant(spec, standby, after);
    if (!grant) {
        row.outcome = TakeoverOutcome::denied;
        row.reason = denialReason(minus(spec.active, standby), after.back());
        return;
    }
    row.outcome = grant->outcome;
    row.grant = grant->footprint;
    for (std::size_t i = 0; i < grant->preempt; ++i) {
        Node* victim = candidates[i];
        victim->state = NodeState::preempted;
        victim->preempted_by = spec.name;
        row.preempted.push_back(victim->spec->name);
    }
    free = minus(after[grant->preempt], minus(row.grant, standby));
    requester.state = NodeState::active;
}

void decideOnAppliance(const sizing::ApplianceResult& appliance, std::vector<Node>& nodes,
                       const std::set<std::string>& failing,
                       std::vector<OfflineTakeover>& outcomes) {
    Footprint free = freeHeadroom(appliance, nodes);
    for (Node* requester : requesters(nodes, failing)) {
        const sizing::ClusterSpec& spec = *requester->spec;
        OfflineTakeover row{spec.name,
                            appliance.spec.name,
                            spec.priority,
                            true,
                            TakeoverOutcome::granted,
                            {},
                            spec.active,
                            {},
                            {}};
        if (requester->state == NodeState::active) {
            // Already active: it keeps what it holds, as the appliance answers a repeated
            // takeover.
            row.grant = requester->held;
        } else if (requester->state == NodeState::unavailable) {
            row.outcome = TakeoverOutcome::denied;
            row.reason = "its node is " + requester->preempted_by + " now, so it cannot take over";
        } else if (requester->state == NodeState::preempted) {
            row.outcome = TakeoverOutcome::denied;
            row.reason = "its standby node was preempted for " + requester->preempted_by +
                         ", so it has nothing to grow";
        } else {
            takeOver(*requester, nodes, free, row);
        }
        outcomes.push_back(std::move(row));
    }
    for (const Node& node : nodes) {
        if (node.state == NodeState::preempted && failing.count(node.spec->name) == 0) {
            outcomes.push_back({node.spec->name,
                                appliance.spec.name,
                                node.spec->priority,
                                false,
                                TakeoverOutcome::preempted,
                                {},
                                node.spec->active,
                                {},
                                "its standby footprint was reclaimed for " + node.preempted_by +
                                    "; it is restored when capacity returns"});
        }
    }
}

}  // namespace

QString takeoverOutcomeName(TakeoverOutcome outcome) {
    switch (outcome) {
        case TakeoverOutcome::granted:
            return QStringLiteral("Granted");
        case TakeoverOutcome::preempts:
            return QStringLiteral("Granted, preempting");
        case TakeoverOutcome::partial:
            return QStringLiteral("Partial CPU");
        case TakeoverOutcome::denied:
            return QStringLiteral("Denied");
        case TakeoverOutcome::preempted:
            return QStringLiteral("Preempted");
    }
    return {};
}

std::vector<OfflineTakeover> approximateTakeovers(
    const sizing::Fleet& fleet, const sizing::SizingResult& result,
    const std::set<std::string>& failing, const std::map<std::string, Footprint>& active,
    const std::map<std::string, std::string>& unavailable) {
    std::map<std::string, const sizing::ClusterSpec*, std::less<>> byName;
    for (const sizing::ClusterSpec& cluster : fleet.clusters) {
        byName.emplace(cluster.name, &cluster);
    }
    std::vector<OfflineTakeover> outcomes;
    for (const sizing::ApplianceResult& appliance : result.appliances) {
        std::vector<Node> nodes;
        for (const sizing::ClusterFigures& figures : appliance.clusters) {
            const auto found = byName.find(figures.name);
            if (found == byName.end()) {
                continue;
            }
            if (const auto state = unavailable.find(figures.name); state != unavailable.end()) {
                nodes.push_back({found->second, NodeState::unavailable, state->second, {}});
                continue;
            }
            const auto holding = active.find(figures.name);
            nodes.push_back(
                holding == active.end()
                    ? Node{found->second, NodeState::standby, {}, found->second->effectiveStandby()}
                    : Node{found->second, NodeState::active, {}, holding->second});
        }
        decideOnAppliance(appliance, nodes, failing, outcomes);
    }
    return outcomes;
}

}  // namespace understudy::gui

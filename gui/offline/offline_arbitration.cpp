#include "gui/offline/offline_arbitration.h"

#include <QString>
#include <algorithm>
#include <map>

#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

using sizing::Footprint;
using sizing::Resource;

namespace {

enum class NodeState { standby, active, preempted };

struct Node {
    const sizing::ClusterSpec* spec = nullptr;
    NodeState state = NodeState::standby;
    std::string preempted_by;
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

void decideOnAppliance(const sizing::ApplianceResult& appliance, std::vector<Node>& nodes,
                       const std::set<std::string>& failing,
                       std::vector<OfflineTakeover>& outcomes) {
    Footprint free{appliance.figures(Resource::vcpus).capacity,
                   appliance.figures(Resource::memory_mib).capacity};
    for (const Node& node : nodes) {
        free = minus(free, node.held);
    }
    std::vector<Node*> order;
    for (Node& node : nodes) {
        if (failing.count(node.spec->name) != 0) {
            order.push_back(&node);
        }
    }
    std::sort(order.begin(), order.end(), higherPriorityFirst);

    for (Node* requester : order) {
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
            outcomes.push_back(std::move(row));
            continue;
        }
        if (requester->state == NodeState::preempted) {
            row.outcome = TakeoverOutcome::denied;
            row.reason = "its standby node was preempted for " + requester->preempted_by +
                         ", so it has nothing to grow";
            outcomes.push_back(std::move(row));
            continue;
        }
        const Footprint standby = spec.effectiveStandby();
        const Footprint need = minus(spec.active, standby);
        // Lowest priority first, as the appliance reclaims them.
        std::vector<Node*> candidates;
        for (Node& node : nodes) {
            if (node.state == NodeState::standby && &node != requester &&
                node.spec->priority < spec.priority) {
                candidates.push_back(&node);
            }
        }
        std::sort(candidates.begin(), candidates.end(),
                  [](const Node* a, const Node* b) { return higherPriorityFirst(b, a); });
        std::vector<Footprint> after{free};
        for (const Node* node : candidates) {
            after.push_back(plus(after.back(), node->spec->effectiveStandby()));
        }

        std::size_t preempt = 0;
        bool granted = false;
        for (std::size_t count = 0; count < after.size() && !granted; ++count) {
            if (fitsAll(need, after[count])) {
                granted = true;
                preempt = count;
                row.grant = spec.active;
                row.outcome = count == 0 ? TakeoverOutcome::granted : TakeoverOutcome::preempts;
            }
        }
        for (std::size_t count = 0; count < after.size() && !granted; ++count) {
            const Footprint& available = after[count];
            const std::int64_t vcpus = std::min(
                spec.active.vcpus, standby.vcpus + std::max<std::int64_t>(0, available.vcpus));
            if (need.memory_mib <= available.memory_mib && vcpus > standby.vcpus) {
                granted = true;
                preempt = count;
                row.grant = {vcpus, spec.active.memory_mib};
                row.outcome = TakeoverOutcome::partial;
            }
        }
        if (!granted) {
            row.outcome = TakeoverOutcome::denied;
            row.reason = denialReason(need, after.back());
            outcomes.push_back(std::move(row));
            continue;
        }
        for (std::size_t i = 0; i < preempt; ++i) {
            Node* victim = candidates[i];
            victim->state = NodeState::preempted;
            victim->preempted_by = spec.name;
            row.preempted.push_back(victim->spec->name);
        }
        free = minus(after[preempt], minus(row.grant, standby));
        requester->state = NodeState::active;
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

std::vector<OfflineTakeover> approximateTakeovers(const sizing::Fleet& fleet,
                                                  const sizing::SizingResult& result,
                                                  const std::set<std::string>& failing,
                                                  const std::map<std::string, Footprint>& active) {
    std::map<std::string, const sizing::ClusterSpec*, std::less<>> byName;
    for (const sizing::ClusterSpec& cluster : fleet.clusters) {
        byName.emplace(cluster.name, &cluster);
    }
    std::vector<OfflineTakeover> outcomes;
    for (const sizing::ApplianceResult& appliance : result.appliances) {
        std::vector<Node> nodes;
        for (const sizing::ClusterFigures& figures : appliance.clusters) {
            if (const auto found = byName.find(figures.name); found != byName.end()) {
                const auto holding = active.find(figures.name);
                nodes.push_back(holding == active.end()
                                    ? Node{found->second,
                                           NodeState::standby,
                                           {},
                                           found->second->effectiveStandby()}
                                    : Node{found->second, NodeState::active, {}, holding->second});
            }
        }
        decideOnAppliance(appliance, nodes, failing, outcomes);
    }
    return outcomes;
}

}  // namespace understudy::gui

// Hand-built appliance snapshots for the arbitration and admission tests, and an independent
// reference of the headroom arithmetic (written from docs/http-api.md, "Resources", not from the
// code under test).
#pragma once

#include <algorithm>
#include <optional>
#include <string>

#include "appliance/policy/arbitration.h"

namespace understudy::policy::fixtures {

inline sizing::Footprint fp(std::int64_t vcpus, std::int64_t memory_mib) {
    return {vcpus, memory_mib};
}

struct NodeOptions {
    db::NodeState state = db::NodeState::Standby;
    std::optional<sizing::Footprint> grant;
    sizing::MemoryMode memory_mode = sizing::MemoryMode::balloon;
    double mtbf_hours = 8760;
    double mttr_hours = 24;
    std::string group;
};

// Node `<cluster>-passive` of cluster `cluster`.
inline NodeView makeNode(const std::string& cluster, int priority, sizing::Footprint standby,
                         sizing::Footprint active, const NodeOptions& options = {}) {
    NodeView node;
    node.name = cluster + "-passive";
    node.cluster = cluster;
    node.priority = priority;
    node.spec.name = cluster;
    node.spec.priority = priority;
    node.spec.mtbf_hours = options.mtbf_hours;
    node.spec.mttr_hours = options.mttr_hours;
    node.spec.group = options.group;
    node.spec.standby = standby;
    node.spec.active = active;
    node.spec.memory_mode = options.memory_mode;
    node.state = options.state;
    node.grant = options.grant;
    return node;
}

inline NodeView activeNode(const std::string& cluster, int priority, sizing::Footprint standby,
                           sizing::Footprint active, std::optional<sizing::Footprint> grant = {}) {
    NodeOptions options;
    options.state = db::NodeState::Active;
    options.grant = grant ? *grant : active;
    return makeNode(cluster, priority, standby, active, options);
}

inline NodeView nodeIn(db::NodeState state, const std::string& cluster, int priority,
                       sizing::Footprint standby, sizing::Footprint active) {
    NodeOptions options;
    options.state = state;
    return makeNode(cluster, priority, standby, active, options);
}

inline ApplianceView makeAppliance(sizing::Footprint usable, sizing::Footprint foreign,
                                   std::vector<NodeView> nodes) {
    ApplianceView appliance;
    appliance.name = "pna-1";
    appliance.usable = usable;
    appliance.foreign = foreign;
    appliance.nodes = std::move(nodes);
    return appliance;
}

// What the host holds for passive nodes: every running node its standby footprint (its active
// memory in reserved mode), every grant what it holds above that.
struct ReferenceUse {
    std::int64_t vcpus = 0;
    std::int64_t memory_mib = 0;
};

inline bool runs(db::NodeState state) {
    return state == db::NodeState::Standby || state == db::NodeState::TakingOver ||
           state == db::NodeState::Active || state == db::NodeState::Releasing ||
           state == db::NodeState::Drifted;
}

inline ReferenceUse referenceUse(const ApplianceView& appliance) {
    ReferenceUse use;
    for (const NodeView& node : appliance.nodes) {
        if (!runs(node.state)) {
            continue;
        }
        const bool reserved = node.spec.memory_mode == sizing::MemoryMode::reserved;
        std::int64_t memory = reserved ? node.spec.active.memory_mib : node.spec.standby.memory_mib;
        std::int64_t vcpus = node.spec.standby.vcpus;
        if (node.grant) {
            memory = std::max(memory, node.grant->memory_mib);
            vcpus = std::max(vcpus, node.grant->vcpus);
        }
        use.memory_mib += memory;
        use.vcpus += vcpus;
    }
    return use;
}

inline sizing::Footprint referenceFree(const ApplianceView& appliance) {
    const ReferenceUse use = referenceUse(appliance);
    return {appliance.usable.vcpus - appliance.foreign.vcpus - use.vcpus,
            appliance.usable.memory_mib - appliance.foreign.memory_mib - use.memory_mib};
}

}  // namespace understudy::policy::fixtures

#include "appliance/core/reconciler.h"

#include "appliance/policy/arbitration.h"

namespace understudy::core {

namespace {

std::string footprintText(const sizing::Footprint& footprint) {
    return std::to_string(footprint.memory_mib) + " MiB/" + std::to_string(footprint.vcpus) +
           " vCPUs";
}

}  // namespace

// A node whose state holds its standby footprint on the host is one whose domain runs.
bool expectsRunning(db::NodeState state) {
    return policy::holdsStandby(state);
}

std::vector<std::string> differences(const ExpectedDomain& expected,
                                     const ObservedDomain& observed) {
    std::vector<std::string> found;
    const hypervisor::DomainInfo& info = observed.info;
    if (!info.owned || !info.metadata) {
        found.push_back("metadata: the domain no longer carries Understudy's metadata");
    } else if (*info.metadata != expected.metadata) {
        const hypervisor::NodeMetadata& has = *info.metadata;
        const hypervisor::NodeMetadata& want = expected.metadata;
        if (has.cluster != want.cluster || has.node != want.node) {
            found.push_back("metadata: the domain belongs to node '" + has.node + "' of cluster '" +
                            has.cluster + "', not '" + want.node + "' of '" + want.cluster + "'");
        } else {
            found.push_back("metadata: footprints " + footprintText(has.standby) + " → " +
                            footprintText(has.active) + ", expected " +
                            footprintText(want.standby) + " → " + footprintText(want.active));
        }
    }
    const bool running = info.active();
    if (expectsRunning(expected.state) != running) {
        found.push_back(std::string("running: expected ") +
                        (expectsRunning(expected.state) ? "running" : "shut off") + ", found " +
                        hypervisor::domainStateName(info.state));
        return found;
    }
    if (running && observed.live) {
        if (!hypervisor::NodeLifecycle::memoryMatches(info.memory_kib, expected.live.memory_mib)) {
            found.push_back("memory: expected " + std::to_string(expected.live.memory_mib) +
                            " MiB, found " + std::to_string(info.memoryMib()) + " MiB");
        }
        if (observed.live->vcpus != expected.live.vcpus) {
            found.push_back("vcpus: expected " + std::to_string(expected.live.vcpus) + ", found " +
                            std::to_string(observed.live->vcpus));
        }
    }
    return found;
}

}  // namespace understudy::core

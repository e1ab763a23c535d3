// Admission control (docs/sizing-method.md, "In the service": admission control; docs/http-api.md,
// "Errors": 409 admission_refused): the live overflow risk of one appliance's fleet through the
// exact sizing engine, and whether a change to that fleet may go ahead.
#include <algorithm>
#include <cassert>
#include <cctype>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "appliance/policy/arbitration.h"
#include "appliance/policy/arbitration_detail.h"
#include "sizing/resource_analysis.h"

namespace understudy::policy {

using detail::at;

namespace {

struct FleetAnalysis {
    std::array<double, sizing::kResourceCount> risk{};
    std::array<double, sizing::kResourceCount> shortfall{};
    std::vector<sizing::Unservable> unservable;
};

std::int64_t capacityFor(const ApplianceView& appliance, Resource resource) {
    return appliance.usable.of(resource) - appliance.foreign.of(resource);
}

const sizing::GroupSpec* findGroup(const ApplianceView& appliance, const std::string& name) {
    const auto found =
        std::find_if(appliance.groups.begin(), appliance.groups.end(),
                     [&](const sizing::GroupSpec& group) { return group.name == name; });
    return found == appliance.groups.end() ? nullptr : &*found;
}

// Every node of the appliance is one cluster of its fleet, whatever its state: a fenced or
// preempted node still fails over onto this appliance when its cluster does.
std::vector<sizing::ClusterSpec> clustersOf(const ApplianceView& appliance) {
    std::vector<sizing::ClusterSpec> clusters;
    clusters.reserve(appliance.nodes.size());
    for (const NodeView& node : appliance.nodes) {
        sizing::ClusterSpec spec = node.spec;
        if (!node.cluster.empty()) {
            spec.name = node.cluster;
        }
        // The snapshot carries every group its clusters name; the sizing engine relies on it.
        assert(spec.group.empty() || findGroup(appliance, spec.group) != nullptr);
        if (!spec.group.empty() && findGroup(appliance, spec.group) == nullptr) {
            spec.group.clear();
        }
        clusters.push_back(std::move(spec));
    }
    return clusters;
}

// The engine's rule (sizing/engine.cpp): a cluster is unservable when its active footprint
// cannot fit beside everyone else's standby footprint even with nothing else failed over.
std::vector<sizing::Unservable> findUnservable(const ApplianceView& appliance,
                                               const std::vector<sizing::ClusterSpec>& clusters) {
    std::vector<sizing::Unservable> unservable;
    for (const Resource resource : sizing::kResources) {
        std::int64_t standby = 0;
        for (const auto& cluster : clusters) {
            standby += cluster.effectiveStandby().of(resource);
        }
        for (const auto& cluster : clusters) {
            const std::int64_t available = capacityFor(appliance, resource) -
                                           (standby - cluster.effectiveStandby().of(resource));
            const std::int64_t needed = cluster.active.of(resource);
            if (needed > available) {
                unservable.push_back({cluster.name, resource, needed, available});
            }
        }
    }
    return unservable;
}

FleetAnalysis analyzeFleet(const ApplianceView& appliance, double target_risk) {
    const std::vector<sizing::ClusterSpec> clusters = clustersOf(appliance);
    std::vector<const sizing::ClusterSpec*> pointers;
    pointers.reserve(clusters.size());
    for (const auto& cluster : clusters) {
        pointers.push_back(&cluster);
    }
    FleetAnalysis analysis;
    for (const Resource resource : sizing::kResources) {
        const sizing::ResourceModel model =
            sizing::ResourceModel::build(pointers, appliance.groups, resource);
        sizing::ResourceAnalysisOptions options;
        options.capacity = capacityFor(appliance, resource);
        options.target_risk = target_risk;
        options.per_cluster = false;
        // When the engine must quantize, overflow_risk is its upper bound: admission never
        // takes the appliance for safer than it is.
        const sizing::ResourceAnalysis result = sizing::analyzeResource(model, options);
        analysis.risk[at(resource)] = result.overflow_risk;
        analysis.shortfall[at(resource)] = result.expected_shortfall;
    }
    analysis.unservable = findUnservable(appliance, clusters);
    return analysis;
}

double groupProbability(const ApplianceView& appliance, const std::string& name) {
    const sizing::GroupSpec* group = findGroup(appliance, name);
    return group == nullptr ? 0.0
                            : sizing::stationaryProbability(group->mtbf_hours, group->mttr_hours);
}

// True when `after`'s demand can never exceed `before`'s (and capacity did not shrink): every
// cluster of `after` was in `before`, with footprints no larger, a failover probability no
// higher, and in the same group (at a probability no higher) or in none. Coupling both fleets
// on the same random failures then gives demand_after ≤ demand_before in every outcome, so no
// risk, shortfall or unservable figure can worsen. This is how removal, shrinking, a lower MTTR
// or leaving a group are recognised exactly, without comparing floating-point risks.
bool demandDominated(const ApplianceView& before, const ApplianceView& after) {
    for (const Resource resource : sizing::kResources) {
        if (capacityFor(after, resource) < capacityFor(before, resource)) {
            return false;
        }
    }
    std::map<std::string, const sizing::ClusterSpec*> previous;
    const std::vector<sizing::ClusterSpec> before_clusters = clustersOf(before);
    for (const auto& cluster : before_clusters) {
        previous.emplace(cluster.name, &cluster);
    }
    std::set<std::string> seen;
    for (const auto& cluster : clustersOf(after)) {
        const auto found = previous.find(cluster.name);
        if (found == previous.end() || !seen.insert(cluster.name).second) {
            return false;
        }
        const sizing::ClusterSpec& old = *found->second;
        for (const Resource resource : sizing::kResources) {
            if (cluster.effectiveStandby().of(resource) > old.effectiveStandby().of(resource) ||
                cluster.active.of(resource) > old.active.of(resource)) {
                return false;
            }
        }
        if (sizing::stationaryProbability(cluster.mtbf_hours, cluster.mttr_hours) >
            sizing::stationaryProbability(old.mtbf_hours, old.mttr_hours)) {
            return false;
        }
        if (!cluster.group.empty() &&
            (cluster.group != old.group ||
             groupProbability(after, cluster.group) > groupProbability(before, old.group))) {
            return false;
        }
    }
    return true;
}

// Raised beyond floating-point noise: identical fleets give identical bits, but the same fleet
// in another order may differ in the last places.
bool raised(double before, double after) {
    return after > before + 1e-9 * before;
}

std::string formatRisk(double risk) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", risk);
    return text;
}

std::string advice(Resource resource) {
    return resource == Resource::memory_mib
               ? "add memory to the appliance, shrink active footprints or MTTRs, or place the "
                 "cluster on another appliance"
               : "add vCPUs or raise the CPU overcommit, shrink active footprints or MTTRs, or "
                 "place the cluster on another appliance";
}

}  // namespace

std::array<double, sizing::kResourceCount> liveOverflowRisk(const ApplianceView& appliance,
                                                            double target_risk) {
    return analyzeFleet(appliance, target_risk).risk;
}

AdmissionDecision decideAdmission(const ApplianceView& before, const ApplianceView& after,
                                  double target_risk, AdmissionMode mode) {
    const FleetAnalysis old_fleet = analyzeFleet(before, target_risk);
    const FleetAnalysis new_fleet = analyzeFleet(after, target_risk);
    AdmissionDecision decision;
    decision.overflow_risk_before = old_fleet.risk;
    decision.overflow_risk = new_fleet.risk;
    decision.target_risk = target_risk;
    decision.unservable = new_fleet.unservable;

    const bool dominated = demandDominated(before, after);
    // Judged per resource: a change is refused for a resource it leaves over the target only if it
    // made that resource worse. So a vCPU change is not blocked by a memory risk it does not touch,
    // and a change that worsens nothing is always accepted (docs/sizing-method.md,
    // "In the service"), even on an appliance already over target. Worse means a higher risk or,
    // where the risk is already saturated (demand above capacity in every outcome), a higher
    // expected shortfall.
    std::optional<Resource> broken;
    std::optional<Resource> over_but_not_worse;
    for (const Resource resource : sizing::kResources) {
        const std::size_t r = at(resource);
        if (new_fleet.risk[r] <= target_risk) {
            continue;
        }
        const bool worse = !dominated && (raised(old_fleet.risk[r], new_fleet.risk[r]) ||
                                          raised(old_fleet.shortfall[r], new_fleet.shortfall[r]));
        if (worse && !broken) {
            broken = resource;
        } else if (!worse && !over_but_not_worse) {
            over_but_not_worse = resource;
        }
    }
    // A cluster left unservable that was not before, or further from servable than before.
    std::optional<sizing::Unservable> newly_unservable;
    for (const auto& entry : new_fleet.unservable) {
        const auto previous =
            std::find_if(old_fleet.unservable.begin(), old_fleet.unservable.end(),
                         [&](const sizing::Unservable& old) {
                             return old.cluster == entry.cluster && old.resource == entry.resource;
                         });
        if (previous == old_fleet.unservable.end() ||
            entry.needed - entry.available > previous->needed - previous->available) {
            newly_unservable = entry;
            break;
        }
    }

    const std::string appliance = "appliance " + after.name;
    if (newly_unservable) {
        const char* name = sizing::resourceName(newly_unservable->resource);
        decision.reason = "cluster " + newly_unservable->cluster + " would be unservable on " +
                          appliance + ": its active " + name + " of " +
                          std::to_string(newly_unservable->needed) + " exceeds the " +
                          std::to_string(newly_unservable->available) +
                          " available beside the other nodes' standby footprints; shrink it, "
                          "free capacity or place it on another appliance";
    } else if (broken) {
        decision.reason = std::string("the ") + sizing::resourceName(*broken) +
                          " overflow risk of " + appliance + " would be " +
                          formatRisk(new_fleet.risk[at(*broken)]) + " (now " +
                          formatRisk(old_fleet.risk[at(*broken)]) + "), above the target " +
                          formatRisk(target_risk) + "; " + advice(*broken);
    } else if (over_but_not_worse) {
        decision.reason =
            std::string("accepted because the change raises no risk, but the ") +
            sizing::resourceName(*over_but_not_worse) + " overflow risk of " + appliance +
            " stays at " + formatRisk(new_fleet.risk[at(*over_but_not_worse)]) +
            ", above the target " + formatRisk(target_risk) + "; " + advice(*over_but_not_worse);
    }

    const bool refused = newly_unservable.has_value() || broken.has_value();
    if (!refused) {
        decision.accepted = true;
    } else if (mode == AdmissionMode::warn) {
        decision.accepted = true;
        decision.warned = true;
        decision.reason = "accepted with a warning: " + decision.reason;
    }
    if (!decision.reason.empty()) {
        decision.reason.front() =
            static_cast<char>(std::toupper(static_cast<unsigned char>(decision.reason.front())));
        decision.reason += '.';
    }
    return decision;
}

}  // namespace understudy::policy

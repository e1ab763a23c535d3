#include "appliance/core/core_support.h"

#include "appliance/core/core_types.h"
#include "base/error_codes.h"
#include "sizing/fleet_file.h"

#include <algorithm>

namespace understudy::core {

using nlohmann::json;

sizing::Footprint toSizing(const db::Footprint& footprint) {
    return {footprint.vcpus, footprint.memoryMib};
}

db::Footprint toDb(const sizing::Footprint& footprint) {
    return {footprint.vcpus, footprint.memory_mib};
}

sizing::MemoryMode toSizing(db::MemoryMode mode) {
    return mode == db::MemoryMode::Reserved ? sizing::MemoryMode::reserved
                                            : sizing::MemoryMode::balloon;
}

db::MemoryMode toDb(sizing::MemoryMode mode) {
    return mode == sizing::MemoryMode::reserved ? db::MemoryMode::Reserved
                                                : db::MemoryMode::Balloon;
}

json footprintJson(const sizing::Footprint& footprint) {
    return {{"memory_mib", footprint.memory_mib}, {"vcpus", footprint.vcpus}};
}

namespace {

json risksJson(const std::array<double, sizing::kResourceCount>& risks) {
    return {{"memory_mib", risks[0]}, {"vcpus", risks[1]}};
}

}  // namespace

json denialJson(const policy::Denial& denial) {
    json holders = json::array();
    for (const policy::Holder& holder : denial.holders) {
        holders.push_back({{"node", holder.node},
                           {"cluster", holder.cluster},
                           {"priority", holder.priority},
                           {"state", std::string(db::nodeStateName(holder.state))},
                           {"holds", holder.holds}});
    }
    json tried = json::array();
    for (policy::ContentionStep step : denial.tried) {
        tried.push_back(policy::contentionStepName(step));
    }
    return {{"resource", sizing::resourceName(denial.resource)},
            {"needed", denial.needed},
            {"free", denial.free},
            {"holders", holders},
            {"preemptable", denial.preemptable},
            {"tried", tried}};
}

json admissionJson(const std::string& appliance, const policy::AdmissionDecision& decision,
                   const std::vector<std::string>& clusters) {
    json unservable = json::array();
    for (const sizing::Unservable& item : decision.unservable) {
        unservable.push_back({{"cluster", item.cluster},
                              {"resource", sizing::resourceName(item.resource)},
                              {"needed", item.needed},
                              {"available", item.available}});
    }
    return {{"appliance", appliance},
            {"clusters", clusters},
            {"overflow_risk", risksJson(decision.overflow_risk)},
            {"overflow_risk_before", risksJson(decision.overflow_risk_before)},
            {"target_risk", decision.target_risk},
            {"unservable", unservable},
            {"reason", decision.reason}};
}

db::DBEvent makeEvent(std::string kind, std::optional<std::string> cluster,
                      std::optional<std::string> node, const json& details, const Actor& actor) {
    db::DBEvent made;
    made.time = db::nowMs();
    made.kind = std::move(kind);
    made.cluster = std::move(cluster);
    made.node = std::move(node);
    made.details = details.is_object() ? details.dump() : std::string("{}");
    made.actor = actor.text();
    return made;
}

Error notFound(const std::string& what, const std::string& name) {
    return Error{
        errc::kNotFound, "there is no " + what + " named '" + name + "'; check the name", {}};
}

Error stateConflict(const std::string& action, const std::string& node, db::NodeState state) {
    const std::string name(db::nodeStateName(state));
    return Error{errc::kConflict,
                 "cannot " + action + " node '" + node + "' while it is " + name +
                     "; power it on or resolve its state first",
                 name};
}

Error unavailable(const std::string& appliance, const std::string& reason) {
    return Error{errc::kHypervisorUnavailable,
                 "appliance '" + appliance + "' is disconnected" +
                     (reason.empty() ? std::string() : " (" + reason + ")") +
                     "; retry once it is back",
                 appliance};
}

bool raisesRisk(const policy::AdmissionDecision& decision) {
    for (std::size_t r = 0; r < decision.overflow_risk.size(); ++r) {
        if (decision.overflow_risk[r] > decision.overflow_risk_before[r]) {
            return true;
        }
    }
    return !decision.unservable.empty();
}

double worstRisk(const std::array<double, sizing::kResourceCount>& risks) {
    return *std::max_element(risks.begin(), risks.end());
}

Status checkSpec(const sizing::ClusterSpec& spec, const std::string& path) {
    auto invalid = [&](const std::string& field, const std::string& why) {
        return Error{errc::kInvalidField, "cluster '" + spec.name + "': " + why, path + field};
    };
    if (auto problem = sizing::nameProblem(spec.name)) {
        return invalid("name", *problem);
    }
    if (spec.priority < 0 || spec.priority > 1000) {
        return invalid("priority", "the priority must be 0 to 1000");
    }
    if (!(spec.mtbf_hours > 0) || !(spec.mttr_hours >= 0)) {
        return invalid("mtbf_hours", "MTBF must be positive and MTTR at least 0");
    }
    if (spec.standby.vcpus < 1 || spec.standby.memory_mib < 1) {
        return invalid("standby", "the standby footprint needs at least 1 vCPU and 1 MiB");
    }
    if (spec.active.vcpus < spec.standby.vcpus ||
        spec.active.memory_mib < spec.standby.memory_mib) {
        return invalid("active", "the active footprint must be at least the standby footprint");
    }
    return Done{};
}

Status checkGroupTimes(const std::string& group, double mtbf_hours, double mttr_hours,
                       const std::string& field) {
    if (!(mtbf_hours > 0) || !(mttr_hours >= 0)) {
        return Error{errc::kInvalidField,
                     "group '" + group + "': MTBF must be positive and MTTR at least 0", field};
    }
    return Done{};
}

const char* applianceStateName(ApplianceState state) {
    switch (state) {
        case ApplianceState::connected:
            return "connected";
        case ApplianceState::unreachable:
            return "unreachable";
        case ApplianceState::lost:
            return "lost";
    }
    return "unreachable";
}

}  // namespace understudy::core

#include "appliance/api/service_json.h"

#include "sizing/fleet_file.h"
#include "sizing/result_json.h"

namespace understudy::api {

Json footprintJson(const sizing::Footprint& footprint) {
    Json made;
    made["vcpus"] = footprint.vcpus;
    made["memory_mib"] = footprint.memory_mib;
    return made;
}

Json timeJson(std::optional<db::TimeMs> time) {
    if (!time) {
        return nullptr;
    }
    return db::formatTime(*time);
}

Json notReadyJson(const std::vector<core::NotReadyNode>& not_ready) {
    Json made = Json::array();
    for (const core::NotReadyNode& node : not_ready) {
        Json one;
        one["node"] = node.node;
        one["cluster"] = node.cluster;
        one["reason"] = node.readiness.reason;
        one["would_preempt"] = node.readiness.would_preempt;
        one["partial_cpu"] = node.readiness.partial_cpu;
        made.push_back(std::move(one));
    }
    return made;
}

Json denialRiskJson(const core::ApplianceStatus& status) {
    Json made;
    made["horizon_hours"] = status.denial_horizon_hours;
    made["value"] = status.denial_risk;
    return made;
}

Json applianceJson(const core::ApplianceStatus& status) {
    Json made;
    made["name"] = status.name;
    made["uri"] = status.uri;
    made["connected"] = status.connected;
    made["state"] = core::applianceStateName(status.state);
    if (status.unreachable_since) {
        made["unreachable_since"] = db::formatTime(*status.unreachable_since);
    }
    made["cpu_overcommit"] = status.cpu_overcommit;
    Json resources = Json::object();
    for (sizing::Resource resource : sizing::kResources) {
        const auto index = static_cast<std::size_t>(resource);
        const policy::Headroom& room = status.headroom;
        Json one;
        one["capacity"] = room.capacity.of(resource);
        one["foreign"] = room.foreign.of(resource);
        one["standby_committed"] = room.standby_committed.of(resource);
        one["granted"] = room.granted.of(resource);
        one["free"] = room.free.of(resource);
        one["overbooking_ratio"] = room.overbooking_ratio[index];
        one["overflow_risk"] = status.overflow_risk[index];
        resources[sizing::resourceName(resource)] = std::move(one);
    }
    made["resources"] = std::move(resources);
    made["not_ready"] = notReadyJson(status.not_ready);
    made["denial_risk"] = denialRiskJson(status);
    if (!status.connected && !status.last_error.empty()) {
        made["error"] = status.last_error;
    }
    return made;
}

Json groupJson(const sizing::GroupSpec& group, const std::vector<std::string>& members) {
    Json made = sizing::groupToJson(group);
    made["members"] = members;
    return made;
}

Json clusterJson(const core::ClusterStatus& cluster) {
    Json made = sizing::clusterToJson(cluster.spec);
    if (!made.contains("group")) {
        made["group"] = nullptr;
    }
    made["failure_model"] = std::string(db::failureModelName(cluster.failure_model));
    made["appliance"] = cluster.appliance;
    made["node"] = cluster.node;
    made["domain"] = cluster.domain;
    made["registered"] = db::formatTime(cluster.registered_at);
    return made;
}

namespace {

Json grantJson(const core::GrantView& grant) {
    Json made;
    made["memory_mib"] = grant.footprint.memory_mib;
    made["vcpus"] = grant.footprint.vcpus;
    made["partial"] = grant.partial;
    made["preempted"] = grant.preempted;
    made["granted"] = db::formatTime(grant.granted_at);
    return made;
}

}  // namespace

Json nodeJson(const core::NodeStatus& node) {
    Json made;
    made["name"] = node.name;
    made["cluster"] = node.cluster;
    made["appliance"] = node.appliance;
    made["domain"] = node.domain;
    made["state"] = std::string(db::nodeStateName(node.state));
    made["standby"] = footprintJson(node.standby);
    made["active"] = footprintJson(node.active);
    made["current"] = node.current ? footprintJson(*node.current) : Json(nullptr);
    made["since"] = db::formatTime(node.since);
    made["grant"] = node.grant ? grantJson(*node.grant) : Json(nullptr);
    made["defined_by_service"] = node.defined_by_service;
    return made;
}

Json eventJson(const db::DBEvent& event) {
    Json made;
    made["id"] = event.id;
    made["time"] = db::formatTime(event.time);
    made["kind"] = event.kind;
    made["cluster"] = event.cluster ? Json(*event.cluster) : Json(nullptr);
    made["node"] = event.node ? Json(*event.node) : Json(nullptr);
    made["actor"] = event.actor ? Json(*event.actor) : Json(nullptr);
    Json details = Json::parse(event.details, nullptr, false);
    made["details"] = details.is_object() ? details : Json::object();
    return made;
}

Json denialJson(const policy::Denial& denial) {
    Json holders = Json::array();
    for (const policy::Holder& holder : denial.holders) {
        Json one;
        one["node"] = holder.node;
        one["cluster"] = holder.cluster;
        one["priority"] = holder.priority;
        one["state"] = std::string(db::nodeStateName(holder.state));
        one["holds"] = holder.holds;
        holders.push_back(std::move(one));
    }
    Json tried = Json::array();
    for (policy::ContentionStep step : denial.tried) {
        tried.push_back(policy::contentionStepName(step));
    }
    Json made;
    made["resource"] = sizing::resourceName(denial.resource);
    made["needed"] = denial.needed;
    made["free"] = denial.free;
    made["holders"] = std::move(holders);
    made["preemptable"] = denial.preemptable;
    made["tried"] = std::move(tried);
    return made;
}

Json readinessJson(const core::Readiness& readiness) {
    Json made;
    made["ready"] = readiness.ready;
    made["partial_cpu"] = readiness.partial_cpu;
    made["would_preempt"] = readiness.would_preempt;
    made["reason"] = readiness.reason.empty() ? Json(nullptr) : Json(readiness.reason);
    made["denial"] = readiness.denial ? denialJson(*readiness.denial) : Json(nullptr);
    return made;
}

namespace {

Json risksJson(const std::array<double, sizing::kResourceCount>& risks) {
    Json made;
    made["memory_mib"] = risks[0];
    made["vcpus"] = risks[1];
    return made;
}

}  // namespace

Json admissionRefusalJson(const core::ApplianceAdmission& admission) {
    const policy::AdmissionDecision& decision = admission.decision;
    Json unservable = Json::array();
    for (const sizing::Unservable& item : decision.unservable) {
        Json one;
        one["cluster"] = item.cluster;
        one["resource"] = sizing::resourceName(item.resource);
        one["needed"] = item.needed;
        one["available"] = item.available;
        unservable.push_back(std::move(one));
    }
    Json made;
    made["appliance"] = admission.appliance;
    made["overflow_risk"] = risksJson(decision.overflow_risk);
    made["overflow_risk_before"] = risksJson(decision.overflow_risk_before);
    made["target_risk"] = decision.target_risk;
    made["unservable"] = std::move(unservable);
    return made;
}

Json whatIfJson(const core::WhatIfOutcome& outcome) {
    Json takeovers = Json::array();
    for (const policy::WhatIfTakeover& takeover : outcome.takeovers) {
        Json one;
        one["node"] = takeover.node;
        one["outcome"] = takeover.outcome;
        one["preempted"] = takeover.preempted;
        one["denial"] = takeover.denial ? denialJson(*takeover.denial) : Json(nullptr);
        takeovers.push_back(std::move(one));
    }
    Json free_after = Json::array();
    for (const core::WhatIfFree& free : outcome.free_after) {
        free_after.push_back({{"appliance", free.appliance},
                              {"memory_mib", free.free.memory_mib},
                              {"vcpus", free.free.vcpus}});
    }
    Json made;
    made["takeovers"] = std::move(takeovers);
    made["free_after"] = std::move(free_after);
    made["sizing"] = sizing::resultToJson(outcome.sizing);
    return made;
}

}  // namespace understudy::api

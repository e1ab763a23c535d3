#include "sizing/result_json.h"

namespace understudy::sizing {
namespace {

using Json = nlohmann::ordered_json;

Json perResource(const std::array<double, kResourceCount>& values) {
    Json out = Json::object();
    for (const Resource resource : kResources) {
        out[resourceName(resource)] = values[static_cast<std::size_t>(resource)];
    }
    return out;
}

Json perResource(const std::array<std::int64_t, kResourceCount>& values) {
    Json out = Json::object();
    for (const Resource resource : kResources) {
        out[resourceName(resource)] = values[static_cast<std::size_t>(resource)];
    }
    return out;
}

Json unservableToJson(const std::vector<Unservable>& list) {
    Json out = Json::array();
    for (const auto& entry : list) {
        out.push_back({{"cluster", entry.cluster},
                       {"resource", resourceName(entry.resource)},
                       {"needed", entry.needed},
                       {"available", entry.available}});
    }
    return out;
}

Json figuresToJson(const ResourceFigures& figures) {
    Json out = {{"capacity", figures.capacity},
                {"standby_total", figures.standby_total},
                {"active_total", figures.active_total},
                {"overflow_risk", figures.overflow_risk}};
    if (figures.overflow_risk_lower && figures.overflow_risk_upper) {
        out["overflow_risk_lower"] = *figures.overflow_risk_lower;
        out["overflow_risk_upper"] = *figures.overflow_risk_upper;
    }
    out["expected_shortfall"] = figures.expected_shortfall;
    out["required_capacity"] = figures.required_capacity;
    out["required_capacity_per_cluster"] = figures.required_capacity_per_cluster;
    out["meets_target"] = figures.meets_target;
    const double active = static_cast<double>(figures.active_total);
    out["overbooking_ratio"] =
        figures.capacity > 0 ? active / static_cast<double>(figures.capacity) : 0.0;
    out["resolution"] = figures.distribution.unit;
    return out;
}

Json applianceToJson(const ApplianceResult& appliance) {
    Json out = {{"name", appliance.spec.name},
                {"vcpus", appliance.spec.vcpus},
                {"memory_mib", appliance.spec.memory_mib},
                {"reserve_vcpus", appliance.spec.reserve_vcpus},
                {"reserve_memory_mib", appliance.spec.reserve_memory_mib},
                {"proposed", appliance.proposed}};
    Json resources = Json::object();
    for (const Resource resource : kResources) {
        resources[resourceName(resource)] = figuresToJson(appliance.figures(resource));
    }
    out["resources"] = std::move(resources);
    const JointRisk& joint = appliance.overflow_risk_any;
    out["overflow_risk_any"] = {{"value", joint.value},
                                {"method", joint.method},
                                {"lower", joint.lower},
                                {"upper", joint.upper}};
    if (joint.method == "montecarlo") {
        out["overflow_risk_any"]["samples"] = joint.samples;
        out["overflow_risk_any"]["confidence"] = 0.95;
    }
    out["unservable"] = unservableToJson(appliance.unservable);
    Json clusters = Json::array();
    for (const auto& cluster : appliance.clusters) {
        clusters.push_back(
            {{"name", cluster.name},
             {"failover_probability", cluster.failover_probability},
             {"risk_when_active", perResource(cluster.risk_when_active)},
             {"priority", cluster.priority},
             {"group", cluster.group.empty() ? Json(nullptr) : Json(cluster.group)}});
    }
    out["clusters"] = std::move(clusters);
    return out;
}

}  // namespace

nlohmann::ordered_json resultToJson(const SizingResult& result) {
    Json out = {{"method", result.method},
                {"exact", result.exact},
                {"target_risk", result.target_risk},
                {"cpu_overcommit", result.cpu_overcommit}};
    Json appliances = Json::array();
    for (const auto& appliance : result.appliances) {
        appliances.push_back(applianceToJson(appliance));
    }
    out["appliances"] = std::move(appliances);
    Json tolerate = {{"k", result.baselines.tolerate_k}};
    tolerate.update(perResource(result.baselines.tolerate_k_capacity));
    out["baselines"] = {{"no_overbooking", perResource(result.baselines.no_overbooking)},
                        {"tolerate_k", std::move(tolerate)}};
    if (result.pool) {
        Json downs = Json::array();
        for (const auto& down : result.pool->n_plus_one) {
            downs.push_back({{"down", down.down},
                             {"unservable", unservableToJson(down.unservable)},
                             {"overflow_risk", perResource(down.overflow_risk)}});
        }
        out["pool"] = {{"n_plus_one", std::move(downs)}};
    } else {
        out["pool"] = nullptr;
    }
    out["warnings"] = result.warnings;
    return out;
}

std::string resultToJsonText(const SizingResult& result) {
    return resultToJson(result).dump(2) + "\n";
}

}  // namespace understudy::sizing

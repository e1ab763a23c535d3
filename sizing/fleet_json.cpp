#include "sizing/fleet_file.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/error_codes.h"
#include "base/json_document.h"
#include "sizing/fleet_file_detail.h"
#include "sizing/fleet_rules.h"

namespace understudy::sizing {

using namespace detail;

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

Error locatedIn(Error error, const std::string& source) {
    error.where = error.where.empty() ? source : source + ": " + error.where;
    return error;
}

std::string showJson(const json& value) {
    return printable(value.dump(-1, ' ', false, json::error_handler_t::replace));
}

const json* member(const json& object, std::string_view key) {
    const auto it = object.find(std::string(key));
    return it == object.end() ? nullptr : &*it;
}

std::optional<Error> checkObject(const json& value, const std::string& path, std::string_view what,
                                 std::span<const std::string_view> known,
                                 const JsonKeys& extra_keys) {
    if (!value.is_object()) {
        return invalidField(path, "must be an object ({...}) describing " + std::string(what) +
                                      ", got " + showJson(value));
    }
    for (const auto& item : value.items()) {
        const std::string& key = item.key();
        if (std::find(known.begin(), known.end(), key) != known.end() || extra_keys.contains(key)) {
            continue;
        }
        return invalidField(joinJsonPath(path, key), "is not a field of " + std::string(what) +
                                                         unknownNameAdvice(key, known, "fields"));
    }
    return std::nullopt;
}

Error missingField(const std::string& path, std::string_view key, std::string_view what,
                   std::string_view expected) {
    return invalidField(joinJsonPath(path, key), "is missing; " + std::string(what) + " needs " +
                                                     std::string(key) + ", " +
                                                     std::string(expected));
}

std::optional<Error> integerFromJson(const json& value, const IntegerRule& rule,
                                     const std::string& where, std::int64_t& out) {
    std::optional<std::int64_t> number;
    if (value.is_number_unsigned()) {
        const auto unsigned_value = value.get<std::uint64_t>();
        if (unsigned_value <=
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            number = static_cast<std::int64_t>(unsigned_value);
        }
    } else if (value.is_number_integer()) {
        number = value.get<std::int64_t>();
    } else if (value.is_number_float()) {
        number = wholeFromReal(value.get<double>());
    }
    if (!number || !obeys(rule, *number)) {
        return invalidField(where, mustBe(rule.expected, showJson(value)));
    }
    out = *number;
    return std::nullopt;
}

std::optional<Error> realFromJson(const json& value, const RealRule& rule, const std::string& where,
                                  double& out) {
    if (!value.is_number() || !obeys(rule, value.get<double>())) {
        return invalidField(where, mustBe(rule.expected, showJson(value)));
    }
    out = value.get<double>();
    return std::nullopt;
}

// Absent optional fields keep the value already in `out`.
std::optional<Error> readInteger(const json& object, const std::string& path, std::string_view key,
                                 std::string_view what, const IntegerRule& rule, bool required,
                                 std::int64_t& out) {
    const json* value = member(object, key);
    if (value == nullptr) {
        return required ? std::optional(missingField(path, key, what, rule.expected))
                        : std::nullopt;
    }
    return integerFromJson(*value, rule, joinJsonPath(path, key), out);
}

std::optional<Error> readReal(const json& object, const std::string& path, std::string_view key,
                              std::string_view what, const RealRule& rule, bool required,
                              double& out) {
    const json* value = member(object, key);
    if (value == nullptr) {
        return required ? std::optional(missingField(path, key, what, rule.expected))
                        : std::nullopt;
    }
    return realFromJson(*value, rule, joinJsonPath(path, key), out);
}

std::optional<Error> readName(const json& object, const std::string& path, std::string_view what,
                              std::string& out) {
    const json* value = member(object, "name");
    const std::string where = joinJsonPath(path, "name");
    if (value == nullptr) {
        return missingField(path, "name", what, kNameExpected);
    }
    if (!value->is_string()) {
        return invalidField(where, mustBe(kNameExpected, showJson(*value)));
    }
    if (auto error = checkName(value->get_ref<const std::string&>(), where)) {
        return error;
    }
    out = value->get<std::string>();
    return std::nullopt;
}

std::optional<Error> readFootprint(const json& object, const std::string& path,
                                   std::string_view key, Footprint& out) {
    static constexpr std::array<std::string_view, 2> kKeys{"vcpus", "memory_mib"};
    const json* value = member(object, key);
    if (value == nullptr) {
        return missingField(path, key, "a cluster", "an object {\"vcpus\": N, \"memory_mib\": M}");
    }
    const std::string footprint_path = joinJsonPath(path, key);
    if (auto error = checkObject(*value, footprint_path, "a footprint", kKeys, {})) {
        return error;
    }
    if (auto error = readInteger(*value, footprint_path, "vcpus", "a footprint", kVcpusRule, true,
                                 out.vcpus)) {
        return error;
    }
    return readInteger(*value, footprint_path, "memory_mib", "a footprint", kMemoryRule, true,
                       out.memory_mib);
}

std::optional<Error> readGroupReference(const json& object, const std::string& path,
                                        std::string& out) {
    const json* value = member(object, "group");
    if (value == nullptr || value->is_null()) {
        return std::nullopt;
    }
    const std::string where = joinJsonPath(path, "group");
    if (!value->is_string()) {
        return invalidField(
            where, mustBe("a group's name, or null or \"\" for no group", showJson(*value)));
    }
    const auto& name = value->get_ref<const std::string&>();
    if (name.empty()) {
        return std::nullopt;
    }
    if (auto error = checkName(name, where)) {
        return error;
    }
    out = name;
    return std::nullopt;
}

std::optional<Error> readMemoryMode(const json& object, const std::string& path, MemoryMode& out) {
    const json* value = member(object, "memory_mode");
    if (value == nullptr) {
        return std::nullopt;
    }
    std::optional<MemoryMode> mode;
    if (value->is_string()) {
        mode = memoryModeFromName(value->get_ref<const std::string&>());
    }
    if (!mode) {
        return invalidField(joinJsonPath(path, "memory_mode"),
                            mustBe(kMemoryModeExpected, showJson(*value)));
    }
    out = *mode;
    return std::nullopt;
}

template <typename Spec>
using ItemReader = Result<Spec> (*)(const json&, const std::string&, const JsonKeys&);

template <typename Spec>
std::optional<Error> readList(const json& root, std::string_view key, std::string_view what,
                              bool required, ItemReader<Spec> read, std::vector<Spec>& out) {
    const json* list = member(root, key);
    if (list == nullptr) {
        return required ? std::optional(invalidField(
                              std::string(key), "is missing; a fleet needs a \"" +
                                                    std::string(key) + "\" list (it may be empty)"))
                        : std::nullopt;
    }
    if (!list->is_array()) {
        return invalidField(std::string(key), "must be a list ([...]) of " + std::string(what) +
                                                  ", got " + showJson(*list));
    }
    out.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
        auto item = read((*list)[i], indexPath(key, i), JsonKeys{});
        if (!item) {
            return item.error();
        }
        out.push_back(std::move(item).value());
    }
    return std::nullopt;
}

}  // namespace

Result<ClusterSpec> clusterFromJson(const nlohmann::json& value, const std::string& path,
                                    const JsonKeys& extra_keys) {
    static constexpr std::array<std::string_view, 8> kKeys{"name",       "priority",   "mtbf_hours",
                                                           "mttr_hours", "group",      "standby",
                                                           "active",     "memory_mode"};
    constexpr std::string_view kWhat = "a cluster";
    ClusterSpec cluster;
    std::int64_t priority = cluster.priority;
    std::optional<Error> error = checkObject(value, path, kWhat, kKeys, extra_keys);
    if (!error) {
        error = readName(value, path, kWhat, cluster.name);
    }
    if (!error) {
        error = readInteger(value, path, "priority", kWhat, kPriorityRule, false, priority);
    }
    if (!error) {
        cluster.priority = static_cast<int>(priority);
        error = readReal(value, path, "mtbf_hours", kWhat, kMtbfRule, true, cluster.mtbf_hours);
    }
    if (!error) {
        error = readReal(value, path, "mttr_hours", kWhat, kMttrRule, true, cluster.mttr_hours);
    }
    if (!error) {
        error = readGroupReference(value, path, cluster.group);
    }
    if (!error) {
        error = readFootprint(value, path, "standby", cluster.standby);
    }
    if (!error) {
        error = readFootprint(value, path, "active", cluster.active);
    }
    if (!error) {
        error = readMemoryMode(value, path, cluster.memory_mode);
    }
    if (!error) {
        error = checkActiveCoversStandby(
            cluster, [&path](std::string_view field) { return joinJsonPath(path, field); });
    }
    if (error) {
        return *error;
    }
    return cluster;
}

Result<GroupSpec> groupFromJson(const nlohmann::json& value, const std::string& path,
                                const JsonKeys& extra_keys) {
    static constexpr std::array<std::string_view, 3> kKeys{"name", "mtbf_hours", "mttr_hours"};
    constexpr std::string_view kWhat = "a group";
    GroupSpec group;
    std::optional<Error> error = checkObject(value, path, kWhat, kKeys, extra_keys);
    if (!error) {
        error = readName(value, path, kWhat, group.name);
    }
    if (!error) {
        error = readReal(value, path, "mtbf_hours", kWhat, kMtbfRule, true, group.mtbf_hours);
    }
    if (!error) {
        error = readReal(value, path, "mttr_hours", kWhat, kMttrRule, true, group.mttr_hours);
    }
    if (error) {
        return *error;
    }
    return group;
}

Result<ApplianceSpec> applianceFromJson(const nlohmann::json& value, const std::string& path,
                                        const JsonKeys& extra_keys) {
    static constexpr std::array<std::string_view, 5> kKeys{"name", "vcpus", "memory_mib",
                                                           "reserve_vcpus", "reserve_memory_mib"};
    constexpr std::string_view kWhat = "an appliance";
    ApplianceSpec appliance;
    std::optional<Error> error = checkObject(value, path, kWhat, kKeys, extra_keys);
    if (!error) {
        error = readName(value, path, kWhat, appliance.name);
    }
    if (!error) {
        error = readInteger(value, path, "vcpus", kWhat, kVcpusRule, true, appliance.vcpus);
    }
    if (!error) {
        error =
            readInteger(value, path, "memory_mib", kWhat, kMemoryRule, true, appliance.memory_mib);
    }
    if (!error) {
        error = readInteger(value, path, "reserve_vcpus", kWhat, kReserveVcpusRule, false,
                            appliance.reserve_vcpus);
    }
    if (!error) {
        error = readInteger(value, path, "reserve_memory_mib", kWhat, kReserveMemoryRule, false,
                            appliance.reserve_memory_mib);
    }
    if (!error) {
        error = checkReserveBelowTotal(
            appliance, [&path](std::string_view field) { return joinJsonPath(path, field); });
    }
    if (error) {
        return *error;
    }
    return appliance;
}

Result<Fleet> detail::readFleetJson(std::string_view text, const std::string& source) {
    static constexpr std::array<std::string_view, 6> kKeys{
        "target_risk", "cpu_overcommit", "tolerate_k", "appliances", "groups", "clusters"};
    auto document = parseJsonDocument(text, source);
    if (!document) {
        return document.error();
    }
    const json& root = document.value();
    if (!root.is_object()) {
        return Error{errc::kMalformedJson,
                     "is not a fleet: expected a JSON object with a \"clusters\" list, got " +
                         std::string(root.type_name()),
                     source};
    }
    Fleet fleet;
    std::int64_t tolerate_k = fleet.tolerate_k;
    std::optional<Error> error = checkObject(root, "", "a fleet", kKeys, {});
    if (!error) {
        error =
            readReal(root, "", "target_risk", "a fleet", kTargetRiskRule, false, fleet.target_risk);
    }
    if (!error) {
        error = readReal(root, "", "cpu_overcommit", "a fleet", kCpuOvercommitRule, false,
                         fleet.cpu_overcommit);
    }
    if (!error) {
        error = readInteger(root, "", "tolerate_k", "a fleet", kTolerateKRule, false, tolerate_k);
    }
    if (!error) {
        error = readList<ApplianceSpec>(root, "appliances", "appliance objects", false,
                                        &applianceFromJson, fleet.appliances);
    }
    if (!error) {
        error = readList<GroupSpec>(root, "groups", "group objects", false, &groupFromJson,
                                    fleet.groups);
    }
    if (!error) {
        error = readList<ClusterSpec>(root, "clusters", "cluster objects", true, &clusterFromJson,
                                      fleet.clusters);
    }
    if (error) {
        return locatedIn(std::move(*error), source);
    }
    fleet.tolerate_k = static_cast<int>(tolerate_k);
    return fleet;
}

Result<Fleet> parseFleetJson(std::string_view text, const std::string& source) {
    auto fleet = readFleetJson(text, source);
    if (!fleet) {
        return fleet;
    }
    if (auto error = checkReferences(*fleet, jsonOrigin(source))) {
        return *error;
    }
    return fleet;
}

nlohmann::ordered_json clusterToJson(const ClusterSpec& cluster) {
    ordered_json object;
    object["name"] = cluster.name;
    object["priority"] = cluster.priority;
    object["mtbf_hours"] = cluster.mtbf_hours;
    object["mttr_hours"] = cluster.mttr_hours;
    if (!cluster.group.empty()) {
        object["group"] = cluster.group;
    }
    object["standby"] = {{"vcpus", cluster.standby.vcpus},
                         {"memory_mib", cluster.standby.memory_mib}};
    object["active"] = {{"vcpus", cluster.active.vcpus}, {"memory_mib", cluster.active.memory_mib}};
    object["memory_mode"] = memoryModeName(cluster.memory_mode);
    return object;
}

nlohmann::ordered_json groupToJson(const GroupSpec& group) {
    ordered_json object;
    object["name"] = group.name;
    object["mtbf_hours"] = group.mtbf_hours;
    object["mttr_hours"] = group.mttr_hours;
    return object;
}

nlohmann::ordered_json applianceToJson(const ApplianceSpec& appliance) {
    ordered_json object;
    object["name"] = appliance.name;
    object["vcpus"] = appliance.vcpus;
    object["memory_mib"] = appliance.memory_mib;
    object["reserve_vcpus"] = appliance.reserve_vcpus;
    object["reserve_memory_mib"] = appliance.reserve_memory_mib;
    return object;
}

std::string fleetToJson(const Fleet& fleet) {
    const auto dump = [](const ordered_json& value) {
        return value.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
    };
    // One item per line: readable in a diff, and a 10,000-cluster fleet stays 10,000 lines.
    const auto list = [&dump](const auto& items, const auto& to_json) {
        if (items.empty()) {
            return std::string("[]");
        }
        std::string text = "[\n";
        for (std::size_t i = 0; i < items.size(); ++i) {
            text += "    " + dump(to_json(items[i])) + (i + 1 < items.size() ? ",\n" : "\n");
        }
        return text + "  ]";
    };
    std::string text = "{\n";
    text += "  \"target_risk\": " + dump(fleet.target_risk) + ",\n";
    text += "  \"cpu_overcommit\": " + dump(fleet.cpu_overcommit) + ",\n";
    text += "  \"tolerate_k\": " + dump(fleet.tolerate_k) + ",\n";
    text += "  \"appliances\": " + list(fleet.appliances, applianceToJson) + ",\n";
    text += "  \"groups\": " + list(fleet.groups, groupToJson) + ",\n";
    text += "  \"clusters\": " + list(fleet.clusters, clusterToJson) + "\n";
    return text + "}\n";
}

}  // namespace understudy::sizing

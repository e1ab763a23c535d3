#include "appliance/api/request_body.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "base/error_codes.h"
#include "db/records.h"
#include "sizing/fleet_file.h"

namespace understudy::api {

using In = nlohmann::json;

namespace {

Error invalid(const std::string& field, const std::string& message) {
    return Error{errc::kInvalidField, message, field};
}

std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

bool contains(const std::vector<std::string>& list, const std::string& name) {
    return std::find(list.begin(), list.end(), name) != list.end();
}

Result<std::int64_t> wholeNumber(const In& value, const std::string& field, std::int64_t min,
                                 std::int64_t max) {
    std::int64_t number = 0;
    if (value.is_number_integer()) {
        number = value.get<std::int64_t>();
    } else if (value.is_number_float()) {
        const double real = value.get<double>();
        // Converting a double beyond int64_t's range is undefined (1e300 would be any
        // number), so the range is checked on the double first.
        if (real < static_cast<double>(min) || real > static_cast<double>(max)) {
            std::ostringstream given;
            given << real;
            return invalid(field, field + " must be " + std::to_string(min) + " to " +
                                      std::to_string(max) + ", got " + given.str());
        }
        if (real != std::trunc(real)) {
            return invalid(field, field + " must be a whole number");
        }
        number = static_cast<std::int64_t>(real);
    } else {
        return invalid(field, field + " must be a number");
    }
    if (number < min || number > max) {
        return invalid(field, field + " must be " + std::to_string(min) + " to " +
                                  std::to_string(max) + ", got " + std::to_string(number));
    }
    return number;
}

Result<double> realNumber(const In& value, const std::string& field, double min, bool min_open) {
    if (!value.is_number()) {
        return invalid(field, field + " must be a number");
    }
    const double number = value.get<double>();
    if (!(min_open ? number > min : number >= min) || !std::isfinite(number)) {
        std::ostringstream bound;
        bound << min;
        return invalid(field,
                       field + " must be " + (min_open ? "above " : "at least ") + bound.str());
    }
    return number;
}

Result<std::string> text(const In& value, const std::string& field) {
    if (!value.is_string()) {
        return invalid(field, field + " must be a string");
    }
    return value.get<std::string>();
}

Result<sizing::Footprint> footprint(const In& value, const std::string& field) {
    if (!value.is_object()) {
        return invalid(field, field + " must be an object {\"vcpus\", \"memory_mib\"}");
    }
    if (Status keys = onlyKeys(value, field, {"vcpus", "memory_mib"}); !keys) {
        return keys.error();
    }
    for (const char* key : {"vcpus", "memory_mib"}) {
        if (!value.contains(key)) {
            return invalid(join(field, key), join(field, key) + " is missing");
        }
    }
    auto vcpus = wholeNumber(value["vcpus"], join(field, "vcpus"), 1, sizing::kMaxVcpus);
    if (!vcpus) {
        return vcpus.error();
    }
    auto memory =
        wholeNumber(value["memory_mib"], join(field, "memory_mib"), 1, sizing::kMaxMemoryMib);
    if (!memory) {
        return memory.error();
    }
    return sizing::Footprint{*vcpus, *memory};
}

Result<std::vector<std::string>> names(const In& value, const std::string& field) {
    if (!value.is_array()) {
        return invalid(field, field + " must be an array of names");
    }
    std::vector<std::string> made;
    for (std::size_t i = 0; i < value.size(); ++i) {
        auto name = text(value[i], field + "[" + std::to_string(i) + "]");
        if (!name) {
            return name.error();
        }
        made.push_back(*name);
    }
    return made;
}

Result<db::FailureModel> failureModel(const In& value, const std::string& field) {
    auto name = text(value, field);
    if (!name) {
        return name.error();
    }
    auto model = db::parseFailureModel(*name);
    if (!model) {
        return invalid(field, field + " must be declared or observed, got '" + *name + "'");
    }
    return *model;
}

Result<core::ClusterRegistration> clusterRegistration(const In& value, const std::string& path,
                                                      const std::vector<std::string>& appliances) {
    auto spec =
        sizing::clusterFromJson(value, path, {"failure_model", "appliance", "node", "domain"});
    if (!spec) {
        return spec.error();
    }
    core::ClusterRegistration made;
    made.spec = *spec;
    if (value.contains("failure_model")) {
        auto model = failureModel(value["failure_model"], join(path, "failure_model"));
        if (!model) {
            return model.error();
        }
        made.failure_model = *model;
    }
    if (value.contains("appliance") && !value["appliance"].is_null()) {
        auto name = text(value["appliance"], join(path, "appliance"));
        if (!name) {
            return name.error();
        }
        if (!name->empty() && !contains(appliances, *name)) {
            return invalid(join(path, "appliance"),
                           "there is no appliance '" + *name +
                               "'; name one of the configured appliances or leave it out");
        }
        made.appliance = *name;
    }
    for (const char* key : {"node", "domain"}) {
        if (value.contains(key) && !value[key].is_null()) {
            auto name = text(value[key], join(path, key));
            if (!name) {
                return name.error();
            }
            (std::string_view(key) == "node" ? made.node : made.domain) = *name;
        }
    }
    return made;
}

}  // namespace

Status onlyKeys(const In& object, const std::string& path,
                std::initializer_list<std::string_view> keys) {
    for (const auto& [key, value] : object.items()) {
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
            return invalid(join(path, key), "unknown field '" + key + "'; remove it");
        }
    }
    return Done{};
}

Status emptyObjectFromJson(const In& document) {
    return onlyKeys(document, "", {});
}

namespace {

// A change's optional `mtbf_hours` (above 0) and `mttr_hours` (0 or more), as a group's and a
// cluster's PATCH both take them.
Status readFailureTimes(const In& document, std::optional<double>& mtbf_hours,
                        std::optional<double>& mttr_hours) {
    if (document.contains("mtbf_hours")) {
        auto value = realNumber(document["mtbf_hours"], "mtbf_hours", 0, true);
        if (!value) {
            return value.error();
        }
        mtbf_hours = *value;
    }
    if (document.contains("mttr_hours")) {
        auto value = realNumber(document["mttr_hours"], "mttr_hours", 0, false);
        if (!value) {
            return value.error();
        }
        mttr_hours = *value;
    }
    return Done{};
}

}  // namespace

Result<core::GroupChange> groupChangeFromJson(const In& document) {
    if (Status keys = onlyKeys(document, "", {"mtbf_hours", "mttr_hours"}); !keys) {
        return keys.error();
    }
    core::GroupChange change;
    if (Status times = readFailureTimes(document, change.mtbf_hours, change.mttr_hours); !times) {
        return times.error();
    }
    return change;
}

Result<RegistrationBody> registrationFromJson(const In& document,
                                              const std::vector<std::string>& appliances) {
    RegistrationBody parsed;
    parsed.fleet = document.contains("clusters");
    if (!parsed.fleet) {
        auto registration = clusterRegistration(document, "", appliances);
        if (!registration) {
            return registration.error();
        }
        parsed.request.clusters.push_back(std::move(*registration));
        return parsed;
    }
    if (Status keys = onlyKeys(
            document, "",
            {"clusters", "groups", "target_risk", "cpu_overcommit", "tolerate_k", "appliances"});
        !keys) {
        return keys.error();
    }
    for (const char* ignored : {"target_risk", "cpu_overcommit", "tolerate_k", "appliances"}) {
        if (document.contains(ignored)) {
            parsed.warnings.push_back(std::string("the fleet's '") + ignored +
                                      "' was ignored: the service's configuration decides it");
        }
    }
    if (!document["clusters"].is_array()) {
        return invalid("clusters", "clusters must be an array of cluster objects");
    }
    if (document.contains("groups")) {
        const In& groups = document["groups"];
        if (!groups.is_array()) {
            return invalid("groups", "groups must be an array of group objects");
        }
        for (std::size_t i = 0; i < groups.size(); ++i) {
            auto group = sizing::groupFromJson(groups[i], "groups[" + std::to_string(i) + "]");
            if (!group) {
                return group.error();
            }
            parsed.request.groups.push_back(*group);
        }
    }
    const In& clusters = document["clusters"];
    for (std::size_t i = 0; i < clusters.size(); ++i) {
        auto registration =
            clusterRegistration(clusters[i], "clusters[" + std::to_string(i) + "]", appliances);
        if (!registration) {
            return registration.error();
        }
        parsed.request.clusters.push_back(std::move(*registration));
    }
    return parsed;
}

Result<core::ClusterChange> clusterChangeFromJson(const In& document) {
    for (const char* fixed : {"name", "appliance", "node", "domain", "token"}) {
        if (document.contains(fixed)) {
            return invalid(
                fixed,
                std::string(fixed) + " cannot be changed; remove the cluster and register it anew");
        }
    }
    if (Status keys = onlyKeys(document, "",
                               {"priority", "mtbf_hours", "mttr_hours", "group", "standby",
                                "active", "memory_mode", "failure_model"});
        !keys) {
        return keys.error();
    }
    core::ClusterChange change;
    if (document.contains("priority")) {
        auto value = wholeNumber(document["priority"], "priority", 0, sizing::kMaxPriority);
        if (!value) {
            return value.error();
        }
        change.priority = static_cast<int>(*value);
    }
    if (Status times = readFailureTimes(document, change.mtbf_hours, change.mttr_hours); !times) {
        return times.error();
    }
    if (document.contains("group")) {
        if (document["group"].is_null()) {
            change.group = std::string();
        } else {
            auto value = text(document["group"], "group");
            if (!value) {
                return value.error();
            }
            change.group = *value;
        }
    }
    for (const char* key : {"standby", "active"}) {
        if (document.contains(key)) {
            auto value = footprint(document[key], key);
            if (!value) {
                return value.error();
            }
            (std::string_view(key) == "standby" ? change.standby : change.active) = *value;
        }
    }
    if (document.contains("memory_mode")) {
        auto value = text(document["memory_mode"], "memory_mode");
        if (!value) {
            return value.error();
        }
        if (*value == "balloon") {
            change.memory_mode = sizing::MemoryMode::balloon;
        } else if (*value == "reserved") {
            change.memory_mode = sizing::MemoryMode::reserved;
        } else {
            return invalid("memory_mode",
                           "memory_mode must be balloon or reserved, got '" + *value + "'");
        }
    }
    if (document.contains("failure_model")) {
        auto value = failureModel(document["failure_model"], "failure_model");
        if (!value) {
            return value.error();
        }
        change.failure_model = *value;
    }
    return change;
}

Result<PowerAction> powerActionFromJson(const In& document) {
    if (Status keys = onlyKeys(document, "", {"action"}); !keys) {
        return keys.error();
    }
    if (!document.contains("action")) {
        return invalid("action", "action is missing; give on, off, reboot or status");
    }
    auto name = text(document["action"], "action");
    if (!name) {
        return name.error();
    }
    if (const auto action = parsePowerAction(*name)) {
        return *action;
    }
    return invalid("action", "action must be on, off, reboot or status, got '" + *name + "'");
}

Status confirmedDownFromJson(const In& document) {
    if (Status keys = onlyKeys(document, "", {"confirmed_down"}); !keys) {
        return keys.error();
    }
    if (!document.contains("confirmed_down") || !document["confirmed_down"].is_boolean() ||
        !document["confirmed_down"].get<bool>()) {
        return invalid("confirmed_down",
                       "confirmed_down must be true: declare an appliance lost only once it is "
                       "known to be off (its nodes are started elsewhere)");
    }
    return Done{};
}

Result<core::WhatIfRequest> whatIfFromJson(const In& document,
                                           const std::vector<std::string>& clusters,
                                           const std::vector<std::string>& appliances) {
    if (Status keys = onlyKeys(document, "", {"fail", "add", "remove", "capacity"}); !keys) {
        return keys.error();
    }
    core::WhatIfRequest what_if;
    for (const char* key : {"fail", "remove"}) {
        if (!document.contains(key)) {
            continue;
        }
        auto list = names(document[key], key);
        if (!list) {
            return list.error();
        }
        for (std::size_t i = 0; i < list->size(); ++i) {
            if (!contains(clusters, (*list)[i])) {
                return invalid(std::string(key) + "[" + std::to_string(i) + "]",
                               "there is no cluster '" + (*list)[i] + "'");
            }
        }
        (std::string_view(key) == "fail" ? what_if.fail : what_if.remove) = *list;
    }
    if (document.contains("add")) {
        const In& add = document["add"];
        if (!add.is_array()) {
            return invalid("add", "add must be an array of cluster objects");
        }
        for (std::size_t i = 0; i < add.size(); ++i) {
            auto registration =
                clusterRegistration(add[i], "add[" + std::to_string(i) + "]", appliances);
            if (!registration) {
                return registration.error();
            }
            what_if.add.push_back({registration->spec, registration->appliance});
        }
    }
    if (document.contains("capacity")) {
        const In& capacity = document["capacity"];
        if (!capacity.is_object()) {
            return invalid("capacity",
                           "capacity must be an object {APPLIANCE: {memory_mib, vcpus}}");
        }
        for (const auto& [name, value] : capacity.items()) {
            const std::string field = "capacity." + name;
            if (!contains(appliances, name)) {
                return invalid(field, "there is no appliance '" + name + "'");
            }
            auto size = footprint(value, field);
            if (!size) {
                return size.error();
            }
            what_if.capacity[name] = *size;
        }
    }
    return what_if;
}

}  // namespace understudy::api

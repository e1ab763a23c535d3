#include "sizing/fleet_rules.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/error_codes.h"
#include "base/json_document.h"
#include "base/text.h"

namespace understudy::sizing::detail {
namespace {

std::size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

SectionOrigin jsonSection(const std::string& source, std::string array) {
    return SectionOrigin{source, std::move(array), {}, false};
}

template <typename Spec>
std::optional<Error> checkUniqueNames(const std::vector<Spec>& items, const SectionOrigin& origin,
                                      std::string_view kind) {
    std::unordered_map<std::string_view, std::size_t> first;
    first.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto [it, inserted] = first.emplace(items[i].name, i);
        if (!inserted) {
            return invalidField(origin.where(i, "name"),
                                std::string(kind) + " name " + quotedText(items[i].name) +
                                    " is already used by " + origin.item(it->second) +
                                    "; give each " + std::string(kind) + " its own name");
        }
    }
    return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Locations and messages

Error invalidField(std::string where, std::string message) {
    return Error{errc::kInvalidField, std::move(message), std::move(where)};
}

std::string indexPath(std::string_view array, std::size_t index) {
    return std::string(array) + '[' + std::to_string(index) + ']';
}

std::string csvColumn(std::string_view field) {
    std::string column(field);
    std::replace(column.begin(), column.end(), '.', '_');
    return column;
}

std::string printable(std::string_view text) {
    constexpr std::size_t kLimit = 80;
    return understudy::printable(text, kLimit, NonAscii::escape);
}

std::string quotedText(std::string_view text) {
    return "\"" + printable(text) + "\"";
}

std::string unknownNameAdvice(std::string_view name, std::span<const std::string_view> known,
                              std::string_view kind) {
    std::string advice;
    std::size_t best = std::numeric_limits<std::size_t>::max();
    std::string_view closest;
    for (const std::string_view candidate : known) {
        const std::size_t distance = editDistance(name, candidate);
        if (distance < best) {
            best = distance;
            closest = candidate;
        }
    }
    if (!closest.empty() && best <= std::max<std::size_t>(2, closest.size() / 4)) {
        advice += " (did you mean \"" + std::string(closest) + "\"?)";
    }
    advice += "; the known " + std::string(kind) + " are";
    for (std::size_t i = 0; i < known.size(); ++i) {
        advice += (i == 0 ? " " : ", ") + std::string(known[i]);
    }
    return advice;
}

std::string mustBe(const char* expected, const std::string& shown) {
    return "must be " + std::string(expected) + ", got " + shown;
}

// ---------------------------------------------------------------------------------------------
// The rules every number obeys

bool obeys(const IntegerRule& rule, std::int64_t value) {
    return value >= rule.min && value <= rule.max;
}

bool obeys(const RealRule& rule, double value) {
    return std::isfinite(value) && (rule.min_inclusive ? value >= rule.min : value > rule.min) &&
           value <= rule.max;
}

std::optional<std::int64_t> wholeFromReal(double value) {
    constexpr double kTwoTo63 = 9223372036854775808.0;
    if (!std::isfinite(value) || std::trunc(value) != value || value < -kTwoTo63 ||
        value >= kTwoTo63) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(value);
}

std::optional<MemoryMode> memoryModeFromName(std::string_view name) {
    if (name == memoryModeName(MemoryMode::balloon)) {
        return MemoryMode::balloon;
    }
    if (name == memoryModeName(MemoryMode::reserved)) {
        return MemoryMode::reserved;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Checks on values, whichever format they came from

std::optional<Error> checkName(std::string_view name, const std::string& where) {
    if (auto problem = nameProblem(name)) {
        return invalidField(where, *problem);
    }
    return std::nullopt;
}

std::optional<Error> checkActiveCoversStandby(const ClusterSpec& cluster, const WhereFn& where) {
    for (const Resource resource : kResources) {
        const std::int64_t active = cluster.active.of(resource);
        const std::int64_t standby = cluster.standby.of(resource);
        if (active < standby) {
            const std::string unit = resource == Resource::memory_mib ? " MiB" : " vCPUs";
            return invalidField(where(joinJsonPath("active", resourceName(resource))),
                                "is " + std::to_string(active) + unit +
                                    ", less than the standby footprint's " +
                                    std::to_string(standby) + unit +
                                    "; a node never shrinks at takeover, so give an active "
                                    "footprint at least as large as the standby one");
        }
    }
    return std::nullopt;
}

std::optional<Error> checkReserveBelowTotal(const ApplianceSpec& appliance, const WhereFn& where) {
    if (appliance.reserve_vcpus >= appliance.vcpus) {
        return invalidField(where("reserve_vcpus"),
                            "is " + std::to_string(appliance.reserve_vcpus) +
                                " vCPUs, but the appliance has only " +
                                std::to_string(appliance.vcpus) +
                                " vCPUs; the reserve must be less than the total");
    }
    if (appliance.reserve_memory_mib >= appliance.memory_mib) {
        return invalidField(where("reserve_memory_mib"),
                            "is " + std::to_string(appliance.reserve_memory_mib) +
                                " MiB, but the appliance has only " +
                                std::to_string(appliance.memory_mib) +
                                " MiB; the reserve must be less than the total");
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// The rules that span items

std::string SectionOrigin::where(std::size_t index, std::string_view field) const {
    if (csv) {
        return source + ":" + std::to_string(lines[index]) + ": " + csvColumn(field);
    }
    return source + ": " + joinJsonPath(indexPath(array, index), field);
}

std::string SectionOrigin::item(std::size_t index) const {
    return csv ? "line " + std::to_string(lines[index]) : indexPath(array, index);
}

SectionOrigin csvSection(const std::string& source, std::vector<std::size_t> lines) {
    return SectionOrigin{source, {}, std::move(lines), true};
}

FleetOrigin jsonOrigin(const std::string& source) {
    return FleetOrigin{jsonSection(source, "appliances"), jsonSection(source, "groups"),
                       jsonSection(source, "clusters"), true};
}

std::optional<Error> checkReferences(const Fleet& fleet, const FleetOrigin& origin) {
    if (auto error = checkUniqueNames(fleet.appliances, origin.appliances, "appliance")) {
        return error;
    }
    if (auto error = checkUniqueNames(fleet.groups, origin.groups, "group")) {
        return error;
    }
    if (auto error = checkUniqueNames(fleet.clusters, origin.clusters, "cluster")) {
        return error;
    }
    std::unordered_set<std::string_view> groups;
    for (const GroupSpec& group : fleet.groups) {
        groups.insert(group.name);
    }
    for (std::size_t i = 0; i < fleet.clusters.size(); ++i) {
        const std::string& group = fleet.clusters[i].group;
        if (group.empty() || groups.contains(group)) {
            continue;
        }
        std::string advice;
        if (!origin.groups_given) {
            advice =
                "no groups file was given; pass one with --groups FILE.csv or leave the "
                "group empty";
        } else if (origin.groups.csv) {
            advice = origin.groups.source + " does not define it; add it there or fix the name";
        } else {
            advice = "the fleet's \"groups\" list does not define it; add it there or fix the name";
        }
        return invalidField(origin.clusters.where(i, "group"),
                            "names the group " + quotedText(group) + ", but " + advice);
    }
    return std::nullopt;
}

}  // namespace understudy::sizing::detail

namespace understudy::sizing {

using namespace detail;

namespace {

std::string formatReal(double value) {
    std::array<char, 64> buffer{};
    const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return error == std::errc{} ? std::string(buffer.data(), end) : std::string("?");
}

std::optional<Error> checkInteger(const IntegerRule& rule, std::int64_t value,
                                  const std::string& where) {
    if (obeys(rule, value)) {
        return std::nullopt;
    }
    return invalidField(where, mustBe(rule.expected, std::to_string(value)));
}

std::optional<Error> checkReal(const RealRule& rule, double value, const std::string& where) {
    if (obeys(rule, value)) {
        return std::nullopt;
    }
    return invalidField(where, mustBe(rule.expected, formatReal(value)));
}

std::optional<Error> checkFootprintValues(const Footprint& footprint, std::string_view key,
                                          const WhereFn& where) {
    if (auto error = checkInteger(kVcpusRule, footprint.vcpus, where(joinJsonPath(key, "vcpus")))) {
        return error;
    }
    return checkInteger(kMemoryRule, footprint.memory_mib, where(joinJsonPath(key, "memory_mib")));
}

std::optional<Error> checkClusterValues(const ClusterSpec& cluster, const WhereFn& where) {
    std::optional<Error> error = checkName(cluster.name, where("name"));
    if (!error) {
        error = checkInteger(kPriorityRule, cluster.priority, where("priority"));
    }
    if (!error) {
        error = checkReal(kMtbfRule, cluster.mtbf_hours, where("mtbf_hours"));
    }
    if (!error) {
        error = checkReal(kMttrRule, cluster.mttr_hours, where("mttr_hours"));
    }
    if (!error && !cluster.group.empty()) {
        error = checkName(cluster.group, where("group"));
    }
    if (!error) {
        error = checkFootprintValues(cluster.standby, "standby", where);
    }
    if (!error) {
        error = checkFootprintValues(cluster.active, "active", where);
    }
    if (!error) {
        error = checkActiveCoversStandby(cluster, where);
    }
    return error;
}

std::optional<Error> checkGroupValues(const GroupSpec& group, const WhereFn& where) {
    std::optional<Error> error = checkName(group.name, where("name"));
    if (!error) {
        error = checkReal(kMtbfRule, group.mtbf_hours, where("mtbf_hours"));
    }
    if (!error) {
        error = checkReal(kMttrRule, group.mttr_hours, where("mttr_hours"));
    }
    return error;
}

std::optional<Error> checkApplianceValues(const ApplianceSpec& appliance, const WhereFn& where) {
    std::optional<Error> error = checkName(appliance.name, where("name"));
    if (!error) {
        error = checkInteger(kVcpusRule, appliance.vcpus, where("vcpus"));
    }
    if (!error) {
        error = checkInteger(kMemoryRule, appliance.memory_mib, where("memory_mib"));
    }
    if (!error) {
        error = checkInteger(kReserveVcpusRule, appliance.reserve_vcpus, where("reserve_vcpus"));
    }
    if (!error) {
        error = checkInteger(kReserveMemoryRule, appliance.reserve_memory_mib,
                             where("reserve_memory_mib"));
    }
    if (!error) {
        error = checkReserveBelowTotal(appliance, where);
    }
    return error;
}

}  // namespace

std::optional<std::string> nameProblem(std::string_view name) {
    if (name.empty()) {
        return "must not be empty; give " + std::string(kNameExpected);
    }
    if (name.size() > kMaxNameLength) {
        return quotedText(name) + " is " + std::to_string(name.size()) +
               " characters long; at most 63 are allowed, since it becomes part of a libvirt "
               "domain name";
    }
    const auto isAlnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    for (const char c : name) {
        if (!isAlnum(c) && c != '.' && c != '_' && c != '-') {
            return quotedText(name) + " contains '" + printable(std::string_view(&c, 1)) +
                   "'; use only letters, digits, '.', '_' and '-', since it becomes part of a "
                   "libvirt domain name";
        }
    }
    if (!isAlnum(name.front())) {
        return quotedText(name) + " starts with '" + std::string(1, name.front()) +
               "'; a name must start with a letter or digit";
    }
    return std::nullopt;
}

Status validateFleet(const Fleet& fleet, const std::string& source) {
    const FleetOrigin origin = jsonOrigin(source);
    const auto at = [&source](std::string_view field) {
        return source + ": " + std::string(field);
    };
    std::optional<Error> error = checkReal(kTargetRiskRule, fleet.target_risk, at("target_risk"));
    if (!error) {
        error = checkReal(kCpuOvercommitRule, fleet.cpu_overcommit, at("cpu_overcommit"));
    }
    if (!error) {
        error = checkInteger(kTolerateKRule, fleet.tolerate_k, at("tolerate_k"));
    }
    for (std::size_t i = 0; !error && i < fleet.appliances.size(); ++i) {
        error = checkApplianceValues(fleet.appliances[i], [&](std::string_view field) {
            return origin.appliances.where(i, field);
        });
    }
    for (std::size_t i = 0; !error && i < fleet.groups.size(); ++i) {
        error = checkGroupValues(
            fleet.groups[i], [&](std::string_view field) { return origin.groups.where(i, field); });
    }
    for (std::size_t i = 0; !error && i < fleet.clusters.size(); ++i) {
        error = checkClusterValues(fleet.clusters[i], [&](std::string_view field) {
            return origin.clusters.where(i, field);
        });
    }
    if (!error) {
        error = checkReferences(fleet, origin);
    }
    if (error) {
        return *error;
    }
    return Done{};
}

}  // namespace understudy::sizing

#include "sizing/fleet_file.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/error_codes.h"
#include "base/text.h"

namespace understudy::sizing {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// ---------------------------------------------------------------------------------------------
// Locations and messages

// Maps a field of the item being checked ("standby.memory_mib") to its full location.
using WhereFn = std::function<std::string(std::string_view field)>;

Error invalidField(std::string where, std::string message) {
    return Error{errc::kInvalidField, std::move(message), std::move(where)};
}

std::string indexPath(std::string_view array, std::size_t index) {
    return std::string(array) + '[' + std::to_string(index) + ']';
}

// A CSV column is the JSON field with '_' for '.': standby.memory_mib -> standby_memory_mib.
std::string csvColumn(std::string_view field) {
    std::string column(field);
    std::replace(column.begin(), column.end(), '.', '_');
    return column;
}

Error locatedIn(Error error, const std::string& source) {
    error.where = error.where.empty() ? source : source + ": " + error.where;
    return error;
}

std::string printable(std::string_view text) {
    constexpr std::size_t kLimit = 80;
    return understudy::printable(text, kLimit, NonAscii::escape);
}

std::string quotedText(std::string_view text) {
    return "\"" + printable(text) + "\"";
}

std::string showJson(const json& value) {
    return printable(value.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::string formatReal(double value) {
    std::array<char, 64> buffer{};
    const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return error == std::errc{} ? std::string(buffer.data(), end) : std::string("?");
}

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

// Unknown fields are usually typos ("mtbf_hour"): name the closest known one.
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

// ---------------------------------------------------------------------------------------------
// The rules every number obeys, shared by the JSON and CSV readers and validateFleet.

struct IntegerRule {
    std::int64_t min;
    std::int64_t max;
    const char* expected;
};

struct RealRule {
    double min;
    bool min_inclusive;
    double max;
    const char* expected;
};

constexpr IntegerRule kPriorityRule{0, kMaxPriority, "a whole number from 0 to 1000"};
constexpr IntegerRule kVcpusRule{1, kMaxVcpus, "a whole number of vCPUs from 1 to 1048576"};
constexpr IntegerRule kMemoryRule{1, kMaxMemoryMib,
                                  "a whole number of MiB from 1 to 1099511627776"};
constexpr IntegerRule kReserveVcpusRule{0, kMaxVcpus, "a whole number of vCPUs from 0 to 1048576"};
constexpr IntegerRule kReserveMemoryRule{0, kMaxMemoryMib,
                                         "a whole number of MiB from 0 to 1099511627776"};
constexpr IntegerRule kTolerateKRule{0, kMaxTolerateK,
                                     "a whole number of simultaneous failovers from 0 to 1000000"};
constexpr RealRule kMtbfRule{0, false, std::numeric_limits<double>::max(),
                             "a finite number of hours above 0"};
constexpr RealRule kMttrRule{0, true, std::numeric_limits<double>::max(),
                             "a finite number of hours, 0 or more"};
constexpr RealRule kTargetRiskRule{0, true, 1, "a probability from 0 to 1"};
constexpr RealRule kCpuOvercommitRule{0, false, kMaxCpuOvercommit,
                                      "a ratio above 0 and at most 64"};

bool obeys(const IntegerRule& rule, std::int64_t value) {
    return value >= rule.min && value <= rule.max;
}

bool obeys(const RealRule& rule, double value) {
    return std::isfinite(value) && (rule.min_inclusive ? value >= rule.min : value > rule.min) &&
           value <= rule.max;
}

std::string mustBe(const char* expected, const std::string& shown) {
    return "must be " + std::string(expected) + ", got " + shown;
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

// 4.0 is the whole number 4; 2.5, infinities and values beyond int64 are not whole numbers.
std::optional<std::int64_t> wholeFromReal(double value) {
    constexpr double kTwoTo63 = 9223372036854775808.0;
    if (!std::isfinite(value) || std::trunc(value) != value || value < -kTwoTo63 ||
        value >= kTwoTo63) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(value);
}

// ---------------------------------------------------------------------------------------------
// Checks on values, whichever format they came from

std::optional<Error> checkName(std::string_view name, const std::string& where) {
    if (auto problem = nameProblem(name)) {
        return invalidField(where, *problem);
    }
    return std::nullopt;
}

std::optional<Error> checkFootprintValues(const Footprint& footprint, std::string_view key,
                                          const WhereFn& where) {
    if (auto error = checkInteger(kVcpusRule, footprint.vcpus, where(joinJsonPath(key, "vcpus")))) {
        return error;
    }
    return checkInteger(kMemoryRule, footprint.memory_mib, where(joinJsonPath(key, "memory_mib")));
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

// Where each list of a fleet came from: a JSON array, or the lines of a CSV file.
struct SectionOrigin {
    std::string source;
    std::string array;               // the JSON array's key
    std::vector<std::size_t> lines;  // CSV: the line of each item
    bool csv = false;

    std::string where(std::size_t index, std::string_view field) const {
        if (csv) {
            return source + ":" + std::to_string(lines[index]) + ": " + csvColumn(field);
        }
        return source + ": " + joinJsonPath(indexPath(array, index), field);
    }
    std::string item(std::size_t index) const {
        return csv ? "line " + std::to_string(lines[index]) : indexPath(array, index);
    }
};

struct FleetOrigin {
    SectionOrigin appliances;
    SectionOrigin groups;
    SectionOrigin clusters;
    bool groups_given = true;  // false: a CSV fleet read without a groups file
};

SectionOrigin jsonSection(const std::string& source, std::string array) {
    return SectionOrigin{source, std::move(array), {}, false};
}

SectionOrigin csvSection(const std::string& source, std::vector<std::size_t> lines) {
    return SectionOrigin{source, {}, std::move(lines), true};
}

FleetOrigin jsonOrigin(const std::string& source) {
    return FleetOrigin{jsonSection(source, "appliances"), jsonSection(source, "groups"),
                       jsonSection(source, "clusters"), true};
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

// The rules that span items: unique names within each list, and named groups exist.
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

// ---------------------------------------------------------------------------------------------
// JSON objects

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

constexpr const char* kNameExpected =
    "a name of up to 63 letters, digits, '.', '_' or '-', starting with a letter or digit";

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

std::optional<MemoryMode> memoryModeFromName(std::string_view name) {
    if (name == memoryModeName(MemoryMode::balloon)) {
        return MemoryMode::balloon;
    }
    if (name == memoryModeName(MemoryMode::reserved)) {
        return MemoryMode::reserved;
    }
    return std::nullopt;
}

constexpr const char* kMemoryModeExpected = "\"balloon\" or \"reserved\"";

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

// Everything but the rules spanning items (checkReferences), which depend on where the
// groups come from.
Result<Fleet> readFleetJson(std::string_view text, const std::string& source) {
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

// ---------------------------------------------------------------------------------------------
// CSV

struct CsvRecord {
    std::size_t line = 0;  // where the record starts (a quoted cell may span lines)
    std::vector<std::string> cells;
};

bool isBlank(char c) {
    return c == ' ' || c == '\t';
}
bool endsCell(char c) {
    return c == ',' || c == '\n' || c == '\r';
}

Error malformedCsv(const std::string& source, std::size_t line, std::string message) {
    return Error{"malformed_csv", std::move(message), source + ":" + std::to_string(line)};
}

// RFC 4180 records, also accepting LF or CR line ends, blanks around cells, and blank lines.
Result<std::vector<CsvRecord>> splitCsv(std::string_view text, const std::string& source) {
    std::vector<CsvRecord> records;
    std::size_t i = text.starts_with(kByteOrderMark) ? kByteOrderMark.size() : 0;
    std::size_t line = 1;
    const std::size_t n = text.size();
    while (i < n) {
        CsvRecord record;
        record.line = line;
        bool quoted_any = false;
        while (true) {
            while (i < n && isBlank(text[i])) {
                ++i;
            }
            std::string cell;
            if (i < n && text[i] == '"') {
                quoted_any = true;
                const std::size_t opened_on = line;
                ++i;
                while (true) {
                    if (i >= n) {
                        return malformedCsv(source, opened_on,
                                            "a quoted cell that starts on this line is never "
                                            "closed; end it with a quote (\")");
                    }
                    const char c = text[i++];
                    if (c == '"') {
                        if (i < n && text[i] == '"') {
                            cell += '"';
                            ++i;
                            continue;
                        }
                        break;
                    }
                    if (c == '\n') {
                        ++line;
                    }
                    cell += c;
                }
                while (i < n && isBlank(text[i])) {
                    ++i;
                }
                if (i < n && !endsCell(text[i])) {
                    return malformedCsv(source, line,
                                        "text follows a closing quote; inside a quoted cell, "
                                        "write a quote as two quotes (\"\")");
                }
            } else {
                const std::size_t start = i;
                while (i < n && !endsCell(text[i])) {
                    if (text[i] == '"') {
                        return malformedCsv(source, line,
                                            "a quote inside an unquoted cell; quote the whole "
                                            "cell and write each quote in it as two (\"\")");
                    }
                    ++i;
                }
                std::size_t end = i;
                while (end > start && isBlank(text[end - 1])) {
                    --end;
                }
                cell.assign(text.substr(start, end - start));
            }
            record.cells.push_back(std::move(cell));
            if (i < n && text[i] == ',') {
                ++i;
                continue;
            }
            break;
        }
        if (i < n && text[i] == '\r') {
            ++i;
        }
        if (i < n && text[i] == '\n') {
            ++i;
        }
        ++line;
        const bool blank = !quoted_any && record.cells.size() == 1 && record.cells[0].empty();
        if (!blank) {
            records.push_back(std::move(record));
        }
    }
    return records;
}

struct CsvTable {
    std::vector<std::string> columns;
    std::vector<CsvRecord> rows;
};

Result<CsvTable> readCsvTable(std::string_view text, const std::string& source,
                              std::span<const std::string_view> mandatory,
                              std::span<const std::string_view> optional_columns,
                              std::string_view what) {
    auto records = splitCsv(text, source);
    if (!records) {
        return records.error();
    }
    std::vector<std::string_view> known(mandatory.begin(), mandatory.end());
    known.insert(known.end(), optional_columns.begin(), optional_columns.end());
    std::string column_list;
    for (const std::string_view column : mandatory) {
        column_list += (column_list.empty() ? "" : ",") + std::string(column);
    }
    if (records->empty()) {
        return Error{"malformed_csv",
                     "is empty; " + std::string(what) +
                         " starts with a header line naming its columns: " + column_list,
                     source};
    }
    CsvTable table;
    CsvRecord& header = records->front();
    const std::string header_where = source + ":" + std::to_string(header.line) + ": ";
    for (const std::string& column : header.cells) {
        if (std::find(known.begin(), known.end(), column) == known.end()) {
            return invalidField(header_where + printable(column),
                                "is not a column of " + std::string(what) +
                                    unknownNameAdvice(column, known, "columns"));
        }
        if (std::find(table.columns.begin(), table.columns.end(), column) != table.columns.end()) {
            return invalidField(header_where + column,
                                "appears twice in the header; give each column once");
        }
        table.columns.push_back(column);
    }
    for (const std::string_view column : mandatory) {
        if (std::find(table.columns.begin(), table.columns.end(), column) == table.columns.end()) {
            return invalidField(header_where + std::string(column),
                                "is missing from the header; " + std::string(what) +
                                    " needs the columns " + column_list);
        }
    }
    for (std::size_t r = 1; r < records->size(); ++r) {
        CsvRecord& record = (*records)[r];
        if (record.cells.size() != table.columns.size()) {
            return malformedCsv(source, record.line,
                                "has " + std::to_string(record.cells.size()) +
                                    " cells, but the header names " +
                                    std::to_string(table.columns.size()) +
                                    " columns; quote a cell that contains a comma");
        }
        table.rows.push_back(std::move(record));
    }
    return table;
}

// One record of a table, read cell by cell with the same rules as JSON.
class CsvRow {
public:
    CsvRow(const CsvTable& table, const CsvRecord& record, const std::string& source,
           std::string_view what)
        : table_(table), record_(record), source_(source), what_(what) {}

    std::string where(std::string_view column) const {
        return source_ + ":" + std::to_string(record_.line) + ": " + std::string(column);
    }
    // The cell of a column the header must have.
    const std::string& text(std::string_view column) const {
        static const std::string kAbsent;
        const std::string* found = cell(column);
        return found == nullptr ? kAbsent : *found;
    }
    // nullptr when the header does not have the column.
    const std::string* cell(std::string_view column) const {
        const auto it = std::find(table_.columns.begin(), table_.columns.end(), column);
        if (it == table_.columns.end()) {
            return nullptr;
        }
        return &record_.cells[static_cast<std::size_t>(it - table_.columns.begin())];
    }

    std::optional<Error> integer(std::string_view column, const IntegerRule& rule,
                                 std::int64_t& out) const {
        const std::string& text = this->text(column);
        if (text.empty()) {
            return emptyCell(column, rule.expected);
        }
        std::optional<std::int64_t> number;
        std::int64_t whole = 0;
        double real = 0;
        const char* const end = text.data() + text.size();
        if (const auto parsed = std::from_chars(text.data(), end, whole);
            parsed.ec == std::errc{} && parsed.ptr == end) {
            number = whole;
        } else if (const auto parsed_real = std::from_chars(text.data(), end, real);
                   parsed_real.ec == std::errc{} && parsed_real.ptr == end) {
            number = wholeFromReal(real);
        }
        if (!number || !obeys(rule, *number)) {
            return invalidField(where(column), mustBe(rule.expected, quotedText(text)));
        }
        out = *number;
        return std::nullopt;
    }

    std::optional<Error> real(std::string_view column, const RealRule& rule, double& out) const {
        const std::string& text = this->text(column);
        if (text.empty()) {
            return emptyCell(column, rule.expected);
        }
        double value = 0;
        const char* const end = text.data() + text.size();
        const auto parsed = std::from_chars(text.data(), end, value);
        if (parsed.ec != std::errc{} || parsed.ptr != end || !obeys(rule, value)) {
            return invalidField(where(column), mustBe(rule.expected, quotedText(text)));
        }
        out = value;
        return std::nullopt;
    }

    std::optional<Error> name(std::string& out) const {
        const std::string& text = this->text("name");
        if (text.empty()) {
            return emptyCell("name", kNameExpected);
        }
        if (auto error = checkName(text, where("name"))) {
            return error;
        }
        out = text;
        return std::nullopt;
    }

private:
    Error emptyCell(std::string_view column, std::string_view expected) const {
        return invalidField(where(column), "is empty; " + std::string(what_) + " needs " +
                                               std::string(column) + ", " + std::string(expected));
    }

    const CsvTable& table_;
    const CsvRecord& record_;
    const std::string& source_;
    std::string_view what_;
};

struct LocatedClusters {
    Fleet fleet;
    std::vector<std::size_t> lines;
};

struct LocatedGroups {
    std::vector<GroupSpec> groups;
    std::vector<std::size_t> lines;
};

std::optional<Error> readCsvCluster(const CsvRow& row, ClusterSpec& cluster) {
    std::int64_t priority = 0;
    std::optional<Error> error = row.name(cluster.name);
    if (!error) {
        error = row.integer("priority", kPriorityRule, priority);
    }
    if (!error) {
        cluster.priority = static_cast<int>(priority);
        error = row.real("mtbf_hours", kMtbfRule, cluster.mtbf_hours);
    }
    if (!error) {
        error = row.real("mttr_hours", kMttrRule, cluster.mttr_hours);
    }
    if (!error) {
        const std::string& group = row.text("group");
        if (!group.empty()) {
            error = checkName(group, row.where("group"));
            cluster.group = group;
        }
    }
    if (!error) {
        error = row.integer("standby_vcpus", kVcpusRule, cluster.standby.vcpus);
    }
    if (!error) {
        error = row.integer("standby_memory_mib", kMemoryRule, cluster.standby.memory_mib);
    }
    if (!error) {
        error = row.integer("active_vcpus", kVcpusRule, cluster.active.vcpus);
    }
    if (!error) {
        error = row.integer("active_memory_mib", kMemoryRule, cluster.active.memory_mib);
    }
    const std::string* mode = row.cell("memory_mode");
    if (!error && mode != nullptr && !mode->empty()) {
        if (const auto parsed = memoryModeFromName(*mode)) {
            cluster.memory_mode = *parsed;
        } else {
            error = invalidField(row.where("memory_mode"),
                                 mustBe(kMemoryModeExpected, quotedText(*mode)));
        }
    }
    if (!error) {
        error = checkActiveCoversStandby(
            cluster, [&row](std::string_view field) { return row.where(csvColumn(field)); });
    }
    return error;
}

Result<LocatedClusters> readFleetCsv(std::string_view text, const std::string& source) {
    static constexpr std::array<std::string_view, 9> kColumns{
        "name",          "priority",           "mtbf_hours",   "mttr_hours",       "group",
        "standby_vcpus", "standby_memory_mib", "active_vcpus", "active_memory_mib"};
    static constexpr std::array<std::string_view, 1> kOptionalColumns{"memory_mode"};
    auto table = readCsvTable(text, source, kColumns, kOptionalColumns, "a fleet CSV");
    if (!table) {
        return table.error();
    }
    LocatedClusters located;
    located.fleet.clusters.reserve(table->rows.size());
    located.lines.reserve(table->rows.size());
    for (const CsvRecord& record : table->rows) {
        ClusterSpec cluster;
        if (auto error = readCsvCluster(CsvRow(*table, record, source, "a cluster"), cluster)) {
            return *error;
        }
        located.fleet.clusters.push_back(std::move(cluster));
        located.lines.push_back(record.line);
    }
    return located;
}

Result<LocatedGroups> readGroupsCsv(std::string_view text, const std::string& source) {
    static constexpr std::array<std::string_view, 3> kColumns{"name", "mtbf_hours", "mttr_hours"};
    auto table = readCsvTable(text, source, kColumns, {}, "a groups CSV");
    if (!table) {
        return table.error();
    }
    LocatedGroups located;
    for (const CsvRecord& record : table->rows) {
        const CsvRow row(*table, record, source, "a group");
        GroupSpec group;
        std::optional<Error> error = row.name(group.name);
        if (!error) {
            error = row.real("mtbf_hours", kMtbfRule, group.mtbf_hours);
        }
        if (!error) {
            error = row.real("mttr_hours", kMttrRule, group.mttr_hours);
        }
        if (error) {
            return *error;
        }
        located.groups.push_back(std::move(group));
        located.lines.push_back(record.line);
    }
    Fleet groups_only;
    groups_only.groups = located.groups;
    FleetOrigin origin = jsonOrigin(source);
    origin.groups = csvSection(source, located.lines);
    if (auto error = checkReferences(groups_only, origin)) {
        return *error;
    }
    return located;
}

// ---------------------------------------------------------------------------------------------
// Files

struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
};

Result<std::string> readFile(const std::string& path) {
    errno = 0;
    const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
    if (!file) {
        return Error{errc::kIo,
                     "cannot open the file: " + std::generic_category().message(errno) +
                         "; check the path and its permissions",
                     path};
    }
    std::string content;
    std::array<char, 1 << 16> buffer{};
    while (true) {
        const std::size_t read = std::fread(buffer.data(), 1, buffer.size(), file.get());
        content.append(buffer.data(), read);
        if (read < buffer.size()) {
            if (std::ferror(file.get()) != 0) {
                return Error{errc::kIo,
                             "cannot read the file: " + std::generic_category().message(errno) +
                                 "; check that it is a readable regular file",
                             path};
            }
            break;
        }
    }
    return content;
}

std::string lowercaseExtension(const std::string& path) {
    std::string extension = std::filesystem::path(path).extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return extension;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

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

Result<Fleet> parseFleetCsv(std::string_view text, const std::string& source) {
    auto located = readFleetCsv(text, source);
    if (!located) {
        return located.error();
    }
    FleetOrigin origin = jsonOrigin(source);
    origin.clusters = csvSection(source, located->lines);
    origin.groups_given = false;
    if (auto error = checkReferences(located->fleet, origin)) {
        return *error;
    }
    return std::move(located->fleet);
}

Result<std::vector<GroupSpec>> parseGroupsCsv(std::string_view text, const std::string& source) {
    auto located = readGroupsCsv(text, source);
    if (!located) {
        return located.error();
    }
    return std::move(located->groups);
}

Result<Fleet> loadFleetFile(const std::string& path,
                            const std::optional<std::string>& groups_csv_path) {
    const std::string extension = lowercaseExtension(path);
    if (extension != ".json" && extension != ".csv") {
        return Error{"unknown_format",
                     "has an extension the sizing engine does not read (\"" + printable(extension) +
                         "\"); give a fleet file ending in .json or .csv",
                     path};
    }
    auto text = readFile(path);
    if (!text) {
        return text.error();
    }
    Fleet fleet;
    FleetOrigin origin = jsonOrigin(path);
    if (extension == ".json") {
        auto parsed = readFleetJson(*text, path);
        if (!parsed) {
            return parsed;
        }
        fleet = std::move(parsed).value();
    } else {
        auto parsed = readFleetCsv(*text, path);
        if (!parsed) {
            return parsed.error();
        }
        fleet = std::move(parsed->fleet);
        origin.clusters = csvSection(path, std::move(parsed->lines));
        origin.groups_given = false;
    }
    if (groups_csv_path) {
        auto groups_text = readFile(*groups_csv_path);
        if (!groups_text) {
            return groups_text.error();
        }
        auto groups = readGroupsCsv(*groups_text, *groups_csv_path);
        if (!groups) {
            return groups.error();
        }
        fleet.groups = std::move(groups->groups);
        origin.groups = csvSection(*groups_csv_path, std::move(groups->lines));
        origin.groups_given = true;
    }
    if (auto error = checkReferences(fleet, origin)) {
        return *error;
    }
    return fleet;
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

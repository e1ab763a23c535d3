// What a valid fleet is and how a broken one is reported: the rules every number, name and
// list obeys, and the wording and location of each error. The JSON and CSV readers
// (fleet_json.cpp, fleet_csv.cpp) and validateFleet share them, so a value is judged and
// described the same whichever way it arrives. Internal to sizing/; callers include
// sizing/fleet_file.h.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "sizing/fleet.h"
#include "sizing/fleet_file.h"

namespace understudy::sizing::detail {

// ---------------------------------------------------------------------------------------------
// Locations and messages

// Maps a field of the item being checked ("standby.memory_mib") to its full location.
using WhereFn = std::function<std::string(std::string_view field)>;

Error invalidField(std::string where, std::string message);

// "clusters" + 3 -> "clusters[3]".
std::string indexPath(std::string_view array, std::size_t index);

// A CSV column is the JSON field with '_' for '.': standby.memory_mib -> standby_memory_mib.
std::string csvColumn(std::string_view field);

// Text from the input, fit for a one-line message: at most 80 bytes, every byte outside
// printable ASCII escaped.
std::string printable(std::string_view text);
std::string quotedText(std::string_view text);

// Unknown fields are usually typos ("mtbf_hour"): name the closest known one, then list them.
std::string unknownNameAdvice(std::string_view name, std::span<const std::string_view> known,
                              std::string_view kind);

// "must be <expected>, got <shown>".
std::string mustBe(const char* expected, const std::string& shown);

inline constexpr const char* kNameExpected =
    "a name of up to 63 letters, digits, '.', '_' or '-', starting with a letter or digit";
inline constexpr const char* kMemoryModeExpected = "\"balloon\" or \"reserved\"";

// ---------------------------------------------------------------------------------------------
// The rules every number obeys

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

inline constexpr IntegerRule kPriorityRule{0, kMaxPriority, "a whole number from 0 to 1000"};
inline constexpr IntegerRule kVcpusRule{1, kMaxVcpus, "a whole number of vCPUs from 1 to 1048576"};
inline constexpr IntegerRule kMemoryRule{1, kMaxMemoryMib,
                                         "a whole number of MiB from 1 to 1099511627776"};
inline constexpr IntegerRule kReserveVcpusRule{0, kMaxVcpus,
                                               "a whole number of vCPUs from 0 to 1048576"};
inline constexpr IntegerRule kReserveMemoryRule{0, kMaxMemoryMib,
                                                "a whole number of MiB from 0 to 1099511627776"};
inline constexpr IntegerRule kTolerateKRule{
    0, kMaxTolerateK, "a whole number of simultaneous failovers from 0 to 1000000"};
inline constexpr RealRule kMtbfRule{0, false, std::numeric_limits<double>::max(),
                                    "a finite number of hours above 0"};
inline constexpr RealRule kMttrRule{0, true, std::numeric_limits<double>::max(),
                                    "a finite number of hours, 0 or more"};
inline constexpr RealRule kTargetRiskRule{0, true, 1, "a probability from 0 to 1"};
inline constexpr RealRule kCpuOvercommitRule{0, false, kMaxCpuOvercommit,
                                             "a ratio above 0 and at most 64"};

bool obeys(const IntegerRule& rule, std::int64_t value);
bool obeys(const RealRule& rule, double value);

// 4.0 is the whole number 4; 2.5, infinities and values beyond int64 are not whole numbers.
std::optional<std::int64_t> wholeFromReal(double value);

std::optional<MemoryMode> memoryModeFromName(std::string_view name);

// ---------------------------------------------------------------------------------------------
// Checks on values, whichever format they came from

std::optional<Error> checkName(std::string_view name, const std::string& where);
std::optional<Error> checkActiveCoversStandby(const ClusterSpec& cluster, const WhereFn& where);
std::optional<Error> checkReserveBelowTotal(const ApplianceSpec& appliance, const WhereFn& where);

// ---------------------------------------------------------------------------------------------
// The rules that span items

// Where each list of a fleet came from: a JSON array, or the lines of a CSV file.
struct SectionOrigin {
    std::string source;
    std::string array;               // the JSON array's key
    std::vector<std::size_t> lines;  // CSV: the line of each item
    bool csv = false;

    std::string where(std::size_t index, std::string_view field) const;
    std::string item(std::size_t index) const;
};

struct FleetOrigin {
    SectionOrigin appliances;
    SectionOrigin groups;
    SectionOrigin clusters;
    bool groups_given = true;  // false: a CSV fleet read without a groups file
};

SectionOrigin csvSection(const std::string& source, std::vector<std::size_t> lines);
FleetOrigin jsonOrigin(const std::string& source);

// Unique names within each list, and named groups exist.
std::optional<Error> checkReferences(const Fleet& fleet, const FleetOrigin& origin);

}  // namespace understudy::sizing::detail

// Reading and writing fleet files (understudy-size(1), FLEET FILE): JSON and CSV, every field
// validated, each error naming the file and the JSON path or CSV line and column.
//
// Decisions where the contract is silent:
// - JSON numbers that must be whole (vCPUs, MiB, priority, tolerate_k) accept an integral
//   value written as a float (4.0, 4e3), since many tools write every number as a float;
//   2.5 is an error. The same holds for CSV cells.
// - In JSON a cluster's `priority` may be omitted (500, the middle of 0–1000), as may an
//   appliance's reserves (0) and the fleet's settings (the defaults of understudy-size(1),
//   FLEET FILE). `clusters` is required (it may be empty): a fleet without it is almost always a
//   misspelt key.
// - A key given twice in one JSON object is an error, not "last one wins".
// - CSV: columns in any order, cells trimmed of surrounding blanks, blank lines skipped,
//   a UTF-8 byte order mark (as spreadsheets write) ignored; `group` and `memory_mode`
//   may be empty (no group; balloon). CSV structure errors have the code "malformed_csv".
// - Names are unique within each list (clusters, groups, appliances), not across lists.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/json_document.h"
#include "base/result.h"
#include "sizing/fleet.h"

namespace understudy::sizing {

// Names become libvirt domain names (`<cluster>-passive`), hence the length and alphabet.
inline constexpr std::size_t kMaxNameLength = 63;
inline constexpr std::int64_t kMaxVcpus = std::int64_t{1} << 20;
inline constexpr std::int64_t kMaxMemoryMib = std::int64_t{1} << 40;
inline constexpr std::int64_t kMaxPriority = 1000;
inline constexpr double kMaxCpuOvercommit = 64.0;
inline constexpr std::int64_t kMaxTolerateK = 1000000;

// Keys an embedding format allows beyond the fleet file's own (the service's cluster
// objects add failure_model, appliance, node, domain); they are accepted and left unread.
using JsonKeys = std::set<std::string, std::less<>>;

// The whole fleet file in JSON; `source` names the input in errors ("fleet.json").
Result<Fleet> parseFleetJson(std::string_view text, const std::string& source);

// The CSV fleet: header, then one cluster per line. Groups come separately (parseGroupsCsv),
// so a cluster naming a group is an error here; loadFleetFile joins the two.
Result<Fleet> parseFleetCsv(std::string_view text, const std::string& source);

// `--groups FILE.csv`: columns name, mtbf_hours, mttr_hours, in any order.
Result<std::vector<GroupSpec>> parseGroupsCsv(std::string_view text, const std::string& source);

// Reads a fleet by its extension (.json or .csv, any case). With groups_csv_path, that file's
// groups replace the fleet's own (options override the file). Unreadable files: code "io".
Result<Fleet> loadFleetFile(const std::string& path,
                            const std::optional<std::string>& groups_csv_path = std::nullopt);

// Every rule the readers apply, for fleets built in code (a what-if, options applied on top
// of a file). Locations are JSON paths: "<source>: clusters[3].standby.memory_mib".
Status validateFleet(const Fleet& fleet, const std::string& source);

// Why a cluster, group or appliance name is unacceptable, or nothing when it is fine.
std::optional<std::string> nameProblem(std::string_view name);

// The JSON fleet format; parseFleetJson gives back an equal Fleet for every valid fleet.
std::string fleetToJson(const Fleet& fleet);

// One cluster, group or appliance object, for the service's API. `path` is the object's JSON
// path ("" for a request body that is the object itself, "clusters[3]" in a list); errors are
// "invalid_field" with where = the offending field's path ("clusters[3].standby.memory_mib").
// Cross-object rules (unique names, a named group exists) are the caller's.
Result<ClusterSpec> clusterFromJson(const nlohmann::json& value, const std::string& path,
                                    const JsonKeys& extra_keys = {});
Result<GroupSpec> groupFromJson(const nlohmann::json& value, const std::string& path,
                                const JsonKeys& extra_keys = {});
Result<ApplianceSpec> applianceFromJson(const nlohmann::json& value, const std::string& path,
                                        const JsonKeys& extra_keys = {});

// The objects fleetToJson writes, for the service to extend with its own fields.
nlohmann::ordered_json clusterToJson(const ClusterSpec& cluster);
nlohmann::ordered_json groupToJson(const GroupSpec& group);
nlohmann::ordered_json applianceToJson(const ApplianceSpec& appliance);

}  // namespace understudy::sizing

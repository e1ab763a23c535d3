// The readers loadFleetFile joins (fleet_json.cpp, fleet_csv.cpp). Each reads one file
// without the rules that span items (fleet_rules.h, checkReferences): whether a named group
// exists depends on where the groups come from, which only the caller knows. CSV readers also
// give each item's line, so those rules can name it. Internal to sizing/.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "sizing/fleet.h"

namespace understudy::sizing::detail {

Result<Fleet> readFleetJson(std::string_view text, const std::string& source);

struct LocatedClusters {
    Fleet fleet;
    std::vector<std::size_t> lines;
};

struct LocatedGroups {
    std::vector<GroupSpec> groups;
    std::vector<std::size_t> lines;
};

Result<LocatedClusters> readFleetCsv(std::string_view text, const std::string& source);

// The groups' names are checked to be unique: that rule spans this file alone.
Result<LocatedGroups> readGroupsCsv(std::string_view text, const std::string& source);

}  // namespace understudy::sizing::detail

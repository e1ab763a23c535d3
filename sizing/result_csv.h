// The spreadsheet export of a sizing result (understudy-size(1), OUTPUT): the per-cluster table, a
// blank line, then every appliance's demand distribution per resource.
#pragma once

#include <string>
#include <string_view>

#include "sizing/sizing_result.h"

namespace understudy::sizing {

// Header of the per-cluster table, the first line of the export.
inline constexpr std::string_view kCsvClusterHeader =
    "appliance,cluster,group,priority,failover_probability,risk_when_active_memory_mib,"
    "risk_when_active_vcpus";
// Header of the distribution table, after the blank line.
inline constexpr std::string_view kCsvDistributionHeader =
    "appliance,resource,demand,probability,tail_probability";

// Lines end with "\n". Probabilities are written in the shortest form that reads back to the
// same double, so a spreadsheet or a script sees exactly what the engine computed.
std::string resultToCsv(const SizingResult& result);

// One field quoted as RFC 4180 requires: in double quotes, inner quotes doubled, when it holds
// a comma, a double quote, a carriage return or a line feed; as is otherwise.
std::string csvField(std::string_view text);

// The shortest decimal form of value that parses back to the same double ("1e-12", "0.25").
std::string roundTripNumber(double value);

}  // namespace understudy::sizing

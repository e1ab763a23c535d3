// How the reports spell numbers and names for people: one place, so HTML and PDF agree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sizing/fleet.h"

namespace understudy::sizing::report {

// Escapes &, <, >, " and ' so any text is safe in HTML and SVG content and attributes.
std::string htmlEscape(std::string_view text);

// 1234567 → "1,234,567".
std::string withThousands(long long value);

// "0", "0.027" at or above 1 %, "3.2e-5" below: two significant digits, the exact value behind
// the report's "1 in N" (sizing/risk_words.h).
std::string formatProbability(double probability);

// An amount of one resource: "412 GiB", "412.5 GiB", "512 MiB", "148 vCPUs", "1 vCPU".
std::string formatAmount(Resource resource, std::int64_t amount);

// A share in percent with no decimals above 10 %, one below: "62%", "4.5%".
std::string formatPercent(double fraction);

// "memory" or "vCPUs", as a sentence names a resource.
const char* resourceLabel(Resource resource);

}  // namespace understudy::sizing::report

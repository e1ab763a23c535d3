// A probability as people read it, the one notation of the console, the reports and
// understudyctl: "1 in 350", "1 in 10,000", "1 in 2.7 billion".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace understudy::sizing {

// 0 → "0"; 1 → "certain"; otherwise "1 in N" with N = 1 / probability to three significant digits,
// grouped by thousands, and in millions, billions or trillions from a million on.
std::string riskInWords(double probability);

// Reads "certain", "1 in 10,000" (or "1 in 10000", "1 in 2.7 billion") or a plain number ("1e-4",
// "0.0001"); nothing when the text is neither.
std::optional<double> riskFromWords(std::string_view text);

}  // namespace understudy::sizing

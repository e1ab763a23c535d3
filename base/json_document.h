// Reading JSON from outside (fleet files, request bodies, the CLI's input files) into a
// document, with the limits every reader shares: nesting at most kMaxJsonDepth deep, so no
// input can exhaust a stack, and no key given twice in one object.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"

namespace understudy {

// Nesting deeper than this is refused (docs/http-api.md, "Limits").
inline constexpr int kMaxJsonDepth = 64;

// Parses JSON text into a document without recursion, refusing nesting deeper than
// max_depth and keys repeated within one object. Errors: "malformed_json" with where
// "<source>:<line>:<column>" (columns count characters, from 1), or "invalid_field" with
// where "<source>: <json path>" for a repeated key.
Result<nlohmann::json> parseJsonDocument(std::string_view text, const std::string& source,
                                         int max_depth = kMaxJsonDepth);

// "standby" + "memory_mib" -> "standby.memory_mib"; either side may be empty.
std::string joinJsonPath(std::string_view path, std::string_view field);

}  // namespace understudy

// The JSON answer of `understudy-size` and of the service's GET /sizing (understudy-size(1),
// OUTPUT): the documented names, plus a few more fields (more are welcome).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sizing/sizing_result.h"

namespace understudy::sizing {

nlohmann::ordered_json resultToJson(const SizingResult& result);
// Indented, with a final newline, as the command prints it.
std::string resultToJsonText(const SizingResult& result);

}  // namespace understudy::sizing

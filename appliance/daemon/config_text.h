// The text of understudyd.conf and its command line, read strictly (service_config.h): blanks,
// comments, comma lists, numbers and booleans, values quoted for messages, and the errors
// that name file and line. Shared by the configuration's readers; not for other use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace understudy::daemon {

inline constexpr char kConfigCode[] = "invalid_config";

// Without surrounding blanks (space, tab, CR, LF).
std::string_view trim(std::string_view text);
// Without its comment, which starts with ';' or '#' at the start of `text` or after a blank.
std::string_view withoutComment(std::string_view text);
// `'value'` for messages: control characters escaped, long values cut.
std::string quotedValue(std::string_view value);
// ASCII letters lowered, other bytes as they are.
std::string lower(std::string_view text);
// The items between commas, each trimmed; empty items stay, for the caller to refuse.
std::vector<std::string_view> splitList(std::string_view text);

// Plain decimal, the whole text.
std::optional<std::int64_t> toInteger(std::string_view text);
// A finite number, the whole text.
std::optional<double> toReal(std::string_view text);
// true/false, yes/no, on/off, 1/0 in any case.
std::optional<bool> toBool(std::string_view text);

// `path` made absolute against the current directory.
std::string absolutePath(const std::string& path);

// An "invalid_config" error at `source`:`line` (just `source` when `line` is 0).
Error configError(const std::string& source, int line, std::string message);

}  // namespace understudy::daemon

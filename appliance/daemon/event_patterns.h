// The event-kind patterns of hooks (`events =` in a `[hook.NAME]` section): `*` (every kind), an
// exact kind (`release`), or a prefix wildcard (`takeover.*`, `fence.*`) whose prefix, dot
// included, begins at least one known kind (db::eventKinds); anything else is a config error.
// The configuration reader validates with these rules and the hook runner matches with them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace understudy::daemon {

// Whether `pattern` has the form `PREFIX.*` with a non-empty prefix, known or not.
bool isPrefixPattern(std::string_view pattern);
// Whether `pattern` is `*`, a known kind, or `PREFIX.*` with a known kind starting `PREFIX.`.
bool isValidEventPattern(std::string_view pattern);
bool eventPatternMatches(std::string_view pattern, std::string_view kind);
bool anyEventPatternMatches(const std::vector<std::string>& patterns, std::string_view kind);
// Splits a comma-separated `events =` value ("takeover.*, fence.*") and validates each pattern.
Result<std::vector<std::string>> parseEventPatterns(std::string_view list, std::string_view where);

}  // namespace understudy::daemon

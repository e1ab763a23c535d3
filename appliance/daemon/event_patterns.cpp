#include "appliance/daemon/event_patterns.h"

#include <algorithm>
#include <cctype>

#include "base/error_codes.h"
#include "db/records.h"

namespace understudy::daemon {
namespace {

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
        text.remove_suffix(1);
    }
    return text;
}

// Every valid pattern but the prefixes' kinds spelled out: "*, takeover.requested, takeover.*,
// ...", for a message that says what may be written.
std::string knownPatterns() {
    std::string list = "*";
    std::string last_prefix;
    for (const auto kind : db::eventKinds()) {
        list += ", ";
        list += kind;
        const auto dot = kind.find('.');
        if (dot != std::string_view::npos && kind.substr(0, dot) != last_prefix) {
            last_prefix = std::string(kind.substr(0, dot));
            list += ", " + last_prefix + ".*";
        }
    }
    return list;
}

// `PREFIX.` of a prefix pattern: the dot stays, so `fence.*` does not match `fencer.x`.
std::string_view prefixOf(std::string_view pattern) {
    return pattern.substr(0, pattern.size() - 1);
}

}  // namespace

bool isPrefixPattern(std::string_view pattern) {
    return pattern.size() > 2 && pattern.ends_with(".*");
}

bool isValidEventPattern(std::string_view pattern) {
    if (pattern == "*" || db::isEventKind(pattern)) {
        return true;
    }
    if (!isPrefixPattern(pattern)) {
        return false;
    }
    const std::string_view prefix = prefixOf(pattern);
    return std::any_of(db::eventKinds().begin(), db::eventKinds().end(),
                       [prefix](std::string_view kind) { return kind.starts_with(prefix); });
}

bool eventPatternMatches(std::string_view pattern, std::string_view kind) {
    if (pattern == "*") {
        return true;
    }
    if (isPrefixPattern(pattern)) {
        return kind.starts_with(prefixOf(pattern));
    }
    return pattern == kind;
}

bool anyEventPatternMatches(const std::vector<std::string>& patterns, std::string_view kind) {
    return std::any_of(patterns.begin(), patterns.end(), [kind](const std::string& pattern) {
        return eventPatternMatches(pattern, kind);
    });
}

Result<std::vector<std::string>> parseEventPatterns(std::string_view list, std::string_view where) {
    std::vector<std::string> patterns;
    while (true) {
        const auto comma = list.find(',');
        const std::string_view item = trimmed(list.substr(0, comma));
        if (item.empty()) {
            return Error{errc::kInvalidField,
                         "An empty event pattern; list event kinds separated by commas, e.g. "
                         "\"takeover.*, fence.*\".",
                         std::string(where)};
        }
        if (!isValidEventPattern(item)) {
            return Error{errc::kInvalidField,
                         "\"" + std::string(item) +
                             "\" matches no event kind; use one of: " + knownPatterns() + ".",
                         std::string(where)};
        }
        patterns.emplace_back(item);
        if (comma == std::string_view::npos) {
            break;
        }
        list.remove_prefix(comma + 1);
    }
    return patterns;
}

}  // namespace understudy::daemon

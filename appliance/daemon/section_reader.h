// Reads the keys of one section of understudyd.conf into values by the config's rules
// (service_config.h), so that each section's reader says only which keys it has and what they
// may hold. The first problem sticks and later reads do nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "appliance/daemon/config_sections.h"
#include "base/result.h"

namespace understudy::daemon {

class SectionReader {
public:
    // A key outside `known_keys` is the first problem.
    SectionReader(const RawSection& section, const std::string& source,
                  std::initializer_list<std::string_view> known_keys);

    const std::optional<Error>& error() const { return error_; }
    const RawSection& section() const { return section_; }

    const Entry* find(std::string_view key) const;
    void fail(const Entry& entry, const std::string& problem);

    // The value of a key that must not be empty when written; nullptr when absent or failed.
    const Entry* value(std::string_view key);
    void required(std::string_view key, const std::string& example);

    // Each reads `key` into `out` when it is written and valid; `out` keeps its default else.
    void path(std::string_view key, std::string& out, bool may_be_empty = false);
    void integer(std::string_view key, std::int64_t min, std::int64_t max, std::int64_t& out);
    void real(std::string_view key, double min, bool min_inclusive, double max,
              const std::string& expected, double& out);
    void boolean(std::string_view key, bool& out);
    // A command (`command` unless named), checked with commandProblem; `may_be_empty`: written
    // empty, it is left as its default (none).
    void command(std::string& out, std::string_view key = "command", bool may_be_empty = false);

private:
    const RawSection& section_;
    const std::string& source_;
    std::optional<Error> error_;
    std::set<std::string, std::less<>> required_keys_;
};

}  // namespace understudy::daemon

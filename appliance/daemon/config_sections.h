// The first pass over understudyd.conf: its lines grouped into sections of `key = value`
// entries, each with its line number, and the errors of form (service_config.h) found on the
// way. What the keys mean is the section readers' business (service_config.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace understudy::daemon {

struct Entry {
    std::string key;
    std::string value;
    int line = 0;
};

struct RawSection {
    std::string kind;  // service, policy, appliance, probe, hook
    std::string name;  // after the dot, for the last three
    int line = 0;
    std::vector<Entry> entries;

    std::string title() const { return "[" + kind + (name.empty() ? "" : "." + name) + "]"; }
};

// The sections in file order; `source` names the file in errors.
Result<std::vector<RawSection>> readSections(std::string_view text, const std::string& source);

}  // namespace understudy::daemon

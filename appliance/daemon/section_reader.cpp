#include "appliance/daemon/section_reader.h"

#include <algorithm>

#include "appliance/daemon/config_text.h"
#include "appliance/daemon/service_config.h"

namespace understudy::daemon {

SectionReader::SectionReader(const RawSection& section, const std::string& source,
                             std::initializer_list<std::string_view> known_keys)
    : section_(section), source_(source) {
    for (const Entry& entry : section.entries) {
        if (std::find(known_keys.begin(), known_keys.end(), entry.key) == known_keys.end()) {
            std::string list;
            for (const std::string_view key : known_keys) {
                list += (list.empty() ? "" : ", ") + std::string(key);
            }
            error_ = configError(source_, entry.line,
                                 section_.title() + " " + entry.key + ": unknown key; " +
                                     section_.title() + " knows " + list);
            return;
        }
    }
}

const Entry* SectionReader::find(std::string_view key) const {
    for (const Entry& entry : section_.entries) {
        if (entry.key == key) {
            return &entry;
        }
    }
    return nullptr;
}

void SectionReader::fail(const Entry& entry, const std::string& problem) {
    if (!error_) {
        error_ =
            configError(source_, entry.line, section_.title() + " " + entry.key + ": " + problem);
    }
}

const Entry* SectionReader::value(std::string_view key) {
    const Entry* entry = error_ ? nullptr : find(key);
    if (entry != nullptr && entry->value.empty()) {
        fail(*entry, required_keys_.count(key) != 0
                         ? "is empty; give a value"
                         : "is empty; give a value or leave the key out for its default");
        return nullptr;
    }
    return entry;
}

void SectionReader::required(std::string_view key, const std::string& example) {
    required_keys_.emplace(key);
    if (!error_ && find(key) == nullptr) {
        error_ = configError(source_, section_.line,
                             section_.title() + ": missing key " + std::string(key) +
                                 "; add e.g. '" + std::string(key) + " = " + example + "'");
    }
}

void SectionReader::path(std::string_view key, std::string& out, bool may_be_empty) {
    const Entry* entry = may_be_empty ? (error_ ? nullptr : find(key)) : value(key);
    if (entry == nullptr) {
        return;
    }
    if (!entry->value.empty() && entry->value.front() != '/') {
        fail(*entry, quotedValue(entry->value) +
                         " is a relative path; give an absolute one, since the service "
                         "runs from /");
        return;
    }
    out = entry->value;
}

void SectionReader::integer(std::string_view key, std::int64_t min, std::int64_t max,
                            std::int64_t& out) {
    if (const Entry* entry = value(key)) {
        const std::optional<std::int64_t> number = toInteger(entry->value);
        if (!number || *number < min || *number > max) {
            fail(*entry, "must be a whole number from " + std::to_string(min) + " to " +
                             std::to_string(max) + ", got " + quotedValue(entry->value));
            return;
        }
        out = *number;
    }
}

void SectionReader::real(std::string_view key, double min, bool min_inclusive, double max,
                         const std::string& expected, double& out) {
    if (const Entry* entry = value(key)) {
        const std::optional<double> number = toReal(entry->value);
        if (!number || *number > max || *number < min || (!min_inclusive && *number == min)) {
            fail(*entry, "must be " + expected + ", got " + quotedValue(entry->value));
            return;
        }
        out = *number;
    }
}

void SectionReader::boolean(std::string_view key, bool& out) {
    if (const Entry* entry = value(key)) {
        const std::optional<bool> flag = toBool(entry->value);
        if (!flag) {
            fail(*entry, "must be true or false (or yes/no, on/off, 1/0), got " +
                             quotedValue(entry->value));
            return;
        }
        out = *flag;
    }
}

void SectionReader::command(std::string& out, std::string_view key, bool may_be_empty) {
    const Entry* entry = may_be_empty ? (error_ ? nullptr : find(key)) : value(key);
    if (entry != nullptr && !entry->value.empty()) {
        if (auto problem = commandProblem(entry->value)) {
            fail(*entry, *problem);
            return;
        }
        out = entry->value;
    }
}

}  // namespace understudy::daemon

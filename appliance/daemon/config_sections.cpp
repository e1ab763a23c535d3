#include "appliance/daemon/config_sections.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>

#include "appliance/daemon/config_text.h"
#include "sizing/fleet_file.h"

namespace understudy::daemon {
namespace {

constexpr char kSectionsList[] =
    "the sections are [service], [policy], [appliance.NAME], [probe.CLUSTER] and [hook.NAME]";

// The section a `[...]` line opens: a known kind, with a valid name where it needs one.
Result<RawSection> parseHeader(std::string_view line, int number, const std::string& source) {
    const std::size_t close = line.find(']');
    if (close == line.npos || !trim(withoutComment(line.substr(close + 1))).empty()) {
        return configError(source, number,
                           "malformed section header " + quotedValue(line) +
                               "; write [service], [appliance.NAME] and so on, alone on "
                               "the line (a comment may follow after a blank)");
    }
    const std::string_view title = trim(line.substr(1, close - 1));
    RawSection section;
    section.line = number;
    const std::size_t dot = title.find('.');
    section.kind = std::string(title.substr(0, dot));
    if (dot != title.npos) {
        section.name = std::string(title.substr(dot + 1));
    }
    const bool named =
        section.kind == "appliance" || section.kind == "probe" || section.kind == "hook";
    const bool single = section.kind == "service" || section.kind == "policy";
    if ((!named && !single) || (single && dot != title.npos)) {
        return configError(source, number,
                           "unknown section [" + std::string(title) + "]; " + kSectionsList);
    }
    if (named) {
        const std::string what = section.kind == "probe" ? "CLUSTER" : "NAME";
        if (dot == title.npos) {
            return configError(source, number,
                               "section [" + section.kind + "] needs a name: write [" +
                                   section.kind + "." + what + "]");
        }
        if (auto problem = sizing::nameProblem(section.name)) {
            return configError(source, number,
                               "[" + std::string(title) + "]: the " + lower(what) + " " + *problem);
        }
    }
    return section;
}

// The `key = value` of a line that is not a header, its comment removed.
Result<Entry> parseEntry(std::string_view line, int number, const std::string& source) {
    const std::size_t equals = line.find('=');
    if (equals == line.npos) {
        return configError(
            source, number,
            "expected 'key = value', a [section] or a comment, got " + quotedValue(line));
    }
    Entry entry;
    entry.key = std::string(trim(line.substr(0, equals)));
    entry.value = std::string(trim(withoutComment(line.substr(equals + 1))));
    entry.line = number;
    if (entry.key.empty()) {
        return configError(source, number, "a value without a key: " + quotedValue(line));
    }
    return entry;
}

// The sections read so far; refuses a section or a key given twice.
class SectionList {
public:
    explicit SectionList(const std::string& source) : source_(source) {}

    std::optional<Error> open(std::string_view line, int number) {
        Result<RawSection> section = parseHeader(line, number, source_);
        if (!section) {
            return section.error();
        }
        if (!titles_.insert(section->title()).second) {
            const auto first = std::find_if(
                sections_.begin(), sections_.end(),
                [&](const RawSection& other) { return other.title() == section->title(); });
            return configError(source_, number,
                               "section " + section->title() +
                                   " is given twice (first on "
                                   "line " +
                                   std::to_string(first->line) + "); merge the two into one");
        }
        sections_.push_back(std::move(section).value());
        return std::nullopt;
    }

    std::optional<Error> add(std::string_view line, int number) {
        Result<Entry> entry = parseEntry(line, number, source_);
        if (!entry) {
            return entry.error();
        }
        if (sections_.empty()) {
            return configError(source_, number,
                               "key " + quotedValue(entry->key) +
                                   " comes before any section; put it under the section it "
                                   "belongs to (" +
                                   kSectionsList + ")");
        }
        RawSection& section = sections_.back();
        for (const Entry& other : section.entries) {
            if (other.key == entry->key) {
                return configError(source_, number,
                                   section.title() + " " + entry->key +
                                       ": given twice (first on "
                                       "line " +
                                       std::to_string(other.line) + "); keep one");
            }
        }
        section.entries.push_back(std::move(entry).value());
        return std::nullopt;
    }

    std::vector<RawSection> take() { return std::move(sections_); }

private:
    const std::string& source_;
    std::vector<RawSection> sections_;
    std::set<std::string, std::less<>> titles_;
};

}  // namespace

Result<std::vector<RawSection>> readSections(std::string_view text, const std::string& source) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
        text.remove_prefix(3);
    }
    SectionList sections(source);
    int number = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t newline = text.find('\n', start);
        const std::string_view line =
            trim(text.substr(start, newline == text.npos ? text.npos : newline - start));
        start = newline == text.npos ? text.size() + 1 : newline + 1;
        ++number;
        if (line.empty() || line.front() == ';' || line.front() == '#') {
            continue;
        }
        std::optional<Error> error =
            line.front() == '[' ? sections.open(line, number) : sections.add(line, number);
        if (error) {
            return *error;
        }
    }
    return sections.take();
}

}  // namespace understudy::daemon

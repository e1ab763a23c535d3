#include "appliance/daemon/service_config.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <system_error>

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QUrl>

#include "base/error_codes.h"
#include "base/text.h"
#include "db/records.h"
#include "sizing/fleet_file.h"

namespace understudy::daemon {
namespace {

constexpr char kConfigCode[] = "invalid_config";
constexpr char kOptionCode[] = "invalid_option";
constexpr char kSectionsList[] =
    "the sections are [service], [policy], [appliance.NAME], [probe.CLUSTER] and [hook.NAME]";
constexpr std::int64_t kMaxIntervalSeconds = kMaxProbeIntervalSeconds;
constexpr std::int64_t kMaxTimeoutSeconds = kMaxCommandTimeoutSeconds;
constexpr std::size_t kMaxQuotedLength = 80;

std::string_view trim(std::string_view text) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!text.empty() && blank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && blank(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// A comment starts with ';' or '#' at the start of `text` or after a blank.
std::string_view withoutComment(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if ((text[i] == ';' || text[i] == '#') &&
            (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t')) {
            return text.substr(0, i);
        }
    }
    return text;
}

// `'value'` for messages: control characters escaped, long values cut.
std::string quotedValue(std::string_view value) {
    return "'" + printable(value, kMaxQuotedLength, NonAscii::keep) + "'";
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

std::vector<std::string_view> splitList(std::string_view text) {
    std::vector<std::string_view> items;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        items.push_back(
            trim(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start)));
        if (comma == std::string_view::npos) {
            return items;
        }
        start = comma + 1;
    }
}

std::optional<std::int64_t> toInteger(std::string_view text) {
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || stop != end) {
        return std::nullopt;
    }
    return value;
}

std::optional<double> toReal(std::string_view text) {
    double value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || stop != end || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

std::optional<bool> toBool(std::string_view text) {
    const std::string word = lower(text);
    if (word == "true" || word == "yes" || word == "on" || word == "1") {
        return true;
    }
    if (word == "false" || word == "no" || word == "off" || word == "0") {
        return false;
    }
    return std::nullopt;
}

std::optional<policy::ContentionStep> toContentionStep(std::string_view text) {
    static constexpr std::array<std::pair<std::string_view, policy::ContentionStep>, 4> kSteps{{
        {"headroom", policy::ContentionStep::headroom},
        {"preempt", policy::ContentionStep::preempt},
        {"partial_cpu", policy::ContentionStep::partial_cpu},
        {"deny", policy::ContentionStep::deny},
    }};
    for (const auto& [name, step] : kSteps) {
        if (name == text) {
            return step;
        }
    }
    return std::nullopt;
}

// Why `pattern` is not an event kind, `PREFIX.*` matching one, or `*`.
std::optional<std::string> eventPatternProblem(std::string_view pattern) {
    if (pattern == "*" || db::isEventKind(pattern)) {
        return std::nullopt;
    }
    if (pattern.size() > 2 && pattern.substr(pattern.size() - 2) == ".*") {
        const std::string_view prefix = pattern.substr(0, pattern.size() - 1);  // keeps the dot
        for (const std::string_view kind : db::eventKinds()) {
            if (kind.substr(0, prefix.size()) == prefix) {
                return std::nullopt;
            }
        }
        return quotedValue(pattern) +
               " matches no event kind; the prefixes with a dot are "
               "takeover.*, fence.*, admission.*, cluster.*, node.*, probe.*, "
               "hook.*, hypervisor.* and service.*";
    }
    return quotedValue(pattern) +
           " is not an event kind; give kinds of API.md such as takeover.granted or release, "
           "prefix patterns such as takeover.*, or * for every event";
}

std::optional<std::string> libvirtUriProblem(std::string_view uri) {
    const std::size_t separator = uri.find("://");
    const bool scheme_ok =
        separator != std::string_view::npos && separator > 0 &&
        std::all_of(uri.begin(), uri.begin() + static_cast<std::ptrdiff_t>(separator), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-';
        });
    if (!scheme_ok || uri.find_first_of(" \t") != std::string_view::npos) {
        return "must be a libvirt URI such as qemu:///system or qemu+ssh://host/system, got " +
               quotedValue(uri);
    }
    return std::nullopt;
}

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

Error configError(const std::string& source, int line, std::string message) {
    return Error{kConfigCode, std::move(message),
                 line > 0 ? source + ":" + std::to_string(line) : source};
}

// The lines of the file, grouped by section, with the errors of form found on the way.
Result<std::vector<RawSection>> readSections(std::string_view text, const std::string& source) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") {
        text.remove_prefix(3);
    }
    std::vector<RawSection> sections;
    std::set<std::string, std::less<>> titles;
    int number = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t newline = text.find('\n', start);
        const std::string_view raw =
            text.substr(start, newline == text.npos ? text.npos : newline - start);
        start = newline == text.npos ? text.size() + 1 : newline + 1;
        ++number;
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == ';' || line.front() == '#') {
            continue;
        }
        if (line.front() == '[') {
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
                return configError(
                    source, number,
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
                    return configError(
                        source, number,
                        "[" + std::string(title) + "]: the " + lower(what) + " " + *problem);
                }
            }
            if (!titles.insert(section.title()).second) {
                const auto first = std::find_if(
                    sections.begin(), sections.end(),
                    [&](const RawSection& other) { return other.title() == section.title(); });
                return configError(source, number,
                                   "section " + section.title() +
                                       " is given twice (first on "
                                       "line " +
                                       std::to_string(first->line) + "); merge the two into one");
            }
            sections.push_back(std::move(section));
            continue;
        }
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
        if (sections.empty()) {
            return configError(source, number,
                               "key " + quotedValue(entry.key) +
                                   " comes before any section; put it under the section it "
                                   "belongs to (" +
                                   kSectionsList + ")");
        }
        RawSection& section = sections.back();
        for (const Entry& other : section.entries) {
            if (other.key == entry.key) {
                return configError(source, number,
                                   section.title() + " " + entry.key +
                                       ": given twice (first on "
                                       "line " +
                                       std::to_string(other.line) + "); keep one");
            }
        }
        section.entries.push_back(std::move(entry));
    }
    return sections;
}

// Reads one section's keys into values; the first problem sticks and later reads do nothing.
class SectionReader {
public:
    SectionReader(const RawSection& section, const std::string& source,
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

    const std::optional<Error>& error() const { return error_; }
    const RawSection& section() const { return section_; }

    const Entry* find(std::string_view key) const {
        for (const Entry& entry : section_.entries) {
            if (entry.key == key) {
                return &entry;
            }
        }
        return nullptr;
    }

    void fail(const Entry& entry, const std::string& problem) {
        if (!error_) {
            error_ = configError(source_, entry.line,
                                 section_.title() + " " + entry.key + ": " + problem);
        }
    }

    // The value of a key that must not be empty when written; nullptr when absent or failed.
    const Entry* value(std::string_view key) {
        const Entry* entry = error_ ? nullptr : find(key);
        if (entry != nullptr && entry->value.empty()) {
            fail(*entry, required_keys_.count(key) != 0
                             ? "is empty; give a value"
                             : "is empty; give a value or leave the key out for its default");
            return nullptr;
        }
        return entry;
    }

    void required(std::string_view key, const std::string& example) {
        required_keys_.emplace(key);
        if (!error_ && find(key) == nullptr) {
            error_ = configError(source_, section_.line,
                                 section_.title() + ": missing key " + std::string(key) +
                                     "; add e.g. '" + std::string(key) + " = " + example + "'");
        }
    }

    void text(std::string_view key, std::string& out) {
        if (const Entry* entry = value(key)) {
            out = entry->value;
        }
    }

    void path(std::string_view key, std::string& out, bool may_be_empty = false) {
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

    void integer(std::string_view key, std::int64_t min, std::int64_t max, std::int64_t& out) {
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

    void real(std::string_view key, double min, bool min_inclusive, double max,
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

    void boolean(std::string_view key, bool& out) {
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

    void command(std::string& out) {
        if (const Entry* entry = value("command")) {
            if (auto problem = commandProblem(entry->value)) {
                fail(*entry, *problem);
                return;
            }
            out = entry->value;
        }
    }

private:
    const RawSection& section_;
    const std::string& source_;
    std::optional<Error> error_;
    std::set<std::string, std::less<>> required_keys_;
};

std::optional<Error> readService(SectionReader& reader, ServiceSection& service) {
    if (const Entry* entry = reader.value("listen")) {
        Result<ListenAddress> listen = parseListenAddress(entry->value);
        if (!listen) {
            reader.fail(*entry, listen.error().message);
        } else {
            service.listen = *listen;
        }
    }
    reader.path("database", service.database);
    reader.path("admin_token_file", service.admin_token_file);
    reader.path("tls_certificate", service.tls_certificate, true);
    reader.path("tls_key", service.tls_key, true);
    reader.integer("max_body_bytes", kMinMaxBodyBytes, kMaxMaxBodyBytes, service.max_body_bytes);
    if (!reader.error() && service.tls_certificate.empty() != service.tls_key.empty()) {
        const bool has_certificate = !service.tls_certificate.empty();
        const Entry* set = reader.find(has_certificate ? "tls_certificate" : "tls_key");
        reader.fail(*set, std::string("is set but ") +
                              (has_certificate ? "tls_key" : "tls_certificate") +
                              " is not; set both for HTTPS, or neither for plain HTTP");
    }
    return reader.error();
}

std::optional<Error> readPolicy(SectionReader& reader, PolicySection& policy) {
    reader.real("target_risk", 0.0, true, 1.0, "a probability from 0 to 1", policy.target_risk);
    if (const Entry* entry = reader.value("admission")) {
        if (entry->value == "enforce") {
            policy.admission = policy::AdmissionMode::enforce;
        } else if (entry->value == "warn") {
            policy.admission = policy::AdmissionMode::warn;
        } else {
            reader.fail(*entry, "must be enforce or warn, got " + quotedValue(entry->value));
        }
    }
    if (const Entry* entry = reader.value("contention")) {
        std::vector<policy::ContentionStep> steps;
        for (const std::string_view item : splitList(entry->value)) {
            const std::optional<policy::ContentionStep> step = toContentionStep(item);
            if (!step) {
                reader.fail(*entry, (item.empty() ? std::string("has an empty item")
                                                  : quotedValue(item) + " is not a step") +
                                        "; list headroom, preempt, partial_cpu and deny in the "
                                        "order to try them, e.g. headroom, preempt, "
                                        "partial_cpu, deny");
                return reader.error();
            }
            if (std::find(steps.begin(), steps.end(), *step) != steps.end()) {
                reader.fail(*entry, quotedValue(item) + " is listed twice; list each step once");
                return reader.error();
            }
            if (!steps.empty() && steps.back() == policy::ContentionStep::deny) {
                reader.fail(*entry,
                            "deny must be the last step: nothing is tried after a "
                            "denial");
                return reader.error();
            }
            steps.push_back(*step);
        }
        if (steps.back() != policy::ContentionStep::deny) {
            steps.push_back(policy::ContentionStep::deny);
        }
        policy.contention = std::move(steps);
    }
    reader.boolean("restore_preempted", policy.restore_preempted);
    return reader.error();
}

std::optional<Error> readAppliance(SectionReader& reader, ApplianceSection& appliance) {
    appliance.name = reader.section().name;
    reader.required("uri", "qemu:///system");
    if (const Entry* entry = reader.value("uri")) {
        if (auto problem = libvirtUriProblem(entry->value)) {
            reader.fail(*entry, *problem);
        }
        appliance.uri = entry->value;
    }
    reader.integer("reserve_memory_mib", 0, sizing::kMaxMemoryMib, appliance.reserve_memory_mib);
    reader.integer("reserve_vcpus", 0, sizing::kMaxVcpus, appliance.reserve_vcpus);
    reader.real("cpu_overcommit", 0.0, false, sizing::kMaxCpuOvercommit,
                "a ratio above 0 and at most 64", appliance.cpu_overcommit);
    reader.path("domain_template", appliance.domain_template);
    reader.boolean("recreate_missing", appliance.recreate_missing);
    return reader.error();
}

std::optional<Error> readProbe(SectionReader& reader, ProbeSection& probe) {
    probe.cluster = reader.section().name;
    reader.required("command", "/usr/sbin/fence_ipmilan --ip=BMC --action=status");
    reader.command(probe.command);
    reader.integer("interval_s", 2, kMaxIntervalSeconds, probe.interval_s);
    reader.integer("timeout_s", 1, kMaxTimeoutSeconds, probe.timeout_s);
    if (!reader.error() && probe.timeout_s >= probe.interval_s) {
        // One of the two is written: with both at their defaults the timeout is shorter.
        const Entry* at = reader.find("timeout_s");
        if (at == nullptr) {
            at = reader.find("interval_s");
        }
        if (at != nullptr) {
            reader.fail(*at, "the timeout (" + std::to_string(probe.timeout_s) +
                                 " s) must be shorter than the interval (" +
                                 std::to_string(probe.interval_s) +
                                 " s), so probes of one cluster never overlap");
        }
    }
    return reader.error();
}

std::optional<Error> readHook(SectionReader& reader, HookSection& hook) {
    hook.name = reader.section().name;
    reader.required("command", "/usr/local/bin/notify-admin");
    reader.required("events", "takeover.*, fence.*");
    reader.command(hook.command);
    if (const Entry* entry = reader.value("events")) {
        for (const std::string_view item : splitList(entry->value)) {
            if (item.empty()) {
                reader.fail(*entry, "has an empty item; separate event kinds with single commas");
                break;
            }
            if (auto problem = eventPatternProblem(item)) {
                reader.fail(*entry, *problem);
                break;
            }
            if (std::find(hook.events.begin(), hook.events.end(), item) != hook.events.end()) {
                reader.fail(*entry, quotedValue(item) + " is listed twice; list it once");
                break;
            }
            hook.events.emplace_back(item);
        }
    }
    reader.integer("timeout_s", 1, kMaxTimeoutSeconds, hook.timeout_s);
    return reader.error();
}

Error optionError(const std::string& option, const std::string& problem) {
    return Error{kOptionCode, option + ": " + problem + "; see understudyd --help", ""};
}

std::string absolutePath(const std::string& path) {
    return QFileInfo(QString::fromStdString(path)).absoluteFilePath().toStdString();
}

bool isTokenText(std::string_view token) {
    return std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

}  // namespace

std::optional<std::string> commandProblem(std::string_view command) {
    const QStringList arguments = QProcess::splitCommand(
        QString::fromUtf8(command.data(), static_cast<qsizetype>(command.size())));
    if (arguments.isEmpty() || arguments.front().isEmpty()) {
        return "must name a program to run, e.g. /usr/sbin/fence_ipmilan --action=status";
    }
    const QString& program = arguments.front();
    if (!QDir::isAbsolutePath(program)) {
        return "program " + quotedValue(program.toStdString()) +
               " is not an absolute path; give the program's full path (e.g. /usr/sbin/" +
               QFileInfo(program).fileName().toStdString() +
               "), since the service does not run with your shell's PATH";
    }
    return std::nullopt;
}

std::string ListenAddress::toString() const {
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<ListenAddress> parseListenAddress(std::string_view text) {
    const auto fail = [&](const std::string& problem) {
        return Error{kConfigCode,
                     "must be ADDR:PORT (an IPv4 address, [IPv6] or localhost, and a port from 1 "
                     "to 65535) but " +
                         problem + ", got " + quotedValue(text),
                     ""};
    };
    std::string_view host;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        const std::size_t close = text.find(']');
        if (close == text.npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return fail("an IPv6 address needs its brackets and a port after them");
        }
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        in6_addr address{};
        if (inet_pton(AF_INET6, std::string(host).c_str(), &address) != 1) {
            return fail("'" + std::string(host) + "' is not an IPv6 address");
        }
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == text.npos) {
            return fail("the port is missing");
        }
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != host.npos) {
            return fail("an IPv6 address must be in brackets");
        }
        in_addr address{};
        if (host != "localhost" && inet_pton(AF_INET, std::string(host).c_str(), &address) != 1) {
            return fail("'" + std::string(host) + "' is not an IPv4 address or localhost");
        }
    }
    const std::optional<std::int64_t> number = toInteger(port);
    if (!number || *number < 1 || *number > 65535) {
        return fail("the port '" + std::string(port) + "' is not from 1 to 65535");
    }
    return ListenAddress{std::string(host), static_cast<std::uint16_t>(*number)};
}

bool HookSection::matches(std::string_view event_kind) const {
    return std::any_of(events.begin(), events.end(), [&](const std::string& pattern) {
        if (pattern == "*") {
            return true;
        }
        if (pattern.size() > 2 && pattern.ends_with(".*")) {
            const std::string_view prefix(pattern.data(), pattern.size() - 1);
            return event_kind.substr(0, prefix.size()) == prefix;
        }
        return pattern == event_kind;
    });
}

Result<ServiceConfig> parseServiceConfig(std::string_view text, const std::string& source) {
    Result<std::vector<RawSection>> sections = readSections(text, source);
    if (!sections) {
        return sections.error();
    }
    ServiceConfig config;
    config.source = source;
    std::map<std::string, std::string, std::less<>> uris;  // uri -> appliance
    for (const RawSection& section : *sections) {
        std::optional<Error> error;
        if (section.kind == "service") {
            SectionReader reader(section, source,
                                 {"listen", "database", "admin_token_file", "tls_certificate",
                                  "tls_key", "max_body_bytes"});
            error = reader.error() ? reader.error() : readService(reader, config.service);
        } else if (section.kind == "policy") {
            SectionReader reader(section, source,
                                 {"target_risk", "admission", "contention", "restore_preempted"});
            error = reader.error() ? reader.error() : readPolicy(reader, config.policy);
        } else if (section.kind == "appliance") {
            SectionReader reader(section, source,
                                 {"uri", "reserve_memory_mib", "reserve_vcpus", "cpu_overcommit",
                                  "domain_template", "recreate_missing"});
            ApplianceSection appliance;
            error = reader.error() ? reader.error() : readAppliance(reader, appliance);
            if (!error) {
                const auto [known, inserted] = uris.emplace(appliance.uri, appliance.name);
                if (!inserted) {
                    error = configError(source, reader.find("uri")->line,
                                        section.title() + " uri: " + quotedValue(appliance.uri) +
                                            " is already appliance " + known->second +
                                            "'s; one host must be one appliance, or its "
                                            "capacity counts twice");
                }
            }
            config.appliances.push_back(std::move(appliance));
        } else if (section.kind == "probe") {
            SectionReader reader(section, source, {"command", "interval_s", "timeout_s"});
            ProbeSection probe;
            error = reader.error() ? reader.error() : readProbe(reader, probe);
            config.probes.push_back(std::move(probe));
        } else {
            SectionReader reader(section, source, {"command", "events", "timeout_s"});
            HookSection hook;
            error = reader.error() ? reader.error() : readHook(reader, hook);
            config.hooks.push_back(std::move(hook));
        }
        if (error) {
            return *error;
        }
    }
    return config;
}

ServiceConfig demoConfig(const std::string& demo_node_file) {
    ServiceConfig config;
    config.demo = true;
    config.temporary_database = true;
    config.service.database.clear();
    config.source = "embedded demo config";
    ApplianceSection appliance;
    appliance.name = kDemoApplianceName;
    // libvirt reads the URI's path percent-decoded; a path with blanks survives that way.
    const QByteArray path =
        QUrl::toPercentEncoding(QString::fromStdString(absolutePath(demo_node_file)), "/");
    appliance.uri = "test://" + path.toStdString();
    appliance.domain_template.clear();
    appliance.recreate_missing = true;
    config.appliances.push_back(std::move(appliance));
    return config;
}

Result<CommandLine> parseCommandLine(const QStringList& arguments) {
    CommandLine command_line;
    std::set<std::string> seen;
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const std::string argument = arguments.at(i).toStdString();
        std::string option = argument;
        std::optional<std::string> inline_value;
        if (argument.starts_with("--")) {
            const std::size_t equals = argument.find('=');
            if (equals != std::string::npos) {
                option = argument.substr(0, equals);
                inline_value = argument.substr(equals + 1);
            }
        }
        if (option == "-h") {
            option = "--help";
        }
        const bool flag = option == "--help" || option == "--version" || option == "--demo";
        const bool valued = option == "--config" || option == "--listen" || option == "--database";
        if (!flag && !valued) {
            return optionError(option, argument.starts_with("-")
                                           ? std::string("unknown option")
                                           : "unexpected argument; understudyd takes options "
                                             "only");
        }
        if (!seen.insert(option).second) {
            return optionError(option, "given twice; give it once");
        }
        if (flag) {
            if (inline_value) {
                return optionError(option, "takes no value");
            }
            if (option == "--help") {
                command_line.help = true;
            } else if (option == "--version") {
                command_line.version = true;
            } else {
                command_line.demo = true;
            }
            continue;
        }
        std::string value;
        if (inline_value) {
            value = *inline_value;
        } else if (i + 1 < arguments.size()) {
            value = arguments.at(++i).toStdString();
        } else {
            return optionError(option, "needs a value");
        }
        if (value.empty()) {
            return optionError(option, "needs a value, got an empty one");
        }
        if (option == "--listen") {
            Result<ListenAddress> listen = parseListenAddress(value);
            if (!listen) {
                return optionError(option, listen.error().message);
            }
            command_line.listen = *listen;
        } else if (option == "--database") {
            command_line.database = absolutePath(value);
        } else {
            command_line.config = value;
        }
    }
    return command_line;
}

std::string commandLineHelp() {
    return "Usage: understudyd [--config FILE] [--demo] [--listen ADDR:PORT] [--database PATH]\n"
           "\n"
           "The Understudy service: hosts the passive nodes of HA clusters on overbooked\n"
           "appliances and serves the API at http://ADDR:PORT/api/v1.\n"
           "\n"
           "Options:\n"
           "  --config FILE      the configuration (default /etc/understudy/understudyd.conf)\n"
           "  --demo             run on a test-driver demo appliance with a sample fleet; without\n"
           "                     --config, a temporary database and the admin token from\n"
           "                     UNDERSTUDY_ADMIN_TOKEN, or a generated one printed at start\n"
           "  --listen ADDR:PORT listen here instead (IPv4, [IPv6] or localhost; default\n"
           "                     127.0.0.1:8470)\n"
           "  --database PATH    the SQLite database instead of the configured one\n"
           "  -h, --help         show this help\n"
           "  --version          show the version\n";
}

Result<ServiceConfig> effectiveConfig(const CommandLine& command_line,
                                      const std::optional<ConfigFile>& file,
                                      const std::string& demo_node_file) {
    ServiceConfig config;
    if (file) {
        Result<ServiceConfig> parsed = parseServiceConfig(file->text, file->path);
        if (!parsed) {
            return parsed.error();
        }
        config = std::move(parsed).value();
        config.demo = command_line.demo;
        if (config.appliances.empty()) {
            if (!command_line.demo) {
                return Error{kConfigCode,
                             "no appliance is configured, so there is nowhere to run passive "
                             "nodes; add a section such as '[appliance.local]' with "
                             "'uri = qemu:///system', or start with --demo to try Understudy "
                             "on a simulated appliance",
                             file->path};
            }
            config.appliances = demoConfig(demo_node_file).appliances;
        }
    } else if (command_line.demo) {
        config = demoConfig(demo_node_file);
    } else {
        return Error{kConfigCode,
                     "no configuration to start from; give --config FILE, or --demo for the "
                     "embedded demo",
                     ""};
    }
    if (command_line.listen) {
        config.service.listen = *command_line.listen;
    }
    if (command_line.database) {
        config.service.database = *command_line.database;
        config.temporary_database = false;
    }
    return config;
}

Result<ServiceConfig> loadEffectiveConfig(const CommandLine& command_line,
                                          const std::string& demo_node_file,
                                          const std::string& default_path) {
    std::optional<ConfigFile> file;
    if (command_line.config || !command_line.demo) {
        const std::string path = command_line.config.value_or(default_path);
        QFile input(QString::fromStdString(path));
        if (!input.open(QIODevice::ReadOnly)) {
            return Error{errc::kIo,
                         "cannot read the configuration: " + input.errorString().toStdString() +
                             "; create it (the package ships one), give another with --config, "
                             "or try --demo",
                         path};
        }
        file = ConfigFile{path, input.readAll().toStdString()};
    }
    return effectiveConfig(command_line, file, demo_node_file);
}

Result<std::string> readAdminTokenFile(const std::string& path) {
    const auto invalid = [&](const std::string& problem) {
        return Error{kConfigCode,
                     "the admin token file " + problem +
                         "; write one random token on its first line, e.g. with 'openssl rand "
                         "-hex 32 > " +
                         path + "'",
                     path};
    };
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return Error{errc::kIo,
                     "cannot find the admin token file: " +
                         std::error_code(errno, std::generic_category()).message() +
                         "; reinstall the package to create it, or set admin_token_file in "
                         "[service]",
                     path};
    }
    if (!S_ISREG(info.st_mode)) {
        return invalid("is not a regular file");
    }
    if ((info.st_mode & (S_IROTH | S_IWOTH)) != 0) {
        return Error{kConfigCode,
                     "the admin token file may be read or written by any user of this host, and "
                     "it grants everything; run 'chmod o-rwx " +
                         path + "' (the package creates it mode 0640, group understudy)",
                     path};
    }
    if (static_cast<std::uint64_t>(info.st_size) > kMaxAdminTokenFileBytes) {
        return invalid("is larger than 4 KiB, so it is not a token");
    }
    QFile input(QString::fromStdString(path));
    if (!input.open(QIODevice::ReadOnly)) {
        return Error{errc::kIo,
                     "cannot read the admin token file: " + input.errorString().toStdString() +
                         "; the service's user needs read access (group understudy, mode 0640)",
                     path};
    }
    const QByteArray content = input.read(static_cast<qint64>(kMaxAdminTokenFileBytes) + 1);
    if (static_cast<std::size_t>(content.size()) > kMaxAdminTokenFileBytes) {
        return invalid("is larger than 4 KiB, so it is not a token");
    }
    const qsizetype newline = content.indexOf('\n');
    const std::string line = content.left(newline < 0 ? content.size() : newline).toStdString();
    const std::string token(trim(line));
    if (token.empty()) {
        return invalid("has an empty first line");
    }
    if (!isTokenText(token)) {
        return invalid(
            "holds a blank or a character outside printable ASCII in its token, which cannot "
            "travel in an HTTP header");
    }
    if (token.size() < kMinAdminTokenLength) {
        return invalid("holds a token of " + std::to_string(token.size()) +
                       " characters; at least 16 are needed to resist guessing");
    }
    return token;
}

std::string generateAdminToken() {
    std::array<quint32, 8> words{};
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    const QByteArray bytes(reinterpret_cast<const char*>(words.data()),
                           static_cast<qsizetype>(sizeof(words)));
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)
        .toStdString();
}

Result<AdminToken> demoAdminToken(const std::optional<std::string>& environment_value) {
    if (!environment_value) {
        return AdminToken{generateAdminToken(), true};
    }
    const std::string token(trim(*environment_value));
    if (token.empty()) {
        return Error{kConfigCode,
                     std::string(kAdminTokenEnvironment) +
                         " is set but empty; give it a token, or unset it to have one generated",
                     ""};
    }
    if (token.size() > kMaxAdminTokenFileBytes || !isTokenText(token)) {
        return Error{kConfigCode,
                     std::string(kAdminTokenEnvironment) +
                         " must be at most 4096 printable ASCII characters without blanks, "
                         "since it travels in an HTTP header",
                     ""};
    }
    return AdminToken{token, false};
}

Result<AdminToken> adminToken(const ServiceConfig& config) {
    if (config.demo) {
        std::optional<std::string> value;
        if (qEnvironmentVariableIsSet(kAdminTokenEnvironment)) {
            value = qEnvironmentVariable(kAdminTokenEnvironment).toStdString();
        }
        return demoAdminToken(value);
    }
    Result<std::string> token = readAdminTokenFile(config.service.admin_token_file);
    if (!token) {
        return token.error();
    }
    return AdminToken{std::move(token).value(), false};
}

}  // namespace understudy::daemon

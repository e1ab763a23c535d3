#include "appliance/daemon/service_config.h"

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <utility>

#include <QDir>
#include <QFileInfo>
#include <QProcess>

#include "appliance/daemon/config_sections.h"
#include "appliance/daemon/config_text.h"
#include "appliance/daemon/event_patterns.h"
#include "appliance/daemon/section_reader.h"
#include "sizing/fleet_file.h"

namespace understudy::daemon {
namespace {

constexpr std::int64_t kMaxIntervalSeconds = kMaxProbeIntervalSeconds;
constexpr std::int64_t kMaxTimeoutSeconds = kMaxCommandTimeoutSeconds;
// A day: an appliance silent for longer is an outage someone is already handling by hand.
constexpr std::int64_t kMaxLostAfterSeconds = 86400;

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

// Why `pattern` is not an event pattern (event_patterns.h), in the configuration's words.
std::optional<std::string> eventPatternProblem(std::string_view pattern) {
    if (isValidEventPattern(pattern)) {
        return std::nullopt;
    }
    if (isPrefixPattern(pattern)) {
        return quotedValue(pattern) +
               " matches no event kind; the prefixes with a dot are "
               "takeover.*, fence.*, admission.*, cluster.*, node.*, probe.*, "
               "hook.*, hypervisor.* and service.*";
    }
    return quotedValue(pattern) +
           " is not an event kind; give kinds of docs/http-api.md such as takeover.granted or "
           "release, "
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
    reader.integer("history_interval_s", 1, kMaxHistoryIntervalSeconds, service.history_interval_s);
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
    reader.command(appliance.fence_command, "fence_command", true);
    reader.integer("lost_after_s", 0, kMaxLostAfterSeconds, appliance.lost_after_s);
    if (!reader.error() && appliance.lost_after_s > 0 && appliance.fence_command.empty()) {
        reader.fail(*reader.find("lost_after_s"),
                    "needs a fence_command: an appliance is declared lost by itself only once "
                    "that command has powered it off, never on silence alone");
    }
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

bool HookSection::matches(std::string_view event_kind) const {
    return anyEventPatternMatches(events, event_kind);
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
                                  "tls_key", "max_body_bytes", "history_interval_s"});
            error = reader.error() ? reader.error() : readService(reader, config.service);
        } else if (section.kind == "policy") {
            SectionReader reader(section, source,
                                 {"target_risk", "admission", "contention", "restore_preempted"});
            error = reader.error() ? reader.error() : readPolicy(reader, config.policy);
        } else if (section.kind == "appliance") {
            SectionReader reader(
                section, source,
                {"uri", "reserve_memory_mib", "reserve_vcpus", "cpu_overcommit", "domain_template",
                 "recreate_missing", "fence_command", "lost_after_s"});
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

}  // namespace understudy::daemon

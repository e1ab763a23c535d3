// understudyd's configuration (understudyd.conf(5)): the INI file
// /etc/understudy/understudyd.conf, the command line
// `understudyd [--config FILE] [--demo] [--listen ADDR:PORT] [--database PATH]`, the embedded
// demo config, and the admin token. This header: the file and what it holds; the rest in
// command_line.h, effective_config.h and admin_token.h.
//
// The INI dialect, strictly, because a typo on an appliance must stop the service rather than
// silently change what it does:
// - `[service]`, `[policy]`, `[appliance.NAME]`, `[probe.CLUSTER]`, `[hook.NAME]`; names follow
//   the cluster and appliance name rules (sizing::nameProblem). Any other section, any key a
//   section does not know, a key given twice in one section, a section given twice and a key
//   before the first section are errors.
// - `key = value`, both trimmed. `;` or `#` starts a comment at the start of a line, and after
//   a header or a value when preceded by a blank (`tls_key =   ; unset` is empty), so a value
//   cannot contain a blank followed by `;` or `#` (a command that needs a shell's `;` writes it
//   without the blank before it, `a; b`).
// - An empty value means "unset" only for tls_certificate and tls_key; every other key must
//   have a value when it is written at all (leave a key out to get its default).
// - Booleans: true/false, yes/no, on/off, 1/0 (any case). Integers are plain decimal.
// - Every error names the file and line: "understudyd.conf:12: [policy] admission: must be
//   enforce or warn, got 'strict'". A missing required key names the section's line.
//
// Decisions where the contract is silent:
// - Paths in the file (database, admin_token_file, tls_*, domain_template) must be absolute:
//   the daemon runs from /, so a relative path would depend on who started it.
// - contention: each of headroom, preempt, partial_cpu, deny at most once, deny only last.
//   A list without deny means the same as the list followed by deny: a takeover that no step
//   can satisfy is denied anyway, so the parsed list always ends with deny. (Free headroom is
//   used first whatever the order; see appliance/policy/arbitration.h.)
// - Two appliance sections on the same URI are an error: they would count one host twice.
// - A hook's events are required (`*` for all); each item is an event kind (docs/http-api.md,
//   "Events and long-polling"), a prefix pattern `PREFIX.*` matching at least one kind, or `*`.
// - A probe's timeout_s must be below its interval_s, so probes of one cluster never overlap.
// - Commands run as `/bin/sh -c COMMAND` (appliance/daemon/process_runner.h). Their first word,
//   split as QProcess::splitCommand does, is the program and must be an absolute path: the service
//   runs with systemd's minimal PATH, so a bare name would find a different program (or none)
//   than the administrator's shell did. Probes and hooks check it with commandProblem, the
//   one place this rule lives. Whether the program exists is checked when it runs (a failing
//   probe or hook is an event, not a reason to refuse to start).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/policy/arbitration.h"
#include "base/result.h"

namespace understudy::daemon {

inline constexpr char kDefaultConfigPath[] = "/etc/understudy/understudyd.conf";
inline constexpr char kDefaultListenHost[] = "127.0.0.1";
inline constexpr std::uint16_t kDefaultListenPort = 8470;
inline constexpr char kDefaultDatabasePath[] = "/var/lib/understudy/understudy.db";
inline constexpr char kDefaultAdminTokenFile[] = "/etc/understudy/admin.token";
inline constexpr char kDefaultDomainTemplate[] = "/etc/understudy/passive-node.xml";
inline constexpr std::int64_t kDefaultMaxBodyBytes = 1048576;
inline constexpr std::int64_t kMinMaxBodyBytes = 1024;
inline constexpr std::int64_t kMaxMaxBodyBytes = std::int64_t{1} << 30;
inline constexpr std::int64_t kMaxProbeIntervalSeconds = 86400;
inline constexpr std::int64_t kMaxCommandTimeoutSeconds = 3600;
inline constexpr std::int64_t kDefaultHistoryIntervalSeconds = 60;
inline constexpr std::int64_t kMaxHistoryIntervalSeconds = 3600;

// Why the command of a probe or hook cannot be configured (rule above), or nothing: the text
// completes "command: ...", e.g. "program 'bin/check' is a relative path; ...".
std::optional<std::string> commandProblem(std::string_view command);

struct ListenAddress {
    // A dotted IPv4 address, an IPv6 address without its brackets, or "localhost".
    std::string host = kDefaultListenHost;
    std::uint16_t port = kDefaultListenPort;

    // As written on the command line: "127.0.0.1:8470", "[::1]:8470", "localhost:8470".
    std::string toString() const;
    bool operator==(const ListenAddress&) const = default;
};

// `ADDR:PORT`: IPv4, `[IPv6]:PORT` or `localhost:PORT`, port 1..65535. The error's message
// says what is wrong with `text`; its `where` is empty (the caller knows the option or line).
Result<ListenAddress> parseListenAddress(std::string_view text);

struct ServiceSection {
    ListenAddress listen;
    std::string database = kDefaultDatabasePath;
    std::string admin_token_file = kDefaultAdminTokenFile;
    // Both set: HTTPS only; both empty: plain HTTP.
    std::string tls_certificate;
    std::string tls_key;
    std::int64_t max_body_bytes = kDefaultMaxBodyBytes;
    // How often each appliance's headroom is sampled for its history.
    std::int64_t history_interval_s = kDefaultHistoryIntervalSeconds;

    bool tlsEnabled() const { return !tls_certificate.empty(); }
    bool operator==(const ServiceSection&) const = default;
};

struct PolicySection {
    double target_risk = 1e-4;
    policy::AdmissionMode admission = policy::AdmissionMode::enforce;
    // Always ends with deny (see above).
    std::vector<policy::ContentionStep> contention{
        policy::ContentionStep::headroom, policy::ContentionStep::preempt,
        policy::ContentionStep::partial_cpu, policy::ContentionStep::deny};
    bool restore_preempted = true;
    bool operator==(const PolicySection&) const = default;
};

struct ApplianceSection {
    std::string name;
    std::string uri;
    std::int64_t reserve_memory_mib = 0;
    std::int64_t reserve_vcpus = 0;
    double cpu_overcommit = 1.0;
    // Empty only in the embedded demo config: the template shipped with Understudy, which the
    // daemon knows where to find.
    std::string domain_template = kDefaultDomainTemplate;
    bool recreate_missing = false;
    // Appliance loss: the command that powers the appliance off (rule above), and after how many
    // seconds unreachable the service runs it; 0: never by itself.
    std::string fence_command;
    std::int64_t lost_after_s = 0;
    bool operator==(const ApplianceSection&) const = default;
};

struct ProbeSection {
    std::string cluster;
    std::string command;
    std::int64_t interval_s = 30;
    std::int64_t timeout_s = 10;
    bool operator==(const ProbeSection&) const = default;
};

struct HookSection {
    std::string name;
    std::string command;
    // Event kinds, `PREFIX.*` patterns or `*`, as written.
    std::vector<std::string> events;
    std::int64_t timeout_s = 10;

    bool matches(std::string_view event_kind) const;
    bool operator==(const HookSection&) const = default;
};

struct ServiceConfig {
    ServiceSection service;
    PolicySection policy;
    std::vector<ApplianceSection> appliances;  // in file order
    std::vector<ProbeSection> probes;
    std::vector<HookSection> hooks;
    // Demo mode: the admin token comes from UNDERSTUDY_ADMIN_TOKEN or is generated
    // (admin_token.h).
    bool demo = false;
    // The demo's database lives in a temporary folder the daemon creates (and removes); it
    // then sets service.database, which is empty until then.
    bool temporary_database = false;
    // What the settings came from, for the log: the file's path or "embedded demo config".
    std::string source;
};

// The file's text; `source` names it in errors (its path). Does not require an appliance:
// effectiveConfig (effective_config.h) does, since a demo brings its own. Errors have code
// "invalid_config".
Result<ServiceConfig> parseServiceConfig(std::string_view text, const std::string& source);

}  // namespace understudy::daemon

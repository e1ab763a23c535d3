#include "appliance/daemon/hook_runner.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <algorithm>
#include <cctype>
#include <memory>

#include "appliance/daemon/service_config.h"
#include "base/error_codes.h"

namespace understudy::daemon {
namespace {

Q_LOGGING_CATEGORY(lcHook, "understudy.hook")

constexpr std::string_view kHookFailed = "hook.failed";

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
        text.remove_suffix(1);
    }
    return text;
}

// Environment values cannot hold NUL; nothing we pass should, but a value must never cut the
// environment short.
std::string environmentValue(std::string_view text) {
    std::string value(text);
    value.erase(std::remove(value.begin(), value.end(), '\0'), value.end());
    return value;
}

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

QString qs(const std::string& text) {
    return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

}  // namespace

bool isValidEventPattern(std::string_view pattern) {
    if (pattern == "*" || db::isEventKind(pattern)) {
        return true;
    }
    if (pattern.size() < 3 || !pattern.ends_with(".*")) {
        return false;
    }
    const std::string_view prefix = pattern.substr(0, pattern.size() - 1);  // keeps the dot
    return std::any_of(db::eventKinds().begin(), db::eventKinds().end(),
                       [prefix](std::string_view kind) { return kind.starts_with(prefix); });
}

bool eventPatternMatches(std::string_view pattern, std::string_view kind) {
    if (pattern == "*") {
        return true;
    }
    if (pattern.size() >= 2 && pattern.ends_with(".*")) {
        return kind.starts_with(pattern.substr(0, pattern.size() - 1));
    }
    return pattern == kind;
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

Result<HookConfig> makeHookConfig(const std::string& name, const std::string& command,
                                  std::string_view events, long long timeout_s) {
    const std::string where = "hook." + name;
    if (name.empty()) {
        return Error{errc::kInvalidField, "A hook section has no name; write it as [hook.NAME].",
                     "hook"};
    }
    if (trimmed(command).empty()) {
        return Error{errc::kInvalidField,
                     "The hook has no command; set command to the program to run on events.",
                     where + ": command"};
    }
    if (auto problem = commandProblem(command)) {
        return Error{errc::kInvalidField, "The hook's command " + *problem + ".",
                     where + ": command"};
    }
    if (timeout_s < 1 || timeout_s > kMaxCommandTimeoutSeconds) {
        return Error{
            "invalid_field",
            "timeout_s must be between 1 and 3600 seconds; got " + std::to_string(timeout_s) + ".",
            where + ": timeout_s"};
    }
    auto patterns = parseEventPatterns(events, where + ": events");
    if (!patterns) {
        return patterns.error();
    }
    return HookConfig{name, command, std::move(patterns.value()), std::chrono::seconds(timeout_s)};
}

std::vector<std::pair<std::string, std::string>> hookEnvironment(const std::string& hook,
                                                                 const db::DBEvent& event) {
    return {
        {"UNDERSTUDY_HOOK", environmentValue(hook)},
        {"UNDERSTUDY_EVENT_ID", std::to_string(event.id)},
        {"UNDERSTUDY_EVENT_TIME", db::formatTime(event.time)},
        {"UNDERSTUDY_EVENT_KIND", environmentValue(event.kind)},
        {"UNDERSTUDY_EVENT_CLUSTER", environmentValue(event.cluster.value_or(""))},
        {"UNDERSTUDY_EVENT_NODE", environmentValue(event.node.value_or(""))},
        {"UNDERSTUDY_EVENT_DETAILS", environmentValue(event.details)},
    };
}

std::string hookFailedDetails(const HookRunner::Failure& failure) {
    const ProcessResult& result = failure.result;
    QJsonObject details{
        {"hook", qs(failure.hook)},
        {"event_id", static_cast<qint64>(failure.event.id)},
        {"event_kind", qs(failure.event.kind)},
        {"timed_out", result.timed_out},
        {"duration_ms", static_cast<qint64>(result.duration.count())},
        {"exit_code", result.exit_code ? QJsonValue(*result.exit_code) : QJsonValue()},
        {"signal", result.signal ? QJsonValue(*result.signal) : QJsonValue()},
        {"summary", qs(describe(result))},
        {"output", qs(result.output)},
    };
    return QJsonDocument(details).toJson(QJsonDocument::Compact).toStdString();
}

HookRunner::HookRunner(ProcessRunner& runner, Options options, QObject* parent)
    : QObject(parent), runner_(runner), options_(options) {
    options_.max_concurrent = std::max<std::size_t>(options_.max_concurrent, 1);
}

HookRunner::~HookRunner() {
    for (const auto id : running_) {
        runner_.cancel(id);
    }
}

Status HookRunner::configure(const std::vector<HookConfig>& hooks) {
    for (std::size_t i = 0; i < hooks.size(); ++i) {
        const HookConfig& hook = hooks[i];
        const std::string where = "hook." + hook.name;
        if (hook.name.empty() || trimmed(hook.command).empty() || hook.timeout.count() <= 0) {
            return Error{errc::kInvalidField,
                         "A hook needs a name, a command and a positive timeout.", where};
        }
        if (hook.events.empty()) {
            return Error{errc::kInvalidField, "The hook names no events; set events, e.g. \"*\".",
                         where + ": events"};
        }
        for (const auto& pattern : hook.events) {
            if (!isValidEventPattern(pattern)) {
                return Error{errc::kInvalidField, "\"" + pattern + "\" matches no event kind.",
                             where + ": events"};
            }
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (hooks[j].name == hook.name) {
                return Error{errc::kInvalidField, "Two hooks share this name; keep one.", where};
            }
        }
    }
    hooks_ = hooks;
    qCInfo(lcHook) << hooks_.size() << "hooks configured";
    return Done{};
}

std::size_t HookRunner::dispatch(const db::DBEvent& event) {
    std::size_t matched = 0;
    for (const auto& hook : hooks_) {
        const bool matches = std::any_of(
            hook.events.begin(), hook.events.end(),
            [&](const std::string& pattern) { return eventPatternMatches(pattern, event.kind); });
        if (!matches) {
            continue;
        }
        ++matched;
        if (queue_.size() >= options_.max_queued &&
            (!queue_.empty() || running_.size() >= options_.max_concurrent)) {
            if (!overloaded_) {
                overloaded_ = true;
                qCWarning(lcHook) << "hooks overloaded:" << running_.size() << "running and"
                                  << queue_.size()
                                  << "queued; dropping the oldest queued runs until they catch up";
            }
            ++stats_.dropped;
            ++dropped_in_overload_;
            if (queue_.empty()) {
                continue;  // max_queued 0: this run is the oldest waiting one
            }
            const Job& oldest = queue_.front();
            qCDebug(lcHook).noquote()
                << "dropped hook" << qs(oldest.hook) << "for event" << oldest.event.id;
            queue_.pop_front();
        }
        queue_.push_back(Job{hook.name, hook.command, hook.timeout, event});
    }
    pump();
    return matched;
}

void HookRunner::pump() {
    while (running_.size() < options_.max_concurrent && !queue_.empty()) {
        Job job = std::move(queue_.front());
        queue_.pop_front();
        ProcessSpec spec;
        spec.command = job.command;
        spec.label = "hook " + job.hook;
        spec.timeout = job.timeout;
        spec.kill_grace = options_.kill_grace;
        spec.max_output_bytes = options_.max_output_bytes;
        spec.environment = hookEnvironment(job.hook, job.event);
        ++stats_.started;
        auto id = std::make_shared<ProcessRunner::RunId>(0);
        auto shared_job = std::make_shared<Job>(std::move(job));
        *id = runner_.start(std::move(spec), this, [this, id, shared_job](ProcessResult result) {
            onFinished(*id, *shared_job, result);
        });
        running_.push_back(*id);
    }
    if (overloaded_ && queue_.empty()) {
        overloaded_ = false;
        qCWarning(lcHook) << "hooks caught up;" << dropped_in_overload_
                          << "runs were dropped while overloaded";
        dropped_in_overload_ = 0;
    }
}

void HookRunner::onFinished(ProcessRunner::RunId id, const Job& job, const ProcessResult& result) {
    running_.erase(std::remove(running_.begin(), running_.end(), id), running_.end());
    if (!result.succeeded()) {
        ++stats_.failed;
        qCWarning(lcHook).noquote() << "hook" << qs(job.hook) << "for event" << job.event.id
                                    << qs(job.event.kind) << qs(describe(result));
        if (job.event.kind == kHookFailed) {
            qCWarning(lcHook).noquote()
                << "not reporting the failure of hook" << qs(job.hook)
                << "as an event: it was handling a hook.failed event itself";
        } else if (failure_sink_) {
            failure_sink_(Failure{job.hook, job.event, result});
        }
    }
    pump();
}

HookRunner::Stats HookRunner::stats() const {
    Stats stats = stats_;
    stats.queued = queue_.size();
    stats.running = running_.size();
    return stats;
}

}  // namespace understudy::daemon

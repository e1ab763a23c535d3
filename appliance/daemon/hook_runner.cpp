#include "appliance/daemon/hook_runner.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <algorithm>
#include <cctype>
#include <memory>

#include "appliance/daemon/event_patterns.h"
#include "appliance/daemon/service_config.h"
#include "base/error_codes.h"

namespace understudy::daemon {
namespace {

Q_LOGGING_CATEGORY(lcHook, "understudy.hook")

constexpr std::string_view kHookFailed = "hook.failed";

// Blank as std::isspace sees it: a command of blanks is no command.
bool isBlank(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

// Environment values cannot hold NUL; nothing we pass should, but a value must never cut the
// environment short.
std::string environmentValue(std::string_view text) {
    std::string value(text);
    value.erase(std::remove(value.begin(), value.end(), '\0'), value.end());
    return value;
}

QString qs(const std::string& text) {
    return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

}  // namespace

Result<HookConfig> makeHookConfig(const std::string& name, const std::string& command,
                                  std::string_view events, long long timeout_s) {
    const std::string where = "hook." + name;
    if (name.empty()) {
        return Error{errc::kInvalidField, "A hook section has no name; write it as [hook.NAME].",
                     "hook"};
    }
    if (isBlank(command)) {
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
        if (hook.name.empty() || isBlank(hook.command) || hook.timeout.count() <= 0) {
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
        if (!anyEventPatternMatches(hook.events, event.kind)) {
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

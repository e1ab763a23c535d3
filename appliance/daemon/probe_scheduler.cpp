#include "appliance/daemon/probe_scheduler.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <algorithm>

#include "appliance/daemon/service_config.h"
#include "base/error_codes.h"

namespace understudy::daemon {
namespace {

Q_LOGGING_CATEGORY(lcProbe, "understudy.probe")

Error probeError(const std::string& cluster, const std::string& key, std::string message) {
    return Error{errc::kInvalidField, std::move(message), "probe." + cluster + ": " + key};
}

bool blank(const std::string& text) {
    return std::all_of(text.begin(), text.end(),
                       [](unsigned char c) { return std::isspace(c) != 0; });
}

}  // namespace

Result<ProbeConfig> makeProbeConfig(const std::string& cluster, const std::string& command,
                                    long long interval_s, long long timeout_s) {
    if (cluster.empty()) {
        return Error{errc::kInvalidField,
                     "A probe section names no cluster; write it as [probe.CLUSTER].", "probe"};
    }
    if (blank(command)) {
        return probeError(cluster, "command",
                          "The probe has no command; set command to the program that checks "
                          "the cluster's active node (e.g. a fence agent's status action).");
    }
    if (auto problem = commandProblem(command)) {
        return probeError(cluster, "command", "The probe's command " + *problem + ".");
    }
    if (interval_s < 1) {
        return probeError(
            cluster, "interval_s",
            "interval_s must be at least 1 second; got " + std::to_string(interval_s) + ".");
    }
    if (timeout_s < 1) {
        return probeError(
            cluster, "timeout_s",
            "timeout_s must be at least 1 second; got " + std::to_string(timeout_s) + ".");
    }
    if (timeout_s >= interval_s) {
        return probeError(cluster, "timeout_s",
                          "timeout_s (" + std::to_string(timeout_s) +
                              ") must be less than interval_s (" + std::to_string(interval_s) +
                              "), so that one run ends before the next is due.");
    }
    if (interval_s > kMaxProbeIntervalSeconds) {
        return probeError(cluster, "interval_s",
                          "interval_s must be at most a day (" +
                              std::to_string(kMaxProbeIntervalSeconds) + " s); got " +
                              std::to_string(interval_s) + ".");
    }
    if (timeout_s > kMaxCommandTimeoutSeconds) {
        return probeError(cluster, "timeout_s",
                          "timeout_s must be at most an hour (" +
                              std::to_string(kMaxCommandTimeoutSeconds) + " s); got " +
                              std::to_string(timeout_s) + ".");
    }
    return ProbeConfig{cluster, command, std::chrono::seconds(interval_s),
                       std::chrono::seconds(timeout_s)};
}

std::string probeEventDetails(const ProbeResult& result) {
    QJsonObject details{
        {"ok", result.ok},
        {"timed_out", result.timed_out},
        {"duration_ms", static_cast<qint64>(result.duration.count())},
        {"exit_code", result.exit_code ? QJsonValue(*result.exit_code) : QJsonValue()},
        {"signal", result.signal ? QJsonValue(*result.signal) : QJsonValue()},
        {"summary", QString::fromStdString(result.summary)},
        {"output",
         QString::fromUtf8(result.output.data(), static_cast<qsizetype>(result.output.size()))},
    };
    return QJsonDocument(details).toJson(QJsonDocument::Compact).toStdString();
}

ProbeScheduler::ProbeScheduler(ProcessRunner& runner, Options options, QObject* parent)
    : QObject(parent), runner_(runner), options_(options) {}

ProbeScheduler::~ProbeScheduler() {
    for (auto& [cluster, probe] : probes_) {
        if (probe.run) {
            runner_.cancel(*probe.run);
        }
    }
}

Status ProbeScheduler::validate(const ProbeConfig& probe) {
    if (probe.cluster.empty()) {
        return Error{errc::kInvalidField, "A probe names no cluster.", "probe"};
    }
    if (blank(probe.command)) {
        return probeError(probe.cluster, "command", "The probe has no command.");
    }
    if (probe.interval.count() <= 0 || probe.timeout.count() <= 0 ||
        probe.timeout >= probe.interval) {
        return probeError(probe.cluster, "timeout_s",
                          "A probe needs a positive interval and a positive timeout below it.");
    }
    return Done{};
}

Status ProbeScheduler::configure(const std::vector<ProbeConfig>& probes) {
    std::map<std::string, const ProbeConfig*> wanted;
    for (const auto& probe : probes) {
        if (auto valid = validate(probe); !valid) {
            return valid.error();
        }
        if (!wanted.emplace(probe.cluster, &probe).second) {
            return probeError(
                probe.cluster, "section",
                "The cluster has two probes; keep one [probe." + probe.cluster + "] section.");
        }
    }
    std::vector<std::string> gone;
    for (const auto& [cluster, probe] : probes_) {
        if (wanted.count(cluster) == 0) {
            gone.push_back(cluster);
        }
    }
    for (const auto& cluster : gone) {
        remove(cluster);
    }
    for (const auto& [cluster, probe] : wanted) {
        auto existing = probes_.find(cluster);
        if (existing == probes_.end() || !(existing->second.config == *probe)) {
            static_cast<void>(add(*probe));  // validated above
        }
    }
    return Done{};
}

Status ProbeScheduler::add(const ProbeConfig& config) {
    if (auto valid = validate(config); !valid) {
        return valid;
    }
    auto [it, inserted] = probes_.try_emplace(config.cluster);
    Probe& probe = it->second;
    probe.config = config;
    if (inserted) {
        probe.timer = std::make_unique<QTimer>();
        probe.timer->setTimerType(Qt::CoarseTimer);
        const std::string cluster = config.cluster;
        connect(probe.timer.get(), &QTimer::timeout, this, [this, cluster] { runProbe(cluster); });
        if (last_known_) {
            probe.stats.last_ok = last_known_(cluster);
        }
        qCInfo(lcProbe).noquote() << "probe of cluster" << QString::fromStdString(cluster)
                                  << "every" << config.interval.count() << "ms";
    } else {
        qCInfo(lcProbe).noquote() << "probe of cluster" << QString::fromStdString(config.cluster)
                                  << "reconfigured";
    }
    warnIfUnregistered(config.cluster);
    schedule(probe);
    return Done{};
}

bool ProbeScheduler::remove(const std::string& cluster) {
    auto found = probes_.find(cluster);
    if (found == probes_.end()) {
        return false;
    }
    if (found->second.run) {
        runner_.cancel(*found->second.run);
    }
    probes_.erase(found);
    qCInfo(lcProbe).noquote() << "probe of cluster" << QString::fromStdString(cluster) << "removed";
    return true;
}

std::vector<ProbeConfig> ProbeScheduler::probes() const {
    std::vector<ProbeConfig> configs;
    for (const auto& [cluster, probe] : probes_) {
        configs.push_back(probe.config);
    }
    return configs;
}

std::optional<ProbeScheduler::Stats> ProbeScheduler::stats(const std::string& cluster) const {
    auto found = probes_.find(cluster);
    if (found == probes_.end()) {
        return std::nullopt;
    }
    return found->second.stats;
}

void ProbeScheduler::schedule(Probe& probe) {
    probe.timer->start(probe.config.interval);
    // The first run at once (from the event loop, never inside configure()).
    const std::string cluster = probe.config.cluster;
    QTimer::singleShot(0, this, [this, cluster] { runProbe(cluster); });
}

void ProbeScheduler::warnIfUnregistered(const std::string& cluster) const {
    if (cluster_check_ && !cluster_check_(cluster)) {
        qCWarning(lcProbe).noquote()
            << "[probe." + QString::fromStdString(cluster) +
                   "] names a cluster that is not registered; it runs, but its results have "
                   "nowhere to go until the cluster is registered";
    }
}

void ProbeScheduler::runProbe(const std::string& cluster) {
    auto found = probes_.find(cluster);
    if (found == probes_.end()) {
        return;
    }
    Probe& probe = found->second;
    if (probe.run) {
        ++probe.stats.skipped;
        qCWarning(lcProbe).noquote() << "probe of cluster" << QString::fromStdString(cluster)
                                     << "is still running; this run is skipped ("
                                     << probe.stats.skipped << "skipped so far)";
        return;
    }
    ProcessSpec spec;
    spec.command = probe.config.command;
    spec.label = "probe " + cluster;
    spec.timeout = probe.config.timeout;
    spec.kill_grace = options_.kill_grace;
    spec.max_output_bytes = options_.max_output_bytes;
    spec.environment = {{"UNDERSTUDY_PROBE_CLUSTER", cluster}};
    const db::TimeMs started = db::nowMs();
    probe.stats.running = true;
    // The id is known only once start() returns; the callback comes later, on this thread.
    auto id = std::make_shared<ProcessRunner::RunId>(0);
    *id = runner_.start(std::move(spec), this, [this, cluster, id, started](ProcessResult result) {
        onResult(cluster, *id, started, result);
    });
    probe.run = *id;
}

void ProbeScheduler::onResult(const std::string& cluster, ProcessRunner::RunId run,
                              db::TimeMs started, const ProcessResult& result) {
    auto found = probes_.find(cluster);
    if (found == probes_.end() || found->second.run != run) {
        return;  // removed meanwhile
    }
    Probe& probe = found->second;
    probe.run.reset();
    probe.stats.running = false;
    ++probe.stats.runs;

    ProbeResult outcome;
    outcome.cluster = cluster;
    outcome.time = started;
    outcome.ok = result.succeeded();
    outcome.output = result.output;
    outcome.duration = result.duration;
    outcome.timed_out = result.timed_out;
    outcome.exit_code = result.exit_code;
    outcome.signal = result.signal;
    outcome.summary = describe(result);
    if (!outcome.ok) {
        ++probe.stats.failures;
    }

    std::optional<ProbeTransition> transition;
    if (!outcome.ok && probe.stats.last_ok != false) {
        transition = ProbeTransition::Failed;
        qCWarning(lcProbe).noquote() << "probe of cluster" << QString::fromStdString(cluster)
                                     << "failed:" << QString::fromStdString(outcome.summary);
    } else if (outcome.ok && probe.stats.last_ok == false) {
        transition = ProbeTransition::Recovered;
        qCInfo(lcProbe).noquote() << "probe of cluster" << QString::fromStdString(cluster)
                                  << "recovered";
    }
    probe.stats.last_ok = outcome.ok;
    outcome.transition = transition;

    // The sinks may reconfigure us: nothing of `probe` is used after them.
    if (result_sink_) {
        result_sink_(outcome);
    }
    if (transition && transition_sink_) {
        transition_sink_(outcome, *transition);
    }
}

}  // namespace understudy::daemon

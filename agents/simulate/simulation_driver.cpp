#include "agents/simulate/simulation_driver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <algorithm>
#include <cmath>

namespace understudy::simulate {

namespace {

constexpr int kKeptErrorMessages = 5;
constexpr double kSecondsPerHour = 3600.0;
// After the end, how long releases may take beyond one takeover's wait before giving up.
constexpr int kDrainMarginMs = 30000;
// How far ahead of the wall clock the core may run, in wall milliseconds.
constexpr std::int64_t kLookaheadMs = 1000;

}  // namespace

SimulationDriver::SimulationDriver(FleetSimulation& simulation, std::vector<QString> nodes,
                                   DriverOptions options, QObject* parent)
    : QObject(parent),
      simulation_(simulation),
      nodes_(std::move(nodes)),
      options_(std::move(options)),
      clusters_(nodes_.size()) {
    transition_timer_.setSingleShot(true);
    connect(&transition_timer_, &QTimer::timeout, this, &SimulationDriver::applyDue);
    connect(&retry_timer_, &QTimer::timeout, this, &SimulationDriver::retryDenied);
    connect(&progress_timer_, &QTimer::timeout, this, &SimulationDriver::report);
    drain_timer_.setSingleShot(true);
    connect(&drain_timer_, &QTimer::timeout, this, [this] {
        for (QProcess* process : running_) {
            process->kill();
        }
        loop_.quit();
    });
}

double SimulationDriver::virtualNow() const {
    const double hours =
        static_cast<double>(clock_.elapsed()) / 1000.0 * options_.time_scale / kSecondsPerHour;
    return std::clamp(hours, marked_hours_, options_.end_hours);
}

std::int64_t SimulationDriver::wallMsOf(double hours) const {
    return std::llround(hours * kSecondsPerHour / options_.time_scale * 1000.0);
}

DriverRecord SimulationDriver::run() {
    for (std::size_t i = 0; i < clusters_.size(); ++i) {
        clusters_[i].failed = simulation_.failedOver(i);
    }
    clock_.start();
    retry_timer_.start(options_.retry_interval);
    if (options_.progress) {
        progress_timer_.start(options_.progress_interval);
    }
    QTimer::singleShot(0, this, [this] {
        for (std::size_t i = 0; i < clusters_.size(); ++i) {
            kick(i);
        }
        applyDue();
    });
    loop_.exec();
    mark();
    record_.wall_s = static_cast<double>(clock_.elapsed()) / 1000.0;
    for (std::size_t i = 0; i < clusters_.size(); ++i) {
        if (clusters_[i].held || clusters_[i].uncertain) {
            record_.unreleased.append(nodes_[i]);
        }
    }
    return record_;
}

void SimulationDriver::applyDue() {
    if (draining_) {
        return;
    }
    for (;;) {
        const qint64 elapsed = clock_.elapsed();
        if (!pending_) {
            // The core runs at most a little ahead of the wall clock, so that a run stopped
            // early has simulated only what it played.
            const double horizon =
                std::min(options_.end_hours, static_cast<double>(elapsed + kLookaheadMs) / 1000.0 *
                                                 options_.time_scale / kSecondsPerHour);
            pending_ = simulation_.next(horizon);
            if (!pending_) {
                if (horizon >= options_.end_hours && wallMsOf(horizon) <= elapsed) {
                    beginDrain();
                    return;
                }
                transition_timer_.start(static_cast<int>(
                    std::clamp<std::int64_t>(wallMsOf(horizon) - elapsed, 0, kLookaheadMs)));
                return;
            }
        }
        const std::int64_t due = wallMsOf(pending_->hours);
        if (due > elapsed) {
            transition_timer_.start(
                static_cast<int>(std::min<std::int64_t>(due - elapsed, kLookaheadMs)));
            return;
        }
        mark();
        for (const auto& [cluster, failed] : pending_->changes) {
            clusters_[cluster].failed = failed;
            if (!failed) {
                clusters_[cluster].denied = false;
            }
            kick(cluster);
        }
        pending_.reset();
    }
}

void SimulationDriver::mark() {
    if (draining_) {
        return;
    }
    const double now = virtualNow();
    bool denied = false;
    bool ungranted = false;
    for (const ClusterState& c : clusters_) {
        if (c.failed && !c.held) {
            ungranted = true;
            denied = denied || c.denied;
        }
    }
    if (denied) {
        record_.denied_hours += now - marked_hours_;
    }
    if (ungranted) {
        record_.ungranted_hours += now - marked_hours_;
    }
    marked_hours_ = now;
}

void SimulationDriver::kick(std::size_t cluster) {
    ClusterState& c = clusters_[cluster];
    if (c.busy || c.queued) {
        return;
    }
    const bool takeover = c.failed && !c.held && (!c.denied || c.retry_due);
    const bool release = !c.failed && (c.held || c.uncertain);
    if (takeover || release) {
        c.queued = true;
        queue_.push_back(cluster);
        pump();
    }
}

void SimulationDriver::pump() {
    while (!queue_.empty() && running_.size() < static_cast<std::size_t>(options_.concurrency)) {
        const std::size_t cluster = queue_.front();
        queue_.pop_front();
        ClusterState& c = clusters_[cluster];
        c.queued = false;
        // What to do is decided now: the cluster may have changed while it queued.
        if (c.failed && !c.held && (!c.denied || c.retry_due)) {
            startTakeover(cluster);
        } else if (!c.failed && (c.held || c.uncertain)) {
            startRelease(cluster);
        }
    }
    finishIfDrained();
}

QProcess* SimulationDriver::spawn(const QStringList& command) {
    auto* process = new QProcess(this);
    process->setProcessEnvironment(options_.environment);
    process->setProgram(options_.ctl_program);
    process->setArguments(options_.ctl_arguments + command);
    running_.push_back(process);
    return process;
}

void SimulationDriver::startTakeover(std::size_t cluster) {
    ClusterState& c = clusters_[cluster];
    c.busy = true;
    c.retry_due = false;
    c.started_ms = clock_.elapsed();
    ++record_.requested;
    QProcess* process =
        spawn({QStringLiteral("--json"), QStringLiteral("takeover"), nodes_[cluster],
               QStringLiteral("--wait"), QString::number(options_.wait_s)});
    connect(process, &QProcess::finished, this,
            [this, cluster, process](int exit_code, QProcess::ExitStatus status) {
                takeoverDone(cluster, process, status == QProcess::NormalExit ? exit_code : -1);
            });
    connect(process, &QProcess::errorOccurred, this,
            [this, cluster, process](QProcess::ProcessError error) {
                if (error == QProcess::FailedToStart) {
                    takeoverDone(cluster, process, -1);
                }
            });
    process->start();
}

void SimulationDriver::startRelease(std::size_t cluster) {
    clusters_[cluster].busy = true;
    QProcess* process = spawn({QStringLiteral("release"), nodes_[cluster]});
    connect(process, &QProcess::finished, this,
            [this, cluster, process](int exit_code, QProcess::ExitStatus status) {
                releaseDone(cluster, process, status == QProcess::NormalExit ? exit_code : -1);
            });
    connect(process, &QProcess::errorOccurred, this,
            [this, cluster, process](QProcess::ProcessError error) {
                if (error == QProcess::FailedToStart) {
                    releaseDone(cluster, process, -1);
                }
            });
    process->start();
}

void SimulationDriver::noteError(const QString& what, QProcess* process, int exit_code) {
    ++record_.errors;
    if (record_.error_messages.size() < kKeptErrorMessages) {
        const QString reason = exit_code == -1 && process->error() == QProcess::FailedToStart
                                   ? process->errorString()
                                   : QString::fromUtf8(process->readAllStandardError()).trimmed();
        record_.error_messages.append(
            QStringLiteral("%1 (exit %2): %3").arg(what).arg(exit_code).arg(reason));
    }
}

void SimulationDriver::takeoverDone(std::size_t cluster, QProcess* process, int exit_code) {
    ClusterState& c = clusters_[cluster];
    if (!c.busy) {
        return;  // FailedToStart was followed by finished, or the reverse
    }
    mark();
    c.busy = false;
    std::erase(running_, process);
    if (exit_code == 0) {
        c.held = true;
        c.denied = false;
        c.uncertain = false;
        ++record_.granted;
        record_.grant_ms.push_back(static_cast<double>(clock_.elapsed() - c.started_ms));
        const QJsonObject grant = QJsonDocument::fromJson(process->readAllStandardOutput())
                                      .object()
                                      .value(QStringLiteral("grant"))
                                      .toObject();
        record_.preemptions +=
            static_cast<std::uint64_t>(grant.value(QStringLiteral("preempted")).toArray().size());
        if (grant.value(QStringLiteral("partial")).toBool()) {
            ++record_.partial;
        }
    } else if (exit_code == 1) {
        // understudyctl's exit 1 is any 409: a denial for capacity, or a node that cannot
        // take over in its state (preempted, fenced); only the first is a takeover.denied.
        const QString reason = QString::fromUtf8(process->readAllStandardError());
        if (reason.contains(QStringLiteral("takeover_denied"))) {
            ++record_.denied;
        } else {
            ++record_.refused;
        }
        c.denied = c.failed;
    } else {
        noteError(QStringLiteral("takeover %1").arg(nodes_[cluster]), process, exit_code);
        c.uncertain = true;
        c.denied = c.failed;
    }
    process->deleteLater();
    kick(cluster);
    pump();
}

void SimulationDriver::releaseDone(std::size_t cluster, QProcess* process, int exit_code) {
    ClusterState& c = clusters_[cluster];
    if (!c.busy) {
        return;
    }
    mark();
    c.busy = false;
    std::erase(running_, process);
    if (exit_code == 0) {
        if (c.held) {
            ++record_.released;
        }
        c.held = false;
        c.uncertain = false;
        process->deleteLater();
        retryDenied();
    } else {
        // Asked again a little later, not at once: the service may be restarting.
        noteError(QStringLiteral("release %1").arg(nodes_[cluster]), process, exit_code);
        process->deleteLater();
        QTimer::singleShot(1000, this, [this, cluster] { kick(cluster); });
        pump();
        return;
    }
    kick(cluster);
    pump();
}

void SimulationDriver::retryDenied() {
    for (std::size_t i = 0; i < clusters_.size(); ++i) {
        if (clusters_[i].denied && clusters_[i].failed && !draining_) {
            clusters_[i].retry_due = true;
            kick(i);
        }
    }
}

void SimulationDriver::stop() {
    if (draining_) {
        return;
    }
    record_.stopped = true;
    beginDrain();
}

void SimulationDriver::beginDrain() {
    mark();
    if (!record_.stopped) {
        marked_hours_ = options_.end_hours;
    }
    record_.end_hours = marked_hours_;
    draining_ = true;
    retry_timer_.stop();
    transition_timer_.stop();
    if (options_.progress) {
        options_.progress(record_.stopped ? QStringLiteral("understudy-simulate: interrupted; "
                                                           "releasing every node taken over")
                                          : QStringLiteral("understudy-simulate: end of the run "
                                                           "reached; releasing every node taken "
                                                           "over"));
    }
    drain_timer_.start(static_cast<int>(options_.wait_s * 1000.0) + kDrainMarginMs);
    for (std::size_t i = 0; i < clusters_.size(); ++i) {
        clusters_[i].failed = false;
        clusters_[i].denied = false;
        kick(i);
    }
    finishIfDrained();
}

void SimulationDriver::finishIfDrained() {
    if (!draining_ || !running_.empty() || !queue_.empty()) {
        return;
    }
    for (const ClusterState& c : clusters_) {
        if (c.busy || c.held || c.uncertain) {
            return;
        }
    }
    drain_timer_.stop();
    loop_.quit();
}

void SimulationDriver::report() {
    std::size_t held = 0;
    for (const ClusterState& c : clusters_) {
        held += c.held ? 1 : 0;
    }
    options_.progress(QStringLiteral("understudy-simulate: %1 s, %2 of %3 simulated hours; "
                                     "takeovers %4 granted, %5 denied, %6 errors; %7 held, %8 "
                                     "running")
                          .arg(static_cast<double>(clock_.elapsed()) / 1000.0, 0, 'f', 1)
                          .arg(virtualNow(), 0, 'f', 0)
                          .arg(options_.end_hours, 0, 'f', 0)
                          .arg(record_.granted)
                          .arg(record_.denied)
                          .arg(record_.errors)
                          .arg(held)
                          .arg(running_.size()));
}

}  // namespace understudy::simulate

// Plays a FleetSimulation against a running service in scaled wall time: each transition of
// the core happens at its virtual time divided by the time scale, and each cluster's failover
// becomes `understudyctl takeover NODE --wait S` and its end `understudyctl release NODE`,
// run as child processes, as a cluster's own agents would.
//
// Decisions where the contract is silent:
// - Per cluster, one operation at a time; a failover that ends while its takeover is in flight
//   is released as soon as the grant arrives. At most `concurrency` processes run at once;
//   the others queue in the order their clusters changed.
// - A denied takeover is asked again whenever one of the simulator's own releases has freed
//   capacity, and every `retry_interval` otherwise, while its cluster stays failed over (a
//   cluster manager retries a failed start once resources return).
// - The denied share counts the simulated time during which some failed-over cluster has been
//   denied and holds no grant; the time a request is merely on its way (process start, the
//   service growing the VM) is reported apart, as the ungranted share, since at high time
//   scales it is an artefact of the scaling, not of capacity.
// - A takeover refused because of its node's state (its standby capacity was preempted) counts
//   like a denial for the denied share: the failed-over cluster has no grant either way.
// - A takeover that ended in an error (timeout, service failing) may still have been granted
//   on the service's side, so such a node is released at the end as well.
#pragma once

#include <QElapsedTimer>
#include <QEventLoop>
#include <QObject>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "agents/simulate/fleet_simulation.h"

class QProcess;

namespace understudy::simulate {

struct DriverOptions {
    QString ctl_program;
    QStringList ctl_arguments;  // global options put before each command
    QProcessEnvironment environment;
    double time_scale = 86400;  // simulated seconds per wall-clock second
    double end_hours = 0;       // virtual time at which the run ends
    int concurrency = 8;
    double wait_s = 30;  // takeover --wait
    std::chrono::milliseconds retry_interval{5000};
    std::chrono::milliseconds progress_interval{5000};
    std::function<void(const QString&)> progress;  // may be empty
};

struct DriverRecord {
    std::uint64_t requested = 0;
    std::uint64_t granted = 0;
    std::uint64_t partial = 0;
    std::uint64_t denied = 0;   // takeover_denied: no capacity
    std::uint64_t refused = 0;  // other 409s: the node's state forbids it (preempted, fenced)
    std::uint64_t errors = 0;
    std::uint64_t released = 0;
    std::uint64_t preemptions = 0;  // nodes the service preempted for our grants
    std::vector<double> grant_ms;   // wall time from request to grant, per grant
    double denied_hours = 0;
    double ungranted_hours = 0;
    double wall_s = 0;
    QStringList error_messages;  // the first few
    QStringList unreleased;      // nodes that may still hold a grant at the end
    bool stopped = false;        // ended by stop() before the planned end
    double end_hours = 0;        // virtual time the run covered
};

class SimulationDriver : public QObject {
    Q_OBJECT

public:
    SimulationDriver(FleetSimulation& simulation, std::vector<QString> nodes, DriverOptions options,
                     QObject* parent = nullptr);

    // Runs to the end and releases every node it took over; blocks in a local event loop.
    DriverRecord run();
    // Ends the run now (an interrupt): no more transitions, every node released as at the end.
    void stop();

private:
    struct ClusterState {
        bool failed = false;
        bool held = false;
        bool denied = false;
        bool retry_due = false;
        bool uncertain = false;  // a takeover ended in an error: the grant is unknown
        bool busy = false;
        bool queued = false;
        qint64 started_ms = 0;  // when the running takeover was asked for
    };

    double virtualNow() const;
    std::int64_t wallMsOf(double hours) const;
    void applyDue();
    void mark();
    void kick(std::size_t cluster);
    void pump();
    void startTakeover(std::size_t cluster);
    void startRelease(std::size_t cluster);
    QProcess* spawn(const QStringList& command);
    void takeoverDone(std::size_t cluster, QProcess* process, int exit_code);
    void releaseDone(std::size_t cluster, QProcess* process, int exit_code);
    void retryDenied();
    void noteError(const QString& what, QProcess* process, int exit_code);
    void beginDrain();
    void finishIfDrained();
    void report();

    FleetSimulation& simulation_;
    std::vector<QString> nodes_;
    DriverOptions options_;
    std::vector<ClusterState> clusters_;
    std::deque<std::size_t> queue_;
    std::optional<Transition> pending_;
    DriverRecord record_;
    QElapsedTimer clock_;
    QTimer transition_timer_;
    QTimer retry_timer_;
    QTimer progress_timer_;
    QTimer drain_timer_;
    QEventLoop loop_;
    std::vector<QProcess*> running_;
    double marked_hours_ = 0;
    bool draining_ = false;
};

}  // namespace understudy::simulate

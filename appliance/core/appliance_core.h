// The appliance core: the library understudyd wraps. It owns the passive nodes on one or more
// appliances: registration with admission control, takeover and release under contention,
// power and fencing of exactly one node's domain, reconciliation with libvirt, and the
// read-only views (headroom, nodes, readiness, what-if).
//
// Threads. Every operation that touches an appliance's hypervisor runs on that appliance's
// worker, one at a time, in the order asked: that order is the appliance's lock. Inventory
// changes (registration, cluster and group changes, removal) run on one more worker, which
// hands the libvirt part to the appliance workers. Takeovers are decided on an in-memory model
// of the appliance and pipelined on its worker; every change is committed by one commit thread
// that batches the workers' changes into one transaction (group commit), and nothing is
// answered before its commit. No lock is held across a libvirt call. Operations are callable
// from any thread and answer through futures, so the API's event loop never waits; the
// read-only views answer at once from a database reader and the hypervisor state cached at the
// last operation or reconciliation.
//
// Outcomes and errors. An admission refusal or a takeover denial is a decision, answered as a
// value (RegistrationOutcome::accepted, TakeoverOutcome::granted). Failures are errors with the
// API's codes: not_found, conflict (for an operation impossible in the node's state, Error::where
// holds that state's name, e.g. "fenced"), invalid_field (Error::where names the field),
// hypervisor_unavailable, database_unavailable, and libvirt's own codes.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <QFuture>
#include <QObject>

#include "appliance/core/core_config.h"
#include "appliance/core/core_types.h"
#include "base/result.h"
#include "db/records.h"
#include "sizing/fleet.h"
#include "sizing/sizing_result.h"

namespace understudy::hypervisor {
class LibvirtHypervisor;
}  // namespace understudy::hypervisor

namespace understudy::core {

class ApplianceCore : public QObject {
    Q_OBJECT

public:
    // Opens the database writer, records the configured appliances, connects to each (an
    // appliance that cannot be reached is "disconnected" and retried, not fatal) and reconciles
    // before it returns. `default_template` is used by appliances that name no template.
    static Result<std::unique_ptr<ApplianceCore>> open(const CoreConfig& config,
                                                       const std::string& database_path,
                                                       const std::string& default_template);
    ~ApplianceCore() override;
    ApplianceCore(const ApplianceCore&) = delete;
    ApplianceCore& operator=(const ApplianceCore&) = delete;

    const CoreConfig& config() const;
    // Replaces the policy's target_risk, admission, contention and restore_preempted (SIGHUP).
    // The core's workers read the policy without a lock, so it is written only while every one
    // of them is parked: the inventory worker first (its work waits for the appliances'), then
    // each appliance's worker once the work in flight on it has finished. Call it from the
    // thread that reads the views (the API's), which waits meanwhile. When the workers are not
    // all parked within `patience` (an appliance stuck in libvirt), nothing changes and the
    // answer is a "busy" error.
    Status setPolicy(const CorePolicy& policy,
                     std::chrono::milliseconds patience = std::chrono::seconds(10));

    // Operations that record events take `actor`, who asked (docs/http-api.md, "Events"); by
    // default the service itself. What an operation causes in turn (the preemptions of a
    // takeover, the restorations after a release) is recorded as that actor's too.

    // Inventory.
    QFuture<Result<RegistrationOutcome>> registerClusters(RegistrationRequest request,
                                                          Actor actor = {});
    QFuture<Result<ChangeOutcome>> changeCluster(std::string cluster, ClusterChange change,
                                                 Actor actor = {});
    QFuture<Status> removeCluster(std::string cluster, Actor actor = {});
    QFuture<Status> rotateToken(std::string cluster, std::string token_hash, Actor actor = {});
    // Replaces a salted token hash of before schema version 5 by the token's digest, unless the
    // cluster's token was rotated or the cluster removed meanwhile. No event: the token is the
    // same.
    QFuture<Status> convertSaltedToken(std::string cluster, std::string salted_hash,
                                       std::string digest);
    QFuture<Result<ChangeOutcome>> createGroup(sizing::GroupSpec group);
    QFuture<Result<ChangeOutcome>> changeGroup(std::string group, GroupChange change,
                                               Actor actor = {});
    QFuture<Status> removeGroup(std::string group);
    // Events of the service's own (service.started, probe.*, hook.failed): one transaction.
    QFuture<Result<db::Id>> appendEvents(std::vector<db::DBEvent> events);
    // A health probe's result for a cluster, with the events it causes (probe.failed or
    // probe.recovered on a transition), in one transaction. Answers whether the result was
    // stored: false when no such cluster is registered (the events are appended anyway).
    QFuture<Result<bool>> recordProbeResult(std::string cluster, db::TimeMs time, bool ok,
                                            std::string output, std::vector<db::DBEvent> events);

    // Headroom samples (docs/http-api.md, "Appliance history"), straight to the commit queue;
    // samples of appliances the database does not know are dropped. No event.
    QFuture<Status> recordHeadroom(std::vector<HeadroomSample> samples);

    // Nodes.
    QFuture<Result<TakeoverOutcome>> takeover(std::string node, Actor actor = {});
    QFuture<Status> release(std::string node, Actor actor = {});
    QFuture<Result<PowerState>> power(std::string node, PowerAction action, Actor actor = {});
    // Appliance loss (understudyd(8)): an appliance known to be off is lost and its standby
    // nodes are evacuated to the others; a lost appliance that is reachable again rejoins once
    // its stale copies are removed. Both run on the inventory worker.
    QFuture<Result<LossOutcome>> declareLost(std::string appliance, LossCause cause);
    QFuture<Result<RejoinOutcome>> rejoin(std::string appliance, Actor actor = {});

    // Reconciles one appliance, or all with an empty name; answers once done.
    QFuture<Status> reconcile(std::string appliance = {});

    // Read-only views: they change nothing and never wait for libvirt.
    Result<std::vector<ApplianceStatus>> appliances() const;
    std::vector<ApplianceLink> applianceLinks() const;
    Result<std::vector<ClusterStatus>> clusters() const;
    Result<std::vector<NodeStatus>> nodes() const;
    Result<NodeStatus> node(const std::string& name) const;
    Result<std::vector<sizing::GroupSpec>> groups() const;
    Result<Readiness> readiness(const std::string& node) const;
    Result<WhatIfOutcome> whatIf(const WhatIfRequest& request) const;
    // The live fleet as the sizing engine sees it, one appliance at a time (GET /sizing).
    Result<sizing::SizingResult> liveSizing() const;
    // The newest event id, 0 while the log is empty.
    Result<db::Id> lastEventId() const;
    std::string databasePath() const;

    // The appliance's own hypervisor connection, for tests that change a domain "behind the
    // core's back" or drop the connection; null for an unknown or never-connected appliance.
    hypervisor::LibvirtHypervisor* hypervisorForTest(const std::string& appliance) const;

signals:
    // After every commit that appended events, from whichever thread committed it.
    void eventsAppended(qint64 lastId);

public:
    struct Impl;

private:
    explicit ApplianceCore(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace understudy::core

// One configured appliance inside the core: its worker (whose queue is the appliance's lock),
// its hypervisor connection, the model of its inventory its decisions are taken on, and what
// was last seen of the host and its domains, cached for the read-only views.
//
// The worker runs two kinds of work. Exclusive work (release, power, reconciliation, inventory
// changes, connection handling) runs alone, from start to end. A takeover is pipelined: it
// decides on the model, reserves there at once and hands its commit to the commit queue; its
// next steps come back to the worker as continuations, so the next takeover can be decided
// while the first one's commit waits for its fsync. Decisions stay one at a time on the worker,
// in the order asked (no two takeovers take the last headroom: the model holds every pending
// reservation); work on a node that is in flight, and exclusive work, waits until what is in
// flight before it has finished.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <QFuture>
#include <QPromise>

#include "appliance/core/appliance_worker.h"
#include "appliance/core/core_config.h"
#include "appliance/core/node_inventory.h"
#include "appliance/core/work_gate.h"
#include "appliance/hypervisor/domain_xml.h"
#include "appliance/hypervisor/libvirt_hypervisor.h"
#include "appliance/hypervisor/node_lifecycle.h"
#include "appliance/policy/denial_risk.h"
#include "base/result.h"
#include "db/records.h"
#include "sizing/fleet.h"

namespace understudy::core {

class CoreStore;

// service_stopping: the core is shutting down.
Error stoppingError(const std::string& appliance);

struct ApplianceSlot {
    ApplianceConfig config;
    db::Id id = 0;
    std::unique_ptr<ApplianceWorker> worker;
    // Read at start; when it could not be read then, each definition tries again (on the
    // worker), so a template put right serves without a restart.
    std::string template_path;
    std::optional<hypervisor::DomainTemplate> domain_template;
    std::atomic<bool> reconcile_queued{false};
    std::chrono::milliseconds boot_timeout{0};  // CorePolicy::boot_timeout

    // Written on the worker only (under `mutex`, for the test accessor).
    std::unique_ptr<hypervisor::Hypervisor> hypervisor;
    hypervisor::CpuCapMethod cpu_method = hypervisor::CpuCapMethod::live_vcpus;

    // The cache the read-only views use.
    mutable std::mutex mutex;
    bool connected = false;
    // Known to be off, its standby nodes moved to the others, until it rejoins: nothing runs
    // on it, it is not reconciled, and no request reaches it (understudyd(8), "Appliance loss").
    bool lost = false;
    db::TimeMs unreachable_since = 0;  // when the connection was last lost; 0 while connected
    std::string last_error;
    sizing::Footprint usable;
    sizing::Footprint foreign;
    std::map<std::string, sizing::Footprint> current;  // running owned domains, by name
    // The risk of now, recomputed only when its model changes.
    policy::DenialRiskMemo denial_risk;
    // Domains of drifted nodes: a balloon change may be what settles them (a guest booted
    // behind the core's back reaches its standby memory only once its balloon driver runs).
    std::set<std::string> unsettled;
    // Domains a registration is defining or adopting: they carry our metadata before their
    // rows are committed, and are not orphans meanwhile.
    std::set<std::string> registering;
    // Orphans (our metadata, no row) already reported; on the worker only.
    std::set<std::string> reported_orphans;

    // The inventory as committed plus the reservations of the takeovers in flight; on the
    // worker only. Rebuilt from the database when marked stale (by changes made elsewhere:
    // registration, cluster and group changes, reconciliation) once nothing is in flight.
    ApplianceInventory model;
    std::atomic<bool> model_stale{true};
    std::optional<Error> model_error;  // why the last rebuild failed

    hypervisor::NodeLifecycle lifecycle(std::chrono::milliseconds timeout) const {
        return hypervisor::NodeLifecycle(*hypervisor, cpu_method, timeout, boot_timeout);
    }
    // Connected and not lost: work may be sent to it.
    bool usableNow() const;
    // Connected, lost or not: the service can still reach the host.
    bool reachable() const;
    bool isLost() const;
    // hypervisor_unavailable while disconnected or lost. Checked before work is queued too, so
    // that a request about an unreachable appliance's node fails at once instead of waiting
    // behind a libvirt call that hangs on it.
    Status requireConnected() const;
    // Records a change of connection in the cache; answers whether it is a change.
    bool noteConnection(bool now_connected, const std::string& reason);

    // On the worker: reads the domain's live footprint into the cache (or drops it when the
    // domain is not running).
    void remember(const std::string& domain, std::chrono::milliseconds confirm_timeout);
    // From any thread. Runs `task` on the worker once what is in flight has finished; false
    // when the worker is stopping.
    bool postExclusive(std::function<void()> task);
    bool postExclusiveAfter(std::chrono::milliseconds delay, std::function<void()> task);
    // Runs `work` (which returns a Result) exclusively and answers through a future.
    template <typename F>
    auto exclusive(F work) -> QFuture<std::invoke_result_t<F>>;
    // From any thread. Runs `begin` on the worker once no work on `node` is in flight; `begin`
    // answers whether it left work in flight, which must end with finishPipelined().
    bool postPipelined(std::string node, std::function<bool()> begin);
    // On the worker: work on these nodes is no longer in flight.
    void finishPipelined(const std::vector<std::string>& nodes) { gate.finish(nodes); }
    // On the worker, with nothing in flight: rebuilds the model if it is stale. Continuations
    // never rebuild it: that would drop the reservations in flight.
    Status refreshModel(CoreStore& store);

    // On the worker: defines (or redefines) a domain from the appliance's template; its uuid.
    Result<std::string> defineFromTemplate(const std::string& domain, const std::string& uuid,
                                           const hypervisor::NodeMetadata& metadata);

    // On the worker only: which work may begin (exclusive, pipelined, waiting).
    WorkGate gate{[this] { return model_stale.load(); }};
};

template <typename F>
auto ApplianceSlot::exclusive(F work) -> QFuture<std::invoke_result_t<F>> {
    using R = std::invoke_result_t<F>;
    auto promise = std::make_shared<QPromise<R>>();
    QFuture<R> future = promise->future();
    promise->start();
    const bool queued = postExclusive([promise, work = std::move(work)]() mutable {
        promise->addResult(work());
        promise->finish();
    });
    if (!queued) {
        promise->addResult(R(stoppingError(config.name)));
        promise->finish();
    }
    return future;
}

}  // namespace understudy::core

#include "appliance/core/appliance_core.h"

#include <QDeadlineTimer>
#include <QLoggingCategory>
#include <QPromise>
#include <QThread>

#include <condition_variable>
#include <mutex>
#include <set>

#include "appliance/core/appliance_loss.h"
#include "appliance/core/appliance_supervisor.h"
#include "appliance/core/cluster_registration.h"
#include "appliance/core/core_context.h"
#include "appliance/core/core_support.h"
#include "appliance/core/core_views.h"
#include "appliance/core/inventory_changes.h"
#include "appliance/core/node_operations.h"
#include "appliance/core/node_power.h"
#include "appliance/core/node_provisioner.h"
#include "base/error_codes.h"
#include "db/appliance_loss_repository.h"
#include "db/appliance_repository.h"
#include "db/cluster_repository.h"
#include "db/headroom_history.h"
#include "db/probe_result_repository.h"
#include "sizing/fleet_file.h"

namespace understudy::core {

namespace {

Q_LOGGING_CATEGORY(lcCore, "understudy.appliance")

// How long opening the core waits for the appliances' first connections (see open()).
constexpr std::chrono::milliseconds kFirstConnectionWait{2000};

// Whether libvirt reaches the URI's hypervisor over the network: a host between "://" and the
// path (qemu+ssh://pna-2/system, test+tcp://10.0.0.5/default), not qemu:///system.
bool reachedOverNetwork(const std::string& uri) {
    const auto scheme_end = uri.find("://");
    return scheme_end != std::string::npos && scheme_end + 3 < uri.size() &&
           uri[scheme_end + 3] != '/';
}

template <typename R>
QFuture<R> readyFuture(R value) {
    QPromise<R> promise;
    QFuture<R> future = promise.future();
    promise.start();
    promise.addResult(std::move(value));
    promise.finish();
    return future;
}

Status checkAppliances(const CoreConfig& config) {
    std::set<std::string> names;
    for (const ApplianceConfig& appliance : config.appliances) {
        const std::string where = "appliance." + appliance.name;
        if (auto problem = sizing::nameProblem(appliance.name)) {
            return Error{errc::kInvalidField, "appliance name: " + *problem, where};
        }
        if (!names.insert(appliance.name).second) {
            return Error{errc::kInvalidField,
                         "appliance '" + appliance.name + "' is configured twice", where};
        }
        if (appliance.uri.empty()) {
            return Error{errc::kInvalidField, "appliance '" + appliance.name + "' has no uri",
                         where + ".uri"};
        }
        if (!(appliance.cpu_overcommit > 0) || appliance.reserve_memory_mib < 0 ||
            appliance.reserve_vcpus < 0) {
            return Error{errc::kInvalidField,
                         "appliance '" + appliance.name +
                             "': cpu_overcommit must be positive and the reserves at least 0",
                         where};
        }
    }
    return Done{};
}

}  // namespace

// The parts of the core, each one concern, wired to one shared context.
struct ApplianceCore::Impl {
    CoreContext context;
    ApplianceCore* core = nullptr;
    std::unique_ptr<ApplianceWorker> inventory_worker;

    ApplianceSupervisor supervisor{context};
    NodeOperations operations{context};
    NodePower power{context, operations};
    NodeProvisioner provisioner{context};
    ClusterRegistrar registrar{context, provisioner, supervisor};
    InventoryChanges changes{context, provisioner, operations};
    CoreViews views{context};
    ApplianceLoss loss{context, supervisor};

    // The appliance the node lives on, when work may be sent there now: a request about an
    // unreachable or lost appliance's node is answered at once, never queued behind a libvirt
    // call that may hang until the connection's keepalive gives up.
    Result<ApplianceSlot*> reachableOwner(const std::string& node) const {
        auto owner = views.ownerOf(node);
        if (!owner) {
            return owner.error();
        }
        if (Status usable = (*owner)->requireConnected(); !usable) {
            return usable.error();
        }
        return *owner;
    }

    // Runs `work` exclusively on the appliance the node lives on.
    template <typename R, typename F>
    QFuture<R> onOwner(const std::string& node, F work) {
        auto owner = reachableOwner(node);
        if (!owner) {
            return readyFuture(R(owner.error()));
        }
        ApplianceSlot* slot = *owner;
        return slot->exclusive([slot, work = std::move(work)]() -> R { return work(*slot); });
    }
};

namespace {

// A healthy libvirt answers within milliseconds. An appliance that died while its address
// is still in the neighbours' caches holds connect() until TCP gives up, tens of seconds:
// a service starting on a survivor of its pool would listen only then, and its resource
// agent's start would time out. Past this wait the connection goes on on the appliance's
// worker, and the appliance is unreachable (its nodes' requests answered at once) until then.
// A local hypervisor (no host in its URI) and an appliance that is connected are waited for
// until the first reconciliation is done, however long that takes on a loaded machine: the
// service then starts from what libvirt shows.
void awaitFirstConnections(ApplianceCore::Impl& impl, std::vector<QFuture<Status>>& connecting) {
    const QDeadlineTimer first_connections(kFirstConnectionWait);
    for (std::size_t i = 0; i < connecting.size(); ++i) {
        const ApplianceSlot& slot = *impl.context.appliances[i];
        const bool local = !reachedOverNetwork(slot.config.uri);
        while (!connecting[i].isFinished() &&
               (local || !first_connections.hasExpired() || slot.reachable())) {
            QThread::msleep(10);
        }
        if (!connecting[i].isFinished()) {
            impl.supervisor.noteFirstConnectionPending(*impl.context.appliances[i]);
        }
    }
}

// An evacuation a stop interrupted goes on: the nodes still booked on a lost appliance
// that is still off are tried again (one that is back waits for its rejoin).
void resumeEvacuations(ApplianceCore::Impl& impl) {
    for (const auto& slot : impl.context.appliances) {
        ApplianceSlot* lost = slot.get();
        if (lost->isLost() && !lost->reachable()) {
            impl.inventory_worker->post([&impl, lost] {
                auto resumed = impl.loss.declareLost(lost->config.name, LossCause{});
                if (!resumed) {
                    qCWarning(lcCore, "%s: resuming the evacuation failed: %s",
                              lost->config.name.c_str(), resumed.error().describe().c_str());
                }
            });
        }
    }
}

}  // namespace

ApplianceCore::ApplianceCore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
    impl_->core = this;
    Impl* raw = impl_.get();
    impl_->supervisor.setRestorer(
        [raw](ApplianceSlot& slot) { raw->operations.restorePreempted(slot, Actor{}); });
}

ApplianceCore::~ApplianceCore() {
    impl_->inventory_worker->stop();
    // Exclusive work runs once nothing is in flight: the takeovers under way finish first.
    std::vector<QFuture<Status>> quiet;
    for (const auto& slot : impl_->context.appliances) {
        quiet.push_back(slot->exclusive([]() -> Status { return Done{}; }));
    }
    for (QFuture<Status>& future : quiet) {
        future.waitForFinished();
    }
    for (const auto& slot : impl_->context.appliances) {
        slot->worker->stop();
    }
    for (const auto& slot : impl_->context.appliances) {
        if (slot->hypervisor) {
            slot->hypervisor->setEventHandlers({}, {});
        }
        const std::lock_guard lock(slot->mutex);
        slot->hypervisor.reset();
    }
}

Result<std::unique_ptr<ApplianceCore>> ApplianceCore::open(const CoreConfig& config,
                                                           const std::string& database_path,
                                                           const std::string& default_template) {
    if (Status valid = checkAppliances(config); !valid) {
        return valid.error();
    }
    auto impl = std::make_unique<Impl>();
    Impl* raw = impl.get();
    CoreContext& context = impl->context;
    context.config = config;
    context.default_template = default_template;
    auto store = CoreStore::open(database_path, [raw](db::Id last) {
        if (raw->core) {
            emit raw->core->eventsAppended(last);
        }
    });
    if (!store) {
        return store.error();
    }
    context.store = std::move(*store);
    for (const ApplianceConfig& appliance : config.appliances) {
        db::Id id = 0;
        std::optional<db::TimeMs> lost_at;
        Status recorded = context.store->commit([&](db::Database& database, auto&) -> Status {
            auto upserted = db::ApplianceRepository(database).upsert(
                db::DBAppliance{0, appliance.name, appliance.uri, appliance.reserve_memory_mib,
                                appliance.reserve_vcpus, appliance.cpu_overcommit});
            if (!upserted) {
                return upserted.error();
            }
            id = *upserted;
            auto lost = db::ApplianceLossRepository(database).lostAt(id);
            if (!lost) {
                return lost.error();
            }
            lost_at = *lost;
            return Done{};
        });
        if (!recorded) {
            return recorded.error();
        }
        auto slot = std::make_unique<ApplianceSlot>();
        slot->config = appliance;
        slot->id = id;
        slot->lost = lost_at.has_value();
        slot->worker = std::make_unique<ApplianceWorker>("appliance " + appliance.name);
        slot->boot_timeout = config.policy.boot_timeout;
        slot->template_path =
            appliance.domain_template.empty() ? default_template : appliance.domain_template;
        auto loaded = hypervisor::loadDomainTemplate(slot->template_path);
        if (loaded) {
            slot->domain_template = std::move(*loaded);
        } else {
            qCWarning(lcCore, "%s: %s", appliance.name.c_str(), loaded.error().describe().c_str());
        }
        context.appliances.push_back(std::move(slot));
    }
    impl->inventory_worker = std::make_unique<ApplianceWorker>("inventory");
    std::unique_ptr<ApplianceCore> core(new ApplianceCore(std::move(impl)));
    std::vector<QFuture<Status>> connecting;
    for (const auto& slot : raw->context.appliances) {
        ApplianceSlot* target = slot.get();
        connecting.push_back(target->exclusive([raw, target]() -> Status {
            raw->supervisor.connect(*target);
            return Done{};
        }));
    }
    awaitFirstConnections(*raw, connecting);
    resumeEvacuations(*raw);
    return core;
}

const CoreConfig& ApplianceCore::config() const {
    return impl_->context.config;
}

Status ApplianceCore::setPolicy(const CorePolicy& policy, std::chrono::milliseconds patience) {
    // A barrier: each parked worker counts itself and waits for the release.
    struct Barrier {
        std::mutex mutex;
        std::condition_variable changed;
        std::size_t parked = 0;
        bool released = false;
    };
    auto barrier = std::make_shared<Barrier>();
    const auto park = [barrier]() -> Status {
        std::unique_lock lock(barrier->mutex);
        ++barrier->parked;
        barrier->changed.notify_all();
        barrier->changed.wait(lock, [&] { return barrier->released; });
        return Done{};
    };
    const auto release = [barrier] {
        const std::lock_guard lock(barrier->mutex);
        barrier->released = true;
        barrier->changed.notify_all();
    };
    const auto deadline = std::chrono::steady_clock::now() + patience;
    const auto parkedAll = [&](std::size_t count) {
        std::unique_lock lock(barrier->mutex);
        return barrier->changed.wait_until(lock, deadline,
                                           [&] { return barrier->parked >= count; });
    };
    std::vector<QFuture<Status>> parked;
    parked.push_back(impl_->inventory_worker->submit(park));
    bool all = parkedAll(1);
    if (all) {
        for (const auto& slot : impl_->context.appliances) {
            parked.push_back(slot->exclusive(park));
        }
        all = parkedAll(parked.size());
    }
    if (all) {
        CorePolicy& current = impl_->context.config.policy;
        current.target_risk = policy.target_risk;
        current.admission = policy.admission;
        current.contention = policy.contention;
        current.restore_preempted = policy.restore_preempted;
    }
    // Workers not parked yet go through at once when their turn comes.
    release();
    if (!all) {
        return Error{"busy",
                     "the policy was not changed: the core's workers were still busy after " +
                         std::to_string(patience.count()) +
                         " ms (an appliance's libvirt connection may hang); try again",
                     "policy"};
    }
    for (QFuture<Status>& future : parked) {
        future.waitForFinished();
    }
    return Done{};
}

std::string ApplianceCore::databasePath() const {
    return impl_->context.store->path();
}

hypervisor::LibvirtHypervisor* ApplianceCore::hypervisorForTest(
    const std::string& appliance) const {
    ApplianceSlot* found = impl_->context.slot(appliance);
    if (!found) {
        return nullptr;
    }
    const std::lock_guard lock(found->mutex);
    return dynamic_cast<hypervisor::LibvirtHypervisor*>(found->hypervisor.get());
}

QFuture<Result<RegistrationOutcome>> ApplianceCore::registerClusters(RegistrationRequest request,
                                                                     Actor actor) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit(
        [impl, request = std::move(request), actor = std::move(actor)] {
            return impl->registrar.registerClusters(request, actor);
        });
}

QFuture<Result<ChangeOutcome>> ApplianceCore::changeCluster(std::string cluster,
                                                            ClusterChange change, Actor actor) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit(
        [impl, cluster = std::move(cluster), change, actor = std::move(actor)] {
            return impl->changes.changeCluster(cluster, change, actor);
        });
}

QFuture<Status> ApplianceCore::removeCluster(std::string cluster, Actor actor) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit(
        [impl, cluster = std::move(cluster), actor = std::move(actor)] {
            return impl->changes.removeCluster(cluster, actor);
        });
}

QFuture<Status> ApplianceCore::rotateToken(std::string cluster, std::string token_hash,
                                           Actor actor) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit([impl, cluster = std::move(cluster),
                                           token_hash = std::move(token_hash),
                                           actor = std::move(actor)] {
        return impl->changes.rotateToken(cluster, token_hash, actor);
    });
}

QFuture<Status> ApplianceCore::convertSaltedToken(std::string cluster, std::string salted_hash,
                                                  std::string digest) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit([impl, cluster = std::move(cluster),
                                           salted_hash = std::move(salted_hash),
                                           digest = std::move(digest)] {
        return impl->changes.convertSaltedToken(cluster, salted_hash, digest);
    });
}

QFuture<Result<ChangeOutcome>> ApplianceCore::createGroup(sizing::GroupSpec group) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit(
        [impl, group = std::move(group)] { return impl->changes.createGroup(group); });
}

QFuture<Result<ChangeOutcome>> ApplianceCore::changeGroup(std::string group, GroupChange change,
                                                          Actor actor) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit(
        [impl, group = std::move(group), change, actor = std::move(actor)] {
            return impl->changes.changeGroup(group, change, actor);
        });
}

QFuture<Status> ApplianceCore::removeGroup(std::string group) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit(
        [impl, group = std::move(group)] { return impl->changes.removeGroup(group); });
}

QFuture<Result<db::Id>> ApplianceCore::appendEvents(std::vector<db::DBEvent> events) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit(
        [impl, events = std::move(events)] { return impl->context.store->appendEvents(events); });
}

QFuture<Result<bool>> ApplianceCore::recordProbeResult(std::string cluster, db::TimeMs time,
                                                       bool ok, std::string output,
                                                       std::vector<db::DBEvent> events) {
    // Straight to the commit queue: a probe touches no appliance, so it waits for no worker.
    auto promise = std::make_shared<QPromise<Result<bool>>>();
    QFuture<Result<bool>> future = promise->future();
    promise->start();
    auto stored = std::make_shared<bool>(false);
    impl_->context.store->commitAsync(
        [cluster = std::move(cluster), time, ok, output = std::move(output),
         events = std::move(events),
         stored](db::Database& database, std::vector<db::DBEvent>& out) -> Status {
            // A batch with a failing change runs its changes again: start from scratch.
            *stored = false;
            auto found = db::ClusterRepository(database).byName(cluster);
            if (!found) {
                return found.error();
            }
            if (*found) {
                auto recorded = db::ProbeResultRepository(database).record(
                    db::DBProbeResult{0, (*found)->id, time, ok, output});
                if (!recorded) {
                    return recorded.error();
                }
                *stored = true;
            }
            out.insert(out.end(), events.begin(), events.end());
            return Done{};
        },
        [promise, stored](Result<db::Id> committed) {
            promise->addResult(committed ? Result<bool>(*stored) : Result<bool>(committed.error()));
            promise->finish();
        });
    return future;
}

QFuture<Status> ApplianceCore::recordHeadroom(std::vector<HeadroomSample> samples) {
    auto promise = std::make_shared<QPromise<Status>>();
    QFuture<Status> future = promise->future();
    promise->start();
    impl_->context.store->commitAsync(
        [samples = std::move(samples)](db::Database& database,
                                       std::vector<db::DBEvent>&) -> Status {
            std::vector<db::DBHeadroomSample> known;
            for (const HeadroomSample& one : samples) {
                auto appliance = db::ApplianceRepository(database).byName(one.appliance);
                if (!appliance) {
                    return appliance.error();
                }
                if (*appliance) {
                    known.push_back(one.sample);
                    known.back().applianceId = (*appliance)->id;
                }
            }
            return db::HeadroomHistory(database).record(known);
        },
        [promise](Result<db::Id> committed) {
            promise->addResult(committed ? Status(Done{}) : Status(committed.error()));
            promise->finish();
        });
    return future;
}

QFuture<Result<TakeoverOutcome>> ApplianceCore::takeover(std::string node, Actor actor) {
    auto owner = impl_->reachableOwner(node);
    if (!owner) {
        return readyFuture(Result<TakeoverOutcome>(owner.error()));
    }
    return impl_->operations.takeover(**owner, node, actor);
}

QFuture<Status> ApplianceCore::release(std::string node, Actor actor) {
    Impl* impl = impl_.get();
    return impl->onOwner<Status>(node, [impl, node, actor](ApplianceSlot& slot) {
        return impl->operations.release(slot, node, actor);
    });
}

QFuture<Result<PowerState>> ApplianceCore::power(std::string node, PowerAction action,
                                                 Actor actor) {
    Impl* impl = impl_.get();
    auto owner = impl->views.ownerOf(node);
    if (!owner) {
        return readyFuture(Result<PowerState>(owner.error()));
    }
    ApplianceSlot* slot = *owner;
    if (slot->isLost()) {
        return impl->power.powerOnLostAppliance(*slot, node, action, actor);
    }
    if (Status usable = slot->requireConnected(); !usable) {
        return readyFuture(Result<PowerState>(usable.error()));
    }
    return slot->exclusive([impl, slot, node = std::move(node), action, actor = std::move(actor)] {
        return impl->power.power(*slot, node, action, actor);
    });
}

QFuture<Result<LossOutcome>> ApplianceCore::declareLost(std::string appliance, LossCause cause) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit(
        [impl, appliance = std::move(appliance), cause = std::move(cause)] {
            return impl->loss.declareLost(appliance, cause);
        });
}

QFuture<Result<RejoinOutcome>> ApplianceCore::rejoin(std::string appliance, Actor actor) {
    Impl* impl = impl_.get();
    return impl->inventory_worker->submit(
        [impl, appliance = std::move(appliance), actor = std::move(actor)] {
            return impl->loss.rejoin(appliance, actor);
        });
}

QFuture<Status> ApplianceCore::reconcile(std::string appliance) {
    Impl* impl = impl_.get();
    if (!appliance.empty()) {
        ApplianceSlot* slot = impl->context.slot(appliance);
        if (!slot) {
            return readyFuture(Status(notFound("appliance", appliance)));
        }
        return slot->exclusive([impl, slot] { return impl->supervisor.reconcile(*slot); });
    }
    return impl->inventory_worker->submit([impl]() -> Status {
        std::vector<QFuture<Status>> running;
        for (const auto& slot : impl->context.appliances) {
            ApplianceSlot* target = slot.get();
            running.push_back(
                target->exclusive([impl, target] { return impl->supervisor.reconcile(*target); }));
        }
        std::optional<Error> failure;
        for (QFuture<Status>& future : running) {
            Status done = future.result();
            if (!done && !failure) {
                failure = done.error();
            }
        }
        return failure ? Status(*failure) : Status(Done{});
    });
}

Result<std::vector<ApplianceStatus>> ApplianceCore::appliances() const {
    return impl_->views.appliances();
}

std::vector<ApplianceLink> ApplianceCore::applianceLinks() const {
    std::vector<ApplianceLink> links;
    for (const auto& slot : impl_->context.appliances) {
        const std::lock_guard lock(slot->mutex);
        ApplianceLink link{slot->config.name,
                           slot->lost        ? ApplianceState::lost
                           : slot->connected ? ApplianceState::connected
                                             : ApplianceState::unreachable,
                           std::nullopt};
        if (slot->unreachable_since != 0) {
            link.unreachable_since = slot->unreachable_since;
        }
        links.push_back(std::move(link));
    }
    return links;
}

Result<std::vector<ClusterStatus>> ApplianceCore::clusters() const {
    return impl_->views.clusters();
}

Result<std::vector<NodeStatus>> ApplianceCore::nodes() const {
    return impl_->views.nodes();
}

Result<NodeStatus> ApplianceCore::node(const std::string& name) const {
    return impl_->views.node(name);
}

Result<std::vector<sizing::GroupSpec>> ApplianceCore::groups() const {
    return impl_->views.groups();
}

Result<Readiness> ApplianceCore::readiness(const std::string& node) const {
    return impl_->views.readiness(node);
}

Result<WhatIfOutcome> ApplianceCore::whatIf(const WhatIfRequest& request) const {
    return impl_->views.whatIf(request);
}

Result<sizing::SizingResult> ApplianceCore::liveSizing() const {
    auto outcome = impl_->views.whatIf(WhatIfRequest{});
    if (!outcome) {
        return outcome.error();
    }
    return std::move(outcome->sizing);
}

Result<db::Id> ApplianceCore::lastEventId() const {
    return impl_->views.lastEventId();
}

}  // namespace understudy::core

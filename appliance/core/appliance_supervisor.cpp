#include "appliance/core/appliance_supervisor.h"

#include <QLoggingCategory>
#include <QUuid>

#include <algorithm>
#include <set>

#include "appliance/core/core_support.h"
#include "appliance/core/node_inventory.h"
#include "appliance/core/reconciler.h"
#include "db/node_repository.h"

namespace understudy::core {

namespace {

Q_LOGGING_CATEGORY(lcSupervisor, "understudy.appliance")

using nlohmann::json;

// Work in the books that no process is doing: reconciliation runs on the appliance's worker only
// once nothing is in flight there, so a node still `taking-over` (or `releasing`) was reserved
// by a process that died (SIGKILL, power loss) before it answered, or whose rollback could not
// be recorded.
//
// Such a reservation is rolled back to the standby footprint, even when libvirt shows the
// active footprint fully applied, rather than confirmed: its caller never heard a grant, so its
// agent either asks again (and is then decided on today's capacity, which an idempotent
// takeover answers in well under a second) or has given up; the decision was taken against
// reservations of other takeovers of the dead process that are themselves being rolled back;
// and a grant nobody holds would keep capacity from every other node until someone released
// it. What libvirt showed is kept in the takeover.denied event (`found`, `grown`).
bool unanswered(db::NodeState state) {
    return state == db::NodeState::TakingOver || state == db::NodeState::Releasing;
}

// A node's rows to change in the books, and the event that records why.
struct NodeChange {
    const NodeRow* row = nullptr;
    db::NodeState next = db::NodeState::Standby;
    bool close_grant = false;
    std::optional<std::string> uuid;
    db::DBEvent recorded;
};

// What one pass over an appliance's nodes found.
struct NodesVerdict {
    std::vector<NodeChange> changes;
    std::map<std::string, sizing::Footprint> current;  // what each running domain holds
    bool rolled_back = false;                          // see unanswered()
};

// What running domains that are not ours hold. An orphan carries our metadata but has no row
// (its row was lost, or it belongs to a database this service does not use). It is reported,
// never touched: redefining, adopting or stopping it could run a passive node twice. What it
// holds is not available to passive nodes, so it counts as foreign load like any domain we do
// not own.
sizing::Footprint foreignLoad(ApplianceSlot& slot,
                              const std::vector<hypervisor::DomainInfo>& domains,
                              const ApplianceInventory& inventory) {
    std::set<std::string> ours;
    for (const NodeRow& row : inventory.rows) {
        ours.insert(row.node.domain);
    }
    std::set<std::string> registering;
    {
        const std::lock_guard lock(slot.mutex);
        registering = slot.registering;
    }
    sizing::Footprint foreign;
    std::set<std::string> orphans;
    for (const hypervisor::DomainInfo& info : domains) {
        if (ours.count(info.name) != 0 || registering.count(info.name) != 0) {
            continue;
        }
        if (info.owned) {
            orphans.insert(info.name);
            if (slot.reported_orphans.count(info.name) == 0) {
                qCWarning(lcSupervisor,
                          "%s: domain %s carries Understudy's metadata (node '%s' of cluster "
                          "'%s') but no node of this service's database uses it; it is left as "
                          "it is and counted as foreign load: adopt it by registering its "
                          "cluster with `domain` set, or remove its metadata or the domain",
                          slot.config.name.c_str(), info.name.c_str(),
                          info.metadata ? info.metadata->node.c_str() : "?",
                          info.metadata ? info.metadata->cluster.c_str() : "?");
            }
        }
        if (info.active()) {
            foreign.memory_mib += info.memoryMib();
            foreign.vcpus += info.vcpus;
        }
    }
    slot.reported_orphans = std::move(orphans);
    return foreign;
}

void recordHostFigures(ApplianceSlot& slot, const hypervisor::HostCapacity& host,
                       const sizing::Footprint& foreign) {
    const std::lock_guard lock(slot.mutex);
    slot.usable.memory_mib = host.memory_mib - slot.config.reserve_memory_mib;
    slot.usable.vcpus = static_cast<std::int64_t>(
        static_cast<double>(host.cpus - slot.config.reserve_vcpus) * slot.config.cpu_overcommit);
    slot.foreign = foreign;
}

// Defines a missing domain again from the template and starts it when its node should run;
// false (with a warning) when that fails.
bool recreateMissing(ApplianceSlot& slot, hypervisor::NodeLifecycle& lifecycle, const NodeRow& row,
                     NodesVerdict& verdict) {
    const db::NodeState state = row.node.state;
    const std::string uuid =
        row.node.uuid.value_or(QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString());
    auto defined = slot.defineFromTemplate(row.node.domain, uuid, row.metadata());
    const bool runs = expectsRunning(state) || state == db::NodeState::Missing;
    const db::NodeState next =
        state == db::NodeState::Missing || state == db::NodeState::Drifted || unanswered(state)
            ? db::NodeState::Standby
            : state;
    const sizing::Footprint live =
        next == db::NodeState::Standby ? row.spec().effectiveStandby() : row.expectedLive();
    Status started = defined ? Status(Done{}) : Status(defined.error());
    if (started && runs) {
        started = lifecycle.startAt(row.node.domain, live, row.cluster.active.vcpus);
    }
    if (!started) {
        qCWarning(lcSupervisor, "%s: cannot re-define missing domain %s: %s",
                  slot.config.name.c_str(), row.node.domain.c_str(),
                  started.error().describe().c_str());
        return false;
    }
    qCInfo(lcSupervisor, "%s: re-defined missing domain %s of node %s at %s",
           slot.config.name.c_str(), row.node.domain.c_str(), row.node.name.c_str(),
           runs ? "its footprint" : "rest");
    if (runs) {
        verdict.current[row.node.domain] = live;
    }
    verdict.changes.push_back({&row, next, false, defined ? std::optional(*defined) : std::nullopt,
                               makeEvent("node.recreated", row.cluster.name, row.node.name,
                                         {{"appliance", slot.config.name},
                                          {"domain", row.node.domain},
                                          {"was", std::string(db::nodeStateName(state))},
                                          {"running", runs},
                                          {"footprint", footprintJson(live)}},
                                         Actor{})});
    return true;
}

// A node whose domain libvirt does not list: defined again when the config says so, else
// missing.
void judgeMissing(ApplianceSlot& slot, hypervisor::NodeLifecycle& lifecycle, const NodeRow& row,
                  NodesVerdict& verdict) {
    if (slot.config.recreate_missing && recreateMissing(slot, lifecycle, row, verdict)) {
        return;
    }
    const db::NodeState state = row.node.state;
    if (state != db::NodeState::Missing) {
        verdict.changes.push_back({&row, db::NodeState::Missing, row.grant.has_value(),
                                   std::nullopt,
                                   makeEvent("node.missing", row.cluster.name, row.node.name,
                                             {{"appliance", slot.config.name},
                                              {"domain", row.node.domain},
                                              {"was", std::string(db::nodeStateName(state))}},
                                             Actor{})});
    }
}

// Shrinks an unanswered reservation's domain back to the standby footprint, whatever libvirt
// shows of it; answers what the domain held before, when it could be read.
std::optional<hypervisor::LiveFootprint> shrinkUnanswered(ApplianceSlot& slot,
                                                          hypervisor::NodeLifecycle& lifecycle,
                                                          const NodeRow& row,
                                                          const hypervisor::DomainInfo& info) {
    std::optional<hypervisor::LiveFootprint> found;
    if (auto live = lifecycle.live(info)) {
        found = *live;
    }
    const sizing::ClusterSpec spec = row.spec();
    Status shrunk = lifecycle.apply(row.node.domain, spec.effectiveStandby(), spec.active.vcpus);
    if (!shrunk) {
        qCWarning(lcSupervisor, "%s: cannot shrink %s back to standby: %s",
                  slot.config.name.c_str(), row.node.name.c_str(),
                  shrunk.error().describe().c_str());
    }
    return found;
}

NodeChange rolledBack(const ApplianceSlot& slot, const NodeRow& row,
                      const std::optional<hypervisor::LiveFootprint>& found) {
    const db::NodeState state = row.node.state;
    const sizing::Footprint standby = row.spec().effectiveStandby();
    const bool grown =
        found && (found->memory_mib > standby.memory_mib || found->vcpus > standby.vcpus);
    json details = {{"appliance", slot.config.name},
                    {"domain", row.node.domain},
                    {"was", std::string(db::nodeStateName(state))},
                    {"rolled_back", true},
                    {"grown", grown},
                    {"reason",
                     "the service stopped before it answered this request; its reservation "
                     "was rolled back to the standby footprint: ask again"}};
    if (found) {
        details["found"] = footprintJson({found->vcpus, found->memory_mib});
    }
    return {&row, db::NodeState::Standby, row.grant.has_value(), std::nullopt,
            makeEvent(state == db::NodeState::TakingOver ? "takeover.denied" : "release",
                      row.cluster.name, row.node.name, details, Actor{})};
}

// A drifted node that has come back (no differences) goes back to standby; a node that drifts
// gives up its grant.
NodeChange drifted(const ApplianceSlot& slot, const NodeRow& row,
                   const std::vector<std::string>& differing) {
    const bool resolved = differing.empty();
    return {&row, resolved ? db::NodeState::Standby : db::NodeState::Drifted,
            !resolved && row.grant.has_value(), std::nullopt,
            makeEvent("node.drifted", row.cluster.name, row.node.name,
                      {{"appliance", slot.config.name},
                       {"domain", row.node.domain},
                       {"was", std::string(db::nodeStateName(row.node.state))},
                       {"resolved", resolved},
                       {"differences", resolved ? json::array() : json(differing)}},
                      Actor{})};
}

// A node whose domain libvirt lists, compared with what the books expect of it.
Status judgePresent(ApplianceSlot& slot, hypervisor::NodeLifecycle& lifecycle, const NodeRow& row,
                    hypervisor::DomainInfo info, NodesVerdict& verdict) {
    const db::NodeState state = row.node.state;
    std::optional<hypervisor::LiveFootprint> found_live;
    if (unanswered(state) && info.active()) {
        found_live = shrinkUnanswered(slot, lifecycle, row, info);
        if (auto now = slot.hypervisor->domainInfo(row.node.domain)) {
            info = *now;
        }
    }
    ObservedDomain observed{info, std::nullopt};
    if (info.active()) {
        auto live = lifecycle.live(info);
        if (!live) {
            return live.error();
        }
        observed.live = *live;
        verdict.current[row.node.domain] = sizing::Footprint{live->vcpus, live->memory_mib};
    }
    const bool unsettled = state == db::NodeState::Missing || state == db::NodeState::Drifted;
    const bool as_standby = unsettled || unanswered(state);
    ExpectedDomain expected{as_standby ? db::NodeState::Standby : state, row.metadata(),
                            as_standby ? row.spec().effectiveStandby() : row.expectedLive()};
    const std::vector<std::string> differing = differences(expected, observed);
    if (unanswered(state) && differing.empty()) {
        verdict.rolled_back = true;
        verdict.changes.push_back(rolledBack(slot, row, found_live));
    } else if ((unsettled && differing.empty()) ||  // it has come back
               (!differing.empty() && state != db::NodeState::Drifted)) {
        verdict.changes.push_back(drifted(slot, row, differing));
    }
    return Done{};
}

Result<NodesVerdict> judgeNodes(ApplianceSlot& slot, hypervisor::NodeLifecycle& lifecycle,
                                const std::vector<hypervisor::DomainInfo>& domains,
                                const ApplianceInventory& inventory) {
    std::map<std::string, const hypervisor::DomainInfo*> by_name;
    for (const hypervisor::DomainInfo& info : domains) {
        by_name[info.name] = &info;
    }
    NodesVerdict verdict;
    for (const NodeRow& row : inventory.rows) {
        auto found = by_name.find(row.node.domain);
        if (found == by_name.end()) {
            judgeMissing(slot, lifecycle, row, verdict);
            continue;
        }
        if (Status judged = judgePresent(slot, lifecycle, row, *found->second, verdict); !judged) {
            return judged.error();
        }
    }
    return verdict;
}

// The domains of the nodes that are drifted once the changes are made: a balloon change may
// settle them.
std::set<std::string> driftedDomains(const ApplianceInventory& inventory,
                                     const std::vector<NodeChange>& changes) {
    std::set<std::string> drifted;
    for (const NodeRow& row : inventory.rows) {
        auto change =
            std::find_if(changes.begin(), changes.end(),
                         [&](const NodeChange& candidate) { return candidate.row == &row; });
        if ((change != changes.end() ? change->next : row.node.state) == db::NodeState::Drifted) {
            drifted.insert(row.node.domain);
        }
    }
    return drifted;
}

Status commitNodeChanges(CoreStore& store, const std::vector<NodeChange>& changes) {
    return store.commit([&](db::Database& database, auto& events) -> Status {
        const db::TimeMs now = db::nowMs();
        for (const NodeChange& change : changes) {
            if (change.close_grant) {
                Status closed =
                    closeGrant(database, change.row->node.id, change.row->cluster.id, now);
                if (!closed) {
                    return closed;
                }
            }
            if (change.uuid && change.uuid != change.row->node.uuid) {
                db::DBNode updated = change.row->node;
                updated.uuid = change.uuid;
                Status rewritten = db::NodeRepository(database).update(updated);
                if (!rewritten) {
                    return rewritten;
                }
            }
            if (Status moved = moveNode(database, change.row->node.id, change.next, now); !moved) {
                return moved;
            }
            events.push_back(change.recorded);
        }
        return Done{};
    });
}

Result<std::unique_ptr<hypervisor::Hypervisor>> openHypervisor(const CoreConfig& config,
                                                               const ApplianceConfig& appliance) {
    if (config.open_hypervisor) {
        return config.open_hypervisor(appliance);
    }
    auto real = hypervisor::LibvirtHypervisor::open(appliance.uri);
    if (!real) {
        return real.error();
    }
    return std::unique_ptr<hypervisor::Hypervisor>(std::move(*real));
}

}  // namespace

void ApplianceSupervisor::scheduleReconcile(ApplianceSlot& slot) {
    if (slot.reconcile_queued.exchange(true)) {
        return;
    }
    const bool queued = slot.postExclusive([this, &slot] {
        Status reconciled = reconcile(slot);
        if (!reconciled) {
            qCWarning(lcSupervisor, "%s: reconciliation failed: %s", slot.config.name.c_str(),
                      reconciled.error().describe().c_str());
        }
    });
    if (!queued) {
        slot.reconcile_queued = false;
    }
}

void ApplianceSupervisor::attachHandlers(ApplianceSlot& slot) {
    slot.hypervisor->setEventHandlers(
        [this, &slot](const hypervisor::DomainEvent& change) {
            // Balloon changes follow our own takeovers and releases, unless they settle a
            // drifted node; lifecycle events may be someone else's hand on a domain.
            bool awaited = false;
            if (change.type == hypervisor::DomainEventType::balloon_changed) {
                const std::lock_guard lock(slot.mutex);
                awaited = slot.unsettled.count(change.domain) != 0;
            }
            if (change.type != hypervisor::DomainEventType::balloon_changed || awaited) {
                scheduleReconcile(slot);
            }
        },
        [this, &slot](const hypervisor::ConnectionEvent& change) {
            if (change.state != hypervisor::ConnectionState::connected) {
                // Known at once, not once the worker is free: a call that hangs on the dead
                // transport may hold it, and requests about the appliance's nodes must stop
                // queuing behind that call now.
                if (slot.noteConnection(false, change.reason)) {
                    recordConnection(slot, false,
                                     {{"appliance", slot.config.name},
                                      {"uri", slot.config.uri},
                                      {"reason", change.reason}});
                }
                return;
            }
            slot.postExclusive([this, &slot, change] { onConnectionEvent(slot, change); });
        });
}

void ApplianceSupervisor::onConnectionEvent(ApplianceSlot& slot,
                                            const hypervisor::ConnectionEvent& change) {
    // Handled late (the worker was busy), it may be about a connection that has died again.
    if ((slot.hypervisor && !slot.hypervisor->connected()) || !slot.noteConnection(true, {})) {
        return;
    }
    recordConnection(slot, true,
                     {{"appliance", slot.config.name},
                      {"uri", slot.config.uri},
                      {"failed_attempts", change.failed_attempts}});
    Status reconciled = reconcile(slot);
    if (!reconciled) {
        qCWarning(lcSupervisor, "%s: reconciliation after reconnecting failed: %s",
                  slot.config.name.c_str(), reconciled.error().describe().c_str());
    }
}

void ApplianceSupervisor::recordConnection(ApplianceSlot& slot, bool now_connected,
                                           const json& details) {
    std::vector<db::DBEvent> events{
        makeEvent(now_connected ? "hypervisor.connected" : "hypervisor.disconnected", std::nullopt,
                  std::nullopt, details, Actor{})};
    bool lost = false;
    {
        const std::lock_guard lock(slot.mutex);
        lost = slot.lost;
    }
    // A lost appliance's state stays `lost` whatever its connection does, until it rejoins.
    if (!lost) {
        events.push_back(makeEvent(now_connected ? "appliance.reachable" : "appliance.unreachable",
                                   std::nullopt, std::nullopt, details, Actor{}));
    }
    if (Status logged = context_.store->commitEvents(events); !logged) {
        qCWarning(lcSupervisor, "%s: cannot record %s: %s", slot.config.name.c_str(),
                  events.front().kind.c_str(), logged.error().describe().c_str());
    }
}

void ApplianceSupervisor::noteFirstConnectionPending(ApplianceSlot& slot) {
    const std::string reason = "no answer yet to the first connection";
    {
        // The worker sets the hypervisor and reads unreachable_since under this lock: either it
        // has connected, or it will see the appliance unreachable and record the reconnection.
        const std::lock_guard lock(slot.mutex);
        if (slot.hypervisor || slot.unreachable_since != 0) {
            return;
        }
        slot.unreachable_since = db::nowMs();
        slot.last_error = reason;
    }
    recordConnection(
        slot, false,
        {{"appliance", slot.config.name}, {"uri", slot.config.uri}, {"reason", reason}});
}

void ApplianceSupervisor::connect(ApplianceSlot& slot) {
    auto opened = openHypervisor(context_.config, slot.config);
    if (!opened) {
        bool first = false;
        {
            const std::lock_guard lock(slot.mutex);
            first = slot.unreachable_since == 0;
        }
        slot.noteConnection(false, opened.error().message);
        qCWarning(lcSupervisor, "%s: cannot connect to %s: %s; retrying in %lld ms",
                  slot.config.name.c_str(), slot.config.uri.c_str(), opened.error().message.c_str(),
                  static_cast<long long>(context_.config.policy.connect_retry.count()));
        if (first) {
            recordConnection(slot, false,
                             {{"appliance", slot.config.name},
                              {"uri", slot.config.uri},
                              {"reason", opened.error().message}});
        }
        slot.postExclusiveAfter(context_.config.policy.connect_retry,
                                [this, &slot] { connect(slot); });
        return;
    }
    bool retried = false;
    {
        const std::lock_guard lock(slot.mutex);
        slot.hypervisor = std::move(*opened);
        retried = slot.unreachable_since != 0;
    }
    auto scheduler = slot.hypervisor->supportsSchedulerCap();
    slot.cpu_method = scheduler && *scheduler ? hypervisor::CpuCapMethod::scheduler_quota
                                              : hypervisor::CpuCapMethod::live_vcpus;
    attachHandlers(slot);
    slot.noteConnection(true, {});
    if (retried) {
        recordConnection(
            slot, true,
            {{"appliance", slot.config.name}, {"uri", slot.config.uri}, {"failed_attempts", 1}});
    }
    Status reconciled = reconcile(slot);
    if (!reconciled) {
        qCWarning(lcSupervisor, "%s: first reconciliation failed: %s", slot.config.name.c_str(),
                  reconciled.error().describe().c_str());
    }
}

Result<ApplianceSupervisor::Reconciliation> ApplianceSupervisor::reconcileWithLibvirt(
    ApplianceSlot& slot) {
    slot.reconcile_queued = false;
    if (!slot.hypervisor || !slot.hypervisor->connected()) {
        return Reconciliation{};
    }
    auto host = slot.hypervisor->hostCapacity();
    if (!host) {
        return host.error();
    }
    auto domains = slot.hypervisor->listDomains();
    if (!domains) {
        return domains.error();
    }
    auto inventory = context_.store->read(
        [&](db::Database& database) { return ApplianceInventory::load(database, slot.id); });
    if (!inventory) {
        return inventory.error();
    }
    hypervisor::NodeLifecycle lifecycle = slot.lifecycle(context_.confirmTimeout());
    recordHostFigures(slot, *host, foreignLoad(slot, *domains, *inventory));
    auto verdict = judgeNodes(slot, lifecycle, *domains, *inventory);
    if (!verdict) {
        return verdict.error();
    }
    std::set<std::string> unsettled = driftedDomains(*inventory, verdict->changes);
    {
        const std::lock_guard lock(slot.mutex);
        slot.current = std::move(verdict->current);
        slot.unsettled = std::move(unsettled);
    }
    const Reconciliation reconciled{verdict->rolled_back};
    if (verdict->changes.empty()) {
        return reconciled;
    }
    slot.model_stale = true;
    for (const NodeChange& change : verdict->changes) {
        qCWarning(lcSupervisor, "%s: node %s: %s %s", slot.config.name.c_str(),
                  change.row->node.name.c_str(), change.recorded.kind.c_str(),
                  change.recorded.details.c_str());
    }
    if (Status committed = commitNodeChanges(*context_.store, verdict->changes); !committed) {
        return committed.error();
    }
    return reconciled;
}

Status ApplianceSupervisor::reconcile(ApplianceSlot& slot) {
    {
        // Its books are no longer about that host: what it still holds is stale, and only a
        // rejoin touches it.
        const std::lock_guard lock(slot.mutex);
        if (slot.lost) {
            slot.reconcile_queued = false;
            return Done{};
        }
    }
    const Result<Reconciliation> reconciled = reconcileWithLibvirt(slot);
    // Rebuilt here, with nothing in flight, so that the next decision finds it ready.
    if (Status refreshed = slot.refreshModel(*context_.store); !refreshed && reconciled) {
        return refreshed;
    }
    if (!reconciled) {
        return reconciled.error();
    }
    // A rolled-back takeover may have preempted nodes before it died: they come back now.
    if (reconciled->rolled_back && restore_) {
        restore_(slot);
    }
    return Done{};
}

}  // namespace understudy::core

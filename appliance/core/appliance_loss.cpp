#include "appliance/core/appliance_loss.h"

#include <QLoggingCategory>
#include <QUuid>

#include <algorithm>
#include <map>
#include <set>

#include "appliance/core/core_support.h"
#include "appliance/core/node_inventory.h"
#include "base/error_codes.h"
#include "db/appliance_loss_repository.h"
#include "db/cluster_repository.h"
#include "db/node_repository.h"
#include "sizing/engine.h"

namespace understudy::core {

namespace {

Q_LOGGING_CATEGORY(lcLoss, "understudy.appliance")

using nlohmann::json;

// One node of the lost appliance and where it is to go.
struct Move {
    const NodeRow* row = nullptr;
    ApplianceSlot* to = nullptr;
    std::string reason;  // why it is stranded, when `to` is null
    std::string uuid;    // of the copy made on `to`
};

// The books as the evacuation starts: every appliance's inventory and view.
struct LossBooks {
    std::vector<ApplianceInventory> inventories;  // in the order of the context's appliances
    std::map<std::string, sizing::GroupSpec> groups;
    std::map<ApplianceSlot*, policy::ApplianceView> views;
};

Result<LossBooks> readLossBooks(const CoreContext& context) {
    return context.store->read([&](db::Database& database) -> Result<LossBooks> {
        LossBooks books;
        auto inventories = loadInventories(database, context.appliances);
        auto groups = knownGroups(database);
        if (!inventories || !groups) {
            return !inventories ? inventories.error() : groups.error();
        }
        books.inventories = std::move(*inventories);
        books.groups = std::move(groups->specs);
        for (std::size_t i = 0; i < context.appliances.size(); ++i) {
            ApplianceSlot* slot = context.appliances[i].get();
            books.views[slot] = makeView(*slot, books.inventories[i]);
        }
        return books;
    });
}

// What the appliance can hold for passive nodes, as the sizing engine's appliance: its usable
// capacity less foreign load (vCPUs already times its overcommit, so the fleet's ratio is 1).
sizing::ApplianceSpec capacitySpec(const policy::ApplianceView& view) {
    return sizing::ApplianceSpec{view.name, view.usable.vcpus - view.foreign.vcpus,
                                 view.usable.memory_mib - view.foreign.memory_mib, 0, 0};
}

// The N+1 plan's target of each of the lost appliance's nodes, by node name: the survivors keep
// their nodes and receive the lost one's as the sizing engine re-places them.
std::map<std::string, ApplianceSlot*> plannedTargets(const std::vector<ApplianceSlot*>& survivors,
                                                     const LossBooks& books, ApplianceSlot& lost) {
    sizing::Fleet fleet;
    fleet.cpu_overcommit = 1.0;
    std::vector<std::vector<std::size_t>> placement;
    std::vector<std::string> node_names;
    std::vector<ApplianceSlot*> order = survivors;
    order.push_back(&lost);
    for (ApplianceSlot* slot : order) {
        const policy::ApplianceView& view = books.views.at(slot);
        fleet.appliances.push_back(capacitySpec(view));
        placement.emplace_back();
        for (const policy::NodeView& node : view.nodes) {
            placement.back().push_back(fleet.clusters.size());
            fleet.clusters.push_back(node.spec);
            node_names.push_back(node.name);
        }
    }
    for (const auto& [name, group] : books.groups) {
        fleet.groups.push_back(group);
    }
    const auto received = sizing::placeAfterLoss(fleet, placement, order.size() - 1);
    std::map<std::string, ApplianceSlot*> targets;
    for (std::size_t a = 0; a < survivors.size(); ++a) {
        for (const std::size_t i : received[a]) {
            targets[node_names[i]] = survivors[a];
        }
    }
    return targets;
}

// Whether `node` may go on `target` now: its standby footprint must fit what is free, and the
// change must pass admission there. Answers the view with the node added, or why not.
Result<policy::ApplianceView> admitOn(const CoreContext& context, const LossBooks& books,
                                      ApplianceSlot* target, const NodeRow& row) {
    const policy::ApplianceView& before = books.views.at(target);
    policy::ApplianceView after = before;
    policy::NodeView added = newNodeView(row.node.name, row.spec());
    after.nodes.push_back(added);
    ensureGroup(after, row.group, books.groups);
    const policy::Headroom room = policy::computeHeadroom(after);
    if (room.free.memory_mib < 0 || room.free.vcpus < 0) {
        const sizing::Footprint standby = row.spec().effectiveStandby();
        return Error{errc::kConflict,
                     "appliance '" + target->config.name + "' has no room for its standby " +
                         "footprint (" + std::to_string(standby.vcpus) + " vCPUs, " +
                         std::to_string(standby.memory_mib) + " MiB)",
                     target->config.name};
    }
    const policy::AdmissionDecision decision = policy::decideAdmission(
        before, after, context.config.policy.target_risk, context.config.policy.admission);
    if (!decision.accepted) {
        return Error{
            "admission_refused",
            "admission refused on appliance '" + target->config.name + "': " + decision.reason,
            target->config.name};
    }
    return after;
}

// The copies of the lost appliance's nodes that survivors already hold (our metadata naming one
// of them), left by an evacuation a restart or a failed commit interrupted.
std::map<std::string, ApplianceSlot*> findCopies(const std::vector<ApplianceSlot*>& survivors,
                                                 const ApplianceInventory& lost_inventory) {
    std::set<std::string> names;
    for (const NodeRow& row : lost_inventory.rows) {
        names.insert(row.node.name);
    }
    std::map<std::string, ApplianceSlot*> copies;
    for (ApplianceSlot* survivor : survivors) {
        auto domains = survivor
                           ->exclusive([survivor]() -> Result<std::vector<hypervisor::DomainInfo>> {
                               if (Status connected = survivor->requireConnected(); !connected) {
                                   return connected.error();
                               }
                               return survivor->hypervisor->listDomains();
                           })
                           .result();
        if (!domains) {
            continue;
        }
        for (const hypervisor::DomainInfo& info : *domains) {
            if (info.owned && info.metadata && names.count(info.metadata->node) != 0) {
                copies[info.metadata->node] = survivor;
            }
        }
    }
    return copies;
}

// Each node's target: where a copy of it already runs, else the plan's target first, then the
// other survivors in the configuration's order; a node no survivor admits is stranded with the
// plan's target's reason, and so is an adopted node. Highest priority first, so the room left
// goes to the nodes that matter most.
std::vector<Move> chooseTargets(const CoreContext& context, LossBooks& books,
                                const std::vector<ApplianceSlot*>& survivors,
                                const ApplianceInventory& lost_inventory,
                                const std::map<std::string, ApplianceSlot*>& planned,
                                const std::map<std::string, ApplianceSlot*>& copies) {
    std::vector<const NodeRow*> rows;
    for (const NodeRow& row : lost_inventory.rows) {
        rows.push_back(&row);
    }
    std::stable_sort(rows.begin(), rows.end(), [](const NodeRow* a, const NodeRow* b) {
        if (a->cluster.priority != b->cluster.priority) {
            return a->cluster.priority > b->cluster.priority;
        }
        return a->node.name < b->node.name;
    });
    std::vector<Move> moves;
    for (const NodeRow* row : rows) {
        Move move{row, nullptr, "no surviving appliance is connected", {}};
        if (!row->node.definedByService) {
            move.reason =
                "its domain was adopted: its definition and disks are the administrator's, not "
                "the template's; define it on a survivor and register its cluster again with "
                "`domain`";
            moves.push_back(std::move(move));
            continue;
        }
        // A copy an interrupted evacuation left on a survivor is the node's: it stays there,
        // so that no second copy is started elsewhere.
        if (auto copy = copies.find(row->node.name); copy != copies.end()) {
            auto admitted = admitOn(context, books, copy->second, *row);
            if (admitted) {
                books.views[copy->second] = std::move(*admitted);
            }
            move.to = copy->second;
            moves.push_back(std::move(move));
            continue;
        }
        std::vector<ApplianceSlot*> candidates = survivors;
        auto first = planned.find(row->node.name);
        if (first != planned.end()) {
            std::stable_partition(candidates.begin(), candidates.end(),
                                  [&](ApplianceSlot* slot) { return slot == first->second; });
        }
        bool reason_kept = false;
        for (ApplianceSlot* candidate : candidates) {
            auto admitted = admitOn(context, books, candidate, *row);
            if (admitted) {
                books.views[candidate] = std::move(*admitted);
                move.to = candidate;
                break;
            }
            if (!reason_kept) {
                move.reason = admitted.error().message;
                reason_kept = true;
            }
        }
        moves.push_back(std::move(move));
    }
    return moves;
}

// Whether the node's copy should run: a node its cluster had fenced or stopped stays off.
bool runsAfterMove(db::NodeState state) {
    return state != db::NodeState::Fenced && state != db::NodeState::Stopped;
}

// Destroys and undefines a copy that cannot be kept: a copy left running but undefined would
// run as a transient domain the books do not name.
void dropCopy(ApplianceSlot& target, const std::string& domain) {
    // Destroyed whether or not it looks running: what made it fail may be reading its state.
    if (Status destroyed = target.hypervisor->destroy(domain); !destroyed) {
        qCInfo(lcLoss, "%s: the copy %s was not stopped: %s", target.config.name.c_str(),
               domain.c_str(), destroyed.error().describe().c_str());
    }
    if (Status undone = target.hypervisor->undefineDomain(domain); !undone) {
        qCWarning(lcLoss, "%s: cannot undefine the copy %s: %s", target.config.name.c_str(),
                  domain.c_str(), undone.error().describe().c_str());
    }
    const std::lock_guard lock(target.mutex);
    target.current.erase(domain);
}

// On the target's worker, with nothing in flight there: the node's standby footprint must still
// fit beside what the target holds now, takeovers decided since the books were read included,
// and is held in the target's model from here on, so that the takeovers decided before the
// evacuation's commit (which rebuilds the model from the books) leave it its room.
Status holdRoom(const CoreContext& context, ApplianceSlot& target, const NodeRow& row) {
    if (Status fresh = target.refreshModel(*context.store); !fresh) {
        return fresh;
    }
    NodeRow held = row;
    held.node.applianceId = target.id;
    held.node.state = db::NodeState::Standby;
    held.grant.reset();
    ApplianceInventory trial = target.model;
    trial.rows.push_back(held);
    if (runsAfterMove(row.node.state)) {
        const policy::Headroom room = policy::computeHeadroom(makeView(target, trial));
        if (room.free.memory_mib < 0 || room.free.vcpus < 0) {
            return Error{errc::kConflict,
                         "appliance '" + target.config.name +
                             "' has no room left for its standby footprint beside the takeovers "
                             "granted there meanwhile",
                         target.config.name};
        }
    }
    target.model = std::move(trial);
    return Done{};
}

// On the target's worker: the node's copy defined from the target's template (or a copy an
// earlier, interrupted evacuation left there, made persistent again) and started at the standby
// footprint unless its cluster had it off.
Status makeCopy(const CoreContext& context, ApplianceSlot& target, Move& move) {
    if (Status connected = target.requireConnected(); !connected) {
        return connected;
    }
    const NodeRow& row = *move.row;
    const std::string& domain = row.node.domain;
    const sizing::ClusterSpec spec = row.spec();
    if (Status room = holdRoom(context, target, row); !room) {
        return room;
    }
    auto existing = target.hypervisor->domainInfo(domain);
    if (existing &&
        (!existing->owned || !existing->metadata || existing->metadata->node != row.node.name)) {
        return Error{errc::kConflict,
                     "appliance '" + target.config.name + "' already has a domain named '" +
                         domain + "' that is not this node's",
                     target.config.name};
    }
    if (!existing || !existing->persistent) {
        move.uuid = existing
                        ? existing->uuid
                        : row.node.uuid.value_or(
                              QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString());
        auto defined = target.defineFromTemplate(domain, move.uuid, row.metadata());
        if (!defined) {
            return defined.error();
        }
        move.uuid = *defined;
    } else {
        move.uuid = existing->uuid;
    }
    hypervisor::NodeLifecycle lifecycle = target.lifecycle(context.confirmTimeout());
    if (runsAfterMove(row.node.state) && (!existing || !existing->active())) {
        if (Status started = lifecycle.startAt(domain, spec.effectiveStandby(), spec.active.vcpus);
            !started) {
            dropCopy(target, domain);
            return started;
        }
    }
    target.remember(domain, context.confirmTimeout());
    return Done{};
}

// Makes the copies, the targets side by side; a copy that fails strands its node.
void makeCopies(const CoreContext& context, std::vector<Move>& moves) {
    std::map<ApplianceSlot*, std::vector<Move*>> by_target;
    for (Move& move : moves) {
        if (move.to) {
            by_target[move.to].push_back(&move);
        }
    }
    std::vector<QFuture<Status>> running;
    for (auto& [target, batch] : by_target) {
        ApplianceSlot* slot = target;
        std::vector<Move*> mine = batch;
        running.push_back(slot->exclusive([&context, slot, mine]() -> Status {
            for (Move* move : mine) {
                if (Status made = makeCopy(context, *slot, *move); !made) {
                    qCWarning(lcLoss, "%s: cannot start node %s here: %s",
                              slot->config.name.c_str(), move->row->node.name.c_str(),
                              made.error().describe().c_str());
                    move->reason = "appliance '" + slot->config.name +
                                   "' could not start it: " + made.error().message;
                    move->to = nullptr;
                }
            }
            return Done{};
        }));
    }
    for (QFuture<Status>& future : running) {
        future.waitForFinished();
    }
}

Status closeOpenGrant(db::Database& database, const NodeRow& row, db::TimeMs now) {
    return row.grant ? closeGrant(database, row.node.id, row.cluster.id, now) : Status(Done{});
}

Status recordEvacuated(db::Database& database, const ApplianceSlot& lost, const Move& move,
                       db::TimeMs now, const Actor& actor, std::vector<db::DBEvent>& events) {
    const NodeRow& row = *move.row;
    // Whatever the node held on the lost appliance is gone with it.
    if (Status closed = closeOpenGrant(database, row, now); !closed) {
        return closed;
    }
    db::DBNode node = row.node;
    node.applianceId = move.to->id;
    node.uuid = move.uuid;
    node.definedByService = true;
    node.state = runsAfterMove(row.node.state) ? db::NodeState::Standby : row.node.state;
    node.since = now;
    db::DBCluster cluster = row.cluster;
    cluster.applianceId = move.to->id;
    if (Status updated = db::NodeRepository(database).update(node); !updated) {
        return updated;
    }
    if (Status updated = db::ClusterRepository(database).update(cluster); !updated) {
        return updated;
    }
    if (Status kept = db::ApplianceLossRepository(database).addStaleDomain(
            lost.id, db::StaleDomain{row.node.domain, row.node.name, now});
        !kept) {
        return kept;
    }
    events.push_back(makeEvent("node.evacuated", row.cluster.name, row.node.name,
                               {{"from", lost.config.name},
                                {"to", move.to->config.name},
                                {"domain", row.node.domain},
                                {"was", std::string(db::nodeStateName(row.node.state))}},
                               actor));
    return Done{};
}

Status recordStranded(db::Database& database, const ApplianceSlot& lost, const Move& move,
                      db::TimeMs now, const Actor& actor, std::vector<db::DBEvent>& events) {
    const NodeRow& row = *move.row;
    // Whatever the node held on the lost appliance is gone with it.
    if (Status closed = closeOpenGrant(database, row, now); !closed) {
        return closed;
    }
    // A node its cluster has fenced (or stopped) meanwhile keeps that state: it must stay off.
    if (runsAfterMove(row.node.state)) {
        if (Status moved = moveNode(database, row.node.id, db::NodeState::Missing, now); !moved) {
            return moved;
        }
    }
    events.push_back(makeEvent("node.stranded", row.cluster.name, row.node.name,
                               {{"appliance", lost.config.name}, {"reason", move.reason}}, actor));
    return Done{};
}

// The survivors' copies are undone when the books cannot record them: no copy runs that the
// books do not name.
void undoCopies(const std::vector<Move>& moves) {
    for (const Move& move : moves) {
        if (!move.to) {
            continue;
        }
        ApplianceSlot* slot = move.to;
        const std::string domain = move.row->node.domain;
        slot->exclusive([slot, domain]() -> Status {
                dropCopy(*slot, domain);
                return Done{};
            })
            .waitForFinished();
    }
}

void setLost(ApplianceSlot& slot, bool lost) {
    const std::lock_guard lock(slot.mutex);
    slot.lost = lost;
    if (lost) {
        slot.current.clear();
    }
}

// Checked and marked at once, so that a reconnection in between cannot let its worker reconcile
// or grant on a host that is being declared off; marked before the commit, so that a view
// refreshed by its events never shows it otherwise. Answers whether it was lost already.
Result<bool> markUnreachableLost(ApplianceSlot& slot) {
    const std::lock_guard lock(slot.mutex);
    if (slot.connected && slot.hypervisor) {
        return Error{errc::kConflict,
                     "the service still reaches appliance '" + slot.config.name + "'" +
                         (slot.lost ? ": it is back, and its stranded nodes may be running "
                                      "there; return it to the pool with rejoin"
                                    : ": it is not known to be off, and its nodes may be "
                                      "running; declare it lost once it is off and the "
                                      "service has seen it unreachable"),
                     slot.lost ? "lost" : "connected"};
    }
    const bool was_lost = slot.lost;
    slot.lost = true;
    slot.current.clear();
    return was_lost;
}

Status markLost(CoreContext& context, ApplianceSlot& slot, const LossCause& cause,
                std::size_t nodes) {
    std::vector<db::DBEvent> recorded;
    recorded.push_back(
        makeEvent("appliance.lost", std::nullopt, std::nullopt,
                  {{"appliance", slot.config.name},
                   {"by", cause.fenced_by_service ? "fence_command" : "confirmed_down"},
                   {"nodes", nodes}},
                  cause.actor));
    Status committed = context.store->commit([&](db::Database& database, auto& events) -> Status {
        if (Status marked = db::ApplianceLossRepository(database).markLost(slot.id, db::nowMs());
            !marked) {
            return marked;
        }
        events.insert(events.end(), recorded.begin(), recorded.end());
        return Done{};
    });
    if (!committed) {
        setLost(slot, false);
    }
    return committed;
}

}  // namespace

Result<LossOutcome> ApplianceLoss::declareLost(const std::string& appliance,
                                               const LossCause& cause) {
    ApplianceSlot* lost = context_.slot(appliance);
    if (!lost) {
        return notFound("appliance", appliance);
    }
    auto was_lost = markUnreachableLost(*lost);
    if (!was_lost) {
        return was_lost.error();
    }
    const bool already_lost = *was_lost;
    auto books = readLossBooks(context_);
    if (!books) {
        setLost(*lost, already_lost);
        return books.error();
    }
    const std::size_t index = static_cast<std::size_t>(
        std::find_if(context_.appliances.begin(), context_.appliances.end(),
                     [&](const auto& slot) { return slot.get() == lost; }) -
        context_.appliances.begin());
    const ApplianceInventory& lost_inventory = books->inventories[index];
    if (!already_lost) {
        if (Status marked = markLost(context_, *lost, cause, lost_inventory.rows.size()); !marked) {
            return marked.error();
        }
        qCWarning(lcLoss, "%s: declared lost (%s); evacuating its %zu node(s)", appliance.c_str(),
                  cause.fenced_by_service ? "fenced by its fence_command" : "confirmed down",
                  lost_inventory.rows.size());
    }
    std::vector<ApplianceSlot*> survivors;
    for (const auto& slot : context_.appliances) {
        if (slot.get() != lost && slot->usableNow()) {
            survivors.push_back(slot.get());
        }
    }
    const auto planned = plannedTargets(survivors, *books, *lost);
    std::vector<Move> moves = chooseTargets(context_, *books, survivors, lost_inventory, planned,
                                            findCopies(survivors, lost_inventory));
    // The copies carry our metadata before the books name them on their survivor: not orphans
    // (nor foreign load) to a reconciliation meanwhile.
    for (const Move& move : moves) {
        if (move.to) {
            const std::lock_guard lock(move.to->mutex);
            move.to->registering.insert(move.row->node.domain);
        }
    }
    makeCopies(context_, moves);
    Status committed = context_.store->commit([&](db::Database& database, auto& events) -> Status {
        const db::TimeMs now = db::nowMs();
        for (const Move& move : moves) {
            Status recorded = move.to
                                  ? recordEvacuated(database, *lost, move, now, cause.actor, events)
                                  : recordStranded(database, *lost, move, now, cause.actor, events);
            if (!recorded) {
                return recorded;
            }
        }
        return Done{};
    });
    context_.markModelsStale();
    if (!committed) {
        undoCopies(moves);
    }
    std::set<ApplianceSlot*> targets;
    for (const Move& move : moves) {
        if (move.to) {
            const std::lock_guard lock(move.to->mutex);
            move.to->registering.erase(move.row->node.domain);
            targets.insert(move.to);
        }
    }
    for (ApplianceSlot* target : targets) {
        supervisor_.scheduleReconcile(*target);
    }
    if (!committed) {
        return committed.error();
    }
    LossOutcome outcome{appliance, {}, {}};
    for (const Move& move : moves) {
        if (move.to) {
            outcome.evacuated.push_back(
                {move.row->node.name, move.row->cluster.name, move.to->config.name});
        } else {
            outcome.stranded.push_back({move.row->node.name, move.row->cluster.name, move.reason});
        }
    }
    return outcome;
}

namespace {

// On the rejoining appliance's worker: destroys and undefines every copy of a node the books now
// place elsewhere, recorded at evacuation or recognised by its metadata.
Result<std::vector<std::string>> removeStaleCopies(ApplianceSlot& slot,
                                                   const std::set<std::string>& recorded,
                                                   const std::map<std::string, db::Id>& owners) {
    if (!slot.reachable()) {
        return unavailable(slot.config.name, {});
    }
    auto domains = slot.hypervisor->listDomains();
    if (!domains) {
        return domains.error();
    }
    std::vector<std::string> removed;
    for (const hypervisor::DomainInfo& info : *domains) {
        bool stale = recorded.count(info.name) != 0;
        if (!stale && info.owned && info.metadata) {
            auto owner = owners.find(info.metadata->node);
            stale = owner != owners.end() && owner->second != slot.id;
        }
        if (!stale) {
            continue;
        }
        if (info.active()) {
            if (Status destroyed = slot.hypervisor->destroy(info.name); !destroyed) {
                return destroyed.error();
            }
        }
        if (Status undefined = slot.hypervisor->undefineDomain(info.name); !undefined) {
            return undefined.error();
        }
        qCInfo(lcLoss, "%s: removed the stale copy %s", slot.config.name.c_str(),
               info.name.c_str());
        removed.push_back(info.name);
    }
    return removed;
}

}  // namespace

Result<RejoinOutcome> ApplianceLoss::rejoin(const std::string& appliance, const Actor& actor) {
    ApplianceSlot* slot = context_.slot(appliance);
    if (!slot) {
        return notFound("appliance", appliance);
    }
    bool lost = false;
    {
        const std::lock_guard lock(slot->mutex);
        lost = slot->lost;
    }
    if (!lost) {
        return Error{errc::kConflict, "appliance '" + appliance + "' is not lost",
                     slot->reachable() ? "connected" : "unreachable"};
    }
    if (!slot->reachable()) {
        return Error{errc::kConflict,
                     "appliance '" + appliance +
                         "' is not reachable: power it on and wait until the service reconnects",
                     "lost"};
    }
    struct Known {
        std::set<std::string> recorded;
        std::map<std::string, db::Id> owners;
    };
    auto known = context_.store->read([&](db::Database& database) -> Result<Known> {
        auto stale = db::ApplianceLossRepository(database).staleDomains(slot->id);
        auto nodes = db::NodeRepository(database).list();
        if (!stale || !nodes) {
            return !stale ? stale.error() : nodes.error();
        }
        Known made;
        for (const db::StaleDomain& domain : *stale) {
            made.recorded.insert(domain.domain);
        }
        for (const db::DBNode& node : *nodes) {
            made.owners[node.name] = node.applianceId;
        }
        return made;
    });
    if (!known) {
        return known.error();
    }
    auto removed = slot->exclusive([slot, &known]() {
                           return removeStaleCopies(*slot, known->recorded, known->owners);
                       })
                       .result();
    if (!removed) {
        return removed.error();
    }
    setLost(*slot, false);
    Status committed = context_.store->commit([&](db::Database& database, auto& events) -> Status {
        if (Status cleared = db::ApplianceLossRepository(database).clearLost(slot->id); !cleared) {
            return cleared;
        }
        events.push_back(makeEvent("appliance.rejoined", std::nullopt, std::nullopt,
                                   {{"appliance", appliance}, {"removed", *removed}}, actor));
        return Done{};
    });
    if (!committed) {
        setLost(*slot, true);
        return committed.error();
    }
    context_.markModelsStale();
    supervisor_.scheduleReconcile(*slot);
    return RejoinOutcome{appliance, std::move(*removed)};
}

}  // namespace understudy::core

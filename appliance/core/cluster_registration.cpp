#include "appliance/core/cluster_registration.h"

#include <QScopeGuard>

#include <algorithm>
#include <set>

#include "appliance/core/admission_run.h"
#include "appliance/core/core_support.h"
#include "appliance/core/node_inventory.h"
#include "base/error_codes.h"
#include "db/cluster_repository.h"
#include "db/group_repository.h"
#include "db/node_repository.h"
#include "sizing/fleet_file.h"

namespace understudy::core {

Result<RegistrationOutcome> ClusterRegistrar::registerClusters(const RegistrationRequest& request) {
    if (request.clusters.empty() && request.groups.empty()) {
        return Error{errc::kInvalidField, "the request registers no cluster; add one", "clusters"};
    }
    struct Known {
        std::map<std::string, sizing::GroupSpec> groups;
        std::map<std::string, db::Id> group_ids;
        std::set<std::string> clusters;
        std::set<std::string> nodes;
        std::map<ApplianceSlot*, policy::ApplianceView> views;
    };
    auto known = context_.store->read([&](db::Database& database) -> Result<Known> {
        Known made;
        auto groups = knownGroups(database);
        auto clusters = db::ClusterRepository(database).list();
        auto nodes = db::NodeRepository(database).list();
        auto inventories = loadInventories(database, context_.appliances);
        if (!groups || !clusters || !nodes || !inventories) {
            return !groups     ? groups.error()
                   : !clusters ? clusters.error()
                   : !nodes    ? nodes.error()
                               : inventories.error();
        }
        made.groups = std::move(groups->specs);
        made.group_ids = std::move(groups->ids);
        for (const db::DBCluster& cluster : *clusters) {
            made.clusters.insert(cluster.name);
        }
        for (const db::DBNode& node : *nodes) {
            made.nodes.insert(node.name);
        }
        for (std::size_t i = 0; i < context_.appliances.size(); ++i) {
            made.views[context_.appliances[i].get()] =
                makeView(*context_.appliances[i], (*inventories)[i]);
        }
        return made;
    });
    if (!known) {
        return known.error();
    }
    std::set<std::string> new_groups;
    for (std::size_t i = 0; i < request.groups.size(); ++i) {
        const sizing::GroupSpec& group = request.groups[i];
        const std::string path = "groups[" + std::to_string(i) + "].";
        if (auto problem = sizing::nameProblem(group.name)) {
            return Error{errc::kInvalidField, "group '" + group.name + "': " + *problem,
                         path + "name"};
        }
        if (Status valid = checkGroupTimes(group.name, group.mtbf_hours, group.mttr_hours,
                                           path + "mtbf_hours");
            !valid) {
            return valid.error();
        }
        if (known->groups.count(group.name) != 0 || !new_groups.insert(group.name).second) {
            return Error{errc::kConflict, "a group named '" + group.name + "' already exists",
                         path + "name"};
        }
        known->groups[group.name] = group;
    }

    // Validate and place, cluster by cluster, on the views as they fill up.
    std::map<ApplianceSlot*, policy::ApplianceView> after = known->views;
    std::vector<ApplianceSlot*> placed;
    std::vector<std::string> node_names;
    std::vector<std::string> cluster_names;
    std::set<std::string> taken_clusters = known->clusters;
    std::set<std::string> taken_nodes = known->nodes;
    for (std::size_t i = 0; i < request.clusters.size(); ++i) {
        const ClusterRegistration& cluster = request.clusters[i];
        const std::string path = "clusters[" + std::to_string(i) + "].";
        if (Status valid = checkSpec(cluster.spec, path); !valid) {
            return valid.error();
        }
        if (!taken_clusters.insert(cluster.spec.name).second) {
            return Error{errc::kConflict,
                         "a cluster named '" + cluster.spec.name + "' already exists",
                         path + "name"};
        }
        const std::string node =
            cluster.node.empty() ? cluster.spec.name + "-passive" : cluster.node;
        if (auto problem = sizing::nameProblem(node)) {
            return Error{errc::kInvalidField, "node '" + node + "': " + *problem, path + "node"};
        }
        if (!taken_nodes.insert(node).second) {
            return Error{errc::kConflict, "a node named '" + node + "' already exists",
                         path + "node"};
        }
        if (!cluster.spec.group.empty() && known->groups.count(cluster.spec.group) == 0) {
            return Error{errc::kInvalidField, "there is no group '" + cluster.spec.group + "'",
                         path + "group"};
        }
        ApplianceSlot* target = nullptr;
        if (!cluster.appliance.empty()) {
            target = context_.slot(cluster.appliance);
            if (!target) {
                return Error{errc::kInvalidField,
                             "there is no appliance '" + cluster.appliance + "' in the config",
                             path + "appliance"};
            }
            if (!target->usableNow()) {
                return unavailable(target->config.name, {});
            }
        } else {
            double best = 2.0;
            for (const auto& candidate : context_.appliances) {
                if (!candidate->usableNow()) {
                    continue;
                }
                policy::ApplianceView trial = after[candidate.get()];
                trial.nodes.push_back(newNodeView(node, cluster.spec));
                ensureGroup(trial, cluster.spec.group, known->groups);
                const double risk =
                    worstRisk(policy::liveOverflowRisk(trial, context_.config.policy.target_risk));
                if (risk < best) {
                    best = risk;
                    target = candidate.get();
                }
            }
            if (!target) {
                return unavailable("(any)", "no appliance is connected");
            }
        }
        after[target].nodes.push_back(newNodeView(node, cluster.spec));
        ensureGroup(after[target], cluster.spec.group, known->groups);
        placed.push_back(target);
        node_names.push_back(node);
        cluster_names.push_back(cluster.spec.name);
    }

    std::vector<ViewChange> changes;
    for (const auto& slot_ptr : context_.appliances) {
        ApplianceSlot* concerned = slot_ptr.get();
        if (std::find(placed.begin(), placed.end(), concerned) != placed.end()) {
            changes.push_back({concerned, known->views[concerned], after[concerned]});
        }
    }
    AdmissionRun admission = runAdmission(changes, cluster_names, context_.config.policy, false);
    if (!admission.accepted) {
        Status logged = context_.store->commitEvents(admission.refusals);
        if (!logged) {
            return logged.error();
        }
        return RegistrationOutcome{false, admission.admissions, {}, {}};
    }

    // Domains carrying our metadata before their rows are committed: not orphans (see
    // ApplianceSlot::registering), until this registration has committed or undone them.
    for (std::size_t i = 0; i < request.clusters.size(); ++i) {
        const std::lock_guard lock(placed[i]->mutex);
        placed[i]->registering.insert(
            request.clusters[i].domain.empty() ? node_names[i] : request.clusters[i].domain);
    }
    const auto registered = qScopeGuard([&] {
        for (std::size_t i = 0; i < request.clusters.size(); ++i) {
            const std::lock_guard lock(placed[i]->mutex);
            placed[i]->registering.erase(
                request.clusters[i].domain.empty() ? node_names[i] : request.clusters[i].domain);
        }
    });

    // Define or adopt, then start at standby, on each appliance's worker.
    std::vector<std::pair<ApplianceSlot*,
                          QFuture<Result<std::vector<std::pair<std::size_t, ProvisionedNode>>>>>>
        batches;
    for (const ViewChange& change : changes) {
        ApplianceSlot* concerned = change.slot;
        std::vector<std::size_t> indices;
        for (std::size_t i = 0; i < placed.size(); ++i) {
            if (placed[i] == concerned) {
                indices.push_back(i);
            }
        }
        batches.emplace_back(
            concerned,
            concerned->exclusive(
                [this, concerned, indices, &request,
                 &node_names]() -> Result<std::vector<std::pair<std::size_t, ProvisionedNode>>> {
                    std::vector<std::pair<std::size_t, ProvisionedNode>> done;
                    for (std::size_t i : indices) {
                        auto made =
                            provisioner_.provision(*concerned, request.clusters[i], node_names[i],
                                                   "clusters[" + std::to_string(i) + "].");
                        if (!made) {
                            for (const auto& [index, provisioned] : done) {
                                provisioner_.unprovision(*concerned, provisioned);
                            }
                            return made.error();
                        }
                        done.emplace_back(i, std::move(*made));
                    }
                    return done;
                }));
    }
    std::vector<std::pair<ApplianceSlot*, std::vector<std::pair<std::size_t, ProvisionedNode>>>>
        provisioned;
    std::optional<Error> failure;
    for (auto& [concerned, future] : batches) {
        auto result = future.result();
        if (result) {
            provisioned.emplace_back(concerned, std::move(*result));
        } else if (!failure) {
            failure = result.error();
        }
    }
    auto undoAll = [&] {
        for (const auto& [concerned, done] : provisioned) {
            auto batch = done;
            concerned
                ->exclusive([this, concerned, batch]() -> Status {
                    for (const auto& [index, made] : batch) {
                        provisioner_.unprovision(*concerned, made);
                    }
                    return Done{};
                })
                .waitForFinished();
        }
    };
    if (failure) {
        undoAll();
        return *failure;
    }

    std::vector<std::optional<ProvisionedNode>> by_index(request.clusters.size());
    for (const auto& [concerned, done] : provisioned) {
        for (const auto& [index, made] : done) {
            by_index[index] = made;
        }
    }
    auto committed = context_.store->commit([&](db::Database& database, auto& events) -> Status {
        const db::TimeMs now = db::nowMs();
        std::map<std::string, db::Id> group_ids = known->group_ids;
        for (const sizing::GroupSpec& group : request.groups) {
            auto id = db::GroupRepository(database).insert(
                db::DBGroup{0, group.name, group.mtbf_hours, group.mttr_hours});
            if (!id) {
                return id.error();
            }
            group_ids[group.name] = *id;
        }
        for (const db::DBEvent& accepted : admission.events) {
            events.push_back(accepted);
        }
        for (std::size_t i = 0; i < request.clusters.size(); ++i) {
            const ClusterRegistration& cluster = request.clusters[i];
            const ProvisionedNode& made = *by_index[i];
            db::DBCluster row;
            row.name = cluster.spec.name;
            row.priority = cluster.spec.priority;
            row.mtbfHours = cluster.spec.mtbf_hours;
            row.mttrHours = cluster.spec.mttr_hours;
            if (!cluster.spec.group.empty()) {
                row.groupId = group_ids[cluster.spec.group];
            }
            row.standby = toDb(cluster.spec.standby);
            row.active = toDb(cluster.spec.active);
            row.memoryMode = toDb(cluster.spec.memory_mode);
            row.failureModel = cluster.failure_model;
            row.tokenHash = cluster.token_hash;
            row.applianceId = placed[i]->id;
            row.registeredAt = now;
            auto cluster_id = db::ClusterRepository(database).insert(row);
            if (!cluster_id) {
                return cluster_id.error();
            }
            db::DBNode node;
            node.name = made.node;
            node.clusterId = *cluster_id;
            node.applianceId = placed[i]->id;
            node.domain = made.domain;
            node.uuid = made.uuid.empty() ? std::nullopt : std::optional(made.uuid);
            node.definedByService = made.defined_by_service;
            node.state = db::NodeState::Standby;
            node.since = now;
            auto node_id = db::NodeRepository(database).insert(node);
            if (!node_id) {
                return node_id.error();
            }
            events.push_back(makeEvent("cluster.registered", cluster.spec.name, made.node,
                                       {{"appliance", placed[i]->config.name},
                                        {"domain", made.domain},
                                        {"adopted", !made.defined_by_service},
                                        {"priority", cluster.spec.priority},
                                        {"standby", footprintJson(cluster.spec.standby)},
                                        {"active", footprintJson(cluster.spec.active)}}));
        }
        return Done{};
    });
    if (!committed) {
        undoAll();
        return committed.error();
    }
    RegistrationOutcome outcome{true, admission.admissions, {}, admission.warnings};
    for (std::size_t i = 0; i < request.clusters.size(); ++i) {
        const ProvisionedNode& made = *by_index[i];
        outcome.clusters.push_back({made.cluster, made.node, placed[i]->config.name, made.domain,
                                    made.defined_by_service});
    }
    context_.forgetNodeDirectory();
    for (const ViewChange& change : changes) {
        change.slot->model_stale = true;
        supervisor_.scheduleReconcile(*change.slot);
    }
    return outcome;
}

}  // namespace understudy::core

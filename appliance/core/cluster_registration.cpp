#include "appliance/core/cluster_registration.h"

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

namespace {

// What the books hold when the registration starts; `groups` takes the request's new groups
// once they are checked.
struct Books {
    std::map<std::string, sizing::GroupSpec> groups;
    std::map<std::string, db::Id> group_ids;
    std::set<std::string> clusters;
    std::set<std::string> nodes;
    std::map<ApplianceSlot*, policy::ApplianceView> views;
};

// Where the request's clusters go, in the request's order, and every appliance's view once
// they are there.
struct Placement {
    std::map<ApplianceSlot*, policy::ApplianceView> after;
    std::vector<ApplianceSlot*> placed;
    std::vector<std::string> node_names;
    std::vector<std::string> cluster_names;
};

// What one appliance's worker defined or adopted, by the cluster's index in the request.
using ProvisionedBatch = std::vector<std::pair<std::size_t, ProvisionedNode>>;

struct Provisioned {
    std::vector<std::pair<ApplianceSlot*, ProvisionedBatch>> batches;  // to undo them
    std::vector<ProvisionedNode> nodes;                                // in the request's order
};

Result<Books> readBooks(const CoreContext& context) {
    return context.store->read([&](db::Database& database) -> Result<Books> {
        Books made;
        auto groups = knownGroups(database);
        auto clusters = db::ClusterRepository(database).list();
        auto nodes = db::NodeRepository(database).list();
        auto inventories = loadInventories(database, context.appliances);
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
        for (std::size_t i = 0; i < context.appliances.size(); ++i) {
            made.views[context.appliances[i].get()] =
                makeView(*context.appliances[i], (*inventories)[i]);
        }
        return made;
    });
}

Status addNewGroups(const std::vector<sizing::GroupSpec>& groups, Books& books) {
    std::set<std::string> new_groups;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        const sizing::GroupSpec& group = groups[i];
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
        if (books.groups.count(group.name) != 0 || !new_groups.insert(group.name).second) {
            return Error{errc::kConflict, "a group named '" + group.name + "' already exists",
                         path + "name"};
        }
        books.groups[group.name] = group;
    }
    return Done{};
}

// A requested cluster against the books and the clusters before it in the request (`taken`
// gains its names); answers its passive node's name.
Result<std::string> checkCluster(const ClusterRegistration& cluster, const std::string& path,
                                 const Books& books, std::set<std::string>& taken_clusters,
                                 std::set<std::string>& taken_nodes) {
    if (Status valid = checkSpec(cluster.spec, path); !valid) {
        return valid.error();
    }
    if (!taken_clusters.insert(cluster.spec.name).second) {
        return Error{errc::kConflict, "a cluster named '" + cluster.spec.name + "' already exists",
                     path + "name"};
    }
    const std::string node = cluster.node.empty() ? cluster.spec.name + "-passive" : cluster.node;
    if (auto problem = sizing::nameProblem(node)) {
        return Error{errc::kInvalidField, "node '" + node + "': " + *problem, path + "node"};
    }
    if (!taken_nodes.insert(node).second) {
        return Error{errc::kConflict, "a node named '" + node + "' already exists", path + "node"};
    }
    if (!cluster.spec.group.empty() && books.groups.count(cluster.spec.group) == 0) {
        return Error{errc::kInvalidField, "there is no group '" + cluster.spec.group + "'",
                     path + "group"};
    }
    return node;
}

// The appliance the request names, else the connected one where the worst risk with the new
// node is lowest, on the views as the clusters before it filled them.
Result<ApplianceSlot*> chooseAppliance(const CoreContext& context,
                                       const ClusterRegistration& cluster, const std::string& node,
                                       const std::string& path, const Placement& placement,
                                       const Books& books) {
    if (!cluster.appliance.empty()) {
        ApplianceSlot* named = context.slot(cluster.appliance);
        if (!named) {
            return Error{errc::kInvalidField,
                         "there is no appliance '" + cluster.appliance + "' in the config",
                         path + "appliance"};
        }
        if (!named->usableNow()) {
            return unavailable(named->config.name, {});
        }
        return named;
    }
    ApplianceSlot* target = nullptr;
    double best = 2.0;
    for (const auto& candidate : context.appliances) {
        if (!candidate->usableNow()) {
            continue;
        }
        policy::ApplianceView trial = placement.after.at(candidate.get());
        trial.nodes.push_back(newNodeView(node, cluster.spec));
        ensureGroup(trial, cluster.spec.group, books.groups);
        const double risk =
            worstRisk(policy::liveOverflowRisk(trial, context.config.policy.target_risk));
        if (risk < best) {
            best = risk;
            target = candidate.get();
        }
    }
    if (!target) {
        return unavailable("(any)", "no appliance is connected");
    }
    return target;
}

Result<Placement> placeClusters(const CoreContext& context,
                                const std::vector<ClusterRegistration>& clusters,
                                const Books& books) {
    Placement made;
    made.after = books.views;
    std::set<std::string> taken_clusters = books.clusters;
    std::set<std::string> taken_nodes = books.nodes;
    for (std::size_t i = 0; i < clusters.size(); ++i) {
        const ClusterRegistration& cluster = clusters[i];
        const std::string path = "clusters[" + std::to_string(i) + "].";
        auto node = checkCluster(cluster, path, books, taken_clusters, taken_nodes);
        if (!node) {
            return node.error();
        }
        auto target = chooseAppliance(context, cluster, *node, path, made, books);
        if (!target) {
            return target.error();
        }
        made.after[*target].nodes.push_back(newNodeView(*node, cluster.spec));
        ensureGroup(made.after[*target], cluster.spec.group, books.groups);
        made.placed.push_back(*target);
        made.node_names.push_back(*node);
        made.cluster_names.push_back(cluster.spec.name);
    }
    return made;
}

// The appliances that receive a cluster, in the config's order, before and after.
std::vector<ViewChange> concernedAppliances(const CoreContext& context, const Books& books,
                                            const Placement& placement) {
    std::vector<ViewChange> changes;
    for (const auto& slot_ptr : context.appliances) {
        ApplianceSlot* concerned = slot_ptr.get();
        if (std::find(placement.placed.begin(), placement.placed.end(), concerned) !=
            placement.placed.end()) {
            changes.push_back(
                {concerned, books.views.at(concerned), placement.after.at(concerned)});
        }
    }
    return changes;
}

// Domains carrying our metadata before their rows are committed: not orphans (see
// ApplianceSlot::registering), until this registration has committed or undone them.
class RegisteringDomains {
public:
    RegisteringDomains(const RegistrationRequest& request, const Placement& placement)
        : request_(request), placement_(placement) {
        for (std::size_t i = 0; i < request_.clusters.size(); ++i) {
            const std::lock_guard lock(placement_.placed[i]->mutex);
            placement_.placed[i]->registering.insert(domain(i));
        }
    }
    ~RegisteringDomains() {
        for (std::size_t i = 0; i < request_.clusters.size(); ++i) {
            const std::lock_guard lock(placement_.placed[i]->mutex);
            placement_.placed[i]->registering.erase(domain(i));
        }
    }
    RegisteringDomains(const RegisteringDomains&) = delete;
    RegisteringDomains& operator=(const RegisteringDomains&) = delete;

private:
    const std::string& domain(std::size_t i) const {
        return request_.clusters[i].domain.empty() ? placement_.node_names[i]
                                                   : request_.clusters[i].domain;
    }

    const RegistrationRequest& request_;
    const Placement& placement_;
};

void undoProvisioning(NodeProvisioner& provisioner,
                      const std::vector<std::pair<ApplianceSlot*, ProvisionedBatch>>& batches) {
    for (const auto& [slot, done] : batches) {
        // clang 14 (the fuzz preset) cannot capture a structured binding in a lambda.
        ApplianceSlot* concerned = slot;
        auto batch = done;
        concerned
            ->exclusive([&provisioner, concerned, batch]() -> Status {
                for (const auto& [index, made] : batch) {
                    provisioner.unprovision(*concerned, made);
                }
                return Done{};
            })
            .waitForFinished();
    }
}

// Defines or adopts each node, then starts it at standby, on its appliance's worker, the
// appliances side by side. All or nothing: a worker undoes its own batch when one of its nodes
// fails, and the batches that succeeded are undone when another failed.
Result<Provisioned> provisionNodes(NodeProvisioner& provisioner, const RegistrationRequest& request,
                                   const std::vector<ViewChange>& changes,
                                   const Placement& placement) {
    std::vector<std::pair<ApplianceSlot*, QFuture<Result<ProvisionedBatch>>>> batches;
    for (const ViewChange& change : changes) {
        ApplianceSlot* concerned = change.slot;
        std::vector<std::size_t> indices;
        for (std::size_t i = 0; i < placement.placed.size(); ++i) {
            if (placement.placed[i] == concerned) {
                indices.push_back(i);
            }
        }
        batches.emplace_back(
            concerned, concerned->exclusive([&provisioner, concerned, indices, &request,
                                             &placement]() -> Result<ProvisionedBatch> {
                ProvisionedBatch done;
                for (std::size_t i : indices) {
                    auto made = provisioner.provision(*concerned, request.clusters[i],
                                                      placement.node_names[i],
                                                      "clusters[" + std::to_string(i) + "].");
                    if (!made) {
                        for (const auto& [index, provisioned] : done) {
                            provisioner.unprovision(*concerned, provisioned);
                        }
                        return made.error();
                    }
                    done.emplace_back(i, std::move(*made));
                }
                return done;
            }));
    }
    Provisioned made;
    std::optional<Error> failure;
    for (auto& [concerned, future] : batches) {
        auto result = future.result();
        if (result) {
            made.batches.emplace_back(concerned, std::move(*result));
        } else if (!failure) {
            failure = result.error();
        }
    }
    if (failure) {
        undoProvisioning(provisioner, made.batches);
        return *failure;
    }
    made.nodes.resize(request.clusters.size());
    for (const auto& [concerned, done] : made.batches) {
        for (const auto& [index, node] : done) {
            made.nodes[index] = node;
        }
    }
    return made;
}

db::DBCluster clusterRow(const ClusterRegistration& cluster,
                         const std::map<std::string, db::Id>& group_ids, db::Id appliance,
                         db::TimeMs now) {
    db::DBCluster row;
    row.name = cluster.spec.name;
    row.priority = cluster.spec.priority;
    row.mtbfHours = cluster.spec.mtbf_hours;
    row.mttrHours = cluster.spec.mttr_hours;
    if (!cluster.spec.group.empty()) {
        row.groupId = group_ids.at(cluster.spec.group);
    }
    row.standby = toDb(cluster.spec.standby);
    row.active = toDb(cluster.spec.active);
    row.memoryMode = toDb(cluster.spec.memory_mode);
    row.failureModel = cluster.failure_model;
    row.tokenHash = cluster.token_hash;
    row.applianceId = appliance;
    row.registeredAt = now;
    return row;
}

db::DBNode nodeRow(const ProvisionedNode& made, db::Id cluster, db::Id appliance, db::TimeMs now) {
    db::DBNode node;
    node.name = made.node;
    node.clusterId = cluster;
    node.applianceId = appliance;
    node.domain = made.domain;
    node.uuid = made.uuid.empty() ? std::nullopt : std::optional(made.uuid);
    node.definedByService = made.defined_by_service;
    node.state = db::NodeState::Standby;
    node.since = now;
    return node;
}

db::DBEvent registeredEvent(const ClusterRegistration& cluster, const ProvisionedNode& made,
                            const std::string& appliance, const Actor& actor) {
    return makeEvent("cluster.registered", cluster.spec.name, made.node,
                     {{"appliance", appliance},
                      {"domain", made.domain},
                      {"adopted", !made.defined_by_service},
                      {"priority", cluster.spec.priority},
                      {"standby", footprintJson(cluster.spec.standby)},
                      {"active", footprintJson(cluster.spec.active)}},
                     actor);
}

// The new groups, the admission's events, then each cluster's and node's rows with the
// cluster's event, in one transaction.
Status commitRegistration(CoreStore& store, const RegistrationRequest& request, const Books& books,
                          const Placement& placement, const AdmissionRun& admission,
                          const Provisioned& provisioned, const Actor& actor) {
    return store.commit([&](db::Database& database, auto& events) -> Status {
        const db::TimeMs now = db::nowMs();
        std::map<std::string, db::Id> group_ids = books.group_ids;
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
            const ProvisionedNode& made = provisioned.nodes[i];
            const ApplianceSlot& appliance = *placement.placed[i];
            auto cluster_id = db::ClusterRepository(database).insert(
                clusterRow(cluster, group_ids, appliance.id, now));
            if (!cluster_id) {
                return cluster_id.error();
            }
            auto node_id =
                db::NodeRepository(database).insert(nodeRow(made, *cluster_id, appliance.id, now));
            if (!node_id) {
                return node_id.error();
            }
            events.push_back(registeredEvent(cluster, made, appliance.config.name, actor));
        }
        return Done{};
    });
}

RegistrationOutcome acceptedOutcome(const AdmissionRun& admission, const Placement& placement,
                                    const Provisioned& provisioned) {
    RegistrationOutcome outcome{true, admission.admissions, {}, admission.warnings};
    for (std::size_t i = 0; i < provisioned.nodes.size(); ++i) {
        const ProvisionedNode& made = provisioned.nodes[i];
        outcome.clusters.push_back({made.cluster, made.node, placement.placed[i]->config.name,
                                    made.domain, made.defined_by_service});
    }
    return outcome;
}

}  // namespace

Result<RegistrationOutcome> ClusterRegistrar::registerClusters(const RegistrationRequest& request,
                                                               const Actor& actor) {
    if (request.clusters.empty() && request.groups.empty()) {
        return Error{errc::kInvalidField, "the request registers no cluster; add one", "clusters"};
    }
    auto books = readBooks(context_);
    if (!books) {
        return books.error();
    }
    if (Status groups = addNewGroups(request.groups, *books); !groups) {
        return groups.error();
    }
    auto placement = placeClusters(context_, request.clusters, *books);
    if (!placement) {
        return placement.error();
    }
    const std::vector<ViewChange> changes = concernedAppliances(context_, *books, *placement);
    AdmissionRun admission =
        runAdmission(changes, placement->cluster_names, context_.config.policy, false, actor);
    if (!admission.accepted) {
        Status logged = context_.store->commitEvents(admission.refusals);
        if (!logged) {
            return logged.error();
        }
        return RegistrationOutcome{false, admission.admissions, {}, {}};
    }

    const RegisteringDomains registering(request, *placement);
    auto provisioned = provisionNodes(provisioner_, request, changes, *placement);
    if (!provisioned) {
        return provisioned.error();
    }
    Status committed = commitRegistration(*context_.store, request, *books, *placement, admission,
                                          *provisioned, actor);
    if (!committed) {
        undoProvisioning(provisioner_, provisioned->batches);
        return committed.error();
    }
    RegistrationOutcome outcome = acceptedOutcome(admission, *placement, *provisioned);
    context_.forgetNodeDirectory();
    for (const ViewChange& change : changes) {
        change.slot->model_stale = true;
        supervisor_.scheduleReconcile(*change.slot);
    }
    return outcome;
}

}  // namespace understudy::core

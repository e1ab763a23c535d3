#include "appliance/policy/denial_risk.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>

#include "appliance/policy/arbitration_detail.h"
#include "sizing/joint_risk.h"
#include "sizing/resource_analysis.h"

namespace understudy::policy {

using detail::at;

namespace {

double failsWithin(double mtbf_hours, double horizon_hours) {
    return mtbf_hours > 0 ? -std::expm1(-horizon_hours / mtbf_hours) : 1.0;
}

bool holdsGrantNow(db::NodeState state) {
    return state == db::NodeState::TakingOver || state == db::NodeState::Active ||
           state == db::NodeState::Releasing;
}

bool demandsAny(const NodeView& node) {
    const sizing::Footprint standby = node.spec.effectiveStandby();
    return std::any_of(std::begin(sizing::kResources), std::end(sizing::kResources),
                       [&](Resource r) { return node.spec.active.of(r) > standby.of(r); });
}

// A standby node every other takeover that needs room could preempt: all of them have a
// strictly higher priority. Only its standby footprint counts toward the pool, since a node
// preempted by one takeover cannot be reclaimed again by the next.
bool preemptableByAll(const NodeView& node, const std::vector<const NodeView*>& able) {
    return std::all_of(able.begin(), able.end(), [&](const NodeView* other) {
        return other == &node || !demandsAny(*other) || other->priority > node.priority;
    });
}

}  // namespace

DenialRiskModel denialRiskModel(const ApplianceView& appliance, bool usable,
                                const ArbitrationPolicy& policy, double horizon_hours) {
    DenialRiskModel model;
    const Headroom headroom = computeHeadroom(appliance);
    std::map<std::string, int> group_index;
    for (const sizing::GroupSpec& group : appliance.groups) {
        group_index.emplace(group.name, static_cast<int>(model.group_p.size()));
        model.group_p.push_back(failsWithin(group.mtbf_hours, horizon_hours));
    }
    const bool may_preempt = std::find(policy.order.begin(), policy.order.end(),
                                       ContentionStep::preempt) != policy.order.end();
    std::vector<const NodeView*> able;
    for (const NodeView& node : appliance.nodes) {
        if (usable && node.state == db::NodeState::Standby) {
            able.push_back(&node);
        }
    }
    for (const Resource resource : sizing::kResources) {
        model.pool[at(resource)] = std::max<std::int64_t>(0, headroom.free.of(resource));
    }
    for (const NodeView& node : appliance.nodes) {
        if (holdsGrantNow(node.state)) {
            continue;
        }
        DenialRiskModel::Member member;
        member.p_own = failsWithin(node.spec.mtbf_hours, horizon_hours);
        if (auto found = group_index.find(node.spec.group); found != group_index.end()) {
            member.group = found->second;
        }
        member.able = std::find(able.begin(), able.end(), &node) != able.end();
        const bool in_pool = may_preempt && member.able && preemptableByAll(node, able);
        const sizing::Footprint standby = node.spec.effectiveStandby();
        for (const Resource resource : sizing::kResources) {
            const std::int64_t active = node.spec.active.of(resource);
            const std::int64_t held = standby.of(resource);
            if (in_pool) {
                model.pool[at(resource)] += held;
            }
            member.demand[at(resource)] =
                in_pool ? std::max(active, held) : std::max<std::int64_t>(0, active - held);
        }
        model.members.push_back(member);
    }
    return model;
}

double denialRisk(const DenialRiskModel& model) {
    // A cluster that cannot take over is denied as soon as it or its group fails: the others
    // are sized with those groups off, their members failing on their own only.
    double none_unable_fails = 1;
    std::vector<bool> group_dropped(model.group_p.size(), false);
    for (const DenialRiskModel::Member& member : model.members) {
        if (!member.able) {
            none_unable_fails *= 1 - member.p_own;
            if (member.group >= 0) {
                group_dropped[static_cast<std::size_t>(member.group)] = true;
            }
        }
    }
    for (std::size_t g = 0; g < model.group_p.size(); ++g) {
        if (group_dropped[g]) {
            none_unable_fails *= 1 - model.group_p[g];
        }
    }
    std::array<sizing::ResourceModel, sizing::kResourceCount> engine;
    std::vector<int> local_group(model.group_p.size(), -1);
    for (const DenialRiskModel::Member& member : model.members) {
        if (!member.able) {
            continue;
        }
        int group = -1;
        if (member.group >= 0 && !group_dropped[static_cast<std::size_t>(member.group)]) {
            int& local = local_group[static_cast<std::size_t>(member.group)];
            if (local < 0) {
                local = static_cast<int>(engine[0].groups.size());
                for (auto& resource_model : engine) {
                    resource_model.groups.push_back(
                        {model.group_p[static_cast<std::size_t>(member.group)], {}});
                }
            }
            group = local;
        }
        for (const Resource resource : sizing::kResources) {
            sizing::ResourceModel& resource_model = engine[at(resource)];
            if (group >= 0) {
                resource_model.groups[static_cast<std::size_t>(group)].members.push_back(
                    resource_model.members.size());
            }
            resource_model.members.push_back({member.p_own, group, 0, member.demand[at(resource)]});
        }
    }
    if (engine[0].members.empty()) {
        return 1 - none_unable_fails;
    }
    std::array<double, sizing::kResourceCount> lower{};
    std::array<double, sizing::kResourceCount> upper{};
    for (const Resource resource : sizing::kResources) {
        sizing::ResourceAnalysisOptions options;
        options.capacity = model.pool[at(resource)];
        options.per_cluster = false;
        const sizing::ResourceAnalysis analysis =
            sizing::analyzeResource(engine[at(resource)], options);
        lower[at(resource)] = analysis.overflow_risk_lower;
        upper[at(resource)] = analysis.overflow_risk_upper;
    }
    const sizing::JointRisk joint =
        sizing::jointOverflowRisk({&engine[0], &engine[1]}, model.pool, lower, upper, {});
    return 1 - none_unable_fails * (1 - joint.value);
}

double DenialRiskMemo::valueFor(const DenialRiskModel& model) {
    const std::lock_guard lock(mutex_);
    if (!model_ || *model_ != model) {
        value_ = denialRisk(model);
        model_ = model;
    }
    return value_;
}

}  // namespace understudy::policy

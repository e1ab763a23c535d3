#include "gui/offline/pinned_sizing.h"

#include <algorithm>
#include <set>
#include <vector>

#include "sizing/engine.h"

namespace understudy::gui {

namespace {

sizing::Fleet subFleet(const sizing::Fleet& fleet, std::size_t appliance,
                       const std::vector<const sizing::ClusterSpec*>& clusters) {
    sizing::Fleet sub;
    sub.target_risk = fleet.target_risk;
    sub.cpu_overcommit = fleet.cpu_overcommit;
    sub.tolerate_k = fleet.tolerate_k;
    sub.appliances = {fleet.appliances[appliance]};
    std::set<std::string> used;
    for (const sizing::ClusterSpec* cluster : clusters) {
        sub.clusters.push_back(*cluster);
        used.insert(cluster->group);
    }
    for (const sizing::GroupSpec& group : fleet.groups) {
        if (used.count(group.name) != 0) {
            sub.groups.push_back(group);
        }
    }
    return sub;
}

double worstRisk(const sizing::SizingResult& result) {
    double worst = 0;
    for (const sizing::ApplianceResult& appliance : result.appliances) {
        for (const sizing::Resource resource : sizing::kResources) {
            worst = std::max(worst, appliance.figures(resource).overflow_risk);
        }
        if (!appliance.unservable.empty()) {
            worst = std::max(worst, 1.0);
        }
    }
    return worst;
}

}  // namespace

sizing::SizingResult sizePinned(const sizing::Fleet& fleet, const Placement& placement) {
    if (fleet.appliances.size() <= 1 || placement.empty()) {
        return sizing::size(fleet);
    }
    std::vector<std::vector<const sizing::ClusterSpec*>> on(fleet.appliances.size());
    std::vector<const sizing::ClusterSpec*> unplaced;
    for (const sizing::ClusterSpec& cluster : fleet.clusters) {
        const auto pinned = placement.find(cluster.name);
        const auto appliance = pinned == placement.end()
                                   ? fleet.appliances.end()
                                   : std::find_if(fleet.appliances.begin(), fleet.appliances.end(),
                                                  [&](const sizing::ApplianceSpec& spec) {
                                                      return spec.name == pinned->second;
                                                  });
        if (appliance == fleet.appliances.end()) {
            unplaced.push_back(&cluster);
        } else {
            on[static_cast<std::size_t>(appliance - fleet.appliances.begin())].push_back(&cluster);
        }
    }
    for (const sizing::ClusterSpec* cluster : unplaced) {
        std::size_t best = 0;
        double bestRisk = 2.0;
        for (std::size_t a = 0; a < on.size(); ++a) {
            std::vector<const sizing::ClusterSpec*> trial = on[a];
            trial.push_back(cluster);
            const double risk = worstRisk(sizing::size(subFleet(fleet, a, trial)));
            if (risk < bestRisk) {
                bestRisk = risk;
                best = a;
            }
        }
        on[best].push_back(cluster);
    }
    sizing::SizingResult merged;
    merged.target_risk = fleet.target_risk;
    merged.cpu_overcommit = fleet.cpu_overcommit;
    merged.baselines.tolerate_k = fleet.tolerate_k;
    for (std::size_t a = 0; a < on.size(); ++a) {
        if (on[a].empty()) {
            continue;
        }
        sizing::SizingResult sized = sizing::size(subFleet(fleet, a, on[a]));
        merged.method = sized.method;
        merged.exact = merged.exact && sized.exact;
        for (const sizing::Resource resource : sizing::kResources) {
            const auto r = static_cast<std::size_t>(resource);
            merged.baselines.no_overbooking[r] += sized.baselines.no_overbooking[r];
            merged.baselines.tolerate_k_capacity[r] += sized.baselines.tolerate_k_capacity[r];
        }
        for (sizing::ApplianceResult& appliance : sized.appliances) {
            merged.appliances.push_back(std::move(appliance));
        }
        for (std::string& warning : sized.warnings) {
            merged.warnings.push_back(fleet.appliances[a].name + ": " + warning);
        }
    }
    if (merged.appliances.empty()) {
        return sizing::size(fleet);
    }
    return merged;
}

}  // namespace understudy::gui

#include "sizing/sizing_result.h"

#include <algorithm>

namespace understudy::sizing {

std::vector<double> DemandDistribution::tailProbabilities() const {
    std::vector<double> tail(probability.size());
    double above = beyond_mass;
    for (std::size_t k = probability.size(); k-- > 0;) {
        tail[k] = std::clamp(above, 0.0, 1.0);
        above += probability[k];
    }
    return tail;
}

bool ApplianceResult::meetsTarget() const {
    return unservable.empty() &&
           std::all_of(resources.begin(), resources.end(),
                       [](const ResourceFigures& figures) { return figures.meets_target; });
}

bool SizingResult::allMeetTarget() const {
    return std::all_of(appliances.begin(), appliances.end(),
                       [](const ApplianceResult& appliance) { return appliance.meetsTarget(); });
}

}  // namespace understudy::sizing

#include "sizing/fleet.h"

#include <cmath>

namespace understudy::sizing {

const char* resourceName(Resource resource) {
    return resource == Resource::memory_mib ? "memory_mib" : "vcpus";
}

const char* memoryModeName(MemoryMode mode) {
    return mode == MemoryMode::balloon ? "balloon" : "reserved";
}

std::int64_t usableCapacity(const ApplianceSpec& appliance, double cpu_overcommit,
                            Resource resource) {
    if (resource == Resource::memory_mib) {
        return appliance.memory_mib - appliance.reserve_memory_mib;
    }
    const auto physical = static_cast<double>(appliance.vcpus - appliance.reserve_vcpus);
    return static_cast<std::int64_t>(std::floor(physical * cpu_overcommit));
}

double stationaryProbability(double mtbf_hours, double mttr_hours) {
    const double cycle = mtbf_hours + mttr_hours;
    return cycle > 0 ? mttr_hours / cycle : 0.0;
}

}  // namespace understudy::sizing

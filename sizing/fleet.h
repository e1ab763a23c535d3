// The fleet: what the sizing engine reads (understudy-size(1), FLEET FILE), as plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace understudy::sizing {

enum class Resource { memory_mib = 0, vcpus = 1 };
inline constexpr int kResourceCount = 2;
inline constexpr Resource kResources[kResourceCount] = {Resource::memory_mib, Resource::vcpus};
// The names used in every file format and in the API.
const char* resourceName(Resource resource);

struct Footprint {
    std::int64_t vcpus = 0;
    std::int64_t memory_mib = 0;

    std::int64_t of(Resource resource) const {
        return resource == Resource::memory_mib ? memory_mib : vcpus;
    }
    friend bool operator==(const Footprint&, const Footprint&) = default;
};

// balloon: standby memory is the current balloon size. reserved: the guest cannot balloon
// reliably, so its memory is held at the active size and only its CPU is overbooked.
enum class MemoryMode { balloon, reserved };
const char* memoryModeName(MemoryMode mode);

struct GroupSpec {
    std::string name;
    double mtbf_hours = 0;
    double mttr_hours = 0;
    friend bool operator==(const GroupSpec&, const GroupSpec&) = default;
};

struct ClusterSpec {
    std::string name;
    int priority = 500;
    double mtbf_hours = 0;
    double mttr_hours = 0;
    std::string group;  // empty: in no group
    Footprint standby;
    Footprint active;
    MemoryMode memory_mode = MemoryMode::balloon;

    // What the node holds while idle: with reserved memory it holds its active memory always.
    Footprint effectiveStandby() const {
        Footprint held = standby;
        if (memory_mode == MemoryMode::reserved) {
            held.memory_mib = active.memory_mib;
        }
        return held;
    }
    friend bool operator==(const ClusterSpec&, const ClusterSpec&) = default;
};

struct ApplianceSpec {
    std::string name;
    std::int64_t vcpus = 0;
    std::int64_t memory_mib = 0;
    std::int64_t reserve_vcpus = 0;
    std::int64_t reserve_memory_mib = 0;
    friend bool operator==(const ApplianceSpec&, const ApplianceSpec&) = default;
};

struct Fleet {
    double target_risk = 1e-4;
    double cpu_overcommit = 1.0;
    int tolerate_k = 1;
    std::vector<ApplianceSpec> appliances;
    std::vector<GroupSpec> groups;
    std::vector<ClusterSpec> clusters;
    friend bool operator==(const Fleet&, const Fleet&) = default;
};

// The usable capacity of an appliance per resource: memory minus its reserve;
// floor((vcpus − reserve) × overcommit) for vCPUs.
std::int64_t usableCapacity(const ApplianceSpec& appliance, double cpu_overcommit,
                            Resource resource);

// Stationary probability of being failed over: MTTR / (MTBF + MTTR); 0 when both are 0.
double stationaryProbability(double mtbf_hours, double mttr_hours);

}  // namespace understudy::sizing

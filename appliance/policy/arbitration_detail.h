// Small helpers the arbitration and admission sources share; not part of the interface.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sizing/fleet.h"

namespace understudy::policy::detail {

inline std::size_t at(sizing::Resource resource) {
    return static_cast<std::size_t>(resource);
}

inline std::int64_t& ref(sizing::Footprint& footprint, sizing::Resource resource) {
    return resource == sizing::Resource::memory_mib ? footprint.memory_mib : footprint.vcpus;
}

}  // namespace understudy::policy::detail

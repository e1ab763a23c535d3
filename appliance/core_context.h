// What every part of the appliance core shares: the configuration, the store and the
// appliances. The parts (registration, node operations, power, supervision, views) each hold a
// reference to it; the facade owns it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "appliance/appliance_slot.h"
#include "appliance/arbitration.h"
#include "appliance/core_config.h"
#include "appliance/core_store.h"

namespace understudy::appliance {

struct CoreContext {
    CoreConfig config;
    std::string default_template;
    std::unique_ptr<CoreStore> store;
    std::vector<std::unique_ptr<ApplianceSlot>> appliances;

    ArbitrationPolicy policy() const { return ArbitrationPolicy{config.policy.contention}; }
    std::chrono::milliseconds confirmTimeout() const { return config.policy.confirm_timeout; }

    // After a change made outside the appliances' own operations (inventory, groups): every
    // model is rebuilt from the books before its next decision.
    void markModelsStale() const {
        for (const auto& candidate : appliances) {
            candidate->model_stale = true;
        }
    }

    ApplianceSlot* slot(const std::string& name) const {
        for (const auto& candidate : appliances) {
            if (candidate->config.name == name) {
                return candidate.get();
            }
        }
        return nullptr;
    }
    ApplianceSlot* slot(db::Id id) const {
        for (const auto& candidate : appliances) {
            if (candidate->id == id) {
                return candidate.get();
            }
        }
        return nullptr;
    }
};

}  // namespace understudy::appliance

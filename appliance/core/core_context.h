// What every part of the appliance core shares: the configuration, the store and the
// appliances. The parts (registration, node operations, power, supervision, views) each hold a
// reference to it; the facade owns it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "appliance/core/appliance_slot.h"
#include "appliance/core/core_config.h"
#include "appliance/core/core_store.h"
#include "appliance/policy/arbitration.h"

namespace understudy::core {

struct CoreContext {
    CoreConfig config;
    std::string default_template;
    std::unique_ptr<CoreStore> store;
    std::vector<std::unique_ptr<ApplianceSlot>> appliances;

    policy::ArbitrationPolicy policy() const {
        return policy::ArbitrationPolicy{config.policy.contention};
    }
    std::chrono::milliseconds confirmTimeout() const { return config.policy.confirm_timeout; }

    // After a change made outside the appliances' own operations (inventory, groups): every
    // model is rebuilt from the books before its next decision.
    void markModelsStale() const {
        for (const auto& candidate : appliances) {
            candidate->model_stale = true;
        }
        forgetNodeDirectory();
    }

    // Which appliance each node lives on (by appliance id), so that routing a request to its
    // appliance's worker reads no database. Loaded from the books on first use and again after
    // every inventory change (registration, removal), which forgets it.
    struct NodeDirectory {
        mutable std::shared_mutex mutex;
        std::optional<std::unordered_map<std::string, db::Id>> owners;
        std::uint64_t generation = 0;  // bumped by every forget
    };
    mutable NodeDirectory node_directory;

    void forgetNodeDirectory() const {
        const std::unique_lock lock(node_directory.mutex);
        node_directory.owners.reset();
        ++node_directory.generation;
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

}  // namespace understudy::core

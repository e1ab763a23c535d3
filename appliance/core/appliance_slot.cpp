#include "appliance/core/appliance_slot.h"

#include "appliance/core/core_store.h"
#include "appliance/core/core_support.h"
#include "base/error_codes.h"

namespace understudy::core {

Error stoppingError(const std::string& appliance) {
    return Error{"service_stopping",
                 "the appliance core is shutting down; retry once the service is back",
                 "appliance " + appliance};
}

bool ApplianceSlot::postExclusive(std::function<void()> task) {
    return worker->post([this, task = std::move(task)]() mutable { gate.admit(std::move(task)); });
}

bool ApplianceSlot::postExclusiveAfter(std::chrono::milliseconds delay,
                                       std::function<void()> task) {
    return worker->postAfter(
        delay, [this, task = std::move(task)]() mutable { gate.admit(std::move(task)); });
}

bool ApplianceSlot::postPipelined(std::string node, std::function<bool()> begin) {
    return worker->post([this, node = std::move(node), begin = std::move(begin)]() mutable {
        gate.admit(std::move(node), std::move(begin));
    });
}

Status ApplianceSlot::refreshModel(CoreStore& store) {
    if (gate.quiet() && model_stale.exchange(false)) {
        auto loaded = store.read(
            [&](db::Database& database) { return ApplianceInventory::load(database, id); });
        if (!loaded) {
            model_stale = true;
            model_error = loaded.error();
        } else {
            model = std::move(*loaded);
            model_error.reset();
        }
    }
    if (model_error) {
        return *model_error;
    }
    return Done{};
}

bool ApplianceSlot::usableNow() const {
    const std::lock_guard lock(mutex);
    return connected && hypervisor != nullptr && !lost;
}

bool ApplianceSlot::reachable() const {
    const std::lock_guard lock(mutex);
    return connected && hypervisor != nullptr;
}

bool ApplianceSlot::isLost() const {
    const std::lock_guard lock(mutex);
    return lost;
}

Status ApplianceSlot::requireConnected() const {
    const std::lock_guard lock(mutex);
    if (lost) {
        return Error{errc::kHypervisorUnavailable,
                     "appliance '" + config.name +
                         "' is lost (known to be off): its nodes that found no room elsewhere "
                         "are back only once it rejoins",
                     config.name};
    }
    if (!connected || !hypervisor) {
        return unavailable(config.name, last_error);
    }
    return Done{};
}

bool ApplianceSlot::noteConnection(bool now_connected, const std::string& reason) {
    const std::lock_guard lock(mutex);
    const bool changed = connected != now_connected;
    connected = now_connected;
    if (now_connected) {
        last_error.clear();
        unreachable_since = 0;
    } else {
        last_error = reason;
        current.clear();
        if (changed || unreachable_since == 0) {
            unreachable_since = db::nowMs();
        }
    }
    return changed;
}

void ApplianceSlot::remember(const std::string& domain, std::chrono::milliseconds confirm_timeout) {
    auto info = hypervisor->domainInfo(domain);
    std::optional<sizing::Footprint> live;
    if (info && info->active()) {
        auto footprint = lifecycle(confirm_timeout).live(*info);
        if (footprint) {
            live = sizing::Footprint{footprint->vcpus, footprint->memory_mib};
        }
    }
    const std::lock_guard lock(mutex);
    if (live) {
        current[domain] = *live;
    } else {
        current.erase(domain);
    }
}

Result<std::string> ApplianceSlot::defineFromTemplate(const std::string& domain,
                                                      const std::string& uuid,
                                                      const hypervisor::NodeMetadata& metadata) {
    if (!domain_template) {
        auto loaded = hypervisor::loadDomainTemplate(template_path);
        if (!loaded) {
            return Error{errc::kTemplateUnreadable,
                         "appliance '" + config.name + "' cannot define " + domain + ": " +
                             loaded.error().describe(),
                         config.name};
        }
        domain_template = std::move(*loaded);
    }
    const hypervisor::DomainSpec spec{domain, uuid, metadata,
                                      cpu_method == hypervisor::CpuCapMethod::scheduler_quota};
    auto xml = hypervisor::renderDomainXml(*domain_template, spec);
    if (!xml) {
        return xml.error();
    }
    auto defined = hypervisor->defineDomain(*xml);
    if (!defined) {
        return defined.error();
    }
    return defined->uuid;
}

}  // namespace understudy::core

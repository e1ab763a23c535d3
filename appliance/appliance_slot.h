// One configured appliance inside the core: its worker (whose queue is the appliance's lock),
// its hypervisor connection, and what was last seen of the host and its domains, cached for the
// read-only views.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "appliance/appliance_worker.h"
#include "appliance/core_config.h"
#include "appliance/domain_xml.h"
#include "appliance/libvirt_hypervisor.h"
#include "appliance/node_lifecycle.h"
#include "db/records.h"
#include "sizing/fleet.h"
#include "sizing/result.h"

namespace understudy::appliance {

struct ApplianceSlot {
    ApplianceConfig config;
    db::Id id = 0;
    std::unique_ptr<ApplianceWorker> worker;
    std::optional<DomainTemplate> domain_template;
    std::string template_error;
    std::atomic<bool> reconcile_queued{false};

    // Written on the worker only (under `mutex`, for the test accessor).
    std::unique_ptr<LibvirtHypervisor> hypervisor;
    CpuCapMethod cpu_method = CpuCapMethod::live_vcpus;

    // The cache the read-only views use.
    mutable std::mutex mutex;
    bool connected = false;
    std::string last_error;
    sizing::Footprint usable;
    sizing::Footprint foreign;
    std::map<std::string, sizing::Footprint> current;  // running owned domains, by name

    NodeLifecycle lifecycle(std::chrono::milliseconds timeout) const {
        return NodeLifecycle(*hypervisor, cpu_method, timeout);
    }
    bool usableNow() const;
    // hypervisor_unavailable while disconnected.
    Status requireConnected() const;

    // On the worker: reads the domain's live footprint into the cache (or drops it when the
    // domain is not running).
    void remember(const std::string& domain, std::chrono::milliseconds confirm_timeout);
    // On the worker: defines (or redefines) a domain from the appliance's template; its uuid.
    Result<std::string> defineFromTemplate(const std::string& domain, const std::string& uuid,
                                           const NodeMetadata& metadata);
};

}  // namespace understudy::appliance

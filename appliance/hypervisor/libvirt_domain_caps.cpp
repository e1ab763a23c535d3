// LibvirtHypervisor's live resizing and CPU caps: memory, vCPU count and scheduler quota.
#include "appliance/hypervisor/libvirt_hypervisor.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "appliance/hypervisor/libvirt_hypervisor_state.h"

namespace understudy::hypervisor {
namespace {

Error noSchedulerCap(const std::string& action, const std::string& where) {
    return Error{"unsupported",
                 action +
                     ": this hypervisor has no scheduler quota (global_quota); cap the "
                     "node by its live vCPU count instead",
                 where};
}

}  // namespace

Status LibvirtHypervisor::setMemoryLive(const std::string& name, std::int64_t memory_mib) {
    const std::string action = "cannot set the live memory of domain '" + name + "' to " +
                               std::to_string(memory_mib) + " MiB";
    constexpr auto kMaxMib =
        static_cast<std::int64_t>(std::numeric_limits<unsigned long>::max() / 1024);
    if (memory_mib < 1 || memory_mib > kMaxMib) {
        return Error{"invalid_argument", action + ": it must be at least 1 MiB",
                     state_->where(name)};
    }
    auto handle = state_->lookup(name, action);
    if (!handle) {
        return handle.error();
    }
    const auto kib = static_cast<unsigned long>(memory_mib) * 1024UL;
    if (virDomainSetMemoryFlags(handle->domain.get(), kib, VIR_DOMAIN_AFFECT_LIVE) != 0) {
        const LibvirtError error = lastLibvirtError();
        if (error.code != VIR_ERR_INVALID_ARG) {
            return state_->failure(*handle->connection, action, name,
                                   "the domain must be running with a working balloon driver");
        }
        const unsigned long max_kib = virDomainGetMaxMemory(handle->domain.get());
        return Error{"invalid_argument",
                     action + ": " + error.message +
                         "; its maximum memory (the active "
                         "footprint) is " +
                         std::to_string(max_kib / 1024) +
                         " MiB: redefine the domain with a larger active footprint to grow "
                         "beyond it",
                     state_->where(name)};
    }
    return Done{};
}

Status LibvirtHypervisor::setVcpusLive(const std::string& name, int vcpus) {
    const std::string action =
        "cannot set the live vCPU count of domain '" + name + "' to " + std::to_string(vcpus);
    if (vcpus < 1) {
        return Error{"invalid_argument", action + ": a domain needs at least 1 vCPU",
                     state_->where(name)};
    }
    auto handle = state_->lookup(name, action);
    if (!handle) {
        return handle.error();
    }
    virDomainPtr domain = handle->domain.get();
    if (state_->isQemu(*handle->connection)) {
        const int live = virDomainGetVcpusFlags(domain, VIR_DOMAIN_AFFECT_LIVE);
        if (live < 0) {
            return state_->failure(*handle->connection, action, name);
        }
        if (vcpus < live) {
            return Error{"unsupported",
                         action +
                             ": vCPU unplug is unreliable on QEMU (it times out and left "
                             "QEMU crashing at the next managed save); cap the node with "
                             "its scheduler quota instead",
                         state_->where(name)};
        }
    }
    if (virDomainSetVcpusFlags(domain, static_cast<unsigned int>(vcpus), VIR_DOMAIN_AFFECT_LIVE) !=
        0) {
        const LibvirtError error = lastLibvirtError();
        const int max = virDomainGetVcpusFlags(
            domain, combine(VIR_DOMAIN_AFFECT_LIVE, VIR_DOMAIN_VCPU_MAXIMUM));
        return state_->failure(*handle->connection, error, action, name,
                               max > 0 ? "the domain must be running, and its maximum is " +
                                             std::to_string(max) + " vCPUs (the active footprint)"
                                       : "the domain must be running");
    }
    return Done{};
}

Result<bool> LibvirtHypervisor::supportsSchedulerCap() {
    auto on = state_->current();
    if (!on) {
        return on.error();
    }
    if (!virConnectGetType((*on)->get())) {
        return state_->failure(**on, "cannot read the hypervisor's driver type", {});
    }
    return state_->isQemu(**on);
}

Result<SchedulerCap> LibvirtHypervisor::schedulerCap(const std::string& name) {
    const std::string action = "cannot read the CPU cap of domain '" + name + "'";
    auto handle = state_->lookup(name, action);
    if (!handle) {
        return handle.error();
    }
    if (!state_->isQemu(*handle->connection)) {
        return noSchedulerCap(action, state_->where(name));
    }
    int count = 0;
    LibvirtString type(virDomainGetSchedulerType(handle->domain.get(), &count));
    if (!type) {
        return state_->failure(*handle->connection, action, name);
    }
    std::vector<virTypedParameter> parameters(static_cast<std::size_t>(std::max(count, 0)));
    if (virDomainGetSchedulerParametersFlags(handle->domain.get(), parameters.data(), &count,
                                             VIR_DOMAIN_AFFECT_CURRENT) != 0) {
        return state_->failure(*handle->connection, action, name);
    }
    long long quota = 0;
    unsigned long long period = 0;
    const bool has_quota = virTypedParamsGetLLong(parameters.data(), count,
                                                  VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA, &quota) == 1;
    virTypedParamsGetULLong(parameters.data(), count, VIR_DOMAIN_SCHEDULER_GLOBAL_PERIOD, &period);
    virTypedParamsClear(parameters.data(), count);
    if (!has_quota) {
        return noSchedulerCap(action, state_->where(name));
    }
    SchedulerCap cap;
    // libvirt reports 0 (not set) or -1 (unlimited) for an uncapped guest.
    if (quota > 0) {
        cap.quota_us = static_cast<std::int64_t>(quota);
    }
    if (period > 0) {
        cap.period_us = static_cast<std::int64_t>(period);
    }
    return cap;
}

Status LibvirtHypervisor::setSchedulerCap(const std::string& name, const SchedulerCap& cap) {
    const std::string action = "cannot set the CPU cap of domain '" + name + "'";
    // cgroup CFS bandwidth limits: period 1 ms to 1 s, quota at least 1 ms.
    if (cap.period_us < 1000 || cap.period_us > 1000000 || (cap.quota_us && *cap.quota_us < 1000)) {
        return Error{"invalid_argument",
                     action +
                         ": the period must be 1000 to 1000000 µs and the quota at least "
                         "1000 µs",
                     state_->where(name)};
    }
    auto handle = state_->lookup(name, action);
    if (!handle) {
        return handle.error();
    }
    if (!state_->isQemu(*handle->connection)) {
        return noSchedulerCap(action, state_->where(name));
    }
    virTypedParameterPtr parameters = nullptr;
    int count = 0;
    int capacity = 0;
    if (cap.quota_us) {
        virTypedParamsAddULLong(&parameters, &count, &capacity, VIR_DOMAIN_SCHEDULER_GLOBAL_PERIOD,
                                static_cast<unsigned long long>(cap.period_us));
    }
    virTypedParamsAddLLong(&parameters, &count, &capacity, VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA,
                           cap.quota_us ? static_cast<long long>(*cap.quota_us) : -1LL);
    const int result = virDomainSetSchedulerParametersFlags(handle->domain.get(), parameters, count,
                                                            VIR_DOMAIN_AFFECT_LIVE);
    virTypedParamsFree(parameters, count);
    if (result != 0) {
        return state_->failure(*handle->connection, action, name,
                               "the domain must be running; check its cgroup's cpu controller");
    }
    return Done{};
}

}  // namespace understudy::hypervisor

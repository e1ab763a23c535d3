#include "appliance/hypervisor/node_lifecycle.h"
#include "base/error_codes.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace understudy::hypervisor {

bool NodeLifecycle::memoryMatches(std::int64_t memory_kib, std::int64_t target_mib) {
    const std::int64_t target_kib = target_mib * 1024;
    const std::int64_t tolerance_kib = std::max<std::int64_t>(4 * 1024, target_kib / 100);
    return std::abs(memory_kib - target_kib) <= tolerance_kib;
}

Result<LiveFootprint> NodeLifecycle::live(const DomainInfo& info) {
    LiveFootprint footprint{info.memoryMib(), info.vcpus};
    if (method_ == CpuCapMethod::scheduler_quota && info.active()) {
        auto cap = hypervisor_.schedulerCap(info.name);
        if (!cap) {
            return cap.error();
        }
        if (cap->quota_us && cap->period_us > 0) {
            footprint.vcpus = *cap->quota_us / cap->period_us;
        }
    }
    return footprint;
}

Status NodeLifecycle::apply(const std::string& domain, const sizing::Footprint& target,
                            std::int64_t active_vcpus) {
    return applyWithin(domain, target, active_vcpus, confirm_timeout_);
}

Status NodeLifecycle::applyWithin(const std::string& domain, const sizing::Footprint& target,
                                  std::int64_t active_vcpus, std::chrono::milliseconds timeout) {
    auto info = hypervisor_.domainInfo(domain);
    if (!info) {
        return info.error();
    }
    if (info->memory_kib != target.memory_mib * 1024) {
        Status memory = hypervisor_.setMemoryLive(domain, target.memory_mib);
        if (!memory) {
            return memory;
        }
    }
    if (method_ == CpuCapMethod::scheduler_quota) {
        const SchedulerCap cap = target.vcpus >= active_vcpus
                                     ? SchedulerCap::uncapped()
                                     : SchedulerCap::wholeVcpus(target.vcpus);
        Status cpu = hypervisor_.setSchedulerCap(domain, cap);
        if (!cpu) {
            return cpu;
        }
    } else if (info->vcpus != target.vcpus) {
        Status cpu = hypervisor_.setVcpusLive(domain, static_cast<int>(target.vcpus));
        if (!cpu) {
            return cpu;
        }
    }
    return confirm(domain, target, timeout);
}

Status NodeLifecycle::startAt(const std::string& domain, const sizing::Footprint& target,
                              std::int64_t active_vcpus) {
    auto info = hypervisor_.domainInfo(domain);
    if (!info) {
        return info.error();
    }
    bool booted = false;
    if (!info->active()) {
        Status started = hypervisor_.start(domain);
        if (!started) {
            return started;
        }
        // A restored guest comes back with its saved balloon at once; a booted one reports its
        // whole <memory> until its balloon driver has loaded.
        booted = !info->has_managed_save;
    }
    return applyWithin(domain, target, active_vcpus, booted ? boot_timeout_ : confirm_timeout_);
}

Status NodeLifecycle::confirm(const std::string& domain, const sizing::Footprint& target,
                              std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::chrono::milliseconds pause{5};
    for (;;) {
        auto info = hypervisor_.domainInfo(domain);
        if (!info) {
            return info.error();
        }
        if (!info->active()) {
            // Stopped behind our back (destroyed, crashed): waiting cannot help, and an inactive
            // domain reports its definition's footprint, not a balloon that is slow.
            return Error{errc::kHypervisorFailed,
                         "domain '" + domain + "' is " + domainStateName(info->state) +
                             " (not running) while waiting for it to reach " +
                             std::to_string(target.memory_mib) + " MiB and " +
                             std::to_string(target.vcpus) +
                             " vCPUs; it was stopped outside Understudy: check the host's log, "
                             "then power the node on",
                         hypervisor_.uri()};
        }
        auto now = live(*info);
        if (!now) {
            return now.error();
        }
        const bool memory_ok = memoryMatches(info->memory_kib, target.memory_mib);
        if (memory_ok && now->vcpus == target.vcpus) {
            return Done{};
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return Error{
                "hypervisor_failed",
                "domain '" + domain + "' did not reach " + std::to_string(target.memory_mib) +
                    " MiB and " + std::to_string(target.vcpus) + " vCPUs within " +
                    std::to_string(timeout.count()) + " ms (it reports " +
                    std::to_string(info->memoryMib()) + " MiB and " + std::to_string(now->vcpus) +
                    " vCPUs); check the guest's balloon driver",
                hypervisor_.uri()};
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(100));
    }
}

}  // namespace understudy::hypervisor

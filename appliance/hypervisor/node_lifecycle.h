// How a passive node's live footprint is set and read on its hypervisor (docs/platform-notes.md,
// "QEMU under software emulation"): memory through the balloon (live memory), CPU through the
// scheduler's global_quota where the hypervisor has one, else through the live vCPU count
// (libvirt's test driver). Every change is confirmed from what libvirt reports before it counts as
// done.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "appliance/hypervisor/hypervisor.h"
#include "base/result.h"
#include "sizing/fleet.h"

namespace understudy::hypervisor {

enum class CpuCapMethod { scheduler_quota, live_vcpus };

// What a running node may use now: its live memory and its CPU entitlement (quota ÷ period
// while capped, the vCPU count when uncapped, or the live vCPU count without a quota).
struct LiveFootprint {
    std::int64_t memory_mib = 0;
    std::int64_t vcpus = 0;
};

class NodeLifecycle {
public:
    // `boot_timeout` bounds the wait for a domain startAt() boots (its balloon inflates only
    // once the guest's driver runs); never shorter than `confirm_timeout`.
    NodeLifecycle(Hypervisor& hypervisor, CpuCapMethod method,
                  std::chrono::milliseconds confirm_timeout,
                  std::chrono::milliseconds boot_timeout = std::chrono::milliseconds{0})
        : hypervisor_(hypervisor),
          method_(method),
          confirm_timeout_(confirm_timeout),
          boot_timeout_(std::max(confirm_timeout, boot_timeout)) {}

    CpuCapMethod method() const { return method_; }

    // Sets the live memory and CPU entitlement of a running domain and waits until libvirt
    // reports them (bounded by the confirm timeout). `active_vcpus` is the node's active
    // vCPU count: an entitlement of all of them lifts the scheduler cap.
    Status apply(const std::string& domain, const sizing::Footprint& target,
                 std::int64_t active_vcpus);
    // Starts the domain when it is not running (restoring a managed save), then applies.
    Status startAt(const std::string& domain, const sizing::Footprint& target,
                   std::int64_t active_vcpus);

    Result<LiveFootprint> live(const DomainInfo& info);

    // Within the tolerance a real balloon leaves: 1% of the target, at least 4 MiB.
    static bool memoryMatches(std::int64_t memory_kib, std::int64_t target_mib);

private:
    Status applyWithin(const std::string& domain, const sizing::Footprint& target,
                       std::int64_t active_vcpus, std::chrono::milliseconds timeout);
    Status confirm(const std::string& domain, const sizing::Footprint& target,
                   std::chrono::milliseconds timeout);

    Hypervisor& hypervisor_;
    CpuCapMethod method_;
    std::chrono::milliseconds confirm_timeout_;
    std::chrono::milliseconds boot_timeout_;
};

}  // namespace understudy::hypervisor

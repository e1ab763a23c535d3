// What the appliance core is configured with: the [policy] and [appliance.NAME] sections of
// understudyd.conf(5) as plain values. The service parses the INI into these; the core never reads
// a file of its own but the domain templates they name.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "appliance/hypervisor/hypervisor.h"
#include "appliance/policy/arbitration.h"

namespace understudy::core {

struct CorePolicy {
    double target_risk = 1e-4;
    policy::AdmissionMode admission = policy::AdmissionMode::enforce;
    std::vector<policy::ContentionStep> contention{
        policy::ContentionStep::headroom, policy::ContentionStep::preempt,
        policy::ContentionStep::partial_cpu, policy::ContentionStep::deny};
    bool restore_preempted = true;
    // How long a takeover or release waits for libvirt to report the new footprint (a real
    // balloon takes a moment to deflate) before it is rolled back as failed.
    std::chrono::milliseconds confirm_timeout{5000};
    // How long a node that is booted (not restored from a managed save) may take to reach its
    // standby memory: libvirt reports the whole <memory> until the guest's balloon driver has
    // loaded, late in its boot, and only then the balloon inflates to <currentMemory>.
    std::chrono::milliseconds boot_timeout{120000};
    // How often an appliance whose first connection failed is tried again.
    std::chrono::milliseconds connect_retry{5000};
};

struct ApplianceConfig {
    std::string name;
    std::string uri;
    std::int64_t reserve_memory_mib = 0;
    std::int64_t reserve_vcpus = 0;
    double cpu_overcommit = 1.0;
    // The administrator's domain XML template; empty: the template shipped with Understudy
    // (appliance/data/passive-node.xml, for the test driver), given by the service.
    std::string domain_template;
    bool recreate_missing = false;
    // Appliance loss (understudyd.conf(5)): the command that powers this appliance off, and
    // after how many seconds unreachable the service runs it and, once it answers 0, declares
    // the appliance lost. The service runs it (the core runs no commands); 0: never by itself.
    std::string fence_command;
    int lost_after_s = 0;
};

// Opens an appliance's hypervisor connection. Empty: LibvirtHypervisor::open(uri). Fault tests
// wrap the real connection in a decorator that fails, delays or cuts calls where libvirt's test
// driver cannot.
using HypervisorOpener = std::function<Result<std::unique_ptr<hypervisor::Hypervisor>>(
    const ApplianceConfig& appliance)>;

struct CoreConfig {
    CorePolicy policy;
    std::vector<ApplianceConfig> appliances;
    HypervisorOpener open_hypervisor;
};

}  // namespace understudy::core

// What the appliance core is configured with: the [policy] and [appliance.NAME] sections of
// understudyd.conf (PRODUCT.md, "Service: understudyd") as plain values. The service parses the
// INI into these; the core never reads a file of its own but the domain templates they name.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "appliance/arbitration.h"

namespace understudy::appliance {

struct CorePolicy {
    double target_risk = 1e-4;
    AdmissionMode admission = AdmissionMode::enforce;
    std::vector<ContentionStep> contention{ContentionStep::headroom, ContentionStep::preempt,
                                           ContentionStep::partial_cpu, ContentionStep::deny};
    bool restore_preempted = true;
    // How long a takeover or release waits for libvirt to report the new footprint (a real
    // balloon takes a moment to deflate) before it is rolled back as failed.
    std::chrono::milliseconds confirm_timeout{5000};
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
};

struct CoreConfig {
    CorePolicy policy;
    std::vector<ApplianceConfig> appliances;
};

}  // namespace understudy::appliance

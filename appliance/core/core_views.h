// The read-only views of the core (docs/http-api.md: appliances, clusters, nodes, groups,
// readiness, what-if, sizing): read from one database snapshot and the hypervisor figures cached at
// the last operation or reconciliation; they change nothing and never wait for libvirt.
#pragma once

#include <string>
#include <vector>

#include "appliance/core/core_context.h"
#include "appliance/core/core_types.h"
#include "appliance/core/node_inventory.h"

namespace understudy::core {

// Could `row`'s node take over at its full size now, on `view` (its appliance's snapshot)?
Readiness readinessOf(const ApplianceSlot& slot, const policy::ApplianceView& view,
                      const NodeRow& row, const policy::ArbitrationPolicy& policy);

class CoreViews {
public:
    explicit CoreViews(const CoreContext& context) : context_(context) {}

    Result<std::vector<ApplianceStatus>> appliances() const;
    Result<std::vector<ClusterStatus>> clusters() const;
    Result<std::vector<NodeStatus>> nodes() const;
    Result<NodeStatus> node(const std::string& name) const;
    Result<std::vector<sizing::GroupSpec>> groups() const;
    Result<Readiness> readiness(const std::string& node) const;
    Result<WhatIfOutcome> whatIf(const WhatIfRequest& request) const;
    Result<db::Id> lastEventId() const;

    // The appliance a node lives on: not_found, or conflict when that appliance is no longer
    // configured.
    Result<ApplianceSlot*> ownerOf(const std::string& node) const;

private:
    const CoreContext& context_;
};

}  // namespace understudy::core

// Puts a registered cluster's passive node on its appliance: defines its domain from the
// template (or adopts an existing one, marking it with Understudy's metadata) and starts it at
// the standby footprint; and undoes that when the registration fails or the cluster goes.
// Runs on the appliance's worker.
#pragma once

#include <string>

#include "appliance/core/appliance_slot.h"
#include "appliance/core/core_context.h"
#include "appliance/core/core_types.h"

namespace understudy::core {

struct ProvisionedNode {
    std::string cluster;
    std::string node;
    std::string domain;
    std::string uuid;
    bool defined_by_service = false;
};

class NodeProvisioner {
public:
    explicit NodeProvisioner(CoreContext& context) : context_(context) {}

    // `path` prefixes the field an invalid_field error names ("clusters[2].").
    Result<ProvisionedNode> provision(ApplianceSlot& slot, const ClusterRegistration& cluster,
                                      const std::string& node, const std::string& path);
    // Stops and undefines a domain the service defined; an adopted one is left alone.
    void unprovision(ApplianceSlot& slot, const ProvisionedNode& provisioned);

private:
    CoreContext& context_;
};

}  // namespace understudy::core

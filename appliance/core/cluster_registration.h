// Registration of clusters (one, or a fleet file's groups and clusters, all or nothing):
// validation, placement on the appliance where the worst resulting risk is lowest, admission
// control, then the passive nodes defined or adopted on their appliances' workers and the rows
// committed together with their events. Runs on the inventory worker.
#pragma once

#include "appliance/core/appliance_supervisor.h"
#include "appliance/core/core_context.h"
#include "appliance/core/core_types.h"
#include "appliance/core/node_provisioner.h"

namespace understudy::core {

class ClusterRegistrar {
public:
    ClusterRegistrar(CoreContext& context, NodeProvisioner& provisioner,
                     ApplianceSupervisor& supervisor)
        : context_(context), provisioner_(provisioner), supervisor_(supervisor) {}

    // `actor`: who asked, for the events the registration records.
    Result<RegistrationOutcome> registerClusters(const RegistrationRequest& request,
                                                 const Actor& actor);

private:
    CoreContext& context_;
    NodeProvisioner& provisioner_;
    ApplianceSupervisor& supervisor_;
};

}  // namespace understudy::core

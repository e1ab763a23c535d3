// Changes to registered clusters and groups: a cluster's figures (PATCH, with admission control
// and the node's domain resized when its footprints change), its removal, its token; groups
// created, changed (with admission control over every appliance with members) and removed.
// Runs on the inventory worker; what touches a domain runs on its appliance's worker.
#pragma once

#include <string>

#include "appliance/core/core_context.h"
#include "appliance/core/core_types.h"
#include "appliance/core/node_operations.h"
#include "appliance/core/node_provisioner.h"

namespace understudy::core {

class InventoryChanges {
public:
    InventoryChanges(CoreContext& context, NodeProvisioner& provisioner, NodeOperations& operations)
        : context_(context), provisioner_(provisioner), operations_(operations) {}

    // `actor`: who asked, for the events the change records (creating or removing a group
    // records none).
    Result<ChangeOutcome> changeCluster(const std::string& name, const ClusterChange& change,
                                        const Actor& actor);
    Status removeCluster(const std::string& name, const Actor& actor);
    Status rotateToken(const std::string& cluster, const std::string& token_hash,
                       const Actor& actor);
    Status convertSaltedToken(const std::string& cluster, const std::string& salted_hash,
                              const std::string& digest);
    Result<ChangeOutcome> createGroup(const sizing::GroupSpec& group);
    Result<ChangeOutcome> changeGroup(const std::string& name, const GroupChange& change,
                                      const Actor& actor);
    Status removeGroup(const std::string& name);

private:
    // Commits, then has the appliances' models rebuilt.
    Status commitChange(CoreStore::Change change);

    CoreContext& context_;
    NodeProvisioner& provisioner_;
    NodeOperations& operations_;
};

}  // namespace understudy::core

// A cluster the service answered, as the sizing engine's input: what the console's and the
// simulator's in-process sizing start from.
#pragma once

#include "appliance/client/api_types.h"
#include "sizing/fleet.h"

namespace understudy::client {

sizing::ClusterSpec clusterSpec(const Cluster& cluster);

}  // namespace understudy::client

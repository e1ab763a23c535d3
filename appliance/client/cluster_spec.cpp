#include "appliance/client/cluster_spec.h"

namespace understudy::client {

sizing::ClusterSpec clusterSpec(const Cluster& cluster) {
    sizing::ClusterSpec spec;
    spec.name = cluster.name.toStdString();
    spec.priority = cluster.priority;
    spec.mtbf_hours = cluster.mtbf_hours;
    spec.mttr_hours = cluster.mttr_hours;
    spec.group = cluster.group.toStdString();
    spec.standby = {cluster.standby.vcpus, cluster.standby.memory_mib};
    spec.active = {cluster.active.vcpus, cluster.active.memory_mib};
    spec.memory_mode = cluster.memory_mode == QLatin1String("reserved")
                           ? sizing::MemoryMode::reserved
                           : sizing::MemoryMode::balloon;
    return spec;
}

}  // namespace understudy::client

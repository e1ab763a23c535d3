#include "appliance/core/node_provisioner.h"
#include "base/error_codes.h"

#include <QLoggingCategory>
#include <QUuid>

namespace understudy::core {

namespace {

Q_LOGGING_CATEGORY(lcProvisioner, "understudy.appliance")

}  // namespace

Result<ProvisionedNode> NodeProvisioner::provision(ApplianceSlot& slot,
                                                   const ClusterRegistration& cluster,
                                                   const std::string& node,
                                                   const std::string& path) {
    if (Status connected = slot.requireConnected(); !connected) {
        return connected.error();
    }
    const sizing::ClusterSpec& spec = cluster.spec;
    const hypervisor::NodeMetadata metadata{spec.name, node, spec.standby, spec.active,
                                            spec.memory_mode};
    hypervisor::NodeLifecycle lifecycle = slot.lifecycle(context_.confirmTimeout());
    if (cluster.domain.empty()) {
        auto existing = slot.hypervisor->domainInfo(node);
        if (existing) {
            return Error{errc::kConflict,
                         "a domain named '" + node + "' already exists on appliance '" +
                             slot.config.name + "'; name it in `domain` to adopt it",
                         path + "node"};
        }
        const std::string uuid = QUuid::createUuid().toString(QUuid::WithoutBraces).toStdString();
        auto defined = slot.defineFromTemplate(node, uuid, metadata);
        if (!defined) {
            return defined.error();
        }
        ProvisionedNode made{spec.name, node, node, *defined, true};
        Status started = lifecycle.startAt(node, spec.effectiveStandby(), spec.active.vcpus);
        if (!started) {
            unprovision(slot, made);
            return started.error();
        }
        slot.remember(node, context_.confirmTimeout());
        return made;
    }
    auto info = slot.hypervisor->domainInfo(cluster.domain);
    if (!info) {
        if (info.error().code == errc::kDomainNotFound) {
            return Error{errc::kInvalidField,
                         "there is no domain '" + cluster.domain + "' on appliance '" +
                             slot.config.name + "' to adopt; check the name",
                         path + "domain"};
        }
        return info.error();
    }
    if (info->owned &&
        (!info->metadata || info->metadata->node != node || info->metadata->cluster != spec.name)) {
        return Error{errc::kConflict,
                     "domain '" + cluster.domain + "' already belongs to " +
                         (info->metadata ? "node '" + info->metadata->node + "'"
                                         : std::string("another Understudy node")) +
                         "; adopt a domain no node owns",
                     path + "domain"};
    }
    if (info->maxMemoryMib() < spec.active.memory_mib || info->max_vcpus < spec.active.vcpus) {
        return Error{errc::kInvalidField,
                     "domain '" + cluster.domain + "' can grow to " +
                         std::to_string(info->maxMemoryMib()) + " MiB and " +
                         std::to_string(info->max_vcpus) +
                         " vCPUs, less than the active footprint; "
                         "raise its maximum memory and vCPUs first",
                     path + "active"};
    }
    Status marked = slot.hypervisor->setMetadata(cluster.domain, metadata);
    if (!marked) {
        return marked.error();
    }
    Status started = lifecycle.startAt(cluster.domain, spec.effectiveStandby(), spec.active.vcpus);
    slot.remember(cluster.domain, context_.confirmTimeout());
    if (!started) {
        return started.error();
    }
    return ProvisionedNode{spec.name, node, cluster.domain, info->uuid, false};
}

void NodeProvisioner::unprovision(ApplianceSlot& slot, const ProvisionedNode& provisioned) {
    if (!provisioned.defined_by_service || !slot.hypervisor) {
        return;
    }
    auto info = slot.hypervisor->domainInfo(provisioned.domain);
    if (info && info->active()) {
        Status destroyed = slot.hypervisor->destroy(provisioned.domain);
        if (!destroyed) {
            qCWarning(lcProvisioner, "%s: cannot stop %s while undoing it: %s",
                      slot.config.name.c_str(), provisioned.domain.c_str(),
                      destroyed.error().describe().c_str());
        }
    }
    Status undefined = slot.hypervisor->undefineDomain(provisioned.domain);
    if (!undefined) {
        qCWarning(lcProvisioner, "%s: cannot undefine %s while undoing it: %s",
                  slot.config.name.c_str(), provisioned.domain.c_str(),
                  undefined.error().describe().c_str());
    }
    const std::lock_guard lock(slot.mutex);
    slot.current.erase(provisioned.domain);
}

}  // namespace understudy::core

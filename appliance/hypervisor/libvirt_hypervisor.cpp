// LibvirtHypervisor's lifetime and connection, domain queries, define and undefine, and
// Understudy's metadata. The other calls: libvirt_domain_power.cpp, libvirt_domain_caps.cpp;
// the shared state: libvirt_hypervisor_state.h.
#include "appliance/hypervisor/libvirt_hypervisor.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <QAbstractEventDispatcher>
#include <QCoreApplication>

#include <array>
#include <utility>
#include <vector>

#include "appliance/hypervisor/domain_xml.h"
#include "appliance/hypervisor/libvirt_hypervisor_state.h"
#include "appliance/hypervisor/libvirt_log.h"
#include "base/error_codes.h"

namespace understudy::hypervisor {
namespace {

Result<std::optional<NodeMetadata>> readMetadata(LibvirtHypervisor::State& state,
                                                 const LibvirtConnection& on, virDomainPtr domain,
                                                 const std::string& name) {
    LibvirtString xml(virDomainGetMetadata(domain, VIR_DOMAIN_METADATA_ELEMENT, kMetadataNamespace,
                                           VIR_DOMAIN_AFFECT_CURRENT));
    if (!xml) {
        if (lastLibvirtError().code == VIR_ERR_NO_DOMAIN_METADATA) {
            return std::optional<NodeMetadata>();
        }
        return state.failure(on, "cannot read Understudy's metadata of domain '" + name + "'",
                             name);
    }
    auto parsed = parseNodeMetadata(xml.get(), state.where(name));
    if (!parsed) {
        return parsed.error();
    }
    return std::optional<NodeMetadata>(std::move(*parsed));
}

Result<DomainInfo> readInfo(LibvirtHypervisor::State& state, const LibvirtConnection& on,
                            virDomainPtr domain, const std::string& name) {
    DomainInfo info;
    const char* domain_name = virDomainGetName(domain);
    info.name = domain_name ? domain_name : name;
    const std::string action = "cannot read domain '" + info.name + "'";
    std::array<char, VIR_UUID_STRING_BUFLEN> uuid{};
    if (virDomainGetUUIDString(domain, uuid.data()) != 0) {
        return state.failure(on, action, info.name);
    }
    info.uuid = uuid.data();
    virDomainInfo raw{};
    if (virDomainGetInfo(domain, &raw) != 0) {
        return state.failure(on, action, info.name);
    }
    info.state = static_cast<DomainState>(raw.state);
    info.memory_kib = static_cast<std::int64_t>(raw.memory);
    info.max_memory_kib = static_cast<std::int64_t>(raw.maxMem);
    info.vcpus = raw.nrVirtCpu;
    info.max_vcpus =
        virDomainGetVcpusFlags(domain, combine(VIR_DOMAIN_AFFECT_CURRENT, VIR_DOMAIN_VCPU_MAXIMUM));
    if (info.max_vcpus < 0) {
        return state.failure(on, action, info.name);
    }
    info.persistent = virDomainIsPersistent(domain) == 1;
    info.has_managed_save = virDomainHasManagedSaveImage(domain, 0) == 1;
    auto metadata = readMetadata(state, on, domain, info.name);
    if (!metadata) {
        if (metadata.error().code != "invalid_metadata") {
            return metadata.error();
        }
        info.owned = true;
        qCWarning(lcLibvirt, "%s", metadata.error().describe().c_str());
    } else if (*metadata) {
        info.owned = true;
        info.metadata = std::move(*metadata);
    }
    return info;
}

}  // namespace

Result<std::unique_ptr<LibvirtHypervisor>> LibvirtHypervisor::open(
    const std::string& uri, LibvirtHypervisorOptions options) {
    // libvirt's default event loop iterates GLib's default main context; Qt's GLib event
    // dispatcher owns that context on the main thread, so libvirt's thread would wait for it
    // forever: no events, and a hang when the loop is stopped.
    if (const QCoreApplication* application = QCoreApplication::instance()) {
        const QAbstractEventDispatcher* dispatcher =
            QAbstractEventDispatcher::instance(application->thread());
        if (dispatcher && dispatcher->inherits("QEventDispatcherGlib")) {
            return Error{"unsupported_environment",
                         "cannot run libvirt's event loop beside Qt's GLib event dispatcher (both "
                         "need GLib's default main context); set QT_NO_GLIB=1 before the "
                         "application object is created",
                         uri};
        }
    }
    auto state = std::make_shared<State>(uri, options);
    // Before the first connection: drivers bind their event delivery at open.
    state->loop = LibvirtEventLoop::acquire();
    auto first = state->connect();
    if (!first) {
        state->shutdown();
        return first.error();
    }
    state->connection = std::move(*first);
    state->reconnector = std::thread([raw = state.get()] { raw->reconnectLoop(); });
    return std::unique_ptr<LibvirtHypervisor>(new LibvirtHypervisor(std::move(state)));
}

LibvirtHypervisor::~LibvirtHypervisor() {
    state_->shutdown();
}

const std::string& LibvirtHypervisor::uri() const {
    return state_->uri;
}

bool LibvirtHypervisor::connected() const {
    const std::lock_guard lock(state_->mutex);
    return state_->connection != nullptr;
}

void LibvirtHypervisor::setEventHandlers(DomainEventHandler on_domain_event,
                                         ConnectionEventHandler on_connection_event) {
    state_->sink->set(std::move(on_domain_event), std::move(on_connection_event));
}

void LibvirtHypervisor::disconnectForTest() {
    auto on = state_->current();
    if (on) {
        state_->markLost((*on)->get(), "closed by a test");
    }
}

Result<HostCapacity> LibvirtHypervisor::hostCapacity() {
    auto on = state_->current();
    if (!on) {
        return on.error();
    }
    virNodeInfo info{};
    if (virNodeGetInfo((*on)->get(), &info) != 0) {
        return state_->failure(**on, "cannot read the host's node info", {});
    }
    return HostCapacity{static_cast<std::int64_t>(info.cpus),
                        static_cast<std::int64_t>(info.memory / 1024)};
}

Result<std::vector<DomainInfo>> LibvirtHypervisor::listDomains() {
    auto on = state_->current();
    if (!on) {
        return on.error();
    }
    virDomainPtr* raw = nullptr;
    const int count = virConnectListAllDomains((*on)->get(), &raw, 0);
    if (count < 0) {
        return state_->failure(**on, "cannot list the domains", {});
    }
    std::vector<DomainPtr> domains;
    for (int i = 0; i < count; ++i) {
        domains.emplace_back(raw[i]);
    }
    std::free(raw);  // NOLINT(cppcoreguidelines-no-malloc)
    std::vector<DomainInfo> infos;
    for (const DomainPtr& domain : domains) {
        auto info = readInfo(*state_, **on, domain.get(), {});
        if (info) {
            infos.push_back(std::move(*info));
        } else if (info.error().code != errc::kDomainNotFound) {
            // A domain undefined while we read the list is simply no longer there.
            return info.error();
        }
    }
    return infos;
}

Result<DomainInfo> LibvirtHypervisor::domainInfo(const std::string& name) {
    auto handle = state_->lookup(name, "cannot read domain '" + name + "'");
    if (!handle) {
        return handle.error();
    }
    return readInfo(*state_, *handle->connection, handle->domain.get(), name);
}

Result<std::string> LibvirtHypervisor::domainXml(const std::string& name, bool persistent) {
    const std::string action = "cannot read the XML of domain '" + name + "'";
    auto handle = state_->lookup(name, action);
    if (!handle) {
        return handle.error();
    }
    LibvirtString xml(
        virDomainGetXMLDesc(handle->domain.get(), persistent ? VIR_DOMAIN_XML_INACTIVE : 0));
    if (!xml) {
        return state_->failure(*handle->connection, action, name);
    }
    return std::string(xml.get());
}

Result<DomainInfo> LibvirtHypervisor::defineDomain(const std::string& xml) {
    auto on = state_->current();
    if (!on) {
        return on.error();
    }
    DomainPtr domain(
        virDomainDefineXMLFlags((*on)->get(), xml.c_str(), VIR_DOMAIN_DEFINE_VALIDATE));
    if (!domain) {
        return state_->failure(**on, "cannot define the domain", {},
                               "fix the domain template or the node's footprints");
    }
    return readInfo(*state_, **on, domain.get(), {});
}

Status LibvirtHypervisor::undefineDomain(const std::string& name) {
    const std::string action = "cannot undefine domain '" + name + "'";
    auto handle = state_->lookup(name, action);
    if (!handle) {
        return handle.error();
    }
    // The managed save image and snapshot metadata would otherwise block the undefine; disks
    // and NVRAM are the administrator's and stay (the test driver knows neither flag).
    unsigned int flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;
    if (state_->isQemu(*handle->connection)) {
        flags |= VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA | VIR_DOMAIN_UNDEFINE_KEEP_NVRAM;
    }
    if (virDomainUndefineFlags(handle->domain.get(), flags) != 0) {
        return state_->failure(*handle->connection, action, name);
    }
    return Done{};
}

Status LibvirtHypervisor::setMetadata(const std::string& name, const NodeMetadata& metadata) {
    const std::string action = "cannot mark domain '" + name + "' as Understudy's";
    auto handle = state_->lookup(name, action);
    if (!handle) {
        return handle.error();
    }
    virDomainPtr domain = handle->domain.get();
    unsigned int flags = 0;
    if (virDomainIsPersistent(domain) == 1) {
        flags |= VIR_DOMAIN_AFFECT_CONFIG;
    }
    if (virDomainIsActive(domain) == 1) {
        flags |= VIR_DOMAIN_AFFECT_LIVE;
    }
    const std::string xml = formatNodeMetadata(metadata, MetadataForm::bare);
    if (virDomainSetMetadata(domain, VIR_DOMAIN_METADATA_ELEMENT, xml.c_str(), kMetadataPrefix,
                             kMetadataNamespace, flags) != 0) {
        return state_->failure(*handle->connection, action, name);
    }
    return Done{};
}

Result<std::optional<NodeMetadata>> LibvirtHypervisor::getMetadata(const std::string& name) {
    auto handle =
        state_->lookup(name, "cannot read Understudy's metadata of domain '" + name + "'");
    if (!handle) {
        return handle.error();
    }
    return readMetadata(*state_, *handle->connection, handle->domain.get(), name);
}

}  // namespace understudy::hypervisor

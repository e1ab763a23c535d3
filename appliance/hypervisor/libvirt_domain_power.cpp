// LibvirtHypervisor's power calls (what fencing uses: start, destroy, reset, shutdown) and
// managed save.
#include "appliance/hypervisor/libvirt_hypervisor.h"

#include <libvirt/libvirt.h>

#include <string>

#include "appliance/hypervisor/libvirt_hypervisor_state.h"

namespace understudy::hypervisor {

Status LibvirtHypervisor::start(const std::string& name) {
    return state_->act(name, "start", [](virDomainPtr domain) { return virDomainCreate(domain); });
}

Status LibvirtHypervisor::destroy(const std::string& name) {
    return state_->act(name, "destroy",
                       [](virDomainPtr domain) { return virDomainDestroy(domain); });
}

Status LibvirtHypervisor::reset(const std::string& name) {
    return state_->act(name, "reset",
                       [](virDomainPtr domain) { return virDomainReset(domain, 0); });
}

Status LibvirtHypervisor::shutdown(const std::string& name) {
    return state_->act(
        name, "shut down", [](virDomainPtr domain) { return virDomainShutdown(domain); },
        "the guest must be running and handle ACPI shutdown; destroy it otherwise");
}

Status LibvirtHypervisor::managedSave(const std::string& name) {
    return state_->act(
        name, "save (managed save)",
        [](virDomainPtr domain) { return virDomainManagedSave(domain, 0); },
        "the domain must be running and its disks writable; check the hypervisor's log");
}

Result<bool> LibvirtHypervisor::hasManagedSave(const std::string& name) {
    const std::string action = "cannot tell whether domain '" + name + "' has a managed save";
    auto handle = state_->lookup(name, action);
    if (!handle) {
        return handle.error();
    }
    const int has = virDomainHasManagedSaveImage(handle->domain.get(), 0);
    if (has < 0) {
        return state_->failure(*handle->connection, action, name);
    }
    return has == 1;
}

}  // namespace understudy::hypervisor

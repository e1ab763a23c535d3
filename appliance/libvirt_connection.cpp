#include "appliance/libvirt_connection.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <mutex>

namespace understudy::appliance {
namespace {

// libvirt prints every error to stderr unless a handler is installed; we report errors
// ourselves, with context, through Result.
void ignoreLibvirtError(void*, virErrorPtr) {}

void installErrorHandlerOnce() {
    static std::once_flag once;
    std::call_once(once, [] { virSetErrorFunc(nullptr, ignoreLibvirtError); });
}

}  // namespace

std::string lastLibvirtError() {
    const virErrorPtr error = virGetLastError();
    return error && error->message ? error->message : "unknown libvirt error";
}

Result<std::unique_ptr<LibvirtConnection>> LibvirtConnection::open(const std::string& uri) {
    installErrorHandlerOnce();
    virConnectPtr connection = virConnectOpen(uri.c_str());
    if (!connection) {
        return Error{"hypervisor_unavailable",
                     "cannot connect to the hypervisor: " + lastLibvirtError() +
                         "; check the URI and that libvirtd runs",
                     uri};
    }
    return std::unique_ptr<LibvirtConnection>(new LibvirtConnection(connection, uri));
}

LibvirtConnection::~LibvirtConnection() {
    virConnectClose(connection_);
}

Result<HostCapacity> LibvirtConnection::hostCapacity() const {
    virNodeInfo info{};
    if (virNodeGetInfo(connection_, &info) != 0) {
        return Error{"hypervisor_unavailable",
                     "cannot read the host's node info: " + lastLibvirtError(), uri_};
    }
    return HostCapacity{static_cast<std::int64_t>(info.cpus),
                        static_cast<std::int64_t>(info.memory / 1024)};
}

}  // namespace understudy::appliance

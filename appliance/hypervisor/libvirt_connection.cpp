#include "appliance/hypervisor/libvirt_connection.h"
#include "appliance/hypervisor/libvirt_log.h"
#include "base/error_codes.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <mutex>

namespace understudy::hypervisor {

Q_LOGGING_CATEGORY(lcLibvirt, "understudy.libvirt")

namespace {

void ignoreLibvirtError(void*, virErrorPtr) {}

}  // namespace

void silenceLibvirtErrors() {
    static std::once_flag once;
    std::call_once(once, [] { virSetErrorFunc(nullptr, ignoreLibvirtError); });
}

LibvirtError lastLibvirtError() {
    const virErrorPtr error = virGetLastError();
    if (!error) {
        return {0, 0, "unknown libvirt error"};
    }
    return {error->code, error->domain, error->message ? error->message : "unknown libvirt error"};
}

Result<std::unique_ptr<LibvirtConnection>> LibvirtConnection::open(const std::string& uri,
                                                                   KeepAlive keep_alive) {
    silenceLibvirtErrors();
    virConnectPtr connection = virConnectOpen(uri.c_str());
    if (!connection) {
        return Error{errc::kHypervisorUnavailable,
                     "cannot connect to the hypervisor: " + lastLibvirtError().message +
                         "; check the URI (for test:///PATH, that the node file exists) and, "
                         "for a daemon URI, that libvirtd runs and is reachable",
                     uri};
    }
    bool keep_alive_active = false;
    if (virConnectSetKeepAlive(connection, keep_alive.interval_s, keep_alive.count) == 0) {
        keep_alive_active = true;
    } else {
        // Local drivers (test, and the daemon's own) have no keepalive and need none: a remote
        // transport is the only thing that can silently die.
        const LibvirtError error = lastLibvirtError();
        if (error.code != VIR_ERR_NO_SUPPORT) {
            qCWarning(lcLibvirt, "%s: keepalive not enabled: %s", uri.c_str(),
                      error.message.c_str());
        }
    }
    return std::unique_ptr<LibvirtConnection>(
        new LibvirtConnection(connection, uri, keep_alive_active));
}

LibvirtConnection::~LibvirtConnection() {
    for (const int id : domain_event_callbacks_) {
        virConnectDomainEventDeregisterAny(connection_, id);
    }
    if (close_callback_) {
        // Once this returns no close callback runs (libvirt holds its lock while calling one).
        virConnectUnregisterCloseCallback(connection_, close_callback_);
        free_close_opaque_(close_opaque_);
    }
    virConnectClose(connection_);
}

bool LibvirtConnection::alive() const {
    return virConnectIsAlive(connection_) == 1;
}

Status LibvirtConnection::registerDomainEvent(int event_id, DomainEventCallback callback,
                                              void* opaque, FreeCallback free_opaque) {
    const int id = virConnectDomainEventRegisterAny(connection_, nullptr, event_id, callback,
                                                    opaque, free_opaque);
    if (id < 0) {
        const std::string message = lastLibvirtError().message;
        // libvirt does not call the free callback when registration fails.
        free_opaque(opaque);
        return Error{errc::kHypervisorError,
                     "cannot subscribe to domain events: " + message +
                         "; without events the service only sees changes when it reconciles",
                     uri_};
    }
    domain_event_callbacks_.push_back(id);
    return Done{};
}

Status LibvirtConnection::registerCloseCallback(CloseCallback callback, void* opaque,
                                                FreeCallback free_opaque) {
    // The opaque pointer is ours to free: drivers without close callbacks (test, local) accept
    // the registration but keep nothing, so libvirt would never call a free function.
    if (virConnectRegisterCloseCallback(connection_, callback, opaque, nullptr) != 0) {
        const std::string message = lastLibvirtError().message;
        free_opaque(opaque);
        return Error{errc::kHypervisorError, "cannot watch the connection for loss: " + message,
                     uri_};
    }
    close_callback_ = callback;
    close_opaque_ = opaque;
    free_close_opaque_ = free_opaque;
    return Done{};
}

}  // namespace understudy::hypervisor

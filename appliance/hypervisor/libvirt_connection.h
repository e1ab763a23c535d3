// One libvirt connection, owned: the only place that calls virConnectOpen/virConnectClose.
// LibvirtHypervisor holds one at a time and replaces it when it reconnects.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

struct _virConnect;
struct _virDomain;

namespace understudy::hypervisor {

// libvirt's last error on the calling thread (libvirt keeps errors per thread).
struct LibvirtError {
    int code = 0;    // virErrorNumber
    int domain = 0;  // virErrorDomain: which part of libvirt reported it
    std::string message;
};
LibvirtError lastLibvirtError();

// Installs a handler that keeps libvirt from printing every error to stderr: we report errors
// ourselves, with context, through Result. Idempotent.
void silenceLibvirtErrors();

class LibvirtConnection {
public:
    struct KeepAlive {
        int interval_s = 5;
        unsigned count = 3;
    };

    // Opens read-write. Keepalive is enabled where the driver has it; a driver without it
    // (libvirt's test driver, local drivers) is not an error.
    static Result<std::unique_ptr<LibvirtConnection>> open(const std::string& uri,
                                                           KeepAlive keep_alive);
    // Deregisters the callbacks registered through this object, then closes.
    ~LibvirtConnection();
    LibvirtConnection(const LibvirtConnection&) = delete;
    LibvirtConnection& operator=(const LibvirtConnection&) = delete;

    _virConnect* get() const { return connection_; }
    const std::string& uri() const { return uri_; }
    bool keepAliveActive() const { return keep_alive_active_; }
    // False once libvirt knows the transport is gone (remote URIs); local drivers stay alive.
    bool alive() const;

    using CloseCallback = void (*)(_virConnect*, int reason, void* opaque);
    using FreeCallback = void (*)(void* opaque);
    // libvirt's virConnectDomainEventGenericCallback: each event id has its own signature and
    // is registered cast to this one, as VIR_DOMAIN_EVENT_CALLBACK does.
    using DomainEventCallback = void (*)(_virConnect*, _virDomain*, void* opaque);
    // `opaque` is released through `free_opaque` once libvirt no longer needs it, even when
    // registration fails.
    Status registerDomainEvent(int event_id, DomainEventCallback callback, void* opaque,
                               FreeCallback free_opaque);
    Status registerCloseCallback(CloseCallback callback, void* opaque, FreeCallback free_opaque);

private:
    LibvirtConnection(_virConnect* connection, std::string uri, bool keep_alive_active)
        : connection_(connection), uri_(std::move(uri)), keep_alive_active_(keep_alive_active) {}

    _virConnect* connection_;
    std::string uri_;
    bool keep_alive_active_;
    std::vector<int> domain_event_callbacks_;
    CloseCallback close_callback_ = nullptr;
    void* close_opaque_ = nullptr;
    FreeCallback free_close_opaque_ = nullptr;
};

}  // namespace understudy::hypervisor

// The Hypervisor over libvirt's C API: one connection per appliance URI, kept open.
//
// Threads. Calls may come from any thread (the core uses one worker per appliance); each call
// takes a reference to the current connection under a short lock and makes its libvirt calls
// without holding any lock. Domain events arrive on libvirt's event-loop thread (one per
// process, shared by every LibvirtHypervisor: libvirt's default event implementation is
// process-wide); connection events, in order, on this object's reconnect thread. Handlers are
// never run concurrently, may call back into this object, and must not destroy it.
//
// Connection loss. A remote transport that dies (keepalive, close callback, or a call failing
// on a dead connection) is reported as ConnectionState::lost; the reconnect thread then retries
// with exponential backoff (initial_backoff doubling up to max_backoff, forever), re-registers
// the event callbacks on the new connection and reports ConnectionState::connected, after
// which the caller reconciles. While lost, every call fails with "hypervisor_unavailable".
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "appliance/hypervisor/hypervisor.h"

namespace understudy::hypervisor {

struct LibvirtHypervisorOptions {
    std::chrono::milliseconds initial_backoff{500};
    std::chrono::milliseconds max_backoff{30000};
    // virConnectSetKeepAlive: a remote peer silent for interval × (count + 1) seconds is dead.
    int keepalive_interval_s = 5;
    unsigned keepalive_count = 3;
};

class LibvirtHypervisor final : public Hypervisor {
public:
    // Fails when the first connection cannot be made: a wrong URI is a configuration error the
    // administrator should see at once, not something to retry forever.
    static Result<std::unique_ptr<LibvirtHypervisor>> open(const std::string& uri,
                                                           LibvirtHypervisorOptions options = {});
    ~LibvirtHypervisor() override;

    const std::string& uri() const override;
    bool connected() const override;

    Result<HostCapacity> hostCapacity() override;
    Result<std::vector<DomainInfo>> listDomains() override;
    Result<DomainInfo> domainInfo(const std::string& name) override;
    Result<std::string> domainXml(const std::string& name, bool persistent) override;

    Result<DomainInfo> defineDomain(const std::string& xml) override;
    Status undefineDomain(const std::string& name) override;

    Status start(const std::string& name) override;
    Status destroy(const std::string& name) override;
    Status reset(const std::string& name) override;
    Status shutdown(const std::string& name) override;
    Status managedSave(const std::string& name) override;
    Result<bool> hasManagedSave(const std::string& name) override;

    Status setMemoryLive(const std::string& name, std::int64_t memory_mib) override;
    // Refuses to lower the count on QEMU, where vCPU unplug times out under emulation and left QEMU
    // crashing at the next managed save (docs/platform-notes.md, "CPU: capped, never unplugged"):
    // cap with setSchedulerCap there.
    Status setVcpusLive(const std::string& name, int vcpus) override;

    // True on QEMU, whose scheduler has global_quota; false elsewhere (the test driver accepts
    // no scheduler parameter but an ignored weight).
    Result<bool> supportsSchedulerCap() override;
    Result<SchedulerCap> schedulerCap(const std::string& name) override;
    Status setSchedulerCap(const std::string& name, const SchedulerCap& cap) override;

    Status setMetadata(const std::string& name, const NodeMetadata& metadata) override;
    Result<std::optional<NodeMetadata>> getMetadata(const std::string& name) override;

    void setEventHandlers(DomainEventHandler on_domain_event,
                          ConnectionEventHandler on_connection_event) override;

    // Closes the libvirt connection as a dying transport would (close callbacks deregistered,
    // virConnectClose), so tests can watch the loss, the backoff and the reconnection.
    void disconnectForTest();

    struct State;

private:
    explicit LibvirtHypervisor(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
};

}  // namespace understudy::hypervisor

// The hypervisor as the appliance core sees it: a narrow interface over what Understudy does
// to passive-node domains (in the spirit of libvirt's own src/driver-hypervisor.h). Standard
// types only; every call that can fail returns a Result carrying the hypervisor's own message,
// the domain and URI it concerns, and what to do.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "sizing/fleet.h"

namespace understudy::hypervisor {

// What the host offers before any reserve: logical CPUs and memory (libvirt's node info).
struct HostCapacity {
    std::int64_t cpus = 0;
    std::int64_t memory_mib = 0;
    friend bool operator==(const HostCapacity&, const HostCapacity&) = default;
};

// libvirt's virDomainState, in the same order.
enum class DomainState {
    no_state,
    running,
    blocked,
    paused,
    shutting_down,
    shut_off,
    crashed,
    pm_suspended,
};

inline const char* domainStateName(DomainState state) {
    switch (state) {
        case DomainState::no_state:
            return "no state";
        case DomainState::running:
            return "running";
        case DomainState::blocked:
            return "blocked";
        case DomainState::paused:
            return "paused";
        case DomainState::shutting_down:
            return "shutting down";
        case DomainState::shut_off:
            return "shut off";
        case DomainState::crashed:
            return "crashed";
        case DomainState::pm_suspended:
            return "pm suspended";
    }
    return "unknown";
}

// What marks a domain as a passive node Understudy owns, kept in the domain itself (libvirt
// custom metadata in Understudy's namespace) so that ownership survives a lost database row
// and foreign domains are never touched.
struct NodeMetadata {
    std::string cluster;
    std::string node;
    sizing::Footprint standby;
    sizing::Footprint active;
    sizing::MemoryMode memory_mode = sizing::MemoryMode::balloon;
    friend bool operator==(const NodeMetadata&, const NodeMetadata&) = default;
};

struct DomainInfo {
    std::string name;
    std::string uuid;
    DomainState state = DomainState::no_state;
    // Memory in KiB as libvirt reports it: a balloon need not stop on a MiB boundary.
    std::int64_t memory_kib = 0;      // current (live when running, else the definition's)
    std::int64_t max_memory_kib = 0;  // the domain's <memory>: the most it can balloon to
    int vcpus = 0;                    // current vCPU count
    int max_vcpus = 0;                // the domain's maximum vCPU count
    bool persistent = false;
    bool has_managed_save = false;
    // Whether the domain carries an element in Understudy's metadata namespace; `metadata` is
    // its parsed content, empty when the element is absent or cannot be read (a drift).
    bool owned = false;
    std::optional<NodeMetadata> metadata;

    std::int64_t memoryMib() const { return memory_kib / 1024; }
    std::int64_t maxMemoryMib() const { return max_memory_kib / 1024; }
    bool active() const { return state != DomainState::shut_off && state != DomainState::no_state; }
};

// A CPU cap through the scheduler's global_quota/global_period (cgroup CFS bandwidth on QEMU):
// quota_us of CPU time per period_us for the whole guest. No quota means uncapped.
struct SchedulerCap {
    static constexpr std::int64_t kDefaultPeriodUs = 100000;

    std::optional<std::int64_t> quota_us;
    std::int64_t period_us = kDefaultPeriodUs;

    static SchedulerCap uncapped() { return {}; }
    // A cap of `vcpus` whole vCPUs' worth of CPU time.
    static SchedulerCap wholeVcpus(std::int64_t vcpus) {
        return SchedulerCap{vcpus * kDefaultPeriodUs, kDefaultPeriodUs};
    }
    friend bool operator==(const SchedulerCap&, const SchedulerCap&) = default;
};

// libvirt's lifecycle event types (virDomainEventType), plus balloon changes.
enum class DomainEventType {
    defined,
    undefined,
    started,
    suspended,
    resumed,
    stopped,
    shutdown,
    pm_suspended,
    crashed,
    balloon_changed,
};

inline const char* domainEventTypeName(DomainEventType type) {
    switch (type) {
        case DomainEventType::defined:
            return "defined";
        case DomainEventType::undefined:
            return "undefined";
        case DomainEventType::started:
            return "started";
        case DomainEventType::suspended:
            return "suspended";
        case DomainEventType::resumed:
            return "resumed";
        case DomainEventType::stopped:
            return "stopped";
        case DomainEventType::shutdown:
            return "shutdown";
        case DomainEventType::pm_suspended:
            return "pm suspended";
        case DomainEventType::crashed:
            return "crashed";
        case DomainEventType::balloon_changed:
            return "balloon changed";
    }
    return "unknown";
}

struct DomainEvent {
    std::string domain;
    std::string uuid;
    DomainEventType type = DomainEventType::defined;
    // libvirt's detail in words ("booted", "destroyed", "saved", "restored", ...); may be empty.
    std::string detail;
    std::int64_t balloon_kib = 0;  // balloon_changed only: the guest's new current memory
};

enum class ConnectionState { connected, lost };

struct ConnectionEvent {
    ConnectionState state = ConnectionState::connected;
    std::string uri;
    // Why the connection was lost, or why the last reconnect attempt failed.
    std::string reason;
    int failed_attempts = 0;
    // When the next reconnect attempt is due (lost only).
    std::chrono::milliseconds next_attempt_in{0};
};

using DomainEventHandler = std::function<void(const DomainEvent&)>;
using ConnectionEventHandler = std::function<void(const ConnectionEvent&)>;

// One appliance's hypervisor. Names are libvirt domain names. Memory is in MiB.
//
// Threads: the core calls an instance from one worker thread per appliance; implementations
// must also tolerate calls from other threads (each call is independent). Event handlers run on
// the implementation's own threads, never concurrently with each other.
class Hypervisor {
public:
    virtual ~Hypervisor() = default;
    Hypervisor() = default;
    Hypervisor(const Hypervisor&) = delete;
    Hypervisor& operator=(const Hypervisor&) = delete;

    virtual const std::string& uri() const = 0;
    virtual bool connected() const = 0;

    virtual Result<HostCapacity> hostCapacity() = 0;
    virtual Result<std::vector<DomainInfo>> listDomains() = 0;
    virtual Result<DomainInfo> domainInfo(const std::string& name) = 0;
    // The domain's XML as the hypervisor has it: the live one, or the persistent definition.
    virtual Result<std::string> domainXml(const std::string& name, bool persistent) = 0;

    // Defines (or redefines) a persistent domain from XML, validated against libvirt's schema.
    virtual Result<DomainInfo> defineDomain(const std::string& xml) = 0;
    // Removes the persistent definition with its managed save image and snapshot metadata.
    // A running domain keeps running as a transient one: destroy it first to remove it.
    virtual Status undefineDomain(const std::string& name) = 0;

    // Boots the domain, or restores it from its managed save image when it has one.
    virtual Status start(const std::string& name) = 0;
    // Powers off at once (fencing).
    virtual Status destroy(const std::string& name) = 0;
    // Hard reset without a power cycle (fencing "reboot").
    virtual Status reset(const std::string& name) = 0;
    // Asks the guest to shut down (ACPI); returns before it has.
    virtual Status shutdown(const std::string& name) = 0;
    // Saves the running domain's memory to disk and stops it (preemption); start restores it.
    virtual Status managedSave(const std::string& name) = 0;
    virtual Result<bool> hasManagedSave(const std::string& name) = 0;

    // Live values only: the persistent definition keeps the standby footprint.
    virtual Status setMemoryLive(const std::string& name, std::int64_t memory_mib) = 0;
    virtual Status setVcpusLive(const std::string& name, int vcpus) = 0;

    // Whether this hypervisor caps a domain's CPU through global_quota. Where it does not
    // (libvirt's test driver), callers cap a node by its live vCPU count instead.
    virtual Result<bool> supportsSchedulerCap() = 0;
    virtual Result<SchedulerCap> schedulerCap(const std::string& name) = 0;
    // Live only, like every takeover and release change.
    virtual Status setSchedulerCap(const std::string& name, const SchedulerCap& cap) = 0;

    // Marks the domain as Understudy's (live and persistent as far as the domain has them).
    virtual Status setMetadata(const std::string& name, const NodeMetadata& metadata) = 0;
    // Empty when the domain carries no Understudy metadata (a foreign domain).
    virtual Result<std::optional<NodeMetadata>> getMetadata(const std::string& name) = 0;

    // Replaces both handlers; either may be empty. After this returns, the old handlers are no
    // longer running and will not be called again.
    virtual void setEventHandlers(DomainEventHandler on_domain_event,
                                  ConnectionEventHandler on_connection_event) = 0;
};

}  // namespace understudy::hypervisor

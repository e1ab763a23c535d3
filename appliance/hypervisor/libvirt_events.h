// How libvirt's events reach LibvirtHypervisor's handlers: the process-wide event loop that
// libvirt delivers them on, the sink that hands them to the handlers, and the callbacks that
// turn libvirt's domain events into DomainEvents. Private to the hypervisor target.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "appliance/hypervisor/hypervisor.h"
#include "appliance/hypervisor/libvirt_connection.h"
#include "base/result.h"

namespace understudy::hypervisor {

// libvirt's default event loop is process-wide: registered once, run by one thread while any
// hypervisor needs it. The last user stops the thread.
class LibvirtEventLoop {
public:
    static std::shared_ptr<LibvirtEventLoop> acquire();
    ~LibvirtEventLoop();
    LibvirtEventLoop(const LibvirtEventLoop&) = delete;
    LibvirtEventLoop& operator=(const LibvirtEventLoop&) = delete;

private:
    LibvirtEventLoop();

    static void removeTimer(int timer, void*);

    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// Where libvirt's callbacks deliver. Shared with libvirt (which frees its references through
// the callbacks' free functions), so an event still in flight never finds it gone.
class EventSink {
public:
    void set(DomainEventHandler on_domain_event, ConnectionEventHandler on_connection_event);
    // Recursive: a handler may call the hypervisor, whose call may report a lost connection.
    void deliver(const DomainEvent& event);
    void deliver(const ConnectionEvent& event);

private:
    std::recursive_mutex mutex_;
    DomainEventHandler on_domain_event_;
    ConnectionEventHandler on_connection_event_;
};

// Registers the lifecycle and balloon-change callbacks on `connection`, delivering to `sink`.
Status registerDomainEvents(LibvirtConnection& connection, const std::shared_ptr<EventSink>& sink);

// A virConnectCloseReason in words, for the log and the lost event.
std::string closeReason(int reason);

}  // namespace understudy::hypervisor

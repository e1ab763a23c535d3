#include "appliance/hypervisor/libvirt_events.h"

#include <libvirt/libvirt.h>

#include <array>
#include <utility>
#include <vector>

#include "appliance/hypervisor/libvirt_log.h"

namespace understudy::hypervisor {
namespace {

struct EventDetails {
    DomainEventType type;
    std::vector<const char*> details;  // indexed by libvirt's detail enum for that type
};

// virDomainEventType and its detail enums (libvirt-domain.h), in libvirt's order.
const std::array<EventDetails, 9>& lifecycleEvents() {
    static const std::array<EventDetails, 9> events = {{
        {DomainEventType::defined, {"added", "updated", "renamed", "from snapshot"}},
        {DomainEventType::undefined, {"removed", "renamed"}},
        {DomainEventType::started, {"booted", "migrated", "restored", "from snapshot", "wakeup"}},
        {DomainEventType::suspended,
         {"paused", "migrated", "io error", "watchdog", "restored", "from snapshot", "api error",
          "postcopy", "postcopy failed"}},
        {DomainEventType::resumed, {"unpaused", "migrated", "from snapshot", "postcopy"}},
        {DomainEventType::stopped,
         {"shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from snapshot"}},
        {DomainEventType::shutdown, {"finished", "guest", "host"}},
        {DomainEventType::pm_suspended, {"memory", "disk"}},
        {DomainEventType::crashed, {"panicked", "crashloaded"}},
    }};
    return events;
}

DomainEvent eventFor(virDomainPtr domain, DomainEventType type, std::string detail) {
    DomainEvent event;
    const char* name = virDomainGetName(domain);
    event.domain = name ? name : "";
    std::array<char, VIR_UUID_STRING_BUFLEN> uuid{};
    if (virDomainGetUUIDString(domain, uuid.data()) == 0) {
        event.uuid = uuid.data();
    }
    event.type = type;
    event.detail = std::move(detail);
    return event;
}

int onLifecycle(virConnectPtr, virDomainPtr domain, int type, int detail, void* opaque) {
    const auto& events = lifecycleEvents();
    if (type < 0 || static_cast<std::size_t>(type) >= events.size()) {
        qCDebug(lcLibvirt, "ignoring lifecycle event %d unknown to this build", type);
        return 0;
    }
    const EventDetails& known = events[static_cast<std::size_t>(type)];
    const bool detail_known =
        detail >= 0 && static_cast<std::size_t>(detail) < known.details.size();
    const DomainEvent event = eventFor(
        domain, known.type, detail_known ? known.details[static_cast<std::size_t>(detail)] : "");
    qCDebug(lcLibvirt, "domain %s: %s (%s)", event.domain.c_str(), domainEventTypeName(event.type),
            event.detail.c_str());
    (*static_cast<std::shared_ptr<EventSink>*>(opaque))->deliver(event);
    return 0;
}

void onBalloonChange(virConnectPtr, virDomainPtr domain, unsigned long long actual_kib,
                     void* opaque) {
    DomainEvent event = eventFor(domain, DomainEventType::balloon_changed, "");
    event.balloon_kib = static_cast<std::int64_t>(actual_kib);
    (*static_cast<std::shared_ptr<EventSink>*>(opaque))->deliver(event);
}

void freeSink(void* opaque) {
    delete static_cast<std::shared_ptr<EventSink>*>(opaque);
}

}  // namespace

std::shared_ptr<LibvirtEventLoop> LibvirtEventLoop::acquire() {
    static std::mutex mutex;
    static std::weak_ptr<LibvirtEventLoop> current;
    const std::lock_guard lock(mutex);
    if (auto loop = current.lock()) {
        return loop;
    }
    static std::once_flag registered;
    std::call_once(registered, [] {
        silenceLibvirtErrors();
        if (virEventRegisterDefaultImpl() != 0) {
            qCWarning(lcLibvirt, "cannot register libvirt's event loop: %s",
                      lastLibvirtError().message.c_str());
        }
    });
    std::shared_ptr<LibvirtEventLoop> loop(new LibvirtEventLoop());
    current = loop;
    return loop;
}

LibvirtEventLoop::~LibvirtEventLoop() {
    stop_ = true;
    // A timer due at once wakes the loop from its poll so that it sees stop_.
    if (virEventAddTimeout(0, removeTimer, nullptr, nullptr) < 0) {
        qCWarning(lcLibvirt, "cannot wake libvirt's event loop to stop it: %s",
                  lastLibvirtError().message.c_str());
    }
    if (thread_.get_id() == std::this_thread::get_id()) {
        thread_.detach();
    } else {
        thread_.join();
    }
}

LibvirtEventLoop::LibvirtEventLoop()
    : thread_([this] {
          while (!stop_) {
              if (virEventRunDefaultImpl() != 0) {
                  qCWarning(lcLibvirt, "libvirt's event loop failed: %s",
                            lastLibvirtError().message.c_str());
              }
          }
      }) {}

void LibvirtEventLoop::removeTimer(int timer, void*) {
    virEventRemoveTimeout(timer);
}

void EventSink::set(DomainEventHandler on_domain_event,
                    ConnectionEventHandler on_connection_event) {
    const std::lock_guard lock(mutex_);
    on_domain_event_ = std::move(on_domain_event);
    on_connection_event_ = std::move(on_connection_event);
}

void EventSink::deliver(const DomainEvent& event) {
    const std::lock_guard lock(mutex_);
    if (on_domain_event_) {
        on_domain_event_(event);
    }
}

void EventSink::deliver(const ConnectionEvent& event) {
    const std::lock_guard lock(mutex_);
    if (on_connection_event_) {
        on_connection_event_(event);
    }
}

Status registerDomainEvents(LibvirtConnection& connection, const std::shared_ptr<EventSink>& sink) {
    Status lifecycle =
        connection.registerDomainEvent(VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                       reinterpret_cast<LibvirtConnection::DomainEventCallback>(
                                           reinterpret_cast<void (*)()>(onLifecycle)),
                                       new std::shared_ptr<EventSink>(sink), freeSink);
    if (!lifecycle) {
        return lifecycle;
    }
    return connection.registerDomainEvent(VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE,
                                          reinterpret_cast<LibvirtConnection::DomainEventCallback>(
                                              reinterpret_cast<void (*)()>(onBalloonChange)),
                                          new std::shared_ptr<EventSink>(sink), freeSink);
}

std::string closeReason(int reason) {
    switch (reason) {
        case VIR_CONNECT_CLOSE_REASON_ERROR:
            return "the connection failed";
        case VIR_CONNECT_CLOSE_REASON_EOF:
            return "the hypervisor closed the connection";
        case VIR_CONNECT_CLOSE_REASON_KEEPALIVE:
            return "the hypervisor stopped answering keepalives";
        case VIR_CONNECT_CLOSE_REASON_CLIENT:
            return "the connection was closed";
        default:
            return "the connection closed";
    }
}

}  // namespace understudy::hypervisor

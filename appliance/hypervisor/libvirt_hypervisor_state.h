// LibvirtHypervisor's state, shared by the files that define its members: the current
// connection, its loss and reconnection, domain lookup, and libvirt's errors turned into
// Errors. Private to the hypervisor target.
#pragma once

#include <libvirt/libvirt.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "appliance/hypervisor/libvirt_connection.h"
#include "appliance/hypervisor/libvirt_events.h"
#include "appliance/hypervisor/libvirt_hypervisor.h"

namespace understudy::hypervisor {

struct DomainFree {
    void operator()(virDomainPtr domain) const { virDomainFree(domain); }
};
using DomainPtr = std::unique_ptr<virDomain, DomainFree>;

struct MallocFree {
    void operator()(char* text) const { std::free(text); }  // NOLINT(cppcoreguidelines-no-malloc)
};
using LibvirtString = std::unique_ptr<char, MallocFree>;

// libvirt's flag enums are distinct types; C++20 deprecates or-ing them directly.
template <typename A, typename B>
unsigned int combine(A a, B b) {
    return static_cast<unsigned int>(a) | static_cast<unsigned int>(b);
}

struct LibvirtHypervisor::State : std::enable_shared_from_this<State> {
    using Clock = std::chrono::steady_clock;

    State(std::string uri_, LibvirtHypervisorOptions options_)
        : uri(std::move(uri_)), options(options_), delay(options.initial_backoff) {}

    const std::string uri;
    const LibvirtHypervisorOptions options;
    std::shared_ptr<LibvirtEventLoop> loop;
    const std::shared_ptr<EventSink> sink = std::make_shared<EventSink>();

    mutable std::mutex mutex;
    std::condition_variable wake;
    std::shared_ptr<LibvirtConnection> connection;         // empty while lost
    std::vector<std::shared_ptr<LibvirtConnection>> dead;  // closed by the reconnect thread
    std::string lost_reason;
    std::optional<ConnectionEvent> pending_loss;  // reported by the reconnect thread
    int failed_attempts = 0;
    std::chrono::milliseconds delay;
    Clock::time_point next_attempt;
    bool stopping = false;
    std::thread reconnector;

    std::string where(const std::string& domain) const;
    Result<std::shared_ptr<LibvirtConnection>> current() const;

    // The calling thread's libvirt error, with what was being done and what to do about it.
    // A call that failed because the transport died starts the reconnection.
    Error failure(const LibvirtConnection& on, const std::string& action, const std::string& domain,
                  const std::string& advice = {});

    // For a caller that had to ask libvirt something else first (which resets the error).
    Error failure(const LibvirtConnection& on, const LibvirtError& error, const std::string& action,
                  const std::string& domain, const std::string& advice = {});

    // Any thread may find the connection dead; the reconnect thread closes it, reports it and
    // reconnects, so connection events reach the handlers from that one thread, in order.
    void markLost(virConnectPtr raw, const std::string& reason);
    // A new connection with the domain events and the close callback registered.
    Result<std::shared_ptr<LibvirtConnection>> connect();
    void reconnectLoop();
    void shutdown();

    // One domain, looked up on the current connection.
    struct Handle {
        std::shared_ptr<LibvirtConnection> connection;
        DomainPtr domain;
    };

    Result<Handle> lookup(const std::string& name, const std::string& action);
    bool isQemu(const LibvirtConnection& on) const;

    // The common shape of the simple lifecycle calls.
    template <typename Call>
    Status act(const std::string& name, const std::string& verb, Call call,
               const std::string& advice = {}) {
        const std::string action = "cannot " + verb + " domain '" + name + "'";
        auto handle = lookup(name, action);
        if (!handle) {
            return handle.error();
        }
        if (call(handle->domain.get()) != 0) {
            return failure(*handle->connection, action, name, advice);
        }
        return Done{};
    }
};

}  // namespace understudy::hypervisor

#include "appliance/hypervisor/libvirt_hypervisor_state.h"

#include <libvirt/virterror.h>

#include <algorithm>
#include <utility>

#include "appliance/hypervisor/libvirt_log.h"
#include "base/error_codes.h"

namespace understudy::hypervisor {
namespace {

struct Classified {
    const char* code;
    const char* advice;
};

Classified classify(int libvirt_code) {
    switch (libvirt_code) {
        case VIR_ERR_NO_DOMAIN:
            return {"domain_not_found",
                    "check the name; if Understudy owns it, it was undefined outside Understudy"};
        case VIR_ERR_OPERATION_INVALID:
            return {"invalid_state", "read the domain's state and retry when it allows this"};
        case VIR_ERR_INVALID_ARG:
            return {"invalid_argument", "the value is outside what the domain allows"};
        case VIR_ERR_NO_SUPPORT:
        case VIR_ERR_ARGUMENT_UNSUPPORTED:
            return {"unsupported", "this hypervisor driver does not offer it"};
        case VIR_ERR_XML_ERROR:
        case VIR_ERR_XML_DETAIL:
        case VIR_ERR_XML_INVALID_SCHEMA:
        case VIR_ERR_CONFIG_UNSUPPORTED:
            return {"invalid_domain_xml", "fix the domain template"};
        case VIR_ERR_OPERATION_DENIED:
        case VIR_ERR_ACCESS_DENIED:
        case VIR_ERR_AUTH_FAILED:
            return {"permission_denied",
                    "give the service's user access to libvirt (group libvirt, polkit or ACL)"};
        case VIR_ERR_OPERATION_TIMEOUT:
        case VIR_ERR_AGENT_UNRESPONSIVE:
            return {"timeout", "retry; if it persists, look at the hypervisor's log"};
        default:
            return {"hypervisor_error", "see the hypervisor's log (libvirtd) for details"};
    }
}

}  // namespace

using State = LibvirtHypervisor::State;

std::string State::where(const std::string& domain) const {
    return domain.empty() ? uri : "domain '" + domain + "' on " + uri;
}

Result<std::shared_ptr<LibvirtConnection>> State::current() const {
    const std::lock_guard lock(mutex);
    if (connection) {
        return connection;
    }
    return Error{errc::kHypervisorUnavailable,
                 "the connection to the hypervisor is lost (" + lost_reason +
                     "); the service is reconnecting: retry once it is back",
                 uri};
}

Error State::failure(const LibvirtConnection& on, const std::string& action,
                     const std::string& domain, const std::string& advice) {
    return failure(on, lastLibvirtError(), action, domain, advice);
}

Error State::failure(const LibvirtConnection& on, const LibvirtError& error,
                     const std::string& action, const std::string& domain,
                     const std::string& advice) {
    Classified classified = classify(error.code);
    std::string what_to_do = advice.empty() ? classified.advice : advice;
    if (!on.alive()) {
        markLost(on.get(), error.message);
        classified.code = errc::kHypervisorUnavailable;
        what_to_do = "the connection is lost and the service is reconnecting: retry then";
    }
    return Error{classified.code, action + ": " + error.message + "; " + what_to_do, where(domain)};
}

void State::markLost(virConnectPtr raw, const std::string& reason) {
    {
        const std::lock_guard lock(mutex);
        if (stopping || !connection || connection->get() != raw) {
            return;
        }
        dead.push_back(std::move(connection));
        connection.reset();
        lost_reason = reason;
        failed_attempts = 0;
        delay = options.initial_backoff;
        next_attempt = Clock::now() + delay;
        pending_loss = ConnectionEvent{ConnectionState::lost, uri, reason, 0, delay};
    }
    wake.notify_all();
    qCWarning(lcLibvirt, "%s: connection lost: %s", uri.c_str(), reason.c_str());
}

Result<std::shared_ptr<LibvirtConnection>> State::connect() {
    auto opened =
        LibvirtConnection::open(uri, {options.keepalive_interval_s, options.keepalive_count});
    if (!opened) {
        return opened.error();
    }
    std::shared_ptr<LibvirtConnection> fresh = std::move(*opened);
    if (Status events = registerDomainEvents(*fresh, sink); !events) {
        return events.error();
    }
    Status close = fresh->registerCloseCallback(
        [](virConnectPtr raw, int reason, void* opaque) {
            if (auto state = static_cast<std::weak_ptr<State>*>(opaque)->lock()) {
                state->markLost(raw, closeReason(reason));
            }
        },
        new std::weak_ptr<State>(weak_from_this()),
        [](void* opaque) { delete static_cast<std::weak_ptr<State>*>(opaque); });
    if (!close) {
        return close.error();
    }
    return fresh;
}

void State::reconnectLoop() {
    std::unique_lock lock(mutex);
    while (!stopping) {
        if (pending_loss) {
            const ConnectionEvent event = std::move(*pending_loss);
            pending_loss.reset();
            lock.unlock();
            sink->deliver(event);
            lock.lock();
            continue;
        }
        if (!dead.empty()) {
            auto closing = std::move(dead);
            dead.clear();
            lock.unlock();
            closing.clear();
            lock.lock();
            continue;
        }
        if (connection || Clock::now() < next_attempt) {
            if (connection) {
                wake.wait(lock);
            } else {
                wake.wait_until(lock, next_attempt);
            }
            continue;
        }
        lock.unlock();
        auto attempt = connect();
        lock.lock();
        if (stopping) {
            if (attempt) {
                dead.push_back(std::move(*attempt));
            }
            break;
        }
        ConnectionEvent event{ConnectionState::connected, uri, {}, 0, {}};
        if (attempt) {
            connection = std::move(*attempt);
            event.failed_attempts = failed_attempts;
            failed_attempts = 0;
            qCInfo(lcLibvirt, "%s: reconnected", uri.c_str());
        } else {
            ++failed_attempts;
            delay = std::min(delay * 2, options.max_backoff);
            next_attempt = Clock::now() + delay;
            event = ConnectionEvent{ConnectionState::lost, uri, attempt.error().message,
                                    failed_attempts, delay};
            qCInfo(lcLibvirt, "%s: reconnect attempt %d failed (%s); next in %lld ms", uri.c_str(),
                   failed_attempts, attempt.error().message.c_str(),
                   static_cast<long long>(delay.count()));
        }
        lock.unlock();
        sink->deliver(event);
        lock.lock();
    }
}

void State::shutdown() {
    {
        const std::lock_guard lock(mutex);
        stopping = true;
    }
    wake.notify_all();
    if (reconnector.joinable()) {
        reconnector.join();
    }
    // Waits for a handler in flight; none runs after this.
    sink->set({}, {});
    std::shared_ptr<LibvirtConnection> last;
    std::vector<std::shared_ptr<LibvirtConnection>> closing;
    {
        const std::lock_guard lock(mutex);
        last = std::move(connection);
        closing = std::move(dead);
    }
    last.reset();
    closing.clear();
    loop.reset();
}

Result<State::Handle> State::lookup(const std::string& name, const std::string& action) {
    auto on = current();
    if (!on) {
        return on.error();
    }
    DomainPtr domain(virDomainLookupByName((*on)->get(), name.c_str()));
    if (!domain) {
        return failure(**on, action, name);
    }
    return Handle{std::move(*on), std::move(domain)};
}

bool State::isQemu(const LibvirtConnection& on) const {
    const char* type = virConnectGetType(on.get());
    return type && std::string(type) == "QEMU";
}

}  // namespace understudy::hypervisor

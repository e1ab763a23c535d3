// A Hypervisor decorator for fault tests: it forwards every call to the real LibvirtHypervisor
// and, where a test armed a fault for that call (and domain), fails it, delays it, or runs an
// action (drop the connection, destroy the domain through a second connection) before or after
// the real call. Only for what libvirt's test driver cannot do by itself at a chosen moment.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "appliance/hypervisor/libvirt_hypervisor.h"

namespace understudy::core::testing {

enum class HypervisorCall {
    host_capacity,
    list_domains,
    domain_info,
    domain_xml,
    define_domain,
    undefine_domain,
    start,
    destroy,
    reset,
    shutdown,
    managed_save,
    has_managed_save,
    set_memory_live,
    set_vcpus_live,
    supports_scheduler_cap,
    scheduler_cap,
    set_scheduler_cap,
    set_metadata,
    get_metadata,
};

struct HypervisorFault {
    HypervisorCall call = HypervisorCall::domain_info;
    std::string domain;  // empty: any domain
    int skip = 0;        // let this many matching calls through first
    int times = 1;       // how often it fires; negative: until cleared
    // After the real call: it took effect, but the caller sees the fault (a lost answer).
    bool after = false;
    std::chrono::milliseconds delay{0};  // a slow call (a hung transport)
    std::optional<Error> error;          // answered instead of the real answer
    std::function<void()> action;        // e.g. drop the connection
};

class FaultyHypervisor final : public hypervisor::Hypervisor {
public:
    explicit FaultyHypervisor(std::unique_ptr<hypervisor::LibvirtHypervisor> inner)
        : inner_(std::move(inner)) {}

    void inject(HypervisorFault fault) {
        const std::lock_guard lock(mutex_);
        faults_.push_back(std::move(fault));
    }
    void clear() {
        const std::lock_guard lock(mutex_);
        faults_.clear();
    }
    int fired() const { return fired_.load(); }
    // The host's power as the service sees it: off, every call fails as on a dead transport
    // and the connection is reported lost; on again, it is reported connected, with whatever
    // domains the host still had (a host that comes back keeps its definitions).
    void setHostOff(bool off) {
        hypervisor::ConnectionEventHandler handler;
        {
            const std::lock_guard lock(mutex_);
            off_ = off;
            handler = on_connection_event_;
        }
        if (handler) {
            hypervisor::ConnectionEvent change;
            change.state =
                off ? hypervisor::ConnectionState::lost : hypervisor::ConnectionState::connected;
            change.uri = inner_->uri();
            change.reason = off ? "the host stopped answering" : "";
            handler(change);
        }
    }
    hypervisor::LibvirtHypervisor& inner() { return *inner_; }

    const std::string& uri() const override { return inner_->uri(); }
    bool connected() const override { return !hostOff() && inner_->connected(); }

    Result<hypervisor::HostCapacity> hostCapacity() override {
        return through<Result<hypervisor::HostCapacity>>(HypervisorCall::host_capacity, {},
                                                         [&] { return inner_->hostCapacity(); });
    }
    Result<std::vector<hypervisor::DomainInfo>> listDomains() override {
        return through<Result<std::vector<hypervisor::DomainInfo>>>(
            HypervisorCall::list_domains, {}, [&] { return inner_->listDomains(); });
    }
    Result<hypervisor::DomainInfo> domainInfo(const std::string& name) override {
        return through<Result<hypervisor::DomainInfo>>(HypervisorCall::domain_info, name,
                                                       [&] { return inner_->domainInfo(name); });
    }
    Result<std::string> domainXml(const std::string& name, bool persistent) override {
        return through<Result<std::string>>(HypervisorCall::domain_xml, name,
                                            [&] { return inner_->domainXml(name, persistent); });
    }
    Result<hypervisor::DomainInfo> defineDomain(const std::string& xml) override {
        return through<Result<hypervisor::DomainInfo>>(HypervisorCall::define_domain, {},
                                                       [&] { return inner_->defineDomain(xml); });
    }
    Status undefineDomain(const std::string& name) override {
        return through<Status>(HypervisorCall::undefine_domain, name,
                               [&] { return inner_->undefineDomain(name); });
    }
    Status start(const std::string& name) override {
        return through<Status>(HypervisorCall::start, name, [&] { return inner_->start(name); });
    }
    Status destroy(const std::string& name) override {
        return through<Status>(HypervisorCall::destroy, name,
                               [&] { return inner_->destroy(name); });
    }
    Status reset(const std::string& name) override {
        return through<Status>(HypervisorCall::reset, name, [&] { return inner_->reset(name); });
    }
    Status shutdown(const std::string& name) override {
        return through<Status>(HypervisorCall::shutdown, name,
                               [&] { return inner_->shutdown(name); });
    }
    Status managedSave(const std::string& name) override {
        return through<Status>(HypervisorCall::managed_save, name,
                               [&] { return inner_->managedSave(name); });
    }
    Result<bool> hasManagedSave(const std::string& name) override {
        return through<Result<bool>>(HypervisorCall::has_managed_save, name,
                                     [&] { return inner_->hasManagedSave(name); });
    }
    Status setMemoryLive(const std::string& name, std::int64_t memory_mib) override {
        return through<Status>(HypervisorCall::set_memory_live, name,
                               [&] { return inner_->setMemoryLive(name, memory_mib); });
    }
    Status setVcpusLive(const std::string& name, int vcpus) override {
        return through<Status>(HypervisorCall::set_vcpus_live, name,
                               [&] { return inner_->setVcpusLive(name, vcpus); });
    }
    Result<bool> supportsSchedulerCap() override {
        return through<Result<bool>>(HypervisorCall::supports_scheduler_cap, {},
                                     [&] { return inner_->supportsSchedulerCap(); });
    }
    Result<hypervisor::SchedulerCap> schedulerCap(const std::string& name) override {
        return through<Result<hypervisor::SchedulerCap>>(
            HypervisorCall::scheduler_cap, name, [&] { return inner_->schedulerCap(name); });
    }
    Status setSchedulerCap(const std::string& name, const hypervisor::SchedulerCap& cap) override {
        return through<Status>(HypervisorCall::set_scheduler_cap, name,
                               [&] { return inner_->setSchedulerCap(name, cap); });
    }
    Status setMetadata(const std::string& name, const hypervisor::NodeMetadata& metadata) override {
        return through<Status>(HypervisorCall::set_metadata, name,
                               [&] { return inner_->setMetadata(name, metadata); });
    }
    Result<std::optional<hypervisor::NodeMetadata>> getMetadata(const std::string& name) override {
        return through<Result<std::optional<hypervisor::NodeMetadata>>>(
            HypervisorCall::get_metadata, name, [&] { return inner_->getMetadata(name); });
    }
    void setEventHandlers(hypervisor::DomainEventHandler on_domain_event,
                          hypervisor::ConnectionEventHandler on_connection_event) override {
        {
            const std::lock_guard lock(mutex_);
            on_connection_event_ = on_connection_event;
        }
        inner_->setEventHandlers(std::move(on_domain_event), std::move(on_connection_event));
    }

private:
    bool hostOff() const {
        const std::lock_guard lock(mutex_);
        return off_;
    }
    std::optional<HypervisorFault> take(HypervisorCall call, const std::string& domain) {
        const std::lock_guard lock(mutex_);
        for (auto it = faults_.begin(); it != faults_.end(); ++it) {
            if (it->call != call || (!it->domain.empty() && it->domain != domain)) {
                continue;
            }
            if (it->skip > 0) {
                --it->skip;
                return std::nullopt;
            }
            HypervisorFault fired = *it;
            if (it->times > 0 && --it->times == 0) {
                faults_.erase(it);
            }
            return fired;
        }
        return std::nullopt;
    }
    void fire(const HypervisorFault& fault) {
        ++fired_;
        if (fault.delay.count() > 0) {
            std::this_thread::sleep_for(fault.delay);
        }
        if (fault.action) {
            fault.action();
        }
    }
    template <typename R, typename F>
    R through(HypervisorCall call, const std::string& domain, F real) {
        if (hostOff()) {
            return R(Error{"hypervisor_unavailable", "the host is off", inner_->uri()});
        }
        const std::optional<HypervisorFault> fault = take(call, domain);
        if (!fault) {
            return real();
        }
        if (!fault->after) {
            fire(*fault);
            if (fault->error) {
                return R(*fault->error);
            }
            return real();
        }
        R answer = real();
        fire(*fault);
        if (fault->error) {
            return R(*fault->error);
        }
        return answer;
    }

    std::unique_ptr<hypervisor::LibvirtHypervisor> inner_;
    mutable std::mutex mutex_;
    bool off_ = false;
    hypervisor::ConnectionEventHandler on_connection_event_;
    std::vector<HypervisorFault> faults_;
    std::atomic<int> fired_{0};
};

}  // namespace understudy::core::testing

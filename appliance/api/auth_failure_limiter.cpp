#include "appliance/api/auth_failure_limiter.h"

#include <algorithm>

namespace understudy::api {

std::string AuthFailureLimiter::keyOf(const QHostAddress& address) {
    // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; they are one address either way.
    bool mapped = false;
    const quint32 ipv4 = address.toIPv4Address(&mapped);
    return mapped ? QHostAddress(ipv4).toString().toStdString() : address.toString().toStdString();
}

std::optional<int> AuthFailureLimiter::refusedFor(const QHostAddress& address) {
    const auto found = addresses_.find(keyOf(address));
    if (found == addresses_.end() || !found->second.blocked_until) {
        return std::nullopt;
    }
    const Clock::time_point now = now_();
    const Clock::time_point until = *found->second.blocked_until;
    if (now >= until) {
        found->second.blocked_until.reset();
        found->second.times.clear();
        return std::nullopt;
    }
    ++refusals_;
    const auto left = std::chrono::ceil<std::chrono::seconds>(until - now);
    return static_cast<int>(std::max<std::chrono::seconds::rep>(1, left.count()));
}

bool AuthFailureLimiter::recordFailure(const QHostAddress& address) {
    ++failures_;
    const Clock::time_point now = now_();
    const std::string key = keyOf(address);
    if (addresses_.find(key) == addresses_.end() && addresses_.size() >= options_.max_addresses) {
        makeRoom(now);
    }
    Failures& failures = addresses_[key];
    if (failures.blocked_until && now < *failures.blocked_until) {
        return false;
    }
    failures.blocked_until.reset();
    failures.times.push_back(now);
    while (failures.times.size() > static_cast<std::size_t>(options_.max_failures)) {
        failures.times.pop_front();
    }
    if (failures.times.size() < static_cast<std::size_t>(options_.max_failures) ||
        now - failures.times.front() > options_.window) {
        return false;
    }
    failures.blocked_until = now + options_.block;
    return true;
}

bool AuthFailureLimiter::stale(const Failures& failures, Clock::time_point now) const {
    const bool blocked = failures.blocked_until && now < *failures.blocked_until;
    return !blocked && (failures.times.empty() || now - failures.times.back() > options_.window);
}

void AuthFailureLimiter::makeRoom(Clock::time_point now) {
    std::erase_if(addresses_, [&](const auto& entry) { return stale(entry.second, now); });
    if (addresses_.size() < options_.max_addresses) {
        return;
    }
    const auto oldest = std::min_element(
        addresses_.begin(), addresses_.end(),
        [](const auto& a, const auto& b) { return a.second.times.back() < b.second.times.back(); });
    addresses_.erase(oldest);
}

}  // namespace understudy::api

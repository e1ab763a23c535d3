// Failed authentications limited per source address (docs/http-api.md, "Errors", 429
// `too_many_failures`): an address with more than `max_failures` failed authentications within
// `window` is refused for `block`, whatever it sends, so that guessing tokens costs the guesser
// time and the service almost nothing.
//
// Memory is bounded: an address is forgotten once its last failure is older than the window and
// its block is over, and beyond `max_addresses` the one whose last failure is the oldest goes.
#pragma once

#include <QHostAddress>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace understudy::api {

struct AuthFailureLimits {
    int max_failures = 20;
    std::chrono::steady_clock::duration window = std::chrono::seconds(10);
    std::chrono::steady_clock::duration block = std::chrono::seconds(10);
    std::size_t max_addresses = 10000;
};

class AuthFailureLimiter {
public:
    using Clock = std::chrono::steady_clock;
    using Options = AuthFailureLimits;

    explicit AuthFailureLimiter(Options options = {},
                                std::function<Clock::time_point()> now = &Clock::now)
        : options_(options), now_(std::move(now)) {}

    // Whole seconds, rounded up, until `address` may be served again; nothing when it may now.
    std::optional<int> refusedFor(const QHostAddress& address);
    // Counts a failed authentication from `address`; true when it starts a block (once per
    // burst, for the log).
    bool recordFailure(const QHostAddress& address);

    std::uint64_t failures() const { return failures_; }
    // Requests answered 429 (refusedFor returned a value).
    std::uint64_t refusals() const { return refusals_; }
    std::size_t addressCount() const { return addresses_.size(); }
    const Options& options() const { return options_; }

private:
    struct Failures {
        std::deque<Clock::time_point> times;  // the latest max_failures, oldest first
        std::optional<Clock::time_point> blocked_until;
    };

    static std::string keyOf(const QHostAddress& address);
    bool stale(const Failures& failures, Clock::time_point now) const;
    void makeRoom(Clock::time_point now);

    Options options_;
    std::function<Clock::time_point()> now_;
    std::map<std::string, Failures> addresses_;
    std::uint64_t failures_ = 0;
    std::uint64_t refusals_ = 0;
};

}  // namespace understudy::api

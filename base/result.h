// Result<T>: an expected value or an error, for failures that are part of normal operation
// (bad input, denied takeover, libvirt errors). GCC 12 has no std::expected.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace understudy {

struct Error {
    // A stable, machine-readable code such as "invalid_field" or "io".
    std::string code;
    // One sentence a person can act on: what failed, on what, and what to do.
    std::string message;
    // Where in the input the problem is: "fleet.json: clusters[3].standby.memory_mib",
    // "fleet.csv:7: mttr_hours". Empty when there is no input location.
    std::string where;

    std::string describe() const { return where.empty() ? message : where + ": " + message; }
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<T>(state_); }
    const T& value() const& { return std::get<T>(state_); }
    T&& value() && { return std::get<T>(std::move(state_)); }
    const Error& error() const { return std::get<Error>(state_); }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, Error> state_;
};

// For operations that produce nothing but can fail.
struct Done {};
using Status = Result<Done>;

}  // namespace understudy

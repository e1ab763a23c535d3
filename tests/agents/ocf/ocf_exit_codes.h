// The OCF resource agent API's exit codes, as the OCF agents' tests expect them.
#pragma once

namespace understudy::tests {

inline constexpr int kOcfSuccess = 0;
inline constexpr int kOcfErrGeneric = 1;
inline constexpr int kOcfErrUnimplemented = 3;
inline constexpr int kOcfErrPerm = 4;
inline constexpr int kOcfErrInstalled = 5;
inline constexpr int kOcfErrConfigured = 6;
inline constexpr int kOcfNotRunning = 7;

}  // namespace understudy::tests

// The admin token understudyd runs with: from the admin token file, or for a demo from
// UNDERSTUDY_ADMIN_TOKEN or generated.
//
// The admin token file must be a regular file of at most 4 KiB that "others" may neither read
// nor write (like ssh with private keys: the package creates it mode 0640, group understudy);
// its first line, trimmed, is the token: at least 16 characters, printable ASCII without
// blanks, since it travels in an HTTP header. Root reads any file whatever its mode, so only
// the mode bits are checked, not what the process could read.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "appliance/daemon/service_config.h"
#include "base/result.h"

namespace understudy::daemon {

inline constexpr std::size_t kMaxAdminTokenFileBytes = 4096;
inline constexpr std::size_t kMinAdminTokenLength = 16;
inline constexpr char kAdminTokenEnvironment[] = "UNDERSTUDY_ADMIN_TOKEN";

// The first line of the admin token file, trimmed (rules above). Errors: "io" when it cannot
// be read, "invalid_config" otherwise; none contains the token.
Result<std::string> readAdminTokenFile(const std::string& path);

// 32 bytes of QRandomGenerator::system(), base64url without padding (43 characters).
std::string generateAdminToken();

struct AdminToken {
    std::string value;
    // Generated for a demo: the daemon prints it once, at start.
    bool generated = false;
};

// The demo's token: `environment_value` (UNDERSTUDY_ADMIN_TOKEN) when set, else generated.
// Set but blank, or not printable ASCII, is an error rather than a silent fallback.
Result<AdminToken> demoAdminToken(const std::optional<std::string>& environment_value);

// The token the daemon runs with: demoAdminToken from the environment in demo mode, the
// token file otherwise.
Result<AdminToken> adminToken(const ServiceConfig& config);

}  // namespace understudy::daemon

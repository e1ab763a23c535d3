// The error codes every layer shares, so one spelling travels from where a failure is found
// (the store, libvirt, a parser) to where it is answered (the API's status and `error`).
// Codes that stay inside one layer (a parser's own "malformed_csv", say) are spelt there.
#pragma once

namespace understudy::errc {

// The API's own codes (docs/http-api.md, "Errors").
inline constexpr char kInvalidField[] = "invalid_field";
inline constexpr char kMalformedJson[] = "malformed_json";
inline constexpr char kNotFound[] = "not_found";
inline constexpr char kConflict[] = "conflict";
inline constexpr char kHypervisorUnavailable[] = "hypervisor_unavailable";
inline constexpr char kDatabaseUnavailable[] = "database_unavailable";

// Failures below the API that it maps onto the codes above.
inline constexpr char kIo[] = "io";
inline constexpr char kHypervisorError[] = "hypervisor_error";
inline constexpr char kHypervisorFailed[] = "hypervisor_failed";
inline constexpr char kTemplateUnreadable[] = "template_unreadable";
inline constexpr char kDomainNotFound[] = "domain_not_found";
inline constexpr char kDatabaseError[] = "database_error";

}  // namespace understudy::errc

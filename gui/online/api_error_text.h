// The service's errors in words for people: the message, and for a takeover denial or an admission
// refusal the figures behind it (docs/http-api.md, "Errors").
#pragma once

#include <QString>

#include "appliance/client/api_error.h"

namespace understudy::gui {

// Several lines: the service's message, then the details of a denial or a refusal.
QString describeApiError(const client::ApiError& error);
QString describeDenial(const client::Denial& denial);
QString describeRefusal(const client::AdmissionRefusal& refusal);

}  // namespace understudy::gui

// The logging category of the API server and its handlers. Never log a token, an
// Authorization header or a request body through it.
#pragma once

#include <QLoggingCategory>

namespace understudy::http {
Q_DECLARE_LOGGING_CATEGORY(lcApi)
}  // namespace understudy::http

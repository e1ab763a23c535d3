// The store's logging category, `understudy.db`.
#pragma once

#include <QLoggingCategory>

namespace understudy::db {
Q_DECLARE_LOGGING_CATEGORY(lcDb)
}  // namespace understudy::db

// The schema's history. Each migration moves the database from version - 1 to version
// (PRAGMA user_version) in one transaction; they are applied in order at the writer's open.
// A new schema version is one more entry at the end of the list, never an edit of an old one:
// databases in the field were written by the old ones.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

struct sqlite3;

namespace understudy::db {

struct Migration {
    int version;
    std::string_view description;
    std::string_view sql;
};

const std::vector<Migration>& migrations();

// The version this program writes and the newest it can read.
int latestSchemaVersion();

// Applies, in order, each migration above the database's version up to target (the latest by
// default), each in its own transaction with the foreign keys checked before it commits.
// Used at open; tests use target to write databases of an old version. Each migration from
// version 2 on is recorded in schema_history with backup, the copy of the database taken
// before this run (empty: none).
Status applyMigrations(sqlite3* connection, int target = latestSchemaVersion(),
                       const std::string& backup = {});

// PRAGMA user_version of the connection's main database.
Result<int> readSchemaVersion(sqlite3* connection);

}  // namespace understudy::db

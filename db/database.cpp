#include "db/database.h"

#include <sqlite3.h>

namespace understudy::db {

Result<std::unique_ptr<Database>> Database::open(const std::string& path) {
    sqlite3* handle = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
        Error error{"database_unavailable",
                    std::string("cannot open the database: ") + sqlite3_errstr(rc) +
                        "; check that the folder exists and is writable",
                    path};
        sqlite3_close_v2(handle);
        return error;
    }
    std::unique_ptr<Database> database(new Database(handle));
    char* message = nullptr;
    if (sqlite3_exec(handle,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
                     nullptr, nullptr, &message) != SQLITE_OK) {
        Error error{"database_unavailable",
                    std::string("cannot configure the database: ") + (message ? message : "?"),
                    path};
        sqlite3_free(message);
        return error;
    }
    return database;
}

Database::~Database() {
    sqlite3_close_v2(handle_);
}

std::string Database::journalMode() const {
    sqlite3_stmt* statement = nullptr;
    std::string mode;
    if (sqlite3_prepare_v2(handle_, "PRAGMA journal_mode", -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
        mode = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
    sqlite3_finalize(statement);
    return mode;
}

}  // namespace understudy::db

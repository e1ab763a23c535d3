// The SQLite store's connection: one file, WAL, synchronous=FULL, foreign keys on.
#pragma once

#include <memory>
#include <string>

#include "sizing/result.h"

struct sqlite3;

namespace understudy::db {

class Database {
public:
    // Opens (creating if needed) the database at path, in WAL mode with synchronous=FULL so an
    // acknowledged commit survives a power loss.
    static Result<std::unique_ptr<Database>> open(const std::string& path);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    std::string journalMode() const;
    sqlite3* handle() const { return handle_; }

private:
    explicit Database(sqlite3* handle) : handle_(handle) {}
    sqlite3* handle_;
};

}  // namespace understudy::db

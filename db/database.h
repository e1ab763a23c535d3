// One connection to the SQLite store, in one of two roles:
// - the writer: exactly one per database (a second one is refused, see WriterLock), used by one
//   thread (the appliance core). It applies the migrations at open and is the only connection
//   that changes anything;
// - readers: any number, each used by one thread (the API's concurrent reads). WAL lets them
//   read a consistent snapshot while the writer commits.
// Every commit is durable before it returns (WAL, synchronous=FULL), so an answer given after
// a commit survives SIGKILL and power loss.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "db/statement.h"
#include "db/writer_lock.h"

namespace understudy::db {

struct OpenOptions {
    // How long a statement waits for another connection's lock before it fails with
    // database_unavailable.
    std::chrono::milliseconds busyTimeout{5000};
    // Run PRAGMA quick_check before the writer touches an existing file, so a damaged
    // database is refused at start rather than half-way through a takeover.
    bool verifyAtOpen = true;
    // An upper bound on the file's size in pages (PRAGMA max_page_count); beyond it writes fail
    // with database_full. Unset: SQLite's own limit.
    std::optional<std::int64_t> maxPageCount;
};

enum class Role { Writer, Reader };

struct CheckReport {
    bool ok = false;
    // SQLite's own lines, "ok" excluded; empty when ok.
    std::vector<std::string> problems;
};

class Transaction;

class Database {
public:
    // Opens or creates the database and brings its schema to the latest version. Refuses,
    // without writing a byte to the file, one that is not a database or is damaged
    // (database_corrupt), was written by a newer program (database_too_new), is read-only
    // (database_read_only) or already has a writer (database_unavailable).
    static Result<std::unique_ptr<Database>> openWriter(const std::string& path,
                                                        const OpenOptions& options = {});
    // Opens an existing database for reading only. The schema must be the one this program
    // writes: open the writer first, which migrates it.
    static Result<std::unique_ptr<Database>> openReader(const std::string& path,
                                                        const OpenOptions& options = {});

    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    Role role() const { return role_; }
    const std::string& path() const { return path_; }
    int schemaVersion() const;
    std::string journalMode() const;

    // Starts a transaction: BEGIN IMMEDIATE at the outside, a savepoint when nested, so a
    // repository call inside the core's own transaction joins it. Roll back unless committed.
    Result<Transaction> transaction();

    // A read snapshot on any connection: the reads inside it see one committed state of the
    // database (BEGIN DEFERRED, or a savepoint when nested). Commit or drop it to end it.
    Result<Transaction> snapshot();

    // PRAGMA quick_check (fast, O(size) without index cross-checks) and integrity_check (full).
    Result<CheckReport> quickCheck() const;
    Result<CheckReport> integrityCheck() const;

    // A consistent copy of the whole database into a new file at destination, taken with
    // SQLite's online backup API while other connections keep reading and writing. Written to
    // destination + ".partial" and renamed once complete, so a failed backup leaves no file
    // that looks whole.
    Status backupTo(const std::string& destination) const;

    // For repositories only (inside db/): the raw connection.
    sqlite3* connection() const { return connection_.get(); }

private:
    Database(ConnectionHandle connection, Role role, std::string path,
             std::optional<WriterLock> lock)
        : lock_(std::move(lock)),
          connection_(std::move(connection)),
          role_(role),
          path_(std::move(path)) {}
    Result<CheckReport> check(const char* pragma) const;
    Result<Transaction> begin(const char* statement);

    // Declared before the connection so that it is released only after the connection has
    // closed (members are destroyed in reverse order): the next writer finds a closed file.
    std::optional<WriterLock> lock_;
    ConnectionHandle connection_;
    Role role_;
    std::string path_;
    int transactionDepth_ = 0;
    std::int64_t savepointCounter_ = 0;
    friend class Transaction;
};

// A unit of work: everything inside commits together or not at all. Move-only; the destructor
// rolls back what was not committed.
class Transaction {
public:
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    // Commits (or releases the savepoint). On the outermost transaction, returns once the
    // commit is on disk.
    Status commit();

private:
    Transaction(Database* database, std::string savepoint)
        : database_(database), savepoint_(std::move(savepoint)) {}
    Database* database_;
    // Empty for the outermost transaction.
    std::string savepoint_;
    friend class Database;
};

}  // namespace understudy::db

#include "db/database.h"

#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "base/error_codes.h"
#include "db/logging.h"
#include "db/migrations.h"

namespace understudy::db {

Q_LOGGING_CATEGORY(lcDb, "understudy.db")

namespace {

Result<ConnectionHandle> openConnection(const std::string& path, int flags,
                                        const OpenOptions& options) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_URI, nullptr);
    ConnectionHandle connection(raw);
    if (rc != SQLITE_OK) {
        return sqliteError(rc, "opening the database", sqlite3_errstr(rc), path);
    }
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, static_cast<int>(options.busyTimeout.count()));
    return connection;
}

// Reads the header and the schema, which is what fails first on a file that is not a
// database or whose first pages are damaged. Reads only: nothing is written before this passes.
Result<int> probeExisting(sqlite3* connection, const std::string& path) {
    auto version = readSchemaVersion(connection);
    if (!version) {
        Error error = version.error();
        error.where = path;
        return error;
    }
    if (auto schema = execute(connection, "SELECT count(*) FROM sqlite_schema"); !schema) {
        Error error = schema.error();
        error.where = path;
        return error;
    }
    if (*version > latestSchemaVersion()) {
        return Error{"database_too_new",
                     "the database has schema version " + std::to_string(*version) +
                         " but this program knows versions up to " +
                         std::to_string(latestSchemaVersion()) +
                         "; it was written by a newer Understudy: upgrade this program (the "
                         "file was left untouched)",
                     path};
    }
    return *version;
}

Error problemsError(const CheckReport& report, const std::string& path) {
    std::string detail = report.problems.empty() ? "unknown damage" : report.problems.front();
    if (report.problems.size() > 1) {
        detail += " (and " + std::to_string(report.problems.size() - 1) + " more problems)";
    }
    return Error{"database_corrupt",
                 "the database failed its quick check: " + detail +
                     "; the file was left untouched: restore it from a backup or move it aside "
                     "to start afresh",
                 path};
}

}  // namespace

Result<std::unique_ptr<Database>> Database::openWriter(const std::string& path,
                                                       const OpenOptions& options) {
    auto connection = openConnection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, options);
    if (!connection) {
        return connection.error();
    }
    sqlite3* raw = connection->get();
    if (sqlite3_db_readonly(raw, "main") == 1) {
        return Error{"database_read_only",
                     "the database can only be opened read-only (read-only file system or "
                     "immutable file); the service needs to write it: move it to a writable "
                     "place",
                     path};
    }
    auto lock = WriterLock::acquire(path);
    if (!lock) {
        return lock.error();
    }
    auto version = probeExisting(raw, path);
    if (!version) {
        qCWarning(lcDb, "refusing the database: %s", version.error().describe().c_str());
        return version.error();
    }
    std::unique_ptr<Database> database(
        new Database(std::move(*connection), Role::Writer, path, std::move(*lock)));
    if (options.verifyAtOpen && *version > 0) {
        auto report = database->quickCheck();
        if (!report) {
            return report.error();
        }
        if (!report->ok) {
            Error error = problemsError(*report, path);
            qCWarning(lcDb, "refusing the database: %s", error.describe().c_str());
            return error;
        }
    }
    // WAL lets readers work while the writer commits; synchronous=FULL makes every commit durable
    // before it returns (an answer given is never lost, understudyd(8)).
    auto mode = queryFirst<std::string>(raw, "PRAGMA journal_mode=WAL", leadingText);
    if (!mode) {
        return mode.error();
    }
    if (mode->value_or("") != "wal") {
        return Error{errc::kDatabaseUnavailable,
                     "the database could not be switched to write-ahead logging; put it on a "
                     "local file system that supports shared memory",
                     path};
    }
    std::string pragmas = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF;";
    if (options.maxPageCount) {
        pragmas += "PRAGMA max_page_count=" + std::to_string(*options.maxPageCount) + ";";
    }
    if (auto configured = execute(raw, pragmas); !configured) {
        return configured.error();
    }
    // A database written by an older program is copied, whole and consistent, before it is
    // migrated: a migration that goes wrong, or a downgrade, can start again from the copy.
    std::string backup;
    if (*version > 0 && *version < latestSchemaVersion()) {
        backup = path + ".pre-v" + std::to_string(latestSchemaVersion()) + ".bak";
        if (auto copied = database->backupTo(backup); !copied) {
            Error error = copied.error();
            error.message =
                "could not copy the database before migrating it from schema version " +
                std::to_string(*version) + ": " + error.message +
                "; nothing was migrated: make room next to the database and start again";
            qCWarning(lcDb, "refusing to migrate: %s", error.describe().c_str());
            return error;
        }
    }
    if (auto migrated = applyMigrations(raw, latestSchemaVersion(), backup); !migrated) {
        qCWarning(lcDb, "migration failed: %s", migrated.error().describe().c_str());
        return migrated.error();
    }
    if (auto configured = execute(raw, "PRAGMA foreign_keys=ON"); !configured) {
        return configured.error();
    }
    qCInfo(lcDb, "opened %s for writing at schema version %d", path.c_str(), latestSchemaVersion());
    return database;
}

Result<std::unique_ptr<Database>> Database::openReader(const std::string& path,
                                                       const OpenOptions& options) {
    auto connection = openConnection(path, SQLITE_OPEN_READONLY, options);
    if (!connection) {
        return connection.error();
    }
    auto version = probeExisting(connection->get(), path);
    if (!version) {
        return version.error();
    }
    if (*version < latestSchemaVersion()) {
        return Error{errc::kDatabaseUnavailable,
                     "the database has schema version " + std::to_string(*version) +
                         ", older than this program's " + std::to_string(latestSchemaVersion()) +
                         "; open it for writing first (start the service), which migrates it",
                     path};
    }
    return std::unique_ptr<Database>(
        new Database(std::move(*connection), Role::Reader, path, std::nullopt));
}

Database::~Database() = default;

int Database::schemaVersion() const {
    auto version = readSchemaVersion(connection());
    return version ? *version : -1;
}

std::string Database::journalMode() const {
    auto mode = queryFirst<std::string>(connection(), "PRAGMA journal_mode", leadingText);
    return mode ? mode->value_or("") : std::string();
}

Result<Transaction> Database::transaction() {
    if (role_ == Role::Reader) {
        return Error{"database_read_only",
                     "a reader connection cannot change the database; use the writer", path_};
    }
    return begin("BEGIN IMMEDIATE");
}

Result<Transaction> Database::snapshot() {
    return begin("BEGIN DEFERRED");
}

Result<Transaction> Database::begin(const char* statement) {
    if (transactionDepth_ == 0) {
        if (auto begun = execute(connection(), statement); !begun) {
            return begun.error();
        }
        ++transactionDepth_;
        return Transaction(this, "");
    }
    std::string name = "nested_" + std::to_string(++savepointCounter_);
    if (auto begun = execute(connection(), "SAVEPOINT " + name); !begun) {
        return begun.error();
    }
    ++transactionDepth_;
    return Transaction(this, std::move(name));
}

Result<CheckReport> Database::check(const char* pragma) const {
    auto statement = Statement::prepare(connection(), pragma);
    CheckReport report;
    if (statement) {
        for (;;) {
            auto row = statement->step();
            if (!row) {
                statement = row.error();
                break;
            }
            if (!*row) {
                report.ok = report.problems.empty();
                return report;
            }
            if (std::string line = statement->text(0); line != "ok") {
                report.problems.push_back(std::move(line));
            }
        }
    }
    // Damage bad enough that the check itself cannot run is a finding, not a failure to check.
    if (statement.error().code == "database_corrupt") {
        report.ok = false;
        report.problems.push_back(statement.error().message);
        return report;
    }
    return statement.error();
}

Result<CheckReport> Database::quickCheck() const {
    return check("PRAGMA quick_check");
}

Result<CheckReport> Database::integrityCheck() const {
    return check("PRAGMA integrity_check");
}

Status Database::backupTo(const std::string& destination) const {
    const std::string partial = destination + ".partial";
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
    std::error_code failure;
    {
        sqlite3* raw = nullptr;
        const int rc = sqlite3_open_v2(partial.c_str(), &raw,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
        ConnectionHandle target(raw);
        if (rc != SQLITE_OK) {
            return sqliteError(rc, "creating the backup file", sqlite3_errstr(rc), partial);
        }
        sqlite3_backup* backup = sqlite3_backup_init(raw, "main", connection(), "main");
        if (!backup) {
            return sqliteError(sqlite3_extended_errcode(raw), "starting the backup",
                               lastMessage(raw), partial);
        }
        // One step copies every page inside a single read transaction of the source: a
        // consistent snapshot, and WAL keeps the writer going meanwhile.
        const int stepped = sqlite3_backup_step(backup, -1);
        const int finished = sqlite3_backup_finish(backup);
        if (stepped != SQLITE_DONE || finished != SQLITE_OK) {
            const int rc2 = stepped != SQLITE_DONE ? stepped : finished;
            Error error = sqliteError(rc2, "copying the database into the backup", lastMessage(raw),
                                      destination);
            target.reset();
            std::filesystem::remove(partial, ignored);
            return error;
        }
    }
    std::filesystem::rename(partial, destination, failure);
    if (failure) {
        std::filesystem::remove(partial, ignored);
        return Error{errc::kDatabaseError,
                     "could not move the finished backup into place: " + failure.message() +
                         "; check the destination folder",
                     destination};
    }
    qCInfo(lcDb, "backed up %s to %s", path_.c_str(), destination.c_str());
    return Done{};
}

Transaction::Transaction(Transaction&& other) noexcept
    : database_(other.database_), savepoint_(std::move(other.savepoint_)) {
    other.database_ = nullptr;
}

Transaction::~Transaction() {
    if (!database_) {
        return;
    }
    if (savepoint_.empty()) {
        static_cast<void>(execute(database_->connection(), "ROLLBACK"));
    } else {
        static_cast<void>(execute(database_->connection(),
                                  "ROLLBACK TO " + savepoint_ + "; RELEASE " + savepoint_));
    }
    --database_->transactionDepth_;
}

Status Transaction::commit() {
    if (!database_) {
        return Error{errc::kDatabaseError, "the transaction was already finished", ""};
    }
    Status done = execute(database_->connection(),
                          savepoint_.empty() ? std::string("COMMIT") : "RELEASE " + savepoint_);
    if (!done) {
        // The destructor rolls back what could not be committed.
        return done;
    }
    --database_->transactionDepth_;
    database_ = nullptr;
    return done;
}

}  // namespace understudy::db

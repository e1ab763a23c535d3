#include "db/statement.h"
#include "base/error_codes.h"

#include <sqlite3.h>

namespace understudy::db {

void ConnectionCloser::operator()(sqlite3* handle) const {
    sqlite3_close_v2(handle);
}

void StatementFinalizer::operator()(sqlite3_stmt* statement) const {
    sqlite3_finalize(statement);
}

namespace {

std::string databasePath(sqlite3* connection) {
    const char* path = connection ? sqlite3_db_filename(connection, "main") : nullptr;
    return path ? path : "";
}

}  // namespace

std::string lastMessage(sqlite3* connection) {
    return connection ? sqlite3_errmsg(connection) : "no connection";
}

Error sqliteError(int code, std::string_view what, const std::string& detail,
                  const std::string& where) {
    const int primary = code & 0xff;
    std::string message = std::string(what) + " failed: " + detail;
    std::string kind;
    switch (primary) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            kind = "database_unavailable";
            message +=
                "; another connection held the database locked beyond the busy timeout, retry "
                "later";
            break;
        case SQLITE_CANTOPEN:
            kind = "database_unavailable";
            message += "; check that the file and its folder exist and are accessible";
            break;
        case SQLITE_FULL:
            kind = "database_full";
            message += "; free disk space (or raise the size limit) and retry";
            break;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            kind = "database_corrupt";
            message +=
                "; the file was left untouched: restore it from a backup or move it aside to "
                "start afresh";
            break;
        case SQLITE_READONLY:
            kind = "database_read_only";
            message += "; the database is opened read-only or on a read-only medium";
            break;
        case SQLITE_CONSTRAINT:
            if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
                kind = "conflict";
                message += "; choose another name";
            } else {
                kind = "invalid_field";
                message += "; the value breaks a rule of the store";
            }
            break;
        case SQLITE_IOERR:
            kind = "database_unavailable";
            message += "; the disk reported an I/O error, check it and retry";
            break;
        default:
            kind = "database_error";
            break;
    }
    return Error{kind, message, where};
}

Result<Statement> Statement::prepare(sqlite3* connection, std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(connection, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(raw);
        return sqliteError(rc, "preparing a query", lastMessage(connection),
                           databasePath(connection));
    }
    return Statement(connection, raw);
}

Statement& Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(statement_.get(), index, value);
    return *this;
}

Statement& Statement::bind(int index, double value) {
    sqlite3_bind_double(statement_.get(), index, value);
    return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
    sqlite3_bind_text64(statement_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT,
                        SQLITE_UTF8);
    return *this;
}

Statement& Statement::bindNull(int index) {
    sqlite3_bind_null(statement_.get(), index);
    return *this;
}

Result<bool> Statement::step() {
    const int rc = sqlite3_step(statement_.get());
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    const int extended = sqlite3_extended_errcode(connection_);
    Error error = sqliteError(extended, "a database statement", lastMessage(connection_),
                              databasePath(connection_));
    sqlite3_reset(statement_.get());
    return error;
}

Status Statement::run() {
    for (;;) {
        auto row = step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return Done{};
        }
    }
}

Result<std::int64_t> Statement::change() {
    if (auto done = run(); !done) {
        return done.error();
    }
    return changedRows(connection_);
}

Result<std::int64_t> Statement::insert() {
    if (auto done = run(); !done) {
        return done.error();
    }
    return lastInsertId(connection_);
}

void Statement::reset() {
    sqlite3_reset(statement_.get());
    sqlite3_clear_bindings(statement_.get());
}

std::int64_t Statement::integer(int column) const {
    return sqlite3_column_int64(statement_.get(), column);
}

double Statement::real(int column) const {
    return sqlite3_column_double(statement_.get(), column);
}

std::string Statement::text(int column) const {
    const auto* data = sqlite3_column_text(statement_.get(), column);
    const int size = sqlite3_column_bytes(statement_.get(), column);
    if (!data) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

bool Statement::isNull(int column) const {
    return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL;
}

std::optional<std::int64_t> Statement::optionalInteger(int column) const {
    if (isNull(column)) {
        return std::nullopt;
    }
    return integer(column);
}

std::optional<std::string> Statement::optionalText(int column) const {
    if (isNull(column)) {
        return std::nullopt;
    }
    return text(column);
}

Status execute(sqlite3* connection, std::string_view sql) {
    char* message = nullptr;
    const std::string text(sql);
    const int rc = sqlite3_exec(connection, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        const std::string detail = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        return sqliteError(sqlite3_extended_errcode(connection), "a database statement", detail,
                           databasePath(connection));
    }
    return Done{};
}

std::int64_t changedRows(sqlite3* connection) {
    return sqlite3_changes64(connection);
}

std::int64_t lastInsertId(sqlite3* connection) {
    return sqlite3_last_insert_rowid(connection);
}

Status requireChanged(const Result<std::int64_t>& changed, std::string_view noun, std::int64_t id,
                      const std::string& where) {
    if (!changed) {
        return changed.error();
    }
    if (*changed == 0) {
        return Error{errc::kNotFound, "no " + std::string(noun) + " with id " + std::to_string(id),
                     where};
    }
    return Done{};
}

Status removeById(sqlite3* connection, std::string_view table, std::string_view noun,
                  std::int64_t id, const std::string& where) {
    return requireChanged(
        change(connection, "DELETE FROM " + std::string(table) + " WHERE id = ?", id), noun, id,
        where);
}

}  // namespace understudy::db

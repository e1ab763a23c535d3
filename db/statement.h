// The thin RAII layer over the sqlite3 C API that every repository uses. Internal to db/: the
// rest of the project sees repositories and value types, never SQL or sqlite handles.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sizing/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace understudy::db {

struct ConnectionCloser {
    void operator()(sqlite3* handle) const;
};
using ConnectionHandle = std::unique_ptr<sqlite3, ConnectionCloser>;

struct StatementFinalizer {
    void operator()(sqlite3_stmt* statement) const;
};
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// Turns an sqlite result code into the project's error codes, so callers (the API's 503s, the
// CLI's exit codes) can act on the kind of failure without knowing SQLite:
// database_unavailable (locked beyond the busy timeout, cannot open), database_full,
// database_corrupt (not a database, damaged pages), database_read_only, conflict (a UNIQUE
// name taken), invalid_field (another constraint), database_error (anything else).
Error sqliteError(int code, std::string_view what, const std::string& detail,
                  const std::string& where);

// The message sqlite attached to the last failure on this connection.
std::string lastMessage(sqlite3* connection);

// One prepared statement. Binding is positional from 1, columns from 0, as in SQLite.
class Statement {
public:
    static Result<Statement> prepare(sqlite3* connection, std::string_view sql);

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
    Statement& bind(int index, double value);
    Statement& bind(int index, bool value) { return bind(index, std::int64_t{value ? 1 : 0}); }
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const std::string& value) {
        return bind(index, std::string_view(value));
    }
    Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Statement& bindNull(int index);
    template <typename T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bindNull(index);
    }

    // Runs one step. True while a row is available, false when done; errors carry the code.
    Result<bool> step();
    // Runs a statement that returns no rows, or whose rows are not needed.
    Status run();
    // Makes the statement reusable with new bindings (batch inserts).
    void reset();

    std::int64_t integer(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    bool isNull(int column) const;
    std::optional<std::int64_t> optionalInteger(int column) const;
    std::optional<std::string> optionalText(int column) const;

private:
    Statement(sqlite3* connection, sqlite3_stmt* statement)
        : connection_(connection), statement_(statement) {}
    sqlite3* connection_;
    StatementHandle statement_;
};

// Runs SQL text that may hold several statements and returns no rows (schema, pragmas).
Status execute(sqlite3* connection, std::string_view sql);

// Rows changed by the last statement and the rowid of the last insert on this connection.
std::int64_t changedRows(sqlite3* connection);
std::int64_t lastInsertId(sqlite3* connection);

// Every row of a bound statement, each turned into a T by map(statement).
template <typename T, typename Map>
Result<std::vector<T>> collect(Statement& statement, Map map) {
    std::vector<T> rows;
    for (;;) {
        auto row = statement.step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return rows;
        }
        rows.push_back(map(statement));
    }
}

// The first row of a bound statement, if there is one.
template <typename T, typename Map>
Result<std::optional<T>> first(Statement& statement, Map map) {
    auto row = statement.step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return std::optional<T>();
    }
    return std::optional<T>(map(statement));
}

}  // namespace understudy::db

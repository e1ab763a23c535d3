// The thin RAII layer over the sqlite3 C API that every repository uses. Internal to db/: the
// rest of the project sees repositories and value types, never SQL or sqlite handles.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

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
    // Binds values to the parameters from 1 on, in order (?1, ?2, ... or plain ?s).
    template <typename... Values>
    Statement& bindAll(const Values&... values) {
        [[maybe_unused]] int index = 0;
        (bind(++index, values), ...);
        return *this;
    }

    // Runs one step. True while a row is available, false when done; errors carry the code.
    Result<bool> step();
    // Runs a statement that returns no rows, or whose rows are not needed.
    Status run();
    // Runs an UPDATE or DELETE; the number of rows it changed.
    Result<std::int64_t> change();
    // Runs an INSERT; the rowid of the row it added.
    Result<std::int64_t> insert();
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

// The first column of a row as an integer: the map for queries of one id or one count.
inline std::int64_t leadingInteger(const Statement& row) {
    return row.integer(0);
}

// The first column of a row as text: the map for pragmas that answer with one word.
inline std::string leadingText(const Statement& row) {
    return row.text(0);
}

// The first of the rows, if there is one: a lookup through a query shared with a listing.
template <typename T>
Result<std::optional<T>> firstOf(Result<std::vector<T>> rows) {
    if (!rows) {
        return rows.error();
    }
    if (rows->empty()) {
        return std::optional<T>();
    }
    return std::optional<T>(std::move(rows->front()));
}

// The shapes every repository repeats: prepare sql, bind values to its parameters in order,
// then collect the rows, take the first, count the changes or the new rowid. A failure to
// prepare or to step comes back as the error, unchanged.
template <typename... Values>
Result<Statement> prepareBound(sqlite3* connection, std::string_view sql, const Values&... values) {
    auto statement = Statement::prepare(connection, sql);
    if (statement) {
        statement->bindAll(values...);
    }
    return statement;
}

template <typename T, typename Map, typename... Values>
Result<std::vector<T>> queryAll(sqlite3* connection, std::string_view sql, Map map,
                                const Values&... values) {
    auto statement = prepareBound(connection, sql, values...);
    if (!statement) {
        return statement.error();
    }
    return collect<T>(*statement, map);
}

template <typename T, typename Map, typename... Values>
Result<std::optional<T>> queryFirst(sqlite3* connection, std::string_view sql, Map map,
                                    const Values&... values) {
    auto statement = prepareBound(connection, sql, values...);
    if (!statement) {
        return statement.error();
    }
    return first<T>(*statement, map);
}

template <typename... Values>
Result<std::int64_t> change(sqlite3* connection, std::string_view sql, const Values&... values) {
    auto statement = prepareBound(connection, sql, values...);
    if (!statement) {
        return statement.error();
    }
    return statement->change();
}

template <typename... Values>
Result<std::int64_t> insertRow(sqlite3* connection, std::string_view sql, const Values&... values) {
    auto statement = prepareBound(connection, sql, values...);
    if (!statement) {
        return statement.error();
    }
    return statement->insert();
}

// An update or delete of one row by id that changed nothing found no such row: not_found,
// "no <noun> with id <id>", at where (the database's path).
Status requireChanged(const Result<std::int64_t>& changed, std::string_view noun, std::int64_t id,
                      const std::string& where);

// Deletes the row of table with this id; not_found as requireChanged says when there is none.
Status removeById(sqlite3* connection, std::string_view table, std::string_view noun,
                  std::int64_t id, const std::string& where);

}  // namespace understudy::db

#include "db/group_repository.h"

#include "db/statement.h"

namespace understudy::db {

namespace {

constexpr std::string_view kColumns =
    "SELECT id, name, mtbf_hours, mttr_hours FROM cluster_groups ";

DBGroup read(const Statement& row) {
    return DBGroup{row.integer(0), row.text(1), row.real(2), row.real(3)};
}

}  // namespace

Result<Id> GroupRepository::insert(const DBGroup& group) {
    auto statement = Statement::prepare(
        database_.connection(),
        "INSERT INTO cluster_groups (name, mtbf_hours, mttr_hours) VALUES (?, ?, ?)");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, group.name).bind(2, group.mtbfHours).bind(3, group.mttrHours);
    if (auto done = statement->run(); !done) {
        return done.error();
    }
    return lastInsertId(database_.connection());
}

Status GroupRepository::update(const DBGroup& group) {
    auto statement = Statement::prepare(
        database_.connection(),
        "UPDATE cluster_groups SET name = ?, mtbf_hours = ?, mttr_hours = ? WHERE id = ?");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, group.name).bind(2, group.mtbfHours).bind(3, group.mttrHours);
    statement->bind(4, group.id);
    if (auto done = statement->run(); !done) {
        return done;
    }
    if (changedRows(database_.connection()) == 0) {
        return Error{"not_found", "no group with id " + std::to_string(group.id), database_.path()};
    }
    return Done{};
}

Status GroupRepository::remove(Id id) {
    auto transaction = database_.transaction();
    if (!transaction) {
        return transaction.error();
    }
    auto names = members(id);
    if (!names) {
        return names.error();
    }
    if (!names->empty()) {
        return Error{"conflict",
                     "the group still has " + std::to_string(names->size()) +
                         " member clusters (first: " + names->front() +
                         "); move them out of the group first",
                     database_.path()};
    }
    auto statement =
        Statement::prepare(database_.connection(), "DELETE FROM cluster_groups WHERE id = ?");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, id);
    if (auto done = statement->run(); !done) {
        return done;
    }
    if (changedRows(database_.connection()) == 0) {
        return Error{"not_found", "no group with id " + std::to_string(id), database_.path()};
    }
    return transaction->commit();
}

Result<std::optional<DBGroup>> GroupRepository::byId(Id id) const {
    auto statement =
        Statement::prepare(database_.connection(), std::string(kColumns) + "WHERE id = ?");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, id);
    return first<DBGroup>(*statement, read);
}

Result<std::optional<DBGroup>> GroupRepository::byName(std::string_view name) const {
    auto statement =
        Statement::prepare(database_.connection(), std::string(kColumns) + "WHERE name = ?");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, name);
    return first<DBGroup>(*statement, read);
}

Result<std::vector<DBGroup>> GroupRepository::list() const {
    auto statement =
        Statement::prepare(database_.connection(), std::string(kColumns) + "ORDER BY name");
    if (!statement) {
        return statement.error();
    }
    return collect<DBGroup>(*statement, read);
}

Result<std::vector<std::string>> GroupRepository::members(Id id) const {
    auto statement = Statement::prepare(
        database_.connection(), "SELECT name FROM clusters WHERE group_id = ? ORDER BY name");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, id);
    return collect<std::string>(*statement, [](const Statement& row) { return row.text(0); });
}

}  // namespace understudy::db

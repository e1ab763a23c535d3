#include "db/group_repository.h"

#include "base/error_codes.h"
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
    return insertRow(database_.connection(),
                     "INSERT INTO cluster_groups (name, mtbf_hours, mttr_hours) VALUES (?, ?, ?)",
                     group.name, group.mtbfHours, group.mttrHours);
}

Status GroupRepository::update(const DBGroup& group) {
    return requireChanged(
        change(database_.connection(),
               "UPDATE cluster_groups SET name = ?, mtbf_hours = ?, mttr_hours = ? WHERE id = ?",
               group.name, group.mtbfHours, group.mttrHours, group.id),
        "group", group.id, database_.path());
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
        return Error{errc::kConflict,
                     "the group still has " + std::to_string(names->size()) +
                         " member clusters (first: " + names->front() +
                         "); move them out of the group first",
                     database_.path()};
    }
    if (auto removed =
            removeById(database_.connection(), "cluster_groups", "group", id, database_.path());
        !removed) {
        return removed;
    }
    return transaction->commit();
}

Result<std::optional<DBGroup>> GroupRepository::byId(Id id) const {
    return queryFirst<DBGroup>(database_.connection(), std::string(kColumns) + "WHERE id = ?", read,
                               id);
}

Result<std::optional<DBGroup>> GroupRepository::byName(std::string_view name) const {
    return queryFirst<DBGroup>(database_.connection(), std::string(kColumns) + "WHERE name = ?",
                               read, name);
}

Result<std::vector<DBGroup>> GroupRepository::list() const {
    return queryAll<DBGroup>(database_.connection(), std::string(kColumns) + "ORDER BY name", read);
}

Result<std::vector<std::string>> GroupRepository::members(Id id) const {
    return queryAll<std::string>(
        database_.connection(), "SELECT name FROM clusters WHERE group_id = ? ORDER BY name",
        [](const Statement& row) { return row.text(0); }, id);
}

}  // namespace understudy::db

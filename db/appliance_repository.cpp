#include "db/appliance_repository.h"

#include "db/statement.h"

namespace understudy::db {

namespace {

constexpr std::string_view kColumns =
    "SELECT id, name, uri, reserve_memory_mib, reserve_vcpus, cpu_overcommit FROM appliances ";

DBAppliance read(const Statement& row) {
    return DBAppliance{row.integer(0), row.text(1),    row.text(2),
                       row.integer(3), row.integer(4), row.real(5)};
}

}  // namespace

Result<Id> ApplianceRepository::insert(const DBAppliance& appliance) {
    auto statement = Statement::prepare(
        database_.connection(),
        "INSERT INTO appliances (name, uri, reserve_memory_mib, reserve_vcpus, cpu_overcommit) "
        "VALUES (?, ?, ?, ?, ?)");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, appliance.name)
        .bind(2, appliance.uri)
        .bind(3, appliance.reserveMemoryMib)
        .bind(4, appliance.reserveVcpus)
        .bind(5, appliance.cpuOvercommit);
    if (auto done = statement->run(); !done) {
        return done.error();
    }
    return lastInsertId(database_.connection());
}

Result<Id> ApplianceRepository::upsert(const DBAppliance& appliance) {
    auto statement = Statement::prepare(
        database_.connection(),
        "INSERT INTO appliances (name, uri, reserve_memory_mib, reserve_vcpus, cpu_overcommit) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET uri = excluded.uri, "
        "reserve_memory_mib = excluded.reserve_memory_mib, reserve_vcpus = "
        "excluded.reserve_vcpus, cpu_overcommit = excluded.cpu_overcommit RETURNING id");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, appliance.name)
        .bind(2, appliance.uri)
        .bind(3, appliance.reserveMemoryMib)
        .bind(4, appliance.reserveVcpus)
        .bind(5, appliance.cpuOvercommit);
    auto id = first<Id>(*statement, [](const Statement& row) { return row.integer(0); });
    if (!id) {
        return id.error();
    }
    if (auto finished = statement->run(); !finished) {
        return finished.error();
    }
    return id->value_or(0);
}

Status ApplianceRepository::update(const DBAppliance& appliance) {
    auto statement = Statement::prepare(
        database_.connection(),
        "UPDATE appliances SET name = ?, uri = ?, reserve_memory_mib = ?, reserve_vcpus = ?, "
        "cpu_overcommit = ? WHERE id = ?");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, appliance.name)
        .bind(2, appliance.uri)
        .bind(3, appliance.reserveMemoryMib)
        .bind(4, appliance.reserveVcpus)
        .bind(5, appliance.cpuOvercommit)
        .bind(6, appliance.id);
    if (auto done = statement->run(); !done) {
        return done;
    }
    if (changedRows(database_.connection()) == 0) {
        return Error{"not_found", "no appliance with id " + std::to_string(appliance.id),
                     database_.path()};
    }
    return Done{};
}

Status ApplianceRepository::remove(Id id) {
    auto statement =
        Statement::prepare(database_.connection(), "DELETE FROM appliances WHERE id = ?");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, id);
    if (auto done = statement->run(); !done) {
        return done;
    }
    if (changedRows(database_.connection()) == 0) {
        return Error{"not_found", "no appliance with id " + std::to_string(id), database_.path()};
    }
    return Done{};
}

Result<std::optional<DBAppliance>> ApplianceRepository::byId(Id id) const {
    auto statement =
        Statement::prepare(database_.connection(), std::string(kColumns) + "WHERE id = ?");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, id);
    return first<DBAppliance>(*statement, read);
}

Result<std::optional<DBAppliance>> ApplianceRepository::byName(std::string_view name) const {
    auto statement =
        Statement::prepare(database_.connection(), std::string(kColumns) + "WHERE name = ?");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, name);
    return first<DBAppliance>(*statement, read);
}

Result<std::vector<DBAppliance>> ApplianceRepository::list() const {
    auto statement =
        Statement::prepare(database_.connection(), std::string(kColumns) + "ORDER BY name");
    if (!statement) {
        return statement.error();
    }
    return collect<DBAppliance>(*statement, read);
}

}  // namespace understudy::db

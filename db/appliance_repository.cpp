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

// Binds the columns an insert, an upsert and an update share, in the order all three name them.
void bindWritable(Statement& statement, const DBAppliance& appliance) {
    statement.bindAll(appliance.name, appliance.uri, appliance.reserveMemoryMib,
                      appliance.reserveVcpus, appliance.cpuOvercommit);
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
    bindWritable(*statement, appliance);
    return statement->insert();
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
    bindWritable(*statement, appliance);
    auto id = first<Id>(*statement, leadingInteger);
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
    bindWritable(*statement, appliance);
    statement->bind(6, appliance.id);
    return requireChanged(statement->change(), "appliance", appliance.id, database_.path());
}

Status ApplianceRepository::remove(Id id) {
    return removeById(database_.connection(), "appliances", "appliance", id, database_.path());
}

Result<std::optional<DBAppliance>> ApplianceRepository::byId(Id id) const {
    return queryFirst<DBAppliance>(database_.connection(), std::string(kColumns) + "WHERE id = ?",
                                   read, id);
}

Result<std::optional<DBAppliance>> ApplianceRepository::byName(std::string_view name) const {
    return queryFirst<DBAppliance>(database_.connection(), std::string(kColumns) + "WHERE name = ?",
                                   read, name);
}

Result<std::vector<DBAppliance>> ApplianceRepository::list() const {
    return queryAll<DBAppliance>(database_.connection(), std::string(kColumns) + "ORDER BY name",
                                 read);
}

}  // namespace understudy::db

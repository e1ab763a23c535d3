// The appliances table: the physical hosts, as the service's config describes them.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "db/records.h"

namespace understudy::db {

class ApplianceRepository {
public:
    explicit ApplianceRepository(Database& database) : database_(database) {}

    // Adds an appliance (its id is ignored) and returns the new id; conflict on a taken name.
    Result<Id> insert(const DBAppliance& appliance);
    // Inserts, or updates the appliance of the same name: how the config is applied at start.
    Result<Id> upsert(const DBAppliance& appliance);
    // Rewrites the appliance with appliance.id; not_found when there is none.
    Status update(const DBAppliance& appliance);
    // Removes an appliance; refused (invalid_field) while clusters or nodes are placed on it.
    Status remove(Id id);

    Result<std::optional<DBAppliance>> byId(Id id) const;
    Result<std::optional<DBAppliance>> byName(std::string_view name) const;
    // All appliances, by name.
    Result<std::vector<DBAppliance>> list() const;

private:
    Database& database_;
};

}  // namespace understudy::db

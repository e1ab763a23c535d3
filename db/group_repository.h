// The common-cause groups (rack, power feed, site): one event fails all members over together.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "db/records.h"

namespace understudy::db {

class GroupRepository {
public:
    explicit GroupRepository(Database& database) : database_(database) {}

    // Adds a group (its id is ignored); conflict on a taken name.
    Result<Id> insert(const DBGroup& group);
    // Rewrites the group with group.id; not_found when there is none.
    Status update(const DBGroup& group);
    // Removes a group; conflict while clusters are members (docs/http-api.md, "Endpoints": DELETE
    // /groups/{name}).
    Status remove(Id id);

    Result<std::optional<DBGroup>> byId(Id id) const;
    Result<std::optional<DBGroup>> byName(std::string_view name) const;
    // All groups, by name.
    Result<std::vector<DBGroup>> list() const;
    // The names of the member clusters, sorted.
    Result<std::vector<std::string>> members(Id id) const;

private:
    Database& database_;
};

}  // namespace understudy::db

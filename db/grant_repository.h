// Grants: the resources a node holds from takeover to release. At most one open grant per
// node (the schema enforces it); released grants stay as history until pruned.
#pragma once

#include <optional>
#include <vector>

#include "db/database.h"
#include "db/records.h"

namespace understudy::db {

class GrantRepository {
public:
    explicit GrantRepository(Database& database) : database_(database) {}

    // Records an open grant (id and releasedAt ignored) with its preempted nodes, in one
    // transaction; conflict when the node already holds one.
    Result<Id> open(const DBGrant& grant);
    // Closes the node's open grant at releasedAt. Returns whether there was one.
    Result<bool> release(Id nodeId, TimeMs releasedAt);
    // Deletes released grants released before the given time; returns how many.
    Result<std::int64_t> pruneReleasedBefore(TimeMs time);

    Result<std::optional<DBGrant>> openFor(Id nodeId) const;
    Result<std::optional<DBGrant>> byId(Id id) const;
    // Every open grant, oldest first: what the appliances have handed out now.
    Result<std::vector<DBGrant>> listOpen() const;
    // The node's grants, newest first, at most limit.
    Result<std::vector<DBGrant>> history(Id nodeId, int limit) const;

private:
    Result<std::vector<DBGrant>> query(std::string_view where, Id parameter, int limit) const;
    Database& database_;
};

}  // namespace understudy::db

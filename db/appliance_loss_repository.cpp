#include "db/appliance_loss_repository.h"

#include "db/migrations.h"
#include "db/statement.h"

namespace understudy::db {

namespace {

// The migration that added appliances.lost_at and stale_domains (migrations.cpp).
constexpr int kApplianceLossSchemaVersion = 3;

Status requireAppliance(Result<std::int64_t> changed, Id appliance, const std::string& path) {
    if (!changed) {
        return changed.error();
    }
    if (*changed == 0) {
        return Error{"not_found", "no appliance with id " + std::to_string(appliance), path};
    }
    return Done{};
}

}  // namespace

Result<std::optional<TimeMs>> ApplianceLossRepository::lostAt(Id appliance) const {
    // A build that writes an older schema (the installer test's stand-in for the previous
    // release) has no appliance loss: nothing is lost there.
    if (latestSchemaVersion() < kApplianceLossSchemaVersion) {
        return std::optional<TimeMs>();
    }
    auto statement = prepareBound(database_.connection(),
                                  "SELECT lost_at FROM appliances WHERE id = ?", appliance);
    if (!statement) {
        return statement.error();
    }
    auto row = first<std::optional<TimeMs>>(*statement, [](const Statement& found) {
        return found.isNull(0) ? std::optional<TimeMs>() : std::optional<TimeMs>(found.integer(0));
    });
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return Error{"not_found", "no appliance with id " + std::to_string(appliance),
                     database_.path()};
    }
    return **row;
}

Status ApplianceLossRepository::markLost(Id appliance, TimeMs time) {
    return requireAppliance(change(database_.connection(),
                                   "UPDATE appliances SET lost_at = coalesce(lost_at, ?) "
                                   "WHERE id = ?",
                                   time, appliance),
                            appliance, database_.path());
}

Status ApplianceLossRepository::clearLost(Id appliance) {
    auto cleared = change(database_.connection(),
                          "DELETE FROM stale_domains WHERE appliance_id = ?", appliance);
    if (!cleared) {
        return cleared.error();
    }
    return requireAppliance(change(database_.connection(),
                                   "UPDATE appliances SET lost_at = NULL WHERE id = ?", appliance),
                            appliance, database_.path());
}

Status ApplianceLossRepository::addStaleDomain(Id appliance, const StaleDomain& stale) {
    auto added = change(database_.connection(),
                        "INSERT INTO stale_domains (appliance_id, domain, node, evacuated_at) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (appliance_id, domain) DO UPDATE SET "
                        "node = excluded.node, evacuated_at = excluded.evacuated_at",
                        appliance, stale.domain, stale.node, stale.evacuated_at);
    if (!added) {
        return added.error();
    }
    return Done{};
}

Result<std::vector<StaleDomain>> ApplianceLossRepository::staleDomains(Id appliance) const {
    return queryAll<StaleDomain>(
        database_.connection(),
        "SELECT domain, node, evacuated_at FROM stale_domains WHERE appliance_id = ? "
        "ORDER BY domain",
        [](const Statement& row) {
            return StaleDomain{row.text(0), row.text(1), row.integer(2)};
        },
        appliance);
}

}  // namespace understudy::db

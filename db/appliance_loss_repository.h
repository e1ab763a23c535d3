// Appliance loss in the books: whether an appliance is lost (known to be off, its standby nodes
// moved to the others) and the stale copies of those nodes it may still hold until it rejoins.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/database.h"
#include "db/records.h"

namespace understudy::db {

struct StaleDomain {
    std::string domain;
    std::string node;
    TimeMs evacuated_at = 0;
    bool operator==(const StaleDomain&) const = default;
};

class ApplianceLossRepository {
public:
    explicit ApplianceLossRepository(Database& database) : database_(database) {}

    // When the appliance was declared lost, or nothing while it is not; not_found for no such
    // appliance.
    Result<std::optional<TimeMs>> lostAt(Id appliance) const;
    // Keeps the first time when it is already lost.
    Status markLost(Id appliance, TimeMs time);
    // Returns the appliance to the pool and forgets its stale copies.
    Status clearLost(Id appliance);

    // A copy of an evacuated node left on the lost appliance; recording it again is harmless.
    Status addStaleDomain(Id appliance, const StaleDomain& stale);
    // By domain name.
    Result<std::vector<StaleDomain>> staleDomains(Id appliance) const;

private:
    Database& database_;
};

}  // namespace understudy::db

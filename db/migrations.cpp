#include "db/migrations.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "base/error_codes.h"
#include "db/logging.h"
#include "db/statement.h"

namespace understudy::db {

namespace {

// Version 1: the first schema. Times are integer milliseconds since the Unix epoch, UTC.
// Events name their cluster and node as text, not as foreign keys, because the history must
// outlive the clusters it tells about.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE appliances (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (name <> ''),
    uri TEXT NOT NULL CHECK (uri <> ''),
    reserve_memory_mib INTEGER NOT NULL DEFAULT 0 CHECK (reserve_memory_mib >= 0),
    reserve_vcpus INTEGER NOT NULL DEFAULT 0 CHECK (reserve_vcpus >= 0),
    cpu_overcommit REAL NOT NULL DEFAULT 1.0 CHECK (cpu_overcommit > 0)
);

CREATE TABLE cluster_groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (name <> ''),
    mtbf_hours REAL NOT NULL CHECK (mtbf_hours > 0),
    mttr_hours REAL NOT NULL CHECK (mttr_hours >= 0)
);

CREATE TABLE clusters (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (name <> ''),
    priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 1000),
    mtbf_hours REAL NOT NULL CHECK (mtbf_hours > 0),
    mttr_hours REAL NOT NULL CHECK (mttr_hours >= 0),
    group_id INTEGER REFERENCES cluster_groups(id) ON DELETE RESTRICT,
    standby_vcpus INTEGER NOT NULL CHECK (standby_vcpus >= 0),
    standby_memory_mib INTEGER NOT NULL CHECK (standby_memory_mib >= 0),
    active_vcpus INTEGER NOT NULL CHECK (active_vcpus >= standby_vcpus),
    active_memory_mib INTEGER NOT NULL CHECK (active_memory_mib >= standby_memory_mib),
    memory_mode TEXT NOT NULL DEFAULT 'balloon' CHECK (memory_mode IN ('balloon', 'reserved')),
    failure_model TEXT NOT NULL DEFAULT 'declared'
        CHECK (failure_model IN ('declared', 'observed')),
    token_hash TEXT NOT NULL CHECK (token_hash <> ''),
    appliance_id INTEGER NOT NULL REFERENCES appliances(id) ON DELETE RESTRICT,
    registered_at INTEGER NOT NULL
);
CREATE INDEX clusters_by_group ON clusters(group_id);
CREATE INDEX clusters_by_appliance ON clusters(appliance_id);

CREATE TABLE nodes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (name <> ''),
    cluster_id INTEGER NOT NULL UNIQUE REFERENCES clusters(id) ON DELETE CASCADE,
    appliance_id INTEGER NOT NULL REFERENCES appliances(id) ON DELETE RESTRICT,
    domain TEXT NOT NULL CHECK (domain <> ''),
    uuid TEXT,
    defined_by_service INTEGER NOT NULL CHECK (defined_by_service IN (0, 1)),
    state TEXT NOT NULL CHECK (state IN ('standby', 'taking-over', 'active', 'releasing',
                                         'preempted', 'fenced', 'stopped', 'missing', 'drifted')),
    since INTEGER NOT NULL,
    UNIQUE (appliance_id, domain)
);

CREATE TABLE grants (
    id INTEGER PRIMARY KEY,
    node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    memory_mib INTEGER NOT NULL CHECK (memory_mib >= 0),
    vcpus INTEGER NOT NULL CHECK (vcpus >= 0),
    partial INTEGER NOT NULL CHECK (partial IN (0, 1)),
    granted_at INTEGER NOT NULL,
    released_at INTEGER CHECK (released_at IS NULL OR released_at >= granted_at)
);
CREATE UNIQUE INDEX grants_one_open_per_node ON grants(node_id) WHERE released_at IS NULL;
CREATE INDEX grants_by_node ON grants(node_id, granted_at);

CREATE TABLE grant_preemptions (
    grant_id INTEGER NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    PRIMARY KEY (grant_id, node_id)
) WITHOUT ROWID;
CREATE INDEX grant_preemptions_by_node ON grant_preemptions(node_id);

CREATE TABLE probe_results (
    id INTEGER PRIMARY KEY,
    cluster_id INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    time INTEGER NOT NULL,
    ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
    output TEXT NOT NULL CHECK (length(CAST(output AS BLOB)) <= 4096)
);
CREATE INDEX probe_results_by_cluster ON probe_results(cluster_id, id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind <> ''),
    cluster TEXT,
    node TEXT,
    details TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE INDEX events_by_cluster ON events(cluster, id) WHERE cluster IS NOT NULL;
CREATE INDEX events_by_node ON events(node, id) WHERE node IS NOT NULL;
CREATE INDEX events_by_kind ON events(kind, id);
CREATE INDEX events_by_time ON events(time);

-- Failover statistics live apart from the events so that retention can drop old events
-- without forgetting a cluster's history. observed_since starts the observation window from
-- which the observed MTBF is derived.
CREATE TABLE cluster_stats (
    cluster_id INTEGER PRIMARY KEY REFERENCES clusters(id) ON DELETE CASCADE,
    observed_since INTEGER NOT NULL,
    failovers INTEGER NOT NULL DEFAULT 0 CHECK (failovers >= 0),
    completed_failovers INTEGER NOT NULL DEFAULT 0
        CHECK (completed_failovers >= 0 AND completed_failovers <= failovers),
    active_ms INTEGER NOT NULL DEFAULT 0 CHECK (active_ms >= 0),
    last_failover INTEGER,
    active_since INTEGER
);
)sql";

// Version 2: the schema's own history, so an administrator can tell after an upgrade when the
// database was migrated, from which version, and where the copy taken before it went.
// from_version is the version the database had when that run of migrations started (0: a new
// database); backup is NULL when nothing was copied (a new database has nothing to keep).
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE schema_history (
    version INTEGER PRIMARY KEY,
    from_version INTEGER NOT NULL CHECK (from_version >= 0 AND from_version < version),
    applied_at INTEGER NOT NULL,
    backup TEXT CHECK (backup IS NULL OR backup <> '')
);
)sql";

// Version 3: appliance loss (understudyd(8), "Appliance loss"). lost_at is set while an
// appliance is known to be off and its standby nodes have been moved to the others; it is
// cleared only by a rejoin. stale_domains names the copies of evacuated nodes the lost
// appliance may still hold, which the rejoin destroys and undefines before the appliance counts
// again: they are kept by name, not as foreign keys, because a cluster may be removed while its
// old appliance is away and its stale copy must go all the same.
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE appliances ADD COLUMN lost_at INTEGER;
CREATE TABLE stale_domains (
    appliance_id INTEGER NOT NULL REFERENCES appliances(id) ON DELETE CASCADE,
    domain TEXT NOT NULL CHECK (domain <> ''),
    node TEXT NOT NULL CHECK (node <> ''),
    evacuated_at INTEGER NOT NULL,
    PRIMARY KEY (appliance_id, domain)
) WITHOUT ROWID;
)sql";

// Version 4: who caused each event (docs/http-api.md, "Events"). Events recorded before it keep
// a NULL actor: nobody knows any more who asked for them, and guessing "service" would be wrong
// for every event a request caused.
constexpr std::string_view kSchemaV4 = R"sql(
ALTER TABLE events ADD COLUMN actor TEXT CHECK (actor IS NULL OR actor <> '');
)sql";

// Version 5: cluster tokens looked up by digest (docs/http-api.md, "Authentication and token
// scopes"). Token hashes become unique so that a token's digest finds its cluster by one index
// probe. The salted hashes written before cannot be converted without their tokens; the partial
// index lists the ones left, which the service replaces one by one as their tokens are used, so
// that a wrong token tries those alone, and none once all are gone.
constexpr std::string_view kSchemaV5 = R"sql(
CREATE UNIQUE INDEX clusters_by_token_hash ON clusters(token_hash);
CREATE INDEX clusters_with_salted_token ON clusters(name) WHERE token_hash LIKE 'sha256$%';
)sql";

// Version 6: each appliance's headroom over time (docs/http-api.md, "Appliance history"): what
// GET /appliances said of it at each sample, kept for kHeadroomRetentionMs. One row per
// appliance and millisecond, so a sample taken twice at one time replaces the first. The
// figures are free capacity after preemptable standbys, negative when overbooked, so they have
// no lower bound.
constexpr std::string_view kSchemaV6 = R"sql(
CREATE TABLE headroom_samples (
    appliance_id INTEGER NOT NULL REFERENCES appliances(id) ON DELETE CASCADE,
    time INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('connected', 'unreachable', 'lost')),
    free_memory_mib INTEGER NOT NULL,
    free_vcpus INTEGER NOT NULL,
    denial_risk REAL NOT NULL CHECK (denial_risk >= 0 AND denial_risk <= 1),
    not_ready INTEGER NOT NULL CHECK (not_ready >= 0),
    PRIMARY KEY (appliance_id, time)
) WITHOUT ROWID;
CREATE INDEX headroom_samples_by_time ON headroom_samples(time);
)sql";

// Migrations from this version on record themselves in schema_history.
constexpr int kHistorySince = 2;

const std::vector<Migration> kMigrations = {
    {1, "the first schema: inventory, grants, probe results, event log, failover statistics",
     kSchemaV1},
    {2, "schema history: when each migration ran, from which version, and its backup", kSchemaV2},
    {3, "appliance loss: when an appliance was declared lost, and the stale copies it holds",
     kSchemaV3},
    {4, "event actors: who caused each event, and from which address", kSchemaV4},
    {5, "cluster tokens by digest: a unique index of token hashes, and one of the salted ones left",
     kSchemaV5},
    {6,
     "appliance history: each appliance's free capacity, denial risk and unready nodes over time",
     kSchemaV6},
};

Status recordMigration(sqlite3* connection, int version, int fromVersion,
                       const std::string& backup) {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    const std::optional<std::string> backupPath =
        backup.empty() ? std::nullopt : std::optional<std::string>(backup);
    auto inserted = change(connection,
                           "INSERT INTO schema_history (version, from_version, applied_at, backup) "
                           "VALUES (?, ?, ?, ?)",
                           version, fromVersion, now, backupPath);
    if (!inserted) {
        return inserted.error();
    }
    return Done{};
}

}  // namespace

const std::vector<Migration>& migrations() {
    return kMigrations;
}

int latestSchemaVersion() {
#ifdef UNDERSTUDY_SCHEMA_PREVIOUS_ONLY
    // Only in the installer test's stand-in for the previous release (tests/installer/): a
    // program that writes the schema one version below the latest, to upgrade from.
    return std::max(1, kMigrations.back().version - 1);
#else
    return kMigrations.back().version;
#endif
}

Result<int> readSchemaVersion(sqlite3* connection) {
    auto version = queryFirst<std::int64_t>(connection, "PRAGMA user_version", leadingInteger);
    if (!version) {
        return version.error();
    }
    return static_cast<int>(version->value_or(0));
}

Status applyMigrations(sqlite3* connection, int target, const std::string& backup) {
    auto current = readSchemaVersion(connection);
    if (!current) {
        return current.error();
    }
    const int fromVersion = *current;
    for (const auto& migration : kMigrations) {
        if (migration.version <= *current || migration.version > target) {
            continue;
        }
        qCInfo(lcDb, "migrating the database to schema version %d: %.*s", migration.version,
               static_cast<int>(migration.description.size()), migration.description.data());
        if (auto begun = execute(connection, "BEGIN IMMEDIATE"); !begun) {
            return begun.error();
        }
        std::string sql(migration.sql);
        sql += "\nPRAGMA user_version = " + std::to_string(migration.version) + ";";
        Status applied = execute(connection, sql);
        if (applied && migration.version >= kHistorySince) {
            applied = recordMigration(connection, migration.version, fromVersion, backup);
        }
        if (applied) {
            // Foreign keys are off while migrating (a table rebuild needs that); prove the
            // result consistent before committing it.
            auto check = Statement::prepare(connection, "PRAGMA foreign_key_check");
            if (!check) {
                applied = check.error();
            } else if (auto row = check->step(); !row) {
                applied = row.error();
            } else if (*row) {
                applied = Error{errc::kDatabaseError,
                                "migration to schema version " + std::to_string(migration.version) +
                                    " left a broken foreign key in table " + check->text(0) +
                                    "; the database was left at its previous version",
                                ""};
            }
        }
        if (applied) {
            applied = execute(connection, "COMMIT");
        }
        if (!applied) {
            static_cast<void>(execute(connection, "ROLLBACK"));
            return applied.error();
        }
    }
    return Done{};
}

}  // namespace understudy::db

// Writes tests/db/data/schema_v1.db: a database as schema version 1 left it, with data, for the
// migration test. It uses the version 1 migration and plain SQL of that version on purpose:
// the repositories follow the latest schema, the fixture must not.
// Usage: make_fixture_v1 OUTPUT
#include <sqlite3.h>

#include <cstdio>

#include "db/migrations.h"
#include "db/statement.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_fixture_v1 OUTPUT\n");
        return 2;
    }
    sqlite3* raw = nullptr;
    if (sqlite3_open(argv[1], &raw) != SQLITE_OK) {
        std::fprintf(stderr, "cannot create %s\n", argv[1]);
        return 1;
    }
    understudy::db::ConnectionHandle connection(raw);
    auto migrated = understudy::db::applyMigrations(raw, 1);
    auto filled = migrated ? understudy::db::execute(raw, R"sql(
BEGIN;
INSERT INTO appliances VALUES (1, 'pna-1', 'qemu:///system', 16384, 2, 4.0);
INSERT INTO cluster_groups VALUES (1, 'rack-a', 43800, 6);
INSERT INTO clusters VALUES (1, 'erp', 900, 8760, 24, 1, 1, 2048, 8, 32768, 'balloon',
    'declared', 'sha256$c2FsdA$erp', 1, 1700000000000);
INSERT INTO clusters VALUES (2, 'crm', 950, 4380, 12, NULL, 2, 4096, 4, 16384, 'reserved',
    'observed', 'sha256$c2FsdA$crm', 1, 1700000000000);
INSERT INTO nodes VALUES (1, 'erp-passive', 1, 1, 'erp-passive',
    '6f1c6a52-0d3c-4a64-9d1c-2f6c6f0a1e11', 1, 'active', 1700000100000);
INSERT INTO nodes VALUES (2, 'crm-passive', 2, 1, 'crm-vm', NULL, 0, 'preempted', 1700000100000);
INSERT INTO grants VALUES (1, 1, 32768, 8, 0, 1700000100000, NULL);
INSERT INTO grant_preemptions VALUES (1, 2);
INSERT INTO probe_results VALUES (1, 1, 1700000050000, 0, 'Status: OFF');
INSERT INTO cluster_stats VALUES (1, 1700000000000, 4, 3, 36000000, 1700000100000, 1700000100000);
INSERT INTO cluster_stats VALUES (2, 1700000000000, 0, 0, 0, NULL, NULL);
INSERT INTO events (time, kind, cluster, node, details) VALUES
    (1700000000000, 'service.started', NULL, NULL, '{}'),
    (1700000000001, 'cluster.registered', 'erp', 'erp-passive', '{"appliance": "pna-1"}'),
    (1700000000002, 'cluster.registered', 'crm', 'crm-passive', '{"appliance": "pna-1"}'),
    (1700000100000, 'takeover.requested', 'erp', 'erp-passive', '{}'),
    (1700000100000, 'preempted', 'crm', 'crm-passive', '{"by": "erp-passive"}'),
    (1700000100001, 'takeover.granted', 'erp', 'erp-passive', '{"memory_mib": 32768}');
COMMIT;
)sql")
                           : migrated;
    if (!filled) {
        std::fprintf(stderr, "%s\n", filled.error().describe().c_str());
        return 1;
    }
    return 0;
}

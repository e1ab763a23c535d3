// What understudyctl reads before sending anything: cluster and group files, `FIELD=VALUE`
// changes, names. Everything is validated with the sizing engine's own rules (sizing/
// fleet_file.h), so a bad file is refused locally (exit 2) with the file and JSON path or
// CSV line, and nothing is sent.
//
// Decisions where the contract is silent:
// - `clusters add FILE`: a .csv file is a fleet CSV (groups it names come from
//   `--groups FILE.csv`, as for understudy-size); any other file is JSON: an object with
//   "clusters" is a fleet file, otherwise one cluster object. In JSON, a cluster may also
//   carry the service's fields (failure_model, appliance, node, domain), and may name a group
//   the file does not define (one already registered: the service checks it). A fleet's
//   target_risk, cpu_overcommit, tolerate_k and appliances are not sent (the service's config
//   decides them); a warning says so.
// - `groups add FILE`: one group object, a JSON object with "groups", or a groups CSV
//   (name,mtbf_hours,mttr_hours). Several groups are sent one by one (the API creates one per
//   request), stopping at the first refusal.
// - `clusters set NAME FIELD=VALUE…` fields: priority, mtbf_hours, mttr_hours, group (empty or
//   "null" for none), memory_mode, failure_model, standby.vcpus, standby.memory_mib,
//   active.vcpus, active.memory_mib. Numbers are typed by field; each value is checked with
//   the fleet file's rules; the body nests dotted fields ({"standby": {"memory_mib": 4096}}).
#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <optional>

#include "base/result.h"

namespace understudy::agents {

struct ClusterFile {
    bool single = false;  // one cluster object rather than a fleet
    QJsonObject cluster;  // when single
    QJsonArray clusters;  // otherwise
    QJsonArray groups;
    QStringList warnings;

    // The POST /clusters body: the cluster object, or {"clusters": [...], "groups": [...]}.
    QJsonObject body() const;
    // Every cluster object, single or not (for a what-if's "add").
    QJsonArray allClusters() const;
};

Result<ClusterFile> loadClusterFile(const QString& path,
                                    const std::optional<QString>& groups_csv = std::nullopt);

Result<QJsonArray> loadGroupFile(const QString& path);

Result<QJsonObject> clusterChanges(const QStringList& assignments);

// Cluster, group, node and appliance names: the fleet file's rule.
Status checkName(const QString& name, const QString& what);

// True when `prefix` starts at least one of the event kinds of docs/http-api.md
// ("Events and long-polling").
bool isEventKindPrefix(const QString& prefix);
const QStringList& eventKinds();

}  // namespace understudy::agents

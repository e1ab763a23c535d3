// Shared set-up for the store's tests: a writer on a real file in a temporary folder, and a
// small inventory (one appliance, one cluster, its node) to hang grants and events on.
#pragma once

#include <QCryptographicHash>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>
#include <string>

#include "db/appliance_repository.h"
#include "db/cluster_repository.h"
#include "db/database.h"
#include "db/node_repository.h"
#include "tests/support/result_checks.h"

namespace understudy::db::testing {

inline std::unique_ptr<Database> openWriter(const QTemporaryDir& dir,
                                            const OpenOptions& options = {}) {
    auto database = Database::openWriter(dir.filePath("understudy.db").toStdString(), options);
    if (!database) {
        qFatal("cannot open the test database: %s", database.error().describe().c_str());
    }
    return std::move(*database);
}

inline QByteArray fileHash(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256);
}

struct Inventory {
    Id applianceId = 0;
    Id clusterId = 0;
    Id nodeId = 0;
};

inline DBCluster sampleCluster(const std::string& name, Id applianceId) {
    DBCluster cluster;
    cluster.name = name;
    cluster.priority = 500;
    cluster.mtbfHours = 8760;
    cluster.mttrHours = 24;
    cluster.standby = Footprint{1, 2048};
    cluster.active = Footprint{8, 32768};
    cluster.tokenHash = "sha256$salt$" + name;
    cluster.applianceId = applianceId;
    cluster.registeredAt = 1'000'000;
    return cluster;
}

// Adds appliance "pna-1" (if missing), cluster `name` and its node `name`-passive.
inline Inventory addInventory(Database& database, const std::string& name = "erp") {
    Inventory inventory;
    ApplianceRepository appliances(database);
    auto appliance = appliances.upsert(DBAppliance{0, "pna-1", "test:///default", 16384, 2, 4.0});
    if (!appliance) {
        qFatal("%s", appliance.error().describe().c_str());
    }
    inventory.applianceId = *appliance;
    auto cluster = ClusterRepository(database).insert(sampleCluster(name, inventory.applianceId));
    if (!cluster) {
        qFatal("%s", cluster.error().describe().c_str());
    }
    inventory.clusterId = *cluster;
    DBNode node;
    node.name = name + "-passive";
    node.clusterId = inventory.clusterId;
    node.applianceId = inventory.applianceId;
    node.domain = name + "-passive";
    node.definedByService = true;
    node.since = 1'000'000;
    auto nodeId = NodeRepository(database).insert(node);
    if (!nodeId) {
        qFatal("%s", nodeId.error().describe().c_str());
    }
    inventory.nodeId = *nodeId;
    return inventory;
}

}  // namespace understudy::db::testing

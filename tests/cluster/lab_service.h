// The appliance of the lab's tests: a real understudyd on a libvirt test-driver appliance,
// listening on the lab's bridge so that the cluster nodes reach it, with the lab's power hook
// (fencing a passive node's VM powers its namespace off), and clusters registered from a fleet.
#pragma once

#include <QDir>
#include <QJsonArray>

#include "tests/agents/agent_fixture.h"
#include "tests/cluster/cluster_lab.h"
#include "tests/support/test_driver_host.h"

namespace understudy::tests {

// The appliance: a test-driver host of this size, or (with a uri) a real libvirt.
struct LabAppliance {
    int cpus = 16;
    qint64 memory_mib = 16384;
    QString uri;              // e.g. qemu:///system; empty: a test-driver host file
    QString domain_template;  // with uri; empty: the shipped passive-node.xml
};

inline LabAppliance testDriverAppliance(int cpus, qint64 memory_mib) {
    LabAppliance appliance;
    appliance.cpus = cpus;
    appliance.memory_mib = memory_mib;
    return appliance;
}

class LabService {
public:
    LabService(const ClusterLab& lab, LabAppliance appliance)
        : dir_(lab.dir() + QStringLiteral("/service")),
          service_((QDir().mkpath(dir_), dir_)),
          port_(freePort()),
          hook_(lab.powerHookCommand()),
          appliance_(std::move(appliance)) {}

    // The URL the cluster nodes use.
    QString url() const {
        return QStringLiteral("http://%1:%2").arg(ClusterLab::serviceAddress()).arg(port_);
    }

    // Starts understudyd and registers `fleet_json` (a fleet file's text); false with `why`.
    bool start(const QByteArray& fleet_json, QString* why) {
        QString uri = appliance_.uri;
        if (uri.isEmpty()) {
            const QString host = dir_ + QStringLiteral("/host.xml");
            if (!testsupport::writeTestDriverHost(host, appliance_.cpus, appliance_.memory_mib)) {
                *why = QStringLiteral("cannot write %1").arg(host);
                return false;
            }
            uri = QStringLiteral("test://") + host;
        }
        const QString domain_template =
            appliance_.domain_template.isEmpty()
                ? sourcePath(QStringLiteral("appliance/data/passive-node.xml"))
                : appliance_.domain_template;
        const QString config = dir_ + QStringLiteral("/understudyd.conf");
        writeFile(config,
                  QStringLiteral("[service]\nlisten = 0.0.0.0:%1\ndatabase = %2/understudy.db\n"
                                 "admin_token_file = %3\n\n"
                                 "[policy]\nadmission = warn\n\n"
                                 "[appliance.lab]\nuri = %4\nreserve_memory_mib = 0\n"
                                 "reserve_vcpus = 0\ndomain_template = %5\n\n"
                                 "[hook.lab-power]\ncommand = %6\n"
                                 "events = fence.*, preempted, restored\n")
                      .arg(port_)
                      .arg(dir_, service_.adminTokenFile(), uri, domain_template, hook_)
                      .toUtf8());
        service_.setPort(port_);
        if (!service_.start({QStringLiteral("--config"), config})) {
            *why = QString::fromUtf8(service_.output());
            return false;
        }
        const QString fleet = dir_ + QStringLiteral("/fleet.json");
        writeFile(fleet, fleet_json);
        const Run added =
            service_.admin({QStringLiteral("clusters"), QStringLiteral("add"), fleet});
        if (added.exit_code != 0) {
            *why = added.describe();
            return false;
        }
        return true;
    }

    AgentService& service() { return service_; }
    Run admin(const QStringList& arguments) const { return service_.admin(arguments); }
    QString tokenFile(const QString& cluster) const { return service_.clusterTokenFile(cluster); }

    // The node as the service shows it (GET /nodes/{name}).
    QJsonObject node(const QString& name) const {
        return admin({QStringLiteral("--json"), QStringLiteral("nodes"), name}).json();
    }
    QString state(const QString& node) const { return service_.nodeState(node); }
    // The node's memory as libvirt reports it now (0 when unknown).
    qint64 liveMemoryMib(const QString& name) const {
        return node(name)
            .value(QStringLiteral("current"))
            .toObject()
            .value(QStringLiteral("memory_mib"))
            .toInteger();
    }
    // The service's events of `kind` (a kind or prefix) for `cluster`, oldest first.
    QJsonArray events(const QString& cluster, const QString& kind) const {
        const Run run =
            admin({QStringLiteral("--json"), QStringLiteral("events"), QStringLiteral("--cluster"),
                   cluster, QStringLiteral("--kind"), kind});
        const QJsonDocument document = QJsonDocument::fromJson(run.out.toUtf8());
        return document.isArray() ? document.array()
                                  : document.object().value(QStringLiteral("events")).toArray();
    }

private:
    QString dir_;
    AgentService service_;
    quint16 port_;
    QString hook_;
    LabAppliance appliance_;
};

}  // namespace understudy::tests

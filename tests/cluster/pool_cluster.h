// The pool's own Pacemaker cluster, as the README gives it: the appliances are its nodes, each
// fenced by its power switch (the lab's here), and the group `understudy` runs the service on
// one of them: the database's filesystem (ocf:heartbeat:Filesystem; in the lab a bind mount of
// the lab's shared folder, in production a DRBD or SAN volume), the floating address
// (ocf:heartbeat:IPaddr2) and understudyd itself (ocf:understudy:understudyd). PoolService
// writes the service's configuration where every appliance node reads it and asks the service
// at its floating address.
#pragma once

#include <pwd.h>
#include <unistd.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <utility>

#include "tests/agents/agent_fixture.h"
#include "tests/cluster/cluster_lab.h"
#include "tests/cluster/erp_cluster.h"

namespace understudy::tests {

// The values the README's pool configuration sets, which the lab's CIB uses as they are (it
// replaces only the fence agent, the Filesystem's device, fstype and options, and addresses).
namespace pool {
inline const QString kGroup = QStringLiteral("understudy");
inline const QString kFs = QStringLiteral("understudy-fs");
inline const QString kIp = QStringLiteral("understudy-ip");
inline const QString kService = QStringLiteral("understudyd");
inline const QString kDirectory = QStringLiteral("/var/lib/understudy");
// Only the processes using files under the folder: `true` runs fuser -m, which for a bind mount
// names every process on the whole filesystem.
inline const QString kForceUnmount = QStringLiteral("safe");
inline const QString kCidrNetmask = QStringLiteral("24");
// What the agent's metadata advises.
inline const QString kStartStopTimeout = QStringLiteral("60s");
inline const QString kMonitorInterval = QStringLiteral("10s");
inline const QString kDeepMonitorInterval = QStringLiteral("300s");
inline const QString kStickiness = QStringLiteral("100");
// Off, not rebooted: an appliance that died is looked at before it rejoins.
inline const QString kRebootAction = QStringLiteral("off");
// understudy-alert declares a fenced appliance lost; its timeout outlasts its 120 s deadline.
// Not `understudy`: ids are unique across the CIB, and that is the group's.
inline const QString kAlert = QStringLiteral("understudy-alert");
inline const QString kAlertTimeout = QStringLiteral("150s");
}  // namespace pool

// The README's code block that starts with `first_line` ("" when there is none).
inline QString readmeBlock(const QString& readme, const QString& first_line) {
    const qsizetype start = readme.indexOf(first_line);
    const qsizetype end = readme.indexOf(QStringLiteral("```"), start);
    return start < 0 || end < 0 ? QString() : readme.mid(start, end - start);
}

// The lines of the README's pcs and crmsh examples of the pool's configuration that do not show
// the values above (none when both do).
inline QStringList readmeMisses(const QString& readme) {
    using namespace pool;
    const QStringList both = {
        QStringLiteral("pcmk_reboot_action=") + kRebootAction,
        QStringLiteral("directory=%1 fstype=ext4 force_unmount=%2").arg(kDirectory, kForceUnmount),
        QStringLiteral("cidr_netmask=") + kCidrNetmask,
        QStringLiteral("op start timeout=%1 op stop timeout=%1 op monitor interval=%2")
            .arg(kStartStopTimeout, kMonitorInterval),
        QStringLiteral("op monitor interval=%1 OCF_CHECK_LEVEL=10").arg(kDeepMonitorInterval),
    };
    // The three primitives, created by pcs's or crmsh's `command`.
    const auto primitives = [&](const QString& command) {
        return QStringList{
            QStringLiteral("%1 %2 ocf:heartbeat:Filesystem").arg(command, kFs),
            QStringLiteral("%1 %2 ocf:heartbeat:IPaddr2").arg(command, kIp),
            QStringLiteral("%1 %2 ocf:understudy:understudyd").arg(command, kService),
        };
    };
    const QStringList pcs =
        both + primitives(QStringLiteral("pcs resource create")) +
        QStringList{
            QStringLiteral("pcs constraint location fence-pna-1 avoids pna-1"),
            QStringLiteral("pcs resource meta %1 resource-stickiness=%2").arg(kGroup, kStickiness),
        };
    const QStringList crm =
        both + primitives(QStringLiteral("crm configure primitive")) +
        QStringList{
            QStringLiteral("crm configure location fence-pna-1-away fence-pna-1 -inf: pna-1"),
            QStringLiteral("crm configure group %1 %2 %3 %4").arg(kGroup, kFs, kIp, kService),
            QStringLiteral("meta resource-stickiness=") + kStickiness,
        };
    const QStringList alert = {
        QStringLiteral("path=/usr/share/understudy/alerts/understudy-alert"),
        QStringLiteral("meta timeout=") + kAlertTimeout,
    };
    QStringList misses;
    for (const auto& [first_line, expected] :
         {std::pair{QStringLiteral("pcs stonith create fence-pna-1"), pcs},
          std::pair{QStringLiteral("crm configure primitive fence-pna-1"), crm},
          std::pair{QStringLiteral("pcs alert create id=") + kAlert, alert}}) {
        const QString block = readmeBlock(readme, first_line);
        for (const QString& line : expected) {
            if (!block.contains(line)) {
                misses << QStringLiteral("%1 ... %2").arg(first_line, line);
            }
        }
    }
    return misses;
}

struct PoolOptions {
    QStringList appliances;
    QString floating_address = QStringLiteral("10.99.0.2");
    int port = 8470;
    // understudyd's configuration, as the appliance nodes see it.
    QString config;
    // The database's folder, and what is mounted there.
    QString directory = pool::kDirectory;
    QString device = ClusterLab::sharedDirInNode();
    QString fstype = QStringLiteral("none");
    QString options = QStringLiteral("bind");
};

inline QString poolResources(const PoolOptions& o) {
    QString xml = QStringLiteral("<resources>");
    for (const QString& appliance : o.appliances) {
        const QString id = QStringLiteral("fence-") + appliance;
        xml += QStringLiteral(
                   "<primitive id=\"%1\" class=\"stonith\" type=\"fence_lab\">"
                   "<instance_attributes id=\"%1-ia\">%2%3</instance_attributes></primitive>")
                   .arg(id, nvpair(id, QStringLiteral("pcmk_host_list"), appliance),
                        nvpair(id, QStringLiteral("pcmk_reboot_action"), pool::kRebootAction));
    }
    using namespace pool;
    const QString& fs = kFs;
    const QString& ip = kIp;
    xml += QStringLiteral("<group id=\"%1\"><meta_attributes id=\"%1-meta\">%2</meta_attributes>")
               .arg(kGroup, nvpair(kGroup, QStringLiteral("resource-stickiness"), kStickiness));
    xml += QStringLiteral(
               "<primitive id=\"%1\" class=\"ocf\" provider=\"heartbeat\" type=\"Filesystem\">"
               "<instance_attributes id=\"%1-ia\">%2%3%4%5%6</instance_attributes></primitive>")
               .arg(fs, nvpair(fs, QStringLiteral("device"), o.device),
                    nvpair(fs, QStringLiteral("directory"), o.directory),
                    nvpair(fs, QStringLiteral("fstype"), o.fstype),
                    nvpair(fs, QStringLiteral("options"), o.options),
                    nvpair(fs, QStringLiteral("force_unmount"), kForceUnmount));
    xml += QStringLiteral(
               "<primitive id=\"%1\" class=\"ocf\" provider=\"heartbeat\" type=\"IPaddr2\">"
               "<instance_attributes id=\"%1-ia\">%2%3</instance_attributes></primitive>")
               .arg(ip, nvpair(ip, QStringLiteral("ip"), o.floating_address),
                    nvpair(ip, QStringLiteral("cidr_netmask"), kCidrNetmask));
    xml += QStringLiteral(
               "<primitive id=\"%1\" class=\"ocf\" provider=\"understudy\" "
               "type=\"understudyd\"><instance_attributes id=\"%1-ia\">%2"
               "</instance_attributes><operations>"
               "<op id=\"%1-start\" name=\"start\" interval=\"0\" timeout=\"%3\"/>"
               "<op id=\"%1-stop\" name=\"stop\" interval=\"0\" timeout=\"%3\"/>"
               "<op id=\"%1-monitor\" name=\"monitor\" interval=\"%4\"/>"
               "<op id=\"%1-monitor-deep\" name=\"monitor\" interval=\"%5\">"
               "<instance_attributes id=\"%1-monitor-deep-ia\">%6"
               "</instance_attributes></op></operations></primitive></group>")
               .arg(kService, nvpair(kService, QStringLiteral("config"), o.config),
                    kStartStopTimeout, kMonitorInterval, kDeepMonitorInterval,
                    nvpair(kService + QStringLiteral("-monitor-deep"),
                           QStringLiteral("OCF_CHECK_LEVEL"), QStringLiteral("10")));
    return xml + QStringLiteral("</resources>");
}

// A fence device never runs on the node it fences.
inline QString poolConstraints(const PoolOptions& o) {
    QString xml = QStringLiteral("<constraints>");
    for (const QString& appliance : o.appliances) {
        xml += QStringLiteral(
                   "<rsc_location id=\"fence-%1-away\" rsc=\"fence-%1\" node=\"%1\" "
                   "score=\"-INFINITY\"/>")
                   .arg(appliance);
    }
    return xml + QStringLiteral("</constraints>");
}

// The alert that tells the service an appliance the pool fenced is lost; `token_file` as the
// nodes see it, readable by hacluster.
inline QString poolAlerts(const QString& url, const QString& token_file) {
    using namespace pool;
    return QStringLiteral(
               "<alerts><alert id=\"%1\" path=\"%2\">"
               "<meta_attributes id=\"%1-meta\">%3</meta_attributes>"
               "<instance_attributes id=\"%1-options\">%4%5</instance_attributes>"
               "</alert></alerts>")
        .arg(kAlert, ClusterLab::alertAgentInNode(),
             nvpair(kAlert + QStringLiteral("-meta"), QStringLiteral("timeout"), kAlertTimeout),
             nvpair(kAlert, QStringLiteral("url"), url),
             nvpair(kAlert, QStringLiteral("token_file"), token_file));
}

// The service the pool runs: its configuration and admin token in LAB_DIR/pool (seen by every
// appliance node under /run/lab/root/pool), each appliance node's libvirtd as an appliance,
// the lab's power hook for the passive nodes' "VMs"; asked through understudyctl at the
// floating address.
class PoolService {
public:
    PoolService(const ClusterLab& lab, PoolOptions options)
        : lab_(lab), dir_(lab.dir() + QStringLiteral("/pool")), options_(std::move(options)) {
        options_.config = dirInNode() + QStringLiteral("/understudyd.conf");
    }

    const PoolOptions& options() const { return options_; }
    QString url() const {
        return QStringLiteral("http://%1:%2").arg(options_.floating_address).arg(options_.port);
    }
    // A file of LAB_DIR/pool as the nodes see it.
    QString inNode(const QString& file) const { return dirInNode() + QLatin1Char('/') + file; }

    // The configuration and admin token; false when they cannot be written.
    bool prepare() {
        if (!QDir().mkpath(dir_)) {
            return false;
        }
        writeAdminTokenFile(dir_ + QStringLiteral("/admin.token"));
        // The alert agent's copy: Pacemaker runs alert agents as hacluster.
        const QString alert_token = dir_ + QStringLiteral("/alert.token");
        writeAdminTokenFile(alert_token);
        const passwd* hacluster = getpwnam("hacluster");
        if (hacluster == nullptr || ::chown(QFile::encodeName(alert_token).constData(),
                                            hacluster->pw_uid, hacluster->pw_gid) != 0) {
            return false;
        }
        QString config = QStringLiteral(
                             "[service]\nlisten = %1:%2\ndatabase = %3/understudy.db\n"
                             "admin_token_file = %4\n\n[policy]\nadmission = warn\n\n")
                             .arg(options_.floating_address)
                             .arg(options_.port)
                             .arg(options_.directory, inNode(QStringLiteral("admin.token")));
        for (const QString& appliance : options_.appliances) {
            config += QStringLiteral(
                          "[appliance.%1]\nuri = test+tcp://%2/default\nreserve_memory_mib = 0\n"
                          "reserve_vcpus = 0\ncpu_overcommit = 8\ndomain_template = %3\n\n")
                          .arg(appliance, lab_.address(appliance),
                               sourcePath(QStringLiteral("appliance/data/passive-node.xml")));
        }
        config += QStringLiteral(
                      "[hook.lab-power]\ncommand = %1\nevents = fence.*, preempted, "
                      "restored\n")
                      .arg(ClusterLab::powerHookCommandInNode());
        writeFile(dir_ + QStringLiteral("/understudyd.conf"), config.toUtf8());
        return true;
    }

    Run admin(const QStringList& arguments, int timeout_s = 10) const {
        return ctl(dir_ + QStringLiteral("/admin.token"), arguments, timeout_s);
    }
    Run ctl(const QString& token_file, const QStringList& arguments, int timeout_s = 10) const {
        QProcessEnvironment env;
        env.insert(QStringLiteral("PATH"), qEnvironmentVariable("PATH"));
        env.insert(QStringLiteral("HOME"), dir_);
        return runProgram(
            QStringLiteral(UNDERSTUDYCTL),
            QStringList{QStringLiteral("--url"), url(), QStringLiteral("--token-file"), token_file,
                        QStringLiteral("--timeout"), QString::number(timeout_s)} +
                arguments,
            env, {}, (timeout_s + 5) * 1000);
    }
    QString adminTokenFile() const { return dir_ + QStringLiteral("/admin.token"); }
    QString alertTokenFileInNode() const { return inNode(QStringLiteral("alert.token")); }

    // Registers a fleet file's text; false with `why`.
    bool add(const QByteArray& fleet_json, const QString& name, QString* why) const {
        const QString fleet = dir_ + QStringLiteral("/%1.json").arg(name);
        writeFile(fleet, fleet_json);
        const Run added = admin({QStringLiteral("clusters"), QStringLiteral("add"), fleet});
        if (added.exit_code != 0) {
            *why = added.describe();
            return false;
        }
        return true;
    }

    // A fresh token for `cluster` in LAB_DIR/pool/CLUSTER.token; its path as the nodes see it
    // ("" when the rotation failed).
    QString tokenFileInNode(const QString& cluster) const {
        const QString file = cluster + QStringLiteral(".token");
        return writeRotatedToken(admin(rotateTokenArguments(cluster)), cluster,
                                 dir_ + QLatin1Char('/') + file)
                   ? inNode(file)
                   : QString();
    }

    QJsonObject node(const QString& name, int timeout_s = 10) const {
        return admin({QStringLiteral("--json"), QStringLiteral("nodes"), name}, timeout_s).json();
    }
    // The node's state ("" when the service did not answer within `timeout_s`).
    QString state(const QString& node, int timeout_s = 10) const {
        return this->node(node, timeout_s).value(QStringLiteral("state")).toString();
    }
    // Every event the service keeps, oldest first.
    QJsonArray events() const {
        const Run run = admin({QStringLiteral("--json"), QStringLiteral("events")});
        return QJsonDocument::fromJson(run.out.toUtf8())
            .object()
            .value(QStringLiteral("events"))
            .toArray();
    }
    // The names of the registered clusters.
    QStringList clusters() const {
        const Run run = admin({QStringLiteral("--json"), QStringLiteral("clusters")});
        QStringList names;
        const QJsonDocument document = QJsonDocument::fromJson(run.out.toUtf8());
        const QJsonArray list = document.isArray()
                                    ? document.array()
                                    : document.object().value(QStringLiteral("clusters")).toArray();
        for (const QJsonValue& cluster : list) {
            names << cluster.toObject().value(QStringLiteral("name")).toString();
        }
        return names;
    }

private:
    static QString dirInNode() { return ClusterLab::dirInNode() + QStringLiteral("/pool"); }

    const ClusterLab& lab_;
    QString dir_;
    PoolOptions options_;
};

}  // namespace understudy::tests

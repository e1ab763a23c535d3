#include "tests/cluster/cluster_lab.h"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QXmlStreamReader>
#include <cerrno>
#include <cstring>

namespace understudy::tests {
namespace {

QString labScript() {
    return sourcePath(QStringLiteral("tests/cluster/lab/lab"));
}

QProcessEnvironment labEnvironment() {
    QProcessEnvironment env;
    env.insert(QStringLiteral("PATH"), QStringLiteral("/usr/sbin:/usr/bin:/sbin:/bin"));
    return env;
}

bool copyExecutable(const QString& from, const QString& to) {
    QFile::remove(to);
    return QFile::copy(from, to) &&
           QFile::setPermissions(to, QFile::permissions(to) | QFile::ExeOwner | QFile::ExeGroup |
                                         QFile::ExeOther | QFile::ReadOther);
}

// A hard link where the build tree and the lab share a filesystem (understudyd is about
// 100 MB), a copy otherwise.
bool linkExecutable(const QString& from, const QString& to) {
    QFile::remove(to);
    return ::link(QFile::encodeName(from).constData(), QFile::encodeName(to).constData()) == 0 ||
           copyExecutable(from, to);
}

}  // namespace

bool enterPrivateNetwork(QString* why) {
    if (unshare(CLONE_NEWNET) != 0) {
        *why = QStringLiteral("unshare(CLONE_NEWNET): %1")
                   .arg(QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    // A new namespace's loopback is down; the tests talk to understudyd over it.
    const int socket_fd = socket(AF_INET, SOCK_DGRAM, 0);
    ifreq loopback{};
    std::strncpy(loopback.ifr_name, "lo", IFNAMSIZ - 1);
    const bool up = socket_fd >= 0 && ioctl(socket_fd, SIOCGIFFLAGS, &loopback) == 0 &&
                    (loopback.ifr_flags |= IFF_UP, ioctl(socket_fd, SIOCSIFFLAGS, &loopback) == 0);
    if (!up) {
        *why = QStringLiteral("cannot bring the loopback up: %1")
                   .arg(QString::fromLocal8Bit(strerror(errno)));
    }
    if (socket_fd >= 0) {
        close(socket_fd);
    }
    return up;
}

ClusterLab::ClusterLab(const QString& dir) : dir_(dir) {
    if (QDir(dir_).exists()) {
        lab({QStringLiteral("down"), dir_});
        QDir(dir_).removeRecursively();
    }
    QDir().mkpath(dir_);
}

ClusterLab::~ClusterLab() {
    down();
}

QString ClusterLab::powerHookCommand() const {
    return labScript() + QStringLiteral(" power-hook ") + dir_;
}

QString ClusterLab::powerHookCommandInNode() {
    return labScript() + QStringLiteral(" power-hook ") + dirInNode();
}

Run ClusterLab::lab(const QStringList& arguments, int limit_ms) const {
    return runProgram(labScript(), arguments, labEnvironment(), {}, limit_ms);
}

// The agents every node gets: the OCF agents under ocf/understudy, the programs in sbin, the
// alert agent in alerts (Pacemaker runs it as hacluster, who may not reach the build tree).
bool ClusterLab::prepareAgents() {
    const QString agents = dir_ + QStringLiteral("/agents");
    const QString ocf = agents + QStringLiteral("/ocf/understudy");
    const QString sbin = agents + QStringLiteral("/sbin");
    const QString alerts = agents + QStringLiteral("/alerts");
    if (!QDir().mkpath(ocf) || !QDir().mkpath(sbin) || !QDir().mkpath(alerts)) {
        return false;
    }
    const QString built_ocf = QStringLiteral(UNDERSTUDY_OCF_ROOT "/resource.d/understudy/");
    for (const QString& agent :
         {QStringLiteral("takeover"), QStringLiteral("readiness"), QStringLiteral("understudyd")}) {
        if (!copyExecutable(built_ocf + agent, ocf + QLatin1Char('/') + agent)) {
            return false;
        }
    }
    return linkExecutable(QStringLiteral(UNDERSTUDYCTL), sbin + QStringLiteral("/understudyctl")) &&
           linkExecutable(QStringLiteral(FENCE_UNDERSTUDY),
                          sbin + QStringLiteral("/fence_understudy")) &&
           linkExecutable(QStringLiteral(UNDERSTUDYD), sbin + QStringLiteral("/understudyd")) &&
           copyExecutable(QStringLiteral(UNDERSTUDY_ALERT),
                          alerts + QStringLiteral("/understudy-alert"));
}

bool ClusterLab::up(const QStringList& nodes, QString* why, const QString& cluster, int token_ms,
                    NodeKind kind) {
    if (!up_ && !prepareAgents()) {
        *why = QStringLiteral("cannot copy the agents into %1/agents").arg(dir_);
        return false;
    }
    up_ = true;
    QStringList arguments{QStringLiteral("up"),        dir_,    dir_ + QStringLiteral("/agents"),
                          QStringLiteral("--cluster"), cluster, QStringLiteral("--token"),
                          QString::number(token_ms)};
    if (kind == NodeKind::appliance) {
        arguments << QStringLiteral("--appliances");
    }
    const Run run = lab(arguments + nodes, 90000);
    if (run.exit_code != 0) {
        *why = run.describe();
        return false;
    }
    return true;
}

QString ClusterLab::address(const QString& node) const {
    QFile index(dir_ + QStringLiteral("/nodes/%1/index").arg(node));
    if (!index.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QStringLiteral("10.99.0.%1").arg(10 + index.readAll().trimmed().toInt());
}

bool ClusterLab::start(const QString& node) {
    return lab({QStringLiteral("start"), dir_, node}).exit_code == 0;
}
bool ClusterLab::stop(const QString& node) {
    return lab({QStringLiteral("stop"), dir_, node}, 60000).exit_code == 0;
}
bool ClusterLab::kill(const QString& node) {
    return lab({QStringLiteral("kill"), dir_, node}).exit_code == 0;
}
bool ClusterLab::killCorosync(const QString& node) {
    return lab({QStringLiteral("kill-corosync"), dir_, node}).exit_code == 0;
}
bool ClusterLab::partition(const QString& node) {
    return lab({QStringLiteral("partition"), dir_, node}).exit_code == 0;
}
bool ClusterLab::heal(const QString& node) {
    return lab({QStringLiteral("heal"), dir_, node}).exit_code == 0;
}
bool ClusterLab::running(const QString& node) {
    return lab({QStringLiteral("running"), dir_, node}).exit_code == 0;
}

bool ClusterLab::down() {
    if (!up_) {
        return true;
    }
    up_ = false;
    const Run run = lab({QStringLiteral("down"), dir_});
    if (run.exit_code != 0) {
        qWarning("lab down: %s", qPrintable(run.describe()));
    }
    return run.exit_code == 0;
}

Run ClusterLab::exec(const QString& node, const QStringList& command, int limit_ms) const {
    return lab(QStringList{QStringLiteral("exec"), dir_, node} + command, limit_ms);
}

// In one replacement of the configuration, so that the cluster never places a resource
// without its constraints.
Run ClusterLab::configure(const QString& node, const QString& resources_xml,
                          const QString& constraints_xml, const QString& more_xml) const {
    QString kept;
    for (const QString& scope : {QStringLiteral("crm_config"), QStringLiteral("nodes")}) {
        const Run query = exec(node, {QStringLiteral("cibadmin"), QStringLiteral("--query"),
                                      QStringLiteral("--scope"), scope});
        if (query.exit_code != 0) {
            return query;
        }
        kept += query.out;
    }
    return exec(node,
                {QStringLiteral("cibadmin"), QStringLiteral("--replace"), QStringLiteral("--scope"),
                 QStringLiteral("configuration"), QStringLiteral("--xml-text"),
                 QStringLiteral("<configuration>%1%2%3%4</configuration>")
                     .arg(kept, resources_xml, constraints_xml, more_xml)});
}

QString ClusterLab::status(const QString& node) const {
    const Run run = exec(node, {QStringLiteral("crm_mon"), QStringLiteral("--one-shot"),
                                QStringLiteral("--output-as=xml")});
    return run.exit_code == 0 ? run.out : QString();
}

QString ClusterLab::statusText(const QString& node) const {
    const Run run = exec(node, {QStringLiteral("crm_mon"), QStringLiteral("--one-shot"),
                                QStringLiteral("--inactive"), QStringLiteral("--failcounts"),
                                QStringLiteral("--show-detail")});
    return run.out + run.err;
}

QString ClusterLab::report(const QString& node) const {
    qWarning("the cluster as %s sees it:\n%s", qPrintable(node), qPrintable(statusText(node)));
    return QStringLiteral("see the cluster as %1 sees it above; the nodes' logs are in %2/nodes")
        .arg(node, dir_);
}

std::optional<ResourceView> ClusterLab::resource(const QString& node,
                                                 const QString& resource) const {
    const QString xml = status(node);
    if (xml.isEmpty()) {
        return std::nullopt;
    }
    QXmlStreamReader reader(xml);
    ResourceView view;
    bool inside = false;
    while (!reader.atEnd()) {
        reader.readNext();
        if (reader.isStartElement() && reader.name() == QLatin1String("resource") &&
            reader.attributes().value(QLatin1String("id")) == resource) {
            inside = true;
            view.role = reader.attributes().value(QLatin1String("role")).toString();
            view.failed =
                reader.attributes().value(QLatin1String("failed")) == QLatin1String("true");
        } else if (inside && reader.isStartElement() && reader.name() == QLatin1String("node")) {
            view.node = reader.attributes().value(QLatin1String("name")).toString();
        } else if (inside && reader.isEndElement() && reader.name() == QLatin1String("resource")) {
            return view;
        }
    }
    return reader.hasError() ? std::nullopt : std::optional<ResourceView>(view);
}

bool ClusterLab::runsOn(const QString& observer, const QString& resource,
                        const QString& node) const {
    const auto view = this->resource(observer, resource);
    return view && view->node == node && view->role == QLatin1String("Started");
}

bool ClusterLab::stopped(const QString& observer, const QString& resource) const {
    const auto view = this->resource(observer, resource);
    return view && view->node.isEmpty();
}

bool ClusterLab::online(const QString& observer, const QString& node) const {
    QXmlStreamReader reader(status(observer));
    while (!reader.atEnd()) {
        reader.readNext();
        if (reader.isStartElement() && reader.name() == QLatin1String("node") &&
            reader.attributes().value(QLatin1String("name")) == node &&
            reader.attributes().hasAttribute(QLatin1String("online"))) {
            return reader.attributes().value(QLatin1String("online")) == QLatin1String("true");
        }
    }
    return false;
}

Run ClusterLab::crmResource(const QString& node, const QStringList& arguments) const {
    return exec(node, QStringList{QStringLiteral("crm_resource")} + arguments);
}

QString ClusterLab::attribute(const QString& node, const QString& target,
                              const QString& name) const {
    const Run run = exec(
        node, {QStringLiteral("crm_attribute"), QStringLiteral("--node"), target,
               QStringLiteral("--name"), name, QStringLiteral("--lifetime"),
               QStringLiteral("reboot"), QStringLiteral("--query"), QStringLiteral("--quiet")});
    return run.exit_code == 0 ? run.out.trimmed() : QString();
}

QString ClusterLab::pacemakerLog(const QString& node) const {
    QFile log(dir_ + QStringLiteral("/nodes/%1/log/pacemaker.log").arg(node));
    return log.open(QIODevice::ReadOnly) ? QString::fromUtf8(log.readAll()) : QString();
}

bool ClusterLab::waitFor(const std::function<bool()>& condition, int limit_ms) {
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > limit_ms) {
            return false;
        }
        QTest::qWait(100);
    }
    return true;
}

}  // namespace understudy::tests

// The live-cluster lab from C++: a cluster of namespaces running Debian's corosync and
// Pacemaker (tests/cluster/lab/lab does the work), the build tree's agents installed in every
// node, the cluster's own tools run inside a node, and everything torn down by PID when the
// lab goes out of scope (and by the lab_sweep test after a crash).
#pragma once

#include <QString>
#include <QStringList>
#include <functional>
#include <optional>

#include "tests/agents/agent_fixture.h"

namespace understudy::tests {

// Gives this process (and every process it starts afterwards) a network namespace of its own,
// where the lab puts its bridge: nothing the lab does touches the host's network. Call it first
// in main(), before any thread exists. False with `why` when it cannot (not root).
bool enterPrivateNetwork(QString* why);

// The lab's tests' main(): a private network first, then QtTest.
#define UNDERSTUDY_CLUSTER_TEST_MAIN(TestObject)                          \
    int main(int argc, char** argv) {                                     \
        QString why;                                                      \
        if (!understudy::tests::enterPrivateNetwork(&why)) {              \
            qCritical("the cluster lab needs root: %s", qPrintable(why)); \
            return 1;                                                     \
        }                                                                 \
        QCoreApplication application(argc, argv);                         \
        TestObject test;                                                  \
        QTEST_SET_MAIN_SOURCE_PATH                                        \
        return QTest::qExec(&test, argc, argv);                           \
    }

// QVERIFY for the live cluster: on failure, the cluster as `node` sees it goes to the log (only
// then: crm_mon takes a while).
#define LAB_VERIFY(lab, node, ...)                                                         \
    do {                                                                                   \
        if (!(__VA_ARGS__)) {                                                              \
            QFAIL(qPrintable(QStringLiteral("'%1' is false; %2")                           \
                                 .arg(QStringLiteral(#__VA_ARGS__), (lab).report(node)))); \
        }                                                                                  \
    } while (false)

// A resource as crm_mon shows it: where it runs ("" when stopped) and its role.
struct ResourceView {
    QString node;
    QString role;
    bool failed = false;
};

class ClusterLab {
public:
    // The lab's folder: cleared (after stopping whatever an earlier run left there) and made.
    explicit ClusterLab(const QString& dir);
    ~ClusterLab();
    ClusterLab(const ClusterLab&) = delete;
    ClusterLab& operator=(const ClusterLab&) = delete;

    // The address understudyd listens on inside the lab (the bridge's).
    static QString serviceAddress() { return QStringLiteral("10.99.0.1"); }
    QString dir() const { return dir_; }
    // A hook command for understudyd: fence.off/on/reboot of a node the lab runs powers that
    // node's namespace off, on or over, as fencing the passive node's VM would. For a service
    // that runs inside a node: powerHookCommandInNode().
    QString powerHookCommand() const;
    static QString powerHookCommandInNode();

    // An appliance node also runs libvirtd (test driver) at its address, reached as
    // test+tcp://ADDRESS/default; it dies with the node.
    enum class NodeKind { cluster_node, appliance };

    // Starts the nodes as one cluster and waits until all are online (false: `why` has the
    // lab's message). Again with other nodes for more clusters on the same bridge; each its own
    // corosync `cluster` with its token timeout.
    bool up(const QStringList& nodes, QString* why, const QString& cluster = QStringLiteral("lab"),
            int token_ms = 3000, NodeKind kind = NodeKind::cluster_node);
    // A node's address on the lab's bridge ("" for a node the lab does not have).
    QString address(const QString& node) const;
    // Storage every node reaches, seen inside the nodes as sharedDirInNode() (a pool's service
    // bind-mounts its database's folder from there).
    QString sharedDir() const { return dir_ + QStringLiteral("/shared"); }
    static QString sharedDirInNode() { return QStringLiteral("/run/lab/root/shared"); }
    // The lab's folder as the nodes see it.
    static QString dirInNode() { return QStringLiteral("/run/lab/root"); }
    // The build's Pacemaker alert agent understudy-alert, as the nodes see it.
    static QString alertAgentInNode() {
        return dirInNode() + QStringLiteral("/agents/alerts/understudy-alert");
    }
    bool start(const QString& node);
    bool stop(const QString& node);
    bool kill(const QString& node);
    bool killCorosync(const QString& node);
    // An appliance node's libvirtd cut off the lab's network (its packets dropped) while its
    // cluster traffic still flows, and back.
    bool partition(const QString& node);
    bool heal(const QString& node);
    bool running(const QString& node);
    // Stops every process the lab started; false when one survived.
    bool down();

    // A command run inside `node`'s namespaces.
    Run exec(const QString& node, const QStringList& command, int limit_ms = kHangMs) const;
    // cibadmin --replace of the configuration's resources and constraints, and of `more_xml`
    // (other sections of the configuration, such as alerts).
    Run configure(const QString& node, const QString& resources_xml, const QString& constraints_xml,
                  const QString& more_xml = {}) const;
    // crm_mon's XML, as `node` sees the cluster.
    QString status(const QString& node) const;
    // crm_mon's text with the details of failed actions, as `node` sees the cluster.
    QString statusText(const QString& node) const;
    // crm_mon's full text as `node` sees the cluster (inactive resources, fail counts, failed
    // actions), written to the test's log; returns a pointer to it for a failure message.
    QString report(const QString& node) const;
    // Where `resource` runs as `node` sees it (nullopt when crm_mon could not be read).
    std::optional<ResourceView> resource(const QString& node, const QString& resource) const;
    // Whether `resource` is started on `node`, as `observer` sees it.
    bool runsOn(const QString& observer, const QString& resource, const QString& node) const;
    // Whether `resource` runs nowhere, as `observer` sees it.
    bool stopped(const QString& observer, const QString& resource) const;
    // Whether `observer` sees `node` online.
    bool online(const QString& observer, const QString& node) const;
    // crm_resource with `arguments`, inside `node`.
    Run crmResource(const QString& node, const QStringList& arguments) const;
    // A transient node attribute of `target` as `node` reads it from the live CIB ("" unset).
    QString attribute(const QString& node, const QString& target, const QString& name) const;
    // What Pacemaker's daemons on `node` logged so far.
    QString pacemakerLog(const QString& node) const;
    // Polls `condition` every 100 ms for at most `limit_ms`.
    static bool waitFor(const std::function<bool()>& condition, int limit_ms);

private:
    Run lab(const QStringList& arguments, int limit_ms = kHangMs) const;
    bool prepareAgents();

    QString dir_;
    bool up_ = false;
};

}  // namespace understudy::tests

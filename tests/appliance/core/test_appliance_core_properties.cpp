// Seeded random sequences of register, takeover, release, fence and remove over small fleets
// on one or two test-driver appliances; after every step the core's invariants must hold.
#include <QtTest>

#include <random>
#include <set>

#include "appliance/core/appliance_core.h"
#include "appliance/core/reconciler.h"
#include "appliance/hypervisor/libvirt_hypervisor.h"
#include "core_fixture.h"
#include "tests/support/libvirt_test_main.h"

using namespace understudy;
using namespace understudy::core;
using namespace understudy::hypervisor;
using namespace understudy::core::testing;

class TestApplianceCoreProperties : public QObject {
    Q_OBJECT

private slots:
    void invariantsHoldAfterEveryStep_data();
    void invariantsHoldAfterEveryStep();
};

namespace {

// What must hold after any operation: returns the first violation, empty when none.
QString violation(ApplianceCore& core, const std::string& database) {
    if (Status reconciled = core.reconcile().result(); !reconciled) {
        return QString::fromStdString("reconcile: " + reconciled.error().describe());
    }
    auto appliances = core.appliances();
    auto nodes = core.nodes();
    if (!appliances || !nodes) {
        return QStringLiteral("cannot read the views");
    }
    for (const ApplianceStatus& status : *appliances) {
        // Memory is never granted beyond usable memory.
        if (status.headroom.free.memory_mib < 0) {
            return QString::fromStdString("appliance " + status.name + " has " +
                                          std::to_string(status.headroom.free.memory_mib) +
                                          " MiB free");
        }
    }
    std::set<std::string> names;
    for (const NodeStatus& node : *nodes) {
        if (!names.insert(node.name).second) {
            return QString::fromStdString("node " + node.name + " listed twice");
        }
        if (node.state == db::NodeState::Drifted || node.state == db::NodeState::Missing ||
            node.state == db::NodeState::TakingOver || node.state == db::NodeState::Releasing) {
            return QString::fromStdString("node " + node.name + " is " +
                                          std::string(db::nodeStateName(node.state)));
        }
        LibvirtHypervisor* hv = core.hypervisorForTest(node.appliance);
        auto info = hv->domainInfo(node.domain);
        if (!info) {
            return QString::fromStdString("domain of " + node.name + ": " +
                                          info.error().describe());
        }
        if (info->active() != expectsRunning(node.state)) {
            return QString::fromStdString("node " + node.name + " is " +
                                          std::string(db::nodeStateName(node.state)) +
                                          " but its domain is " + domainStateName(info->state));
        }
        if (node.state == db::NodeState::Preempted && !*hv->hasManagedSave(node.domain)) {
            return QString::fromStdString("preempted node " + node.name + " has no managed save");
        }
        if (!info->active()) {
            continue;
        }
        const bool granted = node.state == db::NodeState::Active;
        if (granted != node.grant.has_value()) {
            return QString::fromStdString("node " + node.name + " grant and state disagree");
        }
        const sizing::Footprint want = granted ? node.grant->footprint : node.standby;
        if (info->memoryMib() != want.memory_mib || info->vcpus != want.vcpus) {
            return QString::fromStdString(
                "node " + node.name + " runs at " + std::to_string(info->memoryMib()) + " MiB/" +
                std::to_string(info->vcpus) + " vCPUs, expected " +
                std::to_string(want.memory_mib) + "/" + std::to_string(want.vcpus));
        }
    }
    const auto events = eventsIn(database);
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (events[i].id != static_cast<db::Id>(i + 1)) {
            return QStringLiteral("event ids are not gap-free at %1").arg(i);
        }
    }
    return {};
}

}  // namespace

void TestApplianceCoreProperties::invariantsHoldAfterEveryStep_data() {
    QTest::addColumn<unsigned>("seed");
    for (unsigned seed = 1; seed <= 16; ++seed) {
        QTest::newRow(qPrintable(QStringLiteral("seed %1").arg(seed))) << seed;
    }
}

void TestApplianceCoreProperties::invariantsHoldAfterEveryStep() {
    QFETCH(unsigned, seed);
    std::mt19937 random(seed);
    auto pick = [&](int low, int high) {
        return std::uniform_int_distribution<int>(low, high)(random);
    };
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    CoreConfig config;
    // Enforce with a target of 1: only unservable clusters are refused, so standby footprints
    // always fit and every grant must come out of real headroom.
    config.policy.target_risk = 1.0;
    const int appliance_count = pick(1, 2);
    for (int a = 0; a < appliance_count; ++a) {
        const QString name = QStringLiteral("pna-%1").arg(a + 1);
        config.appliances.push_back(applianceConfig(
            name.toStdString(), writeHost(dir, name, pick(4, 12), 1024 * pick(6, 16))));
    }
    const std::string database = dir.filePath(QStringLiteral("core.db")).toStdString();
    auto opened = ApplianceCore::open(config, database, defaultTemplate());
    QVERIFY_OK(opened);
    ApplianceCore& core = **opened;

    int next_cluster = 0;
    std::vector<std::string> clusters;
    for (int step = 0; step < 50; ++step) {
        const int action = clusters.empty() ? 0 : pick(0, 9);
        std::string what;
        std::optional<Error> error;
        if (action <= 1) {
            const std::string name = "c" + std::to_string(next_cluster++);
            const int standby_mib = 256 * pick(1, 4);
            const int standby_vcpus = pick(1, 2);
            ClusterRegistration made =
                cluster(name, pick(0, 1000), {standby_vcpus, standby_mib},
                        {standby_vcpus + pick(0, 3), standby_mib + 512 * pick(0, 8)});
            what = "register " + name;
            auto registered = core.registerClusters({{}, {made}}).result();
            if (!registered) {
                error = registered.error();
            } else if (registered->accepted) {
                clusters.push_back(name);
            }
        } else {
            const std::string name =
                clusters[static_cast<std::size_t>(pick(0, static_cast<int>(clusters.size()) - 1))];
            const std::string node = name + "-passive";
            if (action <= 4) {
                what = "takeover " + node;
                auto taken = core.takeover(node).result();
                if (!taken) {
                    error = taken.error();
                }
            } else if (action <= 6) {
                what = "release " + node;
                if (Status released = core.release(node).result(); !released) {
                    error = released.error();
                }
            } else if (action == 7) {
                const PowerAction power = pick(0, 1) == 0 ? PowerAction::off : PowerAction::on;
                what = std::string("power ") + powerActionName(power) + " " + node;
                auto powered = core.power(node, power).result();
                if (!powered) {
                    error = powered.error();
                }
            } else if (action == 8) {
                what = "reboot " + node;
                auto powered = core.power(node, PowerAction::reboot).result();
                if (!powered) {
                    error = powered.error();
                }
            } else {
                what = "remove " + name;
                if (Status removed = core.removeCluster(name).result(); !removed) {
                    error = removed.error();
                } else {
                    std::erase(clusters, name);
                }
            }
        }
        // Only a refusal because of the node's state is an expected failure.
        if (error && error->code != "conflict") {
            QFAIL(qPrintable(QStringLiteral("step %1 (%2): %3")
                                 .arg(step)
                                 .arg(QString::fromStdString(what))
                                 .arg(QString::fromStdString(error->describe()))));
        }
        const QString broken = violation(core, database);
        if (!broken.isEmpty()) {
            QFAIL(qPrintable(QStringLiteral("after step %1 (%2): %3")
                                 .arg(step)
                                 .arg(QString::fromStdString(what))
                                 .arg(broken)));
        }
    }
}

QTEST_MAIN_WITHOUT_GLIB(TestApplianceCoreProperties)

#include "test_appliance_core_properties.moc"

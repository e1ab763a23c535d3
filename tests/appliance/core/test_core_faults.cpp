// The appliance core under hypervisor faults, on libvirt's shared test:///default driver: a
// connection that drops in the middle of a takeover or a release, calls that fail or hang, and
// a domain destroyed during a takeover through a second libvirt connection. Whatever happens,
// the caller is told what failed, no grant is answered that libvirt does not show, memory
// granted stays within the usable memory, an event says what happened, and once reconciled the
// node's state matches what libvirt reports.
#include <QtTest>

#include <atomic>
#include <future>

#include "appliance/core/appliance_core.h"
#include "appliance/hypervisor/libvirt_hypervisor.h"
#include "core_fixture.h"
#include "faulty_hypervisor.h"
#include "tests/support/libvirt_test_main.h"

using namespace understudy;
using namespace understudy::core;
using namespace understudy::hypervisor;
using namespace understudy::policy;
using namespace understudy::core::testing;

namespace {

constexpr int kWaitMs = 15000;
const std::string kShared = "test:///default";
const std::string kForeign = "test";  // the driver's own domain: never ours

Error injected(const std::string& what) {
    return Error{"hypervisor_failed", "injected fault: " + what, kShared};
}

}  // namespace

class TestCoreFaults : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void aFailedTakeoverIsAnsweredAsAFailureAndLeavesAConsistentNode_data();
    void aFailedTakeoverIsAnsweredAsAFailureAndLeavesAConsistentNode();
    void aFailedPreemptionRestoresTheVictimAndGrantsNothing();
    void aReleaseThatLosesTheConnectionKeepsTheGrantUntilItCanRelease();
    void aHungCallBlocksNeitherReadsNorAnotherAppliance();

private:
    std::unique_ptr<ApplianceCore> open(std::vector<ApplianceConfig> appliances);
    std::string database() const { return dir_->filePath(QStringLiteral("core.db")).toStdString(); }
    // Every domain of ours on the shared driver goes, so tests start from the same host.
    void clearSharedHost();
    // The invariants that must hold whatever fault happened.
    void verifyConsistent(ApplianceCore& core);
    void waitConnected(ApplianceCore& core);

    std::unique_ptr<QTemporaryDir> dir_;
    // A second connection to the shared driver: keeps its state across the core's reconnects
    // and changes domains behind the core's back.
    std::unique_ptr<LibvirtHypervisor> keeper_;
    std::atomic<FaultyHypervisor*> faulty_{nullptr};
    std::atomic<bool> dropped_{false};
};

void TestCoreFaults::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
    auto keeper = LibvirtHypervisor::open(kShared);
    QVERIFY_OK(keeper);
    keeper_ = std::move(*keeper);
    clearSharedHost();
}

void TestCoreFaults::cleanup() {
    clearSharedHost();
    keeper_.reset();
    faulty_ = nullptr;
    dropped_ = false;
    dir_.reset();
}

void TestCoreFaults::clearSharedHost() {
    auto domains = keeper_->listDomains();
    QVERIFY_OK(domains);
    for (const DomainInfo& info : *domains) {
        if (info.name == kForeign) {
            continue;
        }
        if (info.active()) {
            QVERIFY(keeper_->destroy(info.name).ok());
        }
        QVERIFY(keeper_->undefineDomain(info.name).ok());
    }
}

std::unique_ptr<ApplianceCore> TestCoreFaults::open(std::vector<ApplianceConfig> appliances) {
    CoreConfig config;
    config.policy.admission = AdmissionMode::warn;
    config.policy.confirm_timeout = std::chrono::milliseconds(400);
    config.policy.connect_retry = std::chrono::milliseconds(100);
    config.appliances = std::move(appliances);
    config.open_hypervisor =
        [this](const ApplianceConfig& appliance) -> Result<std::unique_ptr<Hypervisor>> {
        LibvirtHypervisorOptions options;
        options.initial_backoff = std::chrono::milliseconds(50);
        options.max_backoff = std::chrono::milliseconds(200);
        auto real = LibvirtHypervisor::open(appliance.uri, options);
        if (!real) {
            return real.error();
        }
        auto wrapped = std::make_unique<FaultyHypervisor>(std::move(*real));
        if (appliance.uri == kShared) {
            faulty_ = wrapped.get();
        }
        return std::unique_ptr<Hypervisor>(std::move(wrapped));
    };
    return openCore(config, database());
}

void TestCoreFaults::waitConnected(ApplianceCore& core) {
    if (dropped_) {
        // The loss is reported asynchronously: wait for it and for the reconnection.
        QTRY_VERIFY_WITH_TIMEOUT(hasKind(eventsIn(database()), "hypervisor.connected"), kWaitMs);
    }
    QTRY_VERIFY_WITH_TIMEOUT((*core.appliances())[0].connected, kWaitMs);
    QVERIFY(core.reconcile().result().ok());
}

void TestCoreFaults::verifyConsistent(ApplianceCore& core) {
    auto appliances = core.appliances();
    QVERIFY_OK(appliances);
    for (const ApplianceStatus& appliance : *appliances) {
        const Headroom& headroom = appliance.headroom;
        QVERIFY2(headroom.foreign.memory_mib + headroom.standby_committed.memory_mib +
                         headroom.granted.memory_mib <=
                     headroom.capacity.memory_mib,
                 appliance.name.c_str());
    }
    auto nodes = core.nodes();
    QVERIFY_OK(nodes);
    const auto events = eventsIn(database());
    for (const NodeStatus& node : *nodes) {
        if (node.appliance != "shared") {
            continue;
        }
        auto info = keeper_->domainInfo(node.domain);
        QVERIFY_OK(info);
        const QByteArray what = QByteArray::fromStdString(
            node.name + " is " + std::string(db::nodeStateName(node.state)) + ", libvirt has " +
            std::to_string(info->memoryMib()) + " MiB, " + std::to_string(info->vcpus) +
            " vCPUs, " + domainStateName(info->state));
        switch (node.state) {
            case db::NodeState::Active:
                QVERIFY2(node.grant.has_value(), what.constData());
                QVERIFY2(info->active(), what.constData());
                QVERIFY2(info->memoryMib() == node.grant->footprint.memory_mib, what.constData());
                QVERIFY2(info->vcpus == node.grant->footprint.vcpus, what.constData());
                break;
            case db::NodeState::Standby:
                QVERIFY2(!node.grant.has_value(), what.constData());
                QVERIFY2(info->state == DomainState::running, what.constData());
                QVERIFY2(info->memoryMib() == node.standby.memory_mib, what.constData());
                QVERIFY2(info->vcpus == node.standby.vcpus, what.constData());
                break;
            case db::NodeState::Drifted:
                QVERIFY2(!node.grant.has_value(), what.constData());
                QVERIFY2(hasKind(events, "node.drifted", node.name), what.constData());
                break;
            case db::NodeState::Preempted:
                QVERIFY2(!info->active() && info->has_managed_save, what.constData());
                break;
            default:
                QFAIL(what.constData());
        }
    }
}

void TestCoreFaults::aFailedTakeoverIsAnsweredAsAFailureAndLeavesAConsistentNode_data() {
    QTest::addColumn<int>("call");
    QTest::addColumn<int>("skip");
    QTest::addColumn<bool>("after");
    QTest::addColumn<QString>("fault");
    QTest::addColumn<QString>("code");
    auto row = [](const char* name, HypervisorCall call, int skip, bool after, const char* fault,
                  const char* code) {
        QTest::newRow(name) << static_cast<int>(call) << skip << after << QString::fromLatin1(fault)
                            << QString::fromLatin1(code);
    };
    // domain_info: the first call reads the footprint before growing it, the next ones confirm.
    row("setting memory fails", HypervisorCall::set_memory_live, 0, false, "fail",
        "hypervisor_failed");
    row("setting vCPUs fails after memory grew", HypervisorCall::set_vcpus_live, 0, false, "fail",
        "hypervisor_failed");
    row("connection drops before memory is set", HypervisorCall::set_memory_live, 0, false, "drop",
        "hypervisor_unavailable");
    row("connection drops after memory grew, answer lost", HypervisorCall::set_memory_live, 0, true,
        "drop", "hypervisor_unavailable");
    row("connection drops while confirming", HypervisorCall::domain_info, 1, false, "drop",
        "hypervisor_unavailable");
    row("confirmation times out", HypervisorCall::domain_info, 1, false, "timeout",
        "hypervisor_failed");
    row("domain destroyed after memory grew", HypervisorCall::set_memory_live, 0, true, "destroy",
        "");
    row("domain destroyed while confirming", HypervisorCall::domain_info, 1, false, "destroy", "");
}

void TestCoreFaults::aFailedTakeoverIsAnsweredAsAFailureAndLeavesAConsistentNode() {
    QFETCH(int, call);
    QFETCH(int, skip);
    QFETCH(bool, after);
    QFETCH(QString, fault);
    QFETCH(QString, code);
    auto core = open({applianceConfig("shared", kShared)});
    QVERIFY(core);
    QVERIFY(faulty_.load());
    QVERIFY(core->registerClusters({{},
                                    {cluster("a", 500, {1, 128}, {2, 256}),
                                     cluster("b", 500, {1, 128}, {2, 256})}})
                .result()
                ->accepted);

    HypervisorFault armed;
    armed.call = static_cast<HypervisorCall>(call);
    armed.domain = "a-passive";
    armed.skip = skip;
    armed.after = after;
    if (fault == QStringLiteral("fail")) {
        armed.error = injected("the call failed");
    } else if (fault == QStringLiteral("drop")) {
        armed.action = [this] {
            dropped_ = true;
            faulty_.load()->inner().disconnectForTest();
        };
    } else if (fault == QStringLiteral("timeout")) {
        armed.delay = std::chrono::milliseconds(300);
        armed.error = injected("the call timed out");
    } else {
        armed.action = [this] { QVERIFY(keeper_->destroy("a-passive").ok()); };
    }
    faulty_.load()->inject(armed);

    auto answer = core->takeover("a-passive").result();
    QCOMPARE(faulty_.load()->fired(), 1);
    QVERIFY2(!answer.ok(), "a takeover whose libvirt work failed was answered as granted");
    QVERIFY(!answer.error().code.empty());
    QVERIFY(!answer.error().message.empty());
    if (!code.isEmpty()) {
        QCOMPARE(QString::fromStdString(answer.error().code), code);
    }
    if (fault == QStringLiteral("destroy")) {
        // The answer names what happened to the domain, not a guess at a cause.
        const QByteArray message = QByteArray::fromStdString(answer.error().message);
        QVERIFY2(message.contains("not running") || message.contains("shut off"),
                 message.constData());
    }
    // The log says what happened and that it was rolled back.
    const auto events = eventsIn(database());
    auto denied = std::find_if(events.rbegin(), events.rend(), [](const db::DBEvent& event) {
        return event.kind == "takeover.denied" &&
               event.node == std::optional<std::string>("a-passive");
    });
    QVERIFY(denied != events.rend());
    QVERIFY2(QByteArray::fromStdString(denied->details).contains("rolled_back"),
             denied->details.c_str());
    QVERIFY2(QByteArray::fromStdString(denied->details)
                 .contains(QByteArray::fromStdString(answer.error().message).left(40)),
             denied->details.c_str());
    QVERIFY(!hasKind(events, "takeover.granted", "a-passive"));

    waitConnected(*core);
    if (fault == QStringLiteral("drop")) {
        const auto all = eventsIn(database());
        QVERIFY(hasKind(all, "hypervisor.disconnected"));
        QVERIFY(hasKind(all, "hypervisor.connected"));
    }
    verifyConsistent(*core);
    QVERIFY(!core->node("a-passive")->grant.has_value());
    QCOMPARE(core->node("b-passive")->state, db::NodeState::Standby);

    // Once the fault is gone the node serves again: a drifted or stopped node is powered back
    // to its standby footprint first, as an administrator would.
    if (core->node("a-passive")->state != db::NodeState::Standby) {
        auto powered = core->power("a-passive", PowerAction::on).result();
        QVERIFY_OK(powered);
    }
    QCOMPARE(core->node("a-passive")->state, db::NodeState::Standby);
    auto again = core->takeover("a-passive").result();
    QVERIFY2(again.ok() && again->granted, failure(again));
    verifyConsistent(*core);
    QVERIFY(core->release("a-passive").result().ok());
    verifyConsistent(*core);
}

void TestCoreFaults::aFailedPreemptionRestoresTheVictimAndGrantsNothing() {
    // 3 GiB host with the driver's 2 GiB foreign domain: 1 GiB usable for us.
    auto core = open({applianceConfig("shared", kShared)});
    QVERIFY(core);
    QVERIFY(core->registerClusters({{},
                                    {cluster("high", 900, {1, 256}, {2, 768}),
                                     cluster("low", 100, {1, 512}, {2, 768})}})
                .result()
                ->accepted);
    HypervisorFault armed;
    armed.call = HypervisorCall::managed_save;
    armed.domain = "low-passive";
    armed.error = injected("managed save failed");
    faulty_.load()->inject(armed);

    auto answer = core->takeover("high-passive").result();
    QCOMPARE(faulty_.load()->fired(), 1);
    QVERIFY2(!answer.ok(), "a takeover whose preemption failed was answered as granted");
    QVERIFY(QByteArray::fromStdString(answer.error().message).contains("managed save failed"));
    waitConnected(*core);
    verifyConsistent(*core);
    QCOMPARE(core->node("low-passive")->state, db::NodeState::Standby);
    QCOMPARE(core->node("high-passive")->state, db::NodeState::Standby);
    QVERIFY(!hasKind(eventsIn(database()), "preempted"));

    // Without the fault the same takeover preempts and is granted.
    auto granted = core->takeover("high-passive").result();
    QVERIFY2(granted.ok() && granted->granted, failure(granted));
    QCOMPARE(granted->grant->preempted, std::vector<std::string>{"low-passive"});
    verifyConsistent(*core);
    QVERIFY(core->release("high-passive").result().ok());
    QTRY_COMPARE_WITH_TIMEOUT(core->node("low-passive")->state, db::NodeState::Standby, kWaitMs);
    verifyConsistent(*core);
}

void TestCoreFaults::aReleaseThatLosesTheConnectionKeepsTheGrantUntilItCanRelease() {
    auto core = open({applianceConfig("shared", kShared)});
    QVERIFY(core);
    QVERIFY(
        core->registerClusters({{}, {cluster("a", 500, {1, 128}, {2, 256})}}).result()->accepted);
    QVERIFY(core->takeover("a-passive").result()->granted);
    HypervisorFault armed;
    armed.call = HypervisorCall::set_memory_live;
    armed.domain = "a-passive";
    armed.action = [this] {
        dropped_ = true;
        faulty_.load()->inner().disconnectForTest();
    };
    faulty_.load()->inject(armed);

    auto released = core->release("a-passive").result();
    QVERIFY2(!released.ok(), "a release libvirt never applied was answered as done");
    QCOMPARE(released.error().code, std::string("hypervisor_unavailable"));
    waitConnected(*core);
    // libvirt still shows the active footprint: the books must still count it.
    QCOMPARE(keeper_->domainInfo("a-passive")->memoryMib(), std::int64_t(256));
    verifyConsistent(*core);
    const NodeStatus node = *core->node("a-passive");
    QVERIFY2(node.state == db::NodeState::Active || node.state == db::NodeState::Drifted,
             db::nodeStateName(node.state).data());
    if (node.state == db::NodeState::Active) {
        QCOMPARE((*core->appliances())[0].headroom.granted.memory_mib, std::int64_t(128));
    }
    auto again = core->release("a-passive").result();
    QVERIFY_OK(again);
    QCOMPARE(keeper_->domainInfo("a-passive")->memoryMib(), std::int64_t(128));
    QCOMPARE(core->node("a-passive")->state, db::NodeState::Standby);
    verifyConsistent(*core);
}

void TestCoreFaults::aHungCallBlocksNeitherReadsNorAnotherAppliance() {
    auto core = open({applianceConfig("shared", kShared),
                      applianceConfig("other", writeHost(*dir_, "other", 16, 65536))});
    QVERIFY(core);
    QVERIFY(core->registerClusters({{},
                                    {cluster("a", 500, {1, 128}, {2, 256}, "shared"),
                                     cluster("b", 500, {1, 1024}, {2, 4096}, "other")}})
                .result()
                ->accepted);
    // The shared appliance's vCPU call hangs until the test lets it go.
    auto hang = std::make_shared<std::promise<void>>();
    std::shared_future<void> released = hang->get_future().share();
    HypervisorFault armed;
    armed.call = HypervisorCall::set_vcpus_live;
    armed.domain = "a-passive";
    armed.action = [released] { released.wait(); };
    faulty_.load()->inject(armed);

    auto stuck = core->takeover("a-passive");
    QTRY_COMPARE_WITH_TIMEOUT(faulty_.load()->fired(), 1, kWaitMs);
    // Reads answer from the cache; the other appliance's worker is not held up.
    auto nodes = core->nodes();
    QVERIFY_OK(nodes);
    QCOMPARE(nodes->size(), std::size_t(2));
    QVERIFY(core->appliances().ok());
    auto other = core->takeover("b-passive").result();
    QVERIFY2(other.ok() && other->granted, failure(other));
    QVERIFY(!stuck.isFinished());
    QCOMPARE(core->node("a-passive")->state, db::NodeState::TakingOver);

    hang->set_value();
    auto granted = stuck.result();
    QVERIFY2(granted.ok() && granted->granted, failure(granted));
    verifyConsistent(*core);
    QVERIFY(core->release("a-passive").result().ok());
    QVERIFY(core->release("b-passive").result().ok());
}

QTEST_MAIN_WITHOUT_GLIB(TestCoreFaults)
#include "test_core_faults.moc"

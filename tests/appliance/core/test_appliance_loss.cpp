// Appliance loss in the core (understudyd(8), "Appliance loss"): unreachable is not lost,
// requests about an unreachable appliance's nodes are answered at once, a lost appliance's
// standby nodes come back on the survivors where the N+1 plan and admission let them (the rest
// stranded, with the reason), and a rejoin removes the stale copies before the appliance counts
// again. Three test-driver hosts; the one that is lost sits behind FaultyHypervisor, whose
// power switch makes it go silent and come back with its domains still defined.
#include <QtTest>

#include <atomic>
#include <map>
#include <thread>

#include "appliance/core/appliance_core.h"
#include "appliance/hypervisor/libvirt_hypervisor.h"
#include "core_fixture.h"
#include "db/appliance_loss_repository.h"
#include "db/appliance_repository.h"
#include "faulty_hypervisor.h"
#include "tests/support/libvirt_test_main.h"

using namespace understudy;
using namespace understudy::core;
using namespace understudy::core::testing;
using hypervisor::Hypervisor;
using hypervisor::LibvirtHypervisor;
using hypervisor::LibvirtHypervisorOptions;

namespace {

constexpr int kWaitMs = 10000;

}  // namespace

class TestApplianceLoss : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void anUnreachableApplianceAnswersAtOnceAndIsNotLostBySilence();
    void aLostAppliancesNodesAreEvacuatedOrStrandedWithTheReason();
    void rejoinRemovesTheStaleCopiesAndNothingRunsTwice();
    void aLostApplianceStaysLostAcrossARestart();
    void aSurvivorCountsAnEvacuatedCopyOnceAsItsOwn();
    void aCopyThatFailsAfterStartingDoesNotKeepRunning();
    void aRetriedEvacuationKeepsTheCopyItLeftAndStartsNoOther();
    void aLostApplianceThatIsBackIsRejoinedNotDeclaredLostAgain();
    void fencingAStrandedNodeDuringItsRejoinWaitsForTheRejoin();
    void aTakeoverDuringTheEvacuationLeavesTheCopyItsRoom();
    void aFirstConnectionThatOutlastsTheStartIsRecordedWhenItSucceeds();

private:
    std::unique_ptr<ApplianceCore> open();
    std::string database() const { return dir_->filePath("understudy.db").toStdString(); }
    ApplianceState stateOf(ApplianceCore& core, const std::string& appliance);
    // pna-a (the one that goes away) holds x1 and x2, pna-b holds b1 and pna-c holds c1.
    void registerFleet(ApplianceCore& core);
    // pna-a off, seen unreachable, then declared lost.
    Result<LossOutcome> loseA(ApplianceCore& core);
    // pna-a on again, seen connected (still lost).
    void bringBackA(ApplianceCore& core);
    // x1-passive's copy on both survivors fails `times` times to be confirmed after it started
    // (a guest whose balloon driver loads too late): negative for ever.
    void failCopiesOfX1(int times);

    std::unique_ptr<QTemporaryDir> dir_;
    std::string uri_a_;
    std::string uri_b_;
    std::string uri_c_;
    std::atomic<FaultyHypervisor*> host_a_{nullptr};
    std::map<std::string, FaultyHypervisor*> hosts_;  // by appliance, set while the core opens
    bool warn_ = false;                               // admission = warn
    // How long pna-a's first connection takes (a dead host's address still in the caches).
    std::chrono::milliseconds open_a_delay_{0};
};

void TestApplianceLoss::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
    uri_a_ = writeHost(*dir_, "a", 8, 16384);
    uri_b_ = writeHost(*dir_, "b", 8, 8192);
    uri_c_ = writeHost(*dir_, "c", 8, 8192);
    host_a_ = nullptr;
    hosts_.clear();
    warn_ = false;
    open_a_delay_ = std::chrono::milliseconds(0);
}

void TestApplianceLoss::cleanup() {
    dir_.reset();
}

std::unique_ptr<ApplianceCore> TestApplianceLoss::open() {
    CoreConfig config;
    config.policy.confirm_timeout = std::chrono::milliseconds(400);
    config.policy.connect_retry = std::chrono::milliseconds(100);
    if (warn_) {
        config.policy.admission = policy::AdmissionMode::warn;
    }
    // A slow first connection is a remote host's (the core waits for a local one however long
    // it takes): pna-a is then named by a remote URI, and opened on its test-driver host.
    config.appliances = {
        applianceConfig("pna-a",
                        open_a_delay_.count() > 0 ? "test+tcp://pna-a.invalid/default" : uri_a_),
        applianceConfig("pna-b", uri_b_), applianceConfig("pna-c", uri_c_)};
    config.open_hypervisor =
        [this](const ApplianceConfig& appliance) -> Result<std::unique_ptr<Hypervisor>> {
        LibvirtHypervisorOptions options;
        options.initial_backoff = std::chrono::milliseconds(50);
        if (appliance.name == "pna-a") {
            std::this_thread::sleep_for(open_a_delay_);
        }
        auto real =
            LibvirtHypervisor::open(appliance.name == "pna-a" ? uri_a_ : appliance.uri, options);
        if (!real) {
            return real.error();
        }
        auto wrapped = std::make_unique<FaultyHypervisor>(std::move(*real));
        if (appliance.name == "pna-a") {
            host_a_ = wrapped.get();
        }
        hosts_[appliance.name] = wrapped.get();
        return std::unique_ptr<Hypervisor>(std::move(wrapped));
    };
    return openCore(config, database());
}

ApplianceState TestApplianceLoss::stateOf(ApplianceCore& core, const std::string& appliance) {
    for (const ApplianceLink& link : core.applianceLinks()) {
        if (link.name == appliance) {
            return link.state;
        }
    }
    return ApplianceState::unreachable;
}

void TestApplianceLoss::registerFleet(ApplianceCore& core) {
    auto registered =
        core.registerClusters({{},
                               {cluster("x1", 900, {1, 1024}, {2, 4096}, "pna-a"),
                                // Its standby footprint is larger than either survivor.
                                cluster("x2", 500, {1, 9000}, {2, 10000}, "pna-a"),
                                cluster("b1", 500, {1, 1024}, {2, 4096}, "pna-b"),
                                cluster("c1", 500, {1, 1024}, {2, 4096}, "pna-c")}})
            .result();
    QVERIFY_OK(registered);
    QVERIFY(registered->accepted);
}

Result<LossOutcome> TestApplianceLoss::loseA(ApplianceCore& core) {
    host_a_.load()->setHostOff(true);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
    while (stateOf(core, "pna-a") != ApplianceState::unreachable &&
           std::chrono::steady_clock::now() < deadline) {
        QTest::qWait(20);
    }
    return core.declareLost("pna-a", LossCause{}).result();
}

void TestApplianceLoss::bringBackA(ApplianceCore& core) {
    host_a_.load()->setHostOff(false);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            auto appliances = core.appliances();
            return appliances && (*appliances)[0].connected;
        }(),
        kWaitMs);
}

void TestApplianceLoss::failCopiesOfX1(int times) {
    for (const char* survivor : {"pna-b", "pna-c"}) {
        HypervisorFault fault;
        fault.call = HypervisorCall::domain_info;
        fault.domain = "x1-passive";
        fault.skip = 2;
        fault.times = times;
        fault.error = Error{"hypervisor_failed", "injected: confirm failed", survivor};
        hosts_.at(survivor)->inject(fault);
    }
}

void TestApplianceLoss::anUnreachableApplianceAnswersAtOnceAndIsNotLostBySilence() {
    auto core = open();
    QVERIFY(core);
    registerFleet(*core);

    // While it is reachable, nobody may declare it lost: its nodes may be running.
    auto refused = core->declareLost("pna-a", LossCause{}).result();
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, std::string("conflict"));
    QCOMPARE(stateOf(*core, "pna-a"), ApplianceState::connected);

    // A libvirt call that hangs holds pna-a's worker; then the host goes silent.
    HypervisorFault hang;
    hang.call = HypervisorCall::list_domains;
    hang.delay = std::chrono::milliseconds(3000);
    host_a_.load()->inject(hang);
    auto reconciling = core->reconcile("pna-a");
    QTest::qWait(100);
    host_a_.load()->setHostOff(true);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*core, "pna-a"), ApplianceState::unreachable, kWaitMs);

    // Requests about its nodes are answered before the hung call has returned, not queued.
    auto takeover = core->takeover("x1-passive");
    QVERIFY(takeover.isFinished());
    QVERIFY(!takeover.result());
    QCOMPARE(takeover.result().error().code, std::string("hypervisor_unavailable"));
    auto power = core->power("x1-passive", PowerAction::status);
    QVERIFY(power.isFinished());
    QCOMPARE(power.result().error().code, std::string("hypervisor_unavailable"));
    QVERIFY(!reconciling.isFinished());
    // The others are not held up.
    auto elsewhere = core->takeover("b1-passive").result();
    QVERIFY_OK(elsewhere);
    QVERIFY(elsewhere->granted);

    auto readiness = core->readiness("x1-passive");
    QVERIFY_OK(readiness);
    QVERIFY(!readiness->ready);
    QVERIFY2(readiness->reason.find("unreachable") != std::string::npos, readiness->reason.c_str());
    reconciling.waitForFinished();

    // Silence alone is never loss; it comes back connected when the host does.
    host_a_.load()->setHostOff(false);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*core, "pna-a"), ApplianceState::connected, kWaitMs);
    // The state changes first, the event is committed right after.
    QTRY_COMPARE_WITH_TIMEOUT(countKind(eventsIn(database()), "appliance.reachable"), 1, kWaitMs);
    const auto events = eventsIn(database());
    QCOMPARE(countKind(events, "appliance.unreachable"), 1);
    QVERIFY(!hasKind(events, "appliance.lost"));
    auto back = core->takeover("x1-passive").result();
    QVERIFY_OK(back);
    QVERIFY(back->granted);
}

void TestApplianceLoss::aLostAppliancesNodesAreEvacuatedOrStrandedWithTheReason() {
    auto core = open();
    QVERIFY(core);
    registerFleet(*core);
    auto outcome = loseA(*core);
    QVERIFY_OK(outcome);
    QCOMPARE(outcome->appliance, std::string("pna-a"));
    QCOMPARE(outcome->evacuated.size(), std::size_t{1});
    QCOMPARE(outcome->evacuated[0].node, std::string("x1-passive"));
    const std::string to = outcome->evacuated[0].to;
    QVERIFY2(to == "pna-b" || to == "pna-c", to.c_str());
    QCOMPARE(outcome->stranded.size(), std::size_t{1});
    QCOMPARE(outcome->stranded[0].node, std::string("x2-passive"));
    QVERIFY2(outcome->stranded[0].reason.find("no room") != std::string::npos,
             outcome->stranded[0].reason.c_str());
    QCOMPARE(stateOf(*core, "pna-a"), ApplianceState::lost);

    // The copy runs at its standby footprint on the survivor, and the books say so.
    auto node = core->node("x1-passive");
    QVERIFY_OK(node);
    QCOMPARE(node->appliance, to);
    QCOMPARE(node->state, db::NodeState::Standby);
    auto info = hosts_.at(to)->inner().domainInfo("x1-passive");
    QVERIFY_OK(info);
    QVERIFY(info->active());
    QCOMPARE(info->memoryMib(), std::int64_t{1024});
    auto stranded = core->node("x2-passive");
    QVERIFY_OK(stranded);
    QCOMPARE(stranded->appliance, std::string("pna-a"));
    QCOMPARE(stranded->state, db::NodeState::Missing);

    const auto events = eventsIn(database());
    QVERIFY(hasKind(events, "appliance.lost"));
    QVERIFY(!hasKind(events, "appliance.fenced"));
    QVERIFY(hasKind(events, "node.evacuated", "x1-passive"));
    QVERIFY(hasKind(events, "node.stranded", "x2-passive"));

    // The evacuated node takes over where it is now; the stranded one is answered at once.
    auto granted = core->takeover("x1-passive").result();
    QVERIFY_OK(granted);
    QVERIFY(granted->granted);
    auto nowhere = core->takeover("x2-passive");
    QVERIFY(nowhere.isFinished());
    QCOMPARE(nowhere.result().error().code, std::string("hypervisor_unavailable"));

    // Its host is known to be off, so its cluster's fencing of it succeeds; it cannot be
    // powered on.
    auto status = core->power("x2-passive", PowerAction::status).result();
    QVERIFY_OK(status);
    QCOMPARE(*status, PowerState::off);
    auto fenced = core->power("x2-passive", PowerAction::off).result();
    QVERIFY_OK(fenced);
    QCOMPARE(*fenced, PowerState::off);
    QVERIFY(hasKind(eventsIn(database()), "fence.off", "x2-passive"));
    QCOMPARE(core->node("x2-passive")->state, db::NodeState::Fenced);
    auto on = core->power("x2-passive", PowerAction::on).result();
    QVERIFY(!on);
    QCOMPARE(on.error().code, std::string("hypervisor_unavailable"));

    // Declared lost again, it retries only what is still stranded.
    auto again = core->declareLost("pna-a", LossCause{}).result();
    QVERIFY_OK(again);
    QVERIFY(again->evacuated.empty());
    QCOMPARE(again->stranded.size(), std::size_t{1});
    QCOMPARE(countKind(eventsIn(database()), "appliance.lost"), 1);
}

void TestApplianceLoss::rejoinRemovesTheStaleCopiesAndNothingRunsTwice() {
    auto core = open();
    QVERIFY(core);
    registerFleet(*core);
    QVERIFY_OK(loseA(*core));

    auto unreachable = core->rejoin("pna-a").result();
    QVERIFY(!unreachable);
    QCOMPARE(unreachable.error().code, std::string("conflict"));

    // The host comes back with its old domains: it stays lost, and nothing touches them.
    FaultyHypervisor* host = host_a_.load();
    host->setHostOff(false);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            auto appliances = core->appliances();
            return appliances && (*appliances)[0].connected;
        }(),
        kWaitMs);
    QCOMPARE(stateOf(*core, "pna-a"), ApplianceState::lost);
    QVERIFY(core->reconcile("pna-a").result().ok());
    auto stale = host->inner().domainInfo("x1-passive");
    QVERIFY_OK(stale);
    QVERIFY(stale->active());

    auto rejoined = core->rejoin("pna-a").result();
    QVERIFY_OK(rejoined);
    QCOMPARE(rejoined->removed, std::vector<std::string>{"x1-passive"});
    QCOMPARE(stateOf(*core, "pna-a"), ApplianceState::connected);
    QVERIFY(!host->inner().domainInfo("x1-passive"));
    // The node runs once: on the survivor it was evacuated to.
    auto node = core->node("x1-passive");
    QVERIFY_OK(node);
    QVERIFY(node->appliance != "pna-a");
    // The stranded node was never moved: it is the appliance's own again.
    QTRY_COMPARE_WITH_TIMEOUT(core->node("x2-passive")->state, db::NodeState::Standby, kWaitMs);
    QVERIFY(hasKind(eventsIn(database()), "appliance.rejoined"));

    auto twice = core->rejoin("pna-a").result();
    QVERIFY(!twice);
    QCOMPARE(twice.error().code, std::string("conflict"));
}

void TestApplianceLoss::aLostApplianceStaysLostAcrossARestart() {
    {
        auto core = open();
        QVERIFY(core);
        registerFleet(*core);
        QVERIFY_OK(loseA(*core));
    }
    auto reader = db::Database::openReader(database());
    QVERIFY_OK(reader);
    auto appliance = db::ApplianceRepository(**reader).byName("pna-a");
    QVERIFY_OK(appliance);
    QVERIFY(appliance->has_value());
    auto stale = db::ApplianceLossRepository(**reader).staleDomains((*appliance)->id);
    QVERIFY_OK(stale);
    QCOMPARE(stale->size(), std::size_t{1});
    QCOMPARE(stale->front().node, std::string("x1-passive"));

    // Reachable again after the restart, it is still lost: only a rejoin returns it.
    auto core = open();
    QVERIFY(core);
    QCOMPARE(stateOf(*core, "pna-a"), ApplianceState::lost);
    auto takeover = core->takeover("x2-passive");
    QVERIFY(takeover.isFinished());
    QCOMPARE(takeover.result().error().code, std::string("hypervisor_unavailable"));
}

void TestApplianceLoss::aSurvivorCountsAnEvacuatedCopyOnceAsItsOwn() {
    auto core = open();
    QVERIFY(core);
    registerFleet(*core);
    auto outcome = loseA(*core);
    QVERIFY_OK(outcome);
    QCOMPARE(outcome->evacuated.size(), std::size_t{1});
    const std::string to = outcome->evacuated[0].to;
    QVERIFY(core->reconcile(to).result().ok());
    auto appliances = core->appliances();
    QVERIFY_OK(appliances);
    for (const ApplianceStatus& status : *appliances) {
        if (status.name == to) {
            // Its own standby footprint beside the survivor's node, not foreign load as well.
            QCOMPARE(status.headroom.foreign.memory_mib, std::int64_t{0});
            QCOMPARE(status.headroom.standby_committed.memory_mib, std::int64_t{2048});
        }
    }
    auto readiness = core->readiness("x2-passive");
    QVERIFY_OK(readiness);
    QVERIFY2(readiness->reason.find("lost") != std::string::npos, readiness->reason.c_str());
}

void TestApplianceLoss::aCopyThatFailsAfterStartingDoesNotKeepRunning() {
    auto core = open();
    QVERIFY(core);
    registerFleet(*core);
    failCopiesOfX1(-1);
    auto outcome = loseA(*core);
    QVERIFY_OK(outcome);
    QCOMPARE(outcome->evacuated.size(), std::size_t{0});
    QCOMPARE(outcome->stranded.size(), std::size_t{2});
    for (const char* survivor : {"pna-b", "pna-c"}) {
        // Stranded in the books: no copy of it may run, defined or not.
        QVERIFY2(!hosts_.at(survivor)->inner().domainInfo("x1-passive"), survivor);
    }
}

void TestApplianceLoss::aRetriedEvacuationKeepsTheCopyItLeftAndStartsNoOther() {
    auto core = open();
    QVERIFY(core);
    registerFleet(*core);
    failCopiesOfX1(1);
    QVERIFY_OK(loseA(*core));
    for (const char* survivor : {"pna-b", "pna-c"}) {
        hosts_.at(survivor)->clear();
    }
    auto again = core->declareLost("pna-a", LossCause{}).result();
    QVERIFY_OK(again);
    QCOMPARE(again->evacuated.size(), std::size_t{1});
    int running = 0;
    for (const char* survivor : {"pna-b", "pna-c"}) {
        auto copy = hosts_.at(survivor)->inner().domainInfo("x1-passive");
        if (copy && copy->active()) {
            QVERIFY2(copy->persistent, survivor);
            ++running;
        }
    }
    QCOMPARE(running, 1);
    // A real definition: the node survives its cluster fencing it off and on.
    QVERIFY_OK(core->power("x1-passive", PowerAction::off).result());
    QVERIFY_OK(core->power("x1-passive", PowerAction::on).result());
}

void TestApplianceLoss::aLostApplianceThatIsBackIsRejoinedNotDeclaredLostAgain() {
    auto core = open();
    QVERIFY(core);
    registerFleet(*core);
    QVERIFY_OK(loseA(*core));
    bringBackA(*core);
    // Its stranded node may run there again: evacuating it now would start a second copy.
    auto again = core->declareLost("pna-a", LossCause{}).result();
    QVERIFY(!again);
    QCOMPARE(again.error().code, std::string("conflict"));
    QCOMPARE(again.error().where, std::string("lost"));
}

void TestApplianceLoss::fencingAStrandedNodeDuringItsRejoinWaitsForTheRejoin() {
    auto core = open();
    QVERIFY(core);
    registerFleet(*core);
    QVERIFY_OK(loseA(*core));
    bringBackA(*core);
    FaultyHypervisor* a = host_a_.load();
    QVERIFY(a->inner().domainInfo("x2-passive")->active());
    HypervisorFault slow;
    slow.call = HypervisorCall::list_domains;
    slow.delay = std::chrono::milliseconds(1500);
    a->inject(slow);
    auto rejoining = core->rejoin("pna-a");
    QTest::qWait(200);
    // The host is back, so it is no longer known to be off: no "off" answered while x2 runs.
    auto off = core->power("x2-passive", PowerAction::off).result();
    QVERIFY(!off);
    QCOMPARE(off.error().code, std::string("hypervisor_unavailable"));
    auto on = core->power("x2-passive", PowerAction::on).result();
    QVERIFY(!on);
    QVERIFY_OK(rejoining.result());
    QTRY_COMPARE_WITH_TIMEOUT(core->node("x2-passive")->state, db::NodeState::Standby, kWaitMs);
    auto fenced = core->power("x2-passive", PowerAction::off).result();
    QVERIFY_OK(fenced);
    QVERIFY(!a->inner().domainInfo("x2-passive")->active());
}

void TestApplianceLoss::aTakeoverDuringTheEvacuationLeavesTheCopyItsRoom() {
    warn_ = true;
    auto core = open();
    QVERIFY(core);
    auto registered = core->registerClusters({{},
                                              {cluster("x1", 900, {1, 2000}, {1, 2000}, "pna-a"),
                                               cluster("b1", 500, {1, 1024}, {1, 7000}, "pna-b"),
                                               cluster("c1", 500, {1, 7500}, {1, 7500}, "pna-c")}})
                          .result();
    QVERIFY_OK(registered);
    QVERIFY(registered->accepted);
    // x1's copy on pna-b takes a while to start (a real guest booting), and b1's cluster fails
    // over meanwhile.
    HypervisorFault slow;
    slow.call = HypervisorCall::start;
    slow.domain = "x1-passive";
    slow.delay = std::chrono::milliseconds(1500);
    hosts_.at("pna-b")->inject(slow);
    host_a_.load()->setHostOff(true);
    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*core, "pna-a"), ApplianceState::unreachable, kWaitMs);
    auto losing = core->declareLost("pna-a", LossCause{});
    QTest::qWait(500);
    auto taking = core->takeover("b1-passive");
    auto lost = losing.result();
    QVERIFY_OK(lost);
    QCOMPARE(lost->evacuated.size(), std::size_t{1});
    QCOMPARE(lost->evacuated[0].to, std::string("pna-b"));
    QVERIFY_OK(taking.result());
    auto appliances = core->appliances();
    QVERIFY_OK(appliances);
    for (const ApplianceStatus& status : *appliances) {
        // Memory is never granted beyond what the appliance has.
        QVERIFY2(status.headroom.free.memory_mib >= 0, status.name.c_str());
    }
}

// The core stops waiting for a first connection after 2 s: the appliance is unreachable from
// then on, with its events, and its connection succeeding later is recorded as a reconnection
// (the API's appliance views are cached on the event log, and would not see it otherwise).
void TestApplianceLoss::aFirstConnectionThatOutlastsTheStartIsRecordedWhenItSucceeds() {
    open_a_delay_ = std::chrono::milliseconds(3000);
    auto core = open();
    QVERIFY(core);
    QCOMPARE(stateOf(*core, "pna-a"), ApplianceState::unreachable);
    QCOMPARE(stateOf(*core, "pna-b"), ApplianceState::connected);
    auto events = eventsIn(database());
    QCOMPARE(countKind(events, "hypervisor.disconnected"), 1);
    QCOMPARE(countKind(events, "appliance.unreachable"), 1);
    QCOMPARE(countKind(events, "hypervisor.connected"), 0);

    QTRY_COMPARE_WITH_TIMEOUT(stateOf(*core, "pna-a"), ApplianceState::connected, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(countKind(eventsIn(database()), "appliance.reachable"), 1, kWaitMs);
    events = eventsIn(database());
    QCOMPARE(countKind(events, "hypervisor.connected"), 1);
    QCOMPARE(countKind(events, "hypervisor.disconnected"), 1);
    QCOMPARE(countKind(events, "appliance.unreachable"), 1);
}

QTEST_MAIN_WITHOUT_GLIB(TestApplianceLoss)
#include "test_appliance_loss.moc"

// Headroom accounting, takeover arbitration under contention (headroom, preemption by priority,
// partial CPU, denial), idempotent takeover, restore order and what-if outcomes on hand-built
// appliances; and a property test of seeded random takeover/release/restore sequences that memory
// is never overbooked by a decision (docs/http-api.md, "Takeover and the denial").
#include <QtTest>
#include <algorithm>
#include <random>
#include <set>

#include "arbitration_fixtures.h"

using namespace understudy;
using namespace understudy::policy;
using namespace understudy::policy::fixtures;
using db::NodeState;
using sizing::Footprint;

Q_DECLARE_METATYPE(understudy::policy::ApplianceView)
Q_DECLARE_METATYPE(understudy::policy::ArbitrationPolicy)
Q_DECLARE_METATYPE(understudy::sizing::Footprint)
Q_DECLARE_METATYPE(understudy::db::NodeState)
Q_DECLARE_METATYPE(understudy::sizing::Resource)

namespace {

QStringList names(const std::vector<std::string>& list) {
    QStringList out;
    for (const auto& name : list) {
        out << QString::fromStdString(name);
    }
    return out;
}

QStringList stepNames(const std::vector<ContentionStep>& steps) {
    QStringList out;
    for (const auto step : steps) {
        out << QString::fromLatin1(contentionStepName(step));
    }
    return out;
}

// An appliance whose free headroom is exactly `free` beside the given nodes and foreign load.
ApplianceView applianceWithFree(std::vector<NodeView> nodes, Footprint free,
                                Footprint foreign = {}) {
    ApplianceView appliance = makeAppliance({}, foreign, std::move(nodes));
    const ReferenceUse use = referenceUse(appliance);
    appliance.usable = {free.vcpus + foreign.vcpus + use.vcpus,
                        free.memory_mib + foreign.memory_mib + use.memory_mib};
    return appliance;
}

// The requester of most cases: needs 7 vCPUs and 30720 MiB above its standby footprint.
NodeView erp() {
    return makeNode("erp", 900, fp(1, 2048), fp(8, 32768));
}

NodeView standbyAt(const std::string& cluster, int priority, Footprint standby) {
    return makeNode(cluster, priority, standby, fp(standby.vcpus + 4, standby.memory_mib * 4));
}

// Applies a takeover decision to the snapshot the way the orchestration does.
void apply(ApplianceView& appliance, const std::string& requester,
           const TakeoverDecision& decision) {
    if (!decision.granted) {
        return;
    }
    for (NodeView& node : appliance.nodes) {
        if (std::find(decision.preempt.begin(), decision.preempt.end(), node.name) !=
            decision.preempt.end()) {
            node.state = NodeState::Preempted;
            node.grant.reset();
        } else if (node.name == requester) {
            node.state = NodeState::Active;
            node.grant = decision.grant;
        }
    }
}

NodeView& nodeNamed(ApplianceView& appliance, const std::string& name) {
    return *std::find_if(appliance.nodes.begin(), appliance.nodes.end(),
                         [&](const NodeView& node) { return node.name == name; });
}

const std::vector<NodeState> kAllStates{
    NodeState::Standby,   NodeState::TakingOver, NodeState::Active,
    NodeState::Releasing, NodeState::Preempted,  NodeState::Fenced,
    NodeState::Stopped,   NodeState::Missing,    NodeState::Drifted};

}  // namespace

class TestArbitration : public QObject {
    Q_OBJECT
private slots:
    void onlyRunningDomainsHoldTheirStandbyFootprint_data();
    void onlyRunningDomainsHoldTheirStandbyFootprint();
    void headroomFigures_data();
    void headroomFigures();
    void takeoverWithinHeadroomGrantsTheFullActiveFootprint_data();
    void takeoverWithinHeadroomGrantsTheFullActiveFootprint();
    void memoryIsNeverGrantedBeyondUsableMemory_data();
    void memoryIsNeverGrantedBeyondUsableMemory();
    void preemptionReclaimsLowerPriorityStandbyNodesOnlyAsNeeded_data();
    void preemptionReclaimsLowerPriorityStandbyNodesOnlyAsNeeded();
    void partialGrantsGiveWholeFreeVcpusButNeverPartialMemory_data();
    void partialGrantsGiveWholeFreeVcpusButNeverPartialMemory();
    void denialSaysWhyInTheShapeOfTheApiExample();
    void denialListsHoldersLargestFirstAndThePreemptableNodes();
    void denialNamesVcpusWhenOnlyVcpusLack();
    void denialRecordsOnlyTheStepsThePolicyTried();
    void takeoverOfANodeHoldingAGrantReturnsThatGrant_data();
    void takeoverOfANodeHoldingAGrantReturnsThatGrant();
    void nodesThatCannotTakeOverGetNeitherGrantNorDenial_data();
    void nodesThatCannotTakeOverGetNeitherGrantNorDenial();
    void restoresPreemptedNodesByPriorityAsLongAsTheyFit_data();
    void restoresPreemptedNodesByPriorityAsLongAsTheyFit();
    void whatIfTakesOverHighestPriorityFirstAndReportsEachOutcome();
    void whatIfIgnoresOtherAppliancesNodesAndDeniesNodesThatCannotTakeOver();
    void randomSequencesNeverOverbookMemory();
};

void TestArbitration::onlyRunningDomainsHoldTheirStandbyFootprint_data() {
    QTest::addColumn<NodeState>("state");
    QTest::addColumn<bool>("holds");
    for (const NodeState state : kAllStates) {
        QTest::newRow(std::string(db::nodeStateName(state)).c_str()) << state << runs(state);
    }
}

void TestArbitration::onlyRunningDomainsHoldTheirStandbyFootprint() {
    QFETCH(NodeState, state);
    QFETCH(bool, holds);
    QCOMPARE(holdsStandby(state), holds);
    QCOMPARE(canTakeOver(state), holds);
}

void TestArbitration::headroomFigures_data() {
    QTest::addColumn<ApplianceView>("appliance");
    QTest::addColumn<Footprint>("committed");
    QTest::addColumn<Footprint>("granted");
    QTest::addColumn<Footprint>("free");
    QTest::addColumn<double>("ratio_memory");
    QTest::addColumn<double>("ratio_vcpus");

    const NodeView crm = makeNode("crm", 500, fp(2, 4096), fp(4, 8192));
    QTest::newRow("empty appliance") << makeAppliance(fp(64, 262144), {}, {}) << fp(0, 0)
                                     << fp(0, 0) << fp(64, 262144) << 0.0 << 0.0;
    QTest::newRow("standby nodes hold their standby footprint")
        << makeAppliance(fp(32, 65536), {}, {makeNode("erp", 900, fp(1, 2048), fp(8, 16384)), crm})
        << fp(3, 6144) << fp(0, 0) << fp(29, 59392) << 0.375 << 0.375;
    QTest::newRow("an active node holds its grant above its standby footprint")
        << makeAppliance(fp(32, 65536), {},
                         {activeNode("erp", 900, fp(1, 2048), fp(8, 16384)), crm})
        << fp(3, 6144) << fp(7, 14336) << fp(22, 45056) << 0.375 << 0.375;
    QTest::newRow("a partial grant holds only its whole vCPUs")
        << makeAppliance(fp(32, 65536), {},
                         {activeNode("erp", 900, fp(1, 2048), fp(8, 16384), fp(4, 16384)), crm})
        << fp(3, 6144) << fp(3, 14336) << fp(26, 45056) << 0.375 << 0.375;

    NodeOptions reserved;
    reserved.memory_mode = sizing::MemoryMode::reserved;
    QTest::newRow("reserved memory is held at the active size while idle")
        << makeAppliance(fp(32, 65536), {},
                         {makeNode("win", 700, fp(1, 2048), fp(8, 16384), reserved)})
        << fp(1, 16384) << fp(0, 0) << fp(31, 49152) << 0.25 << 0.25;
    NodeOptions reserved_active = reserved;
    reserved_active.state = NodeState::Active;
    reserved_active.grant = fp(8, 16384);
    QTest::newRow("a reserved-memory grant adds only vCPUs")
        << makeAppliance(fp(32, 65536), {},
                         {makeNode("win", 700, fp(1, 2048), fp(8, 16384), reserved_active)})
        << fp(1, 16384) << fp(7, 0) << fp(24, 49152) << 0.25 << 0.25;
    QTest::newRow("foreign domains take their share")
        << makeAppliance(fp(32, 65536), fp(4, 8192),
                         {makeNode("erp", 900, fp(1, 2048), fp(8, 16384))})
        << fp(1, 2048) << fp(0, 0) << fp(27, 55296) << 0.25 << 0.25;

    std::vector<NodeView> idle;
    for (const NodeState state :
         {NodeState::Preempted, NodeState::Fenced, NodeState::Stopped, NodeState::Missing}) {
        idle.push_back(
            nodeIn(state, std::string(db::nodeStateName(state)), 100, fp(1, 2048), fp(2, 4096)));
    }
    QTest::newRow("saved, fenced, stopped and missing nodes hold nothing but count as fleet")
        << makeAppliance(fp(16, 32768), {}, idle) << fp(0, 0) << fp(0, 0) << fp(16, 32768) << 0.5
        << 0.5;

    NodeOptions taking_over;
    taking_over.state = NodeState::TakingOver;
    taking_over.grant = fp(4, 8192);
    NodeOptions releasing = taking_over;
    releasing.state = NodeState::Releasing;
    QTest::newRow("taking-over, releasing and drifted nodes hold theirs")
        << makeAppliance(fp(32, 65536), {},
                         {makeNode("a", 100, fp(1, 2048), fp(4, 8192), taking_over),
                          makeNode("b", 100, fp(1, 2048), fp(4, 8192), releasing),
                          nodeIn(NodeState::Drifted, "c", 100, fp(1, 2048), fp(4, 8192))})
        << fp(3, 6144) << fp(6, 12288) << fp(23, 47104) << 0.375 << 0.375;
    QTest::newRow("free goes negative when foreign load grows")
        << makeAppliance(fp(4, 4096), fp(4, 4096),
                         {makeNode("erp", 900, fp(1, 2048), fp(8, 16384))})
        << fp(1, 2048) << fp(0, 0) << fp(-1, -2048) << 4.0 << 2.0;
    QTest::newRow("no capacity, no ratio")
        << makeAppliance(fp(0, 0), {}, {makeNode("erp", 900, fp(1, 2048), fp(8, 16384))})
        << fp(1, 2048) << fp(0, 0) << fp(-1, -2048) << 0.0 << 0.0;
}

void TestArbitration::headroomFigures() {
    QFETCH(ApplianceView, appliance);
    QFETCH(Footprint, committed);
    QFETCH(Footprint, granted);
    QFETCH(Footprint, free);
    QFETCH(double, ratio_memory);
    QFETCH(double, ratio_vcpus);

    const Headroom headroom = computeHeadroom(appliance);
    QCOMPARE(headroom.capacity.memory_mib, appliance.usable.memory_mib);
    QCOMPARE(headroom.capacity.vcpus, appliance.usable.vcpus);
    QCOMPARE(headroom.foreign.memory_mib, appliance.foreign.memory_mib);
    QCOMPARE(headroom.foreign.vcpus, appliance.foreign.vcpus);
    QCOMPARE(headroom.standby_committed.memory_mib, committed.memory_mib);
    QCOMPARE(headroom.standby_committed.vcpus, committed.vcpus);
    QCOMPARE(headroom.granted.memory_mib, granted.memory_mib);
    QCOMPARE(headroom.granted.vcpus, granted.vcpus);
    QCOMPARE(headroom.free.memory_mib, free.memory_mib);
    QCOMPARE(headroom.free.vcpus, free.vcpus);
    // The reference computes free independently, from what each node holds.
    QCOMPARE(headroom.free.memory_mib, referenceFree(appliance).memory_mib);
    QCOMPARE(headroom.free.vcpus, referenceFree(appliance).vcpus);
    QCOMPARE(headroom.overbooking_ratio[0], ratio_memory);
    QCOMPARE(headroom.overbooking_ratio[1], ratio_vcpus);
}

void TestArbitration::takeoverWithinHeadroomGrantsTheFullActiveFootprint_data() {
    QTest::addColumn<ApplianceView>("appliance");
    QTest::addColumn<QString>("node");

    QTest::newRow("free headroom exactly covers the need")
        << applianceWithFree({erp(), standbyAt("dev", 100, fp(1, 8192))}, fp(7, 30720))
        << "erp-passive";
    QTest::newRow("ample headroom, lower-priority nodes left alone")
        << applianceWithFree({erp(), standbyAt("dev", 100, fp(1, 8192))}, fp(64, 262144))
        << "erp-passive";
    NodeOptions reserved;
    reserved.memory_mode = sizing::MemoryMode::reserved;
    QTest::newRow("a reserved-memory node needs no memory, even with none free")
        << applianceWithFree({makeNode("win", 700, fp(1, 8192), fp(4, 8192), reserved)}, fp(3, 0))
        << "win-passive";
    QTest::newRow("a node needing no more vCPUs grows on a CPU-overbooked host")
        << applianceWithFree({makeNode("db", 700, fp(4, 2048), fp(4, 8192))}, fp(-2, 6144),
                             fp(8, 0))
        << "db-passive";
    QTest::newRow("a drifted node that still runs may take over")
        << applianceWithFree({nodeIn(NodeState::Drifted, "erp", 900, fp(1, 2048), fp(8, 32768))},
                             fp(7, 30720))
        << "erp-passive";
}

void TestArbitration::takeoverWithinHeadroomGrantsTheFullActiveFootprint() {
    QFETCH(ApplianceView, appliance);
    QFETCH(QString, node);
    const std::string name = node.toStdString();
    const TakeoverDecision decision = decideTakeover(appliance, name, ArbitrationPolicy{});
    QVERIFY(decision.granted);
    QVERIFY(!decision.partial);
    QVERIFY(decision.preempt.empty());
    QVERIFY(!decision.denial.has_value());
    QVERIFY(decision.grant == nodeNamed(appliance, name).spec.active);
    const std::int64_t memory_before = referenceFree(appliance).memory_mib;
    apply(appliance, name, decision);
    QVERIFY(referenceFree(appliance).memory_mib >= std::min<std::int64_t>(0, memory_before));
}

void TestArbitration::memoryIsNeverGrantedBeyondUsableMemory_data() {
    QTest::addColumn<ApplianceView>("appliance");
    QTest::addColumn<bool>("granted");
    // erp needs 30720 MiB; vCPUs are plentiful so memory alone decides.
    for (const std::int64_t offset : {-1024, -1, 0, 1, 1024}) {
        QTest::addRow("free memory need%+lld", static_cast<long long>(offset))
            << applianceWithFree({erp()}, fp(64, 30720 + offset)) << (offset >= 0);
    }
    // Preemptable nodes one MiB short of the need: nobody is saved and nothing is granted.
    QTest::newRow("preemptable nodes one MiB short")
        << applianceWithFree(
               {erp(), standbyAt("dev", 100, fp(1, 8191)), standbyAt("test", 200, fp(1, 8192))},
               fp(64, 30720 - 16384))
        << false;
    QTest::newRow("preemptable nodes exactly enough")
        << applianceWithFree(
               {erp(), standbyAt("dev", 100, fp(1, 8192)), standbyAt("test", 200, fp(1, 8192))},
               fp(64, 30720 - 16384))
        << true;
    QTest::newRow("foreign load above usable memory")
        << applianceWithFree({erp()}, fp(64, -4096), fp(0, 8192)) << false;
}

void TestArbitration::memoryIsNeverGrantedBeyondUsableMemory() {
    QFETCH(ApplianceView, appliance);
    QFETCH(bool, granted);
    const std::int64_t free_before = referenceFree(appliance).memory_mib;
    for (const ArbitrationPolicy& policy :
         {ArbitrationPolicy{},
          ArbitrationPolicy{{ContentionStep::partial_cpu, ContentionStep::deny}},
          ArbitrationPolicy{{ContentionStep::preempt, ContentionStep::partial_cpu}}}) {
        ApplianceView copy = appliance;
        const TakeoverDecision decision = decideTakeover(copy, "erp-passive", policy);
        const bool can_preempt = std::find(policy.order.begin(), policy.order.end(),
                                           ContentionStep::preempt) != policy.order.end();
        // Without the preempt step only what fits in the free headroom is granted.
        QCOMPARE(decision.granted, can_preempt ? granted : free_before >= 30720);
        QCOMPARE(decision.denial.has_value(), !decision.granted);
        if (!decision.granted) {
            QVERIFY(decision.preempt.empty());
            QCOMPARE(decision.denial->resource, sizing::Resource::memory_mib);
            continue;
        }
        QCOMPARE(decision.grant.memory_mib, 32768);
        apply(copy, "erp-passive", decision);
        QVERIFY2(referenceFree(copy).memory_mib >= 0, "memory granted beyond usable memory");
    }
}

void TestArbitration::preemptionReclaimsLowerPriorityStandbyNodesOnlyAsNeeded_data() {
    QTest::addColumn<ApplianceView>("appliance");
    QTest::addColumn<QStringList>("preempt");
    QTest::addColumn<bool>("granted");
    QTest::addColumn<bool>("partial");
    QTest::addColumn<QStringList>("preemptable");

    // erp (priority 900) needs 7 vCPUs and 30720 MiB above its standby footprint.
    QTest::newRow("lowest priority first, even when a higher one is larger")
        << applianceWithFree(
               {erp(), standbyAt("big", 300, fp(1, 16384)), standbyAt("small", 100, fp(1, 8192))},
               fp(64, 30720 - 8192))
        << QStringList{"small-passive"} << true << false << QStringList{};
    QTest::newRow("only as many as needed")
        << applianceWithFree({erp(), standbyAt("b1", 100, fp(1, 8192)),
                              standbyAt("b2", 100, fp(1, 4096)), standbyAt("c", 200, fp(1, 8192))},
                             fp(64, 30720 - 10000))
        << QStringList{"b1-passive", "b2-passive"} << true << false << QStringList{};
    QTest::newRow("largest memory first among equal priorities")
        << applianceWithFree(
               {erp(), standbyAt("small", 100, fp(1, 4096)), standbyAt("large", 100, fp(1, 16384))},
               fp(64, 30720 - 10000))
        << QStringList{"large-passive"} << true << false << QStringList{};
    QTest::newRow("name breaks remaining ties")
        << applianceWithFree(
               {erp(), standbyAt("x", 100, fp(1, 8192)), standbyAt("w", 100, fp(1, 8192))},
               fp(64, 30720 - 8000))
        << QStringList{"w-passive"} << true << false << QStringList{};
    QTest::newRow("never an equal or higher priority")
        << applianceWithFree(
               {erp(), standbyAt("peer", 900, fp(1, 65536)), standbyAt("boss", 950, fp(1, 65536))},
               fp(64, 30720 - 1))
        << QStringList{} << false << false << QStringList{};
    QTest::newRow("nobody when even all of them would not make memory fit")
        << applianceWithFree(
               {erp(), standbyAt("b", 100, fp(1, 8192)), standbyAt("c", 200, fp(1, 4096))},
               fp(64, 30720 - 20000))
        << QStringList{} << false << false << QStringList{"b-passive", "c-passive"};
    QTest::newRow("reclaims vCPUs too when memory fits but vCPUs do not")
        << applianceWithFree({erp(), standbyAt("b", 100, fp(4, 1024))}, fp(3, 65536))
        << QStringList{"b-passive"} << true << false << QStringList{};
    QTest::newRow("only standby nodes are reclaimed")
        << applianceWithFree(
               {erp(), activeNode("act", 100, fp(1, 8192), fp(2, 16384)),
                nodeIn(NodeState::Drifted, "drift", 100, fp(1, 8192), fp(2, 16384)),
                nodeIn(NodeState::Releasing, "rel", 100, fp(1, 8192), fp(2, 16384)),
                nodeIn(NodeState::Preempted, "saved", 100, fp(1, 8192), fp(2, 16384))},
               fp(64, 30720 - 1))
        << QStringList{} << false << false << QStringList{};
    QTest::newRow("memory by preemption, then the free vCPUs as a partial grant")
        << applianceWithFree({erp(), standbyAt("b", 100, fp(1, 8192))}, fp(1, 30720 - 8192))
        << QStringList{"b-passive"} << true << true << QStringList{};
}

void TestArbitration::preemptionReclaimsLowerPriorityStandbyNodesOnlyAsNeeded() {
    QFETCH(ApplianceView, appliance);
    QFETCH(QStringList, preempt);
    QFETCH(bool, granted);
    QFETCH(bool, partial);
    QFETCH(QStringList, preemptable);

    const TakeoverDecision decision = decideTakeover(appliance, "erp-passive", ArbitrationPolicy{});
    QCOMPARE(decision.granted, granted);
    QCOMPARE(decision.partial, partial);
    QCOMPARE(names(decision.preempt), preempt);
    if (!granted) {
        QVERIFY(decision.denial.has_value());
        QCOMPARE(names(decision.denial->preemptable), preemptable);
        return;
    }
    for (const auto& name : decision.preempt) {
        QVERIFY(nodeNamed(appliance, name).priority < 900);
        QCOMPARE(nodeNamed(appliance, name).state, NodeState::Standby);
    }
    apply(appliance, "erp-passive", decision);
    QVERIFY(referenceFree(appliance).memory_mib >= 0);
    QVERIFY(referenceFree(appliance).vcpus >= 0);
}

void TestArbitration::partialGrantsGiveWholeFreeVcpusButNeverPartialMemory_data() {
    QTest::addColumn<ApplianceView>("appliance");
    QTest::addColumn<ArbitrationPolicy>("policy");
    QTest::addColumn<bool>("granted");
    QTest::addColumn<Footprint>("grant");
    QTest::addColumn<QStringList>("preempt");
    QTest::addColumn<sizing::Resource>("denied_resource");

    const ArbitrationPolicy standard;
    const auto memory = sizing::Resource::memory_mib;
    const auto vcpus = sizing::Resource::vcpus;
    QTest::newRow("the free vCPUs on top of the standby vCPUs")
        << applianceWithFree({erp()}, fp(3, 65536)) << standard << true << fp(4, 32768)
        << QStringList{} << memory;
    QTest::newRow("one free vCPU is worth a partial grant")
        << applianceWithFree({erp()}, fp(1, 65536)) << standard << true << fp(2, 32768)
        << QStringList{} << memory;
    QTest::newRow("no free vCPU: denied on vCPUs")
        << applianceWithFree({erp()}, fp(0, 65536)) << standard << false << fp(0, 0)
        << QStringList{} << vcpus;
    QTest::newRow("vCPUs overbooked by foreign load: denied on vCPUs")
        << applianceWithFree({erp()}, fp(-3, 65536), fp(8, 0)) << standard << false << fp(0, 0)
        << QStringList{} << vcpus;
    QTest::newRow("memory is never partial")
        << applianceWithFree({erp()}, fp(64, 30719)) << standard << false << fp(0, 0)
        << QStringList{} << memory;
    QTest::newRow("no partial grant unless the policy has the step")
        << applianceWithFree({erp()}, fp(3, 65536))
        << ArbitrationPolicy{{ContentionStep::headroom, ContentionStep::preempt,
                              ContentionStep::deny}}
        << false << fp(0, 0) << QStringList{} << vcpus;
    QTest::newRow("partial before preemption when configured so")
        << applianceWithFree({erp(), standbyAt("b", 100, fp(4, 1024))}, fp(3, 65536))
        << ArbitrationPolicy{{ContentionStep::headroom, ContentionStep::partial_cpu,
                              ContentionStep::preempt, ContentionStep::deny}}
        << true << fp(4, 32768) << QStringList{} << memory;
    QTest::newRow("steps after deny are never tried")
        << applianceWithFree({erp()}, fp(3, 65536))
        << ArbitrationPolicy{{ContentionStep::headroom, ContentionStep::deny,
                              ContentionStep::partial_cpu}}
        << false << fp(0, 0) << QStringList{} << vcpus;
    NodeOptions reserved;
    reserved.memory_mode = sizing::MemoryMode::reserved;
    QTest::newRow("a reserved-memory node is partial in vCPUs only")
        << applianceWithFree({makeNode("win", 900, fp(1, 16384), fp(8, 16384), reserved)}, fp(2, 0))
        << standard << true << fp(3, 16384) << QStringList{} << memory;
}

void TestArbitration::partialGrantsGiveWholeFreeVcpusButNeverPartialMemory() {
    QFETCH(ApplianceView, appliance);
    QFETCH(ArbitrationPolicy, policy);
    QFETCH(bool, granted);
    QFETCH(Footprint, grant);
    QFETCH(QStringList, preempt);
    QFETCH(sizing::Resource, denied_resource);

    const std::string requester = appliance.nodes.front().name;
    const TakeoverDecision decision = decideTakeover(appliance, requester, policy);
    QCOMPARE(decision.granted, granted);
    QCOMPARE(names(decision.preempt), preempt);
    if (!granted) {
        QVERIFY(decision.denial.has_value());
        QCOMPARE(decision.denial->resource, denied_resource);
        return;
    }
    QCOMPARE(decision.grant.vcpus, grant.vcpus);
    QCOMPARE(decision.grant.memory_mib, grant.memory_mib);
    QVERIFY(decision.partial);
    apply(appliance, requester, decision);
    QVERIFY(referenceFree(appliance).memory_mib >= 0);
    QCOMPARE(referenceFree(appliance).vcpus, 0);
}

void TestArbitration::denialSaysWhyInTheShapeOfTheApiExample() {
    // docs/http-api.md ("Takeover and the denial"):
    // {"resource": "memory_mib", "needed": 30720, "free": 8192, "holders": [{"node":
    // "crm-passive", "cluster": "crm", "priority": 950, "state": "active", "holds": 16384}],
    // "preemptable": [], "tried": ["headroom", "preempt", "partial_cpu"]}
    const ApplianceView appliance =
        applianceWithFree({erp(), activeNode("crm", 950, fp(2, 2048), fp(8, 18432))}, fp(16, 8192));
    const TakeoverDecision decision = decideTakeover(appliance, "erp-passive", ArbitrationPolicy{});
    QVERIFY(!decision.granted);
    QVERIFY(decision.preempt.empty());
    QVERIFY(decision.denial.has_value());
    const Denial& denial = *decision.denial;
    QCOMPARE(denial.resource, sizing::Resource::memory_mib);
    QCOMPARE(denial.needed, 30720);
    QCOMPARE(denial.free, 8192);
    QCOMPARE(denial.holders.size(), std::size_t{1});
    QCOMPARE(denial.holders[0].node, std::string("crm-passive"));
    QCOMPARE(denial.holders[0].cluster, std::string("crm"));
    QCOMPARE(denial.holders[0].priority, 950);
    QCOMPARE(denial.holders[0].state, NodeState::Active);
    QCOMPARE(denial.holders[0].holds, 16384);
    QVERIFY(denial.preemptable.empty());
    QCOMPARE(stepNames(denial.tried), (QStringList{"headroom", "preempt", "partial_cpu"}));
}

void TestArbitration::denialListsHoldersLargestFirstAndThePreemptableNodes() {
    NodeOptions reserved_active;
    reserved_active.memory_mode = sizing::MemoryMode::reserved;
    reserved_active.state = NodeState::Active;
    reserved_active.grant = fp(8, 16384);
    NodeOptions taking_over;
    taking_over.state = NodeState::TakingOver;
    taking_over.grant = fp(4, 6144);
    const ApplianceView appliance =
        applianceWithFree({erp(), activeNode("web", 500, fp(1, 2048), fp(2, 6144)),
                           activeNode("crm", 950, fp(2, 2048), fp(8, 18432)),
                           activeNode("mail", 400, fp(1, 2048), fp(2, 6144)),
                           makeNode("win", 600, fp(1, 2048), fp(8, 16384), reserved_active),
                           makeNode("hr", 300, fp(1, 2048), fp(4, 6144), taking_over),
                           standbyAt("dev", 100, fp(1, 1024)), standbyAt("test", 100, fp(1, 2048)),
                           standbyAt("peer", 900, fp(1, 4096))},
                          fp(16, 8192));
    const TakeoverDecision decision = decideTakeover(appliance, "erp-passive", ArbitrationPolicy{});
    QVERIFY(decision.denial.has_value());
    const Denial& denial = *decision.denial;
    QCOMPARE(denial.resource, sizing::Resource::memory_mib);
    QStringList holders;
    QList<std::int64_t> holds;
    for (const Holder& holder : denial.holders) {
        holders << QString::fromStdString(holder.node);
        holds << holder.holds;
    }
    // The reserved-memory node holds no memory above its standby footprint; ties by name.
    QCOMPARE(holders, (QStringList{"crm-passive", "hr-passive", "mail-passive", "web-passive"}));
    QCOMPARE(holds, (QList<std::int64_t>{16384, 4096, 4096, 4096}));
    QCOMPARE(denial.holders[1].state, NodeState::TakingOver);
    QCOMPARE(names(denial.preemptable), (QStringList{"test-passive", "dev-passive"}));
}

void TestArbitration::denialNamesVcpusWhenOnlyVcpusLack() {
    const ApplianceView appliance =
        applianceWithFree({erp(), activeNode("crm", 950, fp(2, 2048), fp(8, 4096)),
                           activeNode("web", 500, fp(1, 2048), fp(3, 2048))},
                          fp(0, 65536));
    const TakeoverDecision decision = decideTakeover(appliance, "erp-passive", ArbitrationPolicy{});
    QVERIFY(decision.denial.has_value());
    QCOMPARE(decision.denial->resource, sizing::Resource::vcpus);
    QCOMPARE(decision.denial->needed, 7);
    QCOMPARE(decision.denial->free, 0);
    QCOMPARE(decision.denial->holders.size(), std::size_t{2});
    QCOMPARE(decision.denial->holders[0].node, std::string("crm-passive"));
    QCOMPARE(decision.denial->holders[0].holds, 6);
    QCOMPARE(decision.denial->holders[1].holds, 2);
}

void TestArbitration::denialRecordsOnlyTheStepsThePolicyTried() {
    const ApplianceView appliance =
        applianceWithFree({erp(), standbyAt("dev", 100, fp(1, 65536))}, fp(64, 0));
    const TakeoverDecision decision =
        decideTakeover(appliance, "erp-passive",
                       ArbitrationPolicy{{ContentionStep::headroom, ContentionStep::deny}});
    QVERIFY(decision.denial.has_value());
    QCOMPARE(stepNames(decision.denial->tried), QStringList{"headroom"});
    // The node that could have been saved is named even though the policy does not preempt.
    QCOMPARE(names(decision.denial->preemptable), QStringList{"dev-passive"});
}

void TestArbitration::takeoverOfANodeHoldingAGrantReturnsThatGrant_data() {
    QTest::addColumn<NodeState>("state");
    QTest::addColumn<Footprint>("grant");
    QTest::addColumn<bool>("partial");
    QTest::newRow("active, full grant") << NodeState::Active << fp(8, 32768) << false;
    QTest::newRow("active, partial grant") << NodeState::Active << fp(3, 32768) << true;
    QTest::newRow("taking over") << NodeState::TakingOver << fp(8, 32768) << false;
    QTest::newRow("releasing") << NodeState::Releasing << fp(8, 32768) << false;
}

void TestArbitration::takeoverOfANodeHoldingAGrantReturnsThatGrant() {
    QFETCH(NodeState, state);
    QFETCH(Footprint, grant);
    QFETCH(bool, partial);
    NodeOptions options;
    options.state = state;
    options.grant = grant;
    // No headroom left at all, and a lower-priority node that could be preempted: a repeated
    // request must neither preempt it nor be denied.
    const ApplianceView appliance =
        applianceWithFree({makeNode("erp", 900, fp(1, 2048), fp(8, 32768), options),
                           standbyAt("dev", 100, fp(8, 65536))},
                          fp(-1, -1024), fp(4, 4096));
    for (int attempt = 0; attempt < 3; ++attempt) {
        const TakeoverDecision decision =
            decideTakeover(appliance, "erp-passive", ArbitrationPolicy{});
        QVERIFY(decision.granted);
        QVERIFY(decision.grant == grant);
        QCOMPARE(decision.partial, partial);
        QVERIFY(decision.preempt.empty());
        QVERIFY(!decision.denial.has_value());
    }
}

void TestArbitration::nodesThatCannotTakeOverGetNeitherGrantNorDenial_data() {
    QTest::addColumn<ApplianceView>("appliance");
    QTest::addColumn<QString>("node");
    for (const NodeState state :
         {NodeState::Preempted, NodeState::Fenced, NodeState::Stopped, NodeState::Missing}) {
        QTest::newRow(std::string(db::nodeStateName(state)).c_str())
            << applianceWithFree({nodeIn(state, "erp", 900, fp(1, 2048), fp(8, 32768))},
                                 fp(64, 262144))
            << "erp-passive";
    }
    QTest::newRow("not on this appliance")
        << applianceWithFree({erp()}, fp(64, 262144)) << "nowhere-passive";
}

void TestArbitration::nodesThatCannotTakeOverGetNeitherGrantNorDenial() {
    QFETCH(ApplianceView, appliance);
    QFETCH(QString, node);
    const TakeoverDecision decision =
        decideTakeover(appliance, node.toStdString(), ArbitrationPolicy{});
    QVERIFY(!decision.granted);
    QVERIFY(!decision.denial.has_value());
    QVERIFY(decision.preempt.empty());
}

void TestArbitration::restoresPreemptedNodesByPriorityAsLongAsTheyFit_data() {
    QTest::addColumn<ApplianceView>("appliance");
    QTest::addColumn<QStringList>("restore");

    const auto saved = [](const std::string& cluster, int priority, Footprint standby) {
        return nodeIn(NodeState::Preempted, cluster, priority, standby,
                      fp(standby.vcpus * 2, standby.memory_mib * 2));
    };
    QTest::newRow("nothing preempted")
        << applianceWithFree({erp()}, fp(64, 65536)) << QStringList{};
    QTest::newRow("highest priority first, ties by name, passing over what does not fit")
        << applianceWithFree({erp(), saved("low", 500, fp(1, 1024)), saved("b", 900, fp(1, 2048)),
                              saved("a", 900, fp(1, 4096)), saved("huge", 950, fp(1, 65536))},
                             fp(64, 7000))
        << QStringList{"a-passive", "b-passive"};
    QTest::newRow("a smaller lower-priority node fits where a larger one does not")
        << applianceWithFree({saved("big", 900, fp(1, 8192)), saved("small", 100, fp(1, 1024))},
                             fp(64, 4096))
        << QStringList{"small-passive"};
    QTest::newRow("vCPUs limit restores too")
        << applianceWithFree({saved("a", 900, fp(2, 1024)), saved("b", 800, fp(2, 1024)),
                              saved("c", 700, fp(1, 1024))},
                             fp(3, 65536))
        << QStringList{"a-passive", "c-passive"};
    NodeOptions reserved;
    reserved.state = NodeState::Preempted;
    reserved.memory_mode = sizing::MemoryMode::reserved;
    QTest::newRow("a reserved-memory node needs its active memory back")
        << applianceWithFree({makeNode("win", 900, fp(1, 1024), fp(2, 8192), reserved)},
                             fp(64, 4096))
        << QStringList{};
    QTest::newRow("fenced and stopped nodes are not restored")
        << applianceWithFree({nodeIn(NodeState::Fenced, "f", 900, fp(1, 1024), fp(2, 2048)),
                              nodeIn(NodeState::Stopped, "s", 900, fp(1, 1024), fp(2, 2048))},
                             fp(64, 65536))
        << QStringList{};
    QTest::newRow("nothing when the host is already over")
        << applianceWithFree({saved("a", 900, fp(1, 1024))}, fp(-1, -1)) << QStringList{};
}

void TestArbitration::restoresPreemptedNodesByPriorityAsLongAsTheyFit() {
    QFETCH(ApplianceView, appliance);
    QFETCH(QStringList, restore);
    const std::vector<std::string> chosen = nodesToRestore(appliance);
    QCOMPARE(names(chosen), restore);
    for (const auto& name : chosen) {
        nodeNamed(appliance, name).state = NodeState::Standby;
    }
    if (!chosen.empty()) {
        QVERIFY(referenceFree(appliance).memory_mib >= 0);
        QVERIFY(referenceFree(appliance).vcpus >= 0);
    }
}

void TestArbitration::whatIfTakesOverHighestPriorityFirstAndReportsEachOutcome() {
    // 10 vCPUs and 40960 MiB free. erp (900) needs 7 and 30720 MiB: granted. crm (800) needs 7
    // and 14336 MiB; 3 and 10240 MiB are left. Saving dev (100) makes memory fit with 4 vCPUs
    // free, and even saving hr too would leave vCPUs short, so crm gets 5 vCPUs, partially.
    // hr (700) then finds nothing free: denied on memory. dev, saved, cannot take over.
    const ApplianceView appliance = applianceWithFree(
        {erp(), makeNode("crm", 800, fp(1, 2048), fp(8, 16384)),
         makeNode("hr", 700, fp(1, 1024), fp(2, 2048)), standbyAt("dev", 100, fp(1, 4096))},
        fp(10, 40960));
    const std::vector<WhatIfTakeover> outcomes =
        simulateTakeovers(appliance, {"dev-passive", "hr-passive", "crm-passive", "erp-passive"},
                          ArbitrationPolicy{});
    QCOMPARE(outcomes.size(), std::size_t{4});
    QCOMPARE(outcomes[0].node, std::string("erp-passive"));
    QCOMPARE(outcomes[0].outcome, std::string("granted"));
    QCOMPARE(outcomes[1].node, std::string("crm-passive"));
    QCOMPARE(outcomes[1].outcome, std::string("partial"));
    QCOMPARE(names(outcomes[1].preempted), QStringList{"dev-passive"});
    QCOMPARE(outcomes[2].node, std::string("hr-passive"));
    QCOMPARE(outcomes[2].outcome, std::string("denied"));
    QVERIFY(outcomes[2].denial.has_value());
    QCOMPARE(outcomes[2].denial->resource, sizing::Resource::memory_mib);
    QCOMPARE(outcomes[2].denial->needed, 1024);
    QCOMPARE(outcomes[2].denial->free, 0);
    QCOMPARE(outcomes[3].node, std::string("dev-passive"));
    QCOMPARE(outcomes[3].outcome, std::string("denied"));
    QVERIFY(!outcomes[3].denial.has_value());

    // The same with room for crm's vCPUs: preemption gives the full footprint.
    const ApplianceView roomier =
        applianceWithFree({erp(), makeNode("crm", 800, fp(1, 2048), fp(8, 16384)),
                           standbyAt("dev", 100, fp(1, 4096))},
                          fp(64, 40960));
    const std::vector<WhatIfTakeover> second =
        simulateTakeovers(roomier, {"crm-passive", "erp-passive"}, ArbitrationPolicy{});
    QCOMPARE(second.size(), std::size_t{2});
    QCOMPARE(second[0].outcome, std::string("granted"));
    QCOMPARE(second[1].outcome, std::string("preempts"));
    QCOMPARE(names(second[1].preempted), QStringList{"dev-passive"});
    // Free after: 64 − 7 (erp) + 1 (dev's standby given back) − 7 (crm) vCPUs, and
    // 40960 − 30720 + 4096 − 14336 MiB; with nothing failed, the free of now.
    const WhatIfSimulation simulated =
        simulateWhatIf(roomier, {"crm-passive", "erp-passive"}, ArbitrationPolicy{});
    QCOMPARE(simulated.takeovers.size(), std::size_t{2});
    QCOMPARE(simulated.free_after.vcpus, 51);
    QCOMPARE(simulated.free_after.memory_mib, 0);
    const WhatIfSimulation idle = simulateWhatIf(roomier, {}, ArbitrationPolicy{});
    QVERIFY(idle.takeovers.empty());
    QCOMPARE(idle.free_after.vcpus, 64);
    QCOMPARE(idle.free_after.memory_mib, 40960);
}

void TestArbitration::whatIfIgnoresOtherAppliancesNodesAndDeniesNodesThatCannotTakeOver() {
    const ApplianceView appliance =
        applianceWithFree({erp(), nodeIn(NodeState::Fenced, "crm", 950, fp(1, 2048), fp(2, 4096)),
                           activeNode("web", 500, fp(1, 2048), fp(2, 4096))},
                          fp(64, 65536));
    const std::vector<WhatIfTakeover> outcomes = simulateTakeovers(
        appliance,
        {"erp-passive", "elsewhere-passive", "erp-passive", "crm-passive", "web-passive"},
        ArbitrationPolicy{});
    QCOMPARE(outcomes.size(), std::size_t{3});
    QCOMPARE(outcomes[0].node, std::string("crm-passive"));
    QCOMPARE(outcomes[0].outcome, std::string("denied"));
    QVERIFY(!outcomes[0].denial.has_value());
    QCOMPARE(outcomes[1].node, std::string("erp-passive"));
    QCOMPARE(outcomes[1].outcome, std::string("granted"));
    QCOMPARE(outcomes[2].node, std::string("web-passive"));
    QCOMPARE(outcomes[2].outcome, std::string("granted"));
}

namespace {

struct Generator {
    std::mt19937_64 random;
    explicit Generator(std::uint64_t seed) : random(seed) {}
    std::int64_t between(std::int64_t low, std::int64_t high) {
        return std::uniform_int_distribution<std::int64_t>(low, high)(random);
    }
    bool chance(int percent) { return between(1, 100) <= percent; }
};

ApplianceView randomAppliance(Generator& gen) {
    ApplianceView appliance;
    appliance.name = "pna-random";
    const int count = static_cast<int>(gen.between(1, 10));
    static const int kPriorities[] = {100, 300, 500, 500, 900};
    for (int i = 0; i < count; ++i) {
        NodeOptions options;
        options.memory_mode =
            gen.chance(20) ? sizing::MemoryMode::reserved : sizing::MemoryMode::balloon;
        if (gen.chance(15)) {
            static const NodeState kIdle[] = {NodeState::Preempted, NodeState::Fenced,
                                              NodeState::Stopped, NodeState::Missing,
                                              NodeState::Drifted};
            options.state = kIdle[gen.between(0, 4)];
        }
        const Footprint standby = fp(gen.between(1, 2), 512 * gen.between(1, 8));
        const Footprint active =
            fp(standby.vcpus + gen.between(0, 8), standby.memory_mib + 1024 * gen.between(0, 32));
        appliance.nodes.push_back(makeNode("c" + std::to_string(i), kPriorities[gen.between(0, 4)],
                                           standby, active, options));
    }
    appliance.foreign = fp(gen.between(0, 4), 1024 * gen.between(0, 8));
    // Valid at the start: the running nodes' standby footprints and the foreign load fit.
    const ReferenceUse use = referenceUse(appliance);
    appliance.usable =
        fp(use.vcpus + appliance.foreign.vcpus + gen.between(0, 24),
           use.memory_mib + appliance.foreign.memory_mib + 1024 * gen.between(0, 64));
    return appliance;
}

ArbitrationPolicy randomPolicy(Generator& gen) {
    using S = ContentionStep;
    static const std::vector<std::vector<ContentionStep>> kOrders{
        {S::headroom, S::preempt, S::partial_cpu, S::deny},
        {S::headroom, S::partial_cpu, S::preempt, S::deny},
        {S::headroom, S::preempt, S::deny},
        {S::headroom, S::deny},
        {S::preempt, S::partial_cpu},
        {S::partial_cpu, S::headroom, S::deny}};
    return ArbitrationPolicy{kOrders[static_cast<std::size_t>(gen.between(0, 5))]};
}

Footprint needOf(const NodeView& node) {
    const Footprint standby = node.spec.effectiveStandby();
    return fp(std::max<std::int64_t>(0, node.spec.active.vcpus - standby.vcpus),
              std::max<std::int64_t>(0, node.spec.active.memory_mib - standby.memory_mib));
}

bool fitsIn(std::int64_t need, std::int64_t free) {
    return need == 0 || need <= free;
}

// The reference preemption order, written from the contract: lower-priority standby nodes,
// lowest priority first, then largest memory, then name.
std::vector<const NodeView*> referenceCandidates(const ApplianceView& appliance,
                                                 const NodeView& requester) {
    std::vector<const NodeView*> candidates;
    for (const NodeView& node : appliance.nodes) {
        if (node.state == NodeState::Standby && !node.grant && node.priority < requester.priority) {
            candidates.push_back(&node);
        }
    }
    std::sort(candidates.begin(), candidates.end(), [](const NodeView* a, const NodeView* b) {
        return std::make_tuple(a->priority, -a->spec.effectiveStandby().memory_mib, a->name) <
               std::make_tuple(b->priority, -b->spec.effectiveStandby().memory_mib, b->name);
    });
    return candidates;
}

// Checks one takeover decision against the contract; returns an empty string when it holds.
QString checkDecision(const ApplianceView& appliance, const NodeView& requester,
                      const ArbitrationPolicy& policy, const TakeoverDecision& decision) {
    if (requester.grant) {
        return decision.granted && decision.grant == *requester.grant && decision.preempt.empty()
                   ? QString()
                   : QStringLiteral("a held grant was not given back as it is");
    }
    const Footprint free = referenceFree(appliance);
    const Footprint need = needOf(requester);
    const auto candidates = referenceCandidates(appliance, requester);
    if (!decision.granted) {
        if (!decision.denial || !decision.preempt.empty()) {
            return QStringLiteral("a refusal without a denial, or with preemptions");
        }
        const Denial& denial = *decision.denial;
        const std::int64_t needed = need.of(denial.resource);
        const std::int64_t available = free.of(denial.resource);
        if (fitsIn(needed, available) || denial.needed != needed || denial.free != available) {
            return QStringLiteral("the denial names %1 which fits (need %2, free %3)")
                .arg(QString::fromLatin1(sizing::resourceName(denial.resource)))
                .arg(needed)
                .arg(available);
        }
        if (denial.resource == sizing::Resource::vcpus &&
            !fitsIn(need.memory_mib, free.memory_mib)) {
            return QStringLiteral("the denial names vCPUs while memory does not fit");
        }
        if (std::find(denial.tried.begin(), denial.tried.end(), ContentionStep::deny) !=
            denial.tried.end()) {
            return QStringLiteral("deny listed as a tried step");
        }
        for (std::size_t i = 1; i < denial.holders.size(); ++i) {
            if (denial.holders[i].holds > denial.holders[i - 1].holds) {
                return QStringLiteral("holders not largest first");
            }
        }
        if (policy.order == ArbitrationPolicy{}.order) {
            // Under the standard policy a denial means nothing could have worked.
            Footprint all = free;
            for (const NodeView* candidate : candidates) {
                all.vcpus += candidate->spec.effectiveStandby().vcpus;
                all.memory_mib += candidate->spec.effectiveStandby().memory_mib;
            }
            if (fitsIn(need.memory_mib, all.memory_mib) &&
                (fitsIn(need.vcpus, all.vcpus) || all.vcpus >= 1)) {
                return QStringLiteral("denied although preemption and a partial grant would do");
            }
        }
        return {};
    }
    if (decision.denial) {
        return QStringLiteral("a grant with a denial");
    }
    if (decision.grant.memory_mib != requester.spec.active.memory_mib) {
        return QStringLiteral("memory granted partially");
    }
    const std::int64_t standby_vcpus = requester.spec.effectiveStandby().vcpus;
    if (decision.grant.vcpus > requester.spec.active.vcpus ||
        decision.grant.vcpus < standby_vcpus ||
        decision.partial != (decision.grant.vcpus < requester.spec.active.vcpus) ||
        (decision.partial && decision.grant.vcpus <= standby_vcpus)) {
        return QStringLiteral("vCPUs out of range for the grant");
    }
    // The preempted nodes are the first k of the reference order, and k is the fewest that do.
    const std::size_t k = decision.preempt.size();
    if (k > candidates.size()) {
        return QStringLiteral("more preemptions than candidates");
    }
    Footprint with = free;
    Footprint without_last = free;
    for (std::size_t i = 0; i < k; ++i) {
        if (candidates[i]->name != decision.preempt[i]) {
            return QStringLiteral("preempted %1 out of order")
                .arg(QString::fromStdString(decision.preempt[i]));
        }
        const Footprint standby = candidates[i]->spec.effectiveStandby();
        with.vcpus += standby.vcpus;
        with.memory_mib += standby.memory_mib;
        if (i + 1 < k) {
            without_last = with;
        }
    }
    if (!fitsIn(need.memory_mib, with.memory_mib)) {
        return QStringLiteral("granted memory that is not free");
    }
    if (decision.partial ? decision.grant.vcpus - standby_vcpus > with.vcpus
                         : !fitsIn(need.vcpus, with.vcpus)) {
        return QStringLiteral("granted vCPUs that are not free");
    }
    if (k > 0) {
        const bool enough_without =
            decision.partial
                ? fitsIn(need.memory_mib, without_last.memory_mib) && without_last.vcpus >= 1
                : fitsIn(need.memory_mib, without_last.memory_mib) &&
                      fitsIn(need.vcpus, without_last.vcpus);
        if (enough_without) {
            return QStringLiteral("preempted more nodes than needed");
        }
    }
    return {};
}

}  // namespace

void TestArbitration::randomSequencesNeverOverbookMemory() {
    constexpr int kSequences = 4000;
    constexpr int kSteps = 40;
    int granted = 0;
    int preempting = 0;
    int partial = 0;
    int denied = 0;
    int restored = 0;
    for (int sequence = 0; sequence < kSequences; ++sequence) {
        Generator gen(static_cast<std::uint64_t>(sequence) * 7919 + 17);
        ApplianceView appliance = randomAppliance(gen);
        const ArbitrationPolicy policy = randomPolicy(gen);
        for (int step = 0; step < kSteps; ++step) {
            const auto pick = static_cast<std::size_t>(
                gen.between(0, static_cast<std::int64_t>(appliance.nodes.size()) - 1));
            NodeView& node = appliance.nodes[pick];
            const std::int64_t action = gen.between(0, 9);
            if (action < 6) {
                const NodeView before = node;
                const TakeoverDecision decision = decideTakeover(appliance, node.name, policy);
                if (!canTakeOver(before.state)) {
                    QVERIFY2(!decision.granted && !decision.denial,
                             "a node that cannot take over was arbitrated");
                    continue;
                }
                const QString problem = checkDecision(appliance, before, policy, decision);
                QVERIFY2(problem.isEmpty(), qPrintable(QStringLiteral("sequence %1 step %2: %3")
                                                           .arg(sequence)
                                                           .arg(step)
                                                           .arg(problem)));
                if (decision.granted && !before.grant) {
                    ++granted;
                    preempting += decision.preempt.empty() ? 0 : 1;
                    partial += decision.partial ? 1 : 0;
                } else if (!decision.granted) {
                    ++denied;
                }
                apply(appliance, before.name, decision);
            } else if (action < 9) {
                if (node.state == NodeState::Active) {
                    node.state = NodeState::Standby;
                    node.grant.reset();
                }
            } else {
                for (const auto& name : nodesToRestore(appliance)) {
                    NodeView& saved = nodeNamed(appliance, name);
                    QCOMPARE(saved.state, NodeState::Preempted);
                    saved.state = NodeState::Standby;
                    ++restored;
                }
            }
            // The invariants, from the reference arithmetic rather than computeHeadroom.
            const ReferenceUse use = referenceUse(appliance);
            QVERIFY2(use.memory_mib + appliance.foreign.memory_mib <= appliance.usable.memory_mib,
                     qPrintable(QStringLiteral("sequence %1 step %2: memory overbooked")
                                    .arg(sequence)
                                    .arg(step)));
            QVERIFY2(use.vcpus + appliance.foreign.vcpus <= appliance.usable.vcpus,
                     qPrintable(QStringLiteral("sequence %1 step %2: vCPUs overbooked")
                                    .arg(sequence)
                                    .arg(step)));
            const Headroom headroom = computeHeadroom(appliance);
            QCOMPARE(headroom.free.memory_mib, referenceFree(appliance).memory_mib);
            QCOMPARE(headroom.free.vcpus, referenceFree(appliance).vcpus);
            std::set<std::string> seen;
            for (const NodeView& each : appliance.nodes) {
                QVERIFY(std::find(kAllStates.begin(), kAllStates.end(), each.state) !=
                        kAllStates.end());
                QVERIFY2(seen.insert(each.name).second, "a node appears twice");
                // A grant exactly while active: preempted and released nodes hold none.
                QCOMPARE(each.grant.has_value(), each.state == NodeState::Active);
            }
        }
    }
    qInfo("granted %d (preempting %d, partial %d), denied %d, restored %d", granted, preempting,
          partial, denied, restored);
    // The random appliances must exercise every branch, or the invariants prove little.
    QVERIFY(granted > 1000);
    QVERIFY(preempting > 100);
    QVERIFY(partial > 100);
    QVERIFY(denied > 1000);
    QVERIFY(restored > 100);
}

QTEST_GUILESS_MAIN(TestArbitration)
#include "test_arbitration.moc"

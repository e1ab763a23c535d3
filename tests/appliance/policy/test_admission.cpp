// Admission control and the live overflow risk: the risk is the sizing engine's at usable minus
// foreign capacity (checked against the engine and closed forms); a change is refused when it
// breaks the target or leaves a cluster unservable, accepted with a warning under `warn`, and
// always accepted when it raises no risk, even on an appliance already over target (PRODUCT.md,
// "Service": admission control; API.md: 409 admission_refused).
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <random>

#include "arbitration_fixtures.h"
#include "sizing/engine.h"

using namespace understudy;
using namespace understudy::policy;
using namespace understudy::policy::fixtures;
using db::NodeState;
using sizing::Footprint;

Q_DECLARE_METATYPE(understudy::policy::ApplianceView)
Q_DECLARE_METATYPE(understudy::policy::AdmissionMode)

namespace {

constexpr double kTarget = 1e-4;

// A cluster that fails over often (p = 100 / 1100): two of them together break the target.
NodeView risky(const std::string& cluster, std::int64_t active_memory = 16384,
               double mttr_hours = 100, const std::string& group = {}) {
    NodeOptions options;
    options.mtbf_hours = 1000;
    options.mttr_hours = mttr_hours;
    options.group = group;
    return makeNode(cluster, 500, fp(1, 2048), fp(2, active_memory), options);
}

// A cluster that almost never fails over (p ≈ 1.1e-5).
NodeView rare(const std::string& cluster, Footprint standby, Footprint active) {
    NodeOptions options;
    options.mtbf_hours = 87600;
    options.mttr_hours = 1;
    return makeNode(cluster, 500, standby, active, options);
}

double pRisky(double mttr_hours = 100) {
    return sizing::stationaryProbability(1000, mttr_hours);
}

bool near(double actual, double expected) {
    return std::abs(actual - expected) <= 1e-12 + 1e-9 * std::abs(expected);
}

// The same appliance as a fleet file would describe it to `understudy-size`: the foreign load
// taken as reserve, so the engine's usable capacity is usable − foreign.
sizing::Fleet asFleet(const ApplianceView& appliance) {
    sizing::Fleet fleet;
    fleet.target_risk = kTarget;
    fleet.cpu_overcommit = 1.0;
    fleet.appliances.push_back({appliance.name, appliance.usable.vcpus, appliance.usable.memory_mib,
                                appliance.foreign.vcpus, appliance.foreign.memory_mib});
    fleet.groups = appliance.groups;
    for (const NodeView& node : appliance.nodes) {
        fleet.clusters.push_back(node.spec);
    }
    return fleet;
}

ApplianceView withNodes(ApplianceView appliance, std::vector<NodeView> nodes) {
    appliance.nodes = std::move(nodes);
    return appliance;
}

}  // namespace

class TestAdmission : public QObject {
    Q_OBJECT
private slots:
    void liveRiskIsTheSizingEnginesAtUsableMinusForeign_data();
    void liveRiskIsTheSizingEnginesAtUsableMinusForeign();
    void liveRiskMatchesClosedForms();
    void decisions_data();
    void decisions();
    void aVcpuChangeWithinTheTargetIsNotBlockedByAMemoryRiskItLeavesAlone();
    void unservableClusterIsReportedWithWhatItNeedsAndWhatIsAvailable();
    void changesThatRaiseNoRiskAreAlwaysAccepted();
    void everyRefusalBreaksTheTargetOrLeavesAClusterUnservable();
};

void TestAdmission::liveRiskIsTheSizingEnginesAtUsableMinusForeign_data() {
    QTest::addColumn<ApplianceView>("appliance");

    QTest::newRow("empty") << makeAppliance(fp(64, 65536), {}, {});
    QTest::newRow("two risky clusters, one fits")
        << makeAppliance(fp(64, 24000), {}, {risky("a"), risky("b")});
    QTest::newRow("foreign load takes capacity")
        << makeAppliance(fp(64, 40000), fp(4, 16000), {risky("a"), risky("b"), risky("c")});
    NodeOptions reserved;
    reserved.memory_mode = sizing::MemoryMode::reserved;
    reserved.mtbf_hours = 2000;
    reserved.mttr_hours = 48;
    ApplianceView grouped = makeAppliance(
        fp(6, 60000), fp(1, 2048),
        {risky("a", 16384, 100, "rack"), risky("b", 12288, 50, "rack"), risky("c", 8192),
         makeNode("win", 700, fp(1, 2048), fp(4, 16384), reserved)});
    grouped.groups = {{"rack", 20000, 10}, {"unused", 1000, 1000}};
    QTest::newRow("groups, reserved memory, tight vCPUs") << grouped;
    QTest::newRow("fenced, preempted and active nodes are still the fleet")
        << makeAppliance(fp(64, 30000), {},
                         {nodeIn(NodeState::Fenced, "a", 500, fp(1, 2048), fp(2, 16384)),
                          nodeIn(NodeState::Preempted, "b", 500, fp(1, 2048), fp(2, 16384)),
                          activeNode("c", 500, fp(1, 2048), fp(2, 16384))});
}

void TestAdmission::liveRiskIsTheSizingEnginesAtUsableMinusForeign() {
    QFETCH(ApplianceView, appliance);
    const auto risk = liveOverflowRisk(appliance, kTarget);
    const sizing::SizingResult sized = sizing::size(asFleet(appliance));
    QCOMPARE(sized.appliances.size(), std::size_t{1});
    for (const sizing::Resource resource : sizing::kResources) {
        const double expected = sized.appliances[0].figures(resource).overflow_risk;
        QVERIFY2(near(risk[static_cast<std::size_t>(resource)], expected),
                 qPrintable(QStringLiteral("%1: %2 against the engine's %3")
                                .arg(QString::fromLatin1(sizing::resourceName(resource)))
                                .arg(risk[static_cast<std::size_t>(resource)])
                                .arg(expected)));
    }
}

void TestAdmission::liveRiskMatchesClosedForms() {
    const double p = pRisky();
    // One cluster whose active footprint does not fit: the risk is its failover probability.
    QVERIFY(near(liveOverflowRisk(makeAppliance(fp(64, 10000), {}, {risky("a")}), kTarget)[0], p));
    // Two independent clusters, one fits: both must be failed over.
    QVERIFY(near(
        liveOverflowRisk(makeAppliance(fp(64, 24000), {}, {risky("a"), risky("b")}), kTarget)[0],
        p * p));
    // In one group: the group fails both over, or both fail on their own.
    ApplianceView grouped = makeAppliance(
        fp(64, 24000), {}, {risky("a", 16384, 100, "g"), risky("b", 16384, 100, "g")});
    grouped.groups = {{"g", 9000, 1}};
    const double pg = sizing::stationaryProbability(9000, 1);
    QVERIFY(near(liveOverflowRisk(grouped, kTarget)[0], pg + (1 - pg) * p * p));
    // Foreign load above the standby footprints: overflow in every outcome.
    QVERIFY(
        near(liveOverflowRisk(makeAppliance(fp(64, 24000), fp(0, 22000), {risky("a")}), kTarget)[0],
             1.0));
    // Everything fits at once: no risk in either resource.
    const auto none =
        liveOverflowRisk(makeAppliance(fp(64, 65536), {}, {risky("a"), risky("b")}), kTarget);
    QCOMPARE(none[0], 0.0);
    QCOMPARE(none[1], 0.0);
}

void TestAdmission::decisions_data() {
    QTest::addColumn<ApplianceView>("before");
    QTest::addColumn<ApplianceView>("after");
    QTest::addColumn<AdmissionMode>("mode");
    QTest::addColumn<bool>("accepted");
    QTest::addColumn<bool>("warned");
    QTest::addColumn<QStringList>("reason");  // what the sentence must say; empty: no sentence

    const auto enforce = AdmissionMode::enforce;
    const auto warn = AdmissionMode::warn;
    const ApplianceView roomy = makeAppliance(fp(64, 65536), {}, {});
    const ApplianceView tight = makeAppliance(fp(64, 24000), {}, {});
    const ApplianceView over = withNodes(tight, {risky("r1"), risky("r2")});

    QTest::newRow("a cluster within the target is accepted")
        << withNodes(roomy, {risky("r1")}) << withNodes(roomy, {risky("r1"), risky("r2")})
        << enforce << true << false << QStringList{};
    QTest::newRow("a cluster that breaks the target is refused")
        << withNodes(tight, {risky("r1")}) << over << enforce << false << false
        << QStringList{"The memory_mib overflow risk of appliance pna-1 would be 0.00826",
                       "(now 0)", "above the target 0.0001", "add memory"};
    QTest::newRow("under warn it is accepted with the warning")
        << withNodes(tight, {risky("r1")}) << over << warn << true << true
        << QStringList{"Accepted with a warning: the memory_mib overflow risk", "above the target"};
    QTest::newRow("removal while over target is accepted")
        << over << withNodes(tight, {risky("r1")}) << enforce << true << false << QStringList{};
    QTest::newRow("shrinking while over target is accepted")
        << over << withNodes(tight, {risky("r1"), risky("r2", 8192)}) << enforce << true << false
        << QStringList{"Accepted because the change raises no risk", "stays at 0.00826"};
    QTest::newRow("a lower MTTR while over target is accepted")
        << over << withNodes(tight, {risky("r1"), risky("r2", 16384, 50)}) << enforce << true
        << false << QStringList{"raises no risk"};
    QTest::newRow("more capacity while over target is accepted")
        << over << withNodes(makeAppliance(fp(64, 26000), {}, {}), {risky("r1"), risky("r2")})
        << enforce << true << false << QStringList{"raises no risk"};
    QTest::newRow("growing while over target is refused, though the risk figure stays")
        << over << withNodes(tight, {risky("r1"), risky("r2", 18000)}) << enforce << false << false
        << QStringList{"would be 0.00826 (now 0.00826)"};
    QTest::newRow("a higher MTTR while over target is refused")
        << over << withNodes(tight, {risky("r1"), risky("r2", 16384, 200)}) << enforce << false
        << false << QStringList{"memory_mib overflow risk"};
    QTest::newRow("more foreign load is judged like any change")
        << over
        << withNodes(makeAppliance(fp(64, 24000), fp(0, 1024), {}), {risky("r1"), risky("r2")})
        << enforce << false << false << QStringList{"memory_mib overflow risk"};

    ApplianceView ungrouped = over;
    ungrouped.groups = {{"rack", 1000, 100}};
    ApplianceView grouped =
        withNodes(ungrouped, {risky("r1", 16384, 100, "rack"), risky("r2", 16384, 100, "rack")});
    QTest::newRow("joining a group that raises the risk is refused")
        << ungrouped << grouped << enforce << false << false << QStringList{"memory_mib"};
    QTest::newRow("leaving a group is accepted")
        << grouped << ungrouped << enforce << true << false << QStringList{"raises no risk"};

    const ApplianceView unservable =
        withNodes(tight, {risky("r1"), rare("huge", fp(1, 2048), fp(2, 23000))});
    QTest::newRow("an unservable cluster is refused even within the risk target")
        << withNodes(tight, {risky("r1")}) << unservable << enforce << false << false
        << QStringList{"Cluster huge would be unservable on appliance pna-1",
                       "active memory_mib of 23000 exceeds the 21952 available"};
    QTest::newRow("under warn an unservable cluster is accepted with the warning")
        << withNodes(tight, {risky("r1")}) << unservable << warn << true << true
        << QStringList{"Accepted with a warning: cluster huge would be unservable"};
    QTest::newRow("growing an unservable cluster further is refused")
        << unservable << withNodes(tight, {risky("r1"), rare("huge", fp(1, 2048), fp(2, 23500))})
        << enforce << false << false << QStringList{"active memory_mib of 23500 exceeds the 21952"};
    QTest::newRow("an unservable cluster left as it is does not block a safer change")
        << unservable
        << withNodes(tight, {risky("r1", 16384, 50), rare("huge", fp(1, 2048), fp(2, 23000))})
        << enforce << true << false << QStringList{};
    QTest::newRow("removing the unservable cluster is accepted")
        << unservable << withNodes(tight, {risky("r1")}) << enforce << true << false
        << QStringList{};
}

void TestAdmission::decisions() {
    QFETCH(ApplianceView, before);
    QFETCH(ApplianceView, after);
    QFETCH(AdmissionMode, mode);
    QFETCH(bool, accepted);
    QFETCH(bool, warned);
    QFETCH(QStringList, reason);

    const AdmissionDecision decision = decideAdmission(before, after, kTarget, mode);
    QCOMPARE(decision.accepted, accepted);
    QCOMPARE(decision.warned, warned);
    QCOMPARE(decision.target_risk, kTarget);
    const QString sentence = QString::fromStdString(decision.reason);
    QCOMPARE(sentence.isEmpty(), reason.isEmpty());
    for (const QString& part : reason) {
        QVERIFY2(sentence.contains(part), qPrintable(sentence + " lacks: " + part));
    }
    if (!sentence.isEmpty()) {
        QVERIFY(sentence.front().isUpper());
        QVERIFY(sentence.endsWith(u'.'));
        QCOMPARE(sentence.count(u'.'), sentence.count(QStringLiteral("0.")) + 1);
    }
    const auto risk_before = liveOverflowRisk(before, kTarget);
    const auto risk_after = liveOverflowRisk(after, kTarget);
    for (std::size_t r = 0; r < risk_after.size(); ++r) {
        QCOMPARE(decision.overflow_risk_before[r], risk_before[r]);
        QCOMPARE(decision.overflow_risk[r], risk_after[r]);
    }
}

void TestAdmission::aVcpuChangeWithinTheTargetIsNotBlockedByAMemoryRiskItLeavesAlone() {
    // Memory is over target (r1 and r2 together overflow). Growing c4's vCPUs raises the vCPU
    // risk from 0 to p4 × p1 × p2 (all three failed over), well within the target, and leaves
    // memory alone.
    const ApplianceView base = makeAppliance(fp(8, 25024), {}, {});
    const ApplianceView before =
        withNodes(base, {risky("r1"), risky("r2"), rare("c4", fp(1, 1024), fp(3, 1024))});
    const ApplianceView after =
        withNodes(base, {risky("r1"), risky("r2"), rare("c4", fp(1, 1024), fp(5, 1024))});
    const AdmissionDecision decision =
        decideAdmission(before, after, kTarget, AdmissionMode::enforce);
    QVERIFY(decision.overflow_risk[0] > kTarget);
    QVERIFY(decision.overflow_risk[1] > decision.overflow_risk_before[1]);
    QVERIFY(decision.overflow_risk[1] <= kTarget);
    QVERIFY(decision.accepted);
    QVERIFY(!decision.warned);
    QVERIFY(QString::fromStdString(decision.reason).contains("raises no risk"));

    // The same vCPU growth pushed over the target is refused, and names vCPUs.
    const ApplianceView crowded =
        withNodes(base, {risky("r1"), risky("r2"), risky("c4"), risky("c5")});
    ApplianceView grown = crowded;
    grown.nodes[3].spec.active.vcpus = 5;
    const AdmissionDecision refused =
        decideAdmission(crowded, grown, kTarget, AdmissionMode::enforce);
    QVERIFY(refused.overflow_risk[1] > kTarget);
    QVERIFY(!refused.accepted);
    QVERIFY2(QString::fromStdString(refused.reason).startsWith("The vcpus overflow risk"),
             refused.reason.c_str());
    QVERIFY(
        QString::fromStdString(refused.reason).contains("add vCPUs or raise the CPU overcommit"));
}

void TestAdmission::unservableClusterIsReportedWithWhatItNeedsAndWhatIsAvailable() {
    const ApplianceView before = makeAppliance(fp(4, 24000), fp(1, 0), {risky("r1")});
    ApplianceView after = before;
    after.nodes.push_back(rare("huge", fp(1, 2048), fp(4, 23000)));
    const AdmissionDecision decision =
        decideAdmission(before, after, kTarget, AdmissionMode::enforce);
    QVERIFY(!decision.accepted);
    // Memory: 24000 − r1's 2048 standby = 21952; vCPUs: 4 − 1 foreign − r1's 1 = 2.
    QCOMPARE(decision.unservable.size(), std::size_t{2});
    QCOMPARE(decision.unservable[0].cluster, std::string("huge"));
    QCOMPARE(decision.unservable[0].resource, sizing::Resource::memory_mib);
    QCOMPARE(decision.unservable[0].needed, 23000);
    QCOMPARE(decision.unservable[0].available, 21952);
    QCOMPARE(decision.unservable[1].resource, sizing::Resource::vcpus);
    QCOMPARE(decision.unservable[1].needed, 4);
    QCOMPARE(decision.unservable[1].available, 2);
}

namespace {

struct Generator {
    std::mt19937_64 random;
    explicit Generator(std::uint64_t seed) : random(seed) {}
    std::int64_t between(std::int64_t low, std::int64_t high) {
        return std::uniform_int_distribution<std::int64_t>(low, high)(random);
    }
};

ApplianceView randomFleet(Generator& gen) {
    ApplianceView appliance =
        makeAppliance({}, fp(gen.between(0, 2), 1024 * gen.between(0, 4)), {});
    appliance.groups = {{"rack", 2000.0 + 1000.0 * static_cast<double>(gen.between(0, 8)),
                         static_cast<double>(gen.between(1, 50))}};
    const auto count = gen.between(2, 6);
    for (std::int64_t i = 0; i < count; ++i) {
        NodeOptions options;
        options.mtbf_hours = 500.0 * static_cast<double>(gen.between(1, 20));
        options.mttr_hours = static_cast<double>(gen.between(1, 200));
        options.group = gen.between(0, 2) == 0 ? "rack" : "";
        options.memory_mode =
            gen.between(0, 4) == 0 ? sizing::MemoryMode::reserved : sizing::MemoryMode::balloon;
        const Footprint standby = fp(gen.between(1, 2), 1024 * gen.between(1, 4));
        appliance.nodes.push_back(makeNode(
            "c" + std::to_string(i), 500, standby,
            fp(standby.vcpus + gen.between(0, 6), standby.memory_mib + 1024 * gen.between(0, 24)),
            options));
    }
    // Usable somewhere between the standby total and the active total: often over target.
    Footprint standby_total;
    Footprint active_total;
    for (const NodeView& node : appliance.nodes) {
        standby_total.vcpus += node.spec.effectiveStandby().vcpus;
        standby_total.memory_mib += node.spec.effectiveStandby().memory_mib;
        active_total.vcpus += node.spec.active.vcpus;
        active_total.memory_mib += node.spec.active.memory_mib;
    }
    appliance.usable = fp(gen.between(standby_total.vcpus, active_total.vcpus + 2),
                          gen.between(standby_total.memory_mib, active_total.memory_mib + 1024));
    return appliance;
}

// One change that cannot raise any risk: removal, shrinking, a lower MTTR, a higher MTBF,
// leaving a group, less foreign load.
ApplianceView saferChange(ApplianceView appliance, Generator& gen) {
    const auto pick = static_cast<std::size_t>(
        gen.between(0, static_cast<std::int64_t>(appliance.nodes.size()) - 1));
    sizing::ClusterSpec& spec = appliance.nodes[pick].spec;
    switch (gen.between(0, 6)) {
        case 0:
            appliance.nodes.erase(appliance.nodes.begin() + static_cast<std::ptrdiff_t>(pick));
            break;
        case 1:
            spec.active.memory_mib = std::max(spec.standby.memory_mib,
                                              spec.active.memory_mib - 1024 * gen.between(1, 8));
            break;
        case 2:
            spec.active.vcpus = std::max(spec.standby.vcpus, spec.active.vcpus - gen.between(1, 3));
            break;
        case 3:
            spec.mttr_hours = std::max(0.5, spec.mttr_hours / 2);
            break;
        case 4:
            spec.mtbf_hours *= 2;
            break;
        case 5:
            spec.group.clear();
            break;
        default:
            appliance.foreign.memory_mib =
                std::max<std::int64_t>(0, appliance.foreign.memory_mib - 1024);
            appliance.foreign.vcpus = std::max<std::int64_t>(0, appliance.foreign.vcpus - 1);
            break;
    }
    return appliance;
}

ApplianceView anyChange(ApplianceView appliance, Generator& gen) {
    const auto pick = static_cast<std::size_t>(
        gen.between(0, static_cast<std::int64_t>(appliance.nodes.size()) - 1));
    sizing::ClusterSpec& spec = appliance.nodes[pick].spec;
    switch (gen.between(0, 4)) {
        case 0:
            spec.active.memory_mib += 1024 * gen.between(1, 8);
            break;
        case 1:
            spec.active.vcpus += gen.between(1, 3);
            break;
        case 2:
            spec.mttr_hours *= 2;
            break;
        case 3:
            spec.group = "rack";
            break;
        default:
            return saferChange(std::move(appliance), gen);
    }
    return appliance;
}

}  // namespace

void TestAdmission::changesThatRaiseNoRiskAreAlwaysAccepted() {
    int over_target = 0;
    for (int i = 0; i < 400; ++i) {
        Generator gen(static_cast<std::uint64_t>(i) * 104729 + 3);
        const ApplianceView before = randomFleet(gen);
        const ApplianceView after = saferChange(before, gen);
        const AdmissionDecision decision =
            decideAdmission(before, after, kTarget, AdmissionMode::enforce);
        QVERIFY2(decision.accepted && !decision.warned,
                 qPrintable(QStringLiteral("case %1: %2").arg(i).arg(decision.reason.c_str())));
        for (std::size_t r = 0; r < decision.overflow_risk.size(); ++r) {
            QVERIFY(decision.overflow_risk[r] <=
                    decision.overflow_risk_before[r] * (1 + 1e-9) + 1e-300);
        }
        if (std::max(decision.overflow_risk[0], decision.overflow_risk[1]) > kTarget) {
            ++over_target;
        }
    }
    // Most of these appliances are already over target: the exemption is what is tested.
    QVERIFY(over_target > 100);
}

void TestAdmission::everyRefusalBreaksTheTargetOrLeavesAClusterUnservable() {
    int refused = 0;
    int accepted = 0;
    for (int i = 0; i < 400; ++i) {
        Generator gen(static_cast<std::uint64_t>(i) * 15485863 + 11);
        const ApplianceView before = randomFleet(gen);
        const ApplianceView after = anyChange(before, gen);
        const AdmissionDecision decision =
            decideAdmission(before, after, kTarget, AdmissionMode::enforce);
        const AdmissionDecision warned =
            decideAdmission(before, after, kTarget, AdmissionMode::warn);
        QVERIFY(warned.accepted);
        QCOMPARE(warned.warned, !decision.accepted);
        const bool breaks =
            std::any_of(decision.overflow_risk.begin(), decision.overflow_risk.end(),
                        [](double risk) { return risk > kTarget; });
        if (!decision.accepted) {
            ++refused;
            QVERIFY(breaks || !decision.unservable.empty());
            QVERIFY(!decision.reason.empty());
            continue;
        }
        ++accepted;
        // Accepted over target: then that resource's risk did not rise, and no cluster became
        // unservable that was servable before.
        for (std::size_t r = 0; r < decision.overflow_risk.size(); ++r) {
            if (decision.overflow_risk[r] > kTarget) {
                QVERIFY(decision.overflow_risk[r] <= decision.overflow_risk_before[r] * (1 + 1e-9));
            }
        }
        const auto before_unservable =
            decideAdmission(before, before, kTarget, AdmissionMode::enforce).unservable;
        for (const auto& entry : decision.unservable) {
            QVERIFY(std::any_of(before_unservable.begin(), before_unservable.end(),
                                [&](const sizing::Unservable& old) {
                                    return old.cluster == entry.cluster &&
                                           old.resource == entry.resource &&
                                           old.needed - old.available >=
                                               entry.needed - entry.available;
                                }));
        }
    }
    QVERIFY(refused > 50);
    QVERIFY(accepted > 50);
}

QTEST_GUILESS_MAIN(TestAdmission)
#include "test_admission.moc"

// The risk of now (docs/sizing-method.md, "The risk of now"): denial_risk against a brute force
// over every failure state of a small fleet, written here from the documented rule and the
// nodes' numbers, and against the arbitration itself (policy::simulateTakeovers) sampled by
// Monte Carlo on the demo fleet in two tight states.
#include <QtTest>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "appliance/policy/denial_risk.h"
#include "arbitration_fixtures.h"
#include "sizing/fleet_file.h"
#include "tests/support/source_files.h"

using namespace understudy;
using namespace understudy::policy;
using namespace understudy::policy::fixtures;
using db::NodeState;

Q_DECLARE_METATYPE(understudy::policy::ApplianceView)

namespace {

double within(double mtbf_hours, double horizon_hours) {
    return 1 - std::exp(-horizon_hours / mtbf_hours);
}

NodeView standby(const std::string& cluster, int priority, sizing::Footprint standby_fp,
                 sizing::Footprint active, double mtbf_hours, const std::string& group = {}) {
    NodeOptions options;
    options.mtbf_hours = mtbf_hours;
    options.group = group;
    return makeNode(cluster, priority, standby_fp, active, options);
}

// Seven clusters on 64 GiB and 32 vCPUs: one active, one fenced (in the group), one reserved,
// one lowest-priority standby whose footprint every other takeover could reclaim.
ApplianceView smallFleet() {
    NodeView fenced = standby("f", 500, fp(1, 2048), fp(4, 8192), 2000, "rack");
    fenced.state = NodeState::Fenced;
    NodeOptions reserved;
    reserved.mtbf_hours = 400;
    reserved.memory_mode = sizing::MemoryMode::reserved;
    ApplianceView appliance =
        makeAppliance(fp(32, 65536), fp(2, 4096),
                      {activeNode("a", 900, fp(2, 4096), fp(8, 24576)),
                       standby("b", 800, fp(1, 2048), fp(6, 16384), 500, "rack"),
                       standby("c", 700, fp(1, 2048), fp(4, 12288), 800, "rack"),
                       standby("d", 600, fp(1, 2048), fp(8, 8192), 300),
                       standby("e", 200, fp(2, 4096), fp(4, 10240), 1000), fenced,
                       makeNode("g", 400, fp(1, 8192), fp(2, 8192), reserved)});
    appliance.groups = {{"rack", 5000, 10}};
    return appliance;
}

// The rule as docs/sizing-method.md states it, from the nodes' numbers: a takeover is denied
// when a failing cluster cannot take over at all, or when the failing clusters need more than
// the free headroom plus the standby footprint of a node all of them may preempt.
double bruteForce(const ApplianceView& appliance, double horizon_hours) {
    const sizing::Footprint free = referenceFree(appliance);
    std::vector<const NodeView*> candidates;
    for (const NodeView& node : appliance.nodes) {
        if (node.state != NodeState::Active) {
            candidates.push_back(&node);
        }
    }
    auto needs = [](const NodeView& node) {
        const bool reserved = node.spec.memory_mode == sizing::MemoryMode::reserved;
        return sizing::Footprint{
            node.spec.active.vcpus - node.spec.standby.vcpus,
            reserved ? 0 : node.spec.active.memory_mib - node.spec.standby.memory_mib};
    };
    // Of the candidates here only "e" (priority 200, below every other standby node that needs
    // room) lends its standby footprint; checked against the fleet rather than assumed.
    const NodeView* lender = nullptr;
    for (const NodeView* node : candidates) {
        bool lowest = node->state == NodeState::Standby;
        for (const NodeView* other : candidates) {
            const sizing::Footprint need = needs(*other);
            if (other != node && other->state == NodeState::Standby &&
                (need.vcpus > 0 || need.memory_mib > 0) && other->priority <= node->priority) {
                lowest = false;
            }
        }
        if (lowest) {
            lender = node;
        }
    }
    if (lender == nullptr || lender->cluster != "e") {
        return -1;
    }
    const double p_group = within(appliance.groups[0].mtbf_hours, horizon_hours);
    double denied = 0;
    const std::size_t n = candidates.size();
    for (int group_on = 0; group_on < 2; ++group_on) {
        for (std::uint32_t state = 0; state < (1U << n); ++state) {
            double probability = group_on ? p_group : 1 - p_group;
            std::int64_t memory = 0;
            std::int64_t vcpus = 0;
            bool refused = false;
            for (std::size_t i = 0; i < n; ++i) {
                const NodeView& node = *candidates[i];
                const double p = within(node.spec.mtbf_hours, horizon_hours);
                const bool own = (state >> i) & 1U;
                probability *= own ? p : 1 - p;
                if (!own && !(group_on && node.spec.group == "rack")) {
                    continue;
                }
                refused = refused || node.state != NodeState::Standby;
                const sizing::Footprint need = &node == lender ? node.spec.active : needs(node);
                memory += need.memory_mib;
                vcpus += need.vcpus;
            }
            const std::int64_t pool_memory = free.memory_mib + lender->spec.standby.memory_mib;
            const std::int64_t pool_vcpus = free.vcpus + lender->spec.standby.vcpus;
            if (refused || memory > pool_memory || vcpus > pool_vcpus) {
                denied += probability;
            }
        }
    }
    return denied;
}

// The demo fleet on its 256 GiB, 64-vCPU appliance, the named clusters holding grants at their
// active footprint and the others in `states`.
ApplianceView demoFleet(const std::set<std::string>& active,
                        const std::map<std::string, NodeState>& states) {
    auto fleet = sizing::parseFleetJson(
        testsupport::readSourceFile(QStringLiteral("appliance/data/demo-fleet.json")).toStdString(),
        "demo-fleet.json");
    if (!fleet) {
        qFatal("demo-fleet.json: %s", fleet.error().describe().c_str());
    }
    ApplianceView appliance = makeAppliance(fp(64, 262144), {}, {});
    appliance.groups = fleet->groups;
    for (const sizing::ClusterSpec& cluster : fleet->clusters) {
        NodeView node = makeNode(cluster.name, cluster.priority, cluster.standby, cluster.active);
        node.spec = cluster;
        if (active.count(cluster.name) != 0) {
            node.state = NodeState::Active;
            node.grant = cluster.active;
        } else if (auto state = states.find(cluster.name); state != states.end()) {
            node.state = state->second;
        }
        appliance.nodes.push_back(std::move(node));
    }
    return appliance;
}

struct Sampled {
    double not_at_full_size = 0;  // what denial_risk counts
    double denied = 0;            // denied, partial, or refused in its state
    double half_width = 0;        // 4σ of the first
    double denied_half_width = 0;
};

// Failures within the horizon drawn as the model has them (own or the group's), then taken over
// by the arbitration, highest priority first, as the what-if does.
Sampled sampleArbitration(const ApplianceView& appliance, const std::string& lender,
                          double horizon_hours, int samples, std::uint64_t seed) {
    std::mt19937_64 engine(seed);
    std::uniform_real_distribution<double> uniform(0, 1);
    std::int64_t short_count = 0;
    std::int64_t denied_count = 0;
    for (int s = 0; s < samples; ++s) {
        const bool group_on =
            uniform(engine) < within(appliance.groups[0].mtbf_hours, horizon_hours);
        std::vector<std::string> failing;
        bool refused = false;
        for (const NodeView& node : appliance.nodes) {
            if (node.state == NodeState::Active) {
                continue;
            }
            const bool fails = uniform(engine) < within(node.spec.mtbf_hours, horizon_hours) ||
                               (group_on && node.spec.group == appliance.groups[0].name);
            if (!fails) {
                continue;
            }
            if (node.state == NodeState::Standby) {
                failing.push_back(node.name);
            } else {
                refused = true;
            }
        }
        bool denied = refused;
        bool beyond_pool = false;
        for (const WhatIfTakeover& takeover :
             failing.empty() ? std::vector<WhatIfTakeover>{}
                             : simulateTakeovers(appliance, failing, ArbitrationPolicy{})) {
            denied = denied || takeover.outcome == "denied" || takeover.outcome == "partial";
            for (const std::string& preempted : takeover.preempted) {
                beyond_pool = beyond_pool || preempted != lender + "-passive";
            }
        }
        denied_count += denied ? 1 : 0;
        short_count += denied || beyond_pool ? 1 : 0;
    }
    Sampled made;
    const double n = samples;
    made.not_at_full_size = static_cast<double>(short_count) / n;
    made.denied = static_cast<double>(denied_count) / n;
    made.half_width = 4 * std::sqrt(made.not_at_full_size * (1 - made.not_at_full_size) / n);
    made.denied_half_width = 4 * std::sqrt(made.denied * (1 - made.denied) / n);
    return made;
}

}  // namespace

class TestDenialRisk : public QObject {
    Q_OBJECT
private slots:
    void matchesABruteForceOverEveryFailureState_data();
    void matchesABruteForceOverEveryFailureState();
    void anUnreachableApplianceDeniesEveryFailure();
    void activeNodesAndNodesThatNeedNothingAddNoRisk();
    void theMemoRecomputesOnlyWhenTheModelChanges();
    void agreesWithTheArbitrationSampledOnTheDemoFleet_data();
    void agreesWithTheArbitrationSampledOnTheDemoFleet();
};

void TestDenialRisk::matchesABruteForceOverEveryFailureState_data() {
    QTest::addColumn<double>("horizon");
    QTest::newRow("24 hours") << 24.0;
    QTest::newRow("30 days") << 720.0;
    QTest::newRow("a year") << 8760.0;
}

void TestDenialRisk::matchesABruteForceOverEveryFailureState() {
    QFETCH(double, horizon);
    const ApplianceView appliance = smallFleet();
    // The numbers the brute force starts from: 18 GiB and 16 vCPUs free beside a's grant.
    QCOMPARE(referenceFree(appliance).memory_mib, std::int64_t{18432});
    QCOMPARE(referenceFree(appliance).vcpus, std::int64_t{16});
    const double expected = bruteForce(appliance, horizon);
    QVERIFY2(expected > 0, "the brute force found no lender");
    const double value = denialRisk(denialRiskModel(appliance, true, ArbitrationPolicy{}, horizon));
    QVERIFY2(std::abs(value - expected) <= 1e-12 + 1e-9 * expected,
             qPrintable(QStringLiteral("denial_risk %1, brute force %2").arg(value).arg(expected)));
}

void TestDenialRisk::anUnreachableApplianceDeniesEveryFailure() {
    const ApplianceView appliance = smallFleet();
    double none = 1 - within(5000, 24);
    for (const NodeView& node : appliance.nodes) {
        if (node.state != NodeState::Active) {
            none *= 1 - within(node.spec.mtbf_hours, 24);
        }
    }
    const double value = denialRisk(denialRiskModel(appliance, false, ArbitrationPolicy{}, 24));
    QVERIFY2(std::abs(value - (1 - none)) <= 1e-12, qPrintable(QString::number(value)));
}

void TestDenialRisk::activeNodesAndNodesThatNeedNothingAddNoRisk() {
    NodeOptions reserved;
    reserved.memory_mode = sizing::MemoryMode::reserved;
    reserved.mtbf_hours = 1;
    const ApplianceView appliance =
        makeAppliance(fp(8, 32768), {},
                      {activeNode("a", 900, fp(2, 4096), fp(4, 16384)),
                       makeNode("same", 100, fp(2, 8192), fp(2, 8192), reserved)});
    QCOMPARE(denialRisk(denialRiskModel(appliance, true, ArbitrationPolicy{}, 24)), 0.0);
}

void TestDenialRisk::theMemoRecomputesOnlyWhenTheModelChanges() {
    ApplianceView appliance = smallFleet();
    DenialRiskMemo memo;
    const DenialRiskModel before = denialRiskModel(appliance, true, ArbitrationPolicy{}, 24);
    const double first = memo.valueFor(before);
    QCOMPARE(memo.valueFor(denialRiskModel(appliance, true, ArbitrationPolicy{}, 24)), first);
    appliance.nodes[0].state = NodeState::Standby;  // a released: its grant is free again
    appliance.nodes[0].grant.reset();
    const DenialRiskModel after = denialRiskModel(appliance, true, ArbitrationPolicy{}, 24);
    QVERIFY(!(after == before));
    QCOMPARE(memo.valueFor(after), denialRisk(after));
    QVERIFY2(memo.valueFor(after) != first, "a release changes the risk");
}

void TestDenialRisk::agreesWithTheArbitrationSampledOnTheDemoFleet_data() {
    QTest::addColumn<ApplianceView>("appliance");
    QTest::addColumn<QString>("lender");  // the lowest-priority standby node
    // As the session left it: 96 % of memory granted, mail and legacy-win preempted.
    QTest::newRow("dwh, erp, billing and crm active")
        << demoFleet({"dwh", "erp", "billing", "crm"},
                     {{"mail", NodeState::Preempted}, {"legacy-win", NodeState::Preempted}})
        << QStringLiteral("files");
    // crm still standby in rack-a: takeovers that succeed only by preempting mid-priority nodes.
    QTest::newRow("dwh, erp and billing active")
        << demoFleet({"dwh", "erp", "billing"}, {}) << QStringLiteral("mail");
}

void TestDenialRisk::agreesWithTheArbitrationSampledOnTheDemoFleet() {
    QFETCH(ApplianceView, appliance);
    QFETCH(QString, lender);
    // A 30-day horizon gives the sampler enough failures; the exact value takes any.
    constexpr double kHorizon = 720;
    const double exact =
        denialRisk(denialRiskModel(appliance, true, ArbitrationPolicy{}, kHorizon));
    const Sampled sampled =
        sampleArbitration(appliance, lender.toStdString(), kHorizon, 200'000, 7);
    const QString figures = QStringLiteral("exact %1, sampled %2 ± %3, denied alone %4")
                                .arg(exact)
                                .arg(sampled.not_at_full_size)
                                .arg(sampled.half_width)
                                .arg(sampled.denied);
    qInfo("%s", qPrintable(figures));
    QVERIFY2(exact > 0.01 && exact < 0.99, qPrintable(figures));
    // What the value counts, seen from the arbitration: a takeover denied, partial, or granted
    // only by preempting a node other than the lowest-priority one.
    QVERIFY2(std::abs(exact - sampled.not_at_full_size) <= sampled.half_width, qPrintable(figures));
    // And so a bound on the denials alone.
    QVERIFY2(sampled.denied <= exact + sampled.denied_half_width, qPrintable(figures));
}

QTEST_APPLESS_MAIN(TestDenialRisk)
#include "test_denial_risk.moc"

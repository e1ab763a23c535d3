// ApplianceCore::setPolicy (the SIGHUP reload of [policy]): written while takeovers are in
// flight without disturbing them, and the next admission decision follows the new policy.
#include <QTest>
#include <vector>

#include "tests/appliance/core/core_fixture.h"
#include "tests/support/libvirt_test_main.h"

using namespace understudy;
using namespace understudy::core;
using namespace understudy::hypervisor;
using namespace understudy::policy;
using namespace understudy::core::testing;

namespace {

// Far beyond what a 64-CPU, 256 GiB host can serve at the default risk target.
ClusterRegistration oversized(const std::string& name) {
    ClusterRegistration made = cluster(name, 100, {1, 512}, {60, 250000});
    made.spec.mtbf_hours = 100;
    made.spec.mttr_hours = 100;
    return made;
}

}  // namespace

class TestCorePolicyReload : public QObject {
    Q_OBJECT

private slots:
    void thePolicyChangesUnderTakeoversInFlightAndDecidesTheNextAdmission() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        CoreConfig config;
        config.appliances = {applianceConfig("pna", writeHost(dir, "pna", 64, 262144))};
        const std::string database = dir.filePath("core.db").toStdString();
        auto core = ApplianceCore::open(config, database, defaultTemplate());
        QVERIFY_OK(core);
        RegistrationRequest fleet;
        for (int i = 0; i < 6; ++i) {
            fleet.clusters.push_back(
                cluster("c" + std::to_string(i), 500, {1, 1024}, {2, 4096}, "pna"));
        }
        auto registered = (*core)->registerClusters(fleet).result();
        QVERIFY_OK(registered);
        QVERIFY(registered->accepted);

        RegistrationRequest big;
        big.clusters = {oversized("big1")};
        auto refused = (*core)->registerClusters(big).result();
        QVERIFY(refused);
        QVERIFY(!refused->accepted);

        std::vector<QFuture<Result<TakeoverOutcome>>> takeovers;
        for (int i = 0; i < 6; ++i) {
            takeovers.push_back((*core)->takeover("c" + std::to_string(i) + "-passive"));
        }
        CorePolicy policy = (*core)->config().policy;
        policy.admission = AdmissionMode::warn;
        policy.target_risk = 1e-3;
        policy.contention = {ContentionStep::headroom, ContentionStep::deny};
        policy.restore_preempted = false;
        QVERIFY((*core)->setPolicy(policy));
        for (auto& takeover : takeovers) {
            auto outcome = takeover.result();
            QVERIFY_OK(outcome);
            QVERIFY(outcome->granted);
        }
        const CorePolicy& now = (*core)->config().policy;
        QVERIFY(now.admission == AdmissionMode::warn);
        QCOMPARE(now.target_risk, 1e-3);
        QCOMPARE(now.contention.size(), std::size_t{2});
        QVERIFY(!now.restore_preempted);
        // The timings that are not [policy] keep their values.
        QCOMPARE(now.confirm_timeout, CorePolicy{}.confirm_timeout);

        auto warned = (*core)->registerClusters(big).result();
        QVERIFY(warned);
        QVERIFY(warned->accepted);
        QVERIFY(!warned->warnings.empty());
        QVERIFY(hasKind(eventsIn(database), "admission.warned"));
    }
};

QTEST_MAIN_WITHOUT_GLIB(TestCorePolicyReload)
#include "test_core_policy_reload.moc"

// The appliance core on libvirt's test driver with real SQLite files: registration, takeover and
// release, contention, fencing, reconciliation, reconnection and restart.
#include <QtTest>

#include <cstring>
#include <map>

#include "appliance/core/appliance_core.h"
#include "appliance/hypervisor/domain_xml.h"
#include "appliance/hypervisor/libvirt_hypervisor.h"
#include "core_fixture.h"
#include "db/node_repository.h"
#include "tests/support/libvirt_test_main.h"

using namespace understudy;
using namespace understudy::core;
using namespace understudy::hypervisor;
using namespace understudy::policy;
using namespace understudy::core::testing;

namespace {

constexpr int kEventWaitMs = 10000;

}  // namespace

class TestApplianceCore : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void registersTakesOverReleasesAndRemovesANode();
    void placesAClusterWhereTheWorstRiskIsLowest();
    void refusedRegistrationLeavesNoDomainNoRowsButTheEvent();
    void adoptsAnExistingDomainAndRefusesOneOwnedByAnotherNode();
    void takeoverAndReleaseAreIdempotent();
    void preemptsLowerPriorityNodesAndRestoresThemHighestFirst();
    void grantsPartialCpuWhenOnlySomeVcpusAreFree();
    void deniesWithTheReasonAndChangesNothingButTwoEvents();
    void takeoverOfAFencedNodeIsAConflictNamingTheState();
    void fencingTouchesOnlyItsOwnDomain();
    void removalOfAnActiveClusterIsAConflict();
    void detectsDriftWhenADomainIsDestroyedBehindTheCoresBack();
    void marksANodeMissingWhenItsDomainIsUndefinedBehindTheCoresBack();
    void reconnectLogsBothEventsAndReconciles();
    void recreatesMissingDomainsWhenConfiguredTo();
    void restartKeepsStateGrantsAndEvents();
    void foreignDomainsCountAsForeignLoadAndAreNeverTouched();
    void readinessAndWhatIfChangeNothing();
    void clusterChangesGoThroughAdmission();
    void groupsAreCreatedChangedAndOnlyDeletedWhenEmpty();
    void emitsEventsAppendedAfterEachCommit();
    void routesANodeToTheApplianceItWasRegisteredOnAgain();

private:
    std::unique_ptr<ApplianceCore> open(std::vector<ApplianceConfig> appliances,
                                        AdmissionMode mode = AdmissionMode::enforce,
                                        double target_risk = 1e-4);
    std::string database() const { return dir_->filePath(QStringLiteral("core.db")).toStdString(); }

    std::unique_ptr<QTemporaryDir> dir_;
};

void TestApplianceCore::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    QVERIFY(dir_->isValid());
}

void TestApplianceCore::cleanup() {
    dir_.reset();
}

std::unique_ptr<ApplianceCore> TestApplianceCore::open(std::vector<ApplianceConfig> appliances,
                                                       AdmissionMode mode, double target_risk) {
    CoreConfig config;
    config.policy.admission = mode;
    config.policy.target_risk = target_risk;
    config.appliances = std::move(appliances);
    return openCore(config, database());
}

void TestApplianceCore::registersTakesOverReleasesAndRemovesANode() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 65536))});
    QVERIFY(core);
    auto registered =
        core->registerClusters({{}, {cluster("erp", 900, {1, 1024}, {4, 8192})}}).result();
    QVERIFY_OK(registered);
    QVERIFY(registered->accepted);
    QCOMPARE(registered->clusters.size(), std::size_t(1));
    QCOMPARE(registered->clusters[0].node, std::string("erp-passive"));
    QCOMPARE(registered->clusters[0].appliance, std::string("pna-1"));

    LibvirtHypervisor* hv = core->hypervisorForTest("pna-1");
    QVERIFY(hv);
    auto standby = hv->domainInfo("erp-passive");
    QVERIFY_OK(standby);
    QCOMPARE(standby->state, DomainState::running);
    QCOMPARE(standby->memoryMib(), std::int64_t(1024));
    QCOMPARE(standby->vcpus, 1);
    QCOMPARE(standby->maxMemoryMib(), std::int64_t(8192));
    QVERIFY(standby->metadata.has_value());
    QCOMPARE(standby->metadata->cluster, std::string("erp"));

    auto taken = core->takeover("erp-passive").result();
    QVERIFY_OK(taken);
    QVERIFY(taken->granted);
    QCOMPARE(taken->grant->footprint, (sizing::Footprint{4, 8192}));
    QVERIFY(!taken->grant->partial);
    auto grown = hv->domainInfo("erp-passive");
    QCOMPARE(grown->memoryMib(), std::int64_t(8192));
    QCOMPARE(grown->vcpus, 4);
    auto active = core->node("erp-passive");
    QVERIFY_OK(active);
    QCOMPARE(active->state, db::NodeState::Active);
    QVERIFY(active->grant.has_value());
    QCOMPARE(active->current, std::optional(sizing::Footprint{4, 8192}));

    QVERIFY(core->release("erp-passive").result().ok());
    auto shrunk = hv->domainInfo("erp-passive");
    QCOMPARE(shrunk->memoryMib(), std::int64_t(1024));
    QCOMPARE(shrunk->vcpus, 1);
    QCOMPARE(core->node("erp-passive")->state, db::NodeState::Standby);
    QVERIFY(!core->node("erp-passive")->grant.has_value());

    auto removed = core->removeCluster("erp").result();
    QVERIFY_OK(removed);
    auto gone = hv->domainInfo("erp-passive");
    QVERIFY(!gone.ok());
    QCOMPARE(gone.error().code, std::string("domain_not_found"));
    QVERIFY(core->nodes()->empty());

    const std::vector<std::string> expected{"admission.accepted",
                                            "cluster.registered",
                                            "takeover.requested",
                                            "takeover.granted",
                                            "release",
                                            "cluster.removed"};
    QCOMPARE(kindsIn(eventsIn(database())), expected);
}

void TestApplianceCore::placesAClusterWhereTheWorstRiskIsLowest() {
    auto core = open({applianceConfig("small", writeHost(*dir_, "small", 8, 4096)),
                      applianceConfig("large", writeHost(*dir_, "large", 8, 65536))});
    QVERIFY(core);
    // Failed over, erp would overflow the small host (risk > 0) but not the large one.
    auto registered =
        core->registerClusters({{}, {cluster("erp", 500, {1, 2048}, {4, 6144})}}).result();
    QVERIFY_OK(registered);
    QVERIFY(registered->accepted);
    QCOMPARE(registered->clusters[0].appliance, std::string("large"));
    QVERIFY(core->hypervisorForTest("large")->domainInfo("erp-passive").ok());
    QVERIFY(!core->hypervisorForTest("small")->domainInfo("erp-passive").ok());
}

void TestApplianceCore::refusedRegistrationLeavesNoDomainNoRowsButTheEvent() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host", 8, 8192))});
    QVERIFY(core);
    // Its active memory can never fit: unservable, refused under enforce.
    auto registered =
        core->registerClusters({{}, {cluster("huge", 500, {1, 1024}, {4, 16384})}}).result();
    QVERIFY_OK(registered);
    QVERIFY(!registered->accepted);
    QCOMPARE(registered->admissions.size(), std::size_t(1));
    QVERIFY(!registered->admissions[0].decision.unservable.empty());
    QVERIFY(registered->clusters.empty());
    auto domains = core->hypervisorForTest("pna-1")->listDomains();
    QVERIFY(domains.ok());
    QVERIFY(domains->empty());
    QVERIFY(core->clusters()->empty());
    QVERIFY(core->nodes()->empty());
    const std::vector<std::string> expected{"admission.refused"};
    QCOMPARE(kindsIn(eventsIn(database())), expected);
}

void TestApplianceCore::adoptsAnExistingDomainAndRefusesOneOwnedByAnotherNode() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 65536))});
    QVERIFY(core);
    QVERIFY(core->registerClusters({{}, {cluster("erp", 500, {1, 1024}, {2, 4096})}})
                .result()
                ->accepted);
    // A domain some admin made from the same template, not ours yet.
    auto domain_template = loadDomainTemplate(defaultTemplate());
    QVERIFY(domain_template.ok());
    NodeMetadata wanted{"crm", "crm-vm", {1, 1024}, {2, 4096}, sizing::MemoryMode::balloon};
    auto xml = renderDomainXml(*domain_template, DomainSpec{"crm-vm", {}, wanted, false});
    QVERIFY(xml.ok());
    LibvirtHypervisor* hv = core->hypervisorForTest("pna-1");
    // Define it with the metadata stripped: the adopted domain must carry none of Understudy's.
    std::string bare = *xml;
    const auto from = bare.find("<metadata>");
    const auto to = bare.find("</metadata>");
    QVERIFY(from != std::string::npos && to != std::string::npos);
    bare.erase(from, to + std::strlen("</metadata>") - from);
    QVERIFY(hv->defineDomain(bare).ok());
    QVERIFY(!hv->domainInfo("crm-vm")->owned);

    ClusterRegistration crm = cluster("crm", 500, {1, 1024}, {2, 4096});
    crm.node = "crm-vm";
    crm.domain = "crm-vm";
    auto adopted = core->registerClusters({{}, {crm}}).result();
    QVERIFY_OK(adopted);
    QVERIFY(adopted->accepted);
    QVERIFY(!adopted->clusters[0].defined_by_service);
    auto info = hv->domainInfo("crm-vm");
    QCOMPARE(info->state, DomainState::running);
    QVERIFY(info->metadata.has_value());
    QCOMPARE(info->metadata->node, std::string("crm-vm"));

    ClusterRegistration thief = cluster("thief", 500, {1, 1024}, {2, 4096});
    thief.domain = "erp-passive";
    auto refused = core->registerClusters({{}, {thief}}).result();
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, std::string("conflict"));
    QVERIFY(!core->node("thief-passive").ok());

    // Removing an adopted cluster leaves its domain to the admin.
    QVERIFY(core->removeCluster("crm").result().ok());
    QVERIFY(hv->domainInfo("crm-vm").ok());
}

void TestApplianceCore::takeoverAndReleaseAreIdempotent() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 65536))});
    QVERIFY(core);
    QVERIFY(core->registerClusters({{}, {cluster("erp", 500, {1, 1024}, {4, 8192})}})
                .result()
                ->accepted);
    QVERIFY(core->release("erp-passive").result().ok());
    auto first = core->takeover("erp-passive").result();
    auto second = core->takeover("erp-passive").result();
    QVERIFY(first.ok() && second.ok());
    QVERIFY(second->granted);
    QCOMPARE(second->grant->footprint, first->grant->footprint);
    QVERIFY(core->release("erp-passive").result().ok());
    QVERIFY(core->release("erp-passive").result().ok());
    const auto events = eventsIn(database());
    QCOMPARE(std::count_if(events.begin(), events.end(),
                           [](const db::DBEvent& e) { return e.kind == "takeover.granted"; }),
             1);
    QCOMPARE(std::count_if(events.begin(), events.end(),
                           [](const db::DBEvent& e) { return e.kind == "release"; }),
             1);
}

void TestApplianceCore::preemptsLowerPriorityNodesAndRestoresThemHighestFirst() {
    auto core =
        open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 8192))}, AdmissionMode::warn);
    QVERIFY(core);
    auto registered = core->registerClusters({{},
                                              {cluster("low", 100, {1, 1024}, {2, 2048}),
                                               cluster("mid", 200, {1, 1024}, {2, 2048}),
                                               cluster("top", 900, {1, 1024}, {4, 8192})}})
                          .result();
    QVERIFY_OK(registered);
    QVERIFY(registered->accepted);
    QVERIFY(!registered->warnings.empty());
    const db::Id before = *core->lastEventId();

    // 8192 usable − 3 × 1024 standby = 5120 free; top needs 7168 more: both others must go.
    const core::Actor top_cluster{"cluster:top", "10.0.0.5"};
    auto taken = core->takeover("top-passive", top_cluster).result();
    QVERIFY_OK(taken);
    QVERIFY(taken->granted);
    const std::vector<std::string> both{"low-passive", "mid-passive"};
    QCOMPARE(taken->grant->preempted, both);
    LibvirtHypervisor* hv = core->hypervisorForTest("pna-1");
    for (const std::string& name : both) {
        QCOMPARE(hv->domainInfo(name)->state, DomainState::shut_off);
        QCOMPARE(*hv->hasManagedSave(name), true);
        QCOMPARE(core->node(name)->state, db::NodeState::Preempted);
    }
    QCOMPARE(hv->domainInfo("top-passive")->memoryMib(), std::int64_t(8192));

    QVERIFY(core->release("top-passive", core::Actor{"admin", "::1"}).result().ok());
    for (const std::string& name : both) {
        QCOMPARE(hv->domainInfo(name)->state, DomainState::running);
        QCOMPARE(*hv->hasManagedSave(name), false);
        QCOMPARE(core->node(name)->state, db::NodeState::Standby);
    }
    std::vector<std::string> restored;
    // The preemptions are the takeover's requester's doing, the restorations the releaser's.
    const std::map<std::string, std::string> actors{{"takeover.requested", "cluster:top@10.0.0.5"},
                                                    {"preempted", "cluster:top@10.0.0.5"},
                                                    {"takeover.granted", "cluster:top@10.0.0.5"},
                                                    {"release", "admin@::1"},
                                                    {"restored", "admin@::1"}};
    for (const db::DBEvent& event : eventsIn(database(), before)) {
        if (event.kind == "restored") {
            restored.push_back(*event.node);
        }
        QVERIFY2(actors.count(event.kind) == 1, event.kind.c_str());
        QCOMPARE(event.actor.value_or("(none)"), actors.at(event.kind));
    }
    const std::vector<std::string> order{"mid-passive", "low-passive"};
    QCOMPARE(restored, order);
}

void TestApplianceCore::grantsPartialCpuWhenOnlySomeVcpusAreFree() {
    auto core =
        open({applianceConfig("pna-1", writeHost(*dir_, "host", 4, 65536))}, AdmissionMode::warn);
    QVERIFY(core);
    QVERIFY(core->registerClusters({{},
                                    {cluster("a", 500, {1, 1024}, {2, 2048}),
                                     cluster("b", 500, {1, 1024}, {3, 2048})}})
                .result()
                ->accepted);
    QVERIFY(core->takeover("a-passive").result()->granted);
    // 4 vCPUs: 2 held by a, 1 by b's standby, 1 free: b gets 2 of its 3.
    auto partial = core->takeover("b-passive").result();
    QVERIFY_OK(partial);
    QVERIFY(partial->granted);
    QVERIFY(partial->grant->partial);
    QCOMPARE(partial->grant->footprint, (sizing::Footprint{2, 2048}));
    QCOMPARE(core->hypervisorForTest("pna-1")->domainInfo("b-passive")->vcpus, 2);
    QCOMPARE(core->node("b-passive")->current, std::optional(sizing::Footprint{2, 2048}));
}

void TestApplianceCore::deniesWithTheReasonAndChangesNothingButTwoEvents() {
    auto core =
        open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 8192))}, AdmissionMode::warn);
    QVERIFY(core);
    QVERIFY(core->registerClusters({{},
                                    {cluster("crm", 950, {1, 1024}, {2, 6144}),
                                     cluster("erp", 500, {1, 1024}, {2, 6144})}})
                .result()
                ->accepted);
    QVERIFY(core->takeover("crm-passive").result()->granted);
    const auto nodes_before = core->nodes();
    const db::Id before = *core->lastEventId();

    auto denied = core->takeover("erp-passive").result();
    QVERIFY_OK(denied);
    QVERIFY(!denied->granted);
    QVERIFY(denied->denial.has_value());
    QCOMPARE(denied->denial->resource, sizing::Resource::memory_mib);
    QCOMPARE(denied->denial->needed, std::int64_t(5120));
    QCOMPARE(denied->denial->free, std::int64_t(1024));
    QCOMPARE(denied->denial->holders.size(), std::size_t(1));
    QCOMPARE(denied->denial->holders[0].node, std::string("crm-passive"));
    QCOMPARE(denied->denial->holders[0].holds, std::int64_t(5120));
    QVERIFY(denied->denial->preemptable.empty());

    const auto events = eventsIn(database(), before);
    const std::vector<std::string> expected{"takeover.requested", "takeover.denied"};
    QCOMPARE(kindsIn(events), expected);
    QVERIFY(QByteArray::fromStdString(events[1].details).contains("\"holders\""));
    const auto nodes_after = core->nodes();
    QCOMPARE(nodes_after->size(), nodes_before->size());
    for (std::size_t i = 0; i < nodes_after->size(); ++i) {
        QCOMPARE((*nodes_after)[i].state, (*nodes_before)[i].state);
        QCOMPARE((*nodes_after)[i].since, (*nodes_before)[i].since);
    }
    QCOMPARE(core->hypervisorForTest("pna-1")->domainInfo("erp-passive")->memoryMib(),
             std::int64_t(1024));
}

void TestApplianceCore::takeoverOfAFencedNodeIsAConflictNamingTheState() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 65536))});
    QVERIFY(core);
    QVERIFY(core->registerClusters({{}, {cluster("erp", 500, {1, 1024}, {2, 4096})}})
                .result()
                ->accepted);
    QCOMPARE(*core->power("erp-passive", PowerAction::off).result(), PowerState::off);
    auto refused = core->takeover("erp-passive").result();
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, std::string("conflict"));
    QCOMPARE(refused.error().where, std::string("fenced"));
    auto unknown = core->takeover("nobody").result();
    QCOMPARE(unknown.error().code, std::string("not_found"));
}

void TestApplianceCore::fencingTouchesOnlyItsOwnDomain() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 65536, 2048))});
    QVERIFY(core);
    QVERIFY(core->registerClusters({{},
                                    {cluster("a", 500, {1, 1024}, {2, 4096}),
                                     cluster("b", 500, {1, 1024}, {2, 4096}),
                                     cluster("c", 500, {1, 1024}, {2, 4096})}})
                .result()
                ->accepted);
    QVERIFY(core->takeover("c-passive").result()->granted);
    LibvirtHypervisor* hv = core->hypervisorForTest("pna-1");
    auto snapshot = [&] {
        std::map<std::string, std::pair<DomainState, std::int64_t>> states;
        const auto domains = hv->listDomains();
        if (!domains) {
            return states;
        }
        for (const DomainInfo& info : *domains) {
            states[info.name] = {info.state, info.memory_kib};
        }
        return states;
    };
    const auto before = snapshot();

    QCOMPARE(*core->power("b-passive", PowerAction::off).result(), PowerState::off);
    auto after = snapshot();
    QCOMPARE(after["b-passive"].first, DomainState::shut_off);
    after.erase("b-passive");
    auto expected = before;
    expected.erase("b-passive");
    QVERIFY(after == expected);
    QCOMPARE(core->node("b-passive")->state, db::NodeState::Fenced);
    QCOMPARE(core->node("a-passive")->state, db::NodeState::Standby);
    QCOMPARE(core->node("c-passive")->state, db::NodeState::Active);
    QCOMPARE(*core->power("b-passive", PowerAction::status).result(), PowerState::off);

    QCOMPARE(*core->power("b-passive", PowerAction::reboot).result(), PowerState::on);
    QCOMPARE(hv->domainInfo("b-passive")->state, DomainState::running);
    QCOMPARE(core->node("b-passive")->state, db::NodeState::Standby);
    QCOMPARE(*core->power("b-passive", PowerAction::on).result(), PowerState::on);
    QCOMPARE(snapshot(), before);

    // Fencing an active node closes its grant in the books.
    QCOMPARE(*core->power("c-passive", PowerAction::off).result(), PowerState::off);
    QVERIFY(!core->node("c-passive")->grant.has_value());
    QCOMPARE(hv->domainInfo("foreign-vm")->state, DomainState::running);
    const auto kinds = kindsIn(eventsIn(database()));
    QCOMPARE(std::count(kinds.begin(), kinds.end(), std::string("fence.off")), 2);
    QCOMPARE(std::count(kinds.begin(), kinds.end(), std::string("fence.reboot")), 1);
    QCOMPARE(std::count(kinds.begin(), kinds.end(), std::string("fence.on")), 1);
}

void TestApplianceCore::removalOfAnActiveClusterIsAConflict() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 65536))});
    QVERIFY(core);
    QVERIFY(core->registerClusters({{}, {cluster("erp", 500, {1, 1024}, {2, 4096})}})
                .result()
                ->accepted);
    QVERIFY(core->takeover("erp-passive").result()->granted);
    auto refused = core->removeCluster("erp").result();
    QVERIFY(!refused.ok());
    QCOMPARE(refused.error().code, std::string("conflict"));
    QCOMPARE(refused.error().where, std::string("active"));
    QVERIFY(core->hypervisorForTest("pna-1")->domainInfo("erp-passive").ok());
    QCOMPARE(core->clusters()->size(), std::size_t(1));
}

void TestApplianceCore::detectsDriftWhenADomainIsDestroyedBehindTheCoresBack() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 65536))});
    QVERIFY(core);
    QVERIFY(core->registerClusters({{},
                                    {cluster("a", 500, {1, 1024}, {2, 4096}),
                                     cluster("b", 500, {1, 1024}, {2, 4096})}})
                .result()
                ->accepted);
    LibvirtHypervisor* hv = core->hypervisorForTest("pna-1");
    QVERIFY(hv->destroy("a-passive").ok());
    QTRY_COMPARE_WITH_TIMEOUT(core->node("a-passive")->state, db::NodeState::Drifted, kEventWaitMs);
    QCOMPARE(core->node("b-passive")->state, db::NodeState::Standby);
    const auto events = eventsIn(database());
    QVERIFY(hasKind(events, "node.drifted", "a-passive"));
    QVERIFY(QByteArray::fromStdString(events.back().details).contains("running: expected running"));
    // Memory ballooned behind the core's back is drift too.
    QVERIFY(hv->setMemoryLive("b-passive", 2048).ok());
    QVERIFY(core->reconcile().result().ok());
    QCOMPARE(core->node("b-passive")->state, db::NodeState::Drifted);
    // Powering it on brings it back to its standby footprint.
    QCOMPARE(*core->power("a-passive", PowerAction::on).result(), PowerState::on);
    QCOMPARE(core->node("a-passive")->state, db::NodeState::Standby);
    QCOMPARE(hv->domainInfo("a-passive")->memoryMib(), std::int64_t(1024));
}

void TestApplianceCore::marksANodeMissingWhenItsDomainIsUndefinedBehindTheCoresBack() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 65536))});
    QVERIFY(core);
    QVERIFY(
        core->registerClusters({{}, {cluster("a", 500, {1, 1024}, {2, 4096})}}).result()->accepted);
    QVERIFY(core->takeover("a-passive").result()->granted);
    LibvirtHypervisor* hv = core->hypervisorForTest("pna-1");
    QVERIFY(hv->destroy("a-passive").ok());
    QVERIFY(hv->undefineDomain("a-passive").ok());
    QTRY_COMPARE_WITH_TIMEOUT(core->node("a-passive")->state, db::NodeState::Missing, kEventWaitMs);
    QVERIFY(hasKind(eventsIn(database()), "node.missing", "a-passive"));
    // The grant went with the domain; nothing was re-defined on a real-style appliance.
    QVERIFY(!core->node("a-passive")->grant.has_value());
    QVERIFY(!hv->domainInfo("a-passive").ok());
    auto refused = core->takeover("a-passive").result();
    QCOMPARE(refused.error().where, std::string("missing"));
}

void TestApplianceCore::reconnectLogsBothEventsAndReconciles() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 65536))});
    QVERIFY(core);
    QVERIFY(
        core->registerClusters({{}, {cluster("a", 500, {1, 1024}, {2, 4096})}}).result()->accepted);
    core->hypervisorForTest("pna-1")->disconnectForTest();
    QTRY_VERIFY_WITH_TIMEOUT(hasKind(eventsIn(database()), "hypervisor.connected"), kEventWaitMs);
    // A test-driver host starts empty on each new connection: the reconciliation finds the
    // domain gone.
    QTRY_COMPARE_WITH_TIMEOUT(core->node("a-passive")->state, db::NodeState::Missing, kEventWaitMs);
    const auto kinds = kindsIn(eventsIn(database()));
    const auto lost = std::find(kinds.begin(), kinds.end(), "hypervisor.disconnected");
    const auto back = std::find(kinds.begin(), kinds.end(), "hypervisor.connected");
    const auto missing = std::find(kinds.begin(), kinds.end(), "node.missing");
    QVERIFY(lost < back && back < missing && missing != kinds.end());
    QVERIFY((*core->appliances())[0].connected);
}

void TestApplianceCore::recreatesMissingDomainsWhenConfiguredTo() {
    auto core = open(
        {applianceConfig("pna-1", writeHost(*dir_, "host", 16, 65536), 1.0, /*recreate=*/true)});
    QVERIFY(core);
    QVERIFY(core->registerClusters({{},
                                    {cluster("a", 500, {1, 1024}, {2, 4096}),
                                     cluster("b", 500, {1, 1024}, {2, 4096})}})
                .result()
                ->accepted);
    QVERIFY(core->takeover("a-passive").result()->granted);
    core->hypervisorForTest("pna-1")->disconnectForTest();
    QTRY_COMPARE_WITH_TIMEOUT(countKind(eventsIn(database()), "node.recreated"), std::ptrdiff_t(2),
                              kEventWaitMs);
    LibvirtHypervisor* hv = core->hypervisorForTest("pna-1");
    QCOMPARE(hv->domainInfo("a-passive")->memoryMib(), std::int64_t(4096));
    QCOMPARE(hv->domainInfo("b-passive")->memoryMib(), std::int64_t(1024));
    QCOMPARE(hv->domainInfo("b-passive")->state, DomainState::running);
    QCOMPARE(core->node("a-passive")->state, db::NodeState::Active);
    QCOMPARE(core->node("b-passive")->state, db::NodeState::Standby);
}

void TestApplianceCore::restartKeepsStateGrantsAndEvents() {
    // test:///default keeps its state while any connection is open: this one outlives the core.
    auto keeper = LibvirtHypervisor::open("test:///default");
    QVERIFY_OK(keeper);
    std::vector<db::DBEvent> events_before;
    {
        auto core = open({applianceConfig("pna-1", "test:///default")}, AdmissionMode::warn);
        QVERIFY(core);
        QVERIFY(core->registerClusters({{},
                                        {cluster("a", 500, {1, 128}, {2, 256}),
                                         cluster("b", 500, {1, 128}, {2, 256})}})
                    .result()
                    ->accepted);
        QVERIFY(core->takeover("a-passive").result()->granted);
        QVERIFY(core->power("b-passive", PowerAction::off).result().ok());
        events_before = eventsIn(database());
    }
    auto core = open({applianceConfig("pna-1", "test:///default")}, AdmissionMode::warn);
    QVERIFY(core);
    QCOMPARE(core->node("a-passive")->state, db::NodeState::Active);
    QCOMPARE(core->node("a-passive")->grant->footprint, (sizing::Footprint{2, 256}));
    QCOMPARE(core->node("a-passive")->current, std::optional(sizing::Footprint{2, 256}));
    QCOMPARE(core->node("b-passive")->state, db::NodeState::Fenced);
    // Reconciled without drift: nothing new in the log.
    QCOMPARE(eventsIn(database()), events_before);
    QVERIFY(core->release("a-passive").result().ok());
    QVERIFY(core->removeCluster("a").result().ok());
    QVERIFY(core->removeCluster("b").result().ok());
    QVERIFY(!(*keeper)->domainInfo("a-passive").ok());
}

void TestApplianceCore::foreignDomainsCountAsForeignLoadAndAreNeverTouched() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 16384, 4096))});
    QVERIFY(core);
    QVERIFY(
        core->registerClusters({{}, {cluster("a", 500, {1, 1024}, {2, 4096})}}).result()->accepted);
    auto appliances = core->appliances();
    QVERIFY_OK(appliances);
    const Headroom& headroom = (*appliances)[0].headroom;
    QCOMPARE(headroom.capacity.memory_mib, std::int64_t(16384));
    QCOMPARE(headroom.foreign.memory_mib, std::int64_t(4096));
    QCOMPARE(headroom.standby_committed.memory_mib, std::int64_t(1024));
    QCOMPARE(headroom.free.memory_mib, std::int64_t(16384 - 4096 - 1024));
    QVERIFY(core->reconcile().result().ok());
    QCOMPARE(core->hypervisorForTest("pna-1")->domainInfo("foreign-vm")->state,
             DomainState::running);
    QVERIFY(!hasKind(eventsIn(database()), "node.drifted"));
}

void TestApplianceCore::readinessAndWhatIfChangeNothing() {
    auto core =
        open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 8192))}, AdmissionMode::warn);
    QVERIFY(core);
    QVERIFY(core->registerClusters({{},
                                    {cluster("low", 100, {1, 1024}, {2, 2048}),
                                     cluster("top", 900, {1, 1024}, {2, 7680})}})
                .result()
                ->accepted);
    const db::Id before = *core->lastEventId();
    auto ready = core->readiness("top-passive");
    QVERIFY_OK(ready);
    QVERIFY2(ready->ready, ready->reason.c_str());
    const std::vector<std::string> victims{"low-passive"};
    QCOMPARE(ready->would_preempt, victims);

    WhatIfRequest request;
    request.fail = {"top", "low"};
    auto outcome = core->whatIf(request);
    QVERIFY_OK(outcome);
    QCOMPARE(outcome->takeovers.size(), std::size_t(2));
    QCOMPARE(outcome->takeovers[0].node, std::string("top-passive"));
    QCOMPARE(outcome->takeovers[0].outcome, std::string("preempts"));
    QCOMPARE(outcome->sizing.appliances.size(), std::size_t(1));
    QCOMPARE(outcome->sizing.appliances[0].clusters.size(), std::size_t(2));

    WhatIfRequest grown;
    grown.capacity["pna-1"] = sizing::Footprint{16, 65536};
    grown.fail = {"top"};
    auto bigger = core->whatIf(grown);
    QVERIFY_OK(bigger);
    QCOMPARE(bigger->takeovers[0].outcome, std::string("granted"));

    QCOMPARE(*core->lastEventId(), before);
    QCOMPARE(core->node("low-passive")->state, db::NodeState::Standby);
    QCOMPARE(core->hypervisorForTest("pna-1")->domainInfo("low-passive")->state,
             DomainState::running);
}

void TestApplianceCore::clusterChangesGoThroughAdmission() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 16384))});
    QVERIFY(core);
    QVERIFY(core->registerClusters({{}, {cluster("erp", 500, {1, 1024}, {2, 4096})}})
                .result()
                ->accepted);
    ClusterChange grow;
    grow.active = sizing::Footprint{2, 32768};
    auto refused = core->changeCluster("erp", grow).result();
    QVERIFY_OK(refused);
    QVERIFY(!refused->accepted);
    QCOMPARE((*core->clusters())[0].spec.active.memory_mib, std::int64_t(4096));

    ClusterChange resize;
    resize.standby = sizing::Footprint{1, 2048};
    resize.priority = 700;
    auto accepted = core->changeCluster("erp", resize).result();
    QVERIFY_OK(accepted);
    QVERIFY(accepted->accepted);
    QCOMPARE((*core->clusters())[0].spec.priority, 700);
    LibvirtHypervisor* hv = core->hypervisorForTest("pna-1");
    QCOMPARE(hv->domainInfo("erp-passive")->memoryMib(), std::int64_t(2048));
    QCOMPARE(hv->domainInfo("erp-passive")->metadata->standby.memory_mib, std::int64_t(2048));
    QVERIFY(core->reconcile().result().ok());
    QCOMPARE(core->node("erp-passive")->state, db::NodeState::Standby);
    const auto kinds = kindsIn(eventsIn(database()));
    QVERIFY(std::count(kinds.begin(), kinds.end(), std::string("admission.refused")) == 1);
    QVERIFY(std::count(kinds.begin(), kinds.end(), std::string("cluster.changed")) == 1);
}

void TestApplianceCore::groupsAreCreatedChangedAndOnlyDeletedWhenEmpty() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 65536))});
    QVERIFY(core);
    RegistrationRequest fleet;
    fleet.groups = {{"rack-a", 43800, 6}};
    ClusterRegistration erp = cluster("erp", 500, {1, 1024}, {2, 4096});
    erp.spec.group = "rack-a";
    fleet.clusters = {erp};
    auto registered = core->registerClusters(fleet).result();
    QVERIFY_OK(registered);
    QVERIFY(registered->accepted);
    QCOMPARE((*core->clusters())[0].spec.group, std::string("rack-a"));

    GroupChange change;
    change.mttr_hours = 12;
    auto changed = core->changeGroup("rack-a", change).result();
    QVERIFY_OK(changed);
    QVERIFY(changed->accepted);
    QCOMPARE((*core->groups())[0].mttr_hours, 12.0);

    auto in_use = core->removeGroup("rack-a").result();
    QVERIFY(!in_use.ok());
    QCOMPARE(in_use.error().code, std::string("conflict"));
    QVERIFY(core->createGroup({"rack-b", 43800, 6}).result()->accepted);
    QVERIFY(core->removeGroup("rack-b").result().ok());
    QCOMPARE(core->groups()->size(), std::size_t(1));

    auto duplicate = core->registerClusters(fleet).result();
    QCOMPARE(duplicate.error().code, std::string("conflict"));
}

void TestApplianceCore::emitsEventsAppendedAfterEachCommit() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host", 16, 65536))});
    QVERIFY(core);
    QSignalSpy spy(core.get(), &ApplianceCore::eventsAppended);
    QVERIFY(core->registerClusters({{}, {cluster("erp", 500, {1, 1024}, {2, 4096})}})
                .result()
                ->accepted);
    QVERIFY(core->takeover("erp-passive").result()->granted);
    QTRY_VERIFY(spy.count() >= 3);
    QCOMPARE(spy.last().at(0).toLongLong(), static_cast<qint64>(*core->lastEventId()));
}

// Requests find a node's appliance in memory: the directory must follow removal and a new
// registration of the same name elsewhere, and an unknown name stays not_found.
void TestApplianceCore::routesANodeToTheApplianceItWasRegisteredOnAgain() {
    auto core = open({applianceConfig("pna-1", writeHost(*dir_, "host-1", 16, 65536)),
                      applianceConfig("pna-2", writeHost(*dir_, "host-2", 16, 65536))});
    QVERIFY(core);
    auto first =
        core->registerClusters({{}, {cluster("erp", 900, {1, 1024}, {4, 8192}, "pna-1")}}).result();
    QVERIFY_OK(first);
    QVERIFY(first->accepted);
    auto granted = core->takeover("erp-passive").result();
    QVERIFY_OK(granted);
    QVERIFY(granted->granted);
    QVERIFY(core->release("erp-passive").result());
    auto unknown = core->takeover("nobody-passive").result();
    QVERIFY(!unknown);
    QCOMPARE(unknown.error().code, std::string("not_found"));

    QVERIFY(core->removeCluster("erp").result());
    auto gone = core->release("erp-passive").result();
    QVERIFY(!gone);
    QCOMPARE(gone.error().code, std::string("not_found"));

    auto second =
        core->registerClusters({{}, {cluster("erp", 900, {1, 1024}, {4, 8192}, "pna-2")}}).result();
    QVERIFY_OK(second);
    QVERIFY(second->accepted);
    auto again = core->takeover("erp-passive").result();
    QVERIFY_OK(again);
    QVERIFY(again->granted);
    auto on_second = core->hypervisorForTest("pna-2")->domainInfo("erp-passive");
    QVERIFY_OK(on_second);
    QCOMPARE(on_second->memoryMib(), std::int64_t(8192));
    QVERIFY(!core->hypervisorForTest("pna-1")->domainInfo("erp-passive"));
    QCOMPARE(core->node("erp-passive")->appliance, std::string("pna-2"));
    auto still_unknown = core->power("nobody-passive", PowerAction::status).result();
    QVERIFY(!still_unknown);
    QCOMPARE(still_unknown.error().code, std::string("not_found"));
}

QTEST_MAIN_WITHOUT_GLIB(TestApplianceCore)

#include "test_appliance_core.moc"

// The what-if on the live fleet (online mode) against a real `understudyd --demo`: the
// service's fleet loads into the what-if panel, the in-process engine and the service's
// POST /sizing/what-if answer the same edits side by side and agree where they should (same
// risks on the unedited fleet, a takeover granted by both, a denial with the service's reason
// when capacity is cut), added and removed clusters move both sides' figures, and the service
// is left exactly as it was.
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtTest>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>

#include "appliance/client/api_client.h"
#include "console_test_support.h"
#include "gui/app/main_window.h"
#include "gui/offline/clusters_view.h"
#include "gui/offline/sizing_view.h"
#include "gui/offline/what_if_panel.h"
#include "gui/online/live_what_if.h"
#include "gui/online/online_console.h"
#include "gui/online/service_connection.h"
#include "gui/online/service_what_if_view.h"
#include "gui/widgets/quantity_format.h"
#include "tests/support/understudyd_process.h"

using namespace understudy;
using namespace understudy::gui;
using namespace understudy::gui::testing;
using namespace understudy::testsupport;

namespace {

constexpr int kWaitMs = 20000;

bool sameRisk(double a, double b) {
    return std::abs(a - b) <= 1e-9 * std::max({1e-300, std::abs(a), std::abs(b)}) ||
           (a < 1e-300 && b < 1e-300);
}

// What GET /nodes says, in a form two reads can be compared with.
QStringList nodesNow(const QUrl& url) {
    client::ClientOptions options;
    options.base_url = url;
    options.token = kAdminToken;
    client::ApiClient client(options);
    auto nodes = client.callSync(client::api::nodes());
    QStringList lines;
    if (!nodes) {
        lines << QStringLiteral("error: ") + nodes.error().summary();
        return lines;
    }
    for (const client::Node& node : *nodes) {
        lines << QStringLiteral("%1 %2 %3 %4 %5")
                     .arg(node.name, node.state, node.appliance)
                     .arg(node.current ? node.current->memory_mib : -1)
                     .arg(node.grant ? node.grant->memory_mib : -1);
    }
    return lines;
}

const client::SizingAppliance* servedAppliance(const ServiceWhatIfView* view) {
    return view->answer() && !view->answer()->sizing.appliances.empty()
               ? &view->answer()->sizing.appliances.front()
               : nullptr;
}

}  // namespace

class TestLiveWhatIf : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void theRequestCarriesFailuresAdditionsRemovalsAndHostCapacity();
    void theLiveFleetLoadsAndBothEnginesAgreeOnItsRisk();
    void aFailureTheServiceWouldGrantIsShownGrantedByBoth();
    void cuttingCapacityShowsTheServicesDenialAndWhy();
    void addingFromAFileAndRemovingMoveBothSidesFigures();
    void anAnswerToEditsThatChangedMeanwhileIsDropped();
    void editsTheServiceRefusesAreAnsweredInProcessWithTheServicesReason();
    void aClusterRegisteredMeanwhileMarksTheLoadedFleetStale();
    void nodesActiveNowHoldTheirGrantInBothAnswers();
    void connectedTheSizingAndClustersTabsShowTheLiveFleetReadOnly();
    void connectedTheReportIsNamedAfterTheApplianceAndWritten();
    void theWhatIfStartsFromTheLiveStateAndShowsTheServicesAnswerFirst();

private:
    void loadLive();
    void loadLiveFrom(const QUrl& url);
    // The views show the newest in-process result and the service's answer to the same edits.
    bool settled() const;
    void selectClusters(const QStringList& names);
    // Connected only: the live fleet shown in Sizing and Clusters, outside the what-if.
    void showLive();
    client::ApiClient* serviceClient();
    // Exports the report to `path` and reads it back.
    void exportAndRead(const QString& path, QByteArray& written);

    QTemporaryDir settingsDir_;
    UnderstudydProcess service_;
    std::unique_ptr<MainWindow> window_;
    std::unique_ptr<client::ApiClient> client_;
};

void TestLiveWhatIf::initTestCase() {
    QVERIFY(settingsDir_.isValid());
    isolateSettings(settingsDir_);
    qunsetenv("UNDERSTUDY_TOKEN");
    qputenv("UNDERSTUDY_CONSOLE_NO_KEYRING", "1");
    QVERIFY2(service_.start(), service_.output().constData());
}

void TestLiveWhatIf::init() {
    window_ = std::make_unique<MainWindow>();
    window_->resize(1400, 900);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
}

void TestLiveWhatIf::cleanup() {
    if (window_ != nullptr) {
        window_->online()->connection()->disconnectFromService();
    }
    window_.reset();
}

bool TestLiveWhatIf::settled() const {
    return showsLatestResult(*window_) && !window_->liveWhatIf()->waiting() &&
           window_->serviceWhatIf()->hasAnswer();
}

void TestLiveWhatIf::loadLive() {
    loadLiveFrom(service_.url());
}

void TestLiveWhatIf::loadLiveFrom(const QUrl& url) {
    OnlineConsole* online = window_->online();
    online->connectTo(url, kAdminToken, false);
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::connected, kWaitMs);
    QAction* live = window_->findChild<QAction*>(QStringLiteral("liveWhatIfAction"));
    QVERIFY(live != nullptr && live->isEnabled());
    live->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(window_->liveBaseline().has_value(), kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kWaitMs);
    QVERIFY(window_->serviceWhatIf()->isVisibleTo(window_.get()));
}

void TestLiveWhatIf::selectClusters(const QStringList& names) {
    QTableView* table = window_->clustersView()->table();
    window_->views()->setCurrentWidget(window_->clustersView());
    table->clearSelection();
    for (const QString& name : names) {
        int row = -1;
        for (int r = 0; r < table->model()->rowCount(); ++r) {
            if (table->model()->index(r, 0).data().toString() == name) {
                row = r;
            }
        }
        QVERIFY2(row >= 0, qPrintable(name));
        const QRect cell = table->visualRect(table->model()->index(row, 0));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, Qt::ControlModifier, cell.center());
    }
    QCOMPARE(window_->clustersView()->selectedClusters().size(),
             static_cast<std::size_t>(names.size()));
}

void TestLiveWhatIf::theRequestCarriesFailuresAdditionsRemovalsAndHostCapacity() {
    LiveBaseline baseline;
    baseline.fleet.cpu_overcommit = 4.0;
    sizing::ApplianceSpec host{"pna", 32, 65536, 2, 4096};
    baseline.fleet.appliances = {host};
    baseline.appliances = {{"pna", host, {6, 8192}, 4.0, true}};
    sizing::ClusterSpec a{"a", 500,       8760,      24,
                          "",  {1, 1024}, {4, 8192}, sizing::MemoryMode::balloon};
    sizing::ClusterSpec b = a;
    b.name = "b";
    baseline.fleet.clusters = {a, b};

    sizing::Fleet edited = baseline.fleet;
    QVERIFY(sameRequest(liveWhatIfRequest(baseline, edited, {}), client::WhatIfRequest{}));

    edited.clusters[1].priority = 900;  // b changed: removed and added again
    sizing::ClusterSpec c = a;
    c.name = "c";
    edited.clusters.push_back(c);
    edited.clusters.erase(edited.clusters.begin());  // a removed
    edited.appliances[0].memory_mib = 32768;
    edited.appliances[0].vcpus = 16;
    const client::WhatIfRequest request = liveWhatIfRequest(baseline, edited, {"c", "a", "b"});
    // a is gone and c is not registered: the service's what-if fails only b.
    QCOMPARE(request.fail, QStringList{QStringLiteral("b")});
    QCOMPARE(request.remove, (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
    QCOMPARE(request.add.size(), 2);
    QCOMPARE(request.add[0].toObject()[QStringLiteral("name")].toString(), QStringLiteral("b"));
    QCOMPARE(request.add[0].toObject()[QStringLiteral("priority")].toInt(), 900);
    QCOMPARE(request.add[1].toObject()[QStringLiteral("name")].toString(), QStringLiteral("c"));
    // The service takes its reserve and the foreign load (8 GiB, 6 vCPUs at 4× = 2 cores) off.
    const QJsonObject capacity = request.capacity[QStringLiteral("pna")].toObject();
    QCOMPARE(capacity[QStringLiteral("memory_mib")].toInteger(), 32768 + 8192);
    QCOMPARE(capacity[QStringLiteral("vcpus")].toInteger(), 16 + 2);
}

void TestLiveWhatIf::theLiveFleetLoadsAndBothEnginesAgreeOnItsRisk() {
    const QStringList before = nodesNow(service_.url());
    loadLive();
    const LiveFleet& live = window_->online()->connection()->fleet();
    QCOMPARE(window_->fleet().clusters.size(), live.clusters.size());
    QCOMPARE(window_->fleet().appliances.size(), live.appliances.size());
    QCOMPARE(window_->clustersView()->table()->model()->rowCount(),
             static_cast<int>(live.clusters.size()));
    // The service's reserve and overcommit are its configuration: shown, not edited.
    QVERIFY(
        !window_->whatIfPanel()->findChild<QWidget*>(QStringLiteral("cpuOvercommit"))->isEnabled());
    QVERIFY(window_->whatIfPanel()->applianceMemory()->isEnabled());
    // The same fleet through the same exact engine: the same risks on both sides.
    ServiceWhatIfView* view = window_->serviceWhatIf();
    QVERIFY(view->answer()->takeovers.empty());
    for (const sizing::ApplianceResult& appliance : window_->snapshot()->result.appliances) {
        for (const sizing::Resource resource : sizing::kResources) {
            const auto served =
                view->serviceRisk(QString::fromStdString(appliance.spec.name), resource);
            QVERIFY(served.has_value());
            QVERIFY2(sameRisk(*served, appliance.figures(resource).overflow_risk),
                     qPrintable(QStringLiteral("%1 vs %2")
                                    .arg(*served)
                                    .arg(appliance.figures(resource).overflow_risk)));
        }
    }
    QVERIFY2(view->riskLabel()->text().contains(QStringLiteral("(in-process ")),
             qPrintable(view->riskLabel()->text()));
    QCOMPARE(nodesNow(service_.url()), before);
}

void TestLiveWhatIf::aFailureTheServiceWouldGrantIsShownGrantedByBoth() {
    const QStringList before = nodesNow(service_.url());
    const qint64 eventsBefore = [&] {
        loadLive();
        return window_->online()->connection()->lastEventId();
    }();
    const std::string node = window_->liveBaseline()->nodeOf.at("ldap");
    const QString ldap = QString::fromStdString(node);
    selectClusters({QStringLiteral("ldap")});
    window_->findChild<QAction*>(QStringLiteral("failAction"))->trigger();
    ServiceWhatIfView* view = window_->serviceWhatIf();
    QTRY_COMPARE_WITH_TIMEOUT(view->serviceOutcome(ldap), QStringLiteral("granted"), kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kWaitMs);
    QCOMPARE(view->inProcessOutcome(ldap), takeoverOutcomeName(TakeoverOutcome::granted));
    QVERIFY(view->denialText(ldap).isEmpty());
    const QList<QTreeWidgetItem*> rows = view->takeovers()->findItems(ldap, Qt::MatchExactly);
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.front()->text(ServiceWhatIfView::ServiceColumn), QStringLiteral("granted"));
    QCOMPARE(rows.front()->text(ServiceWhatIfView::InProcessColumn),
             takeoverOutcomeName(TakeoverOutcome::granted));
    // Clearing the failure takes it out of both answers.
    window_->findChild<QAction*>(QStringLiteral("clearFailAction"))->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(view->serviceOutcome(ldap).isEmpty() && settled(), kWaitMs);
    QVERIFY(view->inProcessOutcome(ldap).isEmpty());
    QCOMPARE(nodesNow(service_.url()), before);
    QTest::qWait(300);
    QCOMPARE(window_->online()->connection()->lastEventId(), eventsBefore);
}

void TestLiveWhatIf::cuttingCapacityShowsTheServicesDenialAndWhy() {
    const QStringList before = nodesNow(service_.url());
    loadLive();
    const LiveBaseline& baseline = *window_->liveBaseline();
    QCOMPARE(baseline.appliances.size(), std::size_t{1});
    const sizing::ApplianceSpec host = baseline.appliances.front().spec;
    const auto* served = servedAppliance(window_->serviceWhatIf());
    QVERIFY(served != nullptr);
    const double riskBefore = served->memory_mib.overflow_risk;
    // Usable memory just above every standby footprint: dwh (the lowest priority, nothing to
    // preempt below it) cannot grow to its active size.
    const std::int64_t standby = served->memory_mib.standby_total;
    const double gib = static_cast<double>(host.reserve_memory_mib + standby + 8192) / 1024.0;
    window_->whatIfPanel()->applianceMemory()->setValue(gib);
    selectClusters({QStringLiteral("dwh")});
    window_->findChild<QAction*>(QStringLiteral("failAction"))->trigger();
    const QString dwh = QString::fromStdString(baseline.nodeOf.at("dwh"));
    ServiceWhatIfView* view = window_->serviceWhatIf();
    QTRY_COMPARE_WITH_TIMEOUT(view->serviceOutcome(dwh), QStringLiteral("denied"), kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kWaitMs);
    QCOMPARE(view->inProcessOutcome(dwh), takeoverOutcomeName(TakeoverOutcome::denied));
    const QString why = view->denialText(dwh);
    QVERIFY2(why.contains(QStringLiteral("memory")) && why.contains(QStringLiteral("free")),
             qPrintable(why));
    const QList<QTreeWidgetItem*> rows = view->takeovers()->findItems(dwh, Qt::MatchExactly);
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.front()->childCount(), 1);
    QCOMPARE(rows.front()->child(0)->text(0), why);
    // Both engines saw the same smaller appliance: the risk rose, equally on both sides.
    served = servedAppliance(view);
    QCOMPARE(served->memory_mib.capacity, standby + 8192);
    QVERIFY(served->memory_mib.overflow_risk > riskBefore);
    const sizing::ApplianceResult& local = window_->snapshot()->result.appliances.front();
    QCOMPARE(local.figures(sizing::Resource::memory_mib).capacity, served->memory_mib.capacity);
    QVERIFY(sameRisk(local.figures(sizing::Resource::memory_mib).overflow_risk,
                     served->memory_mib.overflow_risk));
    QCOMPARE(local.figures(sizing::Resource::memory_mib).required_capacity,
             served->memory_mib.required_capacity);
    QCOMPARE(nodesNow(service_.url()), before);
}

void TestLiveWhatIf::addingFromAFileAndRemovingMoveBothSidesFigures() {
    const QStringList before = nodesNow(service_.url());
    loadLive();
    ServiceWhatIfView* view = window_->serviceWhatIf();
    const qint64 standbyBefore = servedAppliance(view)->memory_mib.standby_total;
    const qint64 activeBefore = servedAppliance(view)->memory_mib.active_total;

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("more.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"clusters": [
        {"name": "analytics", "priority": 650, "mtbf_hours": 2000, "mttr_hours": 72,
         "standby": {"vcpus": 2, "memory_mib": 6144}, "active": {"vcpus": 16, "memory_mib": 81920}}
    ]})");
    file.close();
    QVERIFY(window_->addClustersFromFile(path));
    // Removing right after adding: the answer shown is the one to both edits, never the
    // answer to the addition alone.
    QTRY_VERIFY_WITH_TIMEOUT(showsLatestResult(*window_), kWaitMs);
    selectClusters({QStringLiteral("mail")});
    window_->findChild<QAction*>(QStringLiteral("removeClustersAction"))->trigger();
    // The table lists what the in-process engine has sized.
    QTRY_VERIFY_WITH_TIMEOUT(showsLatestResult(*window_), kWaitMs);
    selectClusters({QStringLiteral("analytics"), QStringLiteral("web")});
    window_->findChild<QAction*>(QStringLiteral("failAction"))->trigger();
    const QString web = QString::fromStdString(window_->liveBaseline()->nodeOf.at("web"));
    QTRY_VERIFY_WITH_TIMEOUT(!view->serviceOutcome(web).isEmpty() && settled(), kWaitMs);
    const qint64 mail = 2048;
    const qint64 standbyAfter = servedAppliance(view)->memory_mib.standby_total;
    QCOMPARE(standbyAfter, standbyBefore + 6144 - mail);
    QCOMPARE(servedAppliance(view)->memory_mib.active_total, activeBefore + 81920 - 16384);
    const sizing::ApplianceResult& local = window_->snapshot()->result.appliances.front();
    QCOMPARE(local.figures(sizing::Resource::memory_mib).standby_total, standbyAfter);
    QVERIFY(sameRisk(local.figures(sizing::Resource::memory_mib).overflow_risk,
                     servedAppliance(view)->memory_mib.overflow_risk));
    QCOMPARE(view->inProcessOutcome(QStringLiteral("analytics-passive")),
             takeoverOutcomeName(TakeoverOutcome::granted));
    // Failing a cluster the service does not know is answered in-process only.
    QVERIFY(view->serviceOutcome(QStringLiteral("analytics-passive")).isEmpty());
    QCOMPARE(view->serviceOutcome(web), QStringLiteral("granted"));
    QCOMPARE(view->inProcessOutcome(web), takeoverOutcomeName(TakeoverOutcome::granted));
    // The service still has mail and no analytics.
    QCOMPARE(nodesNow(service_.url()), before);
    // Revert goes back to the live fleet, and so does the service's answer.
    QVERIFY(window_->findChild<QAction*>(QStringLiteral("revertAction"))
                ->text()
                .contains(QStringLiteral("live fleet")));
    window_->findChild<QAction*>(QStringLiteral("revertAction"))->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(
        settled() && servedAppliance(view)->memory_mib.standby_total == standbyBefore, kWaitMs);
    QCOMPARE(window_->fleet().clusters.size(),
             window_->online()->connection()->fleet().clusters.size());
}

void TestLiveWhatIf::anAnswerToEditsThatChangedMeanwhileIsDropped() {
    loadLive();
    LiveWhatIf* live = window_->liveWhatIf();
    const LiveBaseline& baseline = *window_->liveBaseline();
    const QString ldap = QString::fromStdString(baseline.nodeOf.at("ldap"));
    const QString web = QString::fromStdString(baseline.nodeOf.at("web"));
    const int droppedBefore = live->droppedAnswers();
    int answers = 0;
    bool changed = false;
    // The edits change again while the first request is on the wire: its answer can only
    // arrive after this returns to the event loop, so it is always stale.
    const QMetaObject::Connection sent = connect(live, &LiveWhatIf::sent, this, [&] {
        if (!changed) {
            changed = true;
            live->ask(liveWhatIfRequest(baseline, baseline.fleet, {"web"}));
        }
    });
    const QMetaObject::Connection answered =
        connect(live, &LiveWhatIf::answered, this, [&answers] { ++answers; });
    live->ask(liveWhatIfRequest(baseline, baseline.fleet, {"ldap"}));
    QTRY_VERIFY_WITH_TIMEOUT(live->droppedAnswers() == droppedBefore + 1 && answers == 1, kWaitMs);
    disconnect(sent);
    disconnect(answered);
    QVERIFY(changed);
    QCOMPARE(window_->serviceWhatIf()->serviceOutcome(web), QStringLiteral("granted"));
    QVERIFY(window_->serviceWhatIf()->serviceOutcome(ldap).isEmpty());
}

void TestLiveWhatIf::aClusterRegisteredMeanwhileMarksTheLoadedFleetStale() {
    loadLive();
    ServiceWhatIfView* view = window_->serviceWhatIf();
    QVERIFY(view->staleLabel()->isHidden());
    client::ClientOptions options;
    options.base_url = service_.url();
    options.token = kAdminToken;
    client::ApiClient other(options);
    sizing::ClusterSpec tiny{"tiny", 100,      8760,      1,
                             "",     {1, 512}, {1, 1024}, sizing::MemoryMode::balloon};
    auto registered = other.callSync(client::api::registerClusters(clusterJson(tiny)));
    QVERIFY2(registered, qPrintable(registered ? QString() : registered.error().summary()));
    QTRY_VERIFY_WITH_TIMEOUT(!view->staleLabel()->isHidden(), kWaitMs);
    // Loading again starts from the fleet as it is now.
    window_->findChild<QAction*>(QStringLiteral("liveWhatIfAction"))->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(
        std::any_of(window_->fleet().clusters.begin(), window_->fleet().clusters.end(),
                    [](const sizing::ClusterSpec& cluster) { return cluster.name == "tiny"; }),
        kWaitMs);
    QVERIFY(view->staleLabel()->isHidden());
    QVERIFY(other.callSync(client::api::removeCluster(QStringLiteral("tiny"))));
}

void TestLiveWhatIf::editsTheServiceRefusesAreAnsweredInProcessWithTheServicesReason() {
    loadLive();
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("rack.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    // A group the service does not have: fine in-process, refused by the service's what-if.
    file.write(R"({"groups": [{"name": "rack-z", "mtbf_hours": 40000, "mttr_hours": 8}],
        "clusters": [{"name": "vault", "priority": 700, "mtbf_hours": 8760, "mttr_hours": 12,
         "group": "rack-z", "standby": {"vcpus": 1, "memory_mib": 1024},
         "active": {"vcpus": 2, "memory_mib": 4096}}]})");
    file.close();
    QVERIFY(window_->addClustersFromFile(path));
    ServiceWhatIfView* view = window_->serviceWhatIf();
    QTRY_VERIFY_WITH_TIMEOUT(!window_->liveWhatIf()->waiting() && showsLatestResult(*window_),
                             kWaitMs);
    QVERIFY(!view->hasAnswer());
    const QString status = view->statusLabel()->text();
    QVERIFY2(status.contains(QStringLiteral("could not answer")) &&
                 status.contains(QStringLiteral("rack-z")),
             qPrintable(status));
    QVERIFY(
        std::any_of(window_->snapshot()->result.appliances.front().clusters.begin(),
                    window_->snapshot()->result.appliances.front().clusters.end(),
                    [](const sizing::ClusterFigures& figures) { return figures.name == "vault"; }));
    // Undoing the edit brings the service's answer back.
    window_->findChild<QAction*>(QStringLiteral("revertAction"))->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(settled(), kWaitMs);
}

void TestLiveWhatIf::nodesActiveNowHoldTheirGrantInBothAnswers() {
    client::ClientOptions options;
    options.base_url = service_.url();
    options.token = kAdminToken;
    client::ApiClient other(options);
    auto clusters = other.callSync(client::api::clusters());
    QVERIFY(clusters);
    QString billing;
    for (const client::Cluster& cluster : *clusters) {
        if (cluster.name == QLatin1String("billing")) {
            billing = cluster.node;
        }
    }
    QVERIFY(!billing.isEmpty());
    auto taken = other.callSync(client::api::takeover(billing));
    QVERIFY2(taken, qPrintable(taken ? QString() : taken.error().summary()));
    const QStringList before = nodesNow(service_.url());
    loadLive();
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(window_->online()->connection()->fleet().nodes.begin(),
                                         window_->online()->connection()->fleet().nodes.end(),
                                         [&](const client::Node& node) {
                                             return node.name == billing &&
                                                    node.state == QLatin1String("active");
                                         }),
                             kWaitMs);
    // Usable memory: every standby footprint, billing's growth (48 − 4 GiB) and 8 GiB. erp
    // (+60 GiB) does not fit even after preempting every lower-priority standby node (34 GiB)
    // — unless billing's grant were counted as free, as a fleet file's all-standby start would.
    const std::int64_t standby =
        servedAppliance(window_->serviceWhatIf())->memory_mib.standby_total;
    const sizing::ApplianceSpec host = window_->liveBaseline()->appliances.front().spec;
    const std::int64_t usable = standby + (49152 - 4096) + 8192;
    window_->whatIfPanel()->applianceMemory()->setValue(
        static_cast<double>(host.reserve_memory_mib + usable) / 1024.0);
    selectClusters({QStringLiteral("erp")});
    window_->findChild<QAction*>(QStringLiteral("failAction"))->trigger();
    const QString erp = QString::fromStdString(window_->liveBaseline()->nodeOf.at("erp"));
    ServiceWhatIfView* view = window_->serviceWhatIf();
    QTRY_VERIFY_WITH_TIMEOUT(!view->serviceOutcome(erp).isEmpty() && settled(), kWaitMs);
    QCOMPARE(servedAppliance(view)->memory_mib.capacity, usable);
    QCOMPARE(view->serviceOutcome(erp), QStringLiteral("denied"));
    QCOMPARE(view->inProcessOutcome(erp), takeoverOutcomeName(TakeoverOutcome::denied));
    // Failing billing again: it keeps what it holds, on both sides.
    selectClusters({QStringLiteral("billing")});
    window_->findChild<QAction*>(QStringLiteral("failAction"))->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(!view->serviceOutcome(billing).isEmpty() && settled(), kWaitMs);
    QCOMPARE(view->serviceOutcome(billing), QStringLiteral("granted"));
    QCOMPARE(view->inProcessOutcome(billing), takeoverOutcomeName(TakeoverOutcome::granted));
    QCOMPARE(nodesNow(service_.url()), before);
    window_->online()->connection()->disconnectFromService();
    QVERIFY(other.callSync(client::api::release(billing)));
}

void TestLiveWhatIf::showLive() {
    OnlineConsole* online = window_->online();
    online->connectTo(service_.url(), kAdminToken, false);
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::connected, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(window_->liveBaseline().has_value() && showsLatestResult(*window_),
                             kWaitMs);
}

void TestLiveWhatIf::exportAndRead(const QString& path, QByteArray& written) {
    QSignalSpy finished(window_->exporter(), &ReportExporter::finished);
    QVERIFY(window_->exportReport(path));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kWaitMs);
    QVERIFY2(finished.front().at(0).toBool(), qPrintable(finished.front().at(2).toString()));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    written = file.readAll();
}

client::ApiClient* TestLiveWhatIf::serviceClient() {
    if (client_ == nullptr) {
        client::ClientOptions options;
        options.base_url = service_.url();
        options.token = kAdminToken;
        client_ = std::make_unique<client::ApiClient>(options);
    }
    return client_.get();
}

void TestLiveWhatIf::connectedTheSizingAndClustersTabsShowTheLiveFleetReadOnly() {
    showLive();
    auto clusters = serviceClient()->callSync(client::api::clusters());
    QVERIFY2(clusters, qPrintable(clusters ? QString() : clusters.error().summary()));
    QStringList served;
    for (const client::Cluster& cluster : *clusters) {
        served << cluster.name;
    }
    QVERIFY(!served.isEmpty());
    const QAbstractItemModel* model = window_->clustersView()->table()->model();
    QStringList shown;
    for (int row = 0; row < model->rowCount(); ++row) {
        shown << model->index(row, 0).data().toString();
    }
    served.sort();
    shown.sort();
    QCOMPARE(shown, served);

    auto sizing = serviceClient()->callSync(client::api::sizing());
    QVERIFY2(sizing, qPrintable(sizing ? QString() : sizing.error().summary()));
    QVERIFY(!sizing->appliances.empty());
    const auto& sized = window_->snapshot()->result.appliances;
    for (const client::SizingAppliance& appliance : sizing->appliances) {
        const auto found =
            std::find_if(sized.begin(), sized.end(), [&](const sizing::ApplianceResult& result) {
                return QString::fromStdString(result.spec.name) == appliance.name;
            });
        QVERIFY2(found != sized.end(), qPrintable(appliance.name));
        const double shownRisk = found->figures(sizing::Resource::memory_mib).overflow_risk;
        QVERIFY2(sameRisk(shownRisk, appliance.memory_mib.overflow_risk),
                 qPrintable(QStringLiteral("%1: Sizing tab %2, GET /sizing %3")
                                .arg(appliance.name)
                                .arg(shownRisk)
                                .arg(appliance.memory_mib.overflow_risk)));
    }
    QVERIFY(window_->sizingView()->verdictHeadline() != QStringLiteral("No fleet open"));

    // Changes go through the service: the what-if stays closed and nothing edits the fleet.
    QVERIFY(!window_->whatIfPanel()->isEnabled());
    for (const char* name : {"addClusterAction", "removeClustersAction", "failAction", "saveAction",
                             "addFromFileAction"}) {
        QVERIFY2(!window_->findChild<QAction*>(QLatin1String(name))->isEnabled(), name);
    }
    QVERIFY(!window_->liveWhatIf()->waiting());

    // Shown read-only, the live fleet follows the service.
    sizing::ClusterSpec tiny{"tiny-shown", 100,      8760,      1,
                             "",           {1, 512}, {1, 1024}, sizing::MemoryMode::balloon};
    auto registered = serviceClient()->callSync(client::api::registerClusters(clusterJson(tiny)));
    QVERIFY2(registered, qPrintable(registered ? QString() : registered.error().summary()));
    QTRY_COMPARE_WITH_TIMEOUT(window_->clustersView()->table()->model()->rowCount(),
                              static_cast<int>(served.size()) + 1, kWaitMs);
    QVERIFY(serviceClient()->callSync(client::api::removeCluster(QStringLiteral("tiny-shown"))));
    QTRY_COMPARE_WITH_TIMEOUT(window_->clustersView()->table()->model()->rowCount(),
                              static_cast<int>(served.size()), kWaitMs);
}

void TestLiveWhatIf::connectedTheReportIsNamedAfterTheApplianceAndWritten() {
    showLive();
    QAction* exportAction = window_->findChild<QAction*>(QStringLiteral("exportAction"));
    QVERIFY(exportAction->isEnabled());
    const LiveFleet& live = window_->online()->connection()->fleet();
    QCOMPARE(live.appliances.size(), std::size_t{1});
    QCOMPARE(window_->suggestedReportName(), live.appliances.front().name + "-sizing.pdf");

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QByteArray pdf;
    exportAndRead(dir.filePath(window_->suggestedReportName()), pdf);
    QVERIFY(!QTest::currentTestFailed());
    QVERIFY(pdf.startsWith("%PDF-"));

    QByteArray html;
    exportAndRead(dir.filePath(QStringLiteral("live.html")), html);
    QVERIFY(!QTest::currentTestFailed());
    const QString text = QString::fromUtf8(html);
    QVERIFY2(text.contains(QStringLiteral("the live fleet of %1").arg(service_.url().host())),
             qPrintable(text.left(2000)));
    for (const client::Cluster& cluster : live.clusters) {
        QVERIFY2(text.contains(cluster.name), qPrintable(cluster.name));
    }
}

// Issue 21's overloaded appliance, on a service of its own: four clusters active, one node
// preempted for them, one fenced. The what-if starts from that state, not from an all-standby
// fleet; the service's answer is the tab it opens on, with what stays free; the report has it.
void TestLiveWhatIf::theWhatIfStartsFromTheLiveStateAndShowsTheServicesAnswerFirst() {
    UnderstudydProcess service;
    QVERIFY2(service.start(), service.output().constData());
    client::ClientOptions options;
    options.base_url = service.url();
    options.token = kAdminToken;
    client::ApiClient api(options);
    for (const char* node : {"dwh-passive", "erp-passive", "billing-passive", "crm-passive"}) {
        QVERIFY(api.callSync(client::api::takeover(node, std::chrono::seconds(60))));
    }
    QVERIFY(api.callSync(
        client::api::power(QStringLiteral("monitoring-passive"), understudy::PowerAction::off)));
    const auto nodes = api.callSync(client::api::nodes());
    QVERIFY(nodes);
    std::map<QString, QString> states;
    QString preempted;
    for (const client::Node& node : *nodes) {
        states[node.name] = node.state;
        if (node.state == QLatin1String("preempted")) {
            preempted = node.cluster;
        }
    }
    QCOMPARE(states[QStringLiteral("monitoring-passive")], QStringLiteral("fenced"));
    QVERIFY2(!preempted.isEmpty(), "the four takeovers preempted nobody");

    loadLiveFrom(service.url());
    ServiceWhatIfView* view = window_->serviceWhatIf();
    QCOMPARE(window_->views()->currentWidget(), view);
    // Every node, in the state the service reports.
    QCOMPARE(view->takeovers()->topLevelItemCount(), static_cast<int>(states.size()));
    for (const auto& [node, state] : states) {
        const QList<QTreeWidgetItem*> rows = view->takeovers()->findItems(node, Qt::MatchExactly);
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.front()->text(ServiceWhatIfView::NowColumn), state);
    }

    const QStringList failing = {QStringLiteral("monitoring"), preempted, QStringLiteral("web")};
    selectClusters(failing);
    window_->findChild<QAction*>(QStringLiteral("failAction"))->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(
        !view->serviceOutcome(QStringLiteral("web-passive")).isEmpty() && settled(), kWaitMs);
    QCOMPARE(window_->views()->currentWidget(), view);
    // Neither engine takes over a node that holds nothing now.
    for (const QString& node : {QStringLiteral("monitoring-passive"), preempted + "-passive"}) {
        QCOMPARE(view->serviceOutcome(node), QStringLiteral("denied"));
        QCOMPARE(view->inProcessOutcome(node), takeoverOutcomeName(TakeoverOutcome::denied));
    }

    // What stays free, as the service itself answers the same question.
    client::WhatIfRequest request;
    request.fail = failing;
    const auto asked = api.callSync(client::api::whatIf(request));
    QVERIFY2(asked, qPrintable(asked ? QString() : asked.error().summary()));
    const auto appliances = api.callSync(client::api::appliances());
    QVERIFY(appliances);
    QCOMPARE(asked->free_after.size(), appliances->size());
    QCOMPARE(view->freeAfter()->topLevelItemCount(), static_cast<int>(appliances->size()));
    for (int row = 0; row < view->freeAfter()->topLevelItemCount(); ++row) {
        const QTreeWidgetItem* item = view->freeAfter()->topLevelItem(row);
        const client::Appliance& now = appliances->at(static_cast<std::size_t>(row));
        const client::WhatIfFree& after = asked->free_after.at(static_cast<std::size_t>(row));
        QCOMPARE(item->text(ServiceWhatIfView::ApplianceColumn), now.name);
        QCOMPARE(after.appliance, now.name);
        QCOMPARE(item->text(ServiceWhatIfView::MemoryNowColumn),
                 formatMemoryMib(now.memory_mib.free));
        QCOMPARE(item->text(ServiceWhatIfView::VcpusNowColumn), formatVcpus(now.vcpus.free));
        QCOMPARE(item->text(ServiceWhatIfView::MemoryAfterColumn),
                 formatMemoryMib(after.free.memory_mib));
        QCOMPARE(item->text(ServiceWhatIfView::VcpusAfterColumn), formatVcpus(after.free.vcpus));
    }

    QTemporaryDir dir;
    const QList<QTreeWidgetItem*> webRows =
        view->takeovers()->findItems(QStringLiteral("web-passive"), Qt::MatchExactly);
    QCOMPARE(webRows.size(), 1);
    const QTreeWidgetItem* web = webRows.front();
    QByteArray html;
    exportAndRead(dir.filePath(QStringLiteral("scenario.html")), html);
    QVERIFY(!QTest::currentTestFailed());
    const QString text = QString::fromUtf8(html);
    for (const QString& expected :
         {QStringLiteral("What-if on the live fleet: the takeovers"),
          QStringLiteral("<td>monitoring-passive</td><td>monitoring</td><td>fenced</td>"
                         "<td>denied</td>"),
          QStringLiteral("<td>web-passive</td><td>web</td><td>%1</td><td>%2</td>")
              .arg(web->text(ServiceWhatIfView::NowColumn),
                   web->text(ServiceWhatIfView::ServiceColumn).toHtmlEscaped()),
          QStringLiteral("What-if on the live fleet: free after"),
          QStringLiteral("<td>%1</td>")
              .arg(formatMemoryMib(asked->free_after.front().free.memory_mib).toHtmlEscaped())}) {
        QVERIFY2(text.contains(expected), qPrintable(expected));
    }
    window_->online()->connection()->disconnectFromService();
}

QTEST_MAIN(TestLiveWhatIf)
#include "test_live_what_if.moc"

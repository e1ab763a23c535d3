// The console tells the truth about now, against a real `understudyd --demo` driven into the
// overloaded state of issue 21 (memory 96 % taken, four clusters active, one node preempted, one
// fenced, three whose takeover would be denied): the dashboard's headline is not green and names
// the clusters that cannot fail over; the Nodes table says who is ready now and how, and no
// standby node that cannot take over reads as good; the take-over confirmation says the same;
// a denial raises the alarm bar until it is acknowledged and counts on the Events tab; the
// timeline marks denials, preemptions, fencing and the service's outage.
#include <QAbstractButton>
#include <QComboBox>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSystemTrayIcon>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>
#include <memory>

#include "appliance/client/api_client.h"
#include "console_test_support.h"
#include "gui/app/main_window.h"
#include "gui/online/alarm_bar.h"
#include "gui/online/dashboard_view.h"
#include "gui/online/event_log_view.h"
#include "gui/online/node_readiness.h"
#include "gui/online/node_table_model.h"
#include "gui/online/nodes_view.h"
#include "gui/online/online_console.h"
#include "gui/online/online_style.h"
#include "gui/online/timeline_view.h"
#include "tests/support/ports.h"
#include "tests/support/understudyd_process.h"

using namespace understudy::gui;
using namespace understudy::gui::testing;
using namespace understudy::testsupport;
namespace client = understudy::client;

namespace {

constexpr int kWaitMs = 15000;

QImage iconImage(const QVariant& decoration) {
    return decoration.value<QIcon>().pixmap(16, 16).toImage();
}

}  // namespace

class TestOnlineReadiness : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void theShortfallIsReadOutOfEachFormOfReason();
    void eachKindOfTroubleIsAnAlarmAndRoutineEventsAreNot();
    void aCalmFleetLeadsWithEveryClusterReady();
    void readyNowSaysWhomATakeoverWouldPreempt();
    void theOverloadedStateIsNotGreenAndNamesTheUnprotected();
    void theTakeOverConfirmationSaysWhetherItCould();
    void aDenialRaisesTheAlarmBarUntilAcknowledgedAndCountsUnread();
    void theTimelineMarksDenialsPreemptionsFencingAndOutages();

private:
    QString readyNow(const QString& node) const;
    QVariant stateCell(const QString& node, int role) const;
    void takeOver(const QString& node);
    OnlineConsole* online() const { return window_->online(); }
    QString headline() const { return online()->dashboard()->headline()->text(); }
    QString eventsTabText() const {
        return window_->views()->tabText(window_->views()->indexOf(online()->events()));
    }

    QTemporaryDir settingsDir_;
    UnderstudydProcess service_;
    std::unique_ptr<client::ApiClient> api_;
    std::unique_ptr<MainWindow> window_;
};

void TestOnlineReadiness::initTestCase() {
    QVERIFY(settingsDir_.isValid());
    isolateSettings(settingsDir_);
    qunsetenv("UNDERSTUDY_TOKEN");
    qputenv("UNDERSTUDY_CONSOLE_NO_KEYRING", "1");
    // The same port after a restart, so that the console finds the service again by itself.
    service_.setPort(freePort());
    QVERIFY2(service_.start(), service_.output().constData());
    client::ClientOptions options;
    options.base_url = service_.url();
    options.token = kAdminToken;
    api_ = std::make_unique<client::ApiClient>(options);

    window_ = std::make_unique<MainWindow>();
    window_->resize(1440, 900);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    online()->connectTo(service_.url(), kAdminToken, false);
    QTRY_COMPARE_WITH_TIMEOUT(online()->connection()->state(), ConnectionState::connected, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(online()->connection()->fleet().sized, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(online()->nodes()->model()->rowCount(), 10, kWaitMs);
}

void TestOnlineReadiness::cleanupTestCase() {
    if (window_ != nullptr) {
        online()->connection()->disconnectFromService();
    }
    window_.reset();
}

QString TestOnlineReadiness::readyNow(const QString& node) const {
    const NodeTableModel* model = online()->nodes()->model();
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->index(row, NodeTableModel::Name).data().toString() == node) {
            return model->index(row, NodeTableModel::ReadyNow).data().toString();
        }
    }
    return QStringLiteral("no row for ") + node;
}

QVariant TestOnlineReadiness::stateCell(const QString& node, int role) const {
    const NodeTableModel* model = online()->nodes()->model();
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->index(row, NodeTableModel::Name).data().toString() == node) {
            return model->index(row, NodeTableModel::State).data(role);
        }
    }
    return {};
}

void TestOnlineReadiness::takeOver(const QString& node) {
    const auto granted = api_->callSync(client::api::takeover(node, std::chrono::seconds(60)));
    QVERIFY2(granted.ok(), granted.ok() ? "" : qPrintable(granted.error().summary()));
}

// The service's reason names the shortfall; an older service's gives the amounts instead.
void TestOnlineReadiness::theShortfallIsReadOutOfEachFormOfReason() {
    QCOMPARE(shortfallText("not enough memory: short 13 GiB (needs 30 GiB, 17 GiB free)"),
             QStringLiteral("short 13 GiB"));
    QCOMPARE(shortfallText("not enough memory_mib: 22528 needed, 9216 free"),
             QStringLiteral("short 13 GiB"));
    QCOMPARE(shortfallText("not enough vcpus: 8 needed, 5 free"), QStringLiteral("short 3 vCPUs"));
    QCOMPARE(shortfallText("the node is fenced; only a standby node can take over"),
             QStringLiteral("node fenced"));
    QCOMPARE(shortfallText("the node is taking-over; only a standby node can take over"),
             QStringLiteral("node taking-over"));
    QCOMPARE(shortfallText("appliance 'pna-2' is lost and this node found no room on the others "
                           "(stranded)"),
             QStringLiteral("stranded"));
    QCOMPARE(shortfallText("appliance 'pna-2' is unreachable"),
             QStringLiteral("appliance unreachable"));
    QCOMPARE(shortfallText("something new"), QStringLiteral("something new"));
}

void TestOnlineReadiness::eachKindOfTroubleIsAnAlarmAndRoutineEventsAreNot() {
    const auto event = [](const QString& kind, const QJsonObject& details) {
        client::Event made;
        made.kind = kind;
        made.time = QDateTime::currentDateTimeUtc();
        made.cluster = QStringLiteral("web");
        made.node = QStringLiteral("web-passive");
        made.details = details;
        return made;
    };
    const QJsonObject appliance{{"appliance", "pna-2"}};
    const std::vector<std::pair<QString, QString>> alarms = {
        {"node.missing", "web-passive (cluster web) is missing"},
        {"node.drifted", "web-passive (cluster web) drifted"},
        {"probe.failed", "The probe of web-passive (cluster web) failed"},
        {"appliance.unreachable", "Appliance pna-2 is unreachable"},
        {"appliance.lost", "Appliance pna-2 is lost"},
        {"node.stranded", "web-passive (cluster web) is stranded"},
        {"takeover.denied", "Takeover of web-passive (cluster web) denied"},
        {"preempted", "web-passive (cluster web) was preempted"}};
    for (const auto& [kind, text] : alarms) {
        const auto alarm = alarmFor(event(kind, appliance));
        QVERIFY2(alarm.has_value(), qPrintable(kind));
        QVERIFY2(alarm->text.startsWith(text), qPrintable(alarm->text));
    }
    for (const char* routine : {"takeover.requested", "takeover.granted", "release", "restored",
                                "probe.recovered", "appliance.reachable", "cluster.registered"}) {
        QVERIFY2(!alarmFor(event(routine, appliance)).has_value(), routine);
    }
}

void TestOnlineReadiness::aCalmFleetLeadsWithEveryClusterReady() {
    DashboardView* dashboard = online()->dashboard();
    QTRY_VERIFY2_WITH_TIMEOUT(headline().contains("10 of 10 clusters can fail over now"),
                              qPrintable(headline()), kWaitMs);
    QCOMPARE(dashboard->headlineTone(), Tone::good);
    QVERIFY2(headline().startsWith("OK — "), qPrintable(headline()));
    QVERIFY(dashboard->unprotected()->isHidden());
    QTRY_COMPARE_WITH_TIMEOUT(readyNow("web-passive"), QStringLiteral("yes"), kWaitMs);
    QCOMPARE(readyNow("ldap-passive"), QStringLiteral("yes"));
    ApplianceCard* card = dashboard->card("demo");
    QVERIFY2(card->riskLabel()->text().startsWith("Steady-state overflow risk"),
             qPrintable(card->riskLabel()->text()));
    QVERIFY2(card->nowLabel()->text().contains("10 standby nodes can take over now"),
             qPrintable(card->nowLabel()->text()));
    QVERIFY(online()->alarmBar()->isHidden());
}

// Three large takeovers leave 21 GiB free: web (22 GiB more) and crm (30 GiB more) could still
// take over, by preempting lower-priority standby nodes, as their readiness says.
void TestOnlineReadiness::readyNowSaysWhomATakeoverWouldPreempt() {
    for (const char* node : {"dwh-passive", "erp-passive", "billing-passive"}) {
        takeOver(node);
    }
    QTRY_COMPARE_WITH_TIMEOUT(readyNow("web-passive"), QStringLiteral("by preempting mail-passive"),
                              kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(readyNow("crm-passive"),
                              QStringLiteral("by preempting mail-passive, legacy-win-passive"),
                              kWaitMs);
    QCOMPARE(readyNow("erp-passive"), QStringLiteral("— active"));
    QCOMPARE(readyNow("files-passive"), QStringLiteral("yes"));
    // Ready, at a cost: still a good standby.
    QVERIFY(stateCell("web-passive", Qt::BackgroundRole).isNull());
    QTRY_VERIFY2_WITH_TIMEOUT(headline().contains("7 of 7 clusters can fail over now (3 more "
                                                  "active)"),
                              qPrintable(headline()), kWaitMs);
}

// crm's takeover preempts mail and legacy-win, monitoring is powered off: 9 GiB stay free.
void TestOnlineReadiness::theOverloadedStateIsNotGreenAndNamesTheUnprotected() {
    takeOver("crm-passive");
    const auto fenced = api_->callSync(
        client::api::power(QStringLiteral("monitoring-passive"), understudy::PowerAction::off));
    QVERIFY2(fenced.ok(), fenced.ok() ? "" : qPrintable(fenced.error().summary()));
    window_->views()->setCurrentWidget(online()->dashboard());

    const auto& memory = online()->connection()->fleet().appliances.front().memory_mib;
    QTRY_VERIFY_WITH_TIMEOUT(
        online()->connection()->fleet().appliances.front().memory_mib.free == 9 * 1024, kWaitMs);
    QVERIFY(memory.free + memory.granted + memory.standby_committed > memory.capacity * 95 / 100);
    QTRY_VERIFY2_WITH_TIMEOUT(readyNow("web-passive") == QStringLiteral("no: short 13 GiB"),
                              qPrintable(readyNow("web-passive")), kWaitMs);
    QCOMPARE(readyNow("files-passive"), QStringLiteral("no: short 5 GiB"));
    QCOMPARE(readyNow("monitoring-passive"), QStringLiteral("no: node fenced"));
    QCOMPARE(readyNow("legacy-win-passive"), QStringLiteral("no: node preempted"));
    QCOMPARE(readyNow("ldap-passive"), QStringLiteral("yes"));

    DashboardView* dashboard = online()->dashboard();
    QTRY_VERIFY2_WITH_TIMEOUT(headline().contains("web (short 13 GiB)"), qPrintable(headline()),
                              kWaitMs);
    QCOMPARE(dashboard->headlineTone(), Tone::critical);
    QVERIFY2(headline().startsWith("Critical — "), qPrintable(headline()));
    QVERIFY2(!headline().contains("OK"), qPrintable(headline()));
    for (const char* named : {"files (short 5 GiB)", "monitoring (node fenced)",
                              "legacy-win (node preempted)", "mail (short"}) {
        QVERIFY2(headline().contains(named), qPrintable(headline() + " lacks " + named));
    }
    QVERIFY2(headline().contains("1 of 6 clusters can fail over now (4 more active); 5 cannot"),
             qPrintable(headline()));
    QVERIFY(!dashboard->unprotected()->isHidden());
    QVERIFY2(dashboard->unprotected()->text().contains("web — web-passive: not enough memory"),
             qPrintable(dashboard->unprotected()->text()));
    ApplianceCard* card = dashboard->card("demo");
    QCOMPARE(card->tone(), Tone::critical);
    QVERIFY2(card->nowLabel()->text().contains("5 of 6 nodes cannot take over now"),
             qPrintable(card->nowLabel()->text()));
    // The steady-state figure stays, named for what it is.
    QVERIFY(card->riskLabel()->text().startsWith("Steady-state overflow risk"));

    // No standby node that cannot take over reads as good in the State column.
    const QImage good = iconImage(toneIcon(Tone::good, QApplication::style()));
    QCOMPARE(stateCell("web-passive", Qt::DisplayRole).toString(), QStringLiteral("standby"));
    QVERIFY(iconImage(stateCell("web-passive", Qt::DecorationRole)) != good);
    QVERIFY(!stateCell("web-passive", Qt::BackgroundRole).isNull());
    QVERIFY(iconImage(stateCell("ldap-passive", Qt::DecorationRole)) == good);

    // The preemption and the fencing were alarms.
    QVERIFY(!online()->alarmBar()->isHidden());
    QVERIFY2(online()->alarmBar()->toolTip().contains("legacy-win-passive (cluster legacy-win) "
                                                      "was preempted for crm-passive"),
             qPrintable(online()->alarmBar()->toolTip()));
}

void TestOnlineReadiness::theTakeOverConfirmationSaysWhetherItCould() {
    window_->views()->setCurrentWidget(online()->nodes());
    for (const auto& [node, ready] : std::vector<std::pair<QString, QString>>{
             {"web-passive", "Ready now: no: short 13 GiB"}, {"ldap-passive", "Ready now: yes"}}) {
        online()->nodes()->selectNode(node);
        QCOMPARE(online()->nodes()->selectedNode(), node);
        online()->nodes()->takeOverAction()->trigger();
        QMessageBox* box = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT(
            (box = window_->findChild<QMessageBox*>(QStringLiteral("confirmTakeOver"))) != nullptr,
            kWaitMs);
        QVERIFY2(box->text().contains(ready), qPrintable(box->text()));
        box->reject();
        QTRY_VERIFY(window_->findChild<QMessageBox*>(QStringLiteral("confirmTakeOver")) == nullptr);
    }
}

void TestOnlineReadiness::aDenialRaisesTheAlarmBarUntilAcknowledgedAndCountsUnread() {
    AlarmBar* bar = online()->alarmBar();
    bar->acknowledgeButton()->click();
    QVERIFY(bar->isHidden());
    // No desktop tray offscreen: the bar and the count say it all.
    QCOMPARE(bar->tray() != nullptr, QSystemTrayIcon::isSystemTrayAvailable());
    window_->views()->setCurrentWidget(online()->events());
    QCOMPARE(eventsTabText(), QStringLiteral("&Events"));
    window_->views()->setCurrentWidget(online()->dashboard());

    const auto denied = api_->callSync(
        client::api::takeover(QStringLiteral("web-passive"), std::chrono::seconds(30)));
    QVERIFY(!denied.ok());
    QCOMPARE(denied.error().code, QStringLiteral("takeover_denied"));
    QTRY_VERIFY_WITH_TIMEOUT(!bar->isHidden(), kWaitMs);
    QVERIFY2(bar->text()->text().contains("Takeover of web-passive (cluster web) denied: Short of "
                                          "memory: needs 22 GiB, 9 GiB free."),
             qPrintable(bar->text()->text()));
    QVERIFY(bar->styleSheet().contains(toneColor(Tone::critical).name()));
    // takeover.requested and takeover.denied, unseen while the dashboard is shown.
    QTRY_COMPARE_WITH_TIMEOUT(eventsTabText(), QStringLiteral("&Events (2)"), kWaitMs);
    QCOMPARE(online()->unreadEvents()->count(), 2);

    bar->acknowledgeButton()->click();
    QVERIFY(bar->isHidden());
    QVERIFY(bar->alarms().empty());
    QCOMPARE(eventsTabText(), QStringLiteral("&Events (2)"));  // seen is not acknowledged
    window_->views()->setCurrentWidget(online()->events());
    QCOMPARE(eventsTabText(), QStringLiteral("&Events"));
    QCOMPARE(online()->unreadEvents()->count(), 0);
}

void TestOnlineReadiness::theTimelineMarksDenialsPreemptionsFencingAndOutages() {
    TimelineView* timeline = online()->timeline();
    window_->views()->setCurrentWidget(timeline);
    timeline->windowChoice()->setCurrentIndex(0);
    timeline->rebuildNow();
    const Timeline& drawn = timeline->timeline();
    QCOMPARE(drawn.count("takeover.denied"), 1);
    QCOMPARE(drawn.count("preempted"), 2);
    QCOMPARE(drawn.count("fence."), 1);
    for (const char* lane : {"web-passive", "legacy-win-passive", "monitoring-passive"}) {
        QVERIFY2(drawn.lanes.contains(lane), lane);
    }
    QVERIFY(drawn.outages.empty());

    // The service goes away under the console and comes back on the same port.
    service_.stop();
    QTRY_COMPARE_WITH_TIMEOUT(online()->connection()->state(), ConnectionState::reconnecting,
                              kWaitMs);
    AlarmBar* bar = online()->alarmBar();
    QTRY_VERIFY_WITH_TIMEOUT(!bar->isHidden(), kWaitMs);
    QVERIFY2(bar->text()->text().contains("is unreachable"), qPrintable(bar->text()->text()));
    timeline->rebuildNow();
    QCOMPARE(timeline->timeline().outages.size(), std::size_t{1});
    QVERIFY(!timeline->timeline().outages.front().to.isValid());

    QVERIFY2(service_.start(), service_.output().constData());
    QTRY_COMPARE_WITH_TIMEOUT(online()->connection()->state(), ConnectionState::connected, 40000);
    QVERIFY2(bar->text()->text().contains("was unreachable from"), qPrintable(bar->text()->text()));
    // What the console saw, and what the service logged: it stopped, and started again.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            timeline->rebuildNow();
            const auto& outages = timeline->timeline().outages;
            return outages.size() == 2 &&
                   std::all_of(outages.begin(), outages.end(),
                               [](const Outage& outage) { return outage.to.isValid(); });
        }(),
        kWaitMs);
}

QTEST_MAIN(TestOnlineReadiness)
#include "test_online_readiness.moc"

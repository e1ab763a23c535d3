// The console against a real understudyd with two appliances, one of which it never reaches:
// each appliance's state on its dashboard card (a badge in words and colour, and what it means
// for its nodes), the change to lost when it is declared lost, and the service lost and found
// again by the console on its own, said in the status bar.
#include <QLabel>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <memory>

#include "appliance/client/api_client.h"
#include "console_test_support.h"
#include "gui/app/main_window.h"
#include "gui/online/dashboard_view.h"
#include "gui/online/event_log_view.h"
#include "gui/online/node_table_model.h"
#include "gui/online/online_console.h"
#include "gui/online/online_style.h"
#include "tests/support/ports.h"
#include "tests/support/test_driver_host.h"
#include "tests/support/understudyd_process.h"

using namespace understudy::gui;
using namespace understudy::gui::testing;
using namespace understudy::testsupport;
namespace client = understudy::client;

namespace {

constexpr int kWaitMs = 15000;

bool anyMessageContains(const QSignalSpy& spy, const QString& text) {
    for (const QList<QVariant>& arguments : spy) {
        if (arguments.value(0).toString().contains(text)) {
            return true;
        }
    }
    return false;
}

}  // namespace

class TestOnlineApplianceState : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanup();
    void eachAppliancesStateIsOnItsCard();
    void aLostServiceIsSaidAndTheConsoleReconnectsByItself();
    void aNodesApplianceShowsItsStateWhenNotConnected();

private:
    void connectWindow();
    QString card(const QString& appliance, bool note) const;

    QTemporaryDir dir_;
    QTemporaryDir settingsDir_;
    quint16 port_ = 0;
    QString config_;
    std::unique_ptr<UnderstudydProcess> service_;
    std::unique_ptr<MainWindow> window_;
};

// pna-1 on a test-driver host, pna-2 behind a libvirt daemon address where nothing listens: the
// service starts with it unreachable.
void TestOnlineApplianceState::initTestCase() {
    QVERIFY(settingsDir_.isValid());
    isolateSettings(settingsDir_);
    qunsetenv("UNDERSTUDY_TOKEN");
    qputenv("UNDERSTUDY_CONSOLE_NO_KEYRING", "1");
    port_ = freePort();
    writeAdminTokenFile(dir_.filePath("admin.token"));
    config_ = writeApplianceConfig(dir_.path(), port_, {"pna-1", "pna-2"}, {"pna-2"});
    QVERIFY(!config_.isEmpty());
    service_ = std::make_unique<UnderstudydProcess>(dir_.filePath("understudy.db"));
    service_->setPort(port_);
    QVERIFY2(service_->start({"--config", config_}), service_->output().constData());
    window_ = std::make_unique<MainWindow>();
    window_->resize(1400, 900);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
}

void TestOnlineApplianceState::cleanup() {
    if (window_ != nullptr) {
        window_->online()->connection()->disconnectFromService();
    }
}

void TestOnlineApplianceState::connectWindow() {
    OnlineConsole* online = window_->online();
    online->connectTo(service_->url(), kAdminToken, false);
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::connected, kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(online->dashboard()->cardCount(), 2, kWaitMs);
}

// The badge's text, or the note's when `note` (empty while it is hidden).
QString TestOnlineApplianceState::card(const QString& appliance, bool note) const {
    const ApplianceCard* shown = window_->online()->dashboard()->card(appliance);
    if (shown == nullptr) {
        return QStringLiteral("no card");
    }
    if (!note) {
        return shown->stateBadge()->text();
    }
    return shown->stateNote()->isHidden() ? QString() : shown->stateNote()->text();
}

void TestOnlineApplianceState::eachAppliancesStateIsOnItsCard() {
    connectWindow();
    QCOMPARE(card("pna-1", false), QStringLiteral("Connected"));
    QCOMPARE(card("pna-1", true), QString());
    QCOMPARE(card("pna-2", false), QStringLiteral("Unreachable"));
    QVERIFY2(card("pna-2", true).contains("It is not assumed to be off"),
             qPrintable(card("pna-2", true)));
    QVERIFY2(card("pna-2", true).contains("understudyctl appliance lost pna-2"),
             qPrintable(card("pna-2", true)));
    const ApplianceCard* unreachable = window_->online()->dashboard()->card("pna-2");
    QVERIFY(unreachable->stateBadge()->styleSheet().contains(toneColor(Tone::warning).name()));
    // Never reached: its capacity, and so what is free, are not known rather than 0.
    QCOMPARE(unreachable->figure(ApplianceCard::MemoryRow, 0), QStringLiteral("—"));
    QCOMPARE(unreachable->figure(ApplianceCard::VcpuRow, 4), QStringLiteral("—"));
    QCOMPARE(window_->online()->dashboard()->card("pna-1")->figure(ApplianceCard::MemoryRow, 0),
             QStringLiteral("128 GiB"));
    const auto* summary = window_->online()->dashboard()->findChild<QLabel*>("dashboardSummary");
    QVERIFY2(summary->text().startsWith("2 appliances (1 unreachable)"),
             qPrintable(summary->text()));
    // An appliance out of reach is never an all-clear, whatever its clusters' readiness.
    const DashboardView* dashboard = window_->online()->dashboard();
    QTRY_COMPARE_WITH_TIMEOUT(dashboard->headlineTone(), Tone::critical, kWaitMs);
    QVERIFY2(dashboard->headline()->text().contains("Not connected: pna-2 unreachable."),
             qPrintable(dashboard->headline()->text()));

    // Declared lost (as the pool's alert agent does): the card follows the event.
    client::ClientOptions options;
    options.base_url = service_->url();
    options.token = kAdminToken;
    client::ApiClient api(options);
    const auto loss = api.callSync(client::api::declareLost("pna-2"));
    QVERIFY2(loss.ok(), loss.ok() ? "" : qPrintable(loss.error().message));
    QTRY_COMPARE_WITH_TIMEOUT(card("pna-2", false), QStringLiteral("Lost"), kWaitMs);
    QVERIFY2(card("pna-2", true).contains("known to be off"), qPrintable(card("pna-2", true)));
    QVERIFY2(card("pna-2", true).contains("understudyctl appliance rejoin pna-2"),
             qPrintable(card("pna-2", true)));
    QVERIFY(unreachable->stateBadge()->styleSheet().contains(toneColor(Tone::critical).name()));
    QTRY_VERIFY2_WITH_TIMEOUT(summary->text().startsWith("2 appliances (1 lost)"),
                              qPrintable(summary->text()), kWaitMs);
    QCOMPARE(card("pna-1", false), QStringLiteral("Connected"));
    QCOMPARE(eventTone("appliance.lost"), Tone::critical);
    QCOMPARE(eventTone("appliance.unreachable"), Tone::warning);
    QCOMPARE(eventTone("appliance.rejoined"), Tone::good);
}

// The service stops under a connected console (it is moving to another appliance of its pool):
// the status bar says the service was lost, the console asks again by itself, and says so when
// the service is back, with the views live again.
void TestOnlineApplianceState::aLostServiceIsSaidAndTheConsoleReconnectsByItself() {
    connectWindow();
    OnlineConsole* online = window_->online();
    QSignalSpy messages(online, &OnlineConsole::message);
    service_->stop();
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::reconnecting,
                              kWaitMs);
    QVERIFY2(online->stateLabel()->text().contains("Reconnecting to"),
             qPrintable(online->stateLabel()->text()));
    QVERIFY(anyMessageContains(messages, "Lost the service at " + service_->url().toString()));
    QVERIFY(anyMessageContains(messages, "reconnecting by itself"));
    QCOMPARE(online->dashboard()->cardCount(), 2);  // what it last showed

    QVERIFY2(service_->start({"--config", config_}), service_->output().constData());
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::connected, 40000);
    QVERIFY(anyMessageContains(messages, "Reconnected to " + service_->url().toString()));
    QVERIFY(online->stateLabel()->text().contains("Connected to"));
    // The service kept the loss in its database: still lost after its restart.
    QTRY_COMPARE_WITH_TIMEOUT(card("pna-2", false), QStringLiteral("Lost"), kWaitMs);
    window_.reset();
    service_->stop();
}

// In the nodes table, beside each node's appliance: a node behind an unreachable or lost
// appliance reads so at once (and its requests fail at once).
void TestOnlineApplianceState::aNodesApplianceShowsItsStateWhenNotConnected() {
    NodeTableModel model;
    std::vector<client::Appliance> appliances(3);
    const char* names[] = {"pna-1", "pna-2", "pna-3"};
    const char* states[] = {"connected", "unreachable", "lost"};
    std::vector<client::Node> nodes(3);
    for (std::size_t i = 0; i < 3; ++i) {
        appliances[i].name = names[i];
        appliances[i].state = states[i];
        nodes[i].name = QStringLiteral("n%1").arg(i);
        nodes[i].appliance = names[i];
        nodes[i].state = "standby";
    }
    model.setNodes(nodes);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.setAppliances(appliances);
    QCOMPARE(changed.count(), 1);
    const auto shown = [&model](int row, int role) {
        return model.index(row, NodeTableModel::Appliance).data(role);
    };
    QCOMPARE(shown(0, Qt::DisplayRole).toString(), QStringLiteral("pna-1"));
    QCOMPARE(shown(1, Qt::DisplayRole).toString(), QStringLiteral("pna-2 (unreachable)"));
    QCOMPARE(shown(2, Qt::DisplayRole).toString(), QStringLiteral("pna-3 (lost)"));
    QVERIFY(shown(0, Qt::DecorationRole).isNull());
    QVERIFY(!shown(1, Qt::DecorationRole).isNull());
    QVERIFY(!shown(2, Qt::DecorationRole).isNull());
    model.setAppliances(appliances);
    QCOMPARE(changed.count(), 1);  // nothing changed, nothing repainted
}

QTEST_MAIN(TestOnlineApplianceState)
#include "test_online_appliance_state.moc"

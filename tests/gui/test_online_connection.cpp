// The console's connection told honestly, against a real `understudyd --demo` stopped and
// started under it: while the service is away the views are greyed with "data as of HH:MM:SS",
// the actions wait and nothing says "Online"; once it is back everything is fetched again and
// the selected row's actions are enabled without selecting it again.
#include <QGraphicsEffect>
#include <QLabel>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <memory>

#include "appliance/client/api_client.h"
#include "console_test_support.h"
#include "gui/app/main_window.h"
#include "gui/online/dashboard_view.h"
#include "gui/online/event_log_view.h"
#include "gui/online/node_table_model.h"
#include "gui/online/nodes_view.h"
#include "gui/online/online_console.h"
#include "gui/online/timeline_view.h"
#include "tests/support/ports.h"
#include "tests/support/understudyd_process.h"

using namespace understudy::gui;
using namespace understudy::gui::testing;
using namespace understudy::testsupport;
namespace client = understudy::client;

namespace {

constexpr int kWaitMs = 15000;

// The status bar's labels, also those a passing message hides for a while.
QStringList statusTexts(const MainWindow& window) {
    QStringList texts;
    for (const QLabel* label : window.statusBar()->findChildren<QLabel*>()) {
        texts << label->text();
    }
    return texts;
}

// Connected with no fleet file open, Sizing and Clusters show the service's fleet, and the
// status says so from the moment the connection is up.
QString liveMode(const QUrl& service) {
    return QStringLiteral("Online — the live fleet of %1").arg(service.host());
}

bool saysOnline(const QStringList& status) {
    return std::any_of(status.begin(), status.end(),
                       [](const QString& text) { return text.startsWith(u"Online"); });
}

}  // namespace

class TestOnlineConnection : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void aLostServiceGreysTheViewsAndItsReturnEnablesTheSelectedRowsActions();

private:
    QList<QWidget*> views() const;

    QTemporaryDir dir_;
    QTemporaryDir settingsDir_;
    std::unique_ptr<UnderstudydProcess> service_;
    std::unique_ptr<MainWindow> window_;
};

void TestOnlineConnection::initTestCase() {
    QVERIFY(settingsDir_.isValid());
    isolateOnlineSettings(settingsDir_);
    // One port for both runs, so the console finds the service again where it was.
    service_ = std::make_unique<UnderstudydProcess>(dir_.filePath("understudy.db"));
    service_->setPort(freePort());
    QVERIFY2(service_->start(), service_->output().constData());
    window_ = std::make_unique<MainWindow>();
    window_->resize(1440, 900);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
}

QList<QWidget*> TestOnlineConnection::views() const {
    OnlineConsole* online = window_->online();
    return {online->dashboard(), online->nodes(), online->timeline(), online->events()};
}

void TestOnlineConnection::aLostServiceGreysTheViewsAndItsReturnEnablesTheSelectedRowsActions() {
    OnlineConsole* online = window_->online();
    online->connectTo(service_->url(), kAdminToken, false);
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::connected, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(online->nodes()->model()->rowCount() > 0, kWaitMs);
    QString node;
    for (const client::Node& candidate : online->connection()->fleet().nodes) {
        if (candidate.state == QLatin1String("standby")) {
            node = candidate.name;
            break;
        }
    }
    QVERIFY(!node.isEmpty());
    window_->views()->setCurrentWidget(online->nodes());
    online->nodes()->selectNode(node);
    QVERIFY(online->nodes()->takeOverAction()->isEnabled());
    QVERIFY(online->staleBanner()->isHidden());
    for (QWidget* view : views()) {
        QVERIFY(view->graphicsEffect() == nullptr);
    }
    QVERIFY2(statusTexts(*window_).contains(liveMode(service_->url())),
             qPrintable(statusTexts(*window_).join(u'|')));

    service_->stop();
    const QTime stopped = QTime::currentTime();
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::reconnecting,
                              kWaitMs);
    QVERIFY(online->showsStaleData());
    for (QWidget* view : views()) {
        QVERIFY2(view->graphicsEffect() != nullptr && view->graphicsEffect()->isEnabled(),
                 qPrintable(view->objectName()));
    }
    QVERIFY(online->staleBanner()->isVisible());
    const QString banner = online->staleBanner()->text();
    QVERIFY2(banner.contains(QStringLiteral("data as of ")), qPrintable(banner));
    const QTime asOf = QTime::fromString(banner.section(QStringLiteral("data as of "), 1),
                                         QStringLiteral("HH:mm:ss"));
    QVERIFY2(asOf.isValid() && asOf <= stopped.addSecs(1) && asOf >= stopped.addSecs(-30),
             qPrintable(banner));
    QCOMPARE(online->nodes()->selectedNode(), node);
    for (QAction* action : online->serviceActions()) {
        QVERIFY2(!action->isEnabled(), qPrintable(action->objectName()));
    }
    const QStringList status = statusTexts(*window_);
    QVERIFY2(!saysOnline(status), qPrintable(status.join(u'|')));
    QVERIFY2(status.contains(QStringLiteral("Not live")), qPrintable(status.join(u'|')));
    // What it showed stays readable: the rows are still there.
    QVERIFY(online->nodes()->model()->node(node) != nullptr);

    QVERIFY2(service_->start(), service_->output().constData());
    // A change the console did not see happen: it has to fetch the fleet again to show it.
    client::ClientOptions options;
    options.base_url = service_->url();
    options.token = kAdminToken;
    client::ApiClient api(options);
    const auto taken = api.callSync(client::api::takeover(node));
    QVERIFY2(taken.ok(), taken.ok() ? "" : qPrintable(taken.error().message));
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::connected, 40000);
    QTRY_COMPARE_WITH_TIMEOUT(online->nodes()->model()->node(node)->state, QStringLiteral("active"),
                              kWaitMs);
    QVERIFY(!online->showsStaleData());
    QVERIFY(online->staleBanner()->isHidden());
    for (QWidget* view : views()) {
        QVERIFY(view->graphicsEffect() == nullptr);
    }
    // The row selected before the outage is still selected and its actions follow its state.
    QCOMPARE(online->nodes()->selectedNode(), node);
    QVERIFY(online->nodes()->releaseAction()->isEnabled());
    QVERIFY(online->nodes()->fenceAction()->isEnabled());
    QVERIFY(!online->nodes()->takeOverAction()->isEnabled());
    QVERIFY2(statusTexts(*window_).contains(liveMode(service_->url())),
             qPrintable(statusTexts(*window_).join(u'|')));
    const auto released = api.callSync(client::api::release(node));
    QVERIFY(released.ok());
    QTRY_VERIFY_WITH_TIMEOUT(online->nodes()->takeOverAction()->isEnabled(), kWaitMs);
    online->connection()->disconnectFromService();
    window_.reset();
    service_->stop();
}

QTEST_MAIN(TestOnlineConnection)
#include "test_online_connection.moc"

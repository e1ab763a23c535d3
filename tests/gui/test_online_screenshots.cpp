// Screenshots of the console's main views under a real X server (CTest runs it through
// `xvfb-run -a`, QT_QPA_PLATFORM=xcb), taken with QScreen::grabWindow as a person would see
// them: online against a real `understudyd --demo` with some takeovers done (Dashboard, Nodes
// with the service's what-if for a cluster, Timeline, Events, a cluster's details, the what-if
// on the live fleet), then
// offline on the sample fleet (Sizing, the what-if with failovers, the dark palette). Saved to
// the build folder's screenshots/, for people to look at after a change. The overloaded console
// is also checked for text cut short at 1440×900.
#include <QAbstractButton>
#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QHeaderView>
#include <QImage>
#include <QLabel>
#include <QScreen>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QWindow>
#include <QtTest>
#include <set>

#include "appliance/client/api_client.h"
#include "console_test_support.h"
#include "gui/offline/clusters_view.h"
#include "gui/offline/sizing_view.h"
#include "gui/offline/what_if_panel.h"
#include "gui/online/alarm_bar.h"
#include "gui/online/dashboard_view.h"
#include "gui/online/event_log_view.h"
#include "gui/online/node_table_model.h"
#include "gui/online/nodes_view.h"
#include "gui/online/online_console.h"
#include "gui/online/service_what_if_view.h"
#include "gui/online/timeline_view.h"
#include "tests/support/understudyd_process.h"

using namespace understudy::gui;
using namespace understudy::gui::testing;
using namespace understudy::testsupport;

namespace {

// Texts the operator cannot read whole in `root` as it is laid out now: a one-line label or a
// button narrower than its text, a table column narrower than its header or its widest cell
// (unless its cells read whole in a tooltip).
QStringList truncatedTexts(QWidget* root) {
    QStringList found;
    for (QLabel* label : root->findChildren<QLabel*>()) {
        if (label->isVisibleTo(root) && !label->wordWrap() && !label->text().isEmpty() &&
            label->pixmap().isNull() && label->width() < label->sizeHint().width()) {
            found << QStringLiteral("label %1 \"%2\": %3 of %4 px")
                         .arg(label->objectName(), label->text().left(60))
                         .arg(label->width())
                         .arg(label->sizeHint().width());
        }
    }
    for (QAbstractButton* button : root->findChildren<QAbstractButton*>()) {
        if (button->isVisibleTo(root) && !button->text().isEmpty() &&
            button->width() < button->sizeHint().width()) {
            found << QStringLiteral("button \"%1\": %2 of %3 px")
                         .arg(button->text())
                         .arg(button->width())
                         .arg(button->sizeHint().width());
        }
    }
    for (QTableView* table : root->findChildren<QTableView*>()) {
        if (!table->isVisibleTo(root) || table->model() == nullptr) {
            continue;
        }
        QHeaderView* header = table->horizontalHeader();
        for (int column = 0; column < table->model()->columnCount(); ++column) {
            // A column whose cells carry their whole text as a tooltip reads whole on hover.
            const bool hover = table->model()->rowCount() > 0 &&
                               table->model()->index(0, column).data(Qt::ToolTipRole).isValid();
            if (table->isColumnHidden(column) || hover) {
                continue;
            }
            const QAbstractItemView* view = table;  // QTableView hides it
            const int needed =
                std::max(header->sectionSizeHint(column), view->sizeHintForColumn(column));
            if (table->columnWidth(column) < needed) {
                found << QStringLiteral("%1 column \"%2\": %3 of %4 px")
                             .arg(table->objectName(),
                                  table->model()->headerData(column, Qt::Horizontal).toString())
                             .arg(table->columnWidth(column))
                             .arg(needed);
            }
        }
    }
    return found;
}

}  // namespace

class TestOnlineScreenshots : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void savesTheOnlineViews();
    void savesTheOverloadedConsole();
    void savesTheOfflineViews();

private:
    void save(QWidget* widget, const QString& name);
    void showConnected(MainWindow& window, const QSize& size, const QUrl& url);

    QTemporaryDir settingsDir_;
    UnderstudydProcess service_;
    QDir out_;
};

void TestOnlineScreenshots::initTestCase() {
    QVERIFY(settingsDir_.isValid());
    isolateSettings(settingsDir_);
    qputenv("UNDERSTUDY_CONSOLE_NO_KEYRING", "1");
    // The point is what an X server shows; offscreen would render without one.
    QCOMPARE(QGuiApplication::platformName(), QStringLiteral("xcb"));
    out_ = QDir(QStringLiteral(UNDERSTUDY_SCREENSHOT_DIR));
    QVERIFY(out_.mkpath(QStringLiteral(".")));
    QVERIFY2(service_.start(), service_.output().constData());
}

// The window as the X server shows it, once painted.
void TestOnlineScreenshots::save(QWidget* widget, const QString& name) {
    QVERIFY(QTest::qWaitForWindowExposed(widget));
    widget->repaint();
    QTest::qWait(300);
    QScreen* screen = widget->window()->windowHandle()->screen();
    const QImage image = screen->grabWindow(widget->window()->winId()).toImage();
    QVERIFY(!image.isNull());
    QVERIFY2(image.width() >= widget->window()->width() * 9 / 10, qPrintable(name));
    // Something was drawn: a grab of an unpainted window has a handful of colours at most.
    std::set<QRgb> colours;
    for (int y = 0; y < image.height(); y += 7) {
        for (int x = 0; x < image.width(); x += 7) {
            colours.insert(image.pixel(x, y));
        }
    }
    QVERIFY2(colours.size() > 20, qPrintable(name));
    const QString path = out_.filePath(name);
    QVERIFY2(image.save(path), qPrintable(path));
    qInfo("saved %s", qPrintable(path));
}

// `window` shown at `size`, connected to the service at `url`.
void TestOnlineScreenshots::showConnected(MainWindow& window, const QSize& size, const QUrl& url) {
    window.resize(size);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.online()->connectTo(url, kAdminToken, false);
    QTRY_COMPARE_WITH_TIMEOUT(window.online()->connection()->state(), ConnectionState::connected,
                              15000);
}

void TestOnlineScreenshots::savesTheOnlineViews() {
    MainWindow window;
    showConnected(window, QSize(1600, 1000), service_.url());
    OnlineConsole* online = window.online();
    QTRY_VERIFY_WITH_TIMEOUT(online->connection()->fleet().sized, 15000);

    // A little history: one takeover released again, two still active, one reboot.
    std::vector<QString> nodes;
    for (const auto& node : online->connection()->fleet().nodes) {
        nodes.push_back(node.name);
    }
    QVERIFY(nodes.size() >= 5);
    auto waitFor = [&](const QString& node, const QString& state) {
        QTRY_COMPARE_WITH_TIMEOUT(online->nodes()->model()->node(node)->state, state, 15000);
    };
    online->nodes()->takeOver(nodes[0]);
    waitFor(nodes[0], QStringLiteral("active"));
    QTest::qWait(1200);
    online->nodes()->release(nodes[0]);
    waitFor(nodes[0], QStringLiteral("standby"));
    online->nodes()->takeOver(nodes[1]);
    waitFor(nodes[1], QStringLiteral("active"));
    online->nodes()->power(nodes[3], understudy::PowerAction::reboot);
    QTest::qWait(800);
    online->nodes()->takeOver(nodes[2]);
    waitFor(nodes[2], QStringLiteral("active"));
    QTest::qWait(1500);

    window.views()->setCurrentWidget(online->dashboard());
    QTRY_VERIFY_WITH_TIMEOUT(online->dashboard()->cardCount() > 0, 15000);
    save(&window, QStringLiteral("online-dashboard.png"));

    // The service's what-if for a standby node's cluster, shown under the table.
    window.views()->setCurrentWidget(online->nodes());
    online->nodes()->selectNode(nodes[4]);
    online->whatIfFailed(online->nodes()->model()->node(nodes[4])->cluster);
    QTRY_VERIFY_WITH_TIMEOUT(online->nodes()->outcome()->text().contains(QStringLiteral("What-if")),
                             15000);
    save(&window, QStringLiteral("online-nodes.png"));

    window.views()->setCurrentWidget(online->timeline());
    online->timeline()->windowChoice()->setCurrentIndex(0);
    QTRY_VERIFY_WITH_TIMEOUT(online->timeline()->timeline().lanes.size() >= 3, 15000);
    save(&window, QStringLiteral("online-timeline.png"));
    window.views()->setCurrentWidget(online->events());
    save(&window, QStringLiteral("online-events.png"));

    online->nodes()->selectNode(nodes[0]);
    online->showClusterDetails(online->nodes()->model()->node(nodes[0])->cluster);
    QDialog* details = nullptr;
    QTRY_VERIFY((details = window.findChild<QDialog*>(QStringLiteral("clusterDetails"))) !=
                nullptr);
    auto* failovers = details->findChild<QLabel*>(QStringLiteral("clusterFailovers"));
    QTRY_VERIFY_WITH_TIMEOUT(failovers->text().toInt() >= 1, 15000);
    save(details, QStringLiteral("online-cluster-details.png"));
    details->reject();

    // The what-if on the live fleet at 1440×900: a standby cluster and one already active failed
    // now; the service's answer leads, every node in its state now, with what stays free.
    window.resize(1440, 900);
    window.findChild<QAction*>(QStringLiteral("liveWhatIfAction"))->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(window.liveBaseline().has_value() && showsLatestResult(window), 15000);
    std::set<QString> failing = {online->nodes()->model()->node(nodes[4])->cluster,
                                 online->nodes()->model()->node(nodes[1])->cluster};
    QTableView* clusters = window.clustersView()->table();
    window.views()->setCurrentWidget(window.clustersView());
    for (int row = 0; row < clusters->model()->rowCount(); ++row) {
        if (failing.count(clusters->model()->index(row, 0).data().toString()) != 0) {
            clusters->selectionModel()->select(
                clusters->model()->index(row, 0),
                QItemSelectionModel::Select | QItemSelectionModel::Rows);
        }
    }
    QCOMPARE(window.clustersView()->selectedClusters().size(), failing.size());
    window.findChild<QAction*>(QStringLiteral("failAction"))->trigger();
    ServiceWhatIfView* service = window.serviceWhatIf();
    QTRY_VERIFY_WITH_TIMEOUT(service->hasAnswer() && !service->answer()->takeovers.empty() &&
                                 !window.liveWhatIf()->waiting(),
                             15000);
    save(&window, QStringLiteral("online-live-what-if.png"));
    online->connection()->disconnectFromService();
}

// Issue 21's overloaded appliance at 1440×900: four clusters active, one node preempted, one
// fenced, denials; the dashboard leads with who cannot fail over, the alarm bar is up.
void TestOnlineScreenshots::savesTheOverloadedConsole() {
    UnderstudydProcess service;
    QVERIFY2(service.start(), service.output().constData());
    understudy::client::ClientOptions options;
    options.base_url = service.url();
    options.token = kAdminToken;
    understudy::client::ApiClient api(options);
    MainWindow window;
    showConnected(window, QSize(1440, 900), service.url());
    OnlineConsole* online = window.online();
    for (const char* node : {"dwh-passive", "erp-passive", "billing-passive", "crm-passive"}) {
        QVERIFY(api.callSync(understudy::client::api::takeover(node, std::chrono::seconds(60))));
    }
    QVERIFY(api.callSync(understudy::client::api::power(QStringLiteral("monitoring-passive"),
                                                        understudy::PowerAction::off)));
    QVERIFY(!api.callSync(understudy::client::api::takeover(QStringLiteral("web-passive"),
                                                            std::chrono::seconds(60))));
    QTRY_VERIFY_WITH_TIMEOUT(
        !online->alarmBar()->isHidden() && online->alarmBar()->text()->text().contains("denied"),
        15000);
    QTRY_VERIFY_WITH_TIMEOUT(online->dashboard()->headline()->text().contains("web (short"), 15000);
    window.views()->setCurrentWidget(online->dashboard());
    save(&window, QStringLiteral("online-overloaded-dashboard.png"));
    QStringList truncated = truncatedTexts(online->dashboard());
    window.views()->setCurrentWidget(online->nodes());
    online->nodes()->selectNode(QStringLiteral("web-passive"));
    save(&window, QStringLiteral("online-overloaded-nodes.png"));
    truncated << truncatedTexts(online->nodes());
    window.views()->setCurrentWidget(online->timeline());
    online->timeline()->windowChoice()->setCurrentIndex(0);
    save(&window, QStringLiteral("online-overloaded-timeline.png"));
    truncated << truncatedTexts(online->timeline());
    window.views()->setCurrentWidget(online->events());
    QTest::qWait(300);
    truncated << truncatedTexts(online->events());
    QVERIFY2(truncated.isEmpty(), qPrintable(truncated.join(QStringLiteral("\n"))));
    online->connection()->disconnectFromService();
}

void TestOnlineScreenshots::savesTheOfflineViews() {
    MainWindow window;
    window.resize(1600, 1000);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.openFleet(sampleFleetPath()).ok());
    QTRY_VERIFY_WITH_TIMEOUT(showsLatestResult(window), 20000);
    save(&window, QStringLiteral("offline-sizing.png"));

    // The what-if: less memory than proposed, and four clusters failed over at once.
    QDoubleSpinBox* memory = window.whatIfPanel()->applianceMemory();
    memory->setValue(memory->value() * 0.6);
    QTRY_VERIFY_WITH_TIMEOUT(showsLatestResult(window), 20000);
    window.views()->setCurrentWidget(window.clustersView());
    failOverTogether(window, {QStringLiteral("erp"), QStringLiteral("dwh"),
                              QStringLiteral("webshop"), QStringLiteral("crm")});
    QTRY_VERIFY_WITH_TIMEOUT(showsLatestResult(window), 20000);
    save(&window, QStringLiteral("offline-what-if.png"));

    window.findChild<QAction*>(QStringLiteral("darkPaletteAction"))->trigger();
    window.views()->setCurrentWidget(window.sizingView());
    save(&window, QStringLiteral("offline-sizing-dark.png"));
    window.findChild<QAction*>(QStringLiteral("darkPaletteAction"))->trigger();
}

QTEST_MAIN(TestOnlineScreenshots)
#include "test_online_screenshots.moc"

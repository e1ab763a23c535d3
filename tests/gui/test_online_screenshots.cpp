// Saves PNGs of the console's online views (Dashboard, Nodes, Timeline, Events) against a real
// `understudyd --demo` with some takeovers done, to the build folder's screenshots/, for people
// to look at after a change. Runs offscreen: QWidget::grab() renders the real widgets.
#include <QComboBox>
#include <QDir>
#include <QImage>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include "console_test_support.h"
#include "demo_service.h"
#include "gui/dashboard_view.h"
#include "gui/event_log_view.h"
#include "gui/nodes_view.h"
#include "gui/online_console.h"
#include "gui/timeline_view.h"

using namespace understudy::gui;
using namespace understudy::gui::testing;

class TestOnlineScreenshots : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void savesTheOnlineViews();

private:
    void save(QWidget* widget, const QString& name);

    QTemporaryDir settingsDir_;
    DemoService service_;
    QDir out_;
};

void TestOnlineScreenshots::initTestCase() {
    QVERIFY(settingsDir_.isValid());
    isolateSettings(settingsDir_);
    qputenv("UNDERSTUDY_CONSOLE_NO_KEYRING", "1");
    out_ = QDir(QStringLiteral(UNDERSTUDY_SCREENSHOT_DIR));
    QVERIFY(out_.mkpath(QStringLiteral(".")));
    QVERIFY2(service_.start(), service_.output().constData());
}

void TestOnlineScreenshots::save(QWidget* widget, const QString& name) {
    QTest::qWait(100);
    const QImage image = widget->grab().toImage();
    QVERIFY(!image.isNull());
    // A blank grab (nothing rendered) would have one colour throughout.
    QVERIFY(image.pixel(image.width() / 2, image.height() / 2) != image.pixel(2, 2) ||
            image.pixel(image.width() / 3, image.height() / 4) != image.pixel(2, 2));
    const QString path = out_.filePath(name);
    QVERIFY2(image.save(path), qPrintable(path));
    qInfo("saved %s", qPrintable(path));
}

void TestOnlineScreenshots::savesTheOnlineViews() {
    MainWindow window;
    window.resize(1600, 1000);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    OnlineConsole* online = window.online();
    online->connectTo(service_.url(), kAdminToken, false);
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::connected, 15000);
    QTRY_VERIFY_WITH_TIMEOUT(online->connection()->fleet().sized, 15000);

    // A little history: one takeover released again, two still active, one reboot.
    std::vector<QString> nodes;
    for (const auto& node : online->connection()->fleet().nodes) {
        nodes.push_back(node.name);
    }
    QVERIFY(nodes.size() >= 4);
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
    online->nodes()->power(nodes[3], understudy::client::PowerAction::reboot);
    QTest::qWait(800);
    online->nodes()->takeOver(nodes[2]);
    waitFor(nodes[2], QStringLiteral("active"));
    QTest::qWait(1500);

    window.views()->setCurrentWidget(online->dashboard());
    save(&window, QStringLiteral("online-dashboard.png"));
    window.views()->setCurrentWidget(online->nodes());
    online->nodes()->selectNode(nodes[1]);
    save(&window, QStringLiteral("online-nodes.png"));
    window.views()->setCurrentWidget(online->timeline());
    online->timeline()->windowChoice()->setCurrentIndex(0);
    save(&window, QStringLiteral("online-timeline.png"));
    window.views()->setCurrentWidget(online->events());
    save(&window, QStringLiteral("online-events.png"));
    online->connection()->disconnectFromService();
}

QTEST_MAIN(TestOnlineScreenshots)
#include "test_online_screenshots.moc"

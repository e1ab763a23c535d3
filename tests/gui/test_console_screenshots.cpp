// Saves PNGs of the console's main views to the build folder (screenshots/), for people to look
// at after a change. Runs offscreen: QWidget::grab() renders the real widgets without a display.
#include <QAction>
#include <QDialogButtonBox>
#include <QDir>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include "console_test_support.h"
#include "gui/offline/clusters_view.h"
#include "gui/offline/sizing_view.h"
#include "gui/offline/what_if_panel.h"
#include "gui/widgets/add_cluster_dialog.h"
#include "gui/widgets/risk_spin_box.h"

using namespace understudy::gui;
using namespace understudy::gui::testing;

class TestConsoleScreenshots : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void savesTheMainViews();

private:
    void save(QWidget* widget, const QString& name);
    void waitForResult(MainWindow& window);

    QTemporaryDir settingsDir_;
    QDir out_;
};

void TestConsoleScreenshots::initTestCase() {
    QVERIFY(settingsDir_.isValid());
    isolateSettings(settingsDir_);
    out_ = QDir(QStringLiteral(UNDERSTUDY_SCREENSHOT_DIR));
    QVERIFY(out_.mkpath(QStringLiteral(".")));
}

void TestConsoleScreenshots::save(QWidget* widget, const QString& name) {
    QCoreApplication::processEvents();
    const QImage image = widget->grab().toImage();
    QVERIFY(!image.isNull());
    // A blank grab (nothing rendered) would have one colour throughout.
    QVERIFY(image.pixel(image.width() / 2, image.height() / 2) != image.pixel(2, 2) ||
            image.pixel(image.width() / 3, image.height() / 4) != image.pixel(2, 2));
    const QString path = out_.filePath(name);
    QVERIFY2(image.save(path), qPrintable(path));
    qInfo("saved %s", qPrintable(path));
}

void TestConsoleScreenshots::waitForResult(MainWindow& window) {
    QTRY_VERIFY_WITH_TIMEOUT(showsLatestResult(window), 20000);
    QCoreApplication::processEvents();
}

void TestConsoleScreenshots::savesTheMainViews() {
    MainWindow window;
    window.resize(1600, 1000);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.openFleet(sampleFleetPath()).ok());
    waitForResult(window);
    save(&window, QStringLiteral("sizing-light.png"));

    // Less memory than the proposal: the risk moves over the target, and three failovers
    // contend for what is left.
    QDoubleSpinBox* memory = window.whatIfPanel()->applianceMemory();
    memory->setValue(memory->value() * 0.6);
    waitForResult(window);
    save(&window, QStringLiteral("sizing-over-target-light.png"));

    // So little memory that the largest clusters can never fit: they must stand out.
    const double proposed = memory->value() / 0.6;
    memory->setValue(proposed * 0.35);
    waitForResult(window);
    save(&window, QStringLiteral("sizing-unservable-light.png"));
    memory->setValue(proposed * 0.6);
    waitForResult(window);

    window.views()->setCurrentWidget(window.clustersView());
    failOverTogether(window, {QStringLiteral("erp"), QStringLiteral("dwh"),
                              QStringLiteral("webshop"), QStringLiteral("crm")});
    save(&window, QStringLiteral("clusters-failover-light.png"));

    window.findChild<QAction*>(QStringLiteral("darkPaletteAction"))->trigger();
    save(&window, QStringLiteral("clusters-failover-dark.png"));
    window.views()->setCurrentWidget(window.sizingView());
    window.whatIfPanel()->targetRisk()->setValue(1e-9);
    waitForResult(window);
    save(&window, QStringLiteral("sizing-over-target-dark.png"));
    window.findChild<QAction*>(QStringLiteral("revertAction"))->trigger();
    waitForResult(window);
    save(&window, QStringLiteral("sizing-dark.png"));
    auto* curves = window.sizingView()->findChild<QTabWidget*>(QStringLiteral("curveTabs"));
    QVERIFY(curves != nullptr);
    curves->setCurrentIndex(1);
    save(&window, QStringLiteral("distribution-dark.png"));
    curves->setCurrentIndex(0);
    window.findChild<QAction*>(QStringLiteral("darkPaletteAction"))->trigger();

    window.findChild<QAction*>(QStringLiteral("addClusterAction"))->trigger();
    auto* dialog = window.findChild<AddClusterDialog*>();
    QVERIFY(dialog != nullptr);
    dialog->findChild<QLineEdit*>(QStringLiteral("clusterName"))
        ->setText(QStringLiteral("payroll"));
    dialog->findChild<QSpinBox*>(QStringLiteral("standbyVcpus"))->setValue(4);
    dialog->findChild<QSpinBox*>(QStringLiteral("activeVcpus"))->setValue(2);
    dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
    QVERIFY(dialog->errorLabel()->isVisible());
    dialog->adjustSize();
    save(dialog, QStringLiteral("add-cluster-error.png"));
    dialog->reject();
}

QTEST_MAIN(TestConsoleScreenshots)
#include "test_console_screenshots.moc"

#include <QAction>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProcess>
#include <QProgressDialog>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QtTest>

#include "console_test_support.h"
#include "gui/app/help_dialog.h"
#include "gui/offline/cluster_table_model.h"
#include "gui/offline/clusters_view.h"
#include "gui/offline/sizing_view.h"
#include "gui/offline/what_if_panel.h"
#include "gui/online/connect_dialog.h"
#include "gui/online/event_log_view.h"
#include "gui/online/node_table_model.h"
#include "gui/online/nodes_view.h"
#include "gui/online/online_console.h"
#include "gui/online/token_store.h"
#include "gui/widgets/add_cluster_dialog.h"
#include "gui/widgets/console_palette.h"
#include "gui/widgets/console_settings.h"
#include "gui/widgets/risk_spin_box.h"
#include "sizing/fleet_file.h"
#include "tests/support/result_checks.h"

using namespace understudy;
using namespace understudy::gui;
using namespace understudy::gui::testing;

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void openingTheSampleFleetShowsTwelveClustersMeetingTheTarget();
    void theSizingFiguresUseOneNotation();
    void aStricterTargetBreaksTheTargetAndRaisesTheRequiredCapacity();
    void lessCapacityBreaksTheTarget();
    void removingAClusterLeavesElevenRows();
    void failingTwoClustersShowsTheirOutcomes();
    void filteringNarrowsTheTable();
    void exportWritesEachFormat_data();
    void exportWritesEachFormat();
    void cancellingAnExportLeavesNoFile();
    void anExportToAMissingFolderSaysWhereAndWhatToDo();
    void anInvalidAddedClusterIsRefusedAndChangesNothing();
    void aValidAddedClusterJoinsTheTable();
    void savingWritesTheEditedFleet();
    void aBadFleetFileIsReportedAndNothingIsComputed();
    void everyMainActionHasItsOwnShortcut();
    void thePaletteAndWindowGeometryAreRemembered();
    void theEventColumnsAreRemembered();
    void theNodeColumnsTheOperatorSizedAreRemembered();
    void settingsAndTheTokenFileStayInTheTestsFolder();
    void f1OpensTheHelpWithItsGlossary();
    void helpAndVersionAnswerWithoutADisplay();
    void quickEditsShowOnlyTheNewestAnswer();
    void aServiceUrlWithoutATokenAsksForOneBeforeConnecting();
    void tabMovesThroughTheWhatIfControlsInOrder();

private:
    void openSample();
    void selectClusters(const QStringList& names);
    int rowOf(const QString& name) const;

    QTemporaryDir settingsDir_;
    std::unique_ptr<QTemporaryDir> work_;
    std::unique_ptr<MainWindow> window_;
};

void TestMainWindow::initTestCase() {
    QVERIFY(settingsDir_.isValid());
    isolateSettings(settingsDir_);
}

void TestMainWindow::init() {
    work_ = std::make_unique<QTemporaryDir>();
    window_ = std::make_unique<MainWindow>();
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    window_->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(window_.get()));
}

void TestMainWindow::cleanup() {
    window_.reset();
    work_.reset();
}

void TestMainWindow::openSample() {
    QVERIFY(window_->openFleet(sampleFleetPath()).ok());
    QTRY_VERIFY_WITH_TIMEOUT(showsLatestResult(*window_), 20000);
}

int TestMainWindow::rowOf(const QString& name) const {
    const QAbstractItemModel* model = window_->clustersView()->table()->model();
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->index(row, 0).data().toString() == name) {
            return row;
        }
    }
    return -1;
}

void TestMainWindow::selectClusters(const QStringList& names) {
    QTableView* table = window_->clustersView()->table();
    window_->views()->setCurrentWidget(window_->clustersView());
    table->clearSelection();
    for (const QString& name : names) {
        const int row = rowOf(name);
        QVERIFY2(row >= 0, qPrintable(name));
        const QRect cell = table->visualRect(table->model()->index(row, 0));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, Qt::ControlModifier, cell.center());
    }
    QCOMPARE(window_->clustersView()->selectedClusters().size(),
             static_cast<std::size_t>(names.size()));
}

void TestMainWindow::openingTheSampleFleetShowsTwelveClustersMeetingTheTarget() {
    openSample();
    QCOMPARE(window_->clustersView()->table()->model()->rowCount(), 12);
    QVERIFY2(window_->sizingView()->verdictHeadline().contains(QStringLiteral("Meets the target")),
             qPrintable(window_->sizingView()->verdictHeadline()));
    QVERIFY(window_->sizingView()->verdict().verdict != Verdict::critical);
    auto* status = window_->findChild<QLabel*>(QStringLiteral("statusVerdict"));
    QVERIFY(status->text().contains(QStringLiteral("Meets the target")));
    // The fleet names no appliance: the engine's proposal becomes the what-if's appliance.
    QCOMPARE(window_->fleet().appliances.size(), std::size_t{1});
    QVERIFY(window_->whatIfPanel()->applianceVcpus()->isEnabled());
    QVERIFY(!window_->modified());
}

void TestMainWindow::theSizingFiguresUseOneNotation() {
    openSample();
    QStringList texts;
    QStringList riskTips;
    for (const QLabel* label : window_->sizingView()->findChildren<QLabel*>()) {
        texts << label->text();
        if (label->text().startsWith(QStringLiteral("1 in ")) ||
            label->text().startsWith(QStringLiteral("0  "))) {
            riskTips << label->toolTip();
        }
    }
    const QString all = texts.join(u'\n');
    // The two requirements are named by what they are, never both "required for the target".
    QVERIFY2(all.contains(QStringLiteral("Fleet risk meets the target at")) &&
                 all.contains(QStringLiteral("Every cluster meets the target at")) &&
                 all.contains(QStringLiteral("so every cluster meets the target:")) &&
                 !all.contains(QStringLiteral("Required for the target")),
             qPrintable(all));
    QVERIFY2(all.contains(QStringLiteral(" ×")) && !all.contains(QStringLiteral(" : 1")),
             qPrintable(all));
    QVERIFY2(!all.contains(QRegularExpression(QStringLiteral("\\de-\\d"))), qPrintable(all));
    QCOMPARE(riskTips.size(), 2);  // memory and vCPUs
    for (const QString& tip : riskTips) {
        QVERIFY2(tip.startsWith(QStringLiteral("exactly ")), qPrintable(tip));
    }
    const QAbstractItemModel* clusters = window_->clustersView()->table()->model();
    const QString tip =
        clusters->index(0, ClusterTableModel::FailoverProbability).data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.startsWith(QStringLiteral("exactly ")), qPrintable(tip));
}

void TestMainWindow::aStricterTargetBreaksTheTargetAndRaisesTheRequiredCapacity() {
    openSample();
    const auto before = window_->snapshot();
    const std::int64_t requiredBefore =
        before->result.appliances.front().figures(sizing::Resource::memory_mib).required_capacity;

    RiskSpinBox* target = window_->whatIfPanel()->targetRisk();
    target->setFocus();
    target->selectAll();
    QTest::keyClicks(target, QStringLiteral("1e-9"));
    QTest::keyClick(target, Qt::Key_Enter);
    QCOMPARE(target->value(), 1e-9);
    QTRY_VERIFY_WITH_TIMEOUT(showsLatestResult(*window_) && window_->snapshot() != before, 20000);

    const auto after = window_->snapshot();
    QCOMPARE(after->result.target_risk, 1e-9);
    QCOMPARE(window_->sizingView()->verdict().verdict, Verdict::critical);
    QVERIFY(window_->sizingView()->verdictHeadline().contains(QStringLiteral("Does not meet")));
    const std::int64_t requiredAfter =
        after->result.appliances.front().figures(sizing::Resource::memory_mib).required_capacity;
    QVERIFY2(requiredAfter > requiredBefore,
             qPrintable(QStringLiteral("%1 -> %2").arg(requiredBefore).arg(requiredAfter)));
    QVERIFY(window_->modified());
}

void TestMainWindow::lessCapacityBreaksTheTarget() {
    openSample();
    const auto before = window_->snapshot();
    QDoubleSpinBox* memory = window_->whatIfPanel()->applianceMemory();
    const double gib = memory->value();
    memory->setFocus();
    memory->selectAll();
    QTest::keyClicks(memory, QString::number(gib / 4.0, 'f', 2));
    QTest::keyClick(memory, Qt::Key_Enter);
    QTRY_VERIFY_WITH_TIMEOUT(showsLatestResult(*window_) && window_->snapshot() != before, 20000);

    const sizing::ApplianceResult& appliance = window_->snapshot()->result.appliances.front();
    QVERIFY(appliance.figures(sizing::Resource::memory_mib).capacity <
            before->result.appliances.front().figures(sizing::Resource::memory_mib).capacity);
    QVERIFY(!appliance.figures(sizing::Resource::memory_mib).meets_target);
    QCOMPARE(window_->sizingView()->verdict().verdict, Verdict::critical);
}

void TestMainWindow::removingAClusterLeavesElevenRows() {
    openSample();
    selectClusters({QStringLiteral("dwh")});
    const auto before = window_->snapshot();
    QTest::keyClick(window_->clustersView()->table(), Qt::Key_Delete);
    QTRY_VERIFY_WITH_TIMEOUT(showsLatestResult(*window_) && window_->snapshot() != before, 20000);
    QCOMPARE(window_->clustersView()->table()->model()->rowCount(), 11);
    QCOMPARE(rowOf(QStringLiteral("dwh")), -1);
    QCOMPARE(window_->fleet().clusters.size(), std::size_t{11});
}

void TestMainWindow::failingTwoClustersShowsTheirOutcomes() {
    openSample();
    selectClusters({QStringLiteral("erp"), QStringLiteral("dwh")});
    window_->findChild<QAction*>(QStringLiteral("failAction"))->trigger();
    QTableWidget* outcomes = window_->clustersView()->outcomes();
    QVERIFY(outcomes->rowCount() >= 2);
    QStringList clusters;
    for (int row = 0; row < outcomes->rowCount(); ++row) {
        clusters << outcomes->item(row, 0)->text();
        QVERIFY(!outcomes->item(row, 2)->text().isEmpty());
    }
    // Decided highest priority first: erp (900) before dwh (600).
    QCOMPARE(clusters.mid(0, 2), (QStringList{QStringLiteral("erp"), QStringLiteral("dwh")}));
    QVERIFY(window_->findChild<QLabel*>(QStringLiteral("approximationNote"))
                ->text()
                .contains(QStringLiteral("approximation")));

    window_->findChild<QAction*>(QStringLiteral("clearFailAction"))->trigger();
    QCOMPARE(outcomes->rowCount(), 0);
}

void TestMainWindow::filteringNarrowsTheTable() {
    openSample();
    window_->findChild<QAction*>(QStringLiteral("filterAction"))->trigger();
    QLineEdit* filter = window_->clustersView()->filterEdit();
    QVERIFY(filter->hasFocus());
    QTest::keyClicks(filter, QStringLiteral("rack-a"));
    QCOMPARE(window_->clustersView()->table()->model()->rowCount(), 2);
    filter->clear();
    QCOMPARE(window_->clustersView()->table()->model()->rowCount(), 12);
}

void TestMainWindow::exportWritesEachFormat_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QByteArray>("start");
    QTest::newRow("pdf") << "report.pdf" << QByteArray("%PDF");
    QTest::newRow("html") << "report.html" << QByteArray("<!DOCTYPE html>");
    QTest::newRow("csv") << "report.csv" << QByteArray("appliance,cluster,group");
}

void TestMainWindow::exportWritesEachFormat() {
    QFETCH(QString, file);
    QFETCH(QByteArray, start);
    openSample();
    const QString path = QDir(work_->path()).filePath(file);
    QSignalSpy finished(window_->exporter(), &ReportExporter::finished);
    QVERIFY(window_->exportReport(path).ok());
    QVERIFY(window_->exportProgress()->isVisible());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    QVERIFY2(finished.front().at(0).toBool(), qPrintable(finished.front().at(2).toString()));
    QFile written(path);
    QVERIFY(written.open(QIODevice::ReadOnly));
    QVERIFY2(written.read(start.size()).compare(start, Qt::CaseInsensitive) == 0, qPrintable(path));
    QVERIFY(!window_->exportProgress()->isVisible());
    QCOMPARE(QDir(work_->path()).entryList(QDir::Files | QDir::Hidden).size(), 1);
}

void TestMainWindow::cancellingAnExportLeavesNoFile() {
    openSample();
    const QString path = QDir(work_->path()).filePath(QStringLiteral("cancelled.pdf"));
    QSignalSpy finished(window_->exporter(), &ReportExporter::finished);
    QVERIFY(window_->exportReport(path).ok());
    auto* cancelButton = window_->exportProgress()->findChild<QPushButton*>();
    QVERIFY(cancelButton != nullptr);
    QTest::mouseClick(cancelButton, Qt::LeftButton);
    QVERIFY(!window_->exporter()->running());
    QVERIFY(!window_->exportProgress()->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(window_->exporter()->workerIdle(), 30000);
    // The worker's answer is delivered through the event loop; let it arrive.
    QCoreApplication::processEvents();
    QTest::qWait(50);
    QCOMPARE(finished.count(), 0);
    QVERIFY(QDir(work_->path()).entryList(QDir::Files | QDir::Hidden).isEmpty());
}

void TestMainWindow::anExportToAMissingFolderSaysWhereAndWhatToDo() {
    openSample();
    const QString path = QDir(work_->path()).filePath(QStringLiteral("missing/report.html"));
    QSignalSpy finished(window_->exporter(), &ReportExporter::finished);
    QVERIFY(window_->exportReport(path).ok());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    QVERIFY(!finished.front().at(0).toBool());
    const QString message = finished.front().at(2).toString();
    QVERIFY2(message.contains(path) &&
                 message.contains(QStringLiteral("check that the folder"), Qt::CaseInsensitive),
             qPrintable(message));
    auto* box = window_->findChild<QMessageBox*>(QStringLiteral("errorMessage"));
    QVERIFY(box != nullptr);
    QVERIFY(box->text().contains(path));
}

void TestMainWindow::anInvalidAddedClusterIsRefusedAndChangesNothing() {
    openSample();
    const auto before = window_->snapshot();
    window_->findChild<QAction*>(QStringLiteral("addClusterAction"))->trigger();
    auto* dialog = window_->findChild<AddClusterDialog*>();
    QVERIFY(dialog != nullptr);
    QVERIFY(dialog->isVisible());
    QTest::keyClicks(dialog->findChild<QLineEdit*>(QStringLiteral("clusterName")),
                     QStringLiteral("payroll"));
    dialog->findChild<QSpinBox*>(QStringLiteral("standbyVcpus"))->setValue(4);
    dialog->findChild<QSpinBox*>(QStringLiteral("activeVcpus"))->setValue(2);
    auto* buttons = dialog->findChild<QDialogButtonBox*>();
    QTest::mouseClick(buttons->button(QDialogButtonBox::Ok), Qt::LeftButton);

    QVERIFY(dialog->isVisible());
    QVERIFY(dialog->errorLabel()->isVisible());
    const QString error = dialog->errorLabel()->text();
    QVERIFY2(error.contains(QStringLiteral("Active vCPUs")) &&
                 error.contains(QStringLiteral("less than the standby")),
             qPrintable(error));
    QCOMPARE(dialog->focusWidget(), dialog->findChild<QSpinBox*>(QStringLiteral("activeVcpus")));
    QCOMPARE(window_->fleet().clusters.size(), std::size_t{12});
    QVERIFY(!window_->modified());
    QVERIFY(!window_->runner()->busy());
    QCOMPARE(window_->snapshot(), before);
}

void TestMainWindow::aValidAddedClusterJoinsTheTable() {
    openSample();
    window_->findChild<QAction*>(QStringLiteral("addClusterAction"))->trigger();
    auto* dialog = window_->findChild<AddClusterDialog*>();
    QVERIFY(dialog != nullptr);
    QTest::keyClicks(dialog->findChild<QLineEdit*>(QStringLiteral("clusterName")),
                     QStringLiteral("payroll"));
    QTest::mouseClick(dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok),
                      Qt::LeftButton);
    QTRY_VERIFY(!dialog->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(
        showsLatestResult(*window_) && window_->clustersView()->table()->model()->rowCount() == 13,
        20000);
    QVERIFY(rowOf(QStringLiteral("payroll")) >= 0);
}

void TestMainWindow::savingWritesTheEditedFleet() {
    openSample();
    selectClusters({QStringLiteral("mail")});
    window_->findChild<QAction*>(QStringLiteral("removeClustersAction"))->trigger();
    const QString path = QDir(work_->path()).filePath(QStringLiteral("edited.json"));
    QVERIFY(window_->saveFleet(path).ok());
    QVERIFY(!window_->modified());
    auto reread = sizing::loadFleetFile(path.toStdString());
    QVERIFY_OK(reread);
    QCOMPARE(reread->clusters.size(), std::size_t{11});
    // The capacity was never touched, so the file still lets the engine propose the appliance.
    QVERIFY(reread->appliances.empty());
    QCOMPARE(reread->groups, window_->fleet().groups);
}

void TestMainWindow::aBadFleetFileIsReportedAndNothingIsComputed() {
    const QString path = QDir(work_->path()).filePath(QStringLiteral("bad.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"clusters": [{"name": "a", "mtbf_hours": -1, "mttr_hours": 2,
        "standby": {"vcpus": 1, "memory_mib": 512}, "active": {"vcpus": 1, "memory_mib": 512}}]})");
    file.close();
    const Status opened = window_->openFleet(path);
    QVERIFY(!opened.ok());
    QVERIFY(opened.error().where.find("mtbf_hours") != std::string::npos);
    auto* box = window_->findChild<QMessageBox*>(QStringLiteral("errorMessage"));
    QVERIFY(box != nullptr);
    QVERIFY(box->text().contains(QStringLiteral("mtbf_hours")));
    QVERIFY(!window_->snapshot());
    QVERIFY(!window_->runner()->busy());
}

void TestMainWindow::everyMainActionHasItsOwnShortcut() {
    QSet<QString> seen;
    for (QAction* action : window_->mainActions()) {
        const QString keys = action->shortcut().toString();
        QVERIFY2(!keys.isEmpty(), qPrintable(action->objectName()));
        QVERIFY2(!seen.contains(keys), qPrintable(keys));
        seen.insert(keys);
    }
    QCOMPARE(window_->findChild<QAction*>(QStringLiteral("openAction"))->shortcut(),
             QKeySequence(QKeySequence::Open));
    QCOMPARE(window_->findChild<QAction*>(QStringLiteral("exportAction"))->shortcut(),
             QKeySequence(Qt::CTRL | Qt::Key_E));
    QCOMPARE(window_->findChild<QAction*>(QStringLiteral("saveAction"))->shortcut(),
             QKeySequence(QKeySequence::Save));
}

void TestMainWindow::thePaletteAndWindowGeometryAreRemembered() {
    QAction* dark = window_->findChild<QAction*>(QStringLiteral("darkPaletteAction"));
    dark->trigger();
    QCOMPARE(QApplication::palette().color(QPalette::Window),
             darkPalette().color(QPalette::Window));
    window_->resize(1111, 777);
    QVERIFY(window_->close());
    window_.reset();

    MainWindow again;
    QVERIFY(again.findChild<QAction*>(QStringLiteral("darkPaletteAction"))->isChecked());
    QCOMPARE(again.size(), QSize(1111, 777));
    again.findChild<QAction*>(QStringLiteral("darkPaletteAction"))->trigger();
    QVERIFY(QApplication::palette().color(QPalette::Window) !=
            darkPalette().color(QPalette::Window));
}

void TestMainWindow::theEventColumnsAreRemembered() {
    QHeaderView* header = window_->online()->events()->table()->horizontalHeader();
    header->resizeSection(EventTableModel::Actor, 321);
    QVERIFY(window_->close());
    window_.reset();
    MainWindow again;
    QCOMPARE(
        again.online()->events()->table()->horizontalHeader()->sectionSize(EventTableModel::Actor),
        321);
}

void TestMainWindow::theNodeColumnsTheOperatorSizedAreRemembered() {
    NodesView* nodes = window_->online()->nodes();
    QVERIFY(nodes->operatorColumns().isEmpty());
    nodes->table()->horizontalHeader()->resizeSection(NodeTableModel::Cluster, 287);
    nodes->table()->horizontalHeader()->resizeSection(NodeTableModel::ReadyNow, 403);
    QVERIFY(window_->close());
    window_.reset();
    MainWindow again;
    QHeaderView* header = again.online()->nodes()->table()->horizontalHeader();
    QCOMPARE(header->sectionSize(NodeTableModel::Cluster), 287);
    QCOMPARE(header->sectionSize(NodeTableModel::ReadyNow), 403);
}

// A test never writes to the user's own configuration: the console's settings and a
// remembered token go under the test's temporary folder.
void TestMainWindow::settingsAndTheTokenFileStayInTheTestsFolder() {
    const QString root = QDir(settingsDir_.path()).canonicalPath();
    QVERIFY2(QFileInfo(consoleSettings().fileName()).absoluteFilePath().startsWith(root),
             qPrintable(consoleSettings().fileName()));
    const QString token = TokenStore::tokenFile(QUrl(QStringLiteral("http://127.0.0.1:8470")));
    QVERIFY2(token.startsWith(root) || token.startsWith(settingsDir_.path()), qPrintable(token));
}

void TestMainWindow::f1OpensTheHelpWithItsGlossary() {
    QTest::keyClick(window_.get(), Qt::Key_F1);
    HelpDialog* help = nullptr;
    QTRY_VERIFY((help = window_->findChild<HelpDialog*>()) != nullptr && help->isVisible());
    const QString text = help->page()->toPlainText();
    for (const char* term : {"Glossary", "Grant", "over its standby footprint", "Overbooking",
                             "Overflow risk (steady state)", "Denial risk (now)", "1 in 350",
                             "Preemption", "Fencing", "data as of"}) {
        QVERIFY2(text.contains(QLatin1String(term)), term);
    }
    QVERIFY(window_->findChild<QMessageBox*>() == nullptr);  // not the About box
    help->close();
    QVERIFY(QRegularExpression(QStringLiteral("^understudy-console \\d+\\.\\d+"))
                .match(consoleVersionText())
                .hasMatch());
}

// A terminal without any display: no DISPLAY, no WAYLAND_DISPLAY, no QT_QPA_PLATFORM.
void TestMainWindow::helpAndVersionAnswerWithoutADisplay() {
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) {
        environment.remove(QString::fromLatin1(name));
    }
    const auto run = [&](const QString& argument) {
        QProcess console;
        console.setProcessEnvironment(environment);
        console.start(QStringLiteral(UNDERSTUDY_CONSOLE_PATH), {argument});
        const bool finished = console.waitForFinished(20000);
        return std::make_tuple(
            finished && console.exitStatus() == QProcess::NormalExit ? console.exitCode() : -1,
            QString::fromUtf8(console.readAllStandardOutput()),
            QString::fromUtf8(console.readAllStandardError()));
    };
    const auto [helpCode, help, helpErrors] = run(QStringLiteral("--help"));
    QVERIFY2(helpCode == 0, qPrintable(helpErrors));
    QVERIFY2(help.contains(QStringLiteral("Usage: ")) && help.contains(QStringLiteral("--url")),
             qPrintable(help));
    const auto [versionCode, version, versionErrors] = run(QStringLiteral("--version"));
    QVERIFY2(versionCode == 0, qPrintable(versionErrors));
    QVERIFY2(version.startsWith(QStringLiteral("understudy-console ")), qPrintable(version));
    const auto [badCode, bad, badErrors] = run(QStringLiteral("--no-such-option"));
    QCOMPARE(badCode, 1);
    QVERIFY2(badErrors.contains(QStringLiteral("no-such-option")), qPrintable(badErrors));
}

void TestMainWindow::quickEditsShowOnlyTheNewestAnswer() {
    openSample();
    QList<double> shownTargets;
    connect(window_.get(), &MainWindow::resultShown, this,
            [&] { shownTargets << window_->snapshot()->result.target_risk; });
    RiskSpinBox* target = window_->whatIfPanel()->targetRisk();
    target->setFocus();
    // A debounce no busy machine outlasts between two key presses.
    window_->runner()->setDebounceInterval(1000);
    // Five steps down, faster than the debounce: 1e-4 → 1e-9.
    for (int step = 0; step < 5; ++step) {
        QTest::keyClick(target, Qt::Key_Down);
    }
    QCOMPARE(target->value(), 1e-9);
    QTRY_VERIFY_WITH_TIMEOUT(showsLatestResult(*window_) && !shownTargets.isEmpty(), 20000);
    QCOMPARE(shownTargets, QList<double>{1e-9});
    QCOMPARE(window_->snapshot()->fleet.target_risk, 1e-9);
}

void TestMainWindow::aServiceUrlWithoutATokenAsksForOneBeforeConnecting() {
    qunsetenv("UNDERSTUDY_TOKEN");
    qputenv("UNDERSTUDY_CONSOLE_NO_KEYRING", "1");
    window_->setServiceUrl(QStringLiteral("http://127.0.0.1:8470"));
    ConnectDialog* dialog = nullptr;
    QTRY_VERIFY((dialog = window_->findChild<ConnectDialog*>()) != nullptr);
    QCOMPARE(dialog->url(), QUrl(QStringLiteral("http://127.0.0.1:8470")));
    QVERIFY(dialog->token().isEmpty());
    QCOMPARE(window_->online()->connection()->state(), ConnectionState::disconnected);
    // Connecting without a token is not offered.
    dialog->accept();
    QVERIFY(dialog->isVisible());
    QVERIFY(dialog->findChild<QLabel*>(QStringLiteral("connectError"))->isVisible());
    dialog->reject();
    QVERIFY(!window_->snapshot());
}

void TestMainWindow::tabMovesThroughTheWhatIfControlsInOrder() {
    openSample();
    QWidget* target = window_->whatIfPanel()->targetRisk();
    target->setFocus();
    QTRY_VERIFY(target->hasFocus());
    // The appliance chooser is disabled with one appliance, so Tab passes it by.
    const QStringList expected = {
        QStringLiteral("tolerateK"),       QStringLiteral("applianceVcpus"),
        QStringLiteral("applianceMemory"), QStringLiteral("reserveVcpus"),
        QStringLiteral("reserveMemory"),   QStringLiteral("cpuOvercommit")};
    QStringList visited;
    for (int i = 0; i < expected.size(); ++i) {
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
        QWidget* focus = QApplication::focusWidget();
        // A spin box's focus sits in its line edit.
        while (focus != nullptr && focus->objectName().isEmpty()) {
            focus = focus->parentWidget();
        }
        visited << (focus != nullptr ? focus->objectName() : QString());
    }
    QCOMPARE(visited, expected);
}

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"

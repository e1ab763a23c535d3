// The console's online mode against a real `understudyd --demo`: connect, the demo fleet in
// the views, a takeover from the UI seen in the table, the dashboard, the timeline and the
// event log; an admission refusal shown with its reason; fencing confirmed by name; a refused
// token and an unreachable service in the status bar; the token file kept owner-only.
#include <QAbstractButton>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>
#include <memory>

#include "console_test_support.h"
#include "gui/app/main_window.h"
#include "gui/online/connect_dialog.h"
#include "gui/online/dashboard_view.h"
#include "gui/online/event_log_view.h"
#include "gui/online/nodes_view.h"
#include "gui/online/online_console.h"
#include "gui/online/timeline_view.h"
#include "gui/online/token_store.h"
#include "gui/widgets/add_cluster_dialog.h"
#include "gui/widgets/quantity_format.h"
#include "tests/support/ports.h"
#include "tests/support/understudyd_process.h"

using namespace understudy::gui;
using namespace understudy::gui::testing;
using namespace understudy::testsupport;

namespace {

constexpr int kWaitMs = 15000;

// Waits for the message box called `name` to open, then presses its button of `role` once.
bool press(QWidget* window, const QString& name, QMessageBox::ButtonRole role) {
    QElapsedTimer clock;
    clock.start();
    QMessageBox* box = nullptr;
    while ((box = window->findChild<QMessageBox*>(name)) == nullptr || !box->isVisible()) {
        if (clock.elapsed() > 5000) {
            return false;
        }
        QTest::qWait(20);
    }
    for (QAbstractButton* button : box->buttons()) {
        if (box->buttonRole(button) == role) {
            button->click();
            return true;
        }
    }
    return false;
}

int rowOf(const QAbstractItemModel* model, int column, const QString& text) {
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->index(row, column).data().toString() == text) {
            return row;
        }
    }
    return -1;
}

}  // namespace

class TestOnlineConsole : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void connectingShowsTheDemoFleetInEveryView();
    void aTakeoverFromTheTableShowsInTheTableChartTimelineAndLog();
    void releasingFromTheTableReturnsTheNodeToStandby();
    void aRegistrationAdmissionRefusesIsShownWithWhyAndAddsNothing();
    void aRegistrationAdmissionAcceptsAddsTheNodeAndShowsItsTokenOnce();
    void changingAClusterPreviewsAdmissionThenChangesIt();
    void askingWhatIfAClusterFailedChangesNothing();
    void rotatingATokenIsConfirmedAndShowsTheNewTokenOnce();
    void clusterDetailsShowItsHistoryAndStats();
    void fencingNeedsTheNodesNameTyped();
    void theEventLogFiltersByKindAndSearches();
    void aRefusedTokenReopensTheConnectDialogWithoutRetrying();
    void anUnreachableServiceIsRetriedAndConnectingCanBeCancelled();
    void theUrlIsRememberedAndTheTokenKeptInAnOwnerOnlyFile();

private:
    void connectWindow();
    QString standbyNode() const;

    QTemporaryDir settingsDir_;
    UnderstudydProcess service_;
    std::unique_ptr<MainWindow> window_;
};

void TestOnlineConsole::initTestCase() {
    QVERIFY(settingsDir_.isValid());
    isolateSettings(settingsDir_);
    qunsetenv("UNDERSTUDY_TOKEN");
    // Tests never touch a desktop keyring: the token goes to the file.
    qputenv("UNDERSTUDY_CONSOLE_NO_KEYRING", "1");
    QVERIFY2(service_.start(), service_.output().constData());
}

void TestOnlineConsole::init() {
    window_ = std::make_unique<MainWindow>();
    window_->resize(1400, 900);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
}

void TestOnlineConsole::cleanup() {
    if (window_ != nullptr) {
        window_->online()->connection()->disconnectFromService();
    }
    window_.reset();
}

void TestOnlineConsole::connectWindow() {
    OnlineConsole* online = window_->online();
    online->connectTo(service_.url(), kAdminToken, false);
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::connected, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(online->nodes()->model()->rowCount() > 0, kWaitMs);
}

QString TestOnlineConsole::standbyNode() const {
    for (const auto& node : window_->online()->connection()->fleet().nodes) {
        if (node.state == QLatin1String("standby")) {
            return node.name;
        }
    }
    return {};
}

void TestOnlineConsole::connectingShowsTheDemoFleetInEveryView() {
    connectWindow();
    OnlineConsole* online = window_->online();
    const LiveFleet& fleet = online->connection()->fleet();
    QVERIFY(!fleet.nodes.empty());
    QCOMPARE(online->nodes()->model()->rowCount(), static_cast<int>(fleet.nodes.size()));
    QCOMPARE(online->dashboard()->cardCount(), static_cast<int>(fleet.appliances.size()));
    ApplianceCard* card = online->dashboard()->card(fleet.appliances.front().name);
    QVERIFY(card != nullptr);
    // The demo appliance: 256 GiB less its reserve, so something between 200 and 256 GiB.
    const qint64 capacity = fleet.appliances.front().memory_mib.capacity;
    QVERIFY2(capacity > 200 * 1024 && capacity <= 256 * 1024,
             qPrintable(QString::number(capacity)));
    QCOMPARE(card->shown(ApplianceCard::Standby, ApplianceCard::MemoryRow),
             fleet.appliances.front().memory_mib.standby_committed);
    QVERIFY(card->riskLabel()->text().contains(QStringLiteral("overflow risk")));
    QTRY_VERIFY_WITH_TIMEOUT(fleet.sized, kWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(card->riskLabel()->text().contains(QStringLiteral("target")), kWaitMs);
    QVERIFY(online->stateLabel()->text().contains(QStringLiteral("Connected to")));
    QVERIFY(online->events()->table()->model()->rowCount() > 0);
    QVERIFY(online->connectProgress()->isHidden());
    // Every cluster's node is in the table, under its cluster.
    for (const auto& cluster : fleet.clusters) {
        const int row = rowOf(online->nodes()->model(), NodeTableModel::Name, cluster.node);
        QVERIFY2(row >= 0, qPrintable(cluster.node));
        QCOMPARE(online->nodes()->model()->index(row, NodeTableModel::Cluster).data().toString(),
                 cluster.name);
    }
}

void TestOnlineConsole::aTakeoverFromTheTableShowsInTheTableChartTimelineAndLog() {
    connectWindow();
    OnlineConsole* online = window_->online();
    const QString node = standbyNode();
    QVERIFY(!node.isEmpty());
    const QString appliance = online->nodes()->model()->node(node)->appliance;
    ApplianceCard* card = online->dashboard()->card(appliance);
    const qint64 grantedBefore = card->shown(ApplianceCard::Granted, ApplianceCard::MemoryRow);
    QVERIFY(online->timeline()->timeline().lanes.indexOf(node) < 0);

    window_->views()->setCurrentWidget(online->nodes());
    online->nodes()->selectNode(node);
    QCOMPARE(online->nodes()->selectedNode(), node);
    QVERIFY(online->nodes()->takeOverAction()->isEnabled());
    online->nodes()->takeOverAction()->trigger();
    QVERIFY(press(window_.get(), QStringLiteral("confirmTakeOver"), QMessageBox::AcceptRole));

    NodeTableModel* model = online->nodes()->model();
    QTRY_COMPARE_WITH_TIMEOUT(model->node(node)->state, QStringLiteral("active"), kWaitMs);
    const int row = rowOf(model, NodeTableModel::Name, node);
    QVERIFY(model->index(row, NodeTableModel::State)
                .data()
                .toString()
                .startsWith(QStringLiteral("active")));
    QVERIFY(!model->index(row, NodeTableModel::State).data(Qt::DecorationRole).isNull());
    // The grant is the growth over standby, in the same words in Nodes and on the dashboard.
    const understudy::client::Node* active = model->node(node);
    QVERIFY(active->grant.has_value());
    const QString grant = model->index(row, NodeTableModel::Grant).data().toString();
    QCOMPARE(grant, formatGrant({active->grant->vcpus - active->standby.vcpus,
                                 active->grant->memory_mib - active->standby.memory_mib}));
    QVERIFY2(grant.startsWith(u'+') && grant.endsWith(QStringLiteral(" over standby")),
             qPrintable(grant));
    QTRY_VERIFY_WITH_TIMEOUT(
        card->shown(ApplianceCard::Granted, ApplianceCard::MemoryRow) > grantedBefore, kWaitMs);
    QCOMPARE(card->figure(ApplianceCard::MemoryRow, 3),
             formatGrantAmount(understudy::sizing::Resource::memory_mib,
                               card->shown(ApplianceCard::Granted, ApplianceCard::MemoryRow)));
    QStringList exact;
    for (const QLabel* label : card->findChildren<QLabel*>()) {
        if (label->toolTip().contains(QStringLiteral("exactly "))) {
            exact << label->text();
        }
    }
    // Each "1 in N" on the card has its exact value beside it: both resources and the sentence.
    QVERIFY2(exact.size() >= 3, qPrintable(exact.join(u'|')));
    // The timeline is drawn while it is shown.
    window_->views()->setCurrentWidget(online->timeline());
    QTRY_VERIFY_WITH_TIMEOUT(online->timeline()->timeline().lanes.contains(node), kWaitMs);
    bool open = false;
    for (const ActiveSpan& span : online->timeline()->timeline().spans) {
        open = open || (span.node == node && !span.to.isValid());
    }
    QVERIFY(open);
    QAbstractItemModel* events = online->events()->table()->model();
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (int r = 0; r < events->rowCount(); ++r) {
                if (events->index(r, EventTableModel::Kind).data().toString() ==
                        QLatin1String("takeover.granted") &&
                    events->index(r, EventTableModel::Node).data().toString() == node) {
                    return true;
                }
            }
            return false;
        }(),
        kWaitMs);
    QVERIFY(online->nodes()->outcome()->text().contains(node));
    online->nodes()->release(node);
    QTRY_COMPARE_WITH_TIMEOUT(model->node(node)->state, QStringLiteral("standby"), kWaitMs);
}

void TestOnlineConsole::releasingFromTheTableReturnsTheNodeToStandby() {
    connectWindow();
    OnlineConsole* online = window_->online();
    const QString node = standbyNode();
    online->nodes()->takeOver(node);
    NodeTableModel* model = online->nodes()->model();
    QTRY_COMPARE_WITH_TIMEOUT(model->node(node)->state, QStringLiteral("active"), kWaitMs);
    online->nodes()->selectNode(node);
    QVERIFY(online->nodes()->releaseAction()->isEnabled());
    online->nodes()->releaseAction()->trigger();
    QVERIFY(press(window_.get(), QStringLiteral("confirmRelease"), QMessageBox::AcceptRole));
    QTRY_COMPARE_WITH_TIMEOUT(model->node(node)->state, QStringLiteral("standby"), kWaitMs);
    window_->views()->setCurrentWidget(online->timeline());
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            for (const ActiveSpan& span : online->timeline()->timeline().spans) {
                if (span.node == node && span.endedBy == QLatin1String("release")) {
                    return true;
                }
            }
            return false;
        }(),
        kWaitMs);
}

void TestOnlineConsole::aRegistrationAdmissionRefusesIsShownWithWhyAndAddsNothing() {
    connectWindow();
    OnlineConsole* online = window_->online();
    const int nodesBefore = online->nodes()->model()->rowCount();
    const std::size_t clustersBefore = online->connection()->fleet().clusters.size();
    online->findChild<QAction*>(QStringLiteral("registerClusterAction"))->trigger();
    AddClusterDialog* dialog = online->registerDialog();
    QVERIFY(dialog != nullptr);
    QTRY_VERIFY(dialog->isVisible());
    dialog->findChild<QLineEdit*>(QStringLiteral("clusterName"))
        ->setText(QStringLiteral("colossus"));
    // More memory when active than the whole appliance has: it could never be served.
    dialog->findChild<QDoubleSpinBox*>(QStringLiteral("activeMemory"))->setValue(4096.0);
    QMetaObject::invokeMethod(dialog, "accept");
    QTRY_VERIFY_WITH_TIMEOUT(dialog->noteLabel()->isVisible(), kWaitMs);
    QVERIFY2(dialog->noteLabel()->text().contains(QStringLiteral("refused")),
             qPrintable(dialog->noteLabel()->text()));
    QVERIFY(dialog->noteLabel()->text().contains(QStringLiteral("colossus")));
    // The preview changed nothing; registering anyway gets the service's refusal.
    QCOMPARE(online->connection()->fleet().clusters.size(), clustersBefore);
    QMetaObject::invokeMethod(dialog, "accept");
    QTRY_VERIFY_WITH_TIMEOUT(dialog->errorLabel()->isVisible(), kWaitMs);
    const QString why = dialog->errorLabel()->text();
    QVERIFY2(why.contains(QStringLiteral("admission refused")), qPrintable(why));
    QVERIFY2(why.contains(QStringLiteral("against a target of")), qPrintable(why));
    QVERIFY2(why.contains(QStringLiteral("colossus")), qPrintable(why));
    QVERIFY(dialog->isVisible());
    dialog->reject();
    online->connection()->refresh();
    QTest::qWait(500);
    QCOMPARE(online->connection()->fleet().clusters.size(), clustersBefore);
    QCOMPARE(online->nodes()->model()->rowCount(), nodesBefore);
    QCOMPARE(rowOf(online->nodes()->model(), NodeTableModel::Cluster, QStringLiteral("colossus")),
             -1);
}

void TestOnlineConsole::aRegistrationAdmissionAcceptsAddsTheNodeAndShowsItsTokenOnce() {
    connectWindow();
    OnlineConsole* online = window_->online();
    const int nodesBefore = online->nodes()->model()->rowCount();
    online->registerCluster();
    AddClusterDialog* dialog = online->registerDialog();
    QVERIFY(dialog != nullptr);
    dialog->findChild<QLineEdit*>(QStringLiteral("clusterName"))->setText(QStringLiteral("tiny"));
    dialog->findChild<QDoubleSpinBox*>(QStringLiteral("activeMemory"))->setValue(2.0);
    QMetaObject::invokeMethod(dialog, "accept");
    QTRY_VERIFY_WITH_TIMEOUT(dialog->noteLabel()->isVisible(), kWaitMs);
    QVERIFY2(dialog->noteLabel()->text().contains(QStringLiteral("accepted")),
             qPrintable(dialog->noteLabel()->text()));
    QMetaObject::invokeMethod(dialog, "accept");
    QTRY_VERIFY_WITH_TIMEOUT(window_->findChild<QLineEdit*>(QStringLiteral("newToken")) != nullptr,
                             kWaitMs);
    QVERIFY(!window_->findChild<QLineEdit*>(QStringLiteral("newToken"))->text().isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(online->nodes()->model()->rowCount(), nodesBefore + 1, kWaitMs);
    QVERIFY(rowOf(online->nodes()->model(), NodeTableModel::Cluster, QStringLiteral("tiny")) >= 0);

    online->nodes()->selectNode(QStringLiteral("tiny-passive"));
    online->findChild<QAction*>(QStringLiteral("removeClusterAction"))->trigger();
    QVERIFY(
        press(window_.get(), QStringLiteral("confirmRemoveCluster"), QMessageBox::DestructiveRole));
    QTRY_COMPARE_WITH_TIMEOUT(online->nodes()->model()->rowCount(), nodesBefore, kWaitMs);
}

void TestOnlineConsole::changingAClusterPreviewsAdmissionThenChangesIt() {
    connectWindow();
    OnlineConsole* online = window_->online();
    const understudy::client::Cluster before = online->connection()->fleet().clusters.front();
    online->nodes()->selectNode(before.node);
    online->findChild<QAction*>(QStringLiteral("editClusterAction"))->trigger();
    AddClusterDialog* dialog = online->registerDialog();
    QVERIFY(dialog != nullptr);
    QCOMPARE(dialog->cluster().name, before.name.toStdString());
    QCOMPARE(dialog->cluster().priority, before.priority);
    const int priority = before.priority == 1000 ? 999 : before.priority + 1;
    dialog->findChild<QSpinBox*>(QStringLiteral("clusterPriority"))->setValue(priority);
    QMetaObject::invokeMethod(dialog, "accept");
    QTRY_VERIFY_WITH_TIMEOUT(dialog->noteLabel()->isVisible(), kWaitMs);
    QVERIFY2(dialog->noteLabel()->text().contains(QStringLiteral("accepted")),
             qPrintable(dialog->noteLabel()->text()));
    QCOMPARE(online->connection()->fleet().clusters.front().priority, before.priority);
    QMetaObject::invokeMethod(dialog, "accept");
    auto priorityNow = [&] {
        for (const auto& cluster : online->connection()->fleet().clusters) {
            if (cluster.name == before.name) {
                return cluster.priority;
            }
        }
        return -1;
    };
    QTRY_COMPARE_WITH_TIMEOUT(priorityNow(), priority, kWaitMs);
}

void TestOnlineConsole::askingWhatIfAClusterFailedChangesNothing() {
    connectWindow();
    OnlineConsole* online = window_->online();
    const QString node = standbyNode();
    online->nodes()->selectNode(node);
    const qint64 events = online->connection()->lastEventId();
    online->findChild<QAction*>(QStringLiteral("whatIfFailAction"))->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(online->nodes()->outcome()->text().contains(QStringLiteral("What-if")),
                             kWaitMs);
    const QString text = online->nodes()->outcome()->text();
    QVERIFY2(text.contains(node) && text.contains(QStringLiteral("granted")), qPrintable(text));
    QTest::qWait(500);
    QCOMPARE(online->nodes()->model()->node(node)->state, QStringLiteral("standby"));
    QCOMPARE(online->connection()->lastEventId(), events);
}

void TestOnlineConsole::rotatingATokenIsConfirmedAndShowsTheNewTokenOnce() {
    connectWindow();
    OnlineConsole* online = window_->online();
    const understudy::client::Cluster cluster = online->connection()->fleet().clusters.front();
    online->nodes()->selectNode(cluster.node);
    online->findChild<QAction*>(QStringLiteral("rotateTokenAction"))->trigger();
    // Cancelling changes nothing and shows no token.
    QVERIFY(press(window_.get(), QStringLiteral("confirmRotateToken"), QMessageBox::RejectRole));
    QTest::qWait(300);
    QVERIFY(window_->findChild<QLineEdit*>(QStringLiteral("newToken")) == nullptr);
    online->findChild<QAction*>(QStringLiteral("rotateTokenAction"))->trigger();
    QVERIFY(
        press(window_.get(), QStringLiteral("confirmRotateToken"), QMessageBox::DestructiveRole));
    QLineEdit* token = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT(
        (token = window_->findChild<QLineEdit*>(QStringLiteral("newToken"))) != nullptr, kWaitMs);
    QVERIFY(token->text().size() >= 16);
    QVERIFY(token->isReadOnly());
    QTRY_VERIFY_WITH_TIMEOUT(
        std::any_of(
            online->connection()->events().begin(), online->connection()->events().end(),
            [&](const understudy::client::Event& event) {
                return event.kind == QLatin1String("token.rotated") &&
                       event.cluster.value_or(QString()) == cluster.name &&
                       !QJsonDocument(event.details).toJson().contains(token->text().toUtf8());
            }),
        kWaitMs);
}

void TestOnlineConsole::clusterDetailsShowItsHistoryAndStats() {
    connectWindow();
    OnlineConsole* online = window_->online();
    const QString node = standbyNode();
    const QString cluster = online->nodes()->model()->node(node)->cluster;
    online->nodes()->takeOver(node);
    QTRY_COMPARE_WITH_TIMEOUT(online->nodes()->model()->node(node)->state, QStringLiteral("active"),
                              kWaitMs);
    online->nodes()->release(node);
    QTRY_COMPARE_WITH_TIMEOUT(online->nodes()->model()->node(node)->state,
                              QStringLiteral("standby"), kWaitMs);
    online->nodes()->selectNode(node);
    online->findChild<QAction*>(QStringLiteral("clusterDetailsAction"))->trigger();
    QDialog* details = nullptr;
    QTRY_VERIFY((details = window_->findChild<QDialog*>(QStringLiteral("clusterDetails"))) !=
                nullptr);
    // History from GET /clusters/{name}/stats: the takeover just released is counted.
    auto* failovers = details->findChild<QLabel*>(QStringLiteral("clusterFailovers"));
    QTRY_VERIFY_WITH_TIMEOUT(failovers->text().toInt() >= 1, kWaitMs);
    const auto* active = details->findChild<QLabel*>(QStringLiteral("clusterActiveTime"));
    QVERIFY2(active->text().endsWith(QStringLiteral(" s")) ||
                 active->text().endsWith(QStringLiteral(" min")) ||
                 active->text().endsWith(QStringLiteral(" h")),
             qPrintable(active->text()));
    const auto* last = details->findChild<QLabel*>(QStringLiteral("clusterLastFailover"));
    QVERIFY2(last->text().startsWith(QDate::currentDate().toString(QStringLiteral("yyyy-MM-dd"))) ||
                 last->text().startsWith(
                     QDate::currentDate().addDays(-1).toString(QStringLiteral("yyyy-MM-dd"))),
             qPrintable(last->text()));
    // Observed MTBF / MTTR once the cluster has a history (earlier tests may have failed this
    // cluster over several times), "not known yet" before; the demo configures no probe.
    const QString observed = details->findChild<QLabel*>(QStringLiteral("clusterObserved"))->text();
    QVERIFY2(observed.contains(QStringLiteral(" / ")) ||
                 observed.startsWith(QStringLiteral("not known yet")),
             qPrintable(observed));
    QVERIFY(details->findChild<QLabel*>(QStringLiteral("clusterProbe"))
                ->text()
                .startsWith(QStringLiteral("none yet")));
    const auto* footprints = details->findChild<QLabel*>(QStringLiteral("clusterFootprints"));
    QVERIFY(footprints->text().contains(QStringLiteral("standby")) &&
            footprints->text().contains(QStringLiteral("active")));
    // Failovers over time: the released takeover is a closed span on the node's lane.
    auto* timeline = details->findChild<TimelineCanvas*>(QStringLiteral("clusterFailoverTimeline"));
    QVERIFY(timeline != nullptr);
    auto* history = details->findChild<QListWidget*>(QStringLiteral("clusterHistory"));
    QVERIFY(!history->findItems(QStringLiteral("takeover.granted"), Qt::MatchContains).isEmpty());
    QVERIFY(!history->findItems(QStringLiteral("release"), Qt::MatchContains).isEmpty());
    for (int row = 0; row < history->count(); ++row) {
        QVERIFY(!history->item(row)->text().isEmpty());
    }
    // The token row says when it was last rotated, after a rotation from the dialog itself.
    details->findChild<QPushButton*>(QStringLiteral("clusterRotateToken"))->click();
    QVERIFY(
        press(window_.get(), QStringLiteral("confirmRotateToken"), QMessageBox::DestructiveRole));
    QDialog* shown = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT(
        (shown = window_->findChild<QDialog*>(QStringLiteral("newTokenDialog"))) != nullptr,
        kWaitMs);
    shown->reject();
    QTRY_VERIFY_WITH_TIMEOUT(
        std::any_of(online->connection()->events().begin(), online->connection()->events().end(),
                    [&](const auto& event) {
                        return event.kind == QLatin1String("token.rotated") &&
                               event.cluster.value_or(QString()) == cluster;
                    }),
        kWaitMs);
    details->reject();
    online->showClusterDetails(cluster);
    QTRY_VERIFY((details = window_->findChild<QDialog*>(QStringLiteral("clusterDetails"))) !=
                    nullptr &&
                details->isVisible());
    QVERIFY2(
        details->findChild<QLabel*>(QStringLiteral("clusterTokenRotated"))
            ->text()
            .startsWith(QStringLiteral("last rotated")),
        qPrintable(details->findChild<QLabel*>(QStringLiteral("clusterTokenRotated"))->text()));
    QVERIFY(details->windowTitle().contains(cluster));
    details->reject();
}

void TestOnlineConsole::fencingNeedsTheNodesNameTyped() {
    connectWindow();
    OnlineConsole* online = window_->online();
    const QString node = standbyNode();
    online->nodes()->selectNode(node);
    online->nodes()->fenceAction()->trigger();
    QDialog* dialog = nullptr;
    QTRY_VERIFY((dialog = window_->findChild<QDialog*>(QStringLiteral("fenceDialog"))) != nullptr);
    const auto* client = online->nodes()->model()->node(node);
    const QList<QLabel*> labels = dialog->findChildren<QLabel*>();
    QVERIFY(std::any_of(labels.begin(), labels.end(), [&](QLabel* label) {
        return label->text().contains(node) && label->text().contains(client->cluster);
    }));
    QPushButton* fence = dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
    QVERIFY(!fence->isEnabled());
    auto* typed = dialog->findChild<QLineEdit*>(QStringLiteral("fenceConfirmName"));
    typed->setText(node.left(node.size() - 1));
    QVERIFY(!fence->isEnabled());
    typed->setText(node);
    QVERIFY(fence->isEnabled());
    dialog->findChild<QRadioButton*>(QStringLiteral("fenceReboot"))->setChecked(true);
    fence->click();
    QTRY_VERIFY_WITH_TIMEOUT(online->nodes()->outcome()->text().contains(QStringLiteral("fenced")),
                             kWaitMs);
    QVERIFY(online->nodes()->outcome()->text().contains(node));
    window_->views()->setCurrentWidget(online->timeline());
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(online->timeline()->timeline().marks.begin(),
                                         online->timeline()->timeline().marks.end(),
                                         [&](const EventMark& mark) { return mark.node == node; }),
                             kWaitMs);
}

void TestOnlineConsole::theEventLogFiltersByKindAndSearches() {
    connectWindow();
    OnlineConsole* online = window_->online();
    const QString node = standbyNode();
    online->nodes()->takeOver(node);
    QTRY_COMPARE_WITH_TIMEOUT(online->nodes()->model()->node(node)->state, QStringLiteral("active"),
                              kWaitMs);
    online->nodes()->release(node);
    QTRY_COMPARE_WITH_TIMEOUT(online->nodes()->model()->node(node)->state,
                              QStringLiteral("standby"), kWaitMs);
    EventLogView* log = online->events();
    QAbstractItemModel* shown = log->table()->model();
    const int all = shown->rowCount();
    log->kindFilter()->setCurrentIndex(log->kindFilter()->findData(QStringLiteral("takeover")));
    QVERIFY(shown->rowCount() > 0 && shown->rowCount() < all);
    for (int row = 0; row < shown->rowCount(); ++row) {
        QVERIFY(shown->index(row, EventTableModel::Kind)
                    .data()
                    .toString()
                    .startsWith(QStringLiteral("takeover.")));
    }
    log->nodeFilter()->setText(node);
    QVERIFY(shown->rowCount() >= 2);  // requested and granted
    for (int row = 0; row < shown->rowCount(); ++row) {
        QCOMPARE(shown->index(row, EventTableModel::Node).data().toString(), node);
    }
    log->kindFilter()->setCurrentIndex(0);
    log->nodeFilter()->clear();
    log->searchEdit()->setText(QStringLiteral("no-such-text-anywhere"));
    QCOMPARE(shown->rowCount(), 0);
    log->searchEdit()->setText(node);
    QVERIFY(shown->rowCount() >= 3);  // requested, granted, release
}

void TestOnlineConsole::aRefusedTokenReopensTheConnectDialogWithoutRetrying() {
    OnlineConsole* online = window_->online();
    online->connectTo(service_.url(), "not-the-token", false);
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::failed, kWaitMs);
    QVERIFY2(online->stateLabel()->text().contains(QStringLiteral("token")),
             qPrintable(online->stateLabel()->text()));
    ConnectDialog* dialog = nullptr;
    QTRY_VERIFY((dialog = window_->findChild<ConnectDialog*>()) != nullptr && dialog->isVisible());
    const QString problem = dialog->problemLabel()->text();
    QVERIFY(dialog->problemLabel()->isVisible());
    QVERIFY2(problem.contains(QStringLiteral("did not accept this token")) &&
                 problem.contains(QStringLiteral("admin token")),
             qPrintable(problem));
    // In the administrator's words, not the HTTP header the service asks programs for.
    QVERIFY2(!problem.contains(QStringLiteral("Bearer")) &&
                 !problem.contains(QStringLiteral("Authorization")),
             qPrintable(problem));
    QCOMPARE(dialog->url(), service_.url());
    QVERIFY(dialog->token().isEmpty());
    QVERIFY(window_->findChild<QMessageBox*>(QStringLiteral("onlineError")) == nullptr);
    QTest::qWait(1500);
    QCOMPARE(online->connection()->state(), ConnectionState::failed);
    QCOMPARE(online->nodes()->model()->rowCount(), 0);
    // The right token typed into the same dialog connects.
    dialog->tokenEdit()->setText(QString::fromLatin1(kAdminToken));
    dialog->accept();
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::connected, kWaitMs);
}

void TestOnlineConsole::anUnreachableServiceIsRetriedAndConnectingCanBeCancelled() {
    OnlineConsole* online = window_->online();
    online->connectTo(QUrl(loopbackUrl(closedPort())), kAdminToken, false);
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::reconnecting,
                              kWaitMs);
    QVERIFY2(online->stateLabel()->text().contains(QStringLiteral("Reconnecting")),
             qPrintable(online->stateLabel()->text()));
    QVERIFY(online->stateLabel()->text().contains(QStringLiteral(" s")));
    QVERIFY(online->connectProgress()->isVisible());
    QVERIFY(online->connectProgress()->labelText().contains(QStringLiteral("Reconnecting")));
    // It keeps trying, further apart each time.
    QTRY_VERIFY_WITH_TIMEOUT(online->stateLabel()->text().contains(QStringLiteral("in 2 s")),
                             kWaitMs);
    auto* cancel = online->connectProgress()->findChild<QPushButton*>();
    QVERIFY(cancel != nullptr);
    cancel->click();
    QCOMPARE(online->connection()->state(), ConnectionState::disconnected);
    QVERIFY(online->stateLabel()->text().contains(QStringLiteral("Not connected")));
}

void TestOnlineConsole::theUrlIsRememberedAndTheTokenKeptInAnOwnerOnlyFile() {
    OnlineConsole* online = window_->online();
    QVERIFY(!online->tokens()->usesKeyring());
    online->connectTo(service_.url(), kAdminToken, true);
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::connected, kWaitMs);
    const QString file = TokenStore::tokenFile(service_.url());
    QTRY_VERIFY(QFile::exists(file));
    QCOMPARE(QFile::permissions(file) & (QFile::ReadGroup | QFile::WriteGroup | QFile::ReadOther |
                                         QFile::WriteOther | QFile::ReadUser | QFile::WriteUser),
             QFile::ReadUser | QFile::WriteUser);
    QFile read(file);
    QVERIFY(read.open(QIODevice::ReadOnly));
    QCOMPARE(read.readAll(), QByteArray(kAdminToken));
    online->connection()->disconnectFromService();

    // The next console fills the dialog with the remembered URL and token.
    MainWindow again;
    again.online()->connectAction()->trigger();
    ConnectDialog* dialog = nullptr;
    QTRY_VERIFY((dialog = again.findChild<ConnectDialog*>()) != nullptr);
    QCOMPARE(dialog->url(), service_.url());
    QTRY_COMPARE(dialog->token(), QByteArray(kAdminToken));
    // A URL given on the command line uses the remembered token without asking.
    again.setServiceUrl(service_.url().toString());
    QTRY_COMPARE_WITH_TIMEOUT(again.online()->connection()->state(), ConnectionState::connected,
                              kWaitMs);
    again.online()->connection()->disconnectFromService();
    online->tokens()->forget(service_.url());
    QVERIFY(!QFile::exists(file));
}

QTEST_MAIN(TestOnlineConsole)
#include "test_online_console.moc"

#include "gui/app/main_window.h"

#include <QAction>
#include <QCloseEvent>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLoggingCategory>
#include <QMessageBox>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>

#include "appliance/client/cluster_spec.h"
#include "gui/offline/clusters_view.h"
#include "gui/offline/offline_arbitration.h"
#include "gui/offline/sizing_view.h"
#include "gui/offline/what_if_panel.h"
#include "gui/online/alarm_bar.h"
#include "gui/online/dashboard_view.h"
#include "gui/online/event_log_view.h"
#include "gui/online/nodes_view.h"
#include "gui/online/online_console.h"
#include "gui/online/service_what_if_view.h"
#include "gui/online/timeline_view.h"
#include "gui/widgets/add_cluster_dialog.h"
#include "gui/widgets/console_palette.h"
#include "gui/widgets/console_settings.h"
#include "gui/widgets/quantity_format.h"
#include "gui/widgets/risk_spin_box.h"
#include "sizing/fleet_file.h"

Q_LOGGING_CATEGORY(lcConsole, "understudy.console", QtInfoMsg)

namespace understudy::gui {

namespace {

// Node states that hold no footprint and cannot take over (docs/http-api.md, Node).
const QStringList kHoldsNothing = {QStringLiteral("preempted"), QStringLiteral("fenced"),
                                   QStringLiteral("stopped"), QStringLiteral("missing")};

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setObjectName(QStringLiteral("understudyConsole"));
    runner_ = new SizingRunner(this);
    exporter_ = new ReportExporter(this);
    createViews();
    createWhatIfDock();
    liveWhatIf_ = new LiveWhatIf(online_->connection(), this);
    createActions();
    createMenus();
    whatIf_->addActions(
        {addClusterAction_, addFromFileAction_, removeClustersAction_, revertAction_},
        {failAction_, clearFailAction_});
    createServiceWhatIf();
    createStatusBar();
    connect(online_->connection(), &ServiceConnection::stateChanged, this,
            &MainWindow::connectionChanged);
    connect(online_->connection(), &ServiceConnection::fleetChanged, this,
            &MainWindow::serviceFleetChanged);
    connect(runner_, &SizingRunner::computed, this, &MainWindow::showSnapshot);
    connect(runner_, &SizingRunner::busyChanged, this, [this](bool busy) {
        if (busy) {
            computeLabel_->setText(tr("Computing…"));
        }
    });
    connect(whatIf_, &WhatIfPanel::edited, this, &MainWindow::whatIfEdited);
    connect(clustersView_, &ClustersView::selectionChanged, this, &MainWindow::updateActions);
    connect(exporter_, &ReportExporter::finished, this, &MainWindow::exportFinished);
    setTabOrder(views_, whatIf_->targetRisk());
    restoreSettings();
    updateTitle();
    updateActions();
}

void MainWindow::createViews() {
    views_ = new QTabWidget(this);
    views_->setObjectName(QStringLiteral("views"));
    views_->setDocumentMode(true);
    sizingView_ = new SizingView(views_);
    clustersView_ = new ClustersView(views_);
    views_->addTab(sizingView_, tr("&Sizing"));
    views_->addTab(clustersView_, tr("&Clusters"));
    online_ = new OnlineConsole(this);
    views_->addTab(online_->dashboard(), tr("&Dashboard"));
    views_->addTab(online_->nodes(), tr("&Nodes"));
    views_->addTab(online_->timeline(), tr("&Timeline"));
    views_->addTab(online_->events(), tr("&Events"));
    online_->countUnreadEventsIn(views_);
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(online_->alarmBar());
    layout->addWidget(views_, 1);
    views_->setCornerWidget(online_->staleBanner(), Qt::TopRightCorner);
    setCentralWidget(central);
}

void MainWindow::createWhatIfDock() {
    whatIf_ = new WhatIfPanel;
    whatIf_->setEnabled(false);
    auto* scroll = new QScrollArea;
    scroll->setWidget(whatIf_);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    // Tab goes from control to control, not to the scroll area around them.
    scroll->setFocusPolicy(Qt::NoFocus);
    whatIfDock_ = new QDockWidget(tr("What-if"), this);
    whatIfDock_->setObjectName(QStringLiteral("whatIfDock"));
    whatIfDock_->setWidget(scroll);
    whatIfDock_->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable |
                             QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::LeftDockWidgetArea, whatIfDock_);
}

// The service's answer is the live what-if's main result, in a tab beside Sizing and Clusters
// shown only then; answers to edits made since are dropped.
void MainWindow::createServiceWhatIf() {
    serviceView_ = new ServiceWhatIfView(views_);
    views_->insertTab(views_->indexOf(clustersView_) + 1, serviceView_, tr("What-if &answer"));
    views_->setTabVisible(views_->indexOf(serviceView_), false);
    connect(liveWhatIf_, &LiveWhatIf::asking, serviceView_, &ServiceWhatIfView::setAsking);
    connect(liveWhatIf_, &LiveWhatIf::answered, this,
            [this](quint64 generation, const client::WhatIfAnswer& answer) {
                if (live_ && generation == liveWhatIf_->generation()) {
                    serviceView_->setAnswer(answer);
                }
            });
    connect(liveWhatIf_, &LiveWhatIf::failed, this,
            [this](quint64 generation, const QString& message) {
                if (live_ && generation == liveWhatIf_->generation()) {
                    serviceView_->setFailed(message);
                }
            });
}

void MainWindow::createStatusBar() {
    modeLabel_ = new QLabel(tr("No fleet open"));
    verdictLabel_ = new QLabel;
    verdictLabel_->setObjectName(QStringLiteral("statusVerdict"));
    computeLabel_ = new QLabel;
    statusBar()->addWidget(modeLabel_);
    statusBar()->addWidget(verdictLabel_, 1);
    statusBar()->addPermanentWidget(computeLabel_);
    statusBar()->addPermanentWidget(online_->stateLabel());
    connect(online_, &OnlineConsole::message, statusBar(), &QStatusBar::showMessage);
}

void MainWindow::restoreSettings() {
    QSettings settings = consoleSettings();
    const bool dark = settings.value(QStringLiteral("darkPalette"), false).toBool();
    darkAction_->setChecked(dark);
    applyPalette(dark);
    if (!restoreGeometry(settings.value(QStringLiteral("geometry")).toByteArray())) {
        // First start: most of the screen, so charts and the what-if panel both read well.
        const QRect available = screen()->availableGeometry();
        resize(available.width() * 9 / 10, available.height() * 9 / 10);
    }
    if (!restoreState(settings.value(QStringLiteral("windowState")).toByteArray())) {
        resizeDocks(
            {whatIfDock_},
            {whatIf_->sizeHint().width() + style()->pixelMetric(QStyle::PM_ScrollBarExtent)},
            Qt::Horizontal);
    }
    clustersView_->table()->horizontalHeader()->restoreState(
        settings.value(QStringLiteral("clusterColumns")).toByteArray());
    online_->events()->table()->horizontalHeader()->restoreState(
        settings.value(QStringLiteral("eventColumns")).toByteArray());
    online_->nodes()->restoreOperatorColumns(
        settings.value(QStringLiteral("nodeColumns")).toByteArray());
}

void MainWindow::connectionChanged() {
    updateActions();
    if ((!open_ || liveView_) && online_->showsStaleData()) {
        modeLabel_->setText(tr("Not live"));
    }
    if (online_->connection()->state() != ConnectionState::connected) {
        return;
    }
    if (!open_ || liveView_) {
        // Said at once, not when the fleet has loaded: that load may fail or take a while.
        showLiveViewMode();
    }
    if (!open_) {
        // The what-if works on a fleet file or on the live fleet once asked for.
        whatIfDock_->hide();
        if (views_->currentWidget() == sizingView_ || views_->currentWidget() == clustersView_) {
            views_->setCurrentWidget(online_->dashboard());
        }
    }
    // Connected again, perhaps to another service: the live fleet shown is read anew.
    if (!open_ || liveView_) {
        followLiveFleet();
    }
}

void MainWindow::showLiveViewMode() {
    modeLabel_->setText(
        tr("Online — the live fleet of %1").arg(online_->connection()->url().host()));
    modeLabel_->setToolTip(
        tr("Sizing and Clusters show the service's fleet read-only: changes "
           "go through the service; try them in What-if on the live fleet "
           "(Ctrl+Shift+L)"));
}

// The what-if keeps the clusters it loaded; the service view says when they are out of date.
// Shown read-only, the live fleet follows the service.
void MainWindow::serviceFleetChanged() {
    if (!live_) {
        return;
    }
    const auto& clusters = online_->connection()->fleet().clusters;
    bool same = clusters.size() == live_->fleet.clusters.size();
    for (std::size_t i = 0; same && i < clusters.size(); ++i) {
        same = clusterSpec(clusters[i]) == live_->fleet.clusters[i];
    }
    if (!same && liveView_) {
        followLiveFleet();
        return;
    }
    serviceView_->setBaselineStale(!same);
}

MainWindow::~MainWindow() = default;

Status MainWindow::openFleet(const QString& path) {
    Result<sizing::Fleet> loaded = sizing::loadFleetFile(QFile::encodeName(path).toStdString());
    if (!loaded) {
        const QString message = QString::fromStdString(loaded.error().describe());
        showError(tr("Cannot open the fleet file"),
                  tr("%1\n\nNothing was computed from it. Correct the file and open it again.")
                      .arg(message));
        return loaded.error();
    }
    leaveLive();
    fileFleet_ = *loaded;
    fleet_ = fileFleet_;
    path_ = QFileInfo(path).absoluteFilePath();
    open_ = true;
    fileHasAppliance_ = !fleet_.appliances.empty();
    pinProposal_ = !fileHasAppliance_;
    capacityEdited_ = false;
    failing_.clear();
    snapshot_.reset();
    whatIf_->setFleet(fleet_);
    whatIf_->showProblem({});
    whatIf_->setEnabled(true);
    whatIfDock_->show();
    setModified(false);
    modeLabel_->setText(tr("Offline — %1").arg(QFileInfo(path_).fileName()));
    modeLabel_->setToolTip({});
    QSettings settings = consoleSettings();
    settings.setValue(QStringLiteral("lastFile"), path_);
    qCInfo(lcConsole) << "opened" << path_ << "with" << fleet_.clusters.size() << "clusters";
    recompute(true);
    return Done{};
}

void MainWindow::reopenLastFile() {
    const QString last = consoleSettings().value(QStringLiteral("lastFile")).toString();
    if (!last.isEmpty() && QFileInfo::exists(last)) {
        (void)openFleet(last);
    }
}

void MainWindow::setServiceUrl(const QString& url) {
    online_->startWith(url);
}

void MainWindow::leaveLive() {
    live_.reset();
    liveView_ = false;
    liveWhatIf_->forget();
    serviceView_->clear();
    views_->setTabVisible(views_->indexOf(serviceView_), false);
    whatIf_->setLive(false, {});
    runner_->setPlacement({});
    revertAction_->setText(tr("Re&vert to file"));
    revertAction_->setToolTip(tr("Drop every what-if edit and go back to the file's fleet"));
}

void MainWindow::loadLiveFleet() {
    if (online_->connection()->state() != ConnectionState::connected || !confirmDiscard()) {
        return;
    }
    if (live_ && liveView_) {
        // The fleet shown already follows the service: the what-if starts from it at once,
        // and a reload still under way is dropped rather than replacing the what-if later.
        LiveBaseline shown = *live_;
        showLiveFleet(std::move(shown), true);
        serviceFleetChanged();
        return;
    }
    statusBar()->showMessage(tr("Loading the live fleet into the what-if…"));
    liveWhatIf_->load([this](Result<LiveBaseline> loaded) {
        if (!loaded) {
            showError(tr("Cannot load the live fleet"),
                      tr("%1\n\nThe what-if is unchanged.")
                          .arg(QString::fromStdString(loaded.error().message)));
            return;
        }
        showLiveFleet(std::move(*loaded), true);
    });
}

// Connected without a file open, the Sizing and Clusters tabs show the service's fleet; the
// what-if on it opens only when asked for. A file opened or a what-if loaded meanwhile
// supersedes this load (LiveWhatIf drops it).
void MainWindow::followLiveFleet() {
    liveWhatIf_->load([this](Result<LiveBaseline> loaded) {
        if (!loaded) {
            statusBar()->showMessage(
                tr("The Sizing and Clusters tabs cannot show the live fleet: %1")
                    .arg(QString::fromStdString(loaded.error().message)),
                15000);
            return;
        }
        showLiveFleet(std::move(*loaded), false);
    });
}

void MainWindow::showLiveFleet(LiveBaseline loaded, bool whatIf) {
    leaveLive();
    live_ = std::move(loaded);
    liveView_ = !whatIf;
    runner_->setPlacement(live_->placement);
    revertAction_->setText(tr("Re&vert to the live fleet"));
    revertAction_->setToolTip(
        tr("Drop every what-if edit and go back to the live fleet as it was loaded"));
    fileFleet_ = live_->fleet;
    fleet_ = fileFleet_;
    path_.clear();
    open_ = true;
    fileHasAppliance_ = true;
    pinProposal_ = false;
    capacityEdited_ = false;
    failing_.clear();
    snapshot_.reset();
    whatIf_->setFleet(fleet_);
    whatIf_->setLive(true, liveWhatIfNote());
    whatIf_->showProblem({});
    whatIf_->setEnabled(whatIf);
    views_->setTabVisible(views_->indexOf(serviceView_), whatIf);
    whatIfDock_->setVisible(whatIf);
    setModified(false);
    const QString host = online_->connection()->url().host();
    const QString clusters =
        countOf(static_cast<std::int64_t>(fleet_.clusters.size()), tr("cluster"));
    if (whatIf) {
        modeLabel_->setText(tr("Online — what-if on the live fleet of %1").arg(host));
        modeLabel_->setToolTip({});
        views_->setCurrentWidget(serviceView_);
        statusBar()->showMessage(tr("The live fleet is in the what-if: %1").arg(clusters), 5000);
    } else {
        showLiveViewMode();
    }
    qCInfo(lcConsole) << (whatIf ? "what-if on" : "showing") << "the live fleet with"
                      << fleet_.clusters.size() << "clusters";
    recompute(true);
}

QString MainWindow::liveWhatIfNote() const {
    QStringList foreign;
    for (const LiveAppliance& appliance : live_->appliances) {
        if (appliance.foreign.memory_mib > 0 || appliance.foreign.vcpus > 0) {
            foreign << tr("%1: %2 and %3")
                           .arg(QString::fromStdString(appliance.name),
                                formatMemoryMib(appliance.foreign.memory_mib),
                                formatVcpus(appliance.foreign.vcpus));
        }
    }
    return tr("A what-if on the live fleet of %1: answered in-process at once, and by the "
              "service's what-if for the same failures, additions, removals and capacity. "
              "Nothing changes on the service. Capacity is the host's less what foreign "
              "domains hold (%2); the target is in-process only.")
        .arg(online_->connection()->url().host(),
             foreign.isEmpty() ? tr("none now") : foreign.join(QStringLiteral("; ")));
}

void MainWindow::askService() {
    if (live_ && !liveView_) {
        liveWhatIf_->ask(liveWhatIfRequest(*live_, fleet_, failing_));
    }
}

void MainWindow::recompute(bool now) {
    if (!open_) {
        return;
    }
    if (now) {
        runner_->requestNow(fleet_);
    } else {
        runner_->request(fleet_);
    }
    askService();
}

void MainWindow::showSnapshot(std::shared_ptr<const SizingSnapshot> snapshot) {
    QElapsedTimer shown;
    shown.start();
    if (pinProposal_ && snapshot->error.isEmpty() && !snapshot->result.appliances.empty() &&
        snapshot->result.appliances.front().proposed) {
        pinProposal_ = false;
        fleet_.appliances = {snapshot->result.appliances.front().spec};
        whatIf_->setFleet(fleet_);
        recompute(true);
    }
    snapshot_ = std::move(snapshot);
    sizingView_->setSnapshot(snapshot_);
    clustersView_->setSnapshot(snapshot_);
    updateTakeovers();
    const VerdictText& verdict = sizingView_->verdict();
    // The sizing is the steady state; said so, it cannot be read as the dashboard's "now".
    verdictLabel_->setText(snapshot_->error.isEmpty()
                               ? tr("Steady state: %1 — %2").arg(verdict.headline, verdict.detail)
                               : snapshot_->error);
    computeLabel_->setText(runner_->busy() ? tr("Computing…")
                                           : tr("%1 clusters sized in %2 ms")
                                                 .arg(snapshot_->fleet.clusters.size())
                                                 .arg(snapshot_->milliseconds));
    updateActions();
    qCDebug(lcConsole) << "showed generation" << snapshot_->generation << "in" << shown.elapsed()
                       << "ms on the UI thread";
    emit resultShown();
}

void MainWindow::whatIfEdited() {
    QElapsedTimer timer;
    timer.start();
    sizing::Fleet edited = fleet_;
    whatIf_->applyTo(edited);
    const Status valid = sizing::validateFleet(edited, "what-if");
    if (!valid) {
        whatIf_->showProblem(
            tr("Not applied: %1").arg(QString::fromStdString(valid.error().describe())));
        return;
    }
    whatIf_->showProblem({});
    if (edited.appliances != fleet_.appliances || edited.cpu_overcommit != fleet_.cpu_overcommit) {
        capacityEdited_ = true;
    }
    fleet_ = std::move(edited);
    setModified(true);
    recompute(false);
    qCDebug(lcConsole) << "applied a what-if edit in" << timer.elapsed() << "ms on the UI thread";
}

Status MainWindow::addCluster(const sizing::ClusterSpec& cluster) {
    sizing::Fleet candidate = fleet_;
    candidate.clusters.push_back(cluster);
    Status valid = sizing::validateFleet(candidate, "new cluster");
    if (!valid) {
        return valid;
    }
    fleet_ = std::move(candidate);
    setModified(true);
    statusBar()->showMessage(
        tr("Added %1 to the what-if").arg(QString::fromStdString(cluster.name)), 5000);
    recompute(true);
    return Done{};
}

void MainWindow::showAddCluster() {
    if (!open_) {
        return;
    }
    auto* dialog = new AddClusterDialog(
        fleet_.groups, [this](const sizing::ClusterSpec& cluster) { return addCluster(cluster); },
        this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void MainWindow::removeSelectedClusters() {
    const std::set<std::string> names = clustersView_->selectedClusters();
    if (names.empty()) {
        statusBar()->showMessage(tr("Select clusters in the Clusters view first (Ctrl+2)"), 5000);
        return;
    }
    auto& clusters = fleet_.clusters;
    clusters.erase(std::remove_if(clusters.begin(), clusters.end(),
                                  [&](const sizing::ClusterSpec& cluster) {
                                      return names.count(cluster.name) != 0;
                                  }),
                   clusters.end());
    for (const std::string& name : names) {
        failing_.erase(name);
    }
    setModified(true);
    statusBar()->showMessage(
        tr("Removed %1 from the what-if")
            .arg(countOf(static_cast<std::int64_t>(names.size()), tr("cluster"))),
        5000);
    recompute(true);
}

void MainWindow::failSelectedClusters() {
    const std::set<std::string> names = clustersView_->selectedClusters();
    if (names.empty()) {
        statusBar()->showMessage(tr("Select the clusters to fail in the Clusters view first"),
                                 5000);
        return;
    }
    failing_ = names;
    views_->setCurrentWidget(live_ ? static_cast<QWidget*>(serviceView_) : clustersView_);
    updateTakeovers();
    askService();
}

void MainWindow::clearFailovers() {
    failing_.clear();
    updateTakeovers();
    askService();
}

void MainWindow::updateTakeovers() {
    if (live_) {
        const LiveFleet& now = online_->connection()->fleet();
        serviceView_->setLiveState(now.nodes, now.appliances);
    }
    if (!snapshot_ || !snapshot_->error.isEmpty()) {
        clustersView_->setTakeovers({});
        if (live_) {
            serviceView_->setInProcess(snapshot_, {}, live_->nodeOf);
        }
        return;
    }
    // On the live fleet the approximation starts from the nodes as the service reports them:
    // active ones holding what libvirt shows they hold, fenced, preempted, stopped or missing
    // ones holding nothing and unable to take over.
    std::map<std::string, sizing::Footprint> active;
    std::map<std::string, std::string> unavailable;
    if (live_) {
        for (const client::Node& node : online_->connection()->fleet().nodes) {
            if (node.state == QLatin1String("active") ||
                node.state == QLatin1String("taking-over")) {
                const client::Footprint held = node.current.value_or(node.active);
                active[node.cluster.toStdString()] = {held.vcpus, held.memory_mib};
            } else if (kHoldsNothing.contains(node.state)) {
                unavailable[node.cluster.toStdString()] = node.state.toStdString();
            }
        }
    }
    std::vector<OfflineTakeover> takeovers =
        approximateTakeovers(snapshot_->fleet, snapshot_->result, failing_, active, unavailable);
    clustersView_->setTakeovers(takeovers);
    if (live_) {
        serviceView_->setInProcess(snapshot_, std::move(takeovers), live_->nodeOf);
    }
    updateActions();
}

void MainWindow::revertToFile() {
    if (!open_) {
        return;
    }
    fleet_ = fileFleet_;
    pinProposal_ = !fileHasAppliance_;
    capacityEdited_ = false;
    failing_.clear();
    whatIf_->setFleet(fleet_);
    whatIf_->showProblem({});
    setModified(false);
    recompute(true);
}

void MainWindow::toggleDarkPalette(bool dark) {
    applyPalette(dark);
    consoleSettings().setValue(QStringLiteral("darkPalette"), dark);
}

void MainWindow::setModified(bool modified) {
    modified_ = modified;
    updateTitle();
    updateActions();
}

void MainWindow::updateTitle() {
    const QString name = !path_.isEmpty() ? QFileInfo(path_).fileName()
                         : live_          ? tr("live fleet")
                                          : tr("no fleet");
    setWindowTitle(QStringLiteral("%1%2 — understudy-console")
                       .arg(name, modified_ ? QStringLiteral(" (what-if, unsaved)") : QString()));
}

void MainWindow::showError(const QString& title, const QString& message) {
    qCWarning(lcConsole).noquote() << title << ":" << message;
    statusBar()->showMessage(message, 15000);
    auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("errorMessage"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

bool MainWindow::confirmDiscard() {
    // A what-if on the live fleet is scratch work: the service is the source of truth.
    if (!modified_ || (live_ && path_.isEmpty())) {
        return true;
    }
    const auto answer = QMessageBox::question(
        this, tr("Unsaved what-if"),
        tr("The what-if has edits that are not saved. Save them to the fleet file first?"),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
    if (answer == QMessageBox::Save) {
        save();
        return !modified_;
    }
    return answer == QMessageBox::Discard;
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (!confirmDiscard()) {
        event->ignore();
        return;
    }
    QSettings settings = consoleSettings();
    settings.setValue(QStringLiteral("geometry"), saveGeometry());
    settings.setValue(QStringLiteral("windowState"), saveState());
    settings.setValue(QStringLiteral("clusterColumns"),
                      clustersView_->table()->horizontalHeader()->saveState());
    settings.setValue(QStringLiteral("eventColumns"),
                      online_->events()->table()->horizontalHeader()->saveState());
    settings.setValue(QStringLiteral("nodeColumns"), online_->nodes()->operatorColumns());
    event->accept();
}

}  // namespace understudy::gui

#include "gui/app/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLoggingCategory>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressDialog>
#include <QSaveFile>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <algorithm>

#include "gui/offline/clusters_view.h"
#include "gui/offline/offline_arbitration.h"
#include "gui/offline/sizing_view.h"
#include "gui/offline/what_if_panel.h"
#include "gui/online/dashboard_view.h"
#include "gui/online/event_log_view.h"
#include "gui/online/nodes_view.h"
#include "gui/online/online_console.h"
#include "gui/online/service_what_if_view.h"
#include "gui/online/timeline_view.h"
#include "gui/widgets/add_cluster_dialog.h"
#include "gui/widgets/console_palette.h"
#include "gui/widgets/quantity_format.h"
#include "gui/widgets/risk_spin_box.h"
#include "sizing/fleet_file.h"

Q_LOGGING_CATEGORY(lcConsole, "understudy.console", QtInfoMsg)

namespace understudy::gui {

namespace {

QSettings consoleSettings() {
    return QSettings(QStringLiteral("Understudy"), QStringLiteral("understudy-console"));
}

QAction* newAction(QObject* parent, const char* name, const QString& text,
                   const QKeySequence& shortcut, const QString& tip) {
    auto* action = new QAction(text, parent);
    action->setObjectName(QString::fromLatin1(name));
    action->setShortcut(shortcut);
    action->setToolTip(tip);
    action->setStatusTip(tip);
    return action;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setObjectName(QStringLiteral("understudyConsole"));
    runner_ = new SizingRunner(this);
    exporter_ = new ReportExporter(this);

    views_ = new QTabWidget(this);
    views_->setObjectName(QStringLiteral("views"));
    views_->setDocumentMode(true);
    sizingView_ = new SizingView(views_);
    clustersView_ = new ClustersView(views_);
    views_->addTab(sizingView_, tr("&Sizing"));
    views_->addTab(clustersView_, tr("&Clusters"));
    online_ = new OnlineConsole(this);
    const std::pair<QWidget*, QString> onlineTabs[] = {{online_->dashboard(), tr("&Dashboard")},
                                                       {online_->nodes(), tr("&Nodes")},
                                                       {online_->timeline(), tr("&Timeline")},
                                                       {online_->events(), tr("&Events")}};
    int tabKey = Qt::Key_3;
    for (const auto& [tab, title] : onlineTabs) {
        views_->addTab(tab, title);
        auto* show = newAction(this, "", title, QKeySequence(Qt::CTRL | tabKey++),
                               tr("Show the %1 view").arg(QString(title).remove(u'&')));
        show->setObjectName(tab->objectName() + QStringLiteral("TabAction"));
        connect(show, &QAction::triggered, this, [this, tab] { views_->setCurrentWidget(tab); });
        onlineTabActions_ << show;
    }
    setCentralWidget(views_);

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

    liveWhatIf_ = new LiveWhatIf(online_->connection(), this);
    createActions();
    createMenus();
    whatIf_->addActions(
        {addClusterAction_, addFromFileAction_, removeClustersAction_, revertAction_},
        {failAction_, clearFailAction_});
    serviceView_ = new ServiceWhatIfView(whatIf_);
    serviceView_->hide();
    whatIf_->addView(serviceView_);
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

    modeLabel_ = new QLabel(tr("No fleet open"));
    verdictLabel_ = new QLabel;
    verdictLabel_->setObjectName(QStringLiteral("statusVerdict"));
    computeLabel_ = new QLabel;
    statusBar()->addWidget(modeLabel_);
    statusBar()->addWidget(verdictLabel_, 1);
    statusBar()->addPermanentWidget(computeLabel_);
    statusBar()->addPermanentWidget(online_->stateLabel());
    connect(online_, &OnlineConsole::message, statusBar(), &QStatusBar::showMessage);
    connect(online_->connection(), &ServiceConnection::stateChanged, this, [this] {
        updateActions();
        if (online_->connection()->state() == ConnectionState::connected && !open_) {
            modeLabel_->setText(tr("Online"));
            // The what-if works on a fleet file; online without one it would only be empty.
            whatIfDock_->hide();
            if (views_->currentWidget() == sizingView_ ||
                views_->currentWidget() == clustersView_) {
                views_->setCurrentWidget(online_->dashboard());
            }
        }
    });

    connect(online_->connection(), &ServiceConnection::fleetChanged, this, [this] {
        if (!live_) {
            return;
        }
        const auto& clusters = online_->connection()->fleet().clusters;
        bool same = clusters.size() == live_->fleet.clusters.size();
        for (std::size_t i = 0; same && i < clusters.size(); ++i) {
            same = clusterSpec(clusters[i]) == live_->fleet.clusters[i];
        }
        serviceView_->setBaselineStale(!same);
    });
    connect(runner_, &SizingRunner::computed, this, &MainWindow::showSnapshot);
    connect(runner_, &SizingRunner::busyChanged, this, [this](bool busy) {
        if (busy) {
            computeLabel_->setText(tr("Computing…"));
        }
    });
    connect(whatIf_, &WhatIfPanel::edited, this, &MainWindow::whatIfEdited);
    connect(clustersView_, &ClustersView::selectionChanged, this, &MainWindow::updateActions);
    connect(exporter_, &ReportExporter::finished, this,
            [this](bool ok, const QString& path, const QString& message) {
                if (exportProgress_ != nullptr) {
                    exportProgress_->reset();
                    exportProgress_->hide();
                }
                if (ok) {
                    statusBar()->showMessage(tr("Report written to %1").arg(path), 10000);
                    QSettings settings = consoleSettings();
                    settings.setValue(QStringLiteral("lastExportDir"),
                                      QFileInfo(path).absolutePath());
                } else {
                    showError(tr("Export failed"), message);
                }
            });

    setTabOrder(views_, whatIf_->targetRisk());

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
    updateTitle();
    updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions() {
    openAction_ = newAction(this, "openAction", tr("&Open fleet file…"), QKeySequence::Open,
                            tr("Open a fleet file (JSON or CSV) offline, without a service"));
    connect(openAction_, &QAction::triggered, this, &MainWindow::openDialog);
    saveAction_ = newAction(this, "saveAction", tr("&Save fleet"), QKeySequence::Save,
                            tr("Save the what-if's fleet to its file"));
    connect(saveAction_, &QAction::triggered, this, &MainWindow::save);
    saveAsAction_ = newAction(this, "saveAsAction", tr("Save fleet &as…"),
                              QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S),
                              tr("Save the what-if's fleet to a new JSON fleet file"));
    connect(saveAsAction_, &QAction::triggered, this, &MainWindow::saveAs);
    exportAction_ =
        newAction(this, "exportAction", tr("&Export report…"), QKeySequence(Qt::CTRL | Qt::Key_E),
                  tr("Export the sizing report as PDF, HTML or CSV"));
    connect(exportAction_, &QAction::triggered, this, &MainWindow::exportDialog);
    quitAction_ = newAction(this, "quitAction", tr("&Quit"), QKeySequence(Qt::CTRL | Qt::Key_Q),
                            tr("Quit the console"));
    quitAction_->setMenuRole(QAction::QuitRole);
    connect(quitAction_, &QAction::triggered, this, &QWidget::close);

    addClusterAction_ =
        newAction(this, "addClusterAction", tr("&Add cluster…"), QKeySequence(Qt::CTRL | Qt::Key_N),
                  tr("Add a cluster to the what-if"));
    connect(addClusterAction_, &QAction::triggered, this, &MainWindow::showAddCluster);
    removeClustersAction_ =
        newAction(this, "removeClustersAction", tr("&Remove selected"), QKeySequence::Delete,
                  tr("Remove the selected clusters from the what-if"));
    removeClustersAction_->setShortcutContext(Qt::WindowShortcut);
    connect(removeClustersAction_, &QAction::triggered, this, &MainWindow::removeSelectedClusters);
    failAction_ =
        newAction(this, "failAction", tr("&Fail selected now"), QKeySequence(Qt::CTRL | Qt::Key_T),
                  tr("Show which selected clusters would be granted, preempted or "
                     "denied if they failed over now"));
    connect(failAction_, &QAction::triggered, this, &MainWindow::failSelectedClusters);
    clearFailAction_ = newAction(this, "clearFailAction", tr("C&lear failovers"),
                                 QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T),
                                 tr("Forget the simulated failovers"));
    connect(clearFailAction_, &QAction::triggered, this, &MainWindow::clearFailovers);
    revertAction_ =
        newAction(this, "revertAction", tr("Re&vert to file"), QKeySequence(Qt::CTRL | Qt::Key_R),
                  tr("Drop every what-if edit and go back to the file's fleet"));
    connect(revertAction_, &QAction::triggered, this, &MainWindow::revertToFile);

    recomputeAction_ = newAction(this, "recomputeAction", tr("Re&compute"), QKeySequence::Refresh,
                                 tr("Size the fleet again now"));
    connect(recomputeAction_, &QAction::triggered, this, [this] { recompute(true); });
    filterAction_ = newAction(this, "filterAction", tr("&Filter clusters"), QKeySequence::Find,
                              tr("Filter the cluster table"));
    connect(filterAction_, &QAction::triggered, this, [this] {
        views_->setCurrentWidget(clustersView_);
        clustersView_->filterEdit()->setFocus();
        clustersView_->filterEdit()->selectAll();
    });
    darkAction_ = newAction(this, "darkPaletteAction", tr("&Dark palette"),
                            QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D),
                            tr("Switch between the dark and the light palette"));
    darkAction_->setCheckable(true);
    connect(darkAction_, &QAction::toggled, this, &MainWindow::toggleDarkPalette);
    sizingTabAction_ = newAction(this, "sizingTabAction", tr("&Sizing"),
                                 QKeySequence(Qt::CTRL | Qt::Key_1), tr("Show the sizing view"));
    connect(sizingTabAction_, &QAction::triggered, this,
            [this] { views_->setCurrentWidget(sizingView_); });
    clustersTabAction_ =
        newAction(this, "clustersTabAction", tr("&Clusters"), QKeySequence(Qt::CTRL | Qt::Key_2),
                  tr("Show the cluster table"));
    connect(clustersTabAction_, &QAction::triggered, this,
            [this] { views_->setCurrentWidget(clustersView_); });
    whatIfFocusAction_ =
        newAction(this, "whatIfAction", tr("&What-if target"), QKeySequence(Qt::CTRL | Qt::Key_L),
                  tr("Show the what-if panel and edit the target risk"));
    connect(whatIfFocusAction_, &QAction::triggered, this, [this] {
        whatIfDock_->show();
        whatIf_->targetRisk()->setFocus();
        whatIf_->targetRisk()->selectAll();
    });
    liveWhatIfAction_ = newAction(
        this, "liveWhatIfAction", tr("What-if on the &live fleet"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L),
        tr("Load the service's clusters, groups and appliances into the what-if: edits are "
           "answered in-process and by the service's what-if; nothing changes on the service"));
    connect(liveWhatIfAction_, &QAction::triggered, this, &MainWindow::loadLiveFleet);
    addFromFileAction_ = newAction(this, "addFromFileAction", tr("Add clusters from &file…"),
                                   QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_N),
                                   tr("Add the clusters of a fleet file to the what-if"));
    connect(addFromFileAction_, &QAction::triggered, this, &MainWindow::addFromFileDialog);
    aboutAction_ = newAction(this, "aboutAction", tr("&About"), QKeySequence::HelpContents,
                             tr("About understudy-console"));
    connect(aboutAction_, &QAction::triggered, this, [this] {
        QMessageBox::about(
            this, tr("About understudy-console"),
            tr("<b>understudy-console</b><p>Sizes and watches passive-node appliances. Offline "
               "mode sizes a fleet file in-process; online mode (File › Connect…) shows an "
               "understudyd's appliances, nodes and events live.</p>"));
    });
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addActions({online_->connectAction(), online_->disconnectAction()});
    file->addSeparator();
    file->addActions({openAction_, saveAction_, saveAsAction_});
    file->addSeparator();
    file->addAction(exportAction_);
    file->addSeparator();
    file->addAction(quitAction_);
    QMenu* whatIf = menuBar()->addMenu(tr("&What-if"));
    whatIf->addAction(liveWhatIfAction_);
    whatIf->addSeparator();
    whatIf->addActions(
        {whatIfFocusAction_, addClusterAction_, addFromFileAction_, removeClustersAction_});
    whatIf->addSeparator();
    whatIf->addActions({failAction_, clearFailAction_});
    whatIf->addSeparator();
    whatIf->addActions({revertAction_, recomputeAction_});
    QMenu* service = menuBar()->addMenu(tr("Se&rvice"));
    service->addActions(online_->serviceActions());
    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addActions({sizingTabAction_, clustersTabAction_});
    view->addActions(onlineTabActions_);
    view->addAction(filterAction_);
    QAction* dockToggle = whatIfDock_->toggleViewAction();
    dockToggle->setObjectName(QStringLiteral("whatIfPanelAction"));
    dockToggle->setShortcut(QKeySequence(Qt::Key_F9));
    view->addAction(dockToggle);
    view->addSeparator();
    view->addAction(darkAction_);
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(aboutAction_);

    QToolBar* toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(QStringLiteral("mainToolbar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    toolbar->addActions({openAction_, saveAction_, exportAction_});
    toolbar->addSeparator();
    toolbar->addActions({addClusterAction_, removeClustersAction_, failAction_});
    toolbar->addSeparator();
    toolbar->addAction(recomputeAction_);
}

QList<QAction*> MainWindow::mainActions() const {
    QList<QAction*> actions{openAction_,
                            saveAction_,
                            saveAsAction_,
                            exportAction_,
                            quitAction_,
                            addClusterAction_,
                            removeClustersAction_,
                            failAction_,
                            clearFailAction_,
                            revertAction_,
                            recomputeAction_,
                            filterAction_,
                            darkAction_,
                            sizingTabAction_,
                            clustersTabAction_,
                            whatIfFocusAction_,
                            liveWhatIfAction_,
                            addFromFileAction_,
                            whatIfDock_->toggleViewAction(),
                            online_->connectAction()};
    actions << onlineTabActions_;
    for (QAction* action : online_->serviceActions()) {
        if (!action->shortcut().isEmpty()) {
            actions << action;
        }
    }
    return actions;
}

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
    liveWhatIf_->forget();
    serviceView_->clear();
    serviceView_->hide();
    whatIf_->setLive(false, {});
    runner_->setPlacement({});
    revertAction_->setText(tr("Re&vert to file"));
    revertAction_->setToolTip(tr("Drop every what-if edit and go back to the file's fleet"));
}

void MainWindow::loadLiveFleet() {
    if (online_->connection()->state() != ConnectionState::connected || !confirmDiscard()) {
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
        leaveLive();
        live_ = std::move(*loaded);
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
        QStringList foreign;
        for (const LiveAppliance& appliance : live_->appliances) {
            if (appliance.foreign.memory_mib > 0 || appliance.foreign.vcpus > 0) {
                foreign << tr("%1: %2 and %3")
                               .arg(QString::fromStdString(appliance.name),
                                    formatMemoryMib(appliance.foreign.memory_mib),
                                    formatVcpus(appliance.foreign.vcpus));
            }
        }
        const QString host = online_->connection()->url().host();
        whatIf_->setFleet(fleet_);
        whatIf_->setLive(
            true, tr("A what-if on the live fleet of %1: answered in-process at once, and by the "
                     "service's what-if for the same failures, additions, removals and capacity. "
                     "Nothing changes on the service. Capacity is the host's less what foreign "
                     "domains hold (%2); the target is in-process only.")
                      .arg(host, foreign.isEmpty() ? tr("none now")
                                                   : foreign.join(QStringLiteral("; "))));
        whatIf_->showProblem({});
        whatIf_->setEnabled(true);
        serviceView_->show();
        whatIfDock_->show();
        setModified(false);
        modeLabel_->setText(tr("Online — what-if on the live fleet of %1").arg(host));
        views_->setCurrentWidget(sizingView_);
        statusBar()->showMessage(
            tr("The live fleet is in the what-if: %1")
                .arg(countOf(static_cast<std::int64_t>(fleet_.clusters.size()), tr("cluster"))),
            5000);
        qCInfo(lcConsole) << "what-if on the live fleet with" << fleet_.clusters.size()
                          << "clusters";
        recompute(true);
    });
}

void MainWindow::askService() {
    if (live_) {
        liveWhatIf_->ask(liveWhatIfRequest(*live_, fleet_, failing_));
    }
}

Status MainWindow::addClustersFromFile(const QString& path) {
    Result<sizing::Fleet> loaded = sizing::loadFleetFile(QFile::encodeName(path).toStdString());
    if (!loaded) {
        return loaded.error();
    }
    sizing::Fleet candidate = fleet_;
    for (const sizing::GroupSpec& group : loaded->groups) {
        if (std::none_of(
                candidate.groups.begin(), candidate.groups.end(),
                [&](const sizing::GroupSpec& known) { return known.name == group.name; })) {
            candidate.groups.push_back(group);
        }
    }
    candidate.clusters.insert(candidate.clusters.end(), loaded->clusters.begin(),
                              loaded->clusters.end());
    Status valid = sizing::validateFleet(candidate, QFileInfo(path).fileName().toStdString());
    if (!valid) {
        return valid;
    }
    fleet_ = std::move(candidate);
    setModified(true);
    statusBar()->showMessage(
        tr("Added %1 from %2 to the what-if")
            .arg(countOf(static_cast<std::int64_t>(loaded->clusters.size()), tr("cluster")),
                 QFileInfo(path).fileName()),
        5000);
    recompute(true);
    return Done{};
}

void MainWindow::addFromFileDialog() {
    if (!open_) {
        return;
    }
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Add clusters from a fleet file"), QFileInfo(path_).absolutePath(),
        tr("Fleet files (*.json *.csv);;All files (*)"));
    if (path.isEmpty()) {
        return;
    }
    if (Status added = addClustersFromFile(path); !added) {
        showError(
            tr("Clusters not added"),
            tr("%1\n\nNothing was added.").arg(QString::fromStdString(added.error().describe())));
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
    verdictLabel_->setText(snapshot_->error.isEmpty()
                               ? QStringLiteral("%1 — %2").arg(verdict.headline, verdict.detail)
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
    views_->setCurrentWidget(clustersView_);
    updateTakeovers();
    askService();
}

void MainWindow::clearFailovers() {
    failing_.clear();
    updateTakeovers();
    askService();
}

void MainWindow::updateTakeovers() {
    if (!snapshot_ || !snapshot_->error.isEmpty()) {
        clustersView_->setTakeovers({});
        if (live_) {
            serviceView_->setInProcess(snapshot_, {}, live_->nodeOf);
        }
        return;
    }
    // On the live fleet the approximation starts from the nodes active now, holding what
    // libvirt shows they hold.
    std::map<std::string, sizing::Footprint> active;
    if (live_) {
        for (const client::Node& node : online_->connection()->fleet().nodes) {
            if (node.state == QLatin1String("active") ||
                node.state == QLatin1String("taking-over")) {
                const client::Footprint held = node.current.value_or(node.active);
                active[node.cluster.toStdString()] = {held.vcpus, held.memory_mib};
            }
        }
    }
    std::vector<OfflineTakeover> takeovers =
        approximateTakeovers(snapshot_->fleet, snapshot_->result, failing_, active);
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

Status MainWindow::saveFleet(const QString& path) {
    sizing::Fleet toSave = fleet_;
    if (!fileHasAppliance_ && !capacityEdited_) {
        toSave.appliances.clear();
    }
    const std::string text = sizing::fleetToJson(toSave);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) ||
        file.write(text.data(), static_cast<qint64>(text.size())) !=
            static_cast<qint64>(text.size()) ||
        !file.commit()) {
        const QString message = tr("Could not save the fleet to %1: %2. Check that the folder "
                                   "exists and is writable, or choose another file.")
                                    .arg(path, file.errorString());
        showError(tr("Save failed"), message);
        return Error{"io", message.toStdString(), path.toStdString()};
    }
    path_ = QFileInfo(path).absoluteFilePath();
    fileFleet_ = toSave;
    fileHasAppliance_ = !toSave.appliances.empty();
    setModified(false);
    modeLabel_->setText(tr("Offline — %1").arg(QFileInfo(path_).fileName()));
    consoleSettings().setValue(QStringLiteral("lastFile"), path_);
    statusBar()->showMessage(tr("Saved %1").arg(path_), 5000);
    return Done{};
}

void MainWindow::save() {
    if (!open_) {
        return;
    }
    // Only JSON keeps groups, appliances and the policy; a CSV fleet is saved as JSON beside it.
    if (QFileInfo(path_).suffix().compare(QLatin1String("json"), Qt::CaseInsensitive) != 0) {
        saveAs();
        return;
    }
    (void)saveFleet(path_);
}

void MainWindow::saveAs() {
    if (!open_) {
        return;
    }
    const QFileInfo info(path_);
    const QString suggested =
        info.absoluteDir().filePath(info.completeBaseName() + QStringLiteral(".json"));
    const QString path = QFileDialog::getSaveFileName(this, tr("Save fleet as"), suggested,
                                                      tr("JSON fleet file (*.json)"));
    if (!path.isEmpty()) {
        (void)saveFleet(path);
    }
}

Status MainWindow::exportReport(const QString& path) {
    const std::optional<ReportKind> kind = reportKindForPath(path);
    if (!kind) {
        const QString message = tr("Cannot export to %1: the name must end in .pdf, .html or "
                                   ".csv to choose the format.")
                                    .arg(path);
        showError(tr("Export failed"), message);
        return Error{"invalid_path", message.toStdString(), path.toStdString()};
    }
    if (!snapshot_ || !snapshot_->error.isEmpty()) {
        const QString message = tr("There is no result to export yet; open a fleet file first.");
        showError(tr("Export failed"), message);
        return Error{"no_result", message.toStdString(), path.toStdString()};
    }
    if (exportProgress_ == nullptr) {
        exportProgress_ = new QProgressDialog(this);
        exportProgress_->setObjectName(QStringLiteral("exportProgress"));
        exportProgress_->setWindowTitle(tr("Exporting report"));
        exportProgress_->setRange(0, 0);
        exportProgress_->setMinimumDuration(0);
        exportProgress_->setWindowModality(Qt::WindowModal);
        exportProgress_->setAutoReset(false);
        exportProgress_->setAutoClose(false);
        connect(exportProgress_, &QProgressDialog::canceled, this, [this] {
            exportProgress_->hide();
            exporter_->cancel();
            statusBar()->showMessage(tr("Export cancelled; nothing was written"), 5000);
        });
    }
    exportProgress_->setLabelText(tr("Writing %1…").arg(QFileInfo(path).fileName()));
    exportProgress_->show();
    exporter_->start(snapshot_, *kind, path, QFileInfo(path_).fileName());
    return Done{};
}

void MainWindow::exportDialog() {
    if (!snapshot_) {
        return;
    }
    QSettings settings = consoleSettings();
    const QString folder =
        settings.value(QStringLiteral("lastExportDir"), QFileInfo(path_).absolutePath()).toString();
    QString filter;
    const QString suggested =
        QDir(folder).filePath(QFileInfo(path_).completeBaseName() + QStringLiteral("-sizing.pdf"));
    QString path = QFileDialog::getSaveFileName(
        this, tr("Export sizing report"), suggested,
        tr("PDF report (*.pdf);;HTML report (*.html);;CSV tables (*.csv)"), &filter);
    if (path.isEmpty()) {
        return;
    }
    if (!reportKindForPath(path)) {
        const QString extension = filter.contains(QLatin1String("html"))  ? QStringLiteral(".html")
                                  : filter.contains(QLatin1String("csv")) ? QStringLiteral(".csv")
                                                                          : QStringLiteral(".pdf");
        path += extension;
    }
    (void)exportReport(path);
}

void MainWindow::openDialog() {
    if (!confirmDiscard()) {
        return;
    }
    const QString folder = path_.isEmpty() ? QString() : QFileInfo(path_).absolutePath();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open fleet file"), folder, tr("Fleet files (*.json *.csv);;All files (*)"));
    if (!path.isEmpty()) {
        (void)openFleet(path);
    }
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

void MainWindow::updateActions() {
    const bool haveResult = snapshot_ && snapshot_->error.isEmpty();
    const bool selected = !clustersView_->selectedClusters().empty();
    saveAction_->setEnabled(open_);
    saveAsAction_->setEnabled(open_);
    exportAction_->setEnabled(haveResult);
    addClusterAction_->setEnabled(open_);
    addFromFileAction_->setEnabled(open_);
    liveWhatIfAction_->setEnabled(online_->connection()->state() == ConnectionState::connected);
    removeClustersAction_->setEnabled(open_ && selected);
    failAction_->setEnabled(haveResult && selected);
    clearFailAction_->setEnabled(!failing_.empty());
    revertAction_->setEnabled(open_ && modified_);
    recomputeAction_->setEnabled(open_);
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
    event->accept();
}

}  // namespace understudy::gui

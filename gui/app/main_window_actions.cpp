// The main window's actions (with their shortcuts), its menus and toolbar, and when each
// action is enabled.
#include "gui/app/main_window.h"

#include <QAction>
#include <QDockWidget>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QTabWidget>
#include <QToolBar>

#include "gui/app/help_dialog.h"
#include "gui/offline/clusters_view.h"
#include "gui/offline/sizing_view.h"
#include "gui/offline/what_if_panel.h"
#include "gui/online/dashboard_view.h"
#include "gui/online/event_log_view.h"
#include "gui/online/nodes_view.h"
#include "gui/online/online_console.h"
#include "gui/online/timeline_view.h"
#include "gui/widgets/console_action.h"
#include "gui/widgets/risk_spin_box.h"

namespace understudy::gui {

void MainWindow::createActions() {
    createFileActions();
    createWhatIfActions();
    createViewActions();
    helpAction_ =
        consoleAction(this, "helpAction", tr("&Help and glossary"), QKeySequence::HelpContents,
                      tr("How to get around the console and what its words mean"));
    connect(helpAction_, &QAction::triggered, this, [this] {
        auto* help = findChild<HelpDialog*>();
        if (help == nullptr) {
            help = new HelpDialog(this);
        }
        help->show();
        help->raise();
    });
    aboutAction_ =
        consoleAction(this, "aboutAction", tr("&About"), {}, tr("About understudy-console"));
    connect(aboutAction_, &QAction::triggered, this, [this] {
        QMessageBox::about(
            this, tr("About understudy-console"),
            tr("<b>%1</b><p>Sizes and watches passive-node appliances. Offline "
               "mode sizes a fleet file in-process; online mode (File › Connect…) shows an "
               "understudyd's appliances, nodes and events live.</p><p>Help › Help and "
               "glossary (F1) explains its words.</p>")
                .arg(consoleVersionText()));
    });
}

void MainWindow::createFileActions() {
    openAction_ = consoleAction(this, "openAction", tr("&Open fleet file…"), QKeySequence::Open,
                                tr("Open a fleet file (JSON or CSV) offline, without a service"));
    connect(openAction_, &QAction::triggered, this, &MainWindow::openDialog);
    saveAction_ = consoleAction(this, "saveAction", tr("&Save fleet"), QKeySequence::Save,
                                tr("Save the what-if's fleet to its file"));
    connect(saveAction_, &QAction::triggered, this, &MainWindow::save);
    saveAsAction_ = consoleAction(this, "saveAsAction", tr("Save fleet &as…"),
                                  QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S),
                                  tr("Save the what-if's fleet to a new JSON fleet file"));
    connect(saveAsAction_, &QAction::triggered, this, &MainWindow::saveAs);
    exportAction_ = consoleAction(this, "exportAction", tr("&Export report…"),
                                  QKeySequence(Qt::CTRL | Qt::Key_E),
                                  tr("Export the sizing report as PDF, HTML or CSV"));
    connect(exportAction_, &QAction::triggered, this, &MainWindow::exportDialog);
    quitAction_ = consoleAction(this, "quitAction", tr("&Quit"), QKeySequence(Qt::CTRL | Qt::Key_Q),
                                tr("Quit the console"));
    quitAction_->setMenuRole(QAction::QuitRole);
    connect(quitAction_, &QAction::triggered, this, &QWidget::close);
}

void MainWindow::createWhatIfActions() {
    addClusterAction_ =
        consoleAction(this, "addClusterAction", tr("&Add cluster…"),
                      QKeySequence(Qt::CTRL | Qt::Key_N), tr("Add a cluster to the what-if"));
    connect(addClusterAction_, &QAction::triggered, this, &MainWindow::showAddCluster);
    removeClustersAction_ =
        consoleAction(this, "removeClustersAction", tr("&Remove selected"), QKeySequence::Delete,
                      tr("Remove the selected clusters from the what-if"));
    removeClustersAction_->setShortcutContext(Qt::WindowShortcut);
    connect(removeClustersAction_, &QAction::triggered, this, &MainWindow::removeSelectedClusters);
    failAction_ = consoleAction(this, "failAction", tr("&Fail selected now"),
                                QKeySequence(Qt::CTRL | Qt::Key_T),
                                tr("Show which selected clusters would be granted, preempted or "
                                   "denied if they failed over now"));
    connect(failAction_, &QAction::triggered, this, &MainWindow::failSelectedClusters);
    clearFailAction_ = consoleAction(this, "clearFailAction", tr("C&lear failovers"),
                                     QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_T),
                                     tr("Forget the simulated failovers"));
    connect(clearFailAction_, &QAction::triggered, this, &MainWindow::clearFailovers);
    revertAction_ = consoleAction(this, "revertAction", tr("Re&vert to file"),
                                  QKeySequence(Qt::CTRL | Qt::Key_R),
                                  tr("Drop every what-if edit and go back to the file's fleet"));
    connect(revertAction_, &QAction::triggered, this, &MainWindow::revertToFile);
    recomputeAction_ = consoleAction(this, "recomputeAction", tr("Re&compute"),
                                     QKeySequence::Refresh, tr("Size the fleet again now"));
    connect(recomputeAction_, &QAction::triggered, this, [this] { recompute(true); });
    liveWhatIfAction_ = consoleAction(
        this, "liveWhatIfAction", tr("What-if on the &live fleet"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L),
        tr("Load the service's clusters, groups and appliances into the what-if: edits are "
           "answered in-process and by the service's what-if; nothing changes on the service"));
    connect(liveWhatIfAction_, &QAction::triggered, this, &MainWindow::loadLiveFleet);
    addFromFileAction_ = consoleAction(this, "addFromFileAction", tr("Add clusters from &file…"),
                                       QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_N),
                                       tr("Add the clusters of a fleet file to the what-if"));
    connect(addFromFileAction_, &QAction::triggered, this, &MainWindow::addFromFileDialog);
}

void MainWindow::createViewActions() {
    filterAction_ = consoleAction(this, "filterAction", tr("&Filter clusters"), QKeySequence::Find,
                                  tr("Filter the cluster table"));
    connect(filterAction_, &QAction::triggered, this, [this] {
        views_->setCurrentWidget(clustersView_);
        clustersView_->filterEdit()->setFocus();
        clustersView_->filterEdit()->selectAll();
    });
    darkAction_ = consoleAction(this, "darkPaletteAction", tr("&Dark palette"),
                                QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D),
                                tr("Switch between the dark and the light palette"));
    darkAction_->setCheckable(true);
    connect(darkAction_, &QAction::toggled, this, &MainWindow::toggleDarkPalette);
    sizingTabAction_ =
        consoleAction(this, "sizingTabAction", tr("&Sizing"), QKeySequence(Qt::CTRL | Qt::Key_1),
                      tr("Show the sizing view"));
    connect(sizingTabAction_, &QAction::triggered, this,
            [this] { views_->setCurrentWidget(sizingView_); });
    clustersTabAction_ =
        consoleAction(this, "clustersTabAction", tr("&Clusters"),
                      QKeySequence(Qt::CTRL | Qt::Key_2), tr("Show the cluster table"));
    connect(clustersTabAction_, &QAction::triggered, this,
            [this] { views_->setCurrentWidget(clustersView_); });
    whatIfFocusAction_ = consoleAction(this, "whatIfAction", tr("&What-if target"),
                                       QKeySequence(Qt::CTRL | Qt::Key_L),
                                       tr("Show the what-if panel and edit the target risk"));
    connect(whatIfFocusAction_, &QAction::triggered, this, [this] {
        whatIfDock_->show();
        whatIf_->targetRisk()->setFocus();
        whatIf_->targetRisk()->selectAll();
    });
    // Ctrl+3 onwards: the online views, in their tab order.
    QWidget* const onlineViews[] = {online_->dashboard(), online_->nodes(), online_->timeline(),
                                    online_->events()};
    int tabKey = Qt::Key_3;
    for (QWidget* tab : onlineViews) {
        const QString title = views_->tabText(views_->indexOf(tab));
        auto* show = consoleAction(this, "", title, QKeySequence(Qt::CTRL | tabKey++),
                                   tr("Show the %1 view").arg(QString(title).remove(u'&')));
        show->setObjectName(tab->objectName() + QStringLiteral("TabAction"));
        connect(show, &QAction::triggered, this, [this, tab] { views_->setCurrentWidget(tab); });
        onlineTabActions_ << show;
    }
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
    help->addActions({helpAction_, aboutAction_});

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
                            helpAction_,
                            online_->connectAction()};
    actions << onlineTabActions_;
    for (QAction* action : online_->serviceActions()) {
        if (!action->shortcut().isEmpty()) {
            actions << action;
        }
    }
    return actions;
}

void MainWindow::updateActions() {
    const bool haveResult = snapshot_ && snapshot_->error.isEmpty();
    const bool selected = !clustersView_->selectedClusters().empty();
    // The live fleet shown outside the what-if changes only through the service.
    const bool editable = open_ && !liveView_;
    saveAction_->setEnabled(editable);
    saveAsAction_->setEnabled(editable);
    exportAction_->setEnabled(haveResult);
    addClusterAction_->setEnabled(editable);
    addFromFileAction_->setEnabled(editable);
    liveWhatIfAction_->setEnabled(online_->connection()->state() == ConnectionState::connected);
    removeClustersAction_->setEnabled(editable && selected);
    failAction_->setEnabled(haveResult && !liveView_ && selected);
    clearFailAction_->setEnabled(!failing_.empty());
    revertAction_->setEnabled(editable && modified_);
    recomputeAction_->setEnabled(open_);
}

}  // namespace understudy::gui

// understudy-console's main window. Offline mode: a fleet file opened without any service, sized
// in-process for the what-if (understudy-console(1)). Online mode (OnlineConsole): the live views
// of an understudyd (dashboard, nodes, timeline, events) in tabs beside Sizing and Clusters,
// through the API client only.
#pragma once

#include <QMainWindow>
#include <memory>
#include <set>
#include <string>

#include "base/result.h"
#include "gui/offline/report_exporter.h"
#include "gui/offline/sizing_runner.h"
#include "gui/online/live_what_if.h"
#include "sizing/fleet.h"

class QLabel;
class QProgressDialog;
class QTabWidget;
class QDockWidget;

namespace understudy::gui {

class ClustersView;
class OnlineConsole;
class ServiceWhatIfView;
class SizingView;
class WhatIfPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Offline mode on this fleet file; errors are shown and returned.
    Status openFleet(const QString& path);
    // The what-if's fleet into a JSON fleet file.
    Status saveFleet(const QString& path);
    // Starts exporting the current result; the format follows the extension.
    Status exportReport(const QString& path);
    // The name Export report proposes: after the fleet file, or online after the appliance.
    QString suggestedReportName() const;
    // Adds a cluster to the what-if when the fleet rules accept it; nothing changes otherwise.
    Status addCluster(const sizing::ClusterSpec& cluster);
    // Online mode: connects to the service at `url` (token from UNDERSTUDY_TOKEN, else the
    // remembered one, else the connection dialog).
    void setServiceUrl(const QString& url);
    // Reopens the file of the last session, if there was one and it still exists.
    void reopenLastFile();
    // Online mode: the service's clusters, groups and appliances become the what-if's fleet;
    // each edit is answered in-process at once and asked of the service's what-if.
    void loadLiveFleet();
    // Adds the clusters (and groups it needs) of a fleet file to the what-if, all or nothing.
    Status addClustersFromFile(const QString& path);

    // What the views show, for tests and the status bar.
    std::shared_ptr<const SizingSnapshot> snapshot() const { return snapshot_; }
    const sizing::Fleet& fleet() const { return fleet_; }
    bool modified() const { return modified_; }
    SizingView* sizingView() const { return sizingView_; }
    ClustersView* clustersView() const { return clustersView_; }
    WhatIfPanel* whatIfPanel() const { return whatIf_; }
    OnlineConsole* online() const { return online_; }
    // Set while the what-if works on the live fleet (loadLiveFleet()).
    const std::optional<LiveBaseline>& liveBaseline() const { return live_; }
    LiveWhatIf* liveWhatIf() const { return liveWhatIf_; }
    ServiceWhatIfView* serviceWhatIf() const { return serviceView_; }
    QTabWidget* views() const { return views_; }
    SizingRunner* runner() const { return runner_; }
    ReportExporter* exporter() const { return exporter_; }
    QProgressDialog* exportProgress() const { return exportProgress_; }
    // Every main action, by object name ("openAction", "exportAction", …).
    QList<QAction*> mainActions() const;

signals:
    // After the views show a new result.
    void resultShown();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createViews();
    void createWhatIfDock();
    void createServiceWhatIf();
    void createStatusBar();
    void restoreSettings();
    void connectionChanged();
    void serviceFleetChanged();
    void showSnapshot(std::shared_ptr<const SizingSnapshot> snapshot);
    void whatIfEdited();
    void recompute(bool now);
    void setModified(bool modified);
    void updateTitle();
    void updateTakeovers();
    void askService();
    void followLiveFleet();
    void showLiveFleet(LiveBaseline loaded, bool whatIf);
    void showLiveViewMode();
    QString liveWhatIfNote() const;
    void leaveLive();
    void removeSelectedClusters();
    void failSelectedClusters();
    void clearFailovers();
    void revertToFile();
    void showAddCluster();
    void toggleDarkPalette(bool dark);
    void showError(const QString& title, const QString& message);
    bool confirmDiscard();

    // In main_window_actions.cpp.
    void createActions();
    void createFileActions();
    void createWhatIfActions();
    void createViewActions();
    void createMenus();
    void updateActions();

    // In main_window_files.cpp.
    void openDialog();
    void save();
    void saveAs();
    void exportDialog();
    void exportFinished(bool ok, const QString& path, const QString& message);
    void addFromFileDialog();

    SizingRunner* runner_ = nullptr;
    ReportExporter* exporter_ = nullptr;
    QTabWidget* views_ = nullptr;
    SizingView* sizingView_ = nullptr;
    ClustersView* clustersView_ = nullptr;
    WhatIfPanel* whatIf_ = nullptr;
    OnlineConsole* online_ = nullptr;
    LiveWhatIf* liveWhatIf_ = nullptr;
    ServiceWhatIfView* serviceView_ = nullptr;
    QList<QAction*> onlineTabActions_;
    QDockWidget* whatIfDock_ = nullptr;
    QProgressDialog* exportProgress_ = nullptr;
    QLabel* modeLabel_ = nullptr;
    QLabel* verdictLabel_ = nullptr;
    QLabel* computeLabel_ = nullptr;

    QAction* openAction_ = nullptr;
    QAction* saveAction_ = nullptr;
    QAction* saveAsAction_ = nullptr;
    QAction* exportAction_ = nullptr;
    QAction* quitAction_ = nullptr;
    QAction* addClusterAction_ = nullptr;
    QAction* removeClustersAction_ = nullptr;
    QAction* failAction_ = nullptr;
    QAction* clearFailAction_ = nullptr;
    QAction* revertAction_ = nullptr;
    QAction* recomputeAction_ = nullptr;
    QAction* filterAction_ = nullptr;
    QAction* darkAction_ = nullptr;
    QAction* sizingTabAction_ = nullptr;
    QAction* clustersTabAction_ = nullptr;
    QAction* whatIfFocusAction_ = nullptr;
    QAction* helpAction_ = nullptr;
    QAction* aboutAction_ = nullptr;
    QAction* liveWhatIfAction_ = nullptr;
    QAction* addFromFileAction_ = nullptr;

    std::shared_ptr<const SizingSnapshot> snapshot_;
    sizing::Fleet fleet_;      // the what-if: the file's fleet with the console's edits
    sizing::Fleet fileFleet_;  // as read from the file, for Revert
    QString path_;
    bool open_ = false;
    bool modified_ = false;
    // The file names no appliance: the first answer's proposal becomes the what-if's appliance,
    // so capacity can be played with; it is saved only once the user changes it.
    bool pinProposal_ = false;
    bool fileHasAppliance_ = false;
    bool capacityEdited_ = false;
    std::set<std::string> failing_;
    std::optional<LiveBaseline> live_;  // the what-if started from the service's fleet
    // The live fleet shown read-only in Sizing and Clusters, following the service.
    bool liveView_ = false;
};

}  // namespace understudy::gui

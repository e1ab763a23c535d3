// The console's online mode: the connection to understudyd (dialog, remembered URL and token,
// progress with cancel, state in the status bar), the four live views, and the actions on
// clusters (register with an admission preview, remove, rotate the token, details). The main
// window only places what this creates.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include "appliance/client/api_client.h"
#include "gui/online/service_connection.h"
#include "gui/widgets/add_cluster_dialog.h"
#include "sizing/fleet.h"

class QAction;
class QLabel;
class QMainWindow;
class QProgressDialog;
class QTabWidget;
class QTimer;

namespace understudy::gui {

class AlarmBar;
class ConnectDialog;
class DashboardView;
class EventLogView;
class NodeReadiness;
class NodesView;
class TimelineView;
class TokenStore;
class UnreadEvents;

class OnlineConsole : public QObject {
    Q_OBJECT
public:
    explicit OnlineConsole(QMainWindow* window);

    // --url URL: the token from UNDERSTUDY_TOKEN, else the remembered one, else the dialog.
    void startWith(const QString& url);
    // Connects with a progress dialog that can cancel; remembers the URL, and the token too
    // when `remember`.
    void connectTo(const QUrl& url, const QByteArray& token, bool remember);
    // With `problem`, why the last attempt failed (a refused token, a wrong URL).
    void showConnectDialog(const QString& problem = {});
    void registerCluster();
    // The same form, filled in; previewed through the what-if, then PATCH /clusters/{name}.
    void editCluster(const QString& cluster);
    void removeCluster(const QString& cluster);
    void rotateToken(const QString& cluster);
    void showClusterDetails(const QString& cluster);
    // The service's what-if: what a failover of `cluster` now would get; changes nothing.
    void whatIfFailed(const QString& cluster);
    // Counts the events that arrive while `tabs` shows another page than the Events tab, on
    // that tab's title.
    void countUnreadEventsIn(QTabWidget* tabs);

    ServiceConnection* connection() const { return connection_; }
    TokenStore* tokens() const { return tokens_; }
    DashboardView* dashboard() const { return dashboard_; }
    NodesView* nodes() const { return nodes_; }
    TimelineView* timeline() const { return timeline_; }
    EventLogView* events() const { return events_; }
    // Above every tab: the alarms not yet acknowledged.
    AlarmBar* alarmBar() const { return alarmBar_; }
    UnreadEvents* unreadEvents() const { return unread_; }
    NodeReadiness* readiness() const { return readiness_; }
    QLabel* stateLabel() const { return stateLabel_; }
    // "Not live — data as of HH:MM:SS" while the views show what an earlier answer said.
    QLabel* staleBanner() const { return staleBanner_; }
    // True while the views are greyed: they show data the service can no longer confirm.
    bool showsStaleData() const;
    QProgressDialog* connectProgress() const { return progress_; }
    AddClusterDialog* registerDialog() const { return registerDialog_; }
    QAction* connectAction() const { return connectAction_; }
    QAction* disconnectAction() const { return disconnectAction_; }
    QList<QAction*> serviceActions() const;

signals:
    void message(const QString& text, int timeoutMs);

private:
    void updateState();
    // Says in the status bar when the service was lost while connected and when the console
    // got it back by itself (the state label beside it counts down to the next attempt).
    void announceTransition();
    void updateActions();
    void markStaleViews();
    QString selectedCluster() const;
    void submitCluster(const sizing::ClusterSpec& cluster);
    void previewAdmission(const sizing::ClusterSpec& cluster, QPointer<AddClusterDialog> dialog);
    void sendRegistration(const sizing::ClusterSpec& cluster, QPointer<AddClusterDialog> dialog);
    void sendChange(const sizing::ClusterSpec& cluster, QPointer<AddClusterDialog> dialog);
    void submitRefused(AddClusterDialog* dialog, const client::ApiError& error);
    void openClusterDialog(const QString& title, const std::optional<client::Cluster>& editing);

    QMainWindow* window_;
    ServiceConnection* connection_;
    TokenStore* tokens_;
    DashboardView* dashboard_ = nullptr;
    NodesView* nodes_ = nullptr;
    TimelineView* timeline_ = nullptr;
    EventLogView* events_ = nullptr;
    AlarmBar* alarmBar_ = nullptr;
    UnreadEvents* unread_ = nullptr;
    NodeReadiness* readiness_ = nullptr;
    QLabel* stateLabel_ = nullptr;
    QLabel* staleBanner_ = nullptr;
    QPointer<ConnectDialog> connectDialog_;
    QProgressDialog* progress_ = nullptr;
    QTimer* countdown_ = nullptr;
    ConnectionState announced_ = ConnectionState::disconnected;
    QElapsedTimer outage_;  // running while a service the console was connected to is lost
    QPointer<AddClusterDialog> registerDialog_;
    std::optional<sizing::ClusterSpec> previewed_;
    QString editing_;  // the cluster being edited; empty when registering

    QAction* connectAction_ = nullptr;
    QAction* disconnectAction_ = nullptr;
    QAction* registerAction_ = nullptr;
    QAction* removeAction_ = nullptr;
    QAction* editAction_ = nullptr;
    QAction* rotateAction_ = nullptr;
    QAction* detailsAction_ = nullptr;
    QAction* whatIfAction_ = nullptr;
};

// A fleet-file cluster as the JSON body of POST /clusters.
QJsonObject clusterJson(const sizing::ClusterSpec& cluster);
// A registered cluster as the sizing engine reads it (its declared failure model).

}  // namespace understudy::gui

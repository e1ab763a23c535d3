// The console's link to one understudyd, through the API client only: connects (with steps a
// progress dialog can show, and cancel), keeps a copy of the live fleet (appliances, clusters,
// nodes, the sizing target) and of the recent event log, follows GET /events by long-polling,
// and refreshes the copy within a moment of each event. A lost service is retried with
// backoff (1, 2, 4 … 30 s) and the state says so; a refused token is not retried.
#pragma once

#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>
#include <deque>
#include <vector>

#include "appliance/client/api_client.h"

namespace understudy::gui {

enum class ConnectionState { disconnected, connecting, connected, reconnecting, failed };

struct LiveFleet {
    std::vector<client::Appliance> appliances;
    std::vector<client::Cluster> clusters;
    std::vector<client::Node> nodes;
    double target_risk = 0;  // 0 until the first GET /sizing
    bool sized = false;
};

class ServiceConnection : public QObject {
    Q_OBJECT
public:
    // How many events the console keeps in memory (the newest), and loads when it connects.
    static constexpr int kKeptEvents = 20000;
    static constexpr int kInitialEvents = 5000;
    static constexpr int kConnectSteps = 4;
    static constexpr int kFollowWaitSeconds = 25;

    explicit ServiceConnection(QObject* parent = nullptr);
    ~ServiceConnection() override;

    void connectTo(const QUrl& url, const QByteArray& token);
    // Stops connecting or following; keeps what was loaded on screen.
    void disconnectFromService();

    ConnectionState state() const { return state_; }
    enum class Detail { withReason, brief };
    // "Connected to URL", "Reconnecting to URL in 4 s — unreachable: …", "Failed: …"; `brief`
    // leaves the reason of a reconnection out (for the status bar, where it is a tooltip).
    QString stateText(Detail detail = Detail::withReason) const;
    QString lastError() const { return lastError_; }
    int connectStep() const { return step_; }
    QUrl url() const { return url_; }
    client::ApiClient* client() const { return client_; }

    // When the copy on screen was last confirmed by an answer of the service (a fleet load or an
    // events poll); invalid before the first answer of this service.
    QDateTime dataAsOf() const { return dataAsOf_; }
    // The last attempt ended for good because the service refused the URL or the token: asking
    // again, not retrying, can mend it.
    bool refused() const { return state_ == ConnectionState::failed && refusedStatus_ != 0; }
    bool tokenRefused() const { return refused() && refusedStatus_ != 404; }

    const LiveFleet& fleet() const { return fleet_; }
    const std::deque<client::Event>& events() const { return events_; }
    qint64 lastEventId() const { return lastEventId_; }

    // Fetches the fleet again now (after an action the views should show at once).
    void refresh();

signals:
    void stateChanged();
    void fleetChanged();
    // `count` events were appended at the end of events(); `dropped` were removed from its front.
    void eventsAppended(int count, int dropped);
    void eventsReset();

private:
    void beginConnect();
    void loadFleet(bool initial);
    void findNewestEvent(qint64 low, qint64 high, bool growing);
    void loadRecentEvents(qint64 since);
    void startFollowing();
    // One long-poll of GET /events after lastEventId_; the answer is decoded off the UI
    // thread (a page of 1,000 events takes tens of milliseconds to read) and polls again.
    void follow(quint64 generation);
    void appendEvents(const std::vector<client::Event>& events);
    void scheduleRefresh();
    void lost(const client::ApiError& error);
    void setState(ConnectionState state);
    bool current(quint64 generation) const { return generation == generation_; }
    // Like ApiClient::call, but the answer is decoded on a pool thread: a 5,000-node list takes
    // tens of milliseconds to read, which the UI thread must not spend.
    template <typename T>
    void fetch(const client::ApiCall<T>& call, std::function<void(client::ApiResult<T>)> done);

    QPointer<client::ApiClient> client_;
    QUrl url_;
    QByteArray token_;
    ConnectionState state_ = ConnectionState::disconnected;
    QString lastError_;
    int refusedStatus_ = 0;  // the HTTP status that ended the last attempt for good
    QDateTime dataAsOf_;
    int step_ = 0;
    quint64 generation_ = 0;  // answers to an older connection attempt are dropped
    int backoffSeconds_ = 0;
    QTimer reconnectTimer_;
    QElapsedTimer reconnectClock_;
    QTimer refreshTimer_;
    bool refreshing_ = false;
    bool refreshAgain_ = false;
    bool clustersStale_ = true;  // refetch clusters only after events that change them

    LiveFleet fleet_;
    std::deque<client::Event> events_;
    qint64 lastEventId_ = 0;
};

}  // namespace understudy::gui

#include "gui/online/service_connection.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QThreadPool>
#include <algorithm>
#include <memory>
#include <optional>

Q_LOGGING_CATEGORY(lcConnection, "understudy.console.connection", QtInfoMsg)

namespace understudy::gui {

using client::ApiError;
using client::ApiResult;

namespace {

constexpr int kMaxBackoffSeconds = 30;
constexpr int kEventPage = 1000;

bool refusedForGood(const ApiError& error) {
    return error.status == 401 || error.status == 403 || error.status == 404;
}

// Kinds after which the clusters and the sizing may have changed, not only nodes (an evacuated
// node's cluster is on another appliance now).
bool changesClusters(const QString& kind) {
    return kind.startsWith(QLatin1String("cluster.")) ||
           kind.startsWith(QLatin1String("admission.")) ||
           kind.startsWith(QLatin1String("hypervisor.")) ||
           kind.startsWith(QLatin1String("appliance.")) ||
           kind == QLatin1String("node.evacuated") || kind == QLatin1String("token.rotated");
}

// In the administrator's words: the service's own message is addressed to programs ("send
// `Authorization: Bearer TOKEN`").
QString refusalText(const ApiError& error, const QString& host) {
    if (error.status == 404) {
        return ServiceConnection::tr("%1 does not serve the Understudy API. Check the URL.")
            .arg(host);
    }
    if (error.status == 403) {
        return ServiceConnection::tr(
                   "This token belongs to a cluster; the console needs the admin token of the "
                   "service at %1.")
            .arg(host);
    }
    return ServiceConnection::tr(
               "The service at %1 did not accept this token. Enter its admin token: the first "
               "line of its admin_token_file (/etc/understudy/admin.token when installed).")
        .arg(host);
}

}  // namespace

template <typename T>
void ServiceConnection::fetch(const client::ApiCall<T>& call,
                              std::function<void(ApiResult<T>)> done) {
    QPointer<ServiceConnection> self(this);
    client_->send(
        call.request, this,
        [self, decode = call.decode,
         done = std::move(done)](ApiResult<client::ApiResponse> answer) mutable {
            if (!answer) {
                done(ApiResult<T>(answer.error()));
                return;
            }
            auto response = std::make_shared<client::ApiResponse>(std::move(answer.value()));
            QThreadPool::globalInstance()->start([self, decode, response, done]() mutable {
                auto decoded = std::make_shared<ApiResult<T>>(decode(*response));
                // Posted to the application object, which outlives any connection, and run
                // only if this connection still exists then.
                QMetaObject::invokeMethod(
                    QCoreApplication::instance(),
                    [self, decoded, done]() mutable {
                        if (self != nullptr) {
                            done(std::move(*decoded));
                        }
                    },
                    Qt::QueuedConnection);
            });
        });
}

ServiceConnection::ServiceConnection(QObject* parent) : QObject(parent) {
    reconnectTimer_.setSingleShot(true);
    connect(&reconnectTimer_, &QTimer::timeout, this, &ServiceConnection::beginConnect);
    // Events come in bursts: one refresh for all of them, soon enough to stay under a second.
    refreshTimer_.setSingleShot(true);
    refreshTimer_.setInterval(60);
    connect(&refreshTimer_, &QTimer::timeout, this, [this] { loadFleet(false); });
}

ServiceConnection::~ServiceConnection() = default;

void ServiceConnection::connectTo(const QUrl& url, const QByteArray& token) {
    disconnectFromService();
    url_ = url;
    token_ = token;
    fleet_ = {};
    dataAsOf_ = {};
    clustersStale_ = true;
    events_.clear();
    lastEventId_ = 0;
    emit eventsReset();
    emit fleetChanged();
    backoffSeconds_ = 0;
    beginConnect();
}

void ServiceConnection::disconnectFromService() {
    ++generation_;
    reconnectTimer_.stop();
    refreshTimer_.stop();
    refreshing_ = false;
    refreshAgain_ = false;
    if (client_ != nullptr) {
        client_->deleteLater();
        client_ = nullptr;
    }
    if (state_ != ConnectionState::disconnected && state_ != ConnectionState::failed) {
        setState(ConnectionState::disconnected);
    }
}

QString ServiceConnection::stateText(Detail detail) const {
    const QString host = url_.toDisplayString(QUrl::RemoveUserInfo);
    switch (state_) {
        case ConnectionState::disconnected:
            return tr("Not connected");
        case ConnectionState::connecting:
            return tr("Connecting to %1…").arg(host);
        case ConnectionState::connected:
            return tr("Connected to %1").arg(host);
        case ConnectionState::reconnecting: {
            const qint64 left = std::max<qint64>(0, reconnectTimer_.remainingTime() + 999) / 1000;
            return detail == Detail::brief
                       ? tr("Reconnecting to %1 in %2 s").arg(host).arg(left)
                       : tr("Reconnecting to %1 in %2 s — %3").arg(host).arg(left).arg(lastError_);
        }
        case ConnectionState::failed:
            return tr("Failed: %1").arg(lastError_);
    }
    return {};
}

void ServiceConnection::setState(ConnectionState state) {
    state_ = state;
    emit stateChanged();
}

void ServiceConnection::beginConnect() {
    const quint64 generation = ++generation_;
    if (client_ != nullptr) {
        client_->deleteLater();
    }
    client::ClientOptions options;
    options.base_url = url_;
    options.token = token_;
    options.timeout = std::chrono::seconds(15);
    client_ = new client::ApiClient(options, this);
    refusedStatus_ = 0;
    if (client_->configurationError()) {
        lastError_ = client_->configurationError()->message;
        setState(ConnectionState::failed);
        return;
    }
    step_ = 0;
    if (state_ != ConnectionState::reconnecting) {
        setState(ConnectionState::connecting);
    }
    qCInfo(lcConnection) << "connecting to" << url_.toDisplayString(QUrl::RemoveUserInfo);
    // GET /appliances first: it is admin-only, so it also proves the token.
    client_->call<std::vector<client::Appliance>>(
        client::api::appliances(), this,
        [this, generation](ApiResult<std::vector<client::Appliance>> answer) {
            if (!current(generation)) {
                return;
            }
            if (!answer) {
                lost(answer.error());
                return;
            }
            fleet_.appliances = std::move(answer.value());
            step_ = 1;
            emit stateChanged();
            loadFleet(true);
        });
}

void ServiceConnection::refresh() {
    if (state_ == ConnectionState::connected) {
        scheduleRefresh();
    }
}

void ServiceConnection::scheduleRefresh() {
    if (!refreshTimer_.isActive()) {
        refreshTimer_.start();
    }
}

void ServiceConnection::loadFleet(bool initial) {
    if (client_ == nullptr) {
        return;
    }
    if (refreshing_ && !initial) {
        refreshAgain_ = true;
        return;
    }
    refreshing_ = true;
    const quint64 generation = generation_;
    const bool clusters = initial || clustersStale_;
    clustersStale_ = false;
    // Only what was fetched replaces the copy: the 5,000 clusters are not copied again on
    // the UI thread after each event.
    struct Pending {
        int left = 0;
        std::optional<ApiError> error;
        std::vector<client::Appliance> appliances;
        std::optional<std::vector<client::Cluster>> clusters;
        std::vector<client::Node> nodes;
    };
    auto pending = std::make_shared<Pending>();
    pending->left = clusters ? 3 : 2;
    auto done = [this, generation, initial, pending] {
        if (!current(generation) || --pending->left > 0) {
            return;
        }
        refreshing_ = false;
        if (pending->error) {
            clustersStale_ = true;
            lost(*pending->error);
            return;
        }
        fleet_.appliances.swap(pending->appliances);
        if (pending->clusters) {
            fleet_.clusters.swap(*pending->clusters);
        }
        fleet_.nodes.swap(pending->nodes);
        dataAsOf_ = QDateTime::currentDateTime();
        emit fleetChanged();
        if (initial) {
            step_ = 2;
            emit stateChanged();
            findNewestEvent(0, 1024, true);
        } else if (refreshAgain_) {
            refreshAgain_ = false;
            scheduleRefresh();
        }
    };
    auto fail = [pending](const ApiError& error) {
        if (!pending->error) {
            pending->error = error;
        }
    };
    fetch<std::vector<client::Appliance>>(
        client::api::appliances(),
        [pending, done, fail](ApiResult<std::vector<client::Appliance>> answer) {
            answer ? void(pending->appliances = std::move(answer.value())) : fail(answer.error());
            done();
        });
    if (clusters) {
        fetch<std::vector<client::Cluster>>(
            client::api::clusters(),
            [pending, done, fail](ApiResult<std::vector<client::Cluster>> answer) {
                answer ? void(pending->clusters = std::move(answer.value())) : fail(answer.error());
                done();
            });
    }
    fetch<std::vector<client::Node>>(
        client::api::nodes(), [pending, done, fail](ApiResult<std::vector<client::Node>> answer) {
            answer ? void(pending->nodes = std::move(answer.value())) : fail(answer.error());
            done();
        });
    // The target comes with the sizing; it is not needed to show the fleet, so it does not
    // hold the connection up, and a failure only leaves the target unknown.
    if (initial || !fleet_.sized) {
        fetch<client::Sizing>(client::api::sizing(),
                              [this, generation](ApiResult<client::Sizing> answer) {
                                  if (!current(generation) || !answer) {
                                      return;
                                  }
                                  fleet_.target_risk = answer->target_risk;
                                  fleet_.sized = true;
                                  emit fleetChanged();
                              });
    }
}

// The log is read oldest first, so the newest id is found by doubling, then halving, `since`
// with one-event pages (about 40 small requests for a million events).
void ServiceConnection::findNewestEvent(qint64 low, qint64 high, bool growing) {
    const quint64 generation = generation_;
    const qint64 probe = growing ? high : low + (high - low) / 2;
    if (!growing && high - low <= 1) {
        loadRecentEvents(std::max<qint64>(0, high - kInitialEvents));
        return;
    }
    client::EventQuery query;
    query.since = probe;
    query.limit = 1;
    client_->call<client::EventPage>(
        client::api::events(query), this,
        [this, generation, low, high, growing, probe](ApiResult<client::EventPage> page) {
            if (!current(generation)) {
                return;
            }
            if (!page) {
                lost(page.error());
                return;
            }
            const bool newer = !page->events.empty();
            if (growing) {
                newer ? findNewestEvent(probe, probe * 2, true) : findNewestEvent(low, high, false);
            } else {
                newer ? findNewestEvent(probe, high, false) : findNewestEvent(low, probe, false);
            }
        });
}

void ServiceConnection::loadRecentEvents(qint64 since) {
    const quint64 generation = generation_;
    step_ = 3;
    emit stateChanged();
    client::EventQuery query;
    query.since = std::max(since, lastEventId_);
    query.limit = kEventPage;
    fetch<client::EventPage>(client::api::events(query),
                             [this, generation](ApiResult<client::EventPage> page) {
                                 if (!current(generation)) {
                                     return;
                                 }
                                 if (!page) {
                                     lost(page.error());
                                     return;
                                 }
                                 appendEvents(page->events);
                                 if (static_cast<int>(page->events.size()) == kEventPage) {
                                     loadRecentEvents(page->next);
                                     return;
                                 }
                                 startFollowing();
                             });
}

void ServiceConnection::startFollowing() {
    step_ = kConnectSteps;
    backoffSeconds_ = 0;
    lastError_.clear();
    qCInfo(lcConnection) << "connected; following events after" << lastEventId_;
    setState(ConnectionState::connected);
    follow(generation_);
}

void ServiceConnection::follow(quint64 generation) {
    if (!current(generation) || client_ == nullptr) {
        return;
    }
    client::EventQuery query;
    query.since = lastEventId_;
    query.limit = kEventPage;
    query.wait_s = kFollowWaitSeconds;
    client::ApiCall<client::EventPage> call = client::api::events(query);
    call.request.timeout = client_->options().timeout + std::chrono::seconds(kFollowWaitSeconds);
    fetch<client::EventPage>(call, [this, generation](ApiResult<client::EventPage> page) {
        if (!current(generation)) {
            return;
        }
        if (!page) {
            lost(page.error());
            return;
        }
        if (page->truncated && !page->events.empty() &&
            page->events.front().id > lastEventId_ + 1) {
            qCInfo(lcConnection) << "events before" << page->events.front().id
                                 << "were removed by retention before the console read them";
        }
        dataAsOf_ = QDateTime::currentDateTime();
        appendEvents(page->events);
        if (std::any_of(page->events.begin(), page->events.end(),
                        [](const client::Event& event) { return changesClusters(event.kind); })) {
            fleet_.sized = false;
            clustersStale_ = true;
        }
        if (!page->events.empty()) {
            scheduleRefresh();
        }
        follow(generation);
    });
}

void ServiceConnection::appendEvents(const std::vector<client::Event>& events) {
    if (events.empty()) {
        return;
    }
    int added = 0;
    for (const client::Event& event : events) {
        if (event.id > lastEventId_) {
            events_.push_back(event);
            lastEventId_ = event.id;
            ++added;
        }
    }
    int dropped = 0;
    while (static_cast<int>(events_.size()) > kKeptEvents) {
        events_.pop_front();
        ++dropped;
    }
    if (added > 0) {
        emit eventsAppended(added, dropped);
    }
}

void ServiceConnection::lost(const ApiError& error) {
    ++generation_;
    refreshTimer_.stop();
    refreshing_ = false;
    refreshAgain_ = false;
    lastError_ = error.summary();
    qCWarning(lcConnection).noquote() << "lost the service:" << lastError_;
    if (refusedForGood(error)) {
        lastError_ = refusalText(error, url_.toDisplayString(QUrl::RemoveUserInfo));
        refusedStatus_ = error.status;
        setState(ConnectionState::failed);
        return;
    }
    backoffSeconds_ = backoffSeconds_ == 0 ? 1 : std::min(kMaxBackoffSeconds, backoffSeconds_ * 2);
    reconnectTimer_.start(backoffSeconds_ * 1000);
    setState(ConnectionState::reconnecting);
}

}  // namespace understudy::gui

// The client side of the API (docs/http-api.md): the one place that knows the wire format for
// understudyctl, the agents, the fleet simulator and the console.
//
// Use it asynchronously from an event loop (the console: send()/call() with a callback), or
// synchronously from command-line tools (sendSync()/callSync() run a local QEventLoop until
// the answer or the timeout; never call them from a GUI's event handlers).
//
// Decisions where the contract is silent:
// - Only GETs are retried, and only on 503 with Retry-After (or 1 s without it), at most
//   `max_retries` times and only while the retry fits in the request's timeout: a POST that
//   got a 503 may have been refused before or after doing something, so the caller decides.
// - A request's timeout covers the whole exchange (connect, send, wait, read), including
//   retries; the long-poll of GET /events adds its `wait` on top of it.
// - With `retry_unreachable` (the command-line tools and agents), a service that refuses the
//   connection or whose host cannot be found is asked again every `unreachable_pause` until the
//   request's timeout: the service may be moving to another appliance. Nothing reached a
//   service then, so this is safe for every method.
// - TLS: the system's CAs plus `ca_file` (PEM, may hold several); `insecure` turns off peer
//   verification for self-signed test set-ups and is never the default.
#pragma once

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QString>
#include <QUrl>
#include <QUrlQuery>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "appliance/client/api_error.h"
#include "appliance/client/api_json.h"
#include "appliance/client/api_types.h"
#include "base/power_action.h"

class QNetworkReply;

namespace understudy::client {

inline constexpr char kDefaultUrl[] = "http://127.0.0.1:8470";

struct ClientOptions {
    QUrl base_url{QString::fromLatin1(kDefaultUrl)};  // the service, without /api/v1
    QByteArray token;                                 // empty: no Authorization header
    std::chrono::milliseconds timeout{30000};
    QString ca_file;
    bool insecure = false;
    int max_retries = 3;
    bool retry_unreachable = false;
    std::chrono::milliseconds unreachable_pause{500};
};

struct ApiRequest {
    QByteArray method = "GET";
    QString path;  // under /api/v1: "/nodes"
    QUrlQuery query;
    QByteArray body;                                   // JSON; empty: no body
    std::optional<std::chrono::milliseconds> timeout;  // instead of the client's

    static ApiRequest get(QString path);
    static ApiRequest withJson(QByteArray method, QString path, const QJsonObject& body);
};

struct ApiResponse {
    int status = 0;
    QByteArray body;
    QByteArray content_type;
};

// One endpoint: the request and how to read its answer.
template <typename T>
struct ApiCall {
    ApiRequest request;
    std::function<ApiResult<T>(const ApiResponse&)> decode;
};

struct EventQuery {
    qint64 since = 0;
    int limit = 0;   // 0: the service's default
    int wait_s = 0;  // long-poll: hold the request up to this many seconds (at most 60)
    QString cluster;
    QString node;
    QString kind;  // a prefix: "takeover" matches all takeover kinds
};

struct WhatIfRequest {
    QStringList fail;
    QJsonArray add;  // cluster objects
    QStringList remove;
    QJsonObject capacity;  // {"APPLIANCE": {"memory_mib", "vcpus"}}
};

// The endpoints of docs/http-api.md, one function each.
namespace api {
ApiCall<Health> health(bool full_check = false);
ApiCall<std::vector<Appliance>> appliances();
ApiCall<Appliance> appliance(const QString& name);
// The appliance's samples at or after `since` (invalid: the newest), oldest first, at most
// `limit` (0: the service's default).
ApiCall<ApplianceHistory> applianceHistory(const QString& name, const QDateTime& since = {},
                                           int limit = 0);
// Declares the appliance known to be off ({"confirmed_down": true}): its standby nodes are
// evacuated to the others. The service refuses (409) while it can still reach it.
ApiCall<ApplianceLoss> declareLost(const QString& name);
// Returns a lost appliance that is reachable again to the pool, after its stale copies of
// evacuated nodes are removed.
ApiCall<Appliance> rejoin(const QString& name);
ApiCall<std::vector<Group>> groups();
ApiCall<Group> group(const QString& name);
ApiCall<Group> createGroup(const QJsonObject& group);
ApiCall<Group> changeGroup(const QString& name, const QJsonObject& changes);
ApiCall<Empty> removeGroup(const QString& name);
ApiCall<std::vector<Cluster>> clusters();
ApiCall<Cluster> cluster(const QString& name);
// One cluster object, or {"clusters": [...], "groups": [...]}.
ApiCall<Registration> registerClusters(const QJsonObject& body);
ApiCall<Cluster> changeCluster(const QString& name, const QJsonObject& changes);
ApiCall<Empty> removeCluster(const QString& name);
ApiCall<QString> rotateToken(const QString& cluster);
ApiCall<ClusterStats> clusterStats(const QString& cluster);
ApiCall<std::vector<Node>> nodes();
ApiCall<Node> node(const QString& name);
ApiCall<Readiness> readiness(const QString& node);
// Blocks on the service's side until granted: `timeout` bounds the wait (--wait S).
ApiCall<TakeoverGrant> takeover(const QString& node,
                                std::optional<std::chrono::milliseconds> timeout = {});
ApiCall<QString> release(const QString& node,
                         std::optional<std::chrono::milliseconds> timeout = {});
ApiCall<PowerState> power(const QString& node, PowerAction action);
ApiCall<EventPage> events(const EventQuery& query);
ApiCall<Sizing> sizing();
ApiCall<WhatIfAnswer> whatIf(const WhatIfRequest& request);
}  // namespace api

class ApiClient : public QObject {
    Q_OBJECT

public:
    explicit ApiClient(ClientOptions options, QObject* parent = nullptr);
    ~ApiClient() override;

    const ClientOptions& options() const { return options_; }
    // Set when the options cannot work (an unreadable CA file); every request then fails
    // with it, so callers may check once up front.
    const std::optional<ApiError>& configurationError() const { return configuration_error_; }

    using ResponseCallback = std::function<void(ApiResult<ApiResponse>)>;

    // A 2xx answer is a value; any other status is an ApiError decoded from the body. The
    // callback runs on this object's thread, and not at all if `context` is gone by then.
    void send(const ApiRequest& request, QObject* context, ResponseCallback done);
    ApiResult<ApiResponse> sendSync(const ApiRequest& request);

    template <typename T>
    void call(const ApiCall<T>& api_call, QObject* context,
              std::function<void(ApiResult<T>)> done) {
        send(api_call.request, context,
             [decode = api_call.decode, done = std::move(done)](ApiResult<ApiResponse> answer) {
                 done(answer ? decode(*answer) : ApiResult<T>(answer.error()));
             });
    }
    template <typename T>
    ApiResult<T> callSync(const ApiCall<T>& api_call) {
        auto answer = sendSync(api_call.request);
        return answer ? api_call.decode(*answer) : ApiResult<T>(answer.error());
    }

    // GET /backup streamed into `file` (written beside it and renamed when complete, so a
    // failed download leaves no partial database behind); the value is the bytes written.
    void downloadBackup(const QString& file, QObject* context,
                        std::function<void(ApiResult<qint64>)> done);
    ApiResult<qint64> downloadBackupSync(const QString& file);

private:
    struct Exchange;
    void begin(const std::shared_ptr<Exchange>& exchange);
    void start(const std::shared_ptr<Exchange>& exchange);
    void finish(const std::shared_ptr<Exchange>& exchange, QNetworkReply* reply);
    void failLater(const std::shared_ptr<Exchange>& exchange, const ApiError& error);
    static void deliver(const std::shared_ptr<Exchange>& exchange, ApiResult<ApiResponse> result);
    QNetworkRequest networkRequest(const ApiRequest& request) const;

    ClientOptions options_;
    QNetworkAccessManager* manager_;
    QSslConfiguration ssl_;
    std::optional<ApiError> configuration_error_;
};

// Follows the event log by long-polling GET /events: each answer's `next` is the following
// request's `since`. Transport failures and 5xx are reported and retried after `retry_delay`;
// other errors (401, 403, 404, 400) are reported and stop it.
class EventFollower : public QObject {
    Q_OBJECT

public:
    EventFollower(ApiClient* client, EventQuery query, QObject* parent = nullptr);

    std::function<void(const EventPage&)> on_events;
    std::function<void(const ApiError&)> on_error;
    std::chrono::milliseconds retry_delay{2000};

    void start();
    void stop();
    bool isRunning() const { return running_; }
    qint64 next() const { return query_.since; }

private:
    void poll();

    QPointer<ApiClient> client_;
    EventQuery query_;
    bool running_ = false;
    quint64 generation_ = 0;  // answers of a poll from before stop() are dropped
};

}  // namespace understudy::client

// The HTTP API of understudyd (docs/http-api.md): every endpoint under /api/v1 and /metrics as thin
// handlers over the appliance core, with authentication, validation of every body field, JSON of
// the shapes and the error table of docs/http-api.md. Lives on the HTTP server's thread; operations
// that touch libvirt run on the core's workers and answer through deferred responders.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include "appliance/api/auth_failure_limiter.h"
#include "appliance/api/database_token_store.h"
#include "appliance/api/metrics.h"
#include "appliance/api/token_auth.h"

#include "appliance/core/appliance_core.h"
#include "appliance/http/http_server.h"
#include "db/database.h"
#include "db/event_log.h"

namespace understudy::api {

struct RouteInfo {
    QByteArray method;
    QString pattern;
    bool operator==(const RouteInfo&) const = default;
};

struct LastProbe {
    db::TimeMs time = 0;
    bool ok = false;
    std::string output;
};

class ApiService : public QObject {
    Q_OBJECT

public:
    struct Options {
        std::string admin_token;
        std::string version;
        // Longest wait a GET /events may ask for (docs/http-api.md, "Limits": 60 s).
        int max_wait_s = 60;
        // How often each appliance's headroom is sampled for its history, besides every change
        // ([service] history_interval_s in understudyd.conf(5)).
        std::chrono::milliseconds history_interval{std::chrono::seconds(60)};
    };

    // Registers every route on `server` (before it listens). `core` and `server` must outlive
    // the service.
    ApiService(core::ApplianceCore& core, http::HttpServer& server, Options options,
               QObject* parent = nullptr);
    ~ApiService() override;

    // Opens the service's own database reader (events, statistics, tokens, backup).
    Status open();

    // The routes registered on the server, in order.
    const std::vector<RouteInfo>& routes() const { return routes_; }

    // A probe's latest result, for GET /clusters/{name}/stats when the database has none.
    void setLastProbe(const std::string& cluster, LastProbe probe);

    // Shutdown: answers every waiting long-poll with what it has (nothing newer), and from then
    // on answers new long-polls at once.
    void stopWaiting();
    // Core operations answered to no client yet.
    int inFlight() const { return in_flight_; }

signals:
    // inFlight() dropped to 0.
    void idle();

private:
    struct Waiter {
        db::EventQuery query;
        http::Responder responder;
        std::unique_ptr<QTimer> timer;
    };

    void add(const char* method, const QString& pattern, http::HttpServer::Handler handler);
    void addDeferred(const char* method, const QString& pattern,
                     http::HttpServer::DeferredHandler handler);
    void registerRoutes();

    // Who the request acts as; a token that matches nobody counts against its address.
    Caller identify(const http::HttpRequest& request);
    // Who an admitted request acts for, as the events it causes record it: the token's owner
    // (never the token) and the client's address.
    core::Actor actorOf(const http::HttpRequest& request);
    // 429 `too_many_failures` while the request's address is refused.
    std::optional<http::HttpResponse> refuseBlocked(const http::HttpRequest& request);
    // An answer to send instead when the caller is not the admin; nothing when it is.
    std::optional<http::HttpResponse> requireAdmin(const http::HttpRequest& request);
    // The same for a cluster's own resources: the admin or that cluster's token.
    std::optional<http::HttpResponse> requireCluster(const http::HttpRequest& request,
                                                     const std::string& cluster);
    // For a node: the admin, or the token of the node's cluster (403 for any other node,
    // existing or not, so a cluster token learns nothing about others).
    std::optional<http::HttpResponse> requireNode(const http::HttpRequest& request,
                                                  const std::string& node);

    // The preamble of the handlers (handler_preamble.h): a body decoded by `decode`, for anyone
    // the route already admitted or for the admin only; then the answer once the core is done.
    template <typename Decode>
    auto decodeBody(const http::HttpRequest& request, Decode decode);
    template <typename Decode>
    auto adminBody(const http::HttpRequest& request, Decode decode);
    template <typename T, typename Answer>
    void whenDone(QFuture<T> future, const http::Responder& responder, Answer answer);

    void onEventsAppended();
    void answerWaiter(std::uint64_t id);
    // Samples every appliance now and every history interval, and after each change.
    void startHistory();
    // Records each appliance's headroom; a sample after a change only when it differs from the
    // appliance's last one, a periodic one always (a chart's flat line still has its points).
    void sampleHeadroom(bool periodic);

    // Handlers.
    http::HttpResponse health(const http::HttpRequest& request);
    http::HttpResponse appliances(const http::HttpRequest& request);
    http::HttpResponse appliance(const http::HttpRequest& request);
    http::HttpResponse history(const http::HttpRequest& request);
    void declareLost(const http::HttpRequest& request, const http::Responder& responder);
    void rejoin(const http::HttpRequest& request, const http::Responder& responder);
    http::HttpResponse groups(const http::HttpRequest& request);
    http::HttpResponse group(const http::HttpRequest& request);
    void createGroup(const http::HttpRequest& request, const http::Responder& responder);
    void changeGroup(const http::HttpRequest& request, const http::Responder& responder);
    void removeGroup(const http::HttpRequest& request, const http::Responder& responder);
    http::HttpResponse clusters(const http::HttpRequest& request);
    http::HttpResponse cluster(const http::HttpRequest& request);
    void registerClusters(const http::HttpRequest& request, const http::Responder& responder);
    void changeCluster(const http::HttpRequest& request, const http::Responder& responder);
    void removeCluster(const http::HttpRequest& request, const http::Responder& responder);
    void rotateToken(const http::HttpRequest& request, const http::Responder& responder);
    http::HttpResponse clusterStats(const http::HttpRequest& request);
    http::HttpResponse nodes(const http::HttpRequest& request);
    http::HttpResponse node(const http::HttpRequest& request);
    http::HttpResponse readiness(const http::HttpRequest& request);
    void takeover(const http::HttpRequest& request, const http::Responder& responder);
    void release(const http::HttpRequest& request, const http::Responder& responder);
    void power(const http::HttpRequest& request, const http::Responder& responder);
    void events(const http::HttpRequest& request, const http::Responder& responder);
    http::HttpResponse sizing(const http::HttpRequest& request);
    http::HttpResponse whatIf(const http::HttpRequest& request);
    // Streamed from a temporary copy (SQLite's backup API, on a pool thread), never held whole.
    void backup(const http::HttpRequest& request, const http::Responder& responder);
    http::HttpResponse openApi(const http::HttpRequest& request);
    http::HttpResponse metrics(const http::HttpRequest& request);

    // The appliances' views, recomputed only when the event log has grown: every change to
    // inventory, grants, hypervisor connection or reconciliation appends an event, and the live
    // overflow risk (the exact engine over the appliance's fleet) is too costly per request.
    Result<std::vector<core::ApplianceStatus>> applianceViews();

    std::vector<std::string> applianceNames() const;
    Result<core::WhatIfRequest> decodeWhatIf(const nlohmann::json& document) const;
    std::optional<core::ClusterStatus> findCluster(const std::string& name,
                                                   Error* error = nullptr) const;

    core::ApplianceCore& core_;
    http::HttpServer& server_;
    Options options_;
    DatabaseTokenStore token_store_;
    TokenAuthority auth_;
    AuthFailureLimiter auth_failures_;
    std::unique_ptr<db::Database> reader_;
    std::vector<RouteInfo> routes_;
    std::map<std::uint64_t, Waiter> waiters_;
    std::uint64_t next_waiter_ = 1;
    bool stop_waiting_ = false;
    int in_flight_ = 0;
    LatencyHistogram takeover_latency_;
    EventCounts event_counts_;
    std::map<std::string, LastProbe> last_probes_;
    std::optional<std::vector<core::ApplianceStatus>> appliance_cache_;
    db::Id appliance_cache_event_ = -1;
    QTimer history_timer_;
    QTimer change_settle_;
    std::map<std::string, db::DBHeadroomSample> last_samples_;
};

}  // namespace understudy::api

#include "appliance/client/api_client.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QNetworkReply>
#include <QSaveFile>
#include <QSslCertificate>
#include <QTimer>

namespace understudy::client {

Q_LOGGING_CATEGORY(lcClient, "understudy.client", QtWarningMsg)

namespace {

QString segment(const QString& name) {
    return QString::fromLatin1(QUrl::toPercentEncoding(name));
}

template <typename T>
ApiCall<T> decoded(ApiRequest request) {
    return {std::move(request),
            [](const ApiResponse& answer) { return decodeBody<T>(answer.body); }};
}

template <typename T>
ApiCall<std::vector<T>> decodedList(ApiRequest request, const char* collection) {
    return {std::move(request), [collection](const ApiResponse& answer) {
                return decodeListBody<T>(answer.body, QString::fromLatin1(collection));
            }};
}

// An answer with one string field we need ({"token"}, {"node"}).
ApiCall<QString> decodedText(ApiRequest request, const char* field) {
    return {std::move(request), [field](const ApiResponse& answer) -> ApiResult<QString> {
                auto value = parseBody(answer.body);
                if (!value) {
                    return value.error();
                }
                const QJsonValue text = value->toObject().value(QLatin1String(field));
                if (!text.isString()) {
                    return ApiError::client(
                        kBadResponse,
                        QStringLiteral("the service's answer has an unexpected shape: \"%1\" is "
                                       "missing or not a string; check that the client and the "
                                       "service are of compatible versions")
                            .arg(QLatin1String(field)));
                }
                return text.toString();
            }};
}

// Failures where the request cannot have reached a service: it is safe to send it again.
bool nothingReachedAService(QNetworkReply::NetworkError code) {
    return code == QNetworkReply::ConnectionRefusedError ||
           code == QNetworkReply::HostNotFoundError ||
           code == QNetworkReply::TemporaryNetworkFailureError ||
           code == QNetworkReply::NetworkSessionFailedError;
}

QString seconds(std::chrono::milliseconds duration) {
    return QString::number(static_cast<double>(duration.count()) / 1000.0, 'g', 4);
}

}  // namespace

ApiRequest ApiRequest::get(QString path) {
    ApiRequest request;
    request.path = std::move(path);
    return request;
}

ApiRequest ApiRequest::withJson(QByteArray method, QString path, const QJsonObject& body) {
    ApiRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    return request;
}

// --- endpoints -------------------------------------------------------------------------------

namespace api {

ApiCall<Health> health(bool full_check) {
    ApiRequest request = ApiRequest::get(QStringLiteral("/health"));
    if (full_check) {
        request.query.addQueryItem(QStringLiteral("check"), QStringLiteral("full"));
    }
    return decoded<Health>(std::move(request));
}

ApiCall<std::vector<Appliance>> appliances() {
    return decodedList<Appliance>(ApiRequest::get(QStringLiteral("/appliances")), "appliances");
}

ApiCall<Appliance> appliance(const QString& name) {
    return decoded<Appliance>(ApiRequest::get(QStringLiteral("/appliances/") + segment(name)));
}

ApiCall<ApplianceLoss> declareLost(const QString& name) {
    QJsonObject body;
    body.insert(QStringLiteral("confirmed_down"), true);
    return decoded<ApplianceLoss>(ApiRequest::withJson(
        "POST", QStringLiteral("/appliances/%1/lost").arg(segment(name)), body));
}

ApiCall<ApplianceHistory> applianceHistory(const QString& name, const QDateTime& since, int limit) {
    ApiRequest request = ApiRequest::get(QStringLiteral("/appliances/") + segment(name) +
                                         QStringLiteral("/history"));
    if (since.isValid()) {
        request.query.addQueryItem(QStringLiteral("since"),
                                   since.toUTC().toString(Qt::ISODateWithMs));
    }
    if (limit > 0) {
        request.query.addQueryItem(QStringLiteral("limit"), QString::number(limit));
    }
    return decoded<ApplianceHistory>(std::move(request));
}

ApiCall<Appliance> rejoin(const QString& name) {
    ApiRequest request =
        ApiRequest::get(QStringLiteral("/appliances/%1/rejoin").arg(segment(name)));
    request.method = "POST";
    return decoded<Appliance>(std::move(request));
}

ApiCall<std::vector<Group>> groups() {
    return decodedList<Group>(ApiRequest::get(QStringLiteral("/groups")), "groups");
}

ApiCall<Group> group(const QString& name) {
    return decoded<Group>(ApiRequest::get(QStringLiteral("/groups/") + segment(name)));
}

ApiCall<Group> createGroup(const QJsonObject& group) {
    return decoded<Group>(ApiRequest::withJson("POST", QStringLiteral("/groups"), group));
}

ApiCall<Group> changeGroup(const QString& name, const QJsonObject& changes) {
    return decoded<Group>(
        ApiRequest::withJson("PATCH", QStringLiteral("/groups/") + segment(name), changes));
}

ApiCall<Empty> removeGroup(const QString& name) {
    ApiRequest request = ApiRequest::get(QStringLiteral("/groups/") + segment(name));
    request.method = "DELETE";
    return decoded<Empty>(std::move(request));
}

ApiCall<std::vector<Cluster>> clusters() {
    return decodedList<Cluster>(ApiRequest::get(QStringLiteral("/clusters")), "clusters");
}

ApiCall<Cluster> cluster(const QString& name) {
    return decoded<Cluster>(ApiRequest::get(QStringLiteral("/clusters/") + segment(name)));
}

ApiCall<Registration> registerClusters(const QJsonObject& body) {
    return decoded<Registration>(ApiRequest::withJson("POST", QStringLiteral("/clusters"), body));
}

ApiCall<Cluster> changeCluster(const QString& name, const QJsonObject& changes) {
    return decoded<Cluster>(
        ApiRequest::withJson("PATCH", QStringLiteral("/clusters/") + segment(name), changes));
}

ApiCall<Empty> removeCluster(const QString& name) {
    ApiRequest request = ApiRequest::get(QStringLiteral("/clusters/") + segment(name));
    request.method = "DELETE";
    return decoded<Empty>(std::move(request));
}

ApiCall<QString> rotateToken(const QString& cluster) {
    ApiRequest request =
        ApiRequest::get(QStringLiteral("/clusters/%1/token").arg(segment(cluster)));
    request.method = "POST";
    return decodedText(std::move(request), "token");
}

ApiCall<ClusterStats> clusterStats(const QString& cluster) {
    return decoded<ClusterStats>(
        ApiRequest::get(QStringLiteral("/clusters/%1/stats").arg(segment(cluster))));
}

ApiCall<std::vector<Node>> nodes() {
    return decodedList<Node>(ApiRequest::get(QStringLiteral("/nodes")), "nodes");
}

ApiCall<Node> node(const QString& name) {
    return decoded<Node>(ApiRequest::get(QStringLiteral("/nodes/") + segment(name)));
}

ApiCall<Readiness> readiness(const QString& node) {
    return decoded<Readiness>(
        ApiRequest::get(QStringLiteral("/nodes/%1/readiness").arg(segment(node))));
}

ApiCall<TakeoverGrant> takeover(const QString& node,
                                std::optional<std::chrono::milliseconds> timeout) {
    ApiRequest request = ApiRequest::get(QStringLiteral("/nodes/%1/takeover").arg(segment(node)));
    request.method = "POST";
    request.timeout = timeout;
    return decoded<TakeoverGrant>(std::move(request));
}

ApiCall<QString> release(const QString& node, std::optional<std::chrono::milliseconds> timeout) {
    ApiRequest request = ApiRequest::get(QStringLiteral("/nodes/%1/release").arg(segment(node)));
    request.method = "POST";
    request.timeout = timeout;
    return decodedText(std::move(request), "node");
}

ApiCall<PowerState> power(const QString& node, PowerAction action) {
    QJsonObject body;
    body.insert(QStringLiteral("action"), QString::fromLatin1(powerActionName(action)));
    return decoded<PowerState>(
        ApiRequest::withJson("POST", QStringLiteral("/nodes/%1/power").arg(segment(node)), body));
}

ApiCall<EventPage> events(const EventQuery& query) {
    ApiRequest request = ApiRequest::get(QStringLiteral("/events"));
    request.query.addQueryItem(QStringLiteral("since"), QString::number(query.since));
    if (query.limit > 0) {
        request.query.addQueryItem(QStringLiteral("limit"), QString::number(query.limit));
    }
    if (query.wait_s > 0) {
        request.query.addQueryItem(QStringLiteral("wait"), QString::number(query.wait_s));
    }
    const std::pair<const char*, const QString*> filters[] = {
        {"cluster", &query.cluster}, {"node", &query.node}, {"kind", &query.kind}};
    for (const auto& [name, value] : filters) {
        if (!value->isEmpty()) {
            request.query.addQueryItem(QString::fromLatin1(name), *value);
        }
    }
    return decoded<EventPage>(std::move(request));
}

ApiCall<Sizing> sizing() {
    return decoded<Sizing>(ApiRequest::get(QStringLiteral("/sizing")));
}

ApiCall<WhatIfAnswer> whatIf(const WhatIfRequest& what_if) {
    QJsonObject body;
    body.insert(QStringLiteral("fail"), QJsonArray::fromStringList(what_if.fail));
    body.insert(QStringLiteral("add"), what_if.add);
    body.insert(QStringLiteral("remove"), QJsonArray::fromStringList(what_if.remove));
    if (!what_if.capacity.isEmpty()) {
        body.insert(QStringLiteral("capacity"), what_if.capacity);
    }
    return decoded<WhatIfAnswer>(
        ApiRequest::withJson("POST", QStringLiteral("/sizing/what-if"), body));
}

}  // namespace api

// --- transport -------------------------------------------------------------------------------

struct ApiClient::Exchange {
    ApiRequest request;
    QPointer<QObject> context;
    bool has_context = false;
    ResponseCallback done;
    QDeadlineTimer deadline;
    std::chrono::milliseconds timeout{0};
    int attempts = 0;
    bool timed_out = false;
    // Set for downloads: a 200 answer's body goes here instead of memory.
    std::unique_ptr<QSaveFile> sink;
    qint64 written = 0;
    bool sink_failed = false;
};

ApiClient::ApiClient(ClientOptions options, QObject* parent)
    : QObject(parent),
      options_(std::move(options)),
      manager_(new QNetworkAccessManager(this)),
      ssl_(QSslConfiguration::defaultConfiguration()) {
    if (!options_.ca_file.isEmpty()) {
        const QList<QSslCertificate> certificates =
            QSslCertificate::fromPath(options_.ca_file, QSsl::Pem);
        if (certificates.isEmpty()) {
            configuration_error_ = ApiError::client(
                kLocalFailure,
                QStringLiteral("cannot read a PEM certificate from the CA file %1; check the path "
                               "and that it holds the service's CA certificate")
                    .arg(options_.ca_file));
        }
        ssl_.addCaCertificates(certificates);
    }
    if (options_.insecure) {
        ssl_.setPeerVerifyMode(QSslSocket::VerifyNone);
    }
    manager_->setAutoDeleteReplies(false);
}

ApiClient::~ApiClient() = default;

QNetworkRequest ApiClient::networkRequest(const ApiRequest& request) const {
    QUrl url = options_.base_url;
    QString base_path = url.path();
    while (base_path.endsWith(QLatin1Char('/'))) {
        base_path.chop(1);
    }
    url.setPath(base_path + QStringLiteral("/api/v1") + request.path);
    if (!request.query.isEmpty()) {
        url.setQuery(request.query);
    }
    QNetworkRequest network_request(url);
    network_request.setRawHeader("Accept", "application/json");
    if (!request.body.isEmpty()) {
        network_request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    }
    if (!options_.token.isEmpty()) {
        network_request.setRawHeader("Authorization", "Bearer " + options_.token);
    }
    network_request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    network_request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                                 QNetworkRequest::ManualRedirectPolicy);
    if (url.scheme() == QLatin1String("https")) {
        network_request.setSslConfiguration(ssl_);
    }
    return network_request;
}

void ApiClient::send(const ApiRequest& request, QObject* context, ResponseCallback done) {
    auto exchange = std::make_shared<Exchange>();
    exchange->request = request;
    exchange->context = context;
    exchange->has_context = context != nullptr;
    exchange->done = std::move(done);
    begin(exchange);
}

void ApiClient::begin(const std::shared_ptr<Exchange>& exchange) {
    if (configuration_error_) {
        failLater(exchange, *configuration_error_);
        return;
    }
    const QUrl& url = options_.base_url;
    if (!url.isValid() || url.host().isEmpty() ||
        (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))) {
        failLater(exchange,
                  ApiError::client(kInvalidRequest,
                                   QStringLiteral("the service URL \"%1\" is not an http:// or "
                                                  "https:// URL with a host; give one like %2")
                                       .arg(url.toString(), QLatin1String(kDefaultUrl))));
        return;
    }
    exchange->timeout = exchange->request.timeout.value_or(options_.timeout);
    exchange->deadline = QDeadlineTimer(exchange->timeout);
    start(exchange);
}

void ApiClient::start(const std::shared_ptr<Exchange>& exchange) {
    ++exchange->attempts;
    const QNetworkRequest network_request = networkRequest(exchange->request);
    qCDebug(lcClient) << exchange->request.method << network_request.url().path() << "attempt"
                      << exchange->attempts;
    QNetworkReply* reply = manager_->sendCustomRequest(network_request, exchange->request.method,
                                                       exchange->request.body);
    const qint64 remaining = exchange->deadline.remainingTime();
    QTimer::singleShot(std::chrono::milliseconds(std::max<qint64>(remaining, 0)), reply,
                       [exchange, reply] {
                           exchange->timed_out = true;
                           reply->abort();
                       });
    if (exchange->sink) {
        connect(reply, &QNetworkReply::readyRead, reply, [exchange, reply] {
            if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 200) {
                return;
            }
            const QByteArray chunk = reply->readAll();
            if (exchange->sink->write(chunk) != chunk.size()) {
                exchange->sink_failed = true;
                reply->abort();
                return;
            }
            exchange->written += chunk.size();
        });
    }
    connect(reply, &QNetworkReply::finished, this, [this, exchange, reply] {
        reply->deleteLater();
        finish(exchange, reply);
    });
}

void ApiClient::finish(const std::shared_ptr<Exchange>& exchange, QNetworkReply* reply) {
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QString where = options_.base_url.toString();
    if (exchange->sink_failed) {
        deliver(exchange, ApiError::client(
                              kLocalFailure,
                              QStringLiteral("cannot write the backup to %1: %2; check the free "
                                             "space and the folder's permissions")
                                  .arg(exchange->sink->fileName(), exchange->sink->errorString())));
        return;
    }
    if (exchange->timed_out) {
        deliver(exchange,
                ApiError::client(kTimedOut,
                                 QStringLiteral("no answer from %1 within %2 s; check that the "
                                                "service runs and is not overloaded, or allow "
                                                "more time (--timeout)")
                                     .arg(where, seconds(exchange->timeout))));
        return;
    }
    if (status == 0) {
        const QNetworkReply::NetworkError code = reply->error();
        if (options_.retry_unreachable && nothingReachedAService(code) &&
            options_.unreachable_pause.count() < exchange->deadline.remainingTime()) {
            qCDebug(lcClient) << "unreachable, trying again in"
                              << options_.unreachable_pause.count() << "ms";
            QTimer::singleShot(options_.unreachable_pause, this,
                               [this, exchange] { start(exchange); });
            return;
        }
        const char* kind = kNetworkFailed;
        QString advice = QStringLiteral("check the network and that understudyd runs there");
        switch (code) {
            case QNetworkReply::ConnectionRefusedError:
            case QNetworkReply::HostNotFoundError:
            case QNetworkReply::TemporaryNetworkFailureError:
            case QNetworkReply::NetworkSessionFailedError:
                kind = kUnreachable;
                advice = QStringLiteral(
                    "check that understudyd runs and listens there (--url, UNDERSTUDY_URL, or "
                    "url in ~/.config/understudy/ctl.conf)");
                break;
            case QNetworkReply::SslHandshakeFailedError:
                kind = kTlsFailed;
                advice = QStringLiteral(
                    "check the service's certificate, or pass its CA certificate (--ca-file)");
                break;
            default:
                break;
        }
        deliver(exchange, ApiError::client(kind, QStringLiteral("cannot reach %1: %2; %3")
                                                     .arg(where, reply->errorString(), advice)));
        return;
    }
    const QByteArray body = exchange->sink && status == 200 ? QByteArray() : reply->readAll();
    const QByteArray retry_after = reply->rawHeader("Retry-After");
    if (status == 503 && exchange->request.method == "GET" &&
        exchange->attempts <= options_.max_retries) {
        bool valid = false;
        const int retry_s = retry_after.trimmed().toInt(&valid);
        const auto delay = std::chrono::milliseconds(valid && retry_s >= 0 ? retry_s * 1000 : 1000);
        if (delay.count() < exchange->deadline.remainingTime()) {
            qCDebug(lcClient) << "503, retrying in" << delay.count() << "ms";
            QTimer::singleShot(delay, this, [this, exchange] { start(exchange); });
            return;
        }
    }
    if (status < 200 || status >= 300) {
        deliver(exchange, ApiError::fromResponse(status, body, retry_after));
        return;
    }
    ApiResponse response;
    response.status = status;
    response.body = body;
    response.content_type = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    deliver(exchange, std::move(response));
}

void ApiClient::deliver(const std::shared_ptr<Exchange>& exchange, ApiResult<ApiResponse> result) {
    if (exchange->has_context && exchange->context.isNull()) {
        return;
    }
    // Moved out first: the callback may drop the last reference to the exchange.
    ResponseCallback done = std::move(exchange->done);
    if (done) {
        done(std::move(result));
    }
}

ApiResult<ApiResponse> ApiClient::sendSync(const ApiRequest& request) {
    QEventLoop loop;
    std::optional<ApiResult<ApiResponse>> result;
    send(request, &loop, [&](ApiResult<ApiResponse> answer) {
        result.emplace(std::move(answer));
        loop.quit();
    });
    if (!result) {
        loop.exec();
    }
    return std::move(*result);
}

void ApiClient::downloadBackup(const QString& file, QObject* context,
                               std::function<void(ApiResult<qint64>)> done) {
    auto exchange = std::make_shared<Exchange>();
    exchange->request = ApiRequest::get(QStringLiteral("/backup"));
    exchange->context = context;
    exchange->has_context = context != nullptr;
    exchange->sink = std::make_unique<QSaveFile>(file);
    if (!exchange->sink->open(QIODevice::WriteOnly)) {
        const ApiError error = ApiError::client(
            kLocalFailure, QStringLiteral("cannot create the backup file %1: %2; check the path "
                                          "and the folder's permissions")
                               .arg(file, exchange->sink->errorString()));
        exchange->done = [done = std::move(done)](const ApiResult<ApiResponse>& answer) {
            done(answer.error());
        };
        failLater(exchange, error);
        return;
    }
    Exchange* raw = exchange.get();
    exchange->done = [raw, done = std::move(done)](ApiResult<ApiResponse> answer) {
        if (!answer) {
            raw->sink->cancelWriting();
            done(answer.error());
            return;
        }
        if (!answer->content_type.startsWith("application/vnd.sqlite3")) {
            raw->sink->cancelWriting();
            done(ApiError::client(kBadResponse,
                                  QStringLiteral("the service answered the backup with \"%1\", not "
                                                 "application/vnd.sqlite3; nothing was written")
                                      .arg(QString::fromLatin1(answer->content_type))));
            return;
        }
        if (!raw->sink->commit()) {
            done(ApiError::client(kLocalFailure,
                                  QStringLiteral("cannot complete the backup file %1: %2; check "
                                                 "the free space and the folder's permissions")
                                      .arg(raw->sink->fileName(), raw->sink->errorString())));
            return;
        }
        done(raw->written);
    };
    begin(exchange);
}

void ApiClient::failLater(const std::shared_ptr<Exchange>& exchange, const ApiError& error) {
    // Callbacks never run before send() returns, whatever the failure.
    QTimer::singleShot(0, this, [exchange, error] { deliver(exchange, error); });
}

ApiResult<qint64> ApiClient::downloadBackupSync(const QString& file) {
    QEventLoop loop;
    std::optional<ApiResult<qint64>> result;
    downloadBackup(file, &loop, [&](ApiResult<qint64> answer) {
        result.emplace(std::move(answer));
        loop.quit();
    });
    if (!result) {
        loop.exec();
    }
    return std::move(*result);
}

// --- events ----------------------------------------------------------------------------------

EventFollower::EventFollower(ApiClient* client, EventQuery query, QObject* parent)
    : QObject(parent), client_(client), query_(std::move(query)) {
    if (query_.wait_s <= 0) {
        query_.wait_s = 30;
    }
}

void EventFollower::start() {
    if (running_) {
        return;
    }
    running_ = true;
    poll();
}

void EventFollower::stop() {
    running_ = false;
    ++generation_;
}

void EventFollower::poll() {
    if (!running_ || client_.isNull()) {
        return;
    }
    ApiCall<EventPage> call = api::events(query_);
    call.request.timeout = client_->options().timeout + std::chrono::seconds(query_.wait_s);
    const quint64 generation = generation_;
    client_->call<EventPage>(call, this, [this, generation](ApiResult<EventPage> page) {
        if (generation != generation_ || !running_) {
            return;
        }
        if (page) {
            query_.since = page->next;
            if (on_events && (!page->events.empty() || page->truncated)) {
                on_events(*page);
            }
            poll();
            return;
        }
        const ApiError& error = page.error();
        if (on_error) {
            on_error(error);
        }
        const bool transient = error.status == 0 || error.status >= 500;
        if (!transient) {
            running_ = false;
            return;
        }
        QTimer::singleShot(retry_delay, this, [this, generation] {
            if (generation == generation_) {
                poll();
            }
        });
    });
}

}  // namespace understudy::client

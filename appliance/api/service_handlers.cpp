// What the service says about itself: health, a backup of its database, the OpenAPI document
// and the Prometheus metrics.
#include "appliance/api/api_service.h"

#include <QFile>
#include <QFileInfo>
#include <QPromise>
#include <QTemporaryDir>
#include <QThreadPool>

#include "appliance/api/handler_preamble.h"
#include "appliance/api/openapi.h"

namespace understudy::api {

using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

HttpResponse ApiService::health(const HttpRequest& request) {
    const bool full = request.queryItem(QStringLiteral("check")) == QStringLiteral("full");
    if (request.hasQueryItem(QStringLiteral("check")) && !full) {
        return http::errors::invalidField(QStringLiteral("check"),
                                          QStringLiteral("check must be 'full' when given"));
    }
    if (full) {
        if (auto refused = requireAdmin(request)) {
            return *refused;
        }
    }
    auto appliances = applianceViews();
    if (!appliances) {
        return errorAnswer(appliances.error());
    }
    bool degraded = false;
    Json list = Json::array();
    for (const core::ApplianceStatus& status : *appliances) {
        Json one;
        one["name"] = status.name;
        one["connected"] = status.connected;
        one["state"] = core::applianceStateName(status.state);
        list.push_back(std::move(one));
        degraded = degraded || !status.connected;
    }
    Json made;
    made["status"] = "ok";
    made["version"] = options_.version;
    made["database"] = "ok";
    made["appliances"] = std::move(list);
    if (full) {
        auto check = reader_->quickCheck();
        if (!check) {
            return errorAnswer(check.error());
        }
        Json quick;
        quick["ok"] = check->ok;
        quick["problems"] = check->problems;
        made["quick_check"] = std::move(quick);
        if (!check->ok) {
            made["database"] = "damaged";
            degraded = true;
        }
    }
    if (degraded) {
        made["status"] = "degraded";
    }
    return jsonAnswer(200, made);
}

void ApiService::backup(const HttpRequest& request, const Responder& responder) {
    if (auto refused = requireAdmin(request)) {
        return responder.send(*refused);
    }
    // The copy goes beside the database (the service's own folder, on disk: /tmp may be a
    // tmpfs, i.e. memory), else into the temporary folder.
    const QString database = QString::fromStdString(core_.databasePath());
    auto folder = std::make_shared<QTemporaryDir>(QFileInfo(database).absolutePath() +
                                                  QStringLiteral("/.backup-XXXXXX"));
    if (!folder->isValid()) {
        folder = std::make_shared<QTemporaryDir>();
    }
    if (!folder->isValid()) {
        return responder.send(http::errors::internal(
            QStringLiteral("cannot create a temporary folder for the backup: ") +
            folder->errorString()));
    }
    const std::string path = folder->filePath(QStringLiteral("backup.db")).toStdString();
    // SQLite's backup of a large database takes a while: on a pool thread, through a reader of
    // its own, so the API's thread keeps serving.
    auto promise = std::make_shared<QPromise<Status>>();
    QFuture<Status> copied = promise->future();
    promise->start();
    QThreadPool::globalInstance()->start([promise, database = database.toStdString(), path] {
        auto reader = db::Database::openReader(database);
        promise->addResult(reader ? (*reader)->backupTo(path) : Status(reader.error()));
        promise->finish();
    });
    whenDone(copied, responder, [folder, path](Status done) -> HttpResponse {
        if (!done) {
            return errorAnswer(done.error());
        }
        auto file = std::make_shared<QFile>(QString::fromStdString(path));
        if (!file->open(QIODevice::ReadOnly)) {
            return http::errors::internal(QStringLiteral("cannot read the backup: ") +
                                          file->errorString());
        }
        const qint64 size = file->size();
        // Unlinked now, read through the open file: nothing is left behind, however the
        // download ends.
        folder->remove();
        return HttpResponse::streamed(200, std::move(file), size, "application/vnd.sqlite3")
            .withHeader("Content-Disposition", "attachment; filename=\"understudy-backup.db\"");
    });
}

HttpResponse ApiService::openApi(const HttpRequest&) {
    return jsonAnswer(200, openApiDocument(options_.version));
}

HttpResponse ApiService::metrics(const HttpRequest&) {
    MetricsInput input;
    auto appliances = applianceViews();
    auto nodes = core_.nodes();
    auto last = core_.lastEventId();
    input.database_available = appliances && nodes && last;
    if (input.database_available) {
        input.appliances = std::move(*appliances);
        input.nodes = std::move(*nodes);
        input.last_event_id = *last;
    }
    input.target_risk = core_.config().policy.target_risk;
    input.takeover_latency = &takeover_latency_;
    input.events = &event_counts_;
    input.requests = server_.requestCounts();
    input.auth_failures = auth_failures_.failures();
    input.auth_refusals = auth_failures_.refusals();
    return HttpResponse::bytes(200, renderMetrics(input),
                               "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace understudy::api

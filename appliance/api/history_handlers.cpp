// GET /appliances/{name}/history, and the samples it answers: what GET /appliances says of each
// appliance, taken every history interval and whenever the event log grows.
#include <QDateTime>
#include <QRegularExpression>

#include <algorithm>
#include <chrono>

#include "appliance/api/api_service.h"
#include "appliance/api/handler_preamble.h"
#include "appliance/http/api_log.h"
#include "db/appliance_repository.h"

namespace understudy::api {

using http::HttpRequest;
using http::HttpResponse;

namespace {

// A burst of events (a takeover that preempts two nodes) is one change of headroom.
constexpr std::chrono::milliseconds kChangeSettle{250};

db::DBHeadroomSample sampleOf(const core::ApplianceStatus& status, db::TimeMs time) {
    db::DBHeadroomSample sample;
    sample.time = time;
    sample.state = core::applianceStateName(status.state);
    sample.freeMemoryMib = status.headroom.free.memory_mib;
    sample.freeVcpus = status.headroom.free.vcpus;
    sample.denialRisk = status.denial_risk;
    sample.notReady = static_cast<std::int64_t>(status.not_ready.size());
    return sample;
}

bool sameHeadroom(const db::DBHeadroomSample& a, const db::DBHeadroomSample& b) {
    return a.state == b.state && a.freeMemoryMib == b.freeMemoryMib && a.freeVcpus == b.freeVcpus &&
           a.denialRisk == b.denialRisk && a.notReady == b.notReady;
}

Json sampleJson(const db::DBHeadroomSample& sample) {
    Json made;
    made["time"] = db::formatTime(sample.time);
    made["state"] = sample.state;
    made["free"] = {{"memory_mib", sample.freeMemoryMib}, {"vcpus", sample.freeVcpus}};
    made["denial_risk"] = sample.denialRisk;
    made["not_ready"] = sample.notReady;
    return made;
}

// RFC 3339 with its offset: a time without one would depend on the service's time zone.
Result<db::TimeMs> parseSince(const QString& text) {
    static const QRegularExpression withOffset(
        QStringLiteral(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$)"),
        QRegularExpression::CaseInsensitiveOption);
    const QDateTime time = QDateTime::fromString(text.toUpper(), Qt::ISODateWithMs);
    if (!withOffset.match(text).hasMatch() || !time.isValid()) {
        return invalid("since",
                       "since must be an RFC 3339 time with its offset, such as "
                       "2026-12-07T08:00:00Z; got '" +
                           text.toStdString() + "'");
    }
    return time.toMSecsSinceEpoch();
}

Result<int> parseLimit(const QString& text) {
    bool ok = false;
    const qlonglong value = text.toLongLong(&ok);
    if (!ok || value < 1 || value > db::kMaxHeadroomPage) {
        return invalid("limit", "limit must be a whole number from 1 to " +
                                    std::to_string(db::kMaxHeadroomPage) + "; got '" +
                                    text.toStdString() + "'");
    }
    return static_cast<int>(value);
}

}  // namespace

void ApiService::startHistory() {
    history_timer_.setInterval(options_.history_interval);
    connect(&history_timer_, &QTimer::timeout, this, [this] { sampleHeadroom(true); });
    history_timer_.start();
    change_settle_.setSingleShot(true);
    change_settle_.setInterval(kChangeSettle);
    connect(&change_settle_, &QTimer::timeout, this, [this] { sampleHeadroom(false); });
    change_settle_.start();
}

void ApiService::sampleHeadroom(bool periodic) {
    auto appliances = applianceViews();
    if (!appliances) {
        qCWarning(http::lcApi, "no headroom sample this time: %s",
                  appliances.error().describe().c_str());
        return;
    }
    const db::TimeMs now = db::nowMs();
    std::vector<core::HeadroomSample> samples;
    for (const core::ApplianceStatus& status : *appliances) {
        db::DBHeadroomSample sample = sampleOf(status, now);
        auto last = last_samples_.find(status.name);
        if (!periodic && last != last_samples_.end() && sameHeadroom(last->second, sample)) {
            continue;
        }
        last_samples_[status.name] = sample;
        samples.push_back({status.name, std::move(sample)});
    }
    if (samples.empty()) {
        return;
    }
    core_.recordHeadroom(std::move(samples)).then(this, [](const Status& recorded) {
        if (!recorded) {
            qCWarning(http::lcApi, "cannot store the headroom samples: %s",
                      recorded.error().describe().c_str());
        }
    });
}

HttpResponse ApiService::history(const HttpRequest& request) {
    if (auto refused = requireAdmin(request)) {
        return *refused;
    }
    for (const auto& entry : request.query) {
        if (entry.first != QStringLiteral("since") && entry.first != QStringLiteral("limit")) {
            return http::errors::invalidField(
                entry.first, QStringLiteral("unknown query parameter '%1'; use since or limit")
                                 .arg(entry.first));
        }
    }
    db::HeadroomQuery query;
    query.limit = db::kDefaultHeadroomPage;
    if (request.hasQueryItem(QStringLiteral("since"))) {
        auto since = parseSince(request.queryItem(QStringLiteral("since")));
        if (!since) {
            return errorAnswer(since.error());
        }
        query.since = *since;
    }
    if (request.hasQueryItem(QStringLiteral("limit"))) {
        auto limit = parseLimit(request.queryItem(QStringLiteral("limit")));
        if (!limit) {
            return errorAnswer(limit.error());
        }
        query.limit = *limit;
    }
    const std::string name = capturedName(request);
    auto appliance = db::ApplianceRepository(*reader_).byName(name);
    if (!appliance) {
        return errorAnswer(appliance.error());
    }
    const std::vector<std::string> names = applianceNames();
    if (!*appliance || std::find(names.begin(), names.end(), name) == names.end()) {
        return http::errors::notFound(
            QStringLiteral("there is no appliance named '%1'; GET /api/v1/appliances lists them")
                .arg(toQString(name)));
    }
    const int wanted = query.limit;
    query.applianceId = (*appliance)->id;
    ++query.limit;  // one more than asked tells whether the page is truncated
    auto samples = db::HeadroomHistory(*reader_).samples(query);
    if (!samples) {
        return errorAnswer(samples.error());
    }
    const bool truncated = samples->size() > static_cast<std::size_t>(wanted);
    if (truncated) {
        samples->erase(query.since ? samples->end() - 1 : samples->begin());
    }
    Json list = Json::array();
    for (const db::DBHeadroomSample& sample : *samples) {
        list.push_back(sampleJson(sample));
    }
    Json made;
    made["appliance"] = name;
    made["interval_s"] =
        std::chrono::duration_cast<std::chrono::seconds>(options_.history_interval).count();
    made["retention_hours"] = db::kHeadroomRetentionMs / 3600000;
    made["samples"] = std::move(list);
    made["truncated"] = truncated;
    return jsonAnswer(200, made);
}

}  // namespace understudy::api

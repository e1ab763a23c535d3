// GET /events: pages of the event log, and long-polls held until an event or the wait ends.
#include "appliance/api/api_service.h"

#include <algorithm>
#include <chrono>

#include "appliance/api/handler_preamble.h"
#include "appliance/http/api_log.h"

namespace understudy::api {

using http::HttpRequest;
using http::HttpResponse;
using http::Responder;

namespace {

Json pageJson(const db::EventPage& page) {
    Json list = Json::array();
    for (const db::DBEvent& event : page.events) {
        list.push_back(eventJson(event));
    }
    Json made;
    made["events"] = std::move(list);
    made["next"] = page.next;
    made["truncated"] = page.truncated;
    return made;
}

Result<std::int64_t> queryNumber(const HttpRequest& request, const QString& key, std::int64_t min,
                                 std::int64_t fallback) {
    if (!request.hasQueryItem(key)) {
        return fallback;
    }
    bool ok = false;
    const qlonglong value = request.queryItem(key).toLongLong(&ok);
    if (!ok || value < min) {
        return invalid(
            key.toStdString(),
            key.toStdString() + " must be a whole number of at least " + std::to_string(min));
    }
    return static_cast<std::int64_t>(value);
}

}  // namespace

void ApiService::events(const HttpRequest& request, const Responder& responder) {
    if (auto refused = requireAdmin(request)) {
        return responder.send(*refused);
    }
    for (const auto& [key, value] : request.query) {
        static const QStringList known{QStringLiteral("since"), QStringLiteral("limit"),
                                       QStringLiteral("wait"),  QStringLiteral("cluster"),
                                       QStringLiteral("node"),  QStringLiteral("kind")};
        if (!known.contains(key)) {
            return responder.send(http::errors::invalidField(
                key, QStringLiteral("unknown query parameter '%1'; use since, limit, wait, "
                                    "cluster, node or kind")
                         .arg(key)));
        }
    }
    auto since = queryNumber(request, QStringLiteral("since"), 0, 0);
    auto limit = queryNumber(request, QStringLiteral("limit"), 1, db::kDefaultEventPage);
    auto wait = queryNumber(request, QStringLiteral("wait"), 0, 0);
    for (const auto* number : {&since, &limit, &wait}) {
        if (!*number) {
            return responder.send(errorAnswer(number->error()));
        }
    }
    db::EventQuery query;
    query.since = *since;
    query.limit = static_cast<int>(std::min<std::int64_t>(*limit, db::kMaxEventPage));
    if (request.hasQueryItem(QStringLiteral("cluster"))) {
        query.filter.cluster = request.queryItem(QStringLiteral("cluster")).toStdString();
    }
    if (request.hasQueryItem(QStringLiteral("node"))) {
        query.filter.node = request.queryItem(QStringLiteral("node")).toStdString();
    }
    if (request.hasQueryItem(QStringLiteral("kind"))) {
        query.filter.kindPrefix = request.queryItem(QStringLiteral("kind")).toStdString();
    }
    auto page = db::EventLog(*reader_).page(query);
    if (!page) {
        return responder.send(errorAnswer(page.error()));
    }
    const std::int64_t wait_s = std::min<std::int64_t>(*wait, options_.max_wait_s);
    if (!page->events.empty() || wait_s == 0 || stop_waiting_) {
        return responder.send(jsonAnswer(200, pageJson(*page)));
    }
    const std::uint64_t id = next_waiter_++;
    auto timer = std::make_unique<QTimer>();
    timer->setSingleShot(true);
    connect(timer.get(), &QTimer::timeout, this, [this, id] { answerWaiter(id); });
    timer->start(std::chrono::seconds(wait_s));
    waiters_.emplace(id, Waiter{query, responder, std::move(timer)});
    responder.whenClientGone([this, id] { waiters_.erase(id); });
}

void ApiService::answerWaiter(std::uint64_t id) {
    auto found = waiters_.find(id);
    if (found == waiters_.end()) {
        return;
    }
    Waiter waiter = std::move(found->second);
    waiters_.erase(found);
    auto page = db::EventLog(*reader_).page(waiter.query);
    waiter.responder.send(page ? jsonAnswer(200, pageJson(*page)) : errorAnswer(page.error()));
}

void ApiService::onEventsAppended() {
    // A failed read is counted at the next append: the events stay in the log until then.
    if (Status counted = event_counts_.catchUp(*reader_); !counted) {
        qCWarning(http::lcApi, "cannot count the new events for /metrics: %s",
                  counted.error().message.c_str());
    }
    if (!change_settle_.isActive()) {
        change_settle_.start();
    }
    std::vector<std::uint64_t> ready;
    for (const auto& [id, waiter] : waiters_) {
        auto page = db::EventLog(*reader_).page(waiter.query);
        if (!page || !page->events.empty()) {
            ready.push_back(id);
        }
    }
    for (std::uint64_t id : ready) {
        answerWaiter(id);
    }
}

void ApiService::stopWaiting() {
    stop_waiting_ = true;
    std::vector<std::uint64_t> all;
    for (const auto& entry : waiters_) {
        all.push_back(entry.first);
    }
    for (std::uint64_t id : all) {
        answerWaiter(id);
    }
}

}  // namespace understudy::api

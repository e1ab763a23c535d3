// events: the service's event log, listed page by page or followed as it grows.
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>

#include "agents/ctl/ctl_input.h"
#include "agents/ctl/ctl_session.h"

namespace understudy::agents {

namespace {

// How long a follower waits for events per request, and after a lost connection.
constexpr int kFollowWaitS = 30;
constexpr int kFollowRetryMs = 2000;
constexpr int kEventPageLimit = 1000;

struct EventsRequest {
    client::EventQuery query;
    bool follow = false;
};

Result<EventsRequest> parseEventsRequest(const QStringList& args) {
    EventsRequest request;
    for (qsizetype i = 0; i < args.size(); ++i) {
        std::optional<QString> value;
        std::optional<Error> error;
        if (args[i] == QLatin1String("--follow") || args[i] == QLatin1String("-f")) {
            request.follow = true;
        } else if (takeValue(args, i, QStringLiteral("--since"), value, error)) {
            if (error) {
                return *error;
            }
            bool ok = false;
            request.query.since = value->toLongLong(&ok);
            if (!ok || request.query.since < 0) {
                return usageError(QStringLiteral("--since must be an event id (a whole number, 0 "
                                                 "or more), not \"%1\"")
                                      .arg(*value));
            }
        } else if (takeValue(args, i, QStringLiteral("--cluster"), value, error)) {
            if (error) {
                return *error;
            }
            if (auto status = checkName(*value, QStringLiteral("cluster name")); !status) {
                return status.error();
            }
            request.query.cluster = *value;
        } else if (takeValue(args, i, QStringLiteral("--kind"), value, error)) {
            if (error) {
                return *error;
            }
            if (value->isEmpty() || !isEventKindPrefix(*value)) {
                return usageError(QStringLiteral("--kind \"%1\" matches no event kind; give one of "
                                                 "%2, or a prefix such as \"takeover\"")
                                      .arg(*value, eventKinds().join(QStringLiteral(", "))));
            }
            request.query.kind = *value;
        } else {
            return usageError(QStringLiteral("usage: understudyctl events [--follow] [--since ID] "
                                             "[--cluster C] [--kind K]; \"%1\" is none of these")
                                  .arg(args[i]));
        }
    }
    return request;
}

}  // namespace

void CtlSession::printEvent(const client::Event& e) {
    if (json_) {
        QJsonObject object;
        object.insert(QStringLiteral("id"), e.id);
        object.insert(QStringLiteral("time"), e.time.toString(Qt::ISODateWithMs));
        object.insert(QStringLiteral("kind"), e.kind);
        object.insert(QStringLiteral("cluster"), e.cluster ? QJsonValue(*e.cluster) : QJsonValue());
        object.insert(QStringLiteral("node"), e.node ? QJsonValue(*e.node) : QJsonValue());
        object.insert(QStringLiteral("actor"),
                      e.actor.isEmpty() ? QJsonValue() : QJsonValue(e.actor));
        object.insert(QStringLiteral("details"), e.details);
        out_ << compactJson(object) << '\n';
    } else {
        QString line =
            QStringLiteral("%1  %2  %3  %4  %5  %6  %7")
                .arg(QString::number(e.id).rightJustified(6), formatTime(e.time),
                     e.kind.leftJustified(23),
                     e.cluster.value_or(QStringLiteral("-")).leftJustified(12),
                     e.node.value_or(QStringLiteral("-")).leftJustified(20),
                     (e.actor.isEmpty() ? QStringLiteral("-") : e.actor).leftJustified(24),
                     e.details.isEmpty() ? QString() : compactJson(e.details));
        while (line.endsWith(QLatin1Char(' '))) {
            line.chop(1);
        }
        out_ << line << '\n';
    }
    out_.flush();
}

int CtlSession::events(const QStringList& args) {
    auto request = parseEventsRequest(args);
    if (!request) {
        return invalid(request.error());
    }
    request->query.limit = kEventPageLimit;
    return request->follow ? followEvents(request->query) : listEvents(request->query);
}

int CtlSession::listEvents(client::EventQuery query) {
    // Every event after `since`, page by page; --json gives them as one list.
    QJsonArray all;
    bool truncated = false;
    while (true) {
        const auto call = client::api::events(query);
        auto answer = client_.sendSync(call.request);
        if (!answer) {
            return fail(answer.error());
        }
        auto page = call.decode(*answer);
        if (!page) {
            return fail(page.error());
        }
        truncated = truncated || page->truncated;
        if (json_) {
            const QJsonObject object = QJsonDocument::fromJson(answer->body).object();
            for (const QJsonValue& event : object.value(QStringLiteral("events")).toArray()) {
                all.append(event);
            }
        } else {
            for (const client::Event& event : page->events) {
                printEvent(event);
            }
        }
        const bool more =
            static_cast<int>(page->events.size()) >= kEventPageLimit && page->next > query.since;
        query.since = page->next;
        if (!more) {
            break;
        }
    }
    if (json_) {
        QJsonObject object;
        object.insert(QStringLiteral("events"), all);
        object.insert(QStringLiteral("next"), query.since);
        if (truncated) {
            object.insert(QStringLiteral("truncated"), true);
        }
        printRaw(QJsonDocument(object).toJson(QJsonDocument::Compact));
    } else if (truncated) {
        err_ << "note: older events were removed by retention; the list starts at the "
                "oldest kept\n";
    }
    return kExitDone;
}

int CtlSession::followEvents(client::EventQuery query) {
    // Follow: JSON lines with --json. The first failure ends it (the service is not there);
    // later ones are retried, as `tail -F` does across a restart.
    query.wait_s = kFollowWaitS;
    bool answered_once = false;
    while (true) {
        auto call = client::api::events(query);
        call.request.timeout = client_.options().timeout + std::chrono::seconds(kFollowWaitS);
        auto page = client_.callSync(call);
        if (!page) {
            const client::ApiError& error = page.error();
            const bool transient = error.status == 0 || error.status >= 500;
            if (!answered_once || !transient || exitCodeFor(error) != kExitUnavailable) {
                return fail(error);
            }
            err_ << "warning: " << error.summary() << "; retrying\n";
            err_.flush();
            QThread::msleep(kFollowRetryMs);
            continue;
        }
        answered_once = true;
        if (page->truncated) {
            err_ << "note: events after " << query.since
                 << " were removed by retention; continuing from the oldest kept\n";
            err_.flush();
        }
        for (const client::Event& event : page->events) {
            printEvent(event);
        }
        query.since = page->next;
    }
}

}  // namespace understudy::agents

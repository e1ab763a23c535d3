// Method + path pattern routing with `{name}` captures ("/api/v1/nodes/{name}/takeover").
#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>
#include <functional>
#include <vector>

#include "appliance/http/http_request.h"
#include "appliance/http/responder.h"

namespace understudy::http {

class Router {
public:
    using Handler = std::function<void(const HttpRequest&, Responder)>;

    struct Match {
        const Handler* handler = nullptr;  // null: no route for this method and path
        QString pattern;                   // the route template that matched
        QHash<QString, QString> captures;  // percent-decoded
        QList<QByteArray> allowed;         // with no handler: the methods the path has (405)
    };

    // A pattern is "/" followed by segments, each literal or one whole `{name}`. A capture
    // matches one non-empty segment. Registering the same method and pattern twice, or a
    // malformed pattern, is a programming error (std::logic_error).
    void add(const QByteArray& method, const QString& pattern, Handler handler);

    // Literal segments beat captures where two patterns match the same path
    // ("/groups/new" before "/groups/{name}"); otherwise the first registered wins.
    Match match(const QByteArray& method, QByteArrayView raw_path) const;

private:
    struct Segment {
        QString text;  // literal text, or the capture's name
        bool capture = false;
    };
    struct Route {
        QByteArray method;
        QString pattern;
        std::vector<Segment> segments;
        int literals = 0;
        Handler handler;
    };
    std::vector<Route> routes_;
};

}  // namespace understudy::http

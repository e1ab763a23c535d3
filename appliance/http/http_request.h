// One parsed HTTP/1.1 request as a handler sees it: the whole body is already read (within
// max_body_bytes), the path captures of the matched route are decoded.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QString>

namespace understudy::http {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

struct HttpRequest {
    QByteArray method;    // as sent, e.g. "GET" (methods are case-sensitive, RFC 9110 9.1)
    QByteArray target;    // the raw request target, e.g. "/api/v1/events?since=3"
    QByteArray raw_path;  // the target without the query, still percent-encoded
    QString path;         // raw_path percent-decoded (for logs and messages)
    QList<QPair<QString, QString>> query;  // decoded, in order; a key may repeat
    HeaderList headers;                    // names lower-cased, values trimmed, in order
    QByteArray body;
    QHostAddress peer;
    // Set by the router: the pattern that matched ("/api/v1/nodes/{name}") and its captures.
    QString route;
    QHash<QString, QString> captures;

    // The first value of a header (name in any case), or an empty array.
    QByteArray header(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const;
    // The token of `Authorization: Bearer TOKEN` (scheme in any case), or empty.
    QString bearerToken() const;
    // A path capture by name, or empty.
    QString capture(const QString& name) const { return captures.value(name); }
    // The first value of a query item, or empty when absent (hasQueryItem tells the two apart).
    bool hasQueryItem(const QString& name) const;
    QString queryItem(const QString& name) const;
};

}  // namespace understudy::http

#include "appliance/http/router.h"

#include <stdexcept>

namespace understudy::http {

namespace {

// Splits "/a/b" into {"a", "b"}; "/" into {""}. The leading slash is checked by the caller.
QList<QByteArrayView> splitPath(QByteArrayView path) {
    QList<QByteArrayView> segments;
    qsizetype start = 1;
    while (true) {
        const qsizetype slash = path.indexOf('/', start);
        if (slash < 0) {
            segments.append(path.sliced(start));
            return segments;
        }
        segments.append(path.sliced(start, slash - start));
        start = slash + 1;
    }
}

QString decodeSegment(QByteArrayView segment) {
    return QString::fromUtf8(QByteArray::fromPercentEncoding(segment.toByteArray()));
}

}  // namespace

void Router::add(const QByteArray& method, const QString& pattern, Handler handler) {
    if (!pattern.startsWith('/') || method.isEmpty() || !handler) {
        throw std::logic_error("route pattern must start with '/' and have a method and handler: " +
                               pattern.toStdString());
    }
    Route route;
    route.method = method;
    route.pattern = pattern;
    route.handler = std::move(handler);
    for (const QString& part : pattern.mid(1).split('/')) {
        Segment segment;
        if (part.startsWith('{') && part.endsWith('}') && part.size() > 2) {
            segment.capture = true;
            segment.text = part.mid(1, part.size() - 2);
        } else if (part.contains('{') || part.contains('}')) {
            throw std::logic_error("route pattern segment must be literal or one whole {name}: " +
                                   pattern.toStdString());
        } else {
            segment.text = part;
            ++route.literals;
        }
        route.segments.push_back(segment);
    }
    for (const Route& existing : routes_) {
        if (existing.method == method && existing.pattern == pattern) {
            throw std::logic_error("route registered twice: " + method.toStdString() + " " +
                                   pattern.toStdString());
        }
    }
    routes_.push_back(std::move(route));
}

Router::Match Router::match(const QByteArray& method, QByteArrayView raw_path) const {
    Match result;
    if (!raw_path.startsWith('/')) {
        return result;
    }
    const QList<QByteArrayView> parts = splitPath(raw_path);
    QList<QString> decoded;
    decoded.reserve(parts.size());
    for (QByteArrayView part : parts) {
        decoded.append(decodeSegment(part));
    }

    const Route* best = nullptr;
    for (const Route& route : routes_) {
        if (route.segments.size() != static_cast<std::size_t>(decoded.size())) {
            continue;
        }
        bool matches = true;
        for (std::size_t i = 0; i < route.segments.size() && matches; ++i) {
            const Segment& segment = route.segments[i];
            const QString& value = decoded[static_cast<qsizetype>(i)];
            matches = segment.capture ? !value.isEmpty() : segment.text == value;
        }
        if (!matches) {
            continue;
        }
        if (route.method != method) {
            if (!result.allowed.contains(route.method)) {
                result.allowed.append(route.method);
            }
            continue;
        }
        if (best == nullptr || route.literals > best->literals) {
            best = &route;
        }
    }
    if (best == nullptr) {
        return result;
    }
    result.handler = &best->handler;
    result.pattern = best->pattern;
    result.allowed.clear();
    for (std::size_t i = 0; i < best->segments.size(); ++i) {
        if (best->segments[i].capture) {
            result.captures.insert(best->segments[i].text, decoded[static_cast<qsizetype>(i)]);
        }
    }
    return result;
}

}  // namespace understudy::http

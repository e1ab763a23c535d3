#include "appliance/http/http_request.h"

namespace understudy::http {

QByteArray HttpRequest::header(QByteArrayView name) const {
    for (const auto& [key, value] : headers) {
        if (name.compare(key, Qt::CaseInsensitive) == 0) {
            return value;
        }
    }
    return {};
}

bool HttpRequest::hasHeader(QByteArrayView name) const {
    for (const auto& field : headers) {
        if (name.compare(field.first, Qt::CaseInsensitive) == 0) {
            return true;
        }
    }
    return false;
}

QString HttpRequest::bearerToken() const {
    const QByteArray value = header("authorization").trimmed();
    constexpr QByteArrayView kScheme = "bearer";
    if (value.size() <= kScheme.size() || value.at(kScheme.size()) != ' ' ||
        kScheme.compare(value.first(kScheme.size()), Qt::CaseInsensitive) != 0) {
        return {};
    }
    return QString::fromLatin1(value.mid(kScheme.size() + 1).trimmed());
}

bool HttpRequest::hasQueryItem(const QString& name) const {
    for (const auto& item : query) {
        if (item.first == name) {
            return true;
        }
    }
    return false;
}

QString HttpRequest::queryItem(const QString& name) const {
    for (const auto& [key, value] : query) {
        if (key == name) {
            return value;
        }
    }
    return {};
}

}  // namespace understudy::http

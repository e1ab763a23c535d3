#include "appliance/client/api_error.h"

#include <QJsonDocument>

#include "appliance/client/api_json.h"

namespace understudy::client {

QString ApiError::summary() const {
    if (status == 0) {
        return message;
    }
    return QStringLiteral("%1 (HTTP %2, %3)").arg(message).arg(status).arg(code);
}

ApiError ApiError::fromResponse(int status, const QByteArray& body, const QByteArray& retry_after) {
    ApiError error;
    error.status = status;
    bool retry_ok = false;
    const int retry = retry_after.trimmed().toInt(&retry_ok);
    if (retry_ok && retry >= 0) {
        error.retry_after_s = retry;
    }
    const QJsonDocument document = QJsonDocument::fromJson(body);
    const QJsonObject object = document.object();
    if (!document.isObject() || !object.value(QLatin1String("error")).isString()) {
        // Not the service's error shape: a proxy's page, or a server that is not understudyd.
        error.code = status >= 200 && status < 300 ? QString::fromLatin1(kBadResponse)
                                                   : QStringLiteral("http_%1").arg(status);
        const QString text = QString::fromUtf8(body.left(200)).simplified();
        error.message =
            QStringLiteral(
                "the service answered HTTP %1 without an Understudy error object%2; "
                "check that the URL points at understudyd")
                .arg(status)
                .arg(text.isEmpty() ? QString() : QStringLiteral(" (\"%1\")").arg(text));
        return error;
    }
    error.body = object;
    error.code = object.value(QLatin1String("error")).toString();
    error.message = object.value(QLatin1String("message")).toString();
    if (error.message.isEmpty()) {
        error.message = QStringLiteral("the service refused the request with %1").arg(error.code);
    }
    error.field = object.value(QLatin1String("field")).toString();
    if (object.value(QLatin1String("limit")).isDouble()) {
        error.limit = static_cast<qint64>(object.value(QLatin1String("limit")).toDouble());
    }
    error.state = object.value(QLatin1String("state")).toString();
    error.id = object.value(QLatin1String("id")).toString();
    if (object.value(QLatin1String("denial")).isObject()) {
        // A denial we cannot read still leaves the message; the raw body keeps the rest.
        auto denial = fromJson<Denial>(object.value(QLatin1String("denial")), "denial");
        if (denial) {
            error.denial = std::move(denial).value();
        }
    }
    if (error.code == QLatin1String("admission_refused")) {
        auto refusal = fromJson<AdmissionRefusal>(object);
        if (refusal) {
            error.refusal = std::move(refusal).value();
        }
    }
    return error;
}

}  // namespace understudy::client

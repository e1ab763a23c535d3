// The end-to-end tests' understudyd: the shared launcher with a small synchronous HTTP client
// (QNetworkAccessManager) to talk to it, which holds every answer to the served OpenAPI
// document, and the config of a test-driver appliance.
#pragma once

#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tests/support/openapi_validator.h"
#include "tests/support/ports.h"
#include "tests/support/source_files.h"
#include "tests/support/test_driver_host.h"
#include "tests/support/understudyd_process.h"

namespace understudy::e2e {

using nlohmann::json;
using testsupport::freePort;
using testsupport::kAdminToken;
using testsupport::sourcePath;

// QCOMPARE on JSON values (and anything JSON can hold), shown as JSON text when they differ.
#define JCOMPARE(actual, expected)                                  \
    QCOMPARE(QString::fromStdString(nlohmann::json(actual).dump()), \
             QString::fromStdString(nlohmann::json(expected).dump()))

using testsupport::Exchange;

// The OpenAPI document the service on `port` serves, fetched once per test program (every
// service a test starts is the same build); null while no service has answered it.
inline const testsupport::OpenApiValidator* servedDocument(quint16 port) {
    static std::unique_ptr<testsupport::OpenApiValidator> validator;
    if (!validator) {
        QNetworkAccessManager manager;
        QNetworkReply* reply = manager.get(QNetworkRequest(
            QUrl(QStringLiteral("http://127.0.0.1:%1/api/v1/openapi.json").arg(port))));
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(20000, &loop, &QEventLoop::quit);
        loop.exec();
        const json document = json::parse(reply->readAll().toStdString(), nullptr, false);
        reply->abort();
        delete reply;
        if (document.is_object() && document.contains("paths")) {
            validator = std::make_unique<testsupport::OpenApiValidator>(document);
        }
    }
    return validator.get();
}

// Empty when the served document describes the exchange (or nothing answered it); otherwise
// what does not match, with the JSON path.
inline std::string documentMismatch(quint16 port, const Exchange& exchange) {
    if (exchange.status == 0) {
        return {};
    }
    const testsupport::OpenApiValidator* document = servedDocument(port);
    if (document == nullptr) {
        return "no OpenAPI document to hold " + exchange.method + ' ' + exchange.target +
               " to: the service did not serve it";
    }
    return document->mismatch(exchange);
}

// Fails the running test function when the served document does not describe the exchange;
// every request of the e2e helpers passes through here, so no test has to ask for it.
inline void holdToDocument(quint16 port, const Exchange& exchange) {
    const std::string mismatch = documentMismatch(port, exchange);
    if (!mismatch.empty()) {
        QTest::qFail(mismatch.c_str(), __FILE__, __LINE__);
    }
}

// The exchange of a finished `reply` to `method` `path` with `request_body`; `body` is what the
// caller read from it.
inline Exchange exchangeOf(const QByteArray& method, const QString& path,
                           const QByteArray& request_body, const QNetworkReply& reply,
                           const QByteArray& body) {
    return Exchange{method.toStdString(),
                    path.toStdString(),
                    request_body.toStdString(),
                    reply.attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                    reply.header(QNetworkRequest::ContentTypeHeader).toString().toStdString(),
                    body.toStdString()};
}

struct Reply {
    int status = 0;  // 0: no HTTP answer (connection error or timeout)
    QByteArray body;
    QByteArray content_type;
    QList<QNetworkReply::RawHeaderPair> headers;
    QNetworkReply::NetworkError network_error = QNetworkReply::NoError;
    json document() const { return json::parse(body.toStdString(), nullptr, false); }
    // The value of a header of the answer (name in any case), or empty.
    QByteArray header(const QByteArray& name) const {
        for (const auto& [key, value] : headers) {
            if (key.compare(name, Qt::CaseInsensitive) == 0) {
                return value;
            }
        }
        return {};
    }
    std::string error() const {
        const json parsed = document();
        return parsed.is_object() && parsed.contains("error") && parsed["error"].is_string()
                   ? parsed["error"].get<std::string>()
                   : std::string();
    }
};

class ServiceProcess : public testsupport::UnderstudydProcess {
public:
    using UnderstudydProcess::UnderstudydProcess;

    Reply request(const QByteArray& method, const QString& path, const QByteArray& body = {},
                  const QByteArray& token = kAdminToken, int timeout_ms = 70000) {
        QNetworkRequest request(url(path));
        if (!token.isEmpty()) {
            request.setRawHeader("Authorization", "Bearer " + token);
        }
        if (!body.isNull()) {
            request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        }
        QNetworkReply* reply = manager_.sendCustomRequest(request, method, body);
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(timeout_ms, &loop, &QEventLoop::quit);
        loop.exec();
        Reply made;
        made.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        made.body = reply->readAll();
        made.content_type = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
        made.headers = reply->rawHeaderPairs();
        made.network_error = reply->error();
        holdToDocument(port(), exchangeOf(method, path, body, *reply, made.body));
        reply->abort();
        reply->deleteLater();
        return made;
    }
    Reply get(const QString& path, const QByteArray& token = kAdminToken) {
        return request("GET", path, QByteArray(), token);
    }
    Reply post(const QString& path, const QByteArray& body = "",
               const QByteArray& token = kAdminToken) {
        return request("POST", path, body, token);
    }
    json getJson(const QString& path, const QByteArray& token = kAdminToken) {
        return get(path, token).document();
    }
    QNetworkAccessManager& manager() { return manager_; }

private:
    QNetworkAccessManager manager_;
};

// A test-driver host file: `cpus` CPUs and `memory_mib` MiB, no domains.
inline QString writeHost(const QString& folder, int cpus, qint64 memory_mib) {
    const QString path = folder + QStringLiteral("/host.xml");
    return testsupport::writeTestDriverHost(path, cpus, memory_mib) ? path : QString();
}

// A config for one test-driver appliance `load` listening on `port`.
inline QString writeConfig(const QString& folder, quint16 port, const QString& host_file,
                           double cpu_overcommit) {
    const QString token_path = folder + QStringLiteral("/admin.token");
    testsupport::writeAdminTokenFile(token_path);
    const QString path = folder + QStringLiteral("/understudyd.conf");
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return {};
    }
    file.write(QStringLiteral("[service]\nlisten = 127.0.0.1:%1\ndatabase = %2/understudy.db\n"
                              "admin_token_file = %3\nmax_body_bytes = 16777216\n\n"
                              "[appliance.load]\nuri = test://%4\ncpu_overcommit = %5\n"
                              "domain_template = %6\nrecreate_missing = true\n")
                   .arg(port)
                   .arg(folder, token_path, host_file)
                   .arg(cpu_overcommit)
                   .arg(sourcePath(QStringLiteral("appliance/data/passive-node.xml")))
                   .toUtf8());
    return path;
}

}  // namespace understudy::e2e

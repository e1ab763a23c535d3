// A real understudyd for end-to-end tests: started with QProcess on a free loopback port with a
// database in a temporary folder and UNDERSTUDY_ADMIN_TOKEN set, and a small synchronous HTTP
// client (QNetworkAccessManager) to talk to it.
#pragma once

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace understudy::e2e {

using nlohmann::json;

// QCOMPARE on JSON values (and anything JSON can hold), shown as JSON text when they differ.
#define JCOMPARE(actual, expected)                                  \
    QCOMPARE(QString::fromStdString(nlohmann::json(actual).dump()), \
             QString::fromStdString(nlohmann::json(expected).dump()))

inline const char kAdminToken[] = "e2e-admin-token-0123456789abcdef";

inline quint16 freePort() {
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

inline QString sourcePath(const QString& relative) {
    return qEnvironmentVariable("UNDERSTUDY_SOURCE_DIR") + u'/' + relative;
}

struct Reply {
    int status = 0;  // 0: no HTTP answer (connection error or timeout)
    QByteArray body;
    QByteArray content_type;
    QNetworkReply::NetworkError network_error = QNetworkReply::NoError;
    json document() const { return json::parse(body.toStdString(), nullptr, false); }
    std::string error() const {
        const json parsed = document();
        return parsed.is_object() && parsed.contains("error") && parsed["error"].is_string()
                   ? parsed["error"].get<std::string>()
                   : std::string();
    }
};

class ServiceProcess {
public:
    // `database` must be an absolute path; the port is picked at start.
    explicit ServiceProcess(QString database) : database_(std::move(database)) {
        process_.setProcessChannelMode(QProcess::MergedChannels);
    }
    ~ServiceProcess() { kill(); }

    // Starts `understudyd --demo` (or with `arguments` instead) and waits until it listens.
    bool start(const QStringList& arguments = {}) {
        port_ = freePort();
        QStringList args = arguments;
        if (args.isEmpty()) {
            args << QStringLiteral("--demo") << QStringLiteral("--database") << database_;
        }
        if (!args.contains(QStringLiteral("--config"))) {
            args << QStringLiteral("--listen") << QStringLiteral("127.0.0.1:%1").arg(port_);
        }
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("UNDERSTUDY_ADMIN_TOKEN"),
                           QString::fromLatin1(kAdminToken));
        environment.insert(QStringLiteral("QT_LOGGING_RULES"),
                           QStringLiteral("understudy.api.info=false"));
        for (const QString& key : extra_environment_.keys()) {
            environment.insert(key, extra_environment_.value(key));
        }
        process_.setProcessEnvironment(environment);
        output_.clear();
        process_.start(QStringLiteral(UNDERSTUDYD_PATH), args);
        if (!process_.waitForStarted(10000)) {
            return false;
        }
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 30000) {
            process_.waitForReadyRead(100);
            output_ += process_.readAll();
            if (output_.contains("listening on")) {
                return true;
            }
            if (process_.state() == QProcess::NotRunning) {
                return false;
            }
        }
        return false;
    }
    // Added to (or replacing) the environment start() sets, e.g. QT_LOGGING_RULES.
    void setEnvironment(const QString& key, const QString& value) {
        extra_environment_.insert(key, value);
    }
    void setPort(quint16 port) { port_ = port; }
    quint16 port() const { return port_; }
    QByteArray output() {
        output_ += process_.readAll();
        return output_;
    }
    qint64 pid() const { return process_.processId(); }

    // SIGTERM; the exit code, or -1 when it did not exit within the time.
    int terminate(int timeout_ms = 30000) {
        if (process_.state() == QProcess::NotRunning) {
            return process_.exitCode();
        }
        process_.terminate();
        if (!process_.waitForFinished(timeout_ms)) {
            return -1;
        }
        output_ += process_.readAll();
        return process_.exitStatus() == QProcess::NormalExit ? process_.exitCode() : -1;
    }
    void kill() {
        if (process_.state() != QProcess::NotRunning) {
            process_.kill();
            process_.waitForFinished(10000);
        }
    }
    QProcess& process() { return process_; }

    QUrl url(const QString& path) const {
        return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port_).arg(path));
    }

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
        made.network_error = reply->error();
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
    QString database_;
    QProcess process_;
    QByteArray output_;
    QProcessEnvironment extra_environment_;
    quint16 port_ = 0;
    QNetworkAccessManager manager_;
};

// A test-driver host file: `cpus` CPUs and `memory_mib` MiB, no domains.
inline QString writeHost(const QString& folder, int cpus, qint64 memory_mib) {
    const QString path = folder + QStringLiteral("/host.xml");
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return {};
    }
    file.write(QStringLiteral("<node><cpu><mhz>2400</mhz><model>x86_64</model><active>%1</active>"
                              "<nodes>1</nodes><sockets>1</sockets><cores>%1</cores><threads>1"
                              "</threads></cpu><memory>%2</memory></node>\n")
                   .arg(cpus)
                   .arg(memory_mib * 1024)
                   .toUtf8());
    return path;
}

// A config for one test-driver appliance `load` listening on `port`.
inline QString writeConfig(const QString& folder, quint16 port, const QString& host_file,
                           double cpu_overcommit) {
    const QString token_path = folder + QStringLiteral("/admin.token");
    QFile token(token_path);
    if (!token.open(QIODevice::WriteOnly)) {
        return {};
    }
    token.write(QByteArray(kAdminToken) + "\n");
    token.close();
    token.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
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

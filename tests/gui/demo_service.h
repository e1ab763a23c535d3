// A real `understudyd --demo` for the console's online tests: a free loopback port, a database
// in a temporary folder, an admin token in its environment; stopped with the test.
#pragma once

#include <QElapsedTimer>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QUrl>

namespace understudy::gui::testing {

inline const char kAdminToken[] = "console-test-admin-token-0123456789";

class DemoService {
public:
    DemoService() { process_.setProcessChannelMode(QProcess::MergedChannels); }
    ~DemoService() { stop(); }
    DemoService(const DemoService&) = delete;
    DemoService& operator=(const DemoService&) = delete;

    // False when it did not come up; output() says why.
    bool start() {
        if (!dir_.isValid()) {
            return false;
        }
        {
            QTcpServer probe;
            probe.listen(QHostAddress::LocalHost, 0);
            port_ = probe.serverPort();
        }
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("UNDERSTUDY_ADMIN_TOKEN"),
                           QString::fromLatin1(kAdminToken));
        environment.insert(QStringLiteral("QT_LOGGING_RULES"),
                           QStringLiteral("understudy.api.info=false"));
        // The service drives libvirt, whose event loop does not mix with GLib's.
        environment.insert(QStringLiteral("QT_NO_GLIB"), QStringLiteral("1"));
        process_.setProcessEnvironment(environment);
        process_.start(QStringLiteral(UNDERSTUDYD_PATH),
                       {QStringLiteral("--demo"), QStringLiteral("--listen"),
                        QStringLiteral("127.0.0.1:%1").arg(port_), QStringLiteral("--database"),
                        dir_.filePath(QStringLiteral("understudy.db"))});
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
    void stop() {
        if (process_.state() != QProcess::NotRunning) {
            process_.terminate();
            if (!process_.waitForFinished(15000)) {
                process_.kill();
                process_.waitForFinished(5000);
            }
        }
    }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port_)); }
    QByteArray output() {
        output_ += process_.readAll();
        return output_;
    }

private:
    QTemporaryDir dir_;
    QProcess process_;
    QByteArray output_;
    quint16 port_ = 0;
};

}  // namespace understudy::gui::testing

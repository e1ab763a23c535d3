// A real understudyd as a child process, for the tests that run the service itself (end-to-end,
// agents, console online mode, storage faults): a loopback port, a database in a folder, the
// admin token in UNDERSTUDY_ADMIN_TOKEN, its output captured or in a log file.
#pragma once

#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>
#include <QTemporaryDir>
#include <QUrl>

#include <memory>

namespace understudy::testsupport {

// The admin token every launched service accepts.
inline constexpr char kAdminToken[] = "test-admin-token-0123456789abcdef";

// Writes kAdminToken to `path` (owner-only), as `admin_token_file` and understudyctl read it.
void writeAdminTokenFile(const QString& path);

class UnderstudydProcess {
public:
    // Its database in a temporary folder of its own, removed with it.
    UnderstudydProcess();
    // Its database at `database`, an absolute path in a folder of the test's.
    explicit UnderstudydProcess(QString database);
    // Stops it (SIGTERM, then SIGKILL when it does not exit).
    ~UnderstudydProcess();
    UnderstudydProcess(const UnderstudydProcess&) = delete;
    UnderstudydProcess& operator=(const UnderstudydProcess&) = delete;

    // Added to (or replacing) what start() sets; e.g. QT_LOGGING_RULES, which is
    // "understudy.api.info=false" (no request log) unless set here.
    void setEnvironment(const QString& key, const QString& value);
    // The port it listens on (or that its --config names); otherwise a free one at each start.
    void setPort(quint16 port);
    // Its output (stdout and stderr) goes to `path` instead of being captured.
    void setLogFile(const QString& path);

    // Starts `understudyd --demo --database DATABASE`, or with `arguments` instead, adding
    // `--listen 127.0.0.1:PORT` unless they hold --config, and waits until it listens. False
    // when it did not come up; output() says why. The program is $UNDERSTUDYD_UNDER_TEST when
    // set (to run the tests against an installed understudyd), else the one built here.
    bool start(const QStringList& arguments = {});
    // SIGTERM; the exit code, or -1 when it did not exit normally within `timeout_ms`.
    int terminate(int timeout_ms = 30000);
    // SIGTERM, and SIGKILL when it has not exited after 15 s.
    void stop();
    void kill();

    // What it wrote since the last start (from the log file when it has one).
    QByteArray output();
    quint16 port() const { return port_; }
    qint64 pid() const { return process_.processId(); }
    // http://127.0.0.1:PORT followed by `path`.
    QUrl url(const QString& path = {}) const;
    QString database() const { return database_; }
    QProcess& process() { return process_; }

private:
    QStringList argumentsFor(const QStringList& given) const;
    QProcessEnvironment environment() const;
    bool waitUntilListening();

    std::unique_ptr<QTemporaryDir> own_folder_;
    QString database_;
    QString log_file_;
    QProcessEnvironment extra_environment_;
    quint16 fixed_port_ = 0;
    quint16 port_ = 0;
    QProcess process_;
    QByteArray output_;
};

}  // namespace understudy::testsupport

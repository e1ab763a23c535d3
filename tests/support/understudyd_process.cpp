#include "tests/support/understudyd_process.h"

#include <QElapsedTimer>
#include <QFile>

#include "tests/support/ports.h"
#include "tests/support/source_files.h"

namespace understudy::testsupport {

namespace {

constexpr int kStartMs = 10000;
constexpr int kListenMs = 30000;
constexpr int kStopMs = 15000;

QString program() {
    return qEnvironmentVariable("UNDERSTUDYD_UNDER_TEST", QStringLiteral(UNDERSTUDYD_PATH));
}

}  // namespace

void writeAdminTokenFile(const QString& path) {
    writeFile(path, QByteArray(kAdminToken) + "\n");
    QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
}

UnderstudydProcess::UnderstudydProcess() : own_folder_(std::make_unique<QTemporaryDir>()) {
    database_ = own_folder_->filePath(QStringLiteral("understudy.db"));
    process_.setProcessChannelMode(QProcess::MergedChannels);
}

UnderstudydProcess::UnderstudydProcess(QString database) : database_(std::move(database)) {
    process_.setProcessChannelMode(QProcess::MergedChannels);
}

UnderstudydProcess::~UnderstudydProcess() {
    stop();
}

void UnderstudydProcess::setEnvironment(const QString& key, const QString& value) {
    extra_environment_.insert(key, value);
}

void UnderstudydProcess::setPort(quint16 port) {
    fixed_port_ = port;
}

void UnderstudydProcess::setLogFile(const QString& path) {
    log_file_ = path;
    process_.setStandardOutputFile(path);
}

bool UnderstudydProcess::start(const QStringList& arguments) {
    port_ = fixed_port_ != 0 ? fixed_port_ : freePort();
    process_.setProcessEnvironment(environment());
    output_.clear();
    process_.start(program(), argumentsFor(arguments));
    return process_.waitForStarted(kStartMs) && waitUntilListening();
}

QStringList UnderstudydProcess::argumentsFor(const QStringList& given) const {
    QStringList arguments = given;
    if (arguments.isEmpty()) {
        arguments << QStringLiteral("--demo") << QStringLiteral("--database") << database_;
    }
    if (!arguments.contains(QStringLiteral("--config"))) {
        arguments << QStringLiteral("--listen") << QStringLiteral("127.0.0.1:%1").arg(port_);
    }
    return arguments;
}

QProcessEnvironment UnderstudydProcess::environment() const {
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("UNDERSTUDY_ADMIN_TOKEN"), QString::fromLatin1(kAdminToken));
    environment.insert(QStringLiteral("QT_LOGGING_RULES"),
                       QStringLiteral("understudy.api.info=false"));
    environment.insert(extra_environment_);
    return environment;
}

// The service says "listening on" once its socket is open; requests sent from then on wait in
// the socket's backlog until it serves them.
bool UnderstudydProcess::waitUntilListening() {
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < kListenMs) {
        // Not waitForReadyRead: with a log file there is no channel to wait on, and it would
        // return at once.
        process_.waitForFinished(100);
        if (output().contains("listening on")) {
            return true;
        }
        if (process_.state() == QProcess::NotRunning) {
            return false;
        }
    }
    return false;
}

int UnderstudydProcess::terminate(int timeout_ms) {
    if (process_.state() == QProcess::NotRunning) {
        return process_.exitCode();
    }
    process_.terminate();
    if (!process_.waitForFinished(timeout_ms)) {
        return -1;
    }
    output();
    return process_.exitStatus() == QProcess::NormalExit ? process_.exitCode() : -1;
}

void UnderstudydProcess::stop() {
    if (process_.state() != QProcess::NotRunning && terminate(kStopMs) == -1) {
        kill();
    }
}

void UnderstudydProcess::kill() {
    if (process_.state() != QProcess::NotRunning) {
        process_.kill();
        process_.waitForFinished(kStopMs);
    }
}

QByteArray UnderstudydProcess::output() {
    if (log_file_.isEmpty()) {
        output_ += process_.readAll();
        return output_;
    }
    QFile log(log_file_);
    return log.open(QIODevice::ReadOnly) ? log.readAll() : QByteArray();
}

QUrl UnderstudydProcess::url(const QString& path) const {
    return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port_).arg(path));
}

}  // namespace understudy::testsupport

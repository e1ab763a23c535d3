// understudy-console online against a large service: 5,000 nodes (make_fleet.py, 5,000
// clusters, admission = warn on a test-driver host twice the fleet's appliance) and 1,000,000
// events (written into its database beside it). Prints: console start to
// the first full paint of the connected views; how long after a burst of 1,000 live events the
// console holds all of them and the refreshed fleet; and the longest the UI thread was busy
// (a 1 ms timer measures the largest gap between its ticks), with the slowest UI-thread events
// by receiver and event type. Runs offscreen; takes 3 to 15 minutes, mostly registering the
// fleet (longer when the machine is busy).
//   build/<dir>/bench/bench_console_online
#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSettings>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "gui/app/main_window.h"
#include "gui/online/dashboard_view.h"
#include "gui/online/event_log_view.h"
#include "gui/online/node_table_model.h"
#include "gui/online/nodes_view.h"
#include "gui/online/online_console.h"
#include "tests/support/ports.h"
#include "tests/support/test_driver_host.h"

namespace {

using understudy::gui::ConnectionState;
using understudy::gui::MainWindow;

const QByteArray kToken = "bench-console-admin-token-0123456789";
constexpr int kClusters = 5000;
constexpr qint64 kEvents = 1'000'000;

// Times every event the UI thread delivers, to name what held it when it stalled.
class TimedApplication : public QApplication {
public:
    using QApplication::QApplication;
    bool recording = false;
    struct Slow {
        qint64 ms;
        QByteArray what;
    };
    std::vector<Slow> slow;

    bool notify(QObject* receiver, QEvent* event) override {
        if (!recording) {
            return QApplication::notify(receiver, event);
        }
        QElapsedTimer took;
        took.start();
        const int type = event->type();
        const QByteArray receiverName = receiver->metaObject()->className();
        const bool delivered = QApplication::notify(receiver, event);
        const qint64 ms = took.elapsed();
        if (ms >= 15) {
            slow.push_back({ms, receiverName + " event " + QByteArray::number(type)});
        }
        return delivered;
    }
    void report(const char* when) {
        std::sort(slow.begin(), slow.end(),
                  [](const Slow& a, const Slow& b) { return a.ms > b.ms; });
        for (std::size_t index = 0; index < std::min<std::size_t>(8, slow.size()); ++index) {
            std::fprintf(stderr, "  slow UI-thread event %s: %lld ms in %s\n", when, slow[index].ms,
                         slow[index].what.constData());
        }
        slow.clear();
    }
};

struct Http {
    QNetworkAccessManager manager;
    quint16 port = 0;
    QByteArray body;
    int request(const QByteArray& method, const QString& path, const QByteArray& data = {}) {
        QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path)));
        request.setRawHeader("Authorization", "Bearer " + kToken);
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        // Registering 5,000 clusters takes minutes when the machine is busy.
        request.setTransferTimeout(900000);
        QNetworkReply* reply = manager.sendCustomRequest(request, method, data);
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        body = reply->readAll();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        reply->deleteLater();
        return status;
    }
};

bool run(QProcess& process, const QString& program, const QStringList& arguments,
         QByteArray* output = nullptr) {
    process.start(program, arguments);
    if (!process.waitForFinished(600000) || process.exitCode() != 0) {
        std::fprintf(stderr, "%s failed: %s\n", qPrintable(program),
                     process.readAllStandardError().constData());
        return false;
    }
    if (output != nullptr) {
        *output = process.readAllStandardOutput();
    }
    return true;
}

bool startService(QProcess& service, Http& http, const QString& config) {
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("understudy.*=false"));
    environment.insert(QStringLiteral("QT_NO_GLIB"), QStringLiteral("1"));
    service.setProcessEnvironment(environment);
    service.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    service.start(QStringLiteral(UNDERSTUDYD_PATH), {QStringLiteral("--config"), config});
    if (!service.waitForStarted()) {
        return false;
    }
    for (int tries = 0; tries < 1200; ++tries) {
        if (http.request("GET", QStringLiteral("/api/v1/health")) == 200) {
            return true;
        }
        QThread::msleep(100);
    }
    return false;
}

// What the service runs on: a test-driver host twice the fleet's appliance, the admin token and
// the config, in `dir`.
struct ServiceFiles {
    nlohmann::json fleet;
    QString database;
    QString config;
};

bool writeFile(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

std::optional<ServiceFiles> prepareService(const QTemporaryDir& dir, quint16 port) {
    QProcess maker;
    QByteArray fleetText;
    if (!run(maker, QStringLiteral("python3"),
             {QStringLiteral(UNDERSTUDY_MAKE_FLEET), QStringLiteral("--clusters"),
              QString::number(kClusters), QStringLiteral("--appliances"), QStringLiteral("1")},
             &fleetText)) {
        return std::nullopt;
    }
    ServiceFiles files;
    files.fleet = nlohmann::json::parse(fleetText.toStdString());
    const nlohmann::json appliance = files.fleet["appliances"][0];
    const QString host = dir.filePath(QStringLiteral("host.xml"));
    const QString tokenPath = dir.filePath(QStringLiteral("admin.token"));
    files.database = dir.filePath(QStringLiteral("bench.db"));
    files.config = dir.filePath(QStringLiteral("understudyd.conf"));
    const bool written =
        understudy::testsupport::writeTestDriverHost(host, 2 * appliance["vcpus"].get<int>(),
                                                     2 * appliance["memory_mib"].get<qint64>()) &&
        writeFile(tokenPath, kToken + "\n") &&
        QFile::setPermissions(tokenPath, QFileDevice::ReadOwner | QFileDevice::WriteOwner) &&
        writeFile(files.config,
                  QStringLiteral(
                      "[service]\nlisten = 127.0.0.1:%1\ndatabase = %2\nadmin_token_file = %3\n"
                      "max_body_bytes = 67108864\n\n[policy]\nadmission = warn\n\n"
                      "[appliance.pna-1]\nuri = test://%4\ncpu_overcommit = %5\n"
                      "domain_template = %6/appliance/data/passive-node.xml\n")
                      .arg(port)
                      .arg(files.database, tokenPath, host)
                      .arg(files.fleet["cpu_overcommit"].get<double>())
                      .arg(QStringLiteral(UNDERSTUDY_SOURCE_DIR))
                      .toUtf8());
    if (!written) {
        std::fprintf(stderr, "cannot write the service's files in %s\n", qPrintable(dir.path()));
        return std::nullopt;
    }
    return files;
}

// The fleet registered through the API, then a million takeover/release events over the last
// days on the fleet's own nodes, written straight into the running service's database
// (restarting it would lose the test driver's domains, which live only in its process).
bool fillService(Http& http, const ServiceFiles& files) {
    nlohmann::json body;
    body["groups"] = files.fleet["groups"];
    body["clusters"] = files.fleet["clusters"];
    QElapsedTimer clock;
    clock.start();
    if (http.request("POST", QStringLiteral("/api/v1/clusters"),
                     QByteArray::fromStdString(body.dump())) != 201) {
        std::fprintf(stderr, "registering the fleet: %s\n", http.body.left(300).constData());
        return false;
    }
    std::fprintf(stderr, "registered %d clusters in %lld ms\n", kClusters, clock.elapsed());
    const QString sql =
        QStringLiteral(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %1) "
            "INSERT INTO events (time, kind, cluster, node, details) "
            "SELECT %2 - (%1 - x) * 500, CASE x %% 3 WHEN 0 THEN 'takeover.requested' WHEN 1 "
            "THEN 'takeover.granted' ELSE 'release' END, cl.name, n.name, "
            "'{\"appliance\":\"pna-1\"}' FROM c JOIN nodes n ON n.id = 1 + ((x / 3) %% %3) "
            "JOIN clusters cl ON cl.id = n.cluster_id;")
            .arg(kEvents)
            .arg(QDateTime::currentMSecsSinceEpoch() - 60000)
            .arg(kClusters)
            .replace(QStringLiteral("%%"), QStringLiteral("%"));
    QProcess sqlite;
    clock.restart();
    if (!run(sqlite, QStringLiteral("sqlite3"),
             {QStringLiteral("-cmd"), QStringLiteral(".timeout 60000"), files.database, sql})) {
        return false;
    }
    std::fprintf(stderr, "wrote %lld events in %lld ms\n", kEvents, clock.elapsed());
    return true;
}

bool waitFor(const std::function<bool()>& done, int timeoutMs) {
    QElapsedTimer waited;
    waited.start();
    while (!done() && waited.elapsed() < timeoutMs) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    return done();
}

// The UI thread's longest busy stretch, measured by a 1 ms timer's largest gap.
class StallMeter {
public:
    StallMeter() {
        tick_.setInterval(1);
        QObject::connect(&tick_, &QTimer::timeout,
                         [this] { worst_ = std::max(worst_, gap_.restart()); });
    }
    void start() {
        worst_ = 0;
        gap_.start();
        tick_.start();
    }
    void restart() {
        worst_ = 0;
        gap_.restart();
    }
    qint64 worst() const { return worst_; }

private:
    qint64 worst_ = 0;
    QElapsedTimer gap_;
    QTimer tick_;
};

// Console start (`clock`, started before the window was made) to the first full paint of the
// connected views.
bool measureConnect(TimedApplication& application, MainWindow& window, StallMeter& stalls,
                    quint16 port, const QElapsedTimer& clock) {
    window.resize(1600, 1000);
    window.show();
    auto* online = window.online();
    stalls.start();
    application.recording = true;
    online->connectTo(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)), kToken, false);
    if (!waitFor(
            [&] {
                return online->connection()->state() == ConnectionState::connected &&
                       online->nodes()->model()->rowCount() == kClusters;
            },
            120000)) {
        std::fprintf(stderr, "the console did not connect: %s\n",
                     qPrintable(online->connection()->stateText()));
        return false;
    }
    for (QWidget* view :
         {static_cast<QWidget*>(online->dashboard()), static_cast<QWidget*>(online->nodes()),
          static_cast<QWidget*>(online->events())}) {
        window.views()->setCurrentWidget(view);
        window.repaint();
    }
    std::printf(
        "console start to first full paint (5,000 nodes, %lld events in the service, "
        "%zu loaded): %lld ms; longest UI-thread stall meanwhile: %lld ms\n",
        kEvents, online->connection()->events().size(), clock.elapsed(), stalls.worst());
    std::fflush(stdout);
    application.report("while connecting");
    return true;
}

// A burst of 1,000 live events: takeovers and releases as fast as the service takes them, from
// another thread with its own connection; the console must hold them all and the refreshed fleet.
void measureBurst(TimedApplication& application, MainWindow& window, StallMeter& stalls,
                  quint16 port) {
    auto* online = window.online();
    stalls.restart();
    const qint64 before = online->connection()->lastEventId();
    std::vector<QString> nodes;
    for (const auto& node : online->connection()->fleet().nodes) {
        nodes.push_back(node.name);
    }
    qint64 lastId = 0;
    qint64 burstMs = 0;
    QThread* burst = QThread::create([&] {
        Http client;
        client.port = port;
        QElapsedTimer took;
        took.start();
        std::size_t next = 0;
        qint64 id = before;
        while (id - before < 1000) {
            const QString node = nodes[next++ % nodes.size()];
            client.request("POST", QStringLiteral("/api/v1/nodes/%1/takeover").arg(node), "{}");
            client.request("POST", QStringLiteral("/api/v1/nodes/%1/release").arg(node), "{}");
            client.request("GET", QStringLiteral("/api/v1/events?since=%1&limit=1000").arg(id));
            id = nlohmann::json::parse(client.body.toStdString())["next"].get<qint64>();
            if (client.body.contains("\"events\":[]")) {
                break;
            }
        }
        lastId = id;
        burstMs = took.elapsed();
    });
    bool refreshedAfter = false;
    QObject::connect(online->connection(), &understudy::gui::ServiceConnection::fleetChanged,
                     &window, [&] {
                         if (lastId != 0 && online->connection()->lastEventId() >= lastId) {
                             refreshedAfter = true;
                         }
                     });
    burst->start();
    waitFor([&] { return burst->isFinished(); }, 300000);
    QElapsedTimer sinceDone;
    sinceDone.start();
    waitFor([&] { return online->connection()->lastEventId() >= lastId && refreshedAfter; }, 60000);
    std::printf(
        "burst of %lld live events (%lld ms on the service): all in the console and the "
        "fleet refreshed %lld ms after the last; longest UI-thread stall during the "
        "burst: %lld ms\n",
        lastId - before, burstMs, sinceDone.elapsed(), stalls.worst());
    std::fflush(stdout);
    application.report("during the burst");
    burst->wait();
    delete burst;
}

}  // namespace

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    qputenv("UNDERSTUDY_CONSOLE_NO_KEYRING", "1");
    qputenv("QT_LOGGING_RULES", "understudy.*.info=false");
    TimedApplication application(argc, argv);
    QTemporaryDir dir;
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.path());
    Http http;
    http.port = understudy::testsupport::freePort();
    const auto files = prepareService(dir, http.port);
    if (!files) {
        return 1;
    }
    QProcess service;
    if (!startService(service, http, files->config)) {
        std::fprintf(stderr, "understudyd did not start\n");
        return 1;
    }
    if (!fillService(http, *files)) {
        return 1;
    }
    StallMeter stalls;
    QElapsedTimer sinceStart;
    sinceStart.start();
    MainWindow window;
    if (!measureConnect(application, window, stalls, http.port, sinceStart)) {
        return 1;
    }
    measureBurst(application, window, stalls, http.port);
    window.online()->connection()->disconnectFromService();
    service.terminate();
    service.waitForFinished(60000);
    return 0;
}

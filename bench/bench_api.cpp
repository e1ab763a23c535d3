// understudyd's API under load: requests per second for GET /api/v1/appliances and for
// takeover/release pairs, against a real service holding 1,000 nodes (make_fleet.py's standard
// fleet, 1,000 clusters, on a test-driver host twice the fleet's appliance), and the service's
// resident memory from /proc/PID/status. Sequential requests on one keep-alive connection.
#include <benchmark/benchmark.h>

#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "tests/support/ports.h"
#include "tests/support/test_driver_host.h"

namespace {

const QByteArray kToken = "bench-admin-token-0123456789abcdef";

struct Service {
    QTemporaryDir dir;
    QProcess process;
    quint16 port = 0;
    QNetworkAccessManager manager;
    std::vector<QString> nodes;

    int request(const QByteArray& method, const QString& path, const QByteArray& body = {}) {
        QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path)));
        request.setRawHeader("Authorization", "Bearer " + kToken);
        QNetworkReply* reply = manager.sendCustomRequest(request, method, body);
        QEventLoop loop;
        QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        last_body = reply->readAll();
        reply->deleteLater();
        return status;
    }
    QByteArray last_body;

    long rssKib() const {
        QFile status(QStringLiteral("/proc/%1/status").arg(process.processId()));
        if (!status.open(QIODevice::ReadOnly)) {
            return -1;
        }
        for (const QByteArray& line : status.readAll().split('\n')) {
            if (line.startsWith("VmRSS:")) {
                return line.mid(6).trimmed().split(' ').front().toLong();
            }
        }
        return -1;
    }
};

Service* service = nullptr;

bool startService() {
    auto made = std::make_unique<Service>();
    QProcess fleet_maker;
    fleet_maker.start(QStringLiteral("python3"),
                      {QStringLiteral(UNDERSTUDY_MAKE_FLEET), QStringLiteral("--clusters"),
                       QStringLiteral("1000")});
    if (!fleet_maker.waitForFinished(60000) || fleet_maker.exitCode() != 0) {
        std::fprintf(stderr, "make_fleet.py failed\n");
        return false;
    }
    nlohmann::json fleet = nlohmann::json::parse(fleet_maker.readAllStandardOutput().toStdString());
    const nlohmann::json appliance = fleet["appliances"][0];
    const QString host = made->dir.filePath(QStringLiteral("host.xml"));
    if (!understudy::testsupport::writeTestDriverHost(host, 2 * appliance["vcpus"].get<int>(),
                                                      2 * appliance["memory_mib"].get<qint64>())) {
        return false;
    }
    const QString token_path = made->dir.filePath(QStringLiteral("admin.token"));
    QFile token(token_path);
    if (!token.open(QIODevice::WriteOnly)) {
        return false;
    }
    token.write(kToken + "\n");
    token.close();
    token.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    made->port = understudy::testsupport::freePort();
    const QString config = made->dir.filePath(QStringLiteral("understudyd.conf"));
    QFile config_file(config);
    if (!config_file.open(QIODevice::WriteOnly)) {
        return false;
    }
    config_file.write(
        QStringLiteral(
            "[service]\nlisten = 127.0.0.1:%1\ndatabase = %2/bench.db\n"
            "admin_token_file = %3\nmax_body_bytes = 67108864\n\n[policy]\n"
            "admission = warn\n\n[appliance.pna-1]\nuri = test://%4\n"
            "cpu_overcommit = %5\ndomain_template = %6/appliance/data/passive-node.xml\n")
            .arg(made->port)
            .arg(made->dir.path(), token_path, host)
            .arg(fleet["cpu_overcommit"].get<double>())
            .arg(QStringLiteral(UNDERSTUDY_SOURCE_DIR))
            .toUtf8());
    config_file.close();
    made->process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_LOGGING_RULES"),
                       QStringLiteral("understudy.api.info=false"));
    made->process.setProcessEnvironment(environment);
    made->process.start(QStringLiteral(UNDERSTUDYD_PATH), {QStringLiteral("--config"), config});
    if (!made->process.waitForStarted()) {
        return false;
    }
    for (int tries = 0;
         tries < 300 && made->request("GET", QStringLiteral("/api/v1/health")) != 200; ++tries) {
        QThread::msleep(100);
    }
    nlohmann::json body;
    body["groups"] = fleet["groups"];
    body["clusters"] = fleet["clusters"];
    const int status = made->request("POST", QStringLiteral("/api/v1/clusters"),
                                     QByteArray::fromStdString(body.dump()));
    if (status != 201) {
        std::fprintf(stderr, "registering the fleet: %d %s\n", status,
                     made->last_body.left(400).constData());
        return false;
    }
    const nlohmann::json registered = nlohmann::json::parse(made->last_body.toStdString());
    for (const auto& cluster : registered["clusters"]) {
        made->nodes.push_back(QString::fromStdString(cluster["node"].get<std::string>()));
    }
    if (made->nodes.size() < 100) {
        return false;
    }
    std::fprintf(stderr, "service with %zu nodes, RSS %ld KiB\n", made->nodes.size(),
                 made->rssKib());
    service = made.release();
    return true;
}

void BM_GetAppliances(benchmark::State& state) {
    for (auto _ : state) {
        if (service->request("GET", QStringLiteral("/api/v1/appliances")) != 200) {
            state.SkipWithError("GET /api/v1/appliances failed");
            break;
        }
    }
    state.counters["requests_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["rss_mib"] = static_cast<double>(service->rssKib()) / 1024.0;
}
BENCHMARK(BM_GetAppliances)->UseRealTime()->MinTime(3.0);

void BM_TakeoverReleasePair(benchmark::State& state) {
    std::size_t next = 0;
    for (auto _ : state) {
        // Spread over the nodes, lowest index first: the small standard clusters always fit.
        const QString node = service->nodes[next++ % 100];
        if (service->request("POST", QStringLiteral("/api/v1/nodes/%1/takeover").arg(node)) !=
                200 ||
            service->request("POST", QStringLiteral("/api/v1/nodes/%1/release").arg(node)) != 200) {
            state.SkipWithError(service->last_body.left(200).constData());
            break;
        }
    }
    state.counters["pairs_per_s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["rss_mib"] = static_cast<double>(service->rssKib()) / 1024.0;
}
BENCHMARK(BM_TakeoverReleasePair)->UseRealTime()->MinTime(3.0);

}  // namespace

int main(int argc, char** argv) {
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication application(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (!startService()) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    service->process.terminate();
    service->process.waitForFinished(30000);
    delete service;
    return 0;
}

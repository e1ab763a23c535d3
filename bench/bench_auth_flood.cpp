// The cost of a wrong token (docs/benchmarks.md, "bench_auth_flood"): a real understudyd started on
// a database seeded with 10,000 clusters (UNDERSTUDY_AUTH_FLOOD_CLUSTERS overrides), four
// clients sending wrong tokens as fast as they can, and one good client measuring its latency
// alone and under each flood. Prints figures, asserts nothing.
//
// Two floods, since the service refuses an address after 20 failed authentications within 10 s
// (docs/http-api.md, "Errors", 429):
// - "lookup": each flooder moves to a new loopback source address every 19 requests, so every
//   request is looked up and answered 401. Run first with no good client, its rate bounds the
//   cost of a bad request: the API's thread serves them one at a time, so 1 / rate is what each
//   cost it, HTTP included.
// - "refused": each flooder keeps its address and is answered 429 once blocked.
// Clients are blocking sockets on threads of their own, keep-alive, one request at a time.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QCoreApplication>
#include <QFile>
#include <QTemporaryDir>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench/seeded_clusters.h"
#include "tests/support/ports.h"
#include "tests/support/test_driver_host.h"
#include "tests/support/understudyd_process.h"

namespace {

using Clock = std::chrono::steady_clock;
using understudy::testsupport::kAdminToken;

constexpr int kFlooders = 4;
constexpr int kRequestsPerAddress = 19;  // below the limit of 20 failures per address
constexpr int kGoodSamples = 3000;
constexpr char kAppliance[] = "pna-1";

// One keep-alive HTTP/1.1 connection from a chosen loopback address.
class Connection {
public:
    Connection(quint16 port, const std::string& from) : port_(port), from_(from) {}
    ~Connection() { close(); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void moveTo(const std::string& from) {
        close();
        from_ = from;
    }

    // The answer's status; 0 when the connection failed.
    int request(const std::string& bytes) {
        if (fd_ < 0 && !open()) {
            return 0;
        }
        if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(bytes.size())) {
            close();
            return 0;
        }
        std::string got;
        char buffer[8192];
        for (;;) {
            const std::size_t end = got.find("\r\n\r\n");
            if (end != std::string::npos) {
                const std::size_t length_at = got.find("Content-Length: ");
                const std::size_t length =
                    length_at == std::string::npos
                        ? 0
                        : std::strtoul(got.c_str() + length_at + 16, nullptr, 10);
                if (got.size() >= end + 4 + length) {
                    const int status = std::atoi(got.c_str() + 9);
                    if (got.find("Connection: close") != std::string::npos) {
                        close();
                    }
                    return status;
                }
            }
            const ssize_t read = ::recv(fd_, buffer, sizeof buffer, 0);
            if (read <= 0) {
                close();
                return 0;
            }
            got.append(buffer, static_cast<std::size_t>(read));
        }
    }

private:
    bool open() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in local{};
        local.sin_family = AF_INET;
        ::inet_pton(AF_INET, from_.c_str(), &local.sin_addr);
        sockaddr_in remote{};
        remote.sin_family = AF_INET;
        remote.sin_port = htons(port_);
        ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
            ::connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
            close();
            return false;
        }
        return true;
    }
    void close() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

    quint16 port_;
    std::string from_;
    int fd_ = -1;
};

std::string get(const std::string& target, const std::string& token) {
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
           "\r\n\r\n";
}

// 127.0.F.1 and on for flooder F, skipping .0 and .255.
std::string floodAddress(int flooder, long index) {
    const long host = index % (254L * 250L);
    return "127." + std::to_string(10 + flooder) + "." + std::to_string(1 + host / 254) + "." +
           std::to_string(1 + host % 254);
}

struct Flood {
    std::atomic<bool> stop{false};
    std::atomic<long> answered{0};
    std::atomic<long> unauthorized{0};
    std::atomic<long> refused{0};
    std::atomic<long> failed{0};
    std::vector<std::thread> threads;

    void start(quint16 port, bool rotate) {
        for (int f = 0; f < kFlooders; ++f) {
            threads.emplace_back([this, port, rotate, f] {
                long sent = 0;
                Connection connection(port, floodAddress(f, 0));
                const std::string wrong =
                    get("/api/v1/clusters", "wrong-token-" + std::to_string(f));
                while (!stop) {
                    if (rotate && sent % kRequestsPerAddress == 0) {
                        connection.moveTo(floodAddress(f, sent / kRequestsPerAddress));
                    }
                    const int status = connection.request(wrong);
                    ++sent;
                    ++answered;
                    (status == 401 ? unauthorized : status == 429 ? refused : failed)++;
                }
            });
        }
    }
    void finish() {
        stop = true;
        for (std::thread& thread : threads) {
            thread.join();
        }
    }
};

struct Latency {
    double p50_ms = 0;
    double p99_ms = 0;
    double seconds = 0;
    int failed = 0;
};

Latency measureGoodClient(quint16 port) {
    Connection connection(port, "127.0.0.1");
    const std::string good = get("/api/v1/health?check=full", kAdminToken);
    std::vector<double> samples;
    Latency latency;
    const auto began = Clock::now();
    for (int i = 0; i < kGoodSamples; ++i) {
        const auto start = Clock::now();
        if (connection.request(good) != 200) {
            ++latency.failed;
        }
        samples.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    latency.seconds = std::chrono::duration<double>(Clock::now() - began).count();
    std::sort(samples.begin(), samples.end());
    latency.p50_ms = samples[samples.size() / 2];
    latency.p99_ms = samples[samples.size() * 99 / 100];
    return latency;
}

void report(const char* what, const Latency& latency) {
    std::printf("%-28s good client p50 %.3f ms, p99 %.3f ms (%d samples, %d not 200)\n", what,
                latency.p50_ms, latency.p99_ms, kGoodSamples, latency.failed);
}

void runFlood(quint16 port, bool rotate, const Latency& alone) {
    Flood flood;
    flood.start(port, rotate);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const long before = flood.answered;
    const Latency under = measureGoodClient(port);
    const long during = flood.answered - before;
    flood.finish();
    const double rate = static_cast<double>(during) / under.seconds;
    const char* name = rotate ? "under the lookup flood" : "under the refused flood";
    report(name, under);
    std::printf(
        "%-28s %.0f bad requests/s (%ld answered 401, %ld 429, %ld failed); p99 %.2fx "
        "alone\n",
        "", rate, flood.unauthorized.load(), flood.refused.load(), flood.failed.load(),
        under.p99_ms / alone.p99_ms);
}

// The lookup flood with no good client sharing the API's thread, so 1 / rate bounds what each
// bad request cost it.
void floodAlone(quint16 port) {
    Flood flood;
    flood.start(port, true);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const long before = flood.answered;
    constexpr double kSeconds = 10;
    std::this_thread::sleep_for(std::chrono::duration<double>(kSeconds));
    const long during = flood.answered - before;
    flood.finish();
    const double rate = static_cast<double>(during) / kSeconds;
    std::printf(
        "%-28s %.0f bad requests/s (%ld answered 401, %ld failed): %.4f ms of the API's "
        "thread each at most\n",
        "lookup flood alone", rate, flood.unauthorized.load(), flood.failed.load(), 1000.0 / rate);
}

QString writeConfig(const QTemporaryDir& dir, quint16 port, int clusters) {
    const QString host = dir.filePath(QStringLiteral("host.xml"));
    const QString domain_template =
        QStringLiteral(UNDERSTUDY_SOURCE_DIR "/appliance/data/passive-node.xml");
    std::string error;
    const std::string domains =
        understudy::bench::seededDomains(domain_template.toStdString(), clusters, error);
    // Room for every seeded standby footprint, 16 vCPUs per CPU.
    const int cpus = clusters / 8 + 64;
    const qint64 memory_mib = clusters * understudy::bench::kSeededStandby.memoryMib + 16384;
    if (!error.empty()) {
        std::fprintf(stderr, "the seeded domains: %s\n", error.c_str());
        return {};
    }
    if (!understudy::testsupport::writeTestDriverHost(host, cpus, memory_mib,
                                                      QString::fromStdString(domains))) {
        return {};
    }
    understudy::testsupport::writeAdminTokenFile(dir.filePath(QStringLiteral("admin.token")));
    const QString path = dir.filePath(QStringLiteral("understudyd.conf"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return {};
    }
    file.write(QStringLiteral("[service]\nlisten = 127.0.0.1:%1\ndatabase = %2/flood.db\n"
                              "admin_token_file = %2/admin.token\n\n"
                              "[policy]\nadmission = warn\n\n[appliance.%3]\nuri = test://%4\n"
                              "cpu_overcommit = 16\ndomain_template = %5\n")
                   .arg(port)
                   .arg(dir.path(), QString::fromLatin1(kAppliance), host, domain_template)
                   .toUtf8());
    return path;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication application(argc, argv);
    // Each figure as it comes: the service takes a while to start on a large fleet.
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const char* given = std::getenv("UNDERSTUDY_AUTH_FLOOD_CLUSTERS");
    const int clusters = given != nullptr ? std::atoi(given) : 10000;
    if (clusters <= 0) {
        std::fprintf(stderr, "UNDERSTUDY_AUTH_FLOOD_CLUSTERS must be a positive count\n");
        return 2;
    }
    QTemporaryDir dir;
    const quint16 port = understudy::testsupport::freePort();
    const QString config = writeConfig(dir, port, clusters);
    const auto seeding = Clock::now();
    const std::string seeded = understudy::bench::seedClusters(
        dir.filePath(QStringLiteral("flood.db")).toStdString(), kAppliance,
        "test://" + dir.filePath(QStringLiteral("host.xml")).toStdString(), clusters);
    if (!seeded.empty()) {
        std::fprintf(stderr, "seeding the database: %s\n", seeded.c_str());
        return 1;
    }
    std::printf("%d clusters seeded in %.1f s\n", clusters,
                std::chrono::duration<double>(Clock::now() - seeding).count());
    understudy::testsupport::UnderstudydProcess service;
    service.setPort(port);
    // To a file: nothing here reads a pipe while the clients run, and a full one stalls it.
    service.setLogFile(dir.filePath(QStringLiteral("understudyd.log")));
    const auto starting = Clock::now();
    if (config.isEmpty() || !service.start({QStringLiteral("--config"), config})) {
        std::fprintf(stderr, "understudyd did not start: %s\n", service.output().constData());
        return 1;
    }
    std::printf("understudyd answering in %.1f s\n",
                std::chrono::duration<double>(Clock::now() - starting).count());
    floodAlone(port);
    const Latency alone = measureGoodClient(port);
    report("alone", alone);
    runFlood(port, true, alone);
    runFlood(port, false, alone);
    service.terminate();
    return 0;
}

// A bounded soak on loopback: 300 clusters on a test-driver appliance, a seeded random driver
// of 12 concurrent lanes taking over, releasing, registering and reading, and a SIGKILL of
// understudyd at a random moment every 6 to 15 s, restarted on the same database. After every
// restart: memory granted stays within the usable memory, the event log is gap-free, every
// acknowledged grant, release and registration is there, the database passes quick_check, and
// the database agrees with libvirt (every node standby or active at the footprint it should
// have, none missing, drifted or stuck in between; a preempted one is saved), and at the end,
// with every grant released, every preempted node is restored. The length is the CMake cache
// variable UNDERSTUDY_SOAK_SECONDS (CI: short); the seed is UNDERSTUDY_SOAK_SEED in the
// environment.
#include <QTest>

#include <map>
#include <memory>
#include <random>
#include <set>

#include "tests/e2e/service_process.h"

using namespace understudy::e2e;

namespace {

constexpr int kClusters = 300;
constexpr int kLanes = 12;
constexpr std::uint32_t kDefaultSeed = 20261126;
// What the soak's one test function needs beyond its length: the round running when the length
// ends (up to 15 s of load, a minute for the answers in flight, a restart of up to two and a
// half minutes and the checks) and the final release, with room to spare. tests/e2e/CMakeLists.txt
// gives CTest's timeout the same margin plus the setup.
constexpr int kWatchdogMarginSeconds = 420;
// How long a restart may take, beyond the launcher's own wait, before the soak fails.
constexpr qint64 kSlowStartMs = 120000;
// How many of a failing node's events its failure message shows.
constexpr std::ptrdiff_t kEventsShown = 12;

enum class Expect { standby, active, unknown };

struct Lane {
    std::unique_ptr<QNetworkAccessManager> manager;
};

// An answer the soak did not expect, and the node it was about (empty for none).
struct Failure {
    std::string node;
    std::string what;
};

}  // namespace

class SoakEndToEnd : public QObject {
    Q_OBJECT

public:
    SoakEndToEnd() {
        // QtTest aborts a test function after QTEST_FUNCTION_TIMEOUT ms (5 minutes unless
        // set), read when the first one starts: a soak longer than that needs a longer one.
        const qint64 needed = (qint64{UNDERSTUDY_SOAK_SECONDS} + kWatchdogMarginSeconds) * 1000;
        if (qEnvironmentVariableIntValue("QTEST_FUNCTION_TIMEOUT") < needed) {
            qputenv("QTEST_FUNCTION_TIMEOUT", QByteArray::number(needed));
        }
    }

private:
    QTemporaryDir dir_;
    std::unique_ptr<ServiceProcess> service_;
    QString config_;
    quint16 port_ = 0;
    std::mt19937 random_;
    std::vector<Lane> lanes_;
    std::vector<std::string> nodes_;
    std::map<std::string, Expect> expected_;
    std::set<std::string> busy_;
    std::set<std::string> registered_;        // acknowledged
    std::set<std::string> maybe_registered_;  // answer lost to a kill
    std::vector<Failure> failures_;
    bool stopping_ = false;
    int in_flight_ = 0;
    int next_cluster_ = 0;
    std::int64_t checked_events_ = 0;
    // Figures.
    int answered_ = 0;
    int lost_answers_ = 0;
    int kills_ = 0;
    int grants_ = 0;
    int releases_ = 0;
    int denials_ = 0;
    int refused_preempted_ = 0;
    int admissions_refused_ = 0;
    int preempted_seen_ = 0;
    int grants_verified_ = 0;

    int uniform(int low, int high) {
        return std::uniform_int_distribution<int>(low, high)(random_);
    }

    void send(Lane& lane, const QByteArray& method, const QString& path, const QByteArray& body,
              std::function<void(int, const json&)> done) {
        QNetworkRequest request(service_->url(path));
        request.setRawHeader("Authorization", QByteArray("Bearer ") + kAdminToken);
        request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        request.setTransferTimeout(60000);
        QNetworkReply* reply = lane.manager->sendCustomRequest(request, method, body);
        ++in_flight_;
        connect(reply, &QNetworkReply::finished, this,
                [this, reply, done, &lane, method, path, body] {
                    --in_flight_;
                    const int status =
                        reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                    const QByteArray received = reply->readAll();
                    const json answer = json::parse(received.toStdString(), nullptr, false);
                    const std::string mismatch = documentMismatch(
                        service_->port(), exchangeOf(method, path, body, *reply, received));
                    if (!mismatch.empty()) {
                        failures_.push_back({"", mismatch});
                    }
                    reply->deleteLater();
                    if (status == 0) {
                        ++lost_answers_;
                    } else {
                        ++answered_;
                    }
                    done(status, answer);
                    if (!stopping_) {
                        next(lane);
                    }
                });
    }

    void next(Lane& lane) {
        const int roll = uniform(0, 99);
        if (roll < 3) {
            const std::string name = "soak-new-" + std::to_string(next_cluster_++);
            const json cluster = {{"name", name},
                                  {"mtbf_hours", 87600},
                                  {"mttr_hours", 1},
                                  {"standby", {{"vcpus", 1}, {"memory_mib", 128}}},
                                  {"active", {{"vcpus", 1}, {"memory_mib", 256}}}};
            send(lane, "POST", QStringLiteral("/api/v1/clusters"),
                 QByteArray::fromStdString(cluster.dump()),
                 [this, name](int status, const json& answer) {
                     if (status == 201) {
                         registered_.insert(name);
                         nodes_.push_back(name + "-passive");
                         expected_[name + "-passive"] = Expect::standby;
                     } else if (status == 0) {
                         maybe_registered_.insert(name);
                     } else if (status == 409 && answer.value("error", "") == "admission_refused") {
                         ++admissions_refused_;
                     } else {
                         failures_.push_back(
                             {"", "register " + name + ": " + std::to_string(status)});
                     }
                 });
            return;
        }
        if (roll < 8) {
            send(lane, "GET", QStringLiteral("/api/v1/appliances"), {},
                 [this](int status, const json&) {
                     if (status != 200 && status != 0) {
                         failures_.push_back({"", "GET /appliances: " + std::to_string(status)});
                     }
                 });
            return;
        }
        std::string node;
        for (int tries = 0; tries < 20 && node.empty(); ++tries) {
            const std::string& candidate =
                nodes_[static_cast<std::size_t>(uniform(0, static_cast<int>(nodes_.size()) - 1))];
            if (busy_.count(candidate) == 0) {
                node = candidate;
            }
        }
        if (node.empty()) {
            QTimer::singleShot(10, this, [this, &lane] {
                if (!stopping_) {
                    next(lane);
                }
            });
            return;
        }
        busy_.insert(node);
        const bool release = expected_[node] == Expect::active;
        const QString path =
            QStringLiteral("/api/v1/nodes/%1/%2")
                .arg(QString::fromStdString(node),
                     release ? QStringLiteral("release") : QStringLiteral("takeover"));
        send(lane, "POST", path, "", [this, node, release](int status, const json& answer) {
            busy_.erase(node);
            if (status == 200) {
                expected_[node] = release ? Expect::standby : Expect::active;
                ++(release ? releases_ : grants_);
            } else if (status == 0) {
                expected_[node] = Expect::unknown;
            } else if (!release && status == 409 &&
                       answer.value("error", "") == "takeover_denied") {
                ++denials_;
            } else if (!release && status == 409 && answer.value("error", "") == "conflict" &&
                       answer.value("state", "") == "preempted") {
                ++refused_preempted_;
            } else {
                failures_.push_back({node, node + (release ? " release: " : " takeover: ") +
                                               std::to_string(status) + " " + answer.dump()});
            }
        });
    }

    bool startService() {
        service_->setPort(port_);
        if (service_->start({QStringLiteral("--config"), config_})) {
            return true;
        }
        // Each start defines again every node the test driver forgot with the killed process
        // (hundreds, more as the soak registers) before it listens; on a busy machine that
        // outlasts the launcher's 30 s, which is no failure of the service.
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < kSlowStartMs && service_->process().state() == QProcess::Running) {
            service_->process().waitForFinished(100);
            if (service_->output().contains("listening on")) {
                return true;
            }
        }
        return false;
    }

    json allPages(std::int64_t since, std::vector<json>& events) {
        for (;;) {
            const json page =
                service_->getJson(QStringLiteral("/api/v1/events?limit=1000&since=%1").arg(since));
            if (!page.contains("events") || page["events"].empty()) {
                return page;
            }
            for (const json& event : page["events"]) {
                events.push_back(event);
            }
            since = page["next"].get<std::int64_t>();
        }
    }

    // `what`, then the last events of `node`: read from the service only when a check about
    // the node has failed, so a passing soak never pays for it.
    std::string withLastEvents(const std::string& node, const std::string& what) {
        if (node.empty()) {
            return what;
        }
        std::vector<json> events;
        std::int64_t since = 0;
        for (;;) {
            const json page =
                service_->getJson(QStringLiteral("/api/v1/events?limit=1000&node=%1&since=%2")
                                      .arg(QString::fromStdString(node))
                                      .arg(since));
            if (!page.contains("events") || page["events"].empty()) {
                break;
            }
            events.insert(events.end(), page["events"].begin(), page["events"].end());
            if (std::ssize(events) > kEventsShown) {
                events.erase(events.begin(), events.end() - kEventsShown);
            }
            since = page["next"].get<std::int64_t>();
        }
        std::string text = what + "\nlast events of " + node + ":";
        for (const json& event : events) {
            text += "\n  " + event.dump();
        }
        return events.empty() ? text + " none (or the service does not answer)" : text;
    }

    void verifyInvariants() {
        // Memory granted within the usable memory, per appliance.
        const json appliances = service_->getJson(QStringLiteral("/api/v1/appliances"));
        QVERIFY(appliances.contains("appliances"));
        for (const json& appliance : appliances["appliances"]) {
            const json& memory = appliance["resources"]["memory_mib"];
            QVERIFY2(memory["foreign"].get<std::int64_t>() +
                             memory["standby_committed"].get<std::int64_t>() +
                             memory["granted"].get<std::int64_t>() <=
                         memory["capacity"].get<std::int64_t>(),
                     memory.dump().c_str());
        }
        // The event log: ids follow each other from where the last check ended.
        std::vector<json> events;
        const json last = allPages(checked_events_, events);
        QVERIFY2(!last.value("truncated", false), "events were dropped");
        for (const json& event : events) {
            QCOMPARE(event["id"].get<std::int64_t>(), checked_events_ + 1);
            ++checked_events_;
        }
        // Registrations: every acknowledged one is there; a lost answer is either.
        const json clusters = service_->getJson(QStringLiteral("/api/v1/clusters"));
        std::set<std::string> present;
        for (const json& cluster : clusters["clusters"]) {
            present.insert(cluster["name"].get<std::string>());
        }
        for (const std::string& name : registered_) {
            QVERIFY2(present.count(name) == 1, ("acknowledged registration lost: " + name).c_str());
        }
        for (const std::string& name : maybe_registered_) {
            if (present.count(name) == 1) {
                registered_.insert(name);
                nodes_.push_back(name + "-passive");
                expected_[name + "-passive"] = Expect::unknown;
            }
        }
        maybe_registered_.clear();
        // Nodes: the database and libvirt agree, and every acknowledged change holds.
        const json nodes = service_->getJson(QStringLiteral("/api/v1/nodes"));
        std::map<std::string, json> by_name;
        for (const json& node : nodes["nodes"]) {
            by_name[node["name"].get<std::string>()] = node;
        }
        for (const std::string& name : nodes_) {
            if (by_name.count(name) == 0) {
                QFAIL(withLastEvents(name, "node gone: " + name).c_str());
            }
            const json& node = by_name[name];
            const std::string state = node["state"].get<std::string>();
            const std::string what = name + ": " + node.dump();
            // Registrations fill the vCPUs with standby commitments, so higher-priority
            // takeovers legitimately preempt the lowest-priority standbys (saved, not running).
            if (state != "standby" && state != "active" && state != "preempted") {
                QFAIL(withLastEvents(name, "unexpected state: " + what).c_str());
            }
            const Expect expected = expected_[name];
            if (expected == Expect::active && state != "active") {
                QFAIL(withLastEvents(name, "acknowledged grant lost: " + what).c_str());
            }
            if (expected == Expect::standby && state == "active") {
                QFAIL(withLastEvents(name, "acknowledged release lost: " + what).c_str());
            }
            grants_verified_ += expected == Expect::active ? 1 : 0;
            expected_[name] = state == "active" ? Expect::active : Expect::standby;
            if (state == "preempted") {
                ++preempted_seen_;
                continue;
            }
            const json want = state == "active" ? json{{"vcpus", node["grant"]["vcpus"]},
                                                       {"memory_mib", node["grant"]["memory_mib"]}}
                                                : node["standby"];
            if (!node["current"].is_object() ||
                node["current"]["memory_mib"] != want["memory_mib"] ||
                node["current"]["vcpus"] != want["vcpus"]) {
                QFAIL(withLastEvents(name, "libvirt disagrees with the database: " + what).c_str());
            }
        }
        const json health = service_->getJson(QStringLiteral("/api/v1/health?check=full"));
        QCOMPARE(QString::fromStdString(health["database"].get<std::string>()),
                 QStringLiteral("ok"));
    }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        const QString host = writeHost(dir_.path(), 256, 1 << 20);
        service_ = std::make_unique<ServiceProcess>(dir_.filePath(QStringLiteral("unused")));
        port_ = freePort();
        config_ = writeConfig(dir_.path(), port_, host, 4.0);
        QVERIFY(!config_.isEmpty());
        QVERIFY2(startService(), service_->output().constData());
        json fleet;
        fleet["clusters"] = json::array();
        for (int i = 0; i < kClusters; ++i) {
            fleet["clusters"].push_back({{"name", "soak-" + std::to_string(i)},
                                         {"priority", i % 1001},
                                         {"mtbf_hours", 8760},
                                         {"mttr_hours", 4},
                                         {"standby", {{"vcpus", 1}, {"memory_mib", 256}}},
                                         {"active", {{"vcpus", 2}, {"memory_mib", 1024}}}});
        }
        const Reply registered = service_->post(QStringLiteral("/api/v1/clusters"),
                                                QByteArray::fromStdString(fleet.dump()));
        QVERIFY2(registered.status == 201, registered.body.left(500).constData());
        const json answer = registered.document();
        for (const json& cluster : answer["clusters"]) {
            const std::string node = cluster["node"].get<std::string>();
            nodes_.push_back(node);
            expected_[node] = Expect::standby;
        }
        QVERIFY2(static_cast<int>(nodes_.size()) == kClusters,
                 registered.body.left(300).constData());
        for (int i = 0; i < kLanes; ++i) {
            lanes_.push_back(Lane{std::make_unique<QNetworkAccessManager>()});
        }
    }
    void cleanupTestCase() {
        if (service_) {
            QCOMPARE(service_->terminate(), 0);
        }
    }

    void surviveSigkillsWithTheInvariantsIntact() {
        const std::uint32_t seed =
            qEnvironmentVariableIsSet("UNDERSTUDY_SOAK_SEED")
                ? static_cast<std::uint32_t>(qEnvironmentVariable("UNDERSTUDY_SOAK_SEED").toUInt())
                : kDefaultSeed;
        random_.seed(seed);
        const qint64 budget_ms = qint64{UNDERSTUDY_SOAK_SECONDS} * 1000;
        qInfo(
            "soak: %d clusters, %d lanes, %lld s, seed %u (UNDERSTUDY_SOAK_SEED replays it), "
            "QtTest's watchdog at %d s",
            kClusters, kLanes, static_cast<long long>(budget_ms / 1000), seed,
            qEnvironmentVariableIntValue("QTEST_FUNCTION_TIMEOUT") / 1000);
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < budget_ms) {
            stopping_ = false;
            for (Lane& lane : lanes_) {
                next(lane);
            }
            QTest::qWait(uniform(6000, 15000));
            // SIGKILL with requests in flight, then let every lane see its answer or its loss.
            service_->kill();
            ++kills_;
            stopping_ = true;
            QTRY_VERIFY_WITH_TIMEOUT(in_flight_ == 0, 60000);
            busy_.clear();
            QVERIFY2(startService(), service_->output().right(3000).constData());
            verifyInvariants();
            if (QTest::currentTestFailed()) {
                return;
            }
            if (!failures_.empty()) {
                QFAIL(withLastEvents(failures_.front().node, failures_.front().what).c_str());
            }
            qInfo(
                "after kill %d: %d answers, %d lost to kills, %d grants, %d releases, %d "
                "denials, %d takeovers refused while preempted, %d nodes preempted at the check, "
                "%d registrations refused by admission, %lld events gap-free",
                kills_, answered_, lost_answers_, grants_, releases_, denials_, refused_preempted_,
                preempted_seen_, admissions_refused_, static_cast<long long>(checked_events_));
            preempted_seen_ = 0;
        }
        // Capacity returns once every grant is released: every preempted node comes back.
        QElapsedTimer phase;
        phase.start();
        int released_count = 0;
        const json before_release = service_->getJson(QStringLiteral("/api/v1/nodes"));
        for (const json& node : before_release["nodes"]) {
            if (node["state"] == "active") {
                const QString name = QString::fromStdString(node["name"].get<std::string>());
                const Reply released =
                    service_->post(QStringLiteral("/api/v1/nodes/%1/release").arg(name));
                QVERIFY2(released.status == 200, released.body.constData());
                ++released_count;
            }
        }
        const auto states = [this] {
            const json nodes = service_->getJson(QStringLiteral("/api/v1/nodes"));
            std::map<std::string, int> count;
            for (const json& node : nodes["nodes"]) {
                ++count[node["state"].get<std::string>()];
            }
            return json(count).dump();
        };
        const std::string all_standby =
            json(std::map<std::string, int>{{"standby", static_cast<int>(nodes_.size())}}).dump();
        QTRY_COMPARE_WITH_TIMEOUT(states(), all_standby, 60000);
        qInfo("released the %d grants left; every node standby again after %lld ms", released_count,
              static_cast<long long>(phase.elapsed()));
        qInfo(
            "soak done: %d SIGKILLs, %d requests answered, %d answers lost to kills, %d grants "
            "and %d releases acknowledged, %d acknowledged grants found active after restarts, "
            "%zu registrations acknowledged, %lld events gap-free, data lost: 0",
            kills_, answered_, lost_answers_, grants_, releases_, grants_verified_,
            registered_.size(), static_cast<long long>(checked_events_));
        QVERIFY(kills_ >= 2);
        QVERIFY(grants_ > 0 && releases_ > 0);
    }
};

QTEST_GUILESS_MAIN(SoakEndToEnd)
#include "test_e2e_soak.moc"

// understudyd's life as a process, end to end: health probes whose results are stored and
// survive a restart (with probe.failed / probe.recovered on transitions only), SIGHUP reloading
// what is safe and refusing a broken file whole, and SIGTERM draining (new connections refused
// at once while the requests in flight are answered).
#include <QElapsedTimer>
#include <QFile>
#include <QTcpSocket>
#include <QTest>
#include <csignal>
#include <optional>

#include "db/cluster_repository.h"
#include "db/database.h"
#include "db/event_log.h"
#include "tests/e2e/service_process.h"
#include "tests/support/result_checks.h"

using namespace understudy::e2e;

namespace {

bool writeText(const QString& path, const QByteArray& text) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return false;
    }
    return file.write(text) == text.size();
}

// A demo service (`--demo --config FILE`): the demo appliance and sample fleet, with the file's
// [service], [policy] and probe sections.
class DemoWithConfig {
public:
    explicit DemoWithConfig(const QTemporaryDir& dir)
        : dir_(dir),
          config_(dir.filePath(QStringLiteral("understudyd.conf"))),
          port_(freePort()),
          service_(dir.filePath(QStringLiteral("lifecycle.db"))) {
        service_.setPort(port_);
    }

    // `sections` follow a [service] section with the listen address and `service_lines`.
    bool writeConfig(const QByteArray& sections, const QByteArray& service_lines = {}) {
        return writeText(config_, "[service]\nlisten = 127.0.0.1:" + QByteArray::number(port_) +
                                      "\n" + service_lines + "\n" + sections);
    }
    bool start() {
        return service_.start({QStringLiteral("--demo"), QStringLiteral("--config"), config_,
                               QStringLiteral("--database"),
                               dir_.filePath(QStringLiteral("lifecycle.db"))});
    }
    ServiceProcess& service() { return service_; }
    void signal(int number) { ::kill(static_cast<pid_t>(service_.pid()), number); }

private:
    const QTemporaryDir& dir_;
    QString config_;
    quint16 port_;
    ServiceProcess service_;
};

json lastProbe(ServiceProcess& service, const QString& cluster) {
    return service.getJson(QStringLiteral("/api/v1/clusters/%1/stats").arg(cluster))["last_probe"];
}

json probeEvents(ServiceProcess& service, const QString& cluster) {
    return service.getJson(
        QStringLiteral("/api/v1/events?kind=probe.&cluster=%1&limit=1000").arg(cluster))["events"];
}

std::vector<std::string> kinds(const json& events) {
    std::vector<std::string> made;
    for (const json& event : events) {
        made.push_back(event["kind"].get<std::string>());
    }
    return made;
}

std::int64_t lastEventId(ServiceProcess& service) {
    std::int64_t next = 0;
    for (;;) {
        const json page =
            service.getJson(QStringLiteral("/api/v1/events?limit=1000&since=%1").arg(next));
        if (page["events"].empty()) {
            return next;
        }
        next = page["next"].get<std::int64_t>();
    }
}

// An HTTP answer read off a raw socket: status line, headers, Content-Length body.
struct RawAnswer {
    int status = 0;
    QByteArray head;
    QByteArray body;
};

std::optional<RawAnswer> readAnswer(QTcpSocket& socket) {
    QByteArray buffer;
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 30000) {
        socket.waitForReadyRead(100);
        buffer += socket.readAll();
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0) {
            continue;
        }
        RawAnswer answer;
        answer.head = buffer.left(end);
        answer.status = answer.head.split(' ').value(1).toInt();
        qsizetype length = 0;
        for (const QByteArray& line : answer.head.split('\n')) {
            if (line.toLower().startsWith("content-length:")) {
                length = line.mid(15).trimmed().toLongLong();
            }
        }
        if (buffer.size() >= end + 4 + length) {
            answer.body = buffer.mid(end + 4, length);
            return answer;
        }
    }
    return std::nullopt;
}

// The peak resident memory of a process (VmHWM), in bytes; 0 when unknown.
qint64 peakRss(qint64 pid) {
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly)) {
        return 0;
    }
    for (const QByteArray& line : status.readAll().split('\n')) {
        if (line.startsWith("VmHWM:")) {
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
        }
    }
    return 0;
}

}  // namespace

class LifecycleEndToEnd : public QObject {
    Q_OBJECT

private slots:
    void probeResultsAreStoredAndSurviveARestart() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString status = dir.filePath(QStringLiteral("status"));
        const QString script = dir.filePath(QStringLiteral("probe.sh"));
        QVERIFY(writeText(status, "1"));
        QVERIFY(writeText(
            script, "s=$(cat '" + status.toUtf8() + "')\necho \"bmc says $s\"\nexit \"$s\"\n"));
        const QByteArray probe = "[probe.erp]\ncommand = /bin/sh " + script.toUtf8() +
                                 "\ninterval_s = 2\ntimeout_s = 1\n";
        DemoWithConfig demo(dir);
        json failed;
        {
            QVERIFY(demo.writeConfig(probe));
            QVERIFY2(demo.start(), demo.service().output().constData());
            QTRY_VERIFY_WITH_TIMEOUT(lastProbe(demo.service(), "erp").is_object(), 15000);
            failed = lastProbe(demo.service(), "erp");
            JCOMPARE(failed["ok"], false);
            JCOMPARE(failed["output"], "bmc says 1\n");
            // A cluster without a probe has no result.
            JCOMPARE(lastProbe(demo.service(), "crm"), nullptr);
            // Failing again is no news: one probe.failed for the first failure only.
            const std::string first = failed["time"].get<std::string>();
            QTRY_VERIFY_WITH_TIMEOUT(lastProbe(demo.service(), "erp")["time"] != first, 15000);
            failed = lastProbe(demo.service(), "erp");
            const json events = probeEvents(demo.service(), "erp");
            JCOMPARE(kinds(events), std::vector<std::string>{"probe.failed"});
            JCOMPARE(events[0]["details"]["exit_code"], 1);
            JCOMPARE(events[0]["details"]["output"], "bmc says 1\n");
            QCOMPARE(demo.service().terminate(), 0);
        }
        {
            // Without the probe, the result shown can only come from the database.
            QVERIFY(demo.writeConfig(""));
            QVERIFY2(demo.start(), demo.service().output().constData());
            JCOMPARE(lastProbe(demo.service(), "erp"), failed);
            QCOMPARE(demo.service().terminate(), 0);
        }
        {
            // Still failing after the restart: the stored state says so, no second probe.failed.
            QVERIFY(demo.writeConfig(probe));
            QVERIFY2(demo.start(), demo.service().output().constData());
            QTRY_VERIFY_WITH_TIMEOUT(lastProbe(demo.service(), "erp")["time"] != failed["time"],
                                     15000);
            JCOMPARE(lastProbe(demo.service(), "erp")["ok"], false);
            JCOMPARE(kinds(probeEvents(demo.service(), "erp")),
                     std::vector<std::string>{"probe.failed"});
            // It recovers: one probe.recovered, and further successes are no news.
            QVERIFY(writeText(status, "0"));
            QTRY_VERIFY_WITH_TIMEOUT(lastProbe(demo.service(), "erp")["ok"] == true, 15000);
            const json recovered = lastProbe(demo.service(), "erp");
            JCOMPARE(recovered["output"], "bmc says 0\n");
            QTRY_VERIFY_WITH_TIMEOUT(lastProbe(demo.service(), "erp")["time"] != recovered["time"],
                                     15000);
            JCOMPARE(lastProbe(demo.service(), "erp")["ok"], true);
            JCOMPARE(kinds(probeEvents(demo.service(), "erp")),
                     (std::vector<std::string>{"probe.failed", "probe.recovered"}));
            QCOMPARE(demo.service().terminate(), 0);
        }
    }

    void sighupReloadsThePolicyAndABrokenFileChangesNothing() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        DemoWithConfig demo(dir);
        ServiceProcess& service = demo.service();
        QVERIFY(demo.writeConfig("[policy]\nadmission = enforce\n"));
        QVERIFY2(demo.start(), service.output().constData());
        // Beyond the demo appliance's risk target.
        const auto huge = [](const QString& name) {
            return QStringLiteral(
                       "{\"name\": \"%1\", \"mtbf_hours\": 100, \"mttr_hours\": 100, "
                       "\"standby\": {\"vcpus\": 1, \"memory_mib\": 512}, "
                       "\"active\": {\"vcpus\": 60, \"memory_mib\": 250000}}")
                .arg(name)
                .toUtf8();
        };
        const Reply refused = service.post(QStringLiteral("/api/v1/clusters"), huge("huge1"));
        QCOMPARE(refused.status, 409);
        QCOMPARE(refused.error(), std::string("admission_refused"));

        // admission = warn, and a [service] change that needs a restart.
        QVERIFY(demo.writeConfig("[policy]\nadmission = warn\n", "max_body_bytes = 2048\n"));
        demo.signal(SIGHUP);
        QTRY_VERIFY_WITH_TIMEOUT(service.output().contains("configuration reloaded"), 15000);
        QVERIFY2(service.output().contains("[policy] reloaded: target_risk = 0.0001, admission = "
                                           "warn"),
                 service.output().constData());
        QVERIFY2(service.output().contains("[service] max_body_bytes changed in the file but "
                                           "cannot change while the service runs"),
                 service.output().constData());
        // The running limit (1 MiB) still holds.
        const QByteArray padded = "{\"fail\": [\"erp\"]" + QByteArray(4096, ' ') + "}";
        QCOMPARE(service.post(QStringLiteral("/api/v1/sizing/what-if"), padded).status, 200);
        // The next registration is accepted with the warning.
        const Reply warned = service.post(QStringLiteral("/api/v1/clusters"), huge("huge1"));
        QVERIFY2(warned.status == 201, warned.body.constData());
        QVERIFY(!warned.document()["warnings"].empty());
        const json events = service.getJson(
            QStringLiteral("/api/v1/events?kind=admission.warned&limit=1000"))["events"];
        QCOMPARE(events.size(), 1u);
        JCOMPARE(events[0]["cluster"], "huge1");

        // A broken file is refused whole, naming its line; the running policy stays (warn),
        // and so does the rest of what the file would have changed (a probe).
        const qsizetype before = service.output().size();
        QVERIFY(
            demo.writeConfig("[probe.erp]\ncommand = /bin/false\ninterval_s = 2\n"
                             "timeout_s = 1\n\n[policy]\nadmission = strict\n"));
        demo.signal(SIGHUP);
        QTRY_VERIFY_WITH_TIMEOUT(service.output().mid(before).contains("reload refused"), 15000);
        const QByteArray refusal = service.output().mid(before);
        QVERIFY2(refusal.contains("understudyd.conf:10"), refusal.constData());
        QVERIFY2(refusal.contains("admission"), refusal.constData());
        QVERIFY(!refusal.contains("configuration reloaded"));
        const Reply still = service.post(QStringLiteral("/api/v1/clusters"), huge("huge2"));
        QVERIFY2(still.status == 201, still.body.constData());
        // The health check after the refusal proves the probe was never started: a probe
        // runs at once when configured, and its failure would be the cluster's last probe.
        QCOMPARE(service.get(QStringLiteral("/api/v1/health")).status, 200);
        JCOMPARE(lastProbe(service, "erp"), nullptr);
        QCOMPARE(service.terminate(), 0);
    }

    void aBackupOfALargeDatabaseIsStreamedAndComplete() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString database = dir.filePath(QStringLiteral("large.db"));
        {
            ServiceProcess first(database);
            QVERIFY2(first.start(), first.output().constData());
            QCOMPARE(first.terminate(), 0);
        }
        // 160 MiB of events, written while the service is stopped.
        constexpr int kBigEvents = 160;
        {
            auto writer = understudy::db::Database::openWriter(database.toStdString());
            QVERIFY_OK(writer);
            std::vector<understudy::db::DBEvent> events(kBigEvents);
            for (understudy::db::DBEvent& event : events) {
                event.time = understudy::db::nowMs();
                event.kind = "service.started";
                event.details = "{\"pad\": \"" + std::string(std::size_t{1} << 20, 'x') + "\"}";
            }
            QVERIFY(understudy::db::EventLog(**writer).append(events));
        }
        ServiceProcess service(database);
        QVERIFY2(service.start(), service.output().constData());
        const qint64 peak_before = peakRss(service.pid());
        QVERIFY(peak_before > 0);

        // Downloaded to a file a chunk at a time, so only the service's memory is measured.
        const QString copy = dir.filePath(QStringLiteral("copy.db"));
        QFile out(copy);
        QVERIFY(out.open(QIODevice::WriteOnly));
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, service.port());
        QVERIFY(socket.waitForConnected(10000));
        socket.write("GET /api/v1/backup HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                     QByteArray(kAdminToken) + "\r\nConnection: close\r\n\r\n");
        QByteArray head;
        qint64 length = -1;
        qint64 written = 0;
        QElapsedTimer clock;
        clock.start();
        while ((length < 0 || written < length) && clock.elapsed() < 120000) {
            socket.waitForReadyRead(1000);
            QByteArray bytes = socket.readAll();
            if (length < 0) {
                head += bytes;
                const qsizetype end = head.indexOf("\r\n\r\n");
                if (end < 0) {
                    continue;
                }
                bytes = head.mid(end + 4);
                head.truncate(end);
                QVERIFY2(head.startsWith("HTTP/1.1 200"), head.constData());
                QVERIFY(head.contains("Content-Type: application/vnd.sqlite3"));
                for (const QByteArray& line : head.split('\n')) {
                    if (line.toLower().startsWith("content-length:")) {
                        length = line.mid(15).trimmed().toLongLong();
                    }
                }
                QVERIFY(length > 0);
            }
            written += out.write(bytes);
        }
        out.close();
        QCOMPARE(written, length);
        QVERIFY(length > qint64{kBigEvents} << 20);
        // The service's peak memory grew by far less than the database it sent.
        const qint64 growth = peakRss(service.pid()) - peak_before;
        qInfo("backup of %lld KiB: the service's peak RSS grew by %lld KiB (from %lld KiB)",
              length >> 10, growth >> 10, peak_before >> 10);
        QVERIFY2(growth < length / 4, qPrintable(QStringLiteral("peak RSS grew by %1 KiB for a "
                                                                "%2 KiB backup")
                                                     .arg(growth >> 10)
                                                     .arg(length >> 10)));
        // No temporary copy is left beside the database.
        QCOMPARE(QDir(dir.path())
                     .entryList({QStringLiteral(".backup-*")}, QDir::AllEntries | QDir::Hidden),
                 QStringList());
        QCOMPARE(service.terminate(), 0);

        // The copy is a sound database with the data.
        auto reader = understudy::db::Database::openReader(copy.toStdString());
        QVERIFY_OK(reader);
        auto check = (*reader)->integrityCheck();
        QVERIFY(check && check->ok);
        auto clusters = understudy::db::ClusterRepository(**reader).list();
        QVERIFY(clusters);
        QCOMPARE(clusters->size(), std::size_t{10});
        auto latest = understudy::db::EventLog(**reader).latestId();
        QVERIFY(latest && latest->has_value());
        QVERIFY(**latest > kBigEvents);
    }

    void sigtermRefusesNewConnectionsAndFinishesTheRequestsInFlight() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        ServiceProcess service(dir.filePath(QStringLiteral("drain.db")));
        QVERIFY2(service.start(), service.output().constData());
        const std::int64_t last = lastEventId(service);
        // In flight at the signal: a what-if whose body is half sent, and a held long-poll.
        const QByteArray body = R"({"fail": ["erp", "crm"]})";
        QTcpSocket slow;
        slow.connectToHost(QHostAddress::LocalHost, service.port());
        QVERIFY(slow.waitForConnected(10000));
        slow.write(
            "POST /api/v1/sizing/what-if HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Authorization: Bearer " +
            QByteArray(kAdminToken) + "\r\nContent-Type: application/json\r\n" +
            "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body.left(10));
        QVERIFY(slow.waitForBytesWritten(10000));
        QTcpSocket poll;
        poll.connectToHost(QHostAddress::LocalHost, service.port());
        QVERIFY(poll.waitForConnected(10000));
        poll.write("GET /api/v1/events?since=" + QByteArray::number(last) +
                   "&wait=60 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                   QByteArray(kAdminToken) + "\r\n\r\n");
        QVERIFY(poll.waitForBytesWritten(10000));
        // The service has the long-poll once a request sent after it is answered.
        QCOMPARE(service.get(QStringLiteral("/api/v1/health")).status, 200);

        ::kill(static_cast<pid_t>(service.pid()), SIGTERM);
        // The long-poll is answered at once with what it has: nothing newer.
        const auto polled = readAnswer(poll);
        QVERIFY(polled);
        QCOMPARE(polled->status, 200);
        const json page = json::parse(polled->body.toStdString());
        JCOMPARE(page["events"], json::array());
        JCOMPARE(page["next"], last);
        // The listening socket is closed at once: a new connection is refused ...
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                QTcpSocket late;
                late.connectToHost(QHostAddress::LocalHost, service.port());
                late.waitForConnected(2000);
                return late.error() == QAbstractSocket::ConnectionRefusedError;
            }(),
            10000);
        QCOMPARE(service.process().state(), QProcess::Running);
        // ... while the request in flight is still read and answered, and only then does the
        // service stop, cleanly.
        slow.write(body.mid(10));
        QVERIFY(slow.waitForBytesWritten(10000));
        const auto answered = readAnswer(slow);
        QVERIFY(answered);
        QVERIFY2(answered->status == 200, answered->body.constData());
        QVERIFY(answered->head.toLower().contains("connection: close"));
        QCOMPARE(json::parse(answered->body.toStdString())["takeovers"].size(), 2u);
        QVERIFY(service.process().waitForFinished(30000));
        QCOMPARE(service.process().exitStatus(), QProcess::NormalExit);
        QCOMPARE(service.process().exitCode(), 0);
        const QByteArray output = service.output();
        QVERIFY2(output.contains("no new connections"), output.constData());
        QVERIFY2(output.contains("understudy.service: stopped") || output.endsWith("stopped\n"),
                 output.constData());

        // The database was closed cleanly: service.stopped is its last event.
        ServiceProcess again(dir.filePath(QStringLiteral("drain.db")));
        QVERIFY2(again.start(), again.output().constData());
        const json stopped =
            again.getJson(QStringLiteral("/api/v1/events?kind=service.&limit=1000"))["events"];
        QVERIFY(stopped.size() >= 3);
        JCOMPARE(stopped[stopped.size() - 2]["kind"], "service.stopped");
        JCOMPARE(stopped.back()["kind"], "service.started");
        QCOMPARE(again.terminate(), 0);
    }
};

QTEST_GUILESS_MAIN(LifecycleEndToEnd)
#include "test_e2e_lifecycle.moc"

// understudyd's life as a process, end to end: health probes whose results are stored and
// survive a restart (with probe.failed / probe.recovered on transitions only), SIGHUP reloading
// what is safe and refusing a broken file whole, and SIGTERM draining (new connections refused
// at once while the requests in flight are answered).
#include <QFile>
#include <QTcpSocket>
#include <QTest>
#include <csignal>

#include "tests/e2e/service_process.h"

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
          service_(dir.filePath(QStringLiteral("lifecycle.db"))) {}

    // `sections` follow a [service] section with the listen address.
    bool writeConfig(const QByteArray& sections) {
        return writeText(config_, "[service]\nlisten = 127.0.0.1:" + QByteArray::number(port_) +
                                      "\n\n" + sections);
    }
    bool start() {
        const bool started = service_.start({QStringLiteral("--demo"), QStringLiteral("--config"),
                                             config_, QStringLiteral("--database"),
                                             dir_.filePath(QStringLiteral("lifecycle.db"))});
        service_.setPort(port_);
        return started;
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
};

QTEST_GUILESS_MAIN(LifecycleEndToEnd)
#include "test_e2e_lifecycle.moc"

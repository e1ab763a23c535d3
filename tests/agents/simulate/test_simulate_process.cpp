// understudy-simulate as a program: bad input and an unreachable service give clear errors and
// the right exit codes; a model-only run reports shares that agree with the engine's risk; a
// run against a real `understudyd --demo` takes over and releases through understudyctl, its
// record agrees with the service's event log, and every node ends released.
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <map>

#include "sizing/engine.h"
#include "sizing/fleet_file.h"
#include "tests/agents/agent_fixture.h"
#include "tests/support/test_driver_host.h"

using namespace understudy::tests;

namespace {

constexpr int kRunLimitMs = 120000;

// A grouped fleet whose appliance overflows a few percent of the time.
constexpr char kBusyFleet[] = R"({
  "cpu_overcommit": 2.0,
  "appliances": [{"name": "pna-1", "vcpus": 22, "memory_mib": 200000,
                  "reserve_vcpus": 1, "reserve_memory_mib": 4096}],
  "groups": [{"name": "rack-a", "mtbf_hours": 600, "mttr_hours": 60}],
  "clusters": [
    {"name": "busy-erp", "mtbf_hours": 200, "mttr_hours": 30, "group": "rack-a",
     "standby": {"vcpus": 2, "memory_mib": 4096}, "active": {"vcpus": 16, "memory_mib": 65536}},
    {"name": "busy-crm", "mtbf_hours": 300, "mttr_hours": 40, "group": "rack-a",
     "standby": {"vcpus": 1, "memory_mib": 2048}, "active": {"vcpus": 8, "memory_mib": 32768}},
    {"name": "busy-billing", "mtbf_hours": 150, "mttr_hours": 20,
     "standby": {"vcpus": 2, "memory_mib": 4096}, "active": {"vcpus": 12, "memory_mib": 49152}},
    {"name": "busy-mail", "mtbf_hours": 250, "mttr_hours": 25, "memory_mode": "reserved",
     "standby": {"vcpus": 1, "memory_mib": 2048}, "active": {"vcpus": 4, "memory_mib": 16384}},
    {"name": "busy-web", "mtbf_hours": 120, "mttr_hours": 24,
     "standby": {"vcpus": 1, "memory_mib": 2048}, "active": {"vcpus": 8, "memory_mib": 24576}},
    {"name": "busy-dwh", "mtbf_hours": 400, "mttr_hours": 60, "group": "rack-a",
     "standby": {"vcpus": 2, "memory_mib": 8192}, "active": {"vcpus": 16, "memory_mib": 98304}}
  ]
})";

// Two small clusters the demo appliance admits beside its own fleet.
constexpr char kExtraFleet[] = R"({
  "groups": [{"name": "sim-rack", "mtbf_hours": 20000, "mttr_hours": 4}],
  "clusters": [
    {"name": "sim-a", "priority": 100, "mtbf_hours": 4000, "mttr_hours": 4, "group": "sim-rack",
     "standby": {"vcpus": 1, "memory_mib": 512}, "active": {"vcpus": 2, "memory_mib": 2048}},
    {"name": "sim-b", "priority": 200, "mtbf_hours": 3000, "mttr_hours": 6,
     "standby": {"vcpus": 1, "memory_mib": 512}, "active": {"vcpus": 2, "memory_mib": 1024}}
  ]
})";

// Six clusters on a 24-CPU, 128 GiB test-driver host that overflows a few percent of the
// time, registered under `admission = warn`: takeovers are denied and preempt for real.
constexpr char kContendedFleet[] = R"({
  "groups": [{"name": "rack-a", "mtbf_hours": 600, "mttr_hours": 60}],
  "clusters": [
    {"name": "erp", "priority": 900, "mtbf_hours": 200, "mttr_hours": 30, "group": "rack-a",
     "standby": {"vcpus": 2, "memory_mib": 4096}, "active": {"vcpus": 8, "memory_mib": 49152}},
    {"name": "crm", "priority": 800, "mtbf_hours": 300, "mttr_hours": 40, "group": "rack-a",
     "standby": {"vcpus": 1, "memory_mib": 2048}, "active": {"vcpus": 4, "memory_mib": 32768}},
    {"name": "billing", "priority": 950, "mtbf_hours": 150, "mttr_hours": 20,
     "standby": {"vcpus": 2, "memory_mib": 4096}, "active": {"vcpus": 6, "memory_mib": 40960}},
    {"name": "mail", "priority": 300, "mtbf_hours": 250, "mttr_hours": 25,
     "standby": {"vcpus": 1, "memory_mib": 2048}, "active": {"vcpus": 4, "memory_mib": 16384}},
    {"name": "web", "priority": 600, "mtbf_hours": 120, "mttr_hours": 24,
     "standby": {"vcpus": 1, "memory_mib": 2048}, "active": {"vcpus": 4, "memory_mib": 24576}},
    {"name": "dwh", "priority": 200, "mtbf_hours": 400, "mttr_hours": 60,
     "standby": {"vcpus": 2, "memory_mib": 8192}, "active": {"vcpus": 8, "memory_mib": 65536}}
  ]
})";

// A config for understudyd in `dir` listening on `port`: one appliance, a 24-CPU, 128 GiB
// test-driver host, with admission = warn; the admin token file is AgentService's.
QString writeContendedConfig(const QString& dir, quint16 port) {
    const QString host = dir + QStringLiteral("/host.xml");
    const QString config = dir + QStringLiteral("/understudyd.conf");
    if (!writeTestDriverHost(host, 24, 131072)) {
        return {};
    }
    writeFile(config,
              QStringLiteral("[service]\nlisten = 127.0.0.1:%1\ndatabase = %2/understudy.db\n"
                             "admin_token_file = %2/admin.token\n\n[policy]\nadmission = warn\n\n"
                             "[appliance.small]\nuri = test://%3\n"
                             "cpu_overcommit = 1.0\ndomain_template = %4\n"
                             "recreate_missing = true\n")
                  .arg(port)
                  .arg(dir, host, sourcePath(QStringLiteral("appliance/data/passive-node.xml")))
                  .toUtf8());
    return config;
}

// Counts of each event kind in a service's whole log, read through understudyctl.
std::map<QString, qint64> eventCounts(const AgentService& service) {
    std::map<QString, qint64> logged;
    qint64 since = 0;
    for (;;) {
        const Run page = service.admin({QStringLiteral("--json"), QStringLiteral("events"),
                                        QStringLiteral("--since"), QString::number(since)});
        if (page.exit_code != 0) {
            qWarning("reading the events failed: %s", qPrintable(page.describe()));
            return {};
        }
        const QJsonArray events = page.json().value(QStringLiteral("events")).toArray();
        if (events.isEmpty()) {
            return logged;
        }
        for (const QJsonValue e : events) {
            ++logged[e.toObject().value(QStringLiteral("kind")).toString()];
        }
        since = page.json().value(QStringLiteral("next")).toInteger();
    }
}

QProcessEnvironment bareEnvironment(const QString& home) {
    QProcessEnvironment env;
    env.insert(QStringLiteral("PATH"), qEnvironmentVariable("PATH"));
    env.insert(QStringLiteral("HOME"), home);
    return env;
}

Run simulate(const QStringList& arguments, const QProcessEnvironment& env,
             int limit_ms = kRunLimitMs) {
    return runProgram(QStringLiteral(UNDERSTUDY_SIMULATE), arguments, env, {}, limit_ms);
}

QString demoFleet() {
    return sourcePath(QStringLiteral("appliance/data/demo-fleet.json"));
}

bool agrees(const QJsonObject& share, double expected) {
    const double value = share.value(QStringLiteral("share")).toDouble(-1);
    const QJsonValue error = share.value(QStringLiteral("std_error"));
    return error.isDouble() && std::abs(value - expected) <= 4 * error.toDouble() + 1e-6;
}

}  // namespace

class TestSimulateProcess : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        writeFile(dir_.filePath(QStringLiteral("busy.json")), kBusyFleet);
        writeFile(dir_.filePath(QStringLiteral("extra.json")), kExtraFleet);
        writeFile(dir_.filePath(QStringLiteral("broken.json")),
                  R"({"clusters": [{"name": "a", "mtbf_hours": 10, "mttr_hours": -1,
                      "standby": {"vcpus": 1, "memory_mib": 1}, "active": {"vcpus": 1,
                      "memory_mib": 1}}]})");
        writeFile(dir_.filePath(QStringLiteral("wrong.token")), "not-the-admin-token\n");
        QVERIFY2(service_.start(), service_.output().constData());
    }

    void badInputGivesAClearErrorAndExitCode_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<int>("exit_code");
        QTest::addColumn<QString>("message");
        const QString busy = dir_.filePath(QStringLiteral("busy.json"));
        const QString token = dir_.filePath(QStringLiteral("wrong.token"));
        const QString unreachable = loopbackUrl(closedPort());

        QTest::newRow("no fleet file")
            << QStringList{QStringLiteral("--model-only"), QStringLiteral("--hours"),
                           QStringLiteral("10")}
            << 2 << QStringLiteral("no fleet file given");
        QTest::newRow("missing fleet file")
            << QStringList{QStringLiteral("--model-only"), QStringLiteral("--hours"),
                           QStringLiteral("10"), dir_.filePath(QStringLiteral("none.json"))}
            << 2 << QStringLiteral("none.json: cannot open the file");
        QTest::newRow("invalid fleet file")
            << QStringList{QStringLiteral("--model-only"), QStringLiteral("--hours"),
                           QStringLiteral("10"), dir_.filePath(QStringLiteral("broken.json"))}
            << 2 << QStringLiteral("clusters[0].mttr_hours");
        QTest::newRow("unknown option") << QStringList{QStringLiteral("--bogus"), busy} << 2
                                        << QStringLiteral("unknown option --bogus");
        QTest::newRow("hours not a number")
            << QStringList{QStringLiteral("--model-only"), QStringLiteral("--hours"),
                           QStringLiteral("abc"), busy}
            << 2 << QStringLiteral("--hours 'abc' is not a number of hours above 0");
        QTest::newRow("negative time scale")
            << QStringList{QStringLiteral("--wall"), QStringLiteral("5"),
                           QStringLiteral("--time-scale"), QStringLiteral("-3"), busy}
            << 2 << QStringLiteral("--time-scale '-3' is not a factor above 0");
        QTest::newRow("concurrency 0")
            << QStringList{QStringLiteral("--wall"), QStringLiteral("5"),
                           QStringLiteral("--concurrency"), QStringLiteral("0"), busy}
            << 2 << QStringLiteral("--concurrency '0' is not a whole number from 1 to 256");
        QTest::newRow("option without its value") << QStringList{busy, QStringLiteral("--seed")}
                                                  << 2 << QStringLiteral("--seed needs a value");
        QTest::newRow("model-only without hours")
            << QStringList{QStringLiteral("--model-only"), busy} << 2
            << QStringLiteral("--model-only needs --hours");
        QTest::newRow("model-only with --register")
            << QStringList{QStringLiteral("--model-only"), QStringLiteral("--hours"),
                           QStringLiteral("5"), QStringLiteral("--register"), busy}
            << 2 << QStringLiteral("--register needs a service");
        QTest::newRow("model-only without an appliance")
            << QStringList{QStringLiteral("--model-only"), QStringLiteral("--hours"),
                           QStringLiteral("5"), demoFleet()}
            << 2 << QStringLiteral("names no appliance");
        QTest::newRow("service run without an end")
            << QStringList{QStringLiteral("--url"), unreachable, busy} << 2
            << QStringLiteral("needs an end: --wall S");
        QTest::newRow("no token") << QStringList{QStringLiteral("--url"), service_.url(),
                                                 QStringLiteral("--wall"), QStringLiteral("1"),
                                                 busy}
                                  << 2 << QStringLiteral("no token");
        QTest::newRow("understudyctl missing")
            << QStringList{QStringLiteral("--url"),
                           service_.url(),
                           QStringLiteral("--token-file"),
                           token,
                           QStringLiteral("--wall"),
                           QStringLiteral("1"),
                           QStringLiteral("--ctl"),
                           dir_.filePath(QStringLiteral("no-ctl")),
                           busy}
            << 2 << QStringLiteral("understudyctl not found");
        QTest::newRow("unreachable service") << QStringList{QStringLiteral("--url"),
                                                            unreachable,
                                                            QStringLiteral("--token-file"),
                                                            token,
                                                            QStringLiteral("--wall"),
                                                            QStringLiteral("1"),
                                                            busy}
                                             << 5 << QStringLiteral("cannot reach");
        QTest::newRow("wrong token") << QStringList{QStringLiteral("--url"),
                                                    service_.url(),
                                                    QStringLiteral("--token-file"),
                                                    token,
                                                    QStringLiteral("--wall"),
                                                    QStringLiteral("1"),
                                                    demoFleet()}
                                     << 3 << QStringLiteral("HTTP 401");
        QTest::newRow("clusters not registered") << QStringList{QStringLiteral("--url"),
                                                                service_.url(),
                                                                QStringLiteral("--token-file"),
                                                                service_.adminTokenFile(),
                                                                QStringLiteral("--wall"),
                                                                QStringLiteral("1"),
                                                                busy}
                                                 << 2 << QStringLiteral("pass --register");
    }

    void badInputGivesAClearErrorAndExitCode() {
        QFETCH(QStringList, arguments);
        QFETCH(int, exit_code);
        QFETCH(QString, message);
        const Run run = simulate(arguments, bareEnvironment(dir_.path()), kHangMs);
        QVERIFY2(run.finished, qPrintable(run.describe()));
        QVERIFY2(run.exit_code == exit_code, qPrintable(run.describe()));
        QVERIFY2(run.err.contains(message), qPrintable(run.describe()));
        QVERIFY2(run.out.isEmpty(), qPrintable(run.describe()));
    }

    void helpPrintsTheOptions() {
        const Run run = simulate({QStringLiteral("--help")}, bareEnvironment(dir_.path()));
        QCOMPARE(run.exit_code, 0);
        for (const char* option : {"--model-only", "--time-scale", "--seed", "--concurrency",
                                   "--register", "--json", "--wall", "--hours"}) {
            QVERIFY2(run.out.contains(QLatin1String(option)), option);
        }
    }

    void aModelOnlyRunAgreesWithTheEngineAndReplaysWithItsSeed() {
        const QString fleet_path = dir_.filePath(QStringLiteral("busy.json"));
        const QStringList arguments{QStringLiteral("--model-only"),
                                    QStringLiteral("--hours"),
                                    QStringLiteral("2e6"),
                                    QStringLiteral("--seed"),
                                    QStringLiteral("42"),
                                    QStringLiteral("--json"),
                                    fleet_path};
        const Run run = simulate(arguments, bareEnvironment(dir_.path()));
        QVERIFY2(run.exit_code == 0, qPrintable(run.describe()));
        QVERIFY2(run.err.contains(QStringLiteral("2e+06 of 2e+06 simulated hours")),
                 qPrintable(run.err));
        const QJsonObject summary = run.json();
        QCOMPARE(summary.value(QStringLiteral("simulated_hours")).toDouble(), 2e6);

        // The engine's own figures for the same file, computed here.
        auto fleet = understudy::sizing::loadFleetFile(fleet_path.toStdString());
        QVERIFY(fleet);
        const auto engine = understudy::sizing::size(*fleet);
        const auto& figures = engine.appliances.front();
        const QJsonObject shares = summary.value(QStringLiteral("appliances"))
                                       .toArray()
                                       .at(0)
                                       .toObject()
                                       .value(QStringLiteral("model_overflow_share"))
                                       .toObject();
        for (const auto r : understudy::sizing::kResources) {
            const QJsonObject share =
                shares.value(QLatin1String(understudy::sizing::resourceName(r))).toObject();
            const double risk = figures.figures(r).overflow_risk;
            QVERIFY2(risk > 0.005, qPrintable(QString::number(risk)));
            QCOMPARE(share.value(QStringLiteral("engine_risk")).toDouble(), risk);
            QVERIFY2(agrees(share, risk), qPrintable(QJsonDocument(share).toJson()));
        }
        QVERIFY(agrees(shares.value(QStringLiteral("either")).toObject(),
                       figures.overflow_risk_any.value));
        for (const QJsonValue value : summary.value(QStringLiteral("clusters")).toArray()) {
            const QJsonObject c = value.toObject();
            QVERIFY2(agrees(c.value(QStringLiteral("failed_over_share")).toObject(),
                            c.value(QStringLiteral("failover_probability")).toDouble()),
                     qPrintable(QJsonDocument(c).toJson()));
        }

        const Run again = simulate(arguments, bareEnvironment(dir_.path()));
        QCOMPARE(again.out, run.out);
        QStringList other_seed = arguments;
        other_seed[4] = QStringLiteral("43");
        QVERIFY(simulate(other_seed, bareEnvironment(dir_.path())).out != run.out);

        // People get a table with the engine's risk beside each share.
        QStringList human = arguments;
        human.removeAll(QStringLiteral("--json"));
        const Run table = simulate(human, bareEnvironment(dir_.path()));
        QCOMPARE(table.exit_code, 0);
        QVERIFY2(table.out.contains(QStringLiteral("ENGINE RISK")), qPrintable(table.out));
        QVERIFY2(table.out.contains(QStringLiteral("pna-1")), qPrintable(table.out));
    }

    void aRunAgainstTheServiceAgreesWithItsEventLogAndReleasesEverything() {
        const Run run = simulate(
            {QStringLiteral("--url"), service_.url(), QStringLiteral("--token-file"),
             service_.adminTokenFile(), QStringLiteral("--wall"), QStringLiteral("12"),
             QStringLiteral("--time-scale"), QStringLiteral("2e6"), QStringLiteral("--seed"),
             QStringLiteral("11"), QStringLiteral("--concurrency"), QStringLiteral("4"),
             QStringLiteral("--json"), demoFleet()},
            bareEnvironment(dir_.path()));
        QVERIFY2(run.exit_code == 0, qPrintable(run.describe()));
        QVERIFY2(run.err.contains(QStringLiteral("releasing every node taken over")),
                 qPrintable(run.err));
        const QJsonObject summary = run.json();
        const QJsonObject takeovers = summary.value(QStringLiteral("takeovers")).toObject();
        const auto count = [&](const char* key) {
            return takeovers.value(QLatin1String(key)).toInteger(-1);
        };
        QVERIFY2(count("granted") > 0, qPrintable(run.out));
        QCOMPARE(count("errors"), 0);
        QCOMPARE(count("released"), count("granted"));
        QCOMPARE(count("requested"), count("granted") + count("denied") + count("refused"));
        QVERIFY(summary.value(QStringLiteral("unreleased")).toArray().isEmpty());
        const QJsonObject grant_ms = takeovers.value(QStringLiteral("time_to_grant_ms")).toObject();
        QVERIFY(grant_ms.value(QStringLiteral("median")).toDouble() > 0);
        QVERIFY(grant_ms.value(QStringLiteral("p99")).toDouble() >=
                grant_ms.value(QStringLiteral("median")).toDouble());

        // The service's event log, read here: the whole demo fleet is the simulator's.
        std::map<QString, qint64> logged = eventCounts(service_);
        QCOMPARE(logged[QStringLiteral("takeover.requested")], count("granted") + count("denied"));
        QCOMPARE(logged[QStringLiteral("takeover.granted")], count("granted"));
        QCOMPARE(logged[QStringLiteral("takeover.denied")], count("denied"));
        QCOMPARE(logged[QStringLiteral("release")], count("released"));
        QCOMPARE(logged[QStringLiteral("preempted")], count("preemptions"));
        // The simulator's own reading of the log says the same.
        const QJsonObject service_events =
            summary.value(QStringLiteral("service_events")).toObject();
        QCOMPARE(service_events.value(QStringLiteral("takeover.granted")).toInteger(),
                 count("granted"));

        const double denied = summary.value(QStringLiteral("denied_share")).toDouble(-1);
        const double overflow = summary.value(QStringLiteral("model_overflow_share"))
                                    .toObject()
                                    .value(QStringLiteral("share"))
                                    .toDouble(-1);
        QVERIFY(denied >= 0 && overflow >= 0);
        // Scaled time lets the service lag the model a little; beyond that, a denial means the
        // model overflowed too.
        QVERIFY2(denied <= overflow + 0.02, qPrintable(run.out));

        const Run nodes = service_.admin({QStringLiteral("--json"), QStringLiteral("nodes")});
        QCOMPARE(nodes.exit_code, 0);
        const QJsonArray list = nodes.json().value(QStringLiteral("nodes")).toArray();
        QCOMPARE(list.size(), 10);
        for (const QJsonValue n : list) {
            const QString state = n.toObject().value(QStringLiteral("state")).toString();
            QVERIFY2(state == QStringLiteral("standby"),
                     qPrintable(QJsonDocument(n.toObject()).toJson()));
        }
    }

    void deniedShareStaysWithinTheModelOverflowShareUnderContention() {
        QTemporaryDir folder;
        QVERIFY(folder.isValid());
        AgentService service(folder.path());
        const quint16 port = freePort();
        const QString config = writeContendedConfig(folder.path(), port);
        QVERIFY(!config.isEmpty());
        service.setPort(port);
        QVERIFY2(service.start({QStringLiteral("--config"), config}), service.output().constData());
        const QString fleet = folder.filePath(QStringLiteral("contended.json"));
        writeFile(fleet, kContendedFleet);

        const Run run = simulate(
            {QStringLiteral("--url"), service.url(), QStringLiteral("--token-file"),
             service.adminTokenFile(), QStringLiteral("--register"), QStringLiteral("--wall"),
             QStringLiteral("12"), QStringLiteral("--time-scale"), QStringLiteral("6e5"),
             QStringLiteral("--seed"), QStringLiteral("4"), QStringLiteral("--concurrency"),
             QStringLiteral("4"), QStringLiteral("--json"), QStringLiteral("--quiet"), fleet},
            bareEnvironment(folder.path()));
        QVERIFY2(run.exit_code == 0, qPrintable(run.describe()));
        const QJsonObject summary = run.json();
        const QJsonObject takeovers = summary.value(QStringLiteral("takeovers")).toObject();
        const auto count = [&](const char* key) {
            return takeovers.value(QLatin1String(key)).toInteger(-1);
        };
        const double overflow = summary.value(QStringLiteral("model_overflow_share"))
                                    .toObject()
                                    .value(QStringLiteral("share"))
                                    .toDouble(-1);
        const double denied = summary.value(QStringLiteral("denied_share")).toDouble(-1);
        // The seed makes the model overflow in this run, so the service met contention.
        QVERIFY2(overflow > 0, qPrintable(run.out));
        QVERIFY2(count("denied") + count("refused") + count("preemptions") + count("partial") > 0,
                 qPrintable(run.out));
        QVERIFY2(denied >= 0 && denied <= overflow + 0.05, qPrintable(run.out));
        QCOMPARE(count("errors"), 0);
        QCOMPARE(count("released"), count("granted"));

        std::map<QString, qint64> logged = eventCounts(service);
        QCOMPARE(logged[QStringLiteral("takeover.requested")], count("granted") + count("denied"));
        QCOMPARE(logged[QStringLiteral("takeover.granted")], count("granted"));
        QCOMPARE(logged[QStringLiteral("takeover.denied")], count("denied"));
        QCOMPARE(logged[QStringLiteral("release")], count("released"));
        QCOMPARE(logged[QStringLiteral("preempted")], count("preemptions"));

        // Every node released; preempted ones come back once the capacity has returned.
        QStringList states;
        QDeadlineTimer deadline(kHangMs);
        do {
            states.clear();
            const Run nodes = service.admin({QStringLiteral("--json"), QStringLiteral("nodes")});
            for (const QJsonValue n : nodes.json().value(QStringLiteral("nodes")).toArray()) {
                states.append(n.toObject().value(QStringLiteral("state")).toString());
            }
        } while (states.count(QStringLiteral("standby")) != 6 && !deadline.hasExpired() &&
                 (QTest::qWait(200), true));
        QCOMPARE(states.count(QStringLiteral("standby")), 6);
    }

    void anInterruptEndsTheRunAndReleasesEveryNode() {
        const qint64 before = eventCounts(service_)[QStringLiteral("takeover.granted")];
        QProcess process;
        process.setProcessEnvironment(bareEnvironment(dir_.path()));
        process.start(
            QStringLiteral(UNDERSTUDY_SIMULATE),
            {QStringLiteral("--url"), service_.url(), QStringLiteral("--token-file"),
             service_.adminTokenFile(), QStringLiteral("--wall"), QStringLiteral("600"),
             QStringLiteral("--time-scale"), QStringLiteral("4e6"), QStringLiteral("--seed"),
             QStringLiteral("5"), QStringLiteral("--json"), demoFleet()});
        QVERIFY(process.waitForStarted(kHangMs));
        const qint64 granted_before = before;
        // Once the first grant is in the service's log, the run is under way.
        QDeadlineTimer deadline(kHangMs);
        while (eventCounts(service_)[QStringLiteral("takeover.granted")] == granted_before &&
               !deadline.hasExpired()) {
            QTest::qWait(100);
        }
        process.terminate();
        QVERIFY(process.waitForFinished(kHangMs));
        const QString out = QString::fromUtf8(process.readAllStandardOutput());
        const QString err = QString::fromUtf8(process.readAllStandardError());
        QVERIFY2(process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0,
                 qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("interrupted; releasing every node")),
                 qPrintable(err));
        const QJsonObject summary = QJsonDocument::fromJson(out.toUtf8()).object();
        QCOMPARE(summary.value(QStringLiteral("interrupted")).toBool(), true);
        const QJsonObject takeovers = summary.value(QStringLiteral("takeovers")).toObject();
        QVERIFY(takeovers.value(QStringLiteral("granted")).toInteger() > 0);
        QCOMPARE(takeovers.value(QStringLiteral("released")).toInteger(),
                 takeovers.value(QStringLiteral("granted")).toInteger());
        QVERIFY(summary.value(QStringLiteral("unreleased")).toArray().isEmpty());
        const Run nodes = service_.admin({QStringLiteral("--json"), QStringLiteral("nodes")});
        for (const QJsonValue n : nodes.json().value(QStringLiteral("nodes")).toArray()) {
            QCOMPARE(n.toObject().value(QStringLiteral("state")).toString(),
                     QStringLiteral("standby"));
        }
    }

    void registerAddsTheClustersTheServiceLacks() {
        const QString extra = dir_.filePath(QStringLiteral("extra.json"));
        const QStringList base{QStringLiteral("--url"),
                               service_.url(),
                               QStringLiteral("--token-file"),
                               service_.adminTokenFile(),
                               QStringLiteral("--wall"),
                               QStringLiteral("2"),
                               QStringLiteral("--json"),
                               QStringLiteral("--quiet"),
                               extra};
        const Run refused = simulate(base, bareEnvironment(dir_.path()));
        QCOMPARE(refused.exit_code, 2);
        QVERIFY2(refused.err.contains(QStringLiteral("sim-a, sim-b")), qPrintable(refused.err));

        const Run run = simulate(base + QStringList{QStringLiteral("--register")},
                                 bareEnvironment(dir_.path()));
        QVERIFY2(run.exit_code == 0, qPrintable(run.describe()));
        const QJsonArray clusters = run.json().value(QStringLiteral("clusters")).toArray();
        QCOMPARE(clusters.size(), 2);
        QCOMPARE(clusters.at(0).toObject().value(QStringLiteral("node")).toString(),
                 QStringLiteral("sim-a-passive"));
        QCOMPARE(service_
                     .admin({QStringLiteral("clusters"), QStringLiteral("show"),
                             QStringLiteral("sim-b")})
                     .exit_code,
                 0);
        // Registered once: a second run maps them by name.
        const Run second = simulate(base + QStringList{QStringLiteral("--register")},
                                    bareEnvironment(dir_.path()));
        QVERIFY2(second.exit_code == 0, qPrintable(second.describe()));
    }

private:
    QTemporaryDir dir_;
    AgentService service_{dir_.path()};
};

QTEST_GUILESS_MAIN(TestSimulateProcess)
#include "test_simulate_process.moc"

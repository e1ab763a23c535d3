// understudyctl's parts that need no service: where the URL and token come from, the command
// line, exit codes, the formatters, and the local validation of files and changes.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>

#include "agents/ctl/ctl_command.h"
#include "agents/ctl/ctl_input.h"
#include "agents/ctl/ctl_output.h"
#include "agents/ctl/ctl_settings.h"
#include "tests/support/result_checks.h"
#include "tests/support/source_files.h"

using namespace understudy::agents;
using understudy::client::ApiError;
using understudy::testsupport::readSourceFile;
using understudy::testsupport::writeFile;

namespace {

QByteArray fixture(const QString& name) {
    return readSourceFile(QStringLiteral("tests/appliance/data/api/") + name);
}

}  // namespace

class TestUnderstudyctl : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;

    QString home() const { return dir_.filePath("home"); }
    QString config() const { return ctlConfigPath(home()); }

    QProcessEnvironment environment(const QStringList& assignments) const {
        QProcessEnvironment env;
        env.insert("HOME", home());
        for (const QString& assignment : assignments) {
            const qsizetype equals = assignment.indexOf('=');
            env.insert(assignment.left(equals), assignment.mid(equals + 1));
        }
        return env;
    }

private slots:
    void init() {
        QDir(home()).removeRecursively();
        QDir().mkpath(home());
        writeFile(dir_.filePath("option.token"), "token-from-option\n");
        writeFile(dir_.filePath("config.token"), "  token-from-config  \n");
    }

    // --- lookup order ------------------------------------------------------------------------

    void findsTheUrlInTheDocumentedOrder_data() {
        QTest::addColumn<bool>("option");
        QTest::addColumn<bool>("variable");
        QTest::addColumn<bool>("configured");
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("source");
        QTest::newRow("option beats all") << true << true << true << "http://option:1"
                                          << "--url";
        QTest::newRow("variable beats config") << false << true << true << "http://variable:2"
                                               << "UNDERSTUDY_URL";
        QTest::newRow("config") << false << false << true << "https://config:3"
                                << "ctl.conf:2";
        QTest::newRow("default") << false << false << false << "http://127.0.0.1:8470"
                                 << "default";
    }
    void findsTheUrlInTheDocumentedOrder() {
        QFETCH(bool, option);
        QFETCH(bool, variable);
        QFETCH(bool, configured);
        QFETCH(QString, url);
        QFETCH(QString, source);
        if (configured) {
            writeFile(config(), "# where the service is\nurl = https://config:3\n");
        }
        GlobalOptions options;
        if (option) {
            options.url = "http://option:1";
        }
        auto settings = resolveSettings(
            options, environment(variable ? QStringList{"UNDERSTUDY_URL=http://variable:2"}
                                          : QStringList{}));
        QVERIFY_OK(settings);
        QCOMPARE(settings->url.toString(), url);
        QVERIFY2(settings->url_source.endsWith(source), qPrintable(settings->url_source));
    }

    void findsTheTokenInTheDocumentedOrder_data() {
        QTest::addColumn<bool>("option");
        QTest::addColumn<bool>("variable");
        QTest::addColumn<bool>("configured");
        QTest::addColumn<QByteArray>("token");
        QTest::newRow("option beats all")
            << true << true << true << QByteArray("token-from-option");
        QTest::newRow("variable beats config")
            << false << true << true << QByteArray("token-from-variable");
        QTest::newRow("config, relative to its folder")
            << false << false << true << QByteArray("token-from-config");
        QTest::newRow("none") << false << false << false << QByteArray();
    }
    void findsTheTokenInTheDocumentedOrder() {
        QFETCH(bool, option);
        QFETCH(bool, variable);
        QFETCH(bool, configured);
        QFETCH(QByteArray, token);
        if (configured) {
            // Relative to ~/.config/understudy/: up three levels is the temporary folder.
            writeFile(config(), "token_file = ../../../config.token\n");
        }
        GlobalOptions options;
        if (option) {
            options.token_file = dir_.filePath("option.token");
        }
        auto settings = resolveSettings(
            options, environment(variable ? QStringList{"UNDERSTUDY_TOKEN=token-from-variable"}
                                          : QStringList{}));
        QVERIFY_OK(settings);
        QCOMPARE(settings->token, token);
    }

    void readsTimeoutAndTlsFromTheConfig() {
        writeFile(config(),
                  "url = https://pna:8470\n; comment\ntimeout = 2.5\nca_file = ~/ca.pem\n"
                  "insecure = false\n");
        auto settings = resolveSettings(GlobalOptions{}, environment({}));
        QVERIFY(settings.ok());
        QCOMPARE(settings->timeout, std::chrono::milliseconds(2500));
        QCOMPARE(settings->ca_file, home() + "/ca.pem");
        QVERIFY(!settings->insecure);
        GlobalOptions options;
        options.timeout_s = 7;
        auto overridden = resolveSettings(options, environment({}));
        QVERIFY(overridden.ok());
        QCOMPARE(overridden->timeout, std::chrono::milliseconds(7000));
    }

    void refusesBadSettingsNamingWhere_data() {
        QTest::addColumn<QByteArray>("configText");
        QTest::addColumn<QStringList>("variables");
        QTest::addColumn<QString>("tokenFile");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown key")
            << QByteArray("url = http://a:1\nurl_typo = 3\n") << QStringList{} << ""
            << "ctl.conf:2: unknown key \"url_typo\"";
        QTest::newRow("no equals")
            << QByteArray("\nurl http://a:1\n") << QStringList{} << ""
            << "ctl.conf:2: \"url http://a:1\" is not a \"key = value\" line";
        QTest::newRow("twice") << QByteArray("url = http://a:1\nurl = http://b:1\n")
                               << QStringList{} << ""
                               << "ctl.conf:2: \"url\" is given twice";
        QTest::newRow("bad url variable")
            << QByteArray() << QStringList{"UNDERSTUDY_URL=ftp://x"} << ""
            << "(from UNDERSTUDY_URL) is not an http://";
        QTest::newRow("bad timeout") << QByteArray("timeout = soon\n") << QStringList{} << ""
                                     << "ctl.conf:1: timeout must be a number of seconds";
        QTest::newRow("missing token file") << QByteArray() << QStringList{} << "nowhere.token"
                                            << "cannot read the token file";
        QTest::newRow("empty token file") << QByteArray() << QStringList{} << "empty.token"
                                          << "is empty; put the token on its first line";
    }
    void refusesBadSettingsNamingWhere() {
        QFETCH(QByteArray, configText);
        QFETCH(QStringList, variables);
        QFETCH(QString, tokenFile);
        QFETCH(QString, expected);
        if (!configText.isEmpty()) {
            writeFile(config(), configText);
        }
        writeFile(dir_.filePath("empty.token"), "\n");
        GlobalOptions options;
        if (!tokenFile.isEmpty()) {
            options.token_file = dir_.filePath(tokenFile);
        }
        auto settings = resolveSettings(options, environment(variables));
        QVERIFY(!settings.ok());
        const QString message = QString::fromStdString(settings.error().describe());
        QVERIFY2(message.contains(expected), qPrintable(message));
    }

    // --- command line ------------------------------------------------------------------------

    void takesGlobalOptionsFromAnywhere() {
        auto line = parseCommandLine({"nodes", "--json", "erp-passive", "--url=http://x:1",
                                      "--timeout", "4", "--token-file", "t", "--", "--json"});
        QVERIFY(line.ok());
        QVERIFY(line->global.json);
        QCOMPARE(line->global.url, std::optional<QString>("http://x:1"));
        QCOMPARE(line->global.token_file, std::optional<QString>("t"));
        QCOMPARE(line->global.timeout_s, std::optional<double>(4));
        QCOMPARE(line->words, (QStringList{"nodes", "erp-passive", "--json"}));
        QVERIFY(!parseCommandLine({"--timeout", "-1", "status"}).ok());
        QVERIFY(!parseCommandLine({"status", "--url"}).ok());
    }

    // --- exit codes --------------------------------------------------------------------------

    void mapsEveryOutcomeToItsExitCode_data() {
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        QTest::addColumn<int>("exitCode");
        QTest::newRow("admission refused") << 409 << "admission_refused" << 1;
        QTest::newRow("takeover denied") << 409 << "takeover_denied" << 1;
        QTest::newRow("conflict") << 409 << "conflict" << 1;
        QTest::newRow("malformed json") << 400 << "malformed_json" << 2;
        QTest::newRow("invalid field") << 400 << "invalid_field" << 2;
        QTest::newRow("method not allowed") << 405 << "method_not_allowed" << 2;
        QTest::newRow("payload too large") << 413 << "payload_too_large" << 2;
        QTest::newRow("uri too long") << 414 << "uri_too_long" << 2;
        QTest::newRow("unauthorized") << 401 << "unauthorized" << 3;
        QTest::newRow("forbidden") << 403 << "forbidden" << 3;
        QTest::newRow("not found") << 404 << "not_found" << 4;
        QTest::newRow("internal") << 500 << "internal" << 5;
        QTest::newRow("hypervisor unavailable") << 503 << "hypervisor_unavailable" << 5;
        QTest::newRow("database unavailable") << 503 << "database_unavailable" << 5;
        QTest::newRow("proxy error") << 502 << "http_502" << 5;
        QTest::newRow("unreachable") << 0 << "unreachable" << 5;
        QTest::newRow("timed out") << 0 << "timeout" << 5;
        QTest::newRow("tls") << 0 << "tls" << 5;
        QTest::newRow("unreadable answer") << 0 << "bad_response" << 5;
        QTest::newRow("invalid request") << 0 << "invalid_request" << 2;
        QTest::newRow("local file") << 0 << "local" << 2;
    }
    void mapsEveryOutcomeToItsExitCode() {
        QFETCH(int, status);
        QFETCH(QString, code);
        QFETCH(int, exitCode);
        ApiError error;
        error.status = status;
        error.code = code;
        QCOMPARE(exitCodeFor(error), exitCode);
    }

    // --- output ------------------------------------------------------------------------------

    void formatsMemoryWithUnits_data() {
        QTest::addColumn<qint64>("mib");
        QTest::addColumn<QString>("text");
        QTest::newRow("0") << qint64{0} << "0 MiB";
        QTest::newRow("512") << qint64{512} << "512 MiB";
        QTest::newRow("1023") << qint64{1023} << "1023 MiB";
        QTest::newRow("1 GiB") << qint64{1024} << "1 GiB";
        QTest::newRow("1.5 GiB") << qint64{1536} << "1.5 GiB";
        QTest::newRow("32 GiB") << qint64{32768} << "32 GiB";
        QTest::newRow("256 GiB") << qint64{262144} << "256 GiB";
        QTest::newRow("4 TiB") << qint64{4194304} << "4 TiB";
        QTest::newRow("1.2 TiB") << qint64{1258291} << "1.2 TiB";
        QTest::newRow("negative") << qint64{-2048} << "-2 GiB";
    }
    void formatsMemoryWithUnits() {
        QFETCH(qint64, mib);
        QFETCH(QString, text);
        QCOMPARE(formatMemory(mib), text);
    }

    void formatsRisksAndAmounts() {
        QCOMPARE(formatRisk(0), QStringLiteral("0"));
        // The console's words for a probability (sizing::riskInWords).
        QCOMPARE(formatRisk(1.2e-07), QStringLiteral("1 in 8.33 million"));
        QCOMPARE(formatRisk(0.0032), QStringLiteral("1 in 313"));
        QCOMPARE(formatRisk(1e-4), QStringLiteral("1 in 10,000"));
        QCOMPARE(formatAmount("vcpus", 1), QStringLiteral("1 vCPU"));
        QCOMPARE(formatAmount("vcpus", 8), QStringLiteral("8 vCPUs"));
        QCOMPARE(formatAmount("memory_mib", 8192), QStringLiteral("8 GiB"));
    }

    void alignsTableColumns() {
        Table table({"NAME", "COUNT", "NOTE"});
        table.alignRight(1);
        table.addRow({"a", "7", ""});
        table.addRow({"longer-name", "1234", "x"});
        QCOMPARE(table.render(), QStringLiteral("NAME         COUNT  NOTE\n"
                                                "a                7\n"
                                                "longer-name   1234  x\n"));
    }

    void describesADenialInOneBlock() {
        const QString text =
            describeError(ApiError::fromResponse(409, fixture("takeover_denied.json")));
        QCOMPARE(text,
                 QStringLiteral(
                     "error: erp-passive cannot grow to 32 GiB now: 8 GiB of memory is free on "
                     "pna-1; release crm-passive or add capacity (HTTP 409, takeover_denied)\n"
                     "  resource     memory_mib\n"
                     "  needed       30 GiB\n"
                     "  free         8 GiB\n"
                     "  tried        headroom, preempt, partial_cpu\n"
                     "  preemptable  none\n"
                     "  holders:\n"
                     "    NODE         CLUSTER  PRIORITY  STATE   OVER STANDBY\n"
                     "    crm-passive  crm           950  active       +16 GiB\n"));
    }

    void describesARefusalWithRisksAndUnservableClusters() {
        const QString text =
            describeError(ApiError::fromResponse(409, fixture("admission_refused.json")));
        QCOMPARE(text, QStringLiteral(
                           "error: registering big would raise pna-1's memory overflow risk to "
                           "3.2e-03, above the target 1e-04 (HTTP 409, admission_refused)\n"
                           "  appliance  pna-1\n"
                           "  RESOURCE    OVERFLOW RISK  TARGET\n"
                           "  memory_mib  1 in 313       1 in 10,000  over target\n"
                           "  vcpus       0              1 in 10,000  within target\n"
                           "  unservable clusters (their active footprint can never fit):\n"
                           "    CLUSTER  RESOURCE     NEEDED  AVAILABLE\n"
                           "    big      memory_mib  512 GiB    220 GiB\n"));
    }

    void describesClientSideFailuresPlainly() {
        const ApiError error = ApiError::client("unreachable", "cannot reach http://x:1: refused");
        QCOMPARE(describeError(error), QStringLiteral("error: cannot reach http://x:1: refused\n"));
        ApiError invalid = ApiError::fromResponse(
            400, R"({"error":"invalid_field","message":"bad","field":"standby.vcpus"})");
        QCOMPARE(describeError(invalid),
                 QStringLiteral("error: bad (HTTP 400, invalid_field)\n  field  standby.vcpus\n"));
    }

    // --- local validation --------------------------------------------------------------------

    void buildsATypedNestedPatchBody() {
        auto changes = clusterChanges({"standby.memory_mib=4096", "priority=900", "mttr_hours=12.5",
                                       "group=", "active.vcpus=8", "failure_model=observed",
                                       "memory_mode=reserved"});
        QVERIFY_OK(changes);
        const QJsonObject expected{{"standby", QJsonObject{{"memory_mib", 4096}}},
                                   {"priority", 900},
                                   {"mttr_hours", 12.5},
                                   {"group", QJsonValue::Null},
                                   {"active", QJsonObject{{"vcpus", 8}}},
                                   {"failure_model", "observed"},
                                   {"memory_mode", "reserved"}};
        QCOMPARE(*changes, expected);
        QVERIFY((*changes)["priority"].isDouble());
    }

    void refusesBadChangesBeforeSending_data() {
        QTest::addColumn<QStringList>("assignments");
        QTest::addColumn<QString>("expected");
        QTest::newRow("none") << QStringList{} << "give at least one FIELD=VALUE";
        QTest::newRow("no equals") << QStringList{"priority"} << "is not FIELD=VALUE";
        QTest::newRow("unknown field") << QStringList{"name=x"} << "\"name\" is not a field";
        QTest::newRow("twice") << QStringList{"priority=1", "priority=2"} << "given twice";
        QTest::newRow("text for number") << QStringList{"standby.vcpus=two"} << "whole number";
        QTest::newRow("out of range") << QStringList{"priority=1001"} << "from 0 to 1000";
        QTest::newRow("zero mtbf") << QStringList{"mtbf_hours=0"} << "above 0";
        QTest::newRow("standby above active")
            << QStringList{"standby.vcpus=9", "active.vcpus=8"} << "active";
        QTest::newRow("bad memory mode") << QStringList{"memory_mode=swap"} << "memory_mode";
        QTest::newRow("bad failure model") << QStringList{"failure_model=guess"} << "declared";
        QTest::newRow("bad group name") << QStringList{"group=rack a"} << "contains ' '";
    }
    void refusesBadChangesBeforeSending() {
        QFETCH(QStringList, assignments);
        QFETCH(QString, expected);
        auto changes = clusterChanges(assignments);
        QVERIFY(!changes.ok());
        const QString message = QString::fromStdString(changes.error().describe());
        QVERIFY2(message.contains(expected), qPrintable(message));
    }

    void readsOneClusterOrAFleet() {
        const QString single = dir_.filePath("one.json");
        writeFile(single, R"({"name": "web", "priority": 500, "mtbf_hours": 2000, "mttr_hours": 4,
            "group": "rack-a", "standby": {"vcpus": 1, "memory_mib": 1024},
            "active": {"vcpus": 2, "memory_mib": 8192}, "failure_model": "observed",
            "node": "web-standby"})");
        auto one = loadClusterFile(single);
        QVERIFY_OK(one);
        QVERIFY(one->single);
        QCOMPARE(one->body()["node"].toString(), QStringLiteral("web-standby"));
        QCOMPARE(one->body()["group"].toString(), QStringLiteral("rack-a"));

        const QString fleet = dir_.filePath("fleet.json");
        writeFile(fleet, R"({"target_risk": 0.001, "appliances": [],
            "groups": [{"name": "rack-a", "mtbf_hours": 43800, "mttr_hours": 6}],
            "clusters": [
              {"name": "erp", "priority": 900, "mtbf_hours": 8760, "mttr_hours": 24, "group": "rack-a",
               "standby": {"vcpus": 1, "memory_mib": 2048}, "active": {"vcpus": 8, "memory_mib": 32768}},
              {"name": "crm", "mtbf_hours": 8760, "mttr_hours": 24,
               "standby": {"vcpus": 1, "memory_mib": 2048}, "active": {"vcpus": 8, "memory_mib": 32768}}]})");
        auto many = loadClusterFile(fleet);
        QVERIFY_OK(many);
        QVERIFY(!many->single);
        const QJsonObject body = many->body();
        QCOMPARE(body.keys(), (QStringList{"clusters", "groups"}));
        QCOMPARE(body["clusters"].toArray().size(), 2);
        QCOMPARE(body["groups"].toArray()[0].toObject()["name"].toString(),
                 QStringLiteral("rack-a"));
        QCOMPARE(many->warnings.size(), 2);  // target_risk and appliances are not sent

        const QString csv = dir_.filePath("fleet.csv");
        writeFile(csv,
                  "name,priority,mtbf_hours,mttr_hours,group,standby_vcpus,standby_memory_mib,"
                  "active_vcpus,active_memory_mib\n"
                  "erp,900,8760,24,,1,2048,8,32768\n");
        auto from_csv = loadClusterFile(csv);
        QVERIFY_OK(from_csv);
        const QJsonObject erp = from_csv->body()["clusters"].toArray()[0].toObject();
        QCOMPARE(erp["name"].toString(), QStringLiteral("erp"));
        QCOMPARE(erp["active"].toObject()["memory_mib"].toInt(), 32768);
    }

    void refusesBadClusterFilesNamingTheLocation_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not json") << "a.json" << QByteArray("{\"name\": ") << "a.json:1:";
        QTest::newRow("wrong type")
            << "b.json" << QByteArray(R"({"name": "x", "mtbf_hours": 1, "mttr_hours": 1,
                "standby": {"vcpus": "1", "memory_mib": 1}, "active": {"vcpus": 1, "memory_mib": 1}})")
            << "b.json: standby.vcpus";
        QTest::newRow("fleet cluster")
            << "c.json"
            << QByteArray(R"({"clusters": [{"name": "x", "mtbf_hours": -1, "mttr_hours": 1,
                "standby": {"vcpus": 1, "memory_mib": 1}, "active": {"vcpus": 1, "memory_mib": 1}}]})")
            << "c.json: clusters[0].mtbf_hours";
        QTest::newRow("duplicate") << "d.json" << QByteArray(R"({"clusters": [
                {"name": "x", "mtbf_hours": 1, "mttr_hours": 1, "standby": {"vcpus": 1, "memory_mib": 1}, "active": {"vcpus": 1, "memory_mib": 1}},
                {"name": "x", "mtbf_hours": 1, "mttr_hours": 1, "standby": {"vcpus": 1, "memory_mib": 1}, "active": {"vcpus": 1, "memory_mib": 1}}]})")
                                   << "d.json: clusters[1].name";
        QTest::newRow("unknown fleet key")
            << "e.json" << QByteArray(R"({"clusters": [], "clusterz": []})") << "e.json: clusterz";
        QTest::newRow("bad failure model")
            << "f.json"
            << QByteArray(R"({"name": "x", "mtbf_hours": 1, "mttr_hours": 1, "failure_model": "x",
                "standby": {"vcpus": 1, "memory_mib": 1}, "active": {"vcpus": 1, "memory_mib": 1}})")
            << "f.json: failure_model";
        QTest::newRow("csv line")
            << "g.csv"
            << QByteArray(
                   "name,priority,mtbf_hours,mttr_hours,group,standby_vcpus,"
                   "standby_memory_mib,active_vcpus,active_memory_mib\n"
                   "erp,900,8760,24,,1,2048,8,32768\ncrm,2000,8760,24,,1,2048,8,32768\n")
            << "g.csv:3";
        QTest::newRow("missing file") << "nowhere.json" << QByteArray() << "nowhere.json";
    }
    void refusesBadClusterFilesNamingTheLocation() {
        QFETCH(QString, name);
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        const QString path = dir_.filePath(name);
        if (!content.isEmpty()) {
            writeFile(path, content);
        }
        auto file = loadClusterFile(path);
        QVERIFY(!file.ok());
        const QString message = QString::fromStdString(file.error().describe());
        QVERIFY2(message.contains(expected), qPrintable(message));
    }

    void readsGroupFiles() {
        writeFile(dir_.filePath("groups.csv"),
                  "name,mtbf_hours,mttr_hours\nrack-a,43800,6\nfeed,87600,2\n");
        auto csv = loadGroupFile(dir_.filePath("groups.csv"));
        QVERIFY(csv.ok());
        QCOMPARE(csv->size(), 2);
        QCOMPARE((*csv)[1].toObject()["name"].toString(), QStringLiteral("feed"));
        writeFile(dir_.filePath("group.json"),
                  R"({"name": "rack-b", "mtbf_hours": 1, "mttr_hours": 0})");
        auto one = loadGroupFile(dir_.filePath("group.json"));
        QVERIFY(one.ok());
        QCOMPARE(one->size(), 1);
        writeFile(dir_.filePath("bad.json"),
                  R"({"name": "rack-b", "mtbf_hours": 0, "mttr_hours": 1})");
        auto bad = loadGroupFile(dir_.filePath("bad.json"));
        QVERIFY(!bad.ok());
        QVERIFY(QString::fromStdString(bad.error().describe()).contains("mtbf_hours"));
    }

    void knowsTheEventKinds() {
        QVERIFY(isEventKindPrefix("takeover"));
        QVERIFY(isEventKindPrefix("takeover.denied"));
        QVERIFY(isEventKindPrefix("fence."));
        QVERIFY(!isEventKindPrefix("takeovers"));
        QVERIFY(isEventKindPrefix("appliance"));
        QVERIFY(isEventKindPrefix("node.evacuated"));
        QVERIFY(isEventKindPrefix("node.stranded"));
        QCOMPARE(eventKinds().size(), 33);
    }
};

QTEST_GUILESS_MAIN(TestUnderstudyctl)
#include "test_understudyctl.moc"

// The shipped monitoring (appliance/monitoring/) against a real understudyd on the demo appliance
// (libvirt test driver): after takeovers granted and one denied, its /metrics passes
// `promtool check metrics` and counts them; every metric the alerting rules and the dashboard
// name is one the service exports; the dashboard is Grafana JSON whose every query is PromQL
// that promtool parses.
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/service_process.h"

using namespace understudy::e2e;

namespace {

constexpr char kPromtool[] = UNDERSTUDY_PROMTOOL;

struct ToolRun {
    int exit_code = -1;
    QByteArray output;
};

ToolRun promtool(const QStringList& arguments, const QByteArray& input = {}) {
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(QString::fromUtf8(kPromtool), arguments);
    if (!process.waitForStarted(10000)) {
        return {-1, "promtool did not start: " + process.errorString().toUtf8()};
    }
    process.write(input);
    process.closeWriteChannel();
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished();
        return {-1, "promtool did not finish within 60 s"};
    }
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            process.readAll()};
}

QByteArray readSource(const char* path) {
    QFile file(sourcePath(QString::fromUtf8(path)));
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// Every family (from its TYPE line) and every sample name, histogram suffixes included.
std::set<std::string> exportedNames(const QByteArray& exposition) {
    std::set<std::string> names;
    for (const QByteArray& line : exposition.split('\n')) {
        if (line.startsWith("# TYPE ")) {
            names.insert(line.mid(7).split(' ').value(0).toStdString());
        } else if (!line.isEmpty() && !line.startsWith('#')) {
            const qsizetype end = line.indexOf(line.contains('{') ? '{' : ' ');
            names.insert(line.left(end).toStdString());
        }
    }
    return names;
}

std::set<std::string> namedMetrics(const QString& text) {
    std::set<std::string> names;
    static const QRegularExpression metric(QStringLiteral("\\bunderstudy_[a-z0-9_]+\\b"));
    for (auto match = metric.globalMatch(text); match.hasNext();) {
        names.insert(match.next().captured().toStdString());
    }
    return names;
}

// The dashboard's PromQL queries (panel targets), and its variables' label_values() queries.
struct DashboardQueries {
    std::vector<std::string> promql;
    std::vector<std::string> variables;
};

DashboardQueries queriesOf(const json& dashboard) {
    DashboardQueries found;
    for (const json& panel : dashboard.at("panels")) {
        for (const json& target : panel.value("targets", json::array())) {
            found.promql.push_back(target.at("expr").get<std::string>());
        }
    }
    for (const json& variable : dashboard.at("templating").at("list")) {
        if (variable.at("type") == "query") {
            found.variables.push_back(variable.at("definition").get<std::string>());
        }
    }
    return found;
}

// A query with the dashboard's variables given values, as Grafana sends it.
std::string substituted(std::string query) {
    const std::vector<std::pair<std::string, std::string>> values{{"$__rate_interval", "5m"},
                                                                  {"$job", "understudy"},
                                                                  {"$instance", ".*"},
                                                                  {"$appliance", ".*"}};
    for (const auto& [variable, value] : values) {
        for (auto at = query.find(variable); at != std::string::npos; at = query.find(variable)) {
            query.replace(at, variable.size(), value);
        }
    }
    return query;
}

}  // namespace

class MonitoringEndToEnd : public QObject {
    Q_OBJECT

private:
    ServiceProcess service_;  // its database in a folder of its own
    QTemporaryDir dir_;
    QByteArray metrics_;

    ServiceProcess& s() { return service_; }

private slots:
    void initTestCase() {
        QVERIFY2(QFileInfo(QString::fromUtf8(kPromtool)).isExecutable(),
                 "promtool was not found when the build was configured: install the package "
                 "prometheus (installer/deps.sh) and configure again");
        QVERIFY(dir_.isValid());
        QVERIFY2(s().start(), s().output().constData());
    }
    void cleanupTestCase() { JCOMPARE(s().terminate(), 0); }

    // The demo appliance filled by four takeovers (crm's preempts mail and legacy-win); web
    // then fits nowhere and is denied.
    void takeoversGrantedAndDeniedAreCounted() {
        for (const char* node : {"dwh-passive", "erp-passive", "billing-passive", "crm-passive"}) {
            const Reply granted = s().post(QStringLiteral("/api/v1/nodes/%1/takeover").arg(node));
            QVERIFY2(granted.status == 200, granted.body.constData());
        }
        const Reply denied = s().post(QStringLiteral("/api/v1/nodes/web-passive/takeover"));
        JCOMPARE(denied.status, 409);
        JCOMPARE(denied.error(), "takeover_denied");

        // The counters follow the event log as soon as the service has read it back.
        QTRY_VERIFY_WITH_TIMEOUT(
            (metrics_ = s().get(QStringLiteral("/metrics"), {}).body)
                .contains("understudy_events_total{kind=\"takeover.denied\"} 1\n"),
            10000);
        QVERIFY2(metrics_.contains("understudy_events_total{kind=\"takeover.granted\"} 4\n"),
                 metrics_.constData());
        QVERIFY(metrics_.contains("understudy_events_total{kind=\"hook.failed\"} 0\n"));
        QVERIFY(metrics_.contains("understudy_database_available 1\n"));
        QVERIFY(metrics_.contains("understudy_target_risk 1e-04\n"));
        QVERIFY(metrics_.contains(
            "understudy_node_not_ready{appliance=\"demo\",cluster=\"web\",node=\"web-passive\"} "
            "1\n"));
        QVERIFY(metrics_.contains(
            "understudy_node_not_ready{appliance=\"demo\",cluster=\"dwh\",node=\"dwh-passive\"} "
            "0\n"));
        QVERIFY(metrics_.contains("understudy_takeover_duration_seconds_count 4\n"));
    }

    void theMetricsPassPromtoolsCheck() {
        QVERIFY(!metrics_.isEmpty());
        const ToolRun check =
            promtool({QStringLiteral("check"), QStringLiteral("metrics")}, metrics_);
        QVERIFY2(check.exit_code == 0 && check.output.trimmed().isEmpty(),
                 check.output.constData());
    }

    // The check itself is not a formality: a counter without _total and a sample of no
    // announced type are refused.
    void promtoolRefusesABrokenExposition() {
        const QByteArray broken =
            "# HELP understudy_takeovers Takeovers.\n# TYPE understudy_takeovers counter\n"
            "understudy_takeovers 3\n";
        const ToolRun check =
            promtool({QStringLiteral("check"), QStringLiteral("metrics")}, broken);
        QVERIFY2(check.exit_code != 0, check.output.constData());
        QVERIFY2(check.output.contains("_total"), check.output.constData());
    }

    void theRulesAndTheDashboardNameOnlyExportedMetrics() {
        const std::set<std::string> exported = exportedNames(metrics_);
        const QByteArray rules = readSource("appliance/monitoring/understudy-alerts.yml");
        const json dashboard =
            json::parse(readSource("appliance/monitoring/understudy-dashboard.json").toStdString(),
                        nullptr, false);
        QVERIFY(!rules.isEmpty());
        QVERIFY(dashboard.is_object());
        const DashboardQueries queries = queriesOf(dashboard);
        QString dashboard_text;
        for (const auto& query : queries.promql) {
            dashboard_text += QString::fromStdString(query) + '\n';
        }
        for (const auto& query : queries.variables) {
            dashboard_text += QString::fromStdString(query) + '\n';
        }
        const std::set<std::string> in_rules = namedMetrics(QString::fromUtf8(rules));
        const std::set<std::string> in_dashboard = namedMetrics(dashboard_text);
        for (const auto& name : {"understudy_overflow_risk", "understudy_target_risk",
                                 "understudy_appliance_state", "understudy_node_not_ready",
                                 "understudy_events_total", "understudy_database_available"}) {
            QVERIFY2(in_rules.count(name) == 1, name);
        }
        for (const auto& name : {"understudy_free", "understudy_overflow_risk",
                                 "understudy_events_total", "understudy_nodes"}) {
            QVERIFY2(in_dashboard.count(name) == 1, name);
        }
        for (const std::set<std::string>* named : {&in_rules, &in_dashboard}) {
            for (const std::string& name : *named) {
                QVERIFY2(
                    exported.count(name) == 1,
                    qPrintable(
                        QStringLiteral("%1 is not in /metrics").arg(QString::fromStdString(name))));
            }
        }
    }

    void theDashboardIsGrafanaJsonOfValidQueries() {
        const json dashboard =
            json::parse(readSource("appliance/monitoring/understudy-dashboard.json").toStdString(),
                        nullptr, false);
        QVERIFY(dashboard.is_object());
        QVERIFY(dashboard.at("uid").is_string());
        QVERIFY(dashboard.at("title").is_string());
        QVERIFY(dashboard.at("schemaVersion").is_number_integer());
        std::set<int> ids;
        for (const json& panel : dashboard.at("panels")) {
            const std::string title = panel.at("title").get<std::string>();
            QVERIFY2(ids.insert(panel.at("id").get<int>()).second, title.c_str());
            for (const char* field : {"x", "y", "w", "h"}) {
                QVERIFY2(panel.at("gridPos").at(field).is_number_integer(), title.c_str());
            }
            if (panel.at("type") == "row") {
                continue;
            }
            QVERIFY2(!panel.at("targets").empty(), title.c_str());
            for (const json& target : panel.at("targets")) {
                QVERIFY2(target.at("datasource").at("uid") == "${datasource}", title.c_str());
                QVERIFY2(!target.at("expr").get<std::string>().empty(), title.c_str());
            }
        }

        // Each query as a recording rule: promtool parses the PromQL.
        json groups;
        json group;
        group["name"] = "dashboard";
        int n = 0;
        for (const std::string& query : queriesOf(dashboard).promql) {
            json rule;
            rule["record"] = "dashboard:query" + std::to_string(++n);
            rule["expr"] = substituted(query);
            group["rules"].push_back(rule);
        }
        QVERIFY(n >= 10);
        groups["groups"].push_back(group);
        const QString path = dir_.filePath(QStringLiteral("dashboard-queries.yml"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray::fromStdString(groups.dump()));  // JSON is YAML
        file.close();
        const ToolRun check = promtool({QStringLiteral("check"), QStringLiteral("rules"), path});
        QVERIFY2(check.exit_code == 0, check.output.constData());
    }
};

QTEST_MAIN(MonitoringEndToEnd)
#include "test_monitoring.moc"

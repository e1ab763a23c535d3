// The Prometheus exposition (appliance/service/metrics.h) read back by a strict parser of the
// text format 0.0.4: every sample belongs to a family announced by HELP and TYPE, label values
// unescape to what went in, the histogram's buckets are cumulative and end with +Inf = _count.
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "appliance/api/metrics.h"
#include "db/event_log.h"
#include "tests/support/result_checks.h"

using namespace understudy;
using namespace understudy::api;

namespace {

struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct Family {
    std::string type;
    std::string help;
};

struct Exposition {
    std::map<std::string, Family> families;
    std::vector<Sample> samples;
    std::string error;  // empty when the text parsed
};

bool isNameStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

bool isNameChar(char c) {
    return isNameStart(c) || (c >= '0' && c <= '9');
}

// The family a sample belongs to: histogram samples carry a suffix.
std::string familyOf(const std::string& sample, const std::map<std::string, Family>& families) {
    if (families.count(sample) != 0) {
        return sample;
    }
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        const std::string tail(suffix);
        if (sample.size() > tail.size() &&
            sample.compare(sample.size() - tail.size(), tail.size(), tail) == 0) {
            const std::string base = sample.substr(0, sample.size() - tail.size());
            auto found = families.find(base);
            if (found != families.end() && found->second.type == "histogram") {
                return base;
            }
        }
    }
    return {};
}

std::optional<double> parseValue(const std::string& text) {
    if (text == "+Inf") {
        return INFINITY;
    }
    if (text == "-Inf") {
        return -INFINITY;
    }
    if (text == "NaN") {
        return NAN;
    }
    bool ok = false;
    const double value = QByteArray::fromStdString(text).toDouble(&ok);
    return ok ? std::optional<double>(value) : std::nullopt;
}

Exposition parse(const QByteArray& text) {
    Exposition out;
    const auto fail = [&out](int line, const std::string& why) {
        out.error = "line " + std::to_string(line) + ": " + why;
        return out;
    };
    if (!text.endsWith('\n')) {
        return fail(0, "the text must end with a line feed");
    }
    const QList<QByteArray> lines = text.chopped(1).split('\n');
    std::string pending_help;  // HELP seen, TYPE not yet
    for (int n = 0; n < lines.size(); ++n) {
        const std::string line = lines[n].toStdString();
        if (line.rfind("# HELP ", 0) == 0) {
            const std::string rest = line.substr(7);
            const auto space = rest.find(' ');
            if (space == std::string::npos || space == 0) {
                return fail(n + 1, "HELP without a name and a text");
            }
            pending_help = rest.substr(0, space);
            if (out.families.count(pending_help) != 0) {
                return fail(n + 1, "family announced twice: " + pending_help);
            }
            out.families[pending_help].help = rest.substr(space + 1);
            continue;
        }
        if (line.rfind("# TYPE ", 0) == 0) {
            const std::string rest = line.substr(7);
            const auto space = rest.find(' ');
            const std::string name = rest.substr(0, space);
            const std::string type = space == std::string::npos ? "" : rest.substr(space + 1);
            if (name != pending_help) {
                return fail(n + 1, "TYPE " + name + " does not follow its HELP");
            }
            if (type != "gauge" && type != "counter" && type != "histogram") {
                return fail(n + 1, "unknown type " + type);
            }
            out.families[name].type = type;
            pending_help.clear();
            continue;
        }
        if (line.empty() || line[0] == '#') {
            return fail(n + 1, "unexpected line: " + line);
        }
        Sample sample;
        std::size_t i = 0;
        if (!isNameStart(line[0])) {
            return fail(n + 1, "bad metric name");
        }
        while (i < line.size() && isNameChar(line[i])) {
            ++i;
        }
        sample.name = line.substr(0, i);
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (i < line.size() && line[i] != '}') {
                const std::size_t start = i;
                while (i < line.size() && isNameChar(line[i])) {
                    ++i;
                }
                const std::string label = line.substr(start, i - start);
                if (label.empty() || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') {
                    return fail(n + 1, "bad label in " + line);
                }
                i += 2;
                std::string value;
                for (;; ++i) {
                    if (i >= line.size()) {
                        return fail(n + 1, "unterminated label value");
                    }
                    if (line[i] == '"') {
                        ++i;
                        break;
                    }
                    if (line[i] == '\\') {
                        ++i;
                        if (i >= line.size()) {
                            return fail(n + 1, "escape at the end of the line");
                        }
                        if (line[i] == 'n') {
                            value += '\n';
                        } else if (line[i] == '\\' || line[i] == '"') {
                            value += line[i];
                        } else {
                            return fail(n + 1, "unknown escape");
                        }
                        continue;
                    }
                    value += line[i];
                }
                if (!sample.labels.emplace(label, value).second) {
                    return fail(n + 1, "label given twice: " + label);
                }
                if (i < line.size() && line[i] == ',') {
                    ++i;
                }
            }
            if (i >= line.size()) {
                return fail(n + 1, "unterminated label set");
            }
            ++i;
        }
        if (i >= line.size() || line[i] != ' ') {
            return fail(n + 1, "no value after " + sample.name);
        }
        auto value = parseValue(line.substr(i + 1));
        if (!value) {
            return fail(n + 1, "bad value in " + line);
        }
        sample.value = *value;
        const std::string family = familyOf(sample.name, out.families);
        if (family.empty() || out.families[family].type.empty()) {
            return fail(n + 1, "sample " + sample.name + " of no announced family");
        }
        out.samples.push_back(std::move(sample));
    }
    if (!pending_help.empty()) {
        return fail(static_cast<int>(lines.size()), "HELP " + pending_help + " without TYPE");
    }
    return out;
}

std::vector<Sample> samplesNamed(const Exposition& exposition, const std::string& name) {
    std::vector<Sample> found;
    for (const Sample& sample : exposition.samples) {
        if (sample.name == name) {
            found.push_back(sample);
        }
    }
    return found;
}

core::ApplianceStatus applianceNamed(const std::string& name) {
    core::ApplianceStatus status;
    status.name = name;
    status.connected = true;
    status.headroom.capacity = {64, 262144};
    status.headroom.free = {60, 200000};
    status.overflow_risk = {1e-5, 0.0};
    return status;
}

}  // namespace

class TestMetrics : public QObject {
    Q_OBJECT

private slots:
    void theExpositionParsesWithEveryFamilyAnnounced() {
        LatencyHistogram latency;
        latency.observe(0.02);
        MetricsInput input;
        input.appliances = {applianceNamed("pna-1"), applianceNamed("pna-2")};
        core::NodeStatus node;
        node.name = "erp-passive";
        node.appliance = "pna-1";
        node.state = db::NodeState::Active;
        input.nodes = {node};
        input.takeover_latency = &latency;
        input.requests[{"GET", QStringLiteral("/api/v1/nodes"), 200}] = 7;
        input.last_event_id = 42;
        const Exposition exposition = parse(renderMetrics(input));
        QVERIFY2(exposition.error.empty(), exposition.error.c_str());
        for (const char* name :
             {"understudy_capacity", "understudy_free", "understudy_overflow_risk",
              "understudy_nodes", "understudy_takeover_duration_seconds",
              "understudy_http_requests_total", "understudy_last_event_id"}) {
            QVERIFY2(exposition.families.count(name) == 1, name);
            QVERIFY2(!exposition.families.at(name).help.empty(), name);
        }
        QCOMPARE(exposition.families.at("understudy_http_requests_total").type,
                 std::string("counter"));
        QCOMPARE(exposition.families.at("understudy_takeover_duration_seconds").type,
                 std::string("histogram"));

        const auto capacity = samplesNamed(exposition, "understudy_capacity");
        QCOMPARE(capacity.size(), std::size_t{4});  // 2 appliances × 2 resources
        QCOMPARE(capacity[0].labels.at("appliance"), std::string("pna-1"));
        QCOMPARE(capacity[0].labels.at("resource"), std::string("memory_mib"));
        QCOMPARE(capacity[0].value, 262144.0);
        const auto risk = samplesNamed(exposition, "understudy_overflow_risk");
        QCOMPARE(risk[0].value, 1e-5);
        const auto requests = samplesNamed(exposition, "understudy_http_requests_total");
        QCOMPARE(requests.size(), std::size_t{1});
        QCOMPARE(requests[0].labels.at("route"), std::string("/api/v1/nodes"));
        QCOMPARE(requests[0].labels.at("status"), std::string("200"));
        QCOMPARE(requests[0].value, 7.0);
        QCOMPARE(samplesNamed(exposition, "understudy_last_event_id")[0].value, 42.0);
        double active = -1;
        int states = 0;
        for (const Sample& sample : samplesNamed(exposition, "understudy_nodes")) {
            if (sample.labels.at("appliance") == "pna-1") {
                ++states;
                if (sample.labels.at("state") == "active") {
                    active = sample.value;
                }
            }
        }
        QCOMPARE(active, 1.0);
        QVERIFY(states >= 9);  // every state has a line, zero or not
    }

    void histogramBucketsAreCumulativeAndEndWithInf_data() {
        QTest::addColumn<QList<double>>("observations");
        QTest::newRow("none") << QList<double>{};
        QTest::newRow("one fast") << QList<double>{0.001};
        QTest::newRow("on a bound") << QList<double>{0.1, 0.1};
        QTest::newRow("spread") << QList<double>{0.003, 0.02, 0.3, 0.3, 4.0, 12.0};
        QTest::newRow("beyond the last bound") << QList<double>{45.0, 0.2, 120.0};
    }

    void histogramBucketsAreCumulativeAndEndWithInf() {
        QFETCH(QList<double>, observations);
        LatencyHistogram latency;
        double sum = 0;
        for (double seconds : observations) {
            latency.observe(seconds);
            sum += seconds;
        }
        MetricsInput input;
        input.takeover_latency = &latency;
        const Exposition exposition = parse(renderMetrics(input));
        QVERIFY2(exposition.error.empty(), exposition.error.c_str());
        const auto buckets =
            samplesNamed(exposition, "understudy_takeover_duration_seconds_bucket");
        QCOMPARE(buckets.size(), LatencyHistogram::kBounds.size() + 1);
        double previous_bound = -INFINITY;
        double previous_count = 0;
        for (std::size_t i = 0; i < buckets.size(); ++i) {
            const auto bound = parseValue(buckets[i].labels.at("le"));
            QVERIFY(bound.has_value());
            QVERIFY(*bound > previous_bound);
            QVERIFY(buckets[i].value >= previous_count);
            // Each bucket counts the observations at or below its bound.
            double expected = 0;
            for (double seconds : observations) {
                expected += seconds <= *bound ? 1 : 0;
            }
            QCOMPARE(buckets[i].value, expected);
            previous_bound = *bound;
            previous_count = buckets[i].value;
        }
        QCOMPARE(buckets.back().labels.at("le"), std::string("+Inf"));
        QVERIFY(buckets[0].labels.at("le") == "0.005");  // bounds read as written
        const auto count = samplesNamed(exposition, "understudy_takeover_duration_seconds_count");
        const auto total = samplesNamed(exposition, "understudy_takeover_duration_seconds_sum");
        QCOMPARE(count.size(), std::size_t{1});
        QCOMPARE(total.size(), std::size_t{1});
        QCOMPARE(count[0].value, static_cast<double>(observations.size()));
        QCOMPARE(buckets.back().value, count[0].value);
        QVERIFY(std::abs(total[0].value - sum) < 1e-9);
    }

    void labelValuesAreEscaped_data() {
        QTest::addColumn<QString>("route");
        QTest::newRow("plain") << "/api/v1/nodes/{name}";
        QTest::newRow("double quote") << "/a\"b";
        QTest::newRow("backslash") << "/a\\b";
        QTest::newRow("line feed") << "/a\nb";
        QTest::newRow("all, twice") << "\\\"\n\\\"\n";
        QTest::newRow("braces and comma") << "/x{a=\"1\",b}";
    }

    void labelValuesAreEscaped() {
        QFETCH(QString, route);
        MetricsInput input;
        input.appliances = {applianceNamed(route.toStdString())};
        input.requests[{"GET", route, 404}] = 1;
        const QByteArray text = renderMetrics(input);
        const Exposition exposition = parse(text);
        QVERIFY2(exposition.error.empty(), exposition.error.c_str());
        const auto requests = samplesNamed(exposition, "understudy_http_requests_total");
        QCOMPARE(requests.size(), std::size_t{1});
        QCOMPARE(QString::fromStdString(requests[0].labels.at("route")), route);
        const auto connected = samplesNamed(exposition, "understudy_appliance_connected");
        QCOMPARE(connected.size(), std::size_t{1});
        QCOMPARE(QString::fromStdString(connected[0].labels.at("appliance")), route);
    }

    // One sample per state and appliance, 1 for its state: an alert can key on state="lost".
    void eachApplianceHasOneStateSetToOne() {
        MetricsInput input;
        core::ApplianceStatus up = applianceNamed("up");
        up.state = core::ApplianceState::connected;
        core::ApplianceStatus gone = applianceNamed("gone");
        gone.state = core::ApplianceState::lost;
        input.appliances = {up, gone};
        const Exposition exposition = parse(renderMetrics(input));
        QVERIFY2(exposition.error.empty(), exposition.error.c_str());
        const auto states = samplesNamed(exposition, "understudy_appliance_state");
        QCOMPARE(states.size(), std::size_t{6});
        std::map<std::string, double> ones;
        for (const auto& sample : states) {
            if (sample.value == 1) {
                ones[sample.labels.at("appliance")] += 1;
                QCOMPARE(sample.labels.at("state"),
                         std::string(sample.labels.at("appliance") == "up" ? "connected" : "lost"));
            }
        }
        QCOMPARE(ones.size(), std::size_t{2});
        QCOMPARE(ones["up"], 1.0);
        QCOMPARE(ones["gone"], 1.0);
    }

    // The risk of now per appliance: its denial risk, and how many nodes could not take over.
    void denialRiskAndNotReadyNodesPerAppliance() {
        MetricsInput input;
        core::ApplianceStatus tight = applianceNamed("tight");
        tight.denial_risk = 0.0217;
        tight.not_ready = {{"web-passive", "web", {}}, {"files-passive", "files", {}}};
        input.appliances = {tight, applianceNamed("roomy")};
        const Exposition exposition = parse(renderMetrics(input));
        QVERIFY2(exposition.error.empty(), exposition.error.c_str());
        QCOMPARE(exposition.families.at("understudy_denial_risk").type, std::string("gauge"));
        QCOMPARE(exposition.families.at("understudy_not_ready_nodes").type, std::string("gauge"));
        const auto risk = samplesNamed(exposition, "understudy_denial_risk");
        QCOMPARE(risk.size(), std::size_t{2});
        QCOMPARE(risk[0].labels.at("appliance"), std::string("tight"));
        QCOMPARE(risk[0].value, 0.0217);
        QCOMPARE(risk[1].value, 0.0);
        const auto not_ready = samplesNamed(exposition, "understudy_not_ready_nodes");
        QCOMPARE(not_ready.size(), std::size_t{2});
        QCOMPARE(not_ready[0].value, 2.0);
        QCOMPARE(not_ready[1].labels.at("appliance"), std::string("roomy"));
        QCOMPARE(not_ready[1].value, 0.0);
    }

    void specialValuesUsePrometheusSpelling() {
        MetricsInput input;
        core::ApplianceStatus status = applianceNamed("a");
        status.headroom.overbooking_ratio = {INFINITY, NAN};
        input.appliances = {status};
        const QByteArray text = renderMetrics(input);
        QVERIFY(text.contains(
            "understudy_overbooking_ratio{appliance=\"a\",resource=\"memory_mib\"} +Inf\n"));
        QVERIFY(text.contains(
            "understudy_overbooking_ratio{appliance=\"a\",resource=\"vcpus\"} NaN\n"));
        const Exposition exposition = parse(text);
        QVERIFY2(exposition.error.empty(), exposition.error.c_str());
    }

    // Per node, 1 when it is in its appliance's not_ready: the alert names the cluster exposed.
    void eachNodeSaysWhetherItCouldTakeOverNow() {
        MetricsInput input;
        core::ApplianceStatus tight = applianceNamed("tight");
        tight.not_ready = {{"web-passive", "web", {}}};
        input.appliances = {tight};
        for (const char* name : {"web", "erp"}) {
            core::NodeStatus node;
            node.name = std::string(name) + "-passive";
            node.cluster = name;
            node.appliance = "tight";
            input.nodes.push_back(node);
        }
        const Exposition exposition = parse(renderMetrics(input));
        QVERIFY2(exposition.error.empty(), exposition.error.c_str());
        QCOMPARE(exposition.families.at("understudy_node_not_ready").type, std::string("gauge"));
        const auto not_ready = samplesNamed(exposition, "understudy_node_not_ready");
        QCOMPARE(not_ready.size(), std::size_t{2});
        QCOMPARE(not_ready[0].labels.at("node"), std::string("web-passive"));
        QCOMPARE(not_ready[0].labels.at("cluster"), std::string("web"));
        QCOMPARE(not_ready[0].labels.at("appliance"), std::string("tight"));
        QCOMPARE(not_ready[0].value, 1.0);
        QCOMPARE(not_ready[1].labels.at("node"), std::string("erp-passive"));
        QCOMPARE(not_ready[1].value, 0.0);
    }

    // A database that cannot be read still gives an exposition that says so, with the target
    // and the counters, so that an alert names the database rather than a failed scrape.
    void anUnreadableDatabaseIsReportedNotAFailedScrape() {
        MetricsInput input;
        input.database_available = false;
        input.target_risk = 1e-4;
        input.auth_failures = 3;
        const Exposition exposition = parse(renderMetrics(input));
        QVERIFY2(exposition.error.empty(), exposition.error.c_str());
        QCOMPARE(samplesNamed(exposition, "understudy_database_available")[0].value, 0.0);
        QCOMPARE(samplesNamed(exposition, "understudy_target_risk")[0].value, 1e-4);
        QCOMPARE(samplesNamed(exposition, "understudy_auth_failures_total")[0].value, 3.0);
        QVERIFY(samplesNamed(exposition, "understudy_capacity").empty());

        input.database_available = true;
        const Exposition readable = parse(renderMetrics(input));
        QCOMPARE(samplesNamed(readable, "understudy_database_available")[0].value, 1.0);
    }

    // Events per kind from the service's start: every kind from 0, older events not counted,
    // new ones counted once however many times the log is read.
    void eventsAreCountedPerKindFromTheStart() {
        QTemporaryDir folder;
        QVERIFY(folder.isValid());
        const std::string path = folder.filePath(QStringLiteral("events.db")).toStdString();
        auto writer = db::Database::openWriter(path);
        QVERIFY_OK(writer);
        db::EventLog log(**writer);
        const auto event = [](const char* kind) {
            db::DBEvent made;
            made.time = 1;
            made.kind = kind;
            return made;
        };
        auto before = log.append({event("takeover.denied"), event("service.started")});
        QVERIFY_OK(before);
        auto reader = db::Database::openReader(path);
        QVERIFY_OK(reader);

        EventCounts counts;
        counts.startAfter(before->back());
        QVERIFY_OK(counts.catchUp(**reader));
        QCOMPARE(counts.counts().size(), db::eventKinds().size());
        QCOMPARE(counts.counts().at("takeover.denied"), std::uint64_t{0});
        QVERIFY_OK(
            log.append({event("takeover.denied"), event("hook.failed"), event("takeover.denied")}));
        QVERIFY_OK(counts.catchUp(**reader));
        QVERIFY_OK(counts.catchUp(**reader));
        QCOMPARE(counts.counts().at("takeover.denied"), std::uint64_t{2});
        QCOMPARE(counts.counts().at("hook.failed"), std::uint64_t{1});
        QCOMPARE(counts.counts().at("service.started"), std::uint64_t{0});

        MetricsInput input;
        input.events = &counts;
        const Exposition exposition = parse(renderMetrics(input));
        QVERIFY2(exposition.error.empty(), exposition.error.c_str());
        QCOMPARE(exposition.families.at("understudy_events_total").type, std::string("counter"));
        const auto totals = samplesNamed(exposition, "understudy_events_total");
        QCOMPARE(totals.size(), db::eventKinds().size());
        for (const Sample& sample : totals) {
            const std::string& kind = sample.labels.at("kind");
            QCOMPARE(sample.value, kind == "takeover.denied" ? 2.0
                                   : kind == "hook.failed"   ? 1.0
                                                             : 0.0);
        }
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "test_metrics.moc"

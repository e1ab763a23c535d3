// Decoding the API's JSON (docs/http-api.md, "Resources") from fixtures written from the contract's
// examples: every field lands where it belongs, fields a newer service adds are ignored, and a
// wrong shape is an error that names the JSON path.
#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include "appliance/client/api_error.h"
#include "appliance/client/api_json.h"
#include "appliance/client/cluster_spec.h"
#include "tests/support/source_files.h"

using namespace understudy::client;

namespace {

QByteArray fixture(const QString& name) {
    return understudy::testsupport::readSourceFile(QStringLiteral("tests/appliance/data/api/") +
                                                   name);
}

template <typename T>
T decodedFixture(const QString& name) {
    auto result = decodeBody<T>(fixture(name));
    if (!result) {
        qFatal("%s: %s", qPrintable(name), qPrintable(result.error().message));
    }
    return std::move(result).value();
}

template <typename T>
std::vector<T> decodedList(const QString& name, const QString& collection) {
    auto result = decodeListBody<T>(fixture(name), collection);
    if (!result) {
        qFatal("%s: %s", qPrintable(name), qPrintable(result.error().message));
    }
    return std::move(result).value();
}

// Decodes a body as the resource a fixture holds; gives the error message or "".
QString decodeProblem(const QString& kind, const QByteArray& body) {
    const auto problem = [](const auto& result) {
        return result ? QString() : result.error().message;
    };
    if (kind == QLatin1String("appliances")) {
        return problem(decodeListBody<Appliance>(body, kind));
    }
    if (kind == QLatin1String("groups")) {
        return problem(decodeListBody<Group>(body, kind));
    }
    if (kind == QLatin1String("clusters")) {
        return problem(decodeListBody<Cluster>(body, kind));
    }
    if (kind == QLatin1String("nodes")) {
        return problem(decodeListBody<Node>(body, kind));
    }
    if (kind == QLatin1String("registration")) {
        return problem(decodeBody<Registration>(body));
    }
    if (kind == QLatin1String("events")) {
        return problem(decodeBody<EventPage>(body));
    }
    if (kind == QLatin1String("readiness")) {
        return problem(decodeBody<Readiness>(body));
    }
    if (kind == QLatin1String("stats")) {
        return problem(decodeBody<ClusterStats>(body));
    }
    if (kind == QLatin1String("takeover")) {
        return problem(decodeBody<TakeoverGrant>(body));
    }
    if (kind == QLatin1String("power")) {
        return problem(decodeBody<PowerState>(body));
    }
    if (kind == QLatin1String("health")) {
        return problem(decodeBody<Health>(body));
    }
    if (kind == QLatin1String("loss")) {
        return problem(decodeBody<ApplianceLoss>(body));
    }
    if (kind == QLatin1String("sizing")) {
        return problem(decodeBody<Sizing>(body));
    }
    if (kind == QLatin1String("what-if")) {
        return problem(decodeBody<WhatIfAnswer>(body));
    }
    if (kind == QLatin1String("denial")) {
        return problem(
            fromJson<Denial>(QJsonDocument::fromJson(body).object().value("denial"), "denial"));
    }
    if (kind == QLatin1String("refusal")) {
        return problem(fromJson<AdmissionRefusal>(QJsonDocument::fromJson(body).object()));
    }
    qFatal("unknown kind %s", qPrintable(kind));
}

// Every object in the document gains fields no version of the API has.
QJsonValue withUnknownFields(const QJsonValue& value) {
    if (value.isObject()) {
        QJsonObject object;
        const QJsonObject original = value.toObject();
        for (auto it = original.begin(); it != original.end(); ++it) {
            object.insert(it.key(), withUnknownFields(it.value()));
        }
        object.insert(QStringLiteral("added_in_v9"), QJsonObject{{"nested", QJsonArray{1, "x"}}});
        object.insert(QStringLiteral("zz_flag"), true);
        return object;
    }
    if (value.isArray()) {
        QJsonArray array;
        for (const QJsonValue& element : value.toArray()) {
            array.append(withUnknownFields(element));
        }
        return array;
    }
    return value;
}

// Replaces (or with an undefined value, removes) the value at a path such as
// "nodes.1.standby.vcpus".
QJsonValue replaced(const QJsonValue& root, QStringList path, const QJsonValue& replacement) {
    if (path.isEmpty()) {
        return replacement;
    }
    const QString step = path.takeFirst();
    if (root.isArray()) {
        QJsonArray array = root.toArray();
        const auto index = step.toLongLong();
        array[index] = replaced(array[index], path, replacement);
        return array;
    }
    QJsonObject object = root.toObject();
    if (path.isEmpty() && replacement.isUndefined()) {
        object.remove(step);
    } else {
        object.insert(step, replaced(object.value(step), path, replacement));
    }
    return object;
}

QByteArray toBody(const QJsonValue& value) {
    return value.isArray() ? QJsonDocument(value.toArray()).toJson()
                           : QJsonDocument(value.toObject()).toJson();
}

}  // namespace

class TestApiClientJson : public QObject {
    Q_OBJECT

private slots:
    void aServedClusterIsTheSizingEnginesClusterSpec() {
        const auto list = decodedList<Cluster>("clusters.json", "clusters");
        QVERIFY(!list.empty());
        for (const Cluster& served : list) {
            const understudy::sizing::ClusterSpec spec = clusterSpec(served);
            QCOMPARE(QString::fromStdString(spec.name), served.name);
            QCOMPARE(spec.priority, served.priority);
            QCOMPARE(spec.mtbf_hours, served.mtbf_hours);
            QCOMPARE(spec.mttr_hours, served.mttr_hours);
            QCOMPARE(QString::fromStdString(spec.group), served.group);
            QCOMPARE(spec.standby.vcpus, served.standby.vcpus);
            QCOMPARE(spec.standby.memory_mib, served.standby.memory_mib);
            QCOMPARE(spec.active.vcpus, served.active.vcpus);
            QCOMPARE(spec.active.memory_mib, served.active.memory_mib);
            QCOMPARE(spec.memory_mode == understudy::sizing::MemoryMode::reserved,
                     served.memory_mode == QStringLiteral("reserved"));
        }
        Cluster reserved = list.front();
        reserved.memory_mode = QStringLiteral("reserved");
        QVERIFY(clusterSpec(reserved).memory_mode == understudy::sizing::MemoryMode::reserved);
        reserved.memory_mode = QStringLiteral("balloon");
        QVERIFY(clusterSpec(reserved).memory_mode == understudy::sizing::MemoryMode::balloon);
    }

    void decodesAppliancesWithBothResources() {
        const auto list = decodedList<Appliance>("appliances.json", "appliances");
        QCOMPARE(list.size(), std::size_t{2});
        const Appliance& a = list[0];
        QCOMPARE(a.name, QStringLiteral("pna-1"));
        QCOMPARE(a.uri, QStringLiteral("test:///usr/share/understudy/demo-appliance.xml"));
        QVERIFY(a.connected);
        QCOMPARE(a.state, QStringLiteral("connected"));
        QVERIFY(!list[1].connected);
        QCOMPARE(list[1].state, QStringLiteral("lost"));
        QCOMPARE(a.cpu_overcommit, 4.0);
        QCOMPARE(a.memory_mib.capacity, 245760);
        QCOMPARE(a.memory_mib.foreign, 0);
        QCOMPARE(a.memory_mib.standby_committed, 20480);
        QCOMPARE(a.memory_mib.granted, 30720);
        QCOMPARE(a.memory_mib.free, 194560);
        QCOMPARE(a.memory_mib.overbooking_ratio, 1.75);
        QCOMPARE(a.memory_mib.overflow_risk, 1.2e-07);
        QCOMPARE(a.vcpus.capacity, 248);
        QCOMPARE(a.vcpus.foreign, 2);
        QCOMPARE(a.vcpus.free, 229);
        QCOMPARE(a.vcpus.overbooking_ratio, 0.35);
        QCOMPARE(a.vcpus.overflow_risk, 0.0);
        QCOMPARE(a.not_ready.size(), std::size_t{2});
        QCOMPARE(a.not_ready[0].node, QStringLiteral("web-passive"));
        QCOMPARE(a.not_ready[0].cluster, QStringLiteral("web"));
        QCOMPARE(a.not_ready[0].reason, QStringLiteral("not enough memory"));
        QVERIFY(!a.not_ready[0].partial_cpu);
        QVERIFY(a.not_ready[1].reason.isEmpty());
        QCOMPARE(a.not_ready[1].would_preempt, QStringList{QStringLiteral("dev-passive")});
        QVERIFY(a.not_ready[1].partial_cpu);
        QVERIFY(a.denial_risk);
        QCOMPARE(a.denial_risk->horizon_hours, 24.0);
        QCOMPARE(a.denial_risk->value, 0.0028);
        // A service older than the risk of now sends neither.
        QVERIFY(list[1].not_ready.empty());
        QVERIFY(!list[1].denial_risk);
    }

    // A service from before the appliance states: connected or unreachable, from `connected`.
    void derivesTheStateAnOlderServiceDoesNotSend_data() {
        QTest::addColumn<bool>("connected");
        QTest::addColumn<QString>("expected");
        QTest::newRow("connected") << true << "connected";
        QTest::newRow("disconnected") << false << "unreachable";
    }
    void derivesTheStateAnOlderServiceDoesNotSend() {
        QFETCH(bool, connected);
        QFETCH(QString, expected);
        const QJsonValue original = QJsonDocument::fromJson(fixture("appliances.json")).object();
        const QJsonValue older = replaced(
            replaced(original, {"appliances", "0", "state"}, QJsonValue(QJsonValue::Undefined)),
            {"appliances", "0", "connected"}, connected);
        const auto decoded = decodeListBody<Appliance>(toBody(older), "appliances");
        QVERIFY2(decoded.ok(), decoded.ok() ? "" : qPrintable(decoded.error().message));
        QCOMPARE(decoded->at(0).state, expected);

        const auto health = decodedFixture<Health>("health.json");
        QCOMPARE(health.appliances[0].state, QStringLiteral("connected"));
        QCOMPARE(health.appliances[1].state, QStringLiteral("unreachable"));
    }

    // A state a newer service may add is shown as it came, not refused.
    void keepsAStateThisClientDoesNotKnow() {
        const QJsonValue original = QJsonDocument::fromJson(fixture("appliances.json")).object();
        const auto decoded = decodeListBody<Appliance>(
            toBody(replaced(original, {"appliances", "0", "state"}, "draining")), "appliances");
        QVERIFY(decoded.ok());
        QCOMPARE(decoded->at(0).state, QStringLiteral("draining"));
    }

    void decodesTheEvacuationOfALostAppliance() {
        const auto loss = decodedFixture<ApplianceLoss>("appliance_lost.json");
        QCOMPARE(loss.appliance, QStringLiteral("pna-2"));
        QCOMPARE(loss.evacuated.size(), std::size_t{2});
        QCOMPARE(loss.evacuated[1].node, QStringLiteral("crm-passive"));
        QCOMPARE(loss.evacuated[1].to, QStringLiteral("pna-3"));
        QCOMPARE(loss.stranded.size(), std::size_t{1});
        QCOMPARE(loss.stranded[0].node, QStringLiteral("web-passive"));
        QVERIFY(loss.stranded[0].reason.startsWith("memory_mib: needs 8192"));

        // The appliance as an object instead of its name.
        const QJsonValue appliance =
            QJsonDocument::fromJson(fixture("appliances.json")).object()["appliances"][1];
        const auto as_object = decodeBody<ApplianceLoss>(
            toBody(replaced(QJsonDocument::fromJson(fixture("appliance_lost.json")).object(),
                            {"appliance"}, appliance)));
        QVERIFY2(as_object.ok(), as_object.ok() ? "" : qPrintable(as_object.error().message));
        QCOMPARE(as_object->appliance, QStringLiteral("pna-2"));
    }

    void decodesGroupsWithTheirMembers() {
        const auto list = decodedList<Group>("groups.json", "groups");
        QCOMPARE(list.size(), std::size_t{2});
        QCOMPARE(list[0].name, QStringLiteral("rack-a"));
        QCOMPARE(list[0].mtbf_hours, 43800.0);
        QCOMPARE(list[0].mttr_hours, 6.0);
        QCOMPARE(list[0].members, (QStringList{"erp", "crm"}));
        QCOMPARE(list[1].mtbf_hours, 87600.5);
        QCOMPARE(list[1].mttr_hours, 2.25);
        QVERIFY(list[1].members.isEmpty());
    }

    void decodesClustersWithNullGroupAndDomain() {
        const auto list = decodedList<Cluster>("clusters.json", "clusters");
        QCOMPARE(list.size(), std::size_t{2});
        const Cluster& erp = list[0];
        QCOMPARE(erp.name, QStringLiteral("erp"));
        QCOMPARE(erp.priority, 900);
        QCOMPARE(erp.mtbf_hours, 8760.0);
        QCOMPARE(erp.mttr_hours, 24.0);
        QCOMPARE(erp.group, QStringLiteral("rack-a"));
        QCOMPARE(erp.standby.vcpus, 1);
        QCOMPARE(erp.standby.memory_mib, 2048);
        QCOMPARE(erp.active.vcpus, 8);
        QCOMPARE(erp.active.memory_mib, 32768);
        QCOMPARE(erp.memory_mode, QStringLiteral("balloon"));
        QCOMPARE(erp.failure_model, QStringLiteral("declared"));
        QCOMPARE(erp.appliance, QStringLiteral("pna-1"));
        QCOMPARE(erp.node, QStringLiteral("erp-passive"));
        QCOMPARE(erp.domain, QStringLiteral("erp-passive"));
        QVERIFY(!erp.token);
        const Cluster& crm = list[1];
        QVERIFY(crm.group.isEmpty());
        QVERIFY(crm.domain.isEmpty());
        QCOMPARE(crm.memory_mode, QStringLiteral("reserved"));
        QCOMPARE(crm.failure_model, QStringLiteral("observed"));
    }

    void decodesARegistrationWithItsTokenAndWarnings() {
        const auto single = decodedFixture<Registration>("cluster_registered.json");
        QCOMPARE(single.clusters.size(), std::size_t{1});
        QCOMPARE(single.clusters[0].name, QStringLiteral("web"));
        QVERIFY(single.clusters[0].group.isEmpty());
        QCOMPARE(single.clusters[0].token, std::optional<QString>("c0ffee-token-web"));
        QCOMPARE(single.warnings.size(), 1);

        QJsonObject fleet{
            {"clusters",
             QJsonDocument::fromJson(fixture("clusters.json")).object().value("clusters")}};
        auto many = decodeBody<Registration>(QJsonDocument(fleet).toJson());
        QVERIFY(many);
        QCOMPARE(many->clusters.size(), std::size_t{2});
        QVERIFY(many->warnings.isEmpty());
    }

    void decodesNodesWithCurrentAndGrant() {
        const auto list = decodedList<Node>("nodes.json", "nodes");
        QCOMPARE(list.size(), std::size_t{2});
        const Node& crm = list[0];
        QCOMPARE(crm.name, QStringLiteral("crm-passive"));
        QCOMPARE(crm.cluster, QStringLiteral("crm"));
        QCOMPARE(crm.appliance, QStringLiteral("pna-1"));
        QCOMPARE(crm.domain, QStringLiteral("crm-passive"));
        QCOMPARE(crm.state, QStringLiteral("active"));
        QCOMPARE(crm.standby.memory_mib, 4096);
        QCOMPARE(crm.active.vcpus, 4);
        QVERIFY(crm.current.has_value());
        QCOMPARE(crm.current->vcpus, 4);
        QCOMPARE(crm.current->memory_mib, 16384);
        QCOMPARE(crm.since, QDateTime(QDate(2026, 11, 26), QTime(5, 17, 32, 123), Qt::UTC));
        QVERIFY(crm.grant);
        QCOMPARE(crm.grant->memory_mib, 12288);
        QCOMPARE(crm.grant->vcpus, 2);
        QVERIFY(!crm.grant->partial);
        QVERIFY(!list[1].grant);
        QCOMPARE(list[1].current->vcpus, 1);
    }

    void decodesAMissingNodeWithoutCurrent() {
        // A node whose domain is missing has nothing libvirt could report: `current` is null.
        QJsonObject node = QJsonDocument::fromJson(fixture("nodes.json"))
                               .object()["nodes"]
                               .toArray()[1]
                               .toObject();
        node["state"] = QStringLiteral("missing");
        node["current"] = QJsonValue::Null;
        const auto decoded = fromJson<Node>(node);
        QVERIFY2(decoded, decoded ? "" : qPrintable(decoded.error().message));
        QVERIFY(!decoded->current.has_value());
        QCOMPARE(decoded->state, QStringLiteral("missing"));
    }

    void decodesAnEventPage() {
        const auto page = decodedFixture<EventPage>("events.json");
        QCOMPARE(page.events.size(), std::size_t{3});
        QCOMPARE(page.next, 43);
        QVERIFY(page.truncated);
        const Event& granted = page.events[1];
        QCOMPARE(granted.id, 42);
        QCOMPARE(granted.kind, QStringLiteral("takeover.granted"));
        QCOMPARE(granted.cluster, std::optional<QString>("crm"));
        QCOMPARE(granted.node, std::optional<QString>("crm-passive"));
        QCOMPARE(granted.details.value("memory_mib").toInt(), 12288);
        QCOMPARE(granted.actor, QStringLiteral("cluster:crm@10.0.0.7"));
        QVERIFY(page.events[2].actor.isEmpty());
        QCOMPARE(granted.time.toString(Qt::ISODateWithMs),
                 QStringLiteral("2026-11-26T05:17:32.123Z"));
        QVERIFY(!page.events[2].cluster);
        QVERIFY(!page.events[2].node);
    }

    void decodesReadinessStatsTakeoverPowerAndHealth() {
        const auto readiness = decodedFixture<Readiness>("readiness.json");
        QVERIFY(!readiness.ready);
        QVERIFY(readiness.partial_cpu);
        QCOMPARE(readiness.would_preempt, QStringList{"web-passive"});
        QCOMPARE(readiness.reason, QStringLiteral("memory only with preemption"));

        const auto stats = decodedFixture<ClusterStats>("stats.json");
        QCOMPARE(stats.failovers, 3);
        QCOMPARE(stats.active_hours, 51.5);
        QCOMPARE(stats.last_failover, QDateTime(QDate(2026, 11, 20), QTime(10, 0), Qt::UTC));
        QCOMPARE(stats.observed_mtbf_hours, std::optional<double>(2900.25));
        QVERIFY(!stats.observed_mttr_hours);
        QVERIFY(stats.last_probe);
        QVERIFY(stats.last_probe->ok);
        QCOMPARE(stats.last_probe->output, QStringLiteral("Status: ON"));

        const auto takeover = decodedFixture<TakeoverGrant>("takeover.json");
        QCOMPARE(takeover.node, QStringLiteral("erp-passive"));
        QCOMPARE(takeover.grant.memory_mib, 30720);
        QCOMPARE(takeover.grant.vcpus, 7);
        QVERIFY(takeover.grant.partial);
        QCOMPARE(takeover.grant.preempted, QStringList{"web-passive"});

        QCOMPARE(decodedFixture<PowerState>("power.json").power, QStringLiteral("off"));

        const auto health = decodedFixture<Health>("health.json");
        QCOMPARE(health.status, QStringLiteral("degraded"));
        QCOMPARE(health.version, QStringLiteral("0.1.0"));
        QCOMPARE(health.database, QStringLiteral("ok"));
        QCOMPARE(health.appliances.size(), std::size_t{2});
        QVERIFY(!health.appliances[1].connected);
    }

    void decodesSizingAndWhatIf() {
        const auto sizing = decodedFixture<Sizing>("sizing.json");
        QCOMPARE(sizing.method, QStringLiteral("exact"));
        QVERIFY(sizing.exact);
        QCOMPARE(sizing.target_risk, 0.0001);
        QCOMPARE(sizing.appliances.size(), std::size_t{1});
        QCOMPARE(sizing.appliances[0].memory_mib.capacity, 507904);
        QCOMPARE(sizing.appliances[0].memory_mib.required_capacity, 32768);
        QVERIFY(sizing.appliances[0].vcpus.meets_target);
        QCOMPARE(sizing.appliances[0].clusters[0].failover_probability, 0.002869);
        QVERIFY(sizing.raw.contains("baselines"));

        const auto what_if = decodedFixture<WhatIfAnswer>("what_if.json");
        QCOMPARE(what_if.takeovers.size(), std::size_t{2});
        QCOMPARE(what_if.takeovers[0].outcome, QStringLiteral("preempts"));
        QVERIFY(!what_if.takeovers[0].denial);
        QVERIFY(what_if.takeovers[1].denial);
        QCOMPARE(what_if.takeovers[1].denial->resource, QStringLiteral("vcpus"));
        QCOMPARE(what_if.takeovers[1].denial->needed, 4);
        QCOMPARE(what_if.sizing.method, QStringLiteral("exact"));
    }

    void decodesATakeoverDenialFromTheErrorBody() {
        const ApiError error = ApiError::fromResponse(409, fixture("takeover_denied.json"));
        QCOMPARE(error.status, 409);
        QCOMPARE(error.code, QStringLiteral("takeover_denied"));
        QVERIFY(error.message.startsWith("erp-passive cannot grow"));
        QVERIFY(error.denial);
        QCOMPARE(error.denial->resource, QStringLiteral("memory_mib"));
        QCOMPARE(error.denial->needed, 30720);
        QCOMPARE(error.denial->free, 8192);
        QCOMPARE(error.denial->holders.size(), std::size_t{1});
        QCOMPARE(error.denial->holders[0].node, QStringLiteral("crm-passive"));
        QCOMPARE(error.denial->holders[0].priority, 950);
        QCOMPARE(error.denial->holders[0].holds, 16384);
        QVERIFY(error.denial->preemptable.isEmpty());
        QCOMPARE(error.denial->tried, (QStringList{"headroom", "preempt", "partial_cpu"}));
        QVERIFY(!error.refusal);
    }

    void decodesAnAdmissionRefusalFromTheErrorBody() {
        const ApiError error = ApiError::fromResponse(409, fixture("admission_refused.json"));
        QCOMPARE(error.code, QStringLiteral("admission_refused"));
        QVERIFY(error.refusal);
        QCOMPARE(error.refusal->appliance, QStringLiteral("pna-1"));
        QCOMPARE(error.refusal->overflow_risk.memory_mib, 0.0032);
        QCOMPARE(error.refusal->overflow_risk.vcpus, 0.0);
        QCOMPARE(error.refusal->target_risk, 0.0001);
        QCOMPARE(error.refusal->unservable.size(), std::size_t{1});
        QCOMPARE(error.refusal->unservable[0].cluster, QStringLiteral("big"));
        QCOMPARE(error.refusal->unservable[0].needed, 524288);
        QCOMPARE(error.refusal->unservable[0].available, 225280);
    }

    void keepsTheExtraFieldsOfOtherErrors_data() {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("retryAfter");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("state");
        QTest::addColumn<qint64>("limit");
        QTest::addColumn<QString>("id");
        QTest::addColumn<int>("retryAfterS");
        QTest::newRow("invalid_field")
            << 400
            << QByteArray(
                   R"({"error":"invalid_field","message":"m","field":"clusters[3].standby.memory_mib"})")
            << QByteArray() << "invalid_field"
            << "clusters[3].standby.memory_mib"
            << "" << qint64{-1} << "" << -1;
        QTest::newRow("conflict with state")
            << 409 << QByteArray(R"({"error":"conflict","message":"m","state":"fenced"})")
            << QByteArray() << "conflict"
            << ""
            << "fenced" << qint64{-1} << "" << -1;
        QTest::newRow("payload_too_large")
            << 413 << QByteArray(R"({"error":"payload_too_large","message":"m","limit":1048576})")
            << QByteArray() << "payload_too_large"
            << ""
            << "" << qint64{1048576} << "" << -1;
        QTest::newRow("internal with id")
            << 500 << QByteArray(R"({"error":"internal","message":"m","id":"a1b2"})")
            << QByteArray() << "internal"
            << ""
            << "" << qint64{-1} << "a1b2" << -1;
        QTest::newRow("503 with Retry-After")
            << 503 << QByteArray(R"({"error":"database_unavailable","message":"m"})")
            << QByteArray("7") << "database_unavailable"
            << ""
            << "" << qint64{-1} << "" << 7;
        QTest::newRow("not an error object")
            << 502 << QByteArray("<html>Bad Gateway</html>") << QByteArray() << "http_502"
            << ""
            << "" << qint64{-1} << "" << -1;
    }
    void keepsTheExtraFieldsOfOtherErrors() {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, retryAfter);
        QFETCH(QString, code);
        QFETCH(QString, field);
        QFETCH(QString, state);
        QFETCH(qint64, limit);
        QFETCH(QString, id);
        QFETCH(int, retryAfterS);
        const ApiError error = ApiError::fromResponse(status, body, retryAfter);
        QCOMPARE(error.status, status);
        QCOMPARE(error.code, code);
        QVERIFY(!error.message.isEmpty());
        QCOMPARE(error.field, field);
        QCOMPARE(error.state, state);
        QCOMPARE(error.limit.value_or(-1), limit);
        QCOMPARE(error.id, id);
        QCOMPARE(error.retry_after_s.value_or(-1), retryAfterS);
    }

    void ignoresFieldsANewerServiceAdds_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("kind");
        const std::pair<const char*, const char*> rows[] = {
            {"appliances.json", "appliances"},
            {"groups.json", "groups"},
            {"clusters.json", "clusters"},
            {"cluster_registered.json", "registration"},
            {"nodes.json", "nodes"},
            {"events.json", "events"},
            {"readiness.json", "readiness"},
            {"stats.json", "stats"},
            {"takeover.json", "takeover"},
            {"power.json", "power"},
            {"health.json", "health"},
            {"appliance_lost.json", "loss"},
            {"sizing.json", "sizing"},
            {"what_if.json", "what-if"},
            {"takeover_denied.json", "denial"},
            {"admission_refused.json", "refusal"}};
        for (const auto& [file, kind] : rows) {
            QTest::newRow(file) << file << kind;
        }
    }
    void ignoresFieldsANewerServiceAdds() {
        QFETCH(QString, file);
        QFETCH(QString, kind);
        const QByteArray original = fixture(file);
        QCOMPARE(decodeProblem(kind, original), QString());
        const QByteArray extended =
            toBody(withUnknownFields(QJsonDocument::fromJson(original).object()));
        QVERIFY(extended.contains("added_in_v9"));
        QCOMPARE(decodeProblem(kind, extended), QString());
    }

    void namesThePathOfAWrongShape_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QJsonValue>("replacement");
        QTest::addColumn<QString>("expected");
        QTest::newRow("string for a number")
            << "nodes.json"
            << "nodes"
            << "nodes.1.standby.vcpus" << QJsonValue("1")
            << "nodes[1].standby.vcpus is a string, expected a number";
        QTest::newRow("missing field")
            << "appliances.json"
            << "appliances"
            << "appliances.0.resources.memory_mib.free" << QJsonValue(QJsonValue::Undefined)
            << "appliances[0].resources.memory_mib.free is missing";
        QTest::newRow("fraction for a whole number")
            << "events.json"
            << "events"
            << "events.2.id" << QJsonValue(43.5) << "events[2].id 43.5, expected a whole number";
        QTest::newRow("not a time") << "events.json"
                                    << "events"
                                    << "events.0.time" << QJsonValue("yesterday")
                                    << "events[0].time is \"yesterday\", expected an ISO 8601 time";
        QTest::newRow("object for a list") << "clusters.json"
                                           << "clusters"
                                           << "clusters" << QJsonValue(QJsonObject())
                                           << "expected an object with the array \"clusters\"";
        QTest::newRow("number in a name list")
            << "takeover.json"
            << "takeover"
            << "grant.preempted" << QJsonValue(QJsonArray{"a", 2})
            << "grant.preempted[1] is a number, expected a string";
        QTest::newRow("null for a flag") << "health.json"
                                         << "health"
                                         << "appliances.1.connected" << QJsonValue()
                                         << "appliances[1].connected is null, expected a boolean";
        QTest::newRow("array for an object") << "stats.json"
                                             << "stats"
                                             << "last_probe" << QJsonValue(QJsonArray{})
                                             << "last_probe is an array, expected an object";
        QTest::newRow("holder without holds")
            << "takeover_denied.json"
            << "denial"
            << "denial.holders.0.holds" << QJsonValue(QJsonValue::Undefined)
            << "denial.holders[0].holds is missing";
        QTest::newRow("number for a state") << "appliances.json"
                                            << "appliances"
                                            << "appliances.1.state" << QJsonValue(3)
                                            << "appliances[1].state is a number, expected a string";
        QTest::newRow("stranded without reason")
            << "appliance_lost.json"
            << "loss"
            << "stranded.0.reason" << QJsonValue(QJsonValue::Undefined)
            << "stranded[0].reason is missing";
        QTest::newRow("evacuated without target")
            << "appliance_lost.json"
            << "loss"
            << "evacuated.1.to" << QJsonValue() << "evacuated[1].to is null, expected a string";
    }
    void namesThePathOfAWrongShape() {
        QFETCH(QString, file);
        QFETCH(QString, kind);
        QFETCH(QString, path);
        QFETCH(QJsonValue, replacement);
        QFETCH(QString, expected);
        const QJsonValue original = QJsonDocument::fromJson(fixture(file)).object();
        const QByteArray broken =
            toBody(replaced(original, path.split(QLatin1Char('.')), replacement));
        const QString problem = decodeProblem(kind, broken);
        QVERIFY2(problem.contains(expected), qPrintable(problem));
        QVERIFY2(problem.contains("compatible versions"), qPrintable(problem));
    }

    void refusesAnswersThatAreNotJson() {
        auto result = decodeBody<Health>("<html>It works!</html>");
        QVERIFY(!result);
        QCOMPARE(result.error().code, QString::fromLatin1(kBadResponse));
        QVERIFY(result.error().message.contains("not JSON"));
        auto array = decodeBody<Health>("[1, 2]");
        QVERIFY(!array);
        QVERIFY(array.error().message.contains("the answer is an array, expected an object"));
    }
};

QTEST_GUILESS_MAIN(TestApiClientJson)
#include "test_api_client_json.moc"

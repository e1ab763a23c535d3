// The API's request-body decoders (appliance/service/request_body.h): what each body becomes,
// and the field path of what is refused, including the inputs the fuzzer
// (tests/fuzz/fuzz_request_body) found.
#include <QTest>
#include <string>
#include <vector>

#include "appliance/api/request_body.h"
#include "tests/support/result_checks.h"

using namespace understudy;
using namespace understudy::api;

namespace {

nlohmann::json parsed(const char* text) {
    return nlohmann::json::parse(text);
}

const std::vector<std::string> kAppliances{"demo"};
const std::vector<std::string> kClusters{"crm"};

// The error's field path, or "accepted".
template <typename T>
std::string outcome(const Result<T>& result) {
    return result ? std::string("accepted") : result.error().where;
}

}  // namespace

class TestRequestBody : public QObject {
    Q_OBJECT

private slots:
    void aClusterChangeSetsOnlyWhatTheBodyNames() {
        auto change = clusterChangeFromJson(
            parsed(R"({"priority": 10.0, "group": null, "standby": {"vcpus": 2, "memory_mib": 4096},
                      "memory_mode": "reserved", "failure_model": "observed"})"));
        QVERIFY(change);
        QCOMPARE(change->priority, std::optional<int>(10));
        QCOMPARE(change->group, std::optional<std::string>(""));
        QCOMPARE(change->standby, std::optional<sizing::Footprint>(sizing::Footprint{2, 4096}));
        QVERIFY(!change->active);
        QVERIFY(!change->mtbf_hours);
        QCOMPARE(change->memory_mode, std::optional(sizing::MemoryMode::reserved));
        QCOMPARE(change->failure_model, std::optional(db::FailureModel::Observed));
    }

    void aFleetBodyRegistersItsGroupsAndClustersAndWarnsAboutFleetSettings() {
        auto body = registrationFromJson(
            parsed(R"({"groups": [{"name": "rack-a", "mtbf_hours": 43800, "mttr_hours": 6}],
                      "clusters": [{"name": "erp", "mtbf_hours": 8760, "mttr_hours": 24,
                                    "group": "rack-a", "appliance": "demo",
                                    "standby": {"vcpus": 1, "memory_mib": 2048},
                                    "active": {"vcpus": 8, "memory_mib": 32768}}],
                      "tolerate_k": 1})"),
            kAppliances);
        QVERIFY_OK(body);
        QVERIFY(body->fleet);
        QCOMPARE(body->request.groups.size(), std::size_t{1});
        QCOMPARE(body->request.clusters.size(), std::size_t{1});
        QCOMPARE(body->request.clusters[0].appliance, std::string("demo"));
        QCOMPARE(body->warnings.size(), std::size_t{1});
    }

    void powerTakesTheFourActionsOnly() {
        QCOMPARE(*powerActionFromJson(parsed(R"({"action": "reboot"})")), PowerAction::reboot);
        QCOMPARE(outcome(powerActionFromJson(parsed(R"({"action": "explode"})"))),
                 std::string("action"));
        QCOMPARE(outcome(powerActionFromJson(parsed(R"({})"))), std::string("action"));
    }

    void refusedBodiesNameTheField_data() {
        QTest::addColumn<QString>("decoder");
        QTest::addColumn<QString>("body");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("message");  // a part of it
        // Found by fuzz_request_body: a float beyond int64_t's range was converted to an
        // integer before the range check, which is undefined behaviour (UBSan:
        // "1e+300 is outside the range of representable values of type 'long'").
        QTest::newRow("huge priority") << "change"
                                       << R"({"priority": 1e300})"
                                       << "priority"
                                       << "must be 0 to 1000, got 1e+300";
        QTest::newRow("huge negative vcpus") << "change"
                                             << R"({"standby": {"vcpus": -1e300, "memory_mib": 1}})"
                                             << "standby.vcpus"
                                             << "must be 1 to 1048576, got -1e+300";
        QTest::newRow("memory just above int64")
            << "what-if"
            << R"({"capacity": {"demo": {"vcpus": 1, "memory_mib": 9.3e18}}})"
            << "capacity.demo.memory_mib"
            << "must be 1 to 1099511627776, got 9.3e+18";
        QTest::newRow("fractional vcpus") << "change"
                                          << R"({"active": {"vcpus": 2.5, "memory_mib": 1}})"
                                          << "active.vcpus"
                                          << "whole number";
        QTest::newRow("unknown key") << "change"
                                     << R"({"prio": 1})"
                                     << "prio"
                                     << "unknown field";
        QTest::newRow("fixed key") << "change"
                                   << R"({"name": "x"})"
                                   << "name"
                                   << "cannot be changed";
        QTest::newRow("zero mtbf") << "group"
                                   << R"({"mtbf_hours": 0})"
                                   << "mtbf_hours"
                                   << "above 0";
        QTest::newRow("unknown cluster") << "what-if"
                                         << R"({"fail": ["crm", "nope"]})"
                                         << "fail[1]"
                                         << "no cluster 'nope'";
        QTest::newRow("unknown appliance")
            << "what-if"
            << R"({"capacity": {"rack": {"vcpus": 1, "memory_mib": 1}}})"
            << "capacity.rack"
            << "no appliance 'rack'";
        QTest::newRow("fleet without a cluster array") << "register"
                                                       << R"({"clusters": {}})"
                                                       << "clusters"
                                                       << "must be an array";
        QTest::newRow("a body for takeover") << "empty"
                                             << R"({"force": true})"
                                             << "force"
                                             << "unknown field";
    }

    void refusedBodiesNameTheField() {
        QFETCH(QString, decoder);
        QFETCH(QString, body);
        QFETCH(QString, field);
        QFETCH(QString, message);
        const nlohmann::json document = nlohmann::json::parse(body.toStdString());
        std::string where = "accepted";
        std::string said;
        if (decoder == "change") {
            auto change = clusterChangeFromJson(document);
            where = outcome(change);
            said = change ? "" : change.error().message;
        } else if (decoder == "what-if") {
            auto what_if = whatIfFromJson(document, kClusters, kAppliances);
            where = outcome(what_if);
            said = what_if ? "" : what_if.error().message;
        } else if (decoder == "group") {
            auto change = groupChangeFromJson(document);
            where = outcome(change);
            said = change ? "" : change.error().message;
        } else if (decoder == "register") {
            auto registration = registrationFromJson(document, kAppliances);
            where = outcome(registration);
            said = registration ? "" : registration.error().message;
        } else if (decoder == "empty") {
            Status empty = emptyObjectFromJson(document);
            where = empty ? std::string("accepted") : empty.error().where;
            said = empty ? "" : empty.error().message;
        }
        QCOMPARE(QString::fromStdString(where), field);
        QVERIFY2(QString::fromStdString(said).contains(message), said.c_str());
    }
};

QTEST_GUILESS_MAIN(TestRequestBody)
#include "test_request_body.moc"

#include <QtTest>

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "sizing/fleet_file.h"
#include "tests/support/result_checks.h"
#include "tests/support/source_files.h"

using namespace understudy::sizing;
using nlohmann::json;
using understudy::testsupport::describe;

using FleetEdit = std::function<void(Fleet&)>;
Q_DECLARE_METATYPE(FleetEdit)

namespace {

const char* const kCsvHeader =
    "name,priority,mtbf_hours,mttr_hours,group,standby_vcpus,standby_memory_mib,active_vcpus,"
    "active_memory_mib\n";

// A valid fleet touching every field; the error tables change one thing in it.
json baseFleet() {
    return json::parse(R"({
      "target_risk": 0.0001, "cpu_overcommit": 4.0, "tolerate_k": 1,
      "appliances": [{"name": "pna-1", "vcpus": 64, "memory_mib": 524288,
                      "reserve_vcpus": 2, "reserve_memory_mib": 16384}],
      "groups": [{"name": "rack-a", "mtbf_hours": 43800, "mttr_hours": 6}],
      "clusters": [
        {"name": "erp", "priority": 900, "mtbf_hours": 8760, "mttr_hours": 24, "group": "rack-a",
         "standby": {"vcpus": 1, "memory_mib": 2048}, "active": {"vcpus": 8, "memory_mib": 32768}},
        {"name": "crm", "priority": 950, "mtbf_hours": 8760, "mttr_hours": 12,
         "standby": {"vcpus": 1, "memory_mib": 2048}, "active": {"vcpus": 8, "memory_mib": 24576}},
        {"name": "web", "priority": 300, "mtbf_hours": 4380, "mttr_hours": 6, "group": "rack-a",
         "standby": {"vcpus": 2, "memory_mib": 2048}, "active": {"vcpus": 4, "memory_mib": 8192},
         "memory_mode": "balloon"}
      ]})");
}

// The base fleet with the value at a JSON pointer replaced (or removed, for an empty value).
std::string editedFleet(const QString& pointer, const QString& value) {
    json document = baseFleet();
    const json::json_pointer at(pointer.toStdString());
    if (value.isEmpty()) {
        document[at.parent_pointer()].erase(at.back());
    } else {
        document[at] = json::parse(value.toStdString());
    }
    return document.dump(2);
}

Fleet productExample() {
    Fleet fleet;
    fleet.target_risk = 0.0001;
    fleet.cpu_overcommit = 4.0;
    fleet.tolerate_k = 1;
    fleet.appliances = {ApplianceSpec{"pna-1", 64, 524288, 2, 16384}};
    fleet.groups = {GroupSpec{"rack-a", 43800, 6}};
    fleet.clusters = {
        ClusterSpec{"erp", 900, 8760, 24, "rack-a", {1, 2048}, {8, 32768}, MemoryMode::balloon}};
    return fleet;
}

std::string fixture(const QString& name) {
    return understudy::testsupport::sourcePath(QStringLiteral("tests/sizing/data/fleets/") + name)
        .toStdString();
}

}  // namespace

class TestFleetFile : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();

    void productExampleParsesToItsValues();
    void jsonFieldErrorsNameTheirPath_data();
    void jsonFieldErrorsNameTheirPath();
    void jsonAcceptsValuesAtTheEdgesOfTheRules_data();
    void jsonAcceptsValuesAtTheEdgesOfTheRules();
    void groupAbsentNullOrEmptyMeansNoGroup_data();
    void groupAbsentNullOrEmptyMeansNoGroup();
    void reservedMemoryModeIsRead();
    void emptyClusterListIsValidAndSettingsDefault();
    void jsonSyntaxErrorsNameLineAndColumn_data();
    void jsonSyntaxErrorsNameLineAndColumn();
    void deepNestingIsAnErrorNotACrash_data();
    void deepNestingIsAnErrorNotACrash();
    void jsonRoundTripIsExact_data();
    void jsonRoundTripIsExact();

    void objectReadersReportPathsBelowTheirObject_data();
    void objectReadersReportPathsBelowTheirObject();
    void clusterFromJsonAcceptsOnlyTheCallersExtraKeys();
    void nameRulesFollowLibvirtDomainNames_data();
    void nameRulesFollowLibvirtDomainNames();
    void validateFleetChecksFleetsBuiltInCode_data();
    void validateFleetChecksFleetsBuiltInCode();

    void csvReadsColumnsInAnyOrderWithQuotesCrlfAndBlankLines();
    void csvErrorsNameLineAndColumn_data();
    void csvErrorsNameLineAndColumn();
    void groupsCsvIsReadInAnyColumnOrder();
    void groupsCsvErrorsNameLineAndColumn_data();
    void groupsCsvErrorsNameLineAndColumn();

    void loadFleetFileReadsGoodFixtures_data();
    void loadFleetFileReadsGoodFixtures();
    void loadFleetFileReportsBadFixtures_data();
    void loadFleetFileReportsBadFixtures();
    void benchmarkFleetIsTheSameInJsonAndCsv();
    void groupsFileReplacesTheJsonFleetsGroups();
    void unreadableFilesAreIoErrors();
};

void TestFleetFile::initTestCase() {
    QVERIFY2(!qEnvironmentVariable("UNDERSTUDY_SOURCE_DIR").isEmpty(),
             "UNDERSTUDY_SOURCE_DIR must name the source tree (ctest sets it)");
}

void TestFleetFile::productExampleParsesToItsValues() {
    const auto fleet = loadFleetFile(fixture("good/product-example.json"));
    QVERIFY_OK(fleet);
    QCOMPARE(*fleet, productExample());
}

void TestFleetFile::jsonFieldErrorsNameTheirPath_data() {
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<QString>("value");  // empty: remove the field
    QTest::addColumn<QString>("where");
    QTest::addColumn<QString>("message");

    QTest::newRow("target risk above 1") << "/target_risk"
                                         << "1.5"
                                         << "target_risk"
                                         << "got 1.5";
    QTest::newRow("target risk negative") << "/target_risk"
                                          << "-0.1"
                                          << "target_risk"
                                          << "probability";
    QTest::newRow("target risk as text") << "/target_risk"
                                         << "\"0.1\""
                                         << "target_risk"
                                         << "got \"0.1\"";
    QTest::newRow("overcommit zero") << "/cpu_overcommit"
                                     << "0"
                                     << "cpu_overcommit"
                                     << "above 0";
    QTest::newRow("overcommit above 64") << "/cpu_overcommit"
                                         << "65"
                                         << "cpu_overcommit"
                                         << "got 65";
    QTest::newRow("tolerate_k negative") << "/tolerate_k"
                                         << "-1"
                                         << "tolerate_k"
                                         << "got -1";
    QTest::newRow("tolerate_k fraction") << "/tolerate_k"
                                         << "1.5"
                                         << "tolerate_k"
                                         << "whole";
    QTest::newRow("unknown top-level key") << "/clusterz"
                                           << "[]"
                                           << "clusterz"
                                           << "did you mean \"clusters\"";
    QTest::newRow("clusters missing") << "/clusters"
                                      << ""
                                      << "clusters"
                                      << "is missing";
    QTest::newRow("clusters not a list") << "/clusters"
                                         << "{}"
                                         << "clusters"
                                         << "list";
    QTest::newRow("groups not a list") << "/groups"
                                       << "\"rack-a\""
                                       << "groups"
                                       << "list";
    QTest::newRow("cluster not an object") << "/clusters/3"
                                           << "\"db\""
                                           << "clusters[3]"
                                           << "must be an object";

    QTest::newRow("appliance name empty") << "/appliances/0/name"
                                          << "\"\""
                                          << "appliances[0].name"
                                          << "must not be empty";
    QTest::newRow("appliance without vcpus") << "/appliances/0/vcpus"
                                             << ""
                                             << "appliances[0].vcpus"
                                             << "is missing";
    QTest::newRow("appliance vcpus zero") << "/appliances/0/vcpus"
                                          << "0"
                                          << "appliances[0].vcpus"
                                          << "got 0";
    QTest::newRow("appliance memory fraction") << "/appliances/0/memory_mib"
                                               << "2.5"
                                               << "appliances[0].memory_mib"
                                               << "got 2.5";
    QTest::newRow("appliance reserve equals total") << "/appliances/0/reserve_vcpus"
                                                    << "64"
                                                    << "appliances[0].reserve_vcpus"
                                                    << "less than the total";
    QTest::newRow("appliance memory reserve above total") << "/appliances/0/reserve_memory_mib"
                                                          << "600000"
                                                          << "appliances[0].reserve_memory_mib"
                                                          << "less than the total";
    QTest::newRow("appliance reserve negative") << "/appliances/0/reserve_vcpus"
                                                << "-1"
                                                << "appliances[0].reserve_vcpus"
                                                << "got -1";
    QTest::newRow("appliance unknown field") << "/appliances/0/speed"
                                             << "3"
                                             << "appliances[0].speed"
                                             << "is not a field";
    QTest::newRow("appliance name repeated")
        << "/appliances/1"
        << R"({"name": "pna-1", "vcpus": 8, "memory_mib": 8192})"
        << "appliances[1].name"
        << "appliances[0]";

    QTest::newRow("group mtbf zero") << "/groups/0/mtbf_hours"
                                     << "0"
                                     << "groups[0].mtbf_hours"
                                     << "above 0";
    QTest::newRow("group mttr negative") << "/groups/0/mttr_hours"
                                         << "-1"
                                         << "groups[0].mttr_hours"
                                         << "got -1";
    QTest::newRow("group without mttr") << "/groups/0/mttr_hours"
                                        << ""
                                        << "groups[0].mttr_hours"
                                        << "is missing";
    QTest::newRow("group name repeated")
        << "/groups/1"
        << R"({"name": "rack-a", "mtbf_hours": 1000, "mttr_hours": 1})"
        << "groups[1].name"
        << "groups[0]";

    QTest::newRow("cluster name with a space") << "/clusters/2/name"
                                               << "\"web server\""
                                               << "clusters[2].name"
                                               << "contains ' '";
    QTest::newRow("cluster name starting with a dash") << "/clusters/2/name"
                                                       << "\"-web\""
                                                       << "clusters[2].name"
                                                       << "must start with";
    QTest::newRow("cluster name of 64 characters")
        << "/clusters/2/name" << QString("\"%1\"").arg(QString(64, QChar('w')))
        << "clusters[2].name"
        << "at most 63";
    QTest::newRow("cluster name a number") << "/clusters/2/name"
                                           << "42"
                                           << "clusters[2].name"
                                           << "got 42";
    QTest::newRow("cluster name not ASCII") << "/clusters/2/name"
                                            << "\"w\u00e9b\""
                                            << "clusters[2].name"
                                            << "\\xc3";
    QTest::newRow("cluster name repeated") << "/clusters/2/name"
                                           << "\"erp\""
                                           << "clusters[2].name"
                                           << "already used by clusters[0]";
    QTest::newRow("cluster without name") << "/clusters/2/name"
                                          << ""
                                          << "clusters[2].name"
                                          << "is missing";
    QTest::newRow("priority above 1000") << "/clusters/2/priority"
                                         << "1001"
                                         << "clusters[2].priority"
                                         << "from 0 to 1000";
    QTest::newRow("priority negative") << "/clusters/2/priority"
                                       << "-1"
                                       << "clusters[2].priority"
                                       << "got -1";
    QTest::newRow("priority fraction") << "/clusters/2/priority"
                                       << "5.5"
                                       << "clusters[2].priority"
                                       << "got 5.5";
    QTest::newRow("priority as text") << "/clusters/2/priority"
                                      << "\"high\""
                                      << "clusters[2].priority"
                                      << "got \"high\"";
    QTest::newRow("priority beyond int64") << "/clusters/2/priority"
                                           << "18446744073709551615"
                                           << "clusters[2].priority"
                                           << "got 18446744073709551615";
    QTest::newRow("mtbf zero") << "/clusters/2/mtbf_hours"
                               << "0"
                               << "clusters[2].mtbf_hours"
                               << "above 0";
    QTest::newRow("mtbf negative") << "/clusters/2/mtbf_hours"
                                   << "-5"
                                   << "clusters[2].mtbf_hours"
                                   << "got -5";
    QTest::newRow("mtbf null") << "/clusters/2/mtbf_hours"
                               << "null"
                               << "clusters[2].mtbf_hours"
                               << "got null";
    QTest::newRow("mtbf missing") << "/clusters/2/mtbf_hours"
                                  << ""
                                  << "clusters[2].mtbf_hours"
                                  << "is missing";
    QTest::newRow("mtbf misspelt") << "/clusters/2/mtbf_hour"
                                   << "8760"
                                   << "clusters[2].mtbf_hour"
                                   << "did you mean \"mtbf_hours\"";
    QTest::newRow("mttr negative") << "/clusters/2/mttr_hours"
                                   << "-1"
                                   << "clusters[2].mttr_hours"
                                   << "0 or more";
    QTest::newRow("group undefined") << "/clusters/2/group"
                                     << "\"rack-z\""
                                     << "clusters[2].group"
                                     << "\"rack-z\"";
    QTest::newRow("group a number") << "/clusters/2/group"
                                    << "5"
                                    << "clusters[2].group"
                                    << "got 5";
    QTest::newRow("standby vcpus zero") << "/clusters/2/standby/vcpus"
                                        << "0"
                                        << "clusters[2].standby.vcpus"
                                        << "from 1";
    QTest::newRow("standby memory zero") << "/clusters/2/standby/memory_mib"
                                         << "0"
                                         << "clusters[2].standby.memory_mib"
                                         << "got 0";
    QTest::newRow("standby memory above 2^40") << "/clusters/2/standby/memory_mib"
                                               << "1099511627777"
                                               << "clusters[2].standby.memory_mib"
                                               << "got 1099511627777";
    QTest::newRow("standby memory fraction") << "/clusters/2/standby/memory_mib"
                                             << "2.5"
                                             << "clusters[2].standby.memory_mib"
                                             << "whole number";
    QTest::newRow("standby memory huge float") << "/clusters/2/standby/memory_mib"
                                               << "1e300"
                                               << "clusters[2].standby.memory_mib"
                                               << "got 1e+300";
    QTest::newRow("standby memory int64 minimum") << "/clusters/2/standby/memory_mib"
                                                  << "-9223372036854775808"
                                                  << "clusters[2].standby.memory_mib"
                                                  << "got -9223372036854775808";
    QTest::newRow("standby unknown field") << "/clusters/2/standby/cores"
                                           << "1"
                                           << "clusters[2].standby.cores"
                                           << "vcpus, memory_mib";
    QTest::newRow("standby a list") << "/clusters/2/standby"
                                    << "[1, 2048]"
                                    << "clusters[2].standby"
                                    << "must be an object";
    QTest::newRow("active missing") << "/clusters/2/active"
                                    << ""
                                    << "clusters[2].active"
                                    << "is missing";
    QTest::newRow("active vcpus below standby") << "/clusters/2/active/vcpus"
                                                << "1"
                                                << "clusters[2].active.vcpus"
                                                << "less than the standby footprint's 2 vCPUs";
    QTest::newRow("active memory below standby") << "/clusters/2/active/memory_mib"
                                                 << "1024"
                                                 << "clusters[2].active.memory_mib"
                                                 << "less than the standby footprint's 2048 MiB";
    QTest::newRow("memory mode misspelt") << "/clusters/2/memory_mode"
                                          << "\"ballon\""
                                          << "clusters[2].memory_mode"
                                          << "\"balloon\" or \"reserved\"";
    QTest::newRow("memory mode null") << "/clusters/2/memory_mode"
                                      << "null"
                                      << "clusters[2].memory_mode"
                                      << "got null";
}

void TestFleetFile::jsonFieldErrorsNameTheirPath() {
    QFETCH(QString, pointer);
    QFETCH(QString, value);
    QFETCH(QString, where);
    QFETCH(QString, message);
    const auto fleet = parseFleetJson(editedFleet(pointer, value), "fleet.json");
    QVERIFY2(!fleet.ok(), "the edited fleet was accepted");
    QCOMPARE(QString::fromStdString(fleet.error().code), QString("invalid_field"));
    QCOMPARE(QString::fromStdString(fleet.error().where), "fleet.json: " + where);
    QVERIFY2(QString::fromStdString(fleet.error().message).contains(message),
             describe(fleet.error()).constData());
}

void TestFleetFile::jsonAcceptsValuesAtTheEdgesOfTheRules_data() {
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<QString>("value");     // empty: remove the field
    QTest::addColumn<QString>("readBack");  // the field in fleetToJson of what was read

    QTest::newRow("whole float as integer") << "/clusters/2/standby/memory_mib"
                                            << "4096.0"
                                            << "4096";
    QTest::newRow("exponent as integer") << "/clusters/2/active/memory_mib"
                                         << "1e4"
                                         << "10000";
    QTest::newRow("memory at 2^40") << "/clusters/2/active/memory_mib"
                                    << "1099511627776"
                                    << "1099511627776";
    QTest::newRow("priority 0") << "/clusters/2/priority"
                                << "0"
                                << "0";
    QTest::newRow("priority 1000") << "/clusters/2/priority"
                                   << "1000"
                                   << "1000";
    QTest::newRow("priority absent") << "/clusters/2/priority"
                                     << ""
                                     << "500";
    QTest::newRow("mttr 0") << "/clusters/2/mttr_hours"
                            << "0"
                            << "0.0";
    QTest::newRow("fractional mtbf") << "/clusters/2/mtbf_hours"
                                     << "8765.8125"
                                     << "8765.8125";
    QTest::newRow("active equals standby") << "/clusters/2/active/vcpus"
                                           << "2"
                                           << "2";
    QTest::newRow("name of 63 characters")
        << "/clusters/2/name" << QString("\"%1\"").arg(QString(63, QChar('w')))
        << QString("\"%1\"").arg(QString(63, QChar('w')));
    QTest::newRow("name with dot, dash, underscore") << "/clusters/2/name"
                                                     << "\"9db.prod_eu-1\""
                                                     << "\"9db.prod_eu-1\"";
    QTest::newRow("target risk 0") << "/target_risk"
                                   << "0"
                                   << "0.0";
    QTest::newRow("target risk 1") << "/target_risk"
                                   << "1"
                                   << "1.0";
    QTest::newRow("target risk default") << "/target_risk"
                                         << ""
                                         << "0.0001";
    QTest::newRow("overcommit 64") << "/cpu_overcommit"
                                   << "64"
                                   << "64.0";
    QTest::newRow("overcommit default") << "/cpu_overcommit"
                                        << ""
                                        << "1.0";
    QTest::newRow("tolerate_k 0") << "/tolerate_k"
                                  << "0"
                                  << "0";
    QTest::newRow("tolerate_k default") << "/tolerate_k"
                                        << ""
                                        << "1";
    QTest::newRow("reserve default") << "/appliances/0/reserve_vcpus"
                                     << ""
                                     << "0";
    QTest::newRow("no appliances") << "/appliances"
                                   << ""
                                   << "[]";
}

void TestFleetFile::jsonAcceptsValuesAtTheEdgesOfTheRules() {
    QFETCH(QString, pointer);
    QFETCH(QString, value);
    QFETCH(QString, readBack);
    const auto fleet = parseFleetJson(editedFleet(pointer, value), "fleet.json");
    QVERIFY_OK(fleet);
    const json written = json::parse(fleetToJson(*fleet));
    QCOMPARE(QString::fromStdString(written.at(json::json_pointer(pointer.toStdString())).dump()),
             readBack);
}

void TestFleetFile::groupAbsentNullOrEmptyMeansNoGroup_data() {
    QTest::addColumn<QString>("value");  // empty: no "group" key
    QTest::newRow("absent") << "";
    QTest::newRow("null") << "null";
    QTest::newRow("empty string") << "\"\"";
}

void TestFleetFile::groupAbsentNullOrEmptyMeansNoGroup() {
    QFETCH(QString, value);
    const auto fleet = parseFleetJson(editedFleet("/clusters/0/group", value), "fleet.json");
    QVERIFY_OK(fleet);
    QCOMPARE(fleet->clusters[0].group, std::string());
    QCOMPARE(fleet->clusters[2].group, std::string("rack-a"));
}

void TestFleetFile::reservedMemoryModeIsRead() {
    const auto fleet =
        parseFleetJson(editedFleet("/clusters/1/memory_mode", "\"reserved\""), "fleet.json");
    QVERIFY_OK(fleet);
    QCOMPARE(fleet->clusters[0].memory_mode, MemoryMode::balloon);
    QCOMPARE(fleet->clusters[1].memory_mode, MemoryMode::reserved);
    QCOMPARE(fleet->clusters[2].memory_mode, MemoryMode::balloon);
    QCOMPARE(fleet->clusters[1].effectiveStandby(), (Footprint{1, 24576}));
}

void TestFleetFile::emptyClusterListIsValidAndSettingsDefault() {
    const auto fleet = parseFleetJson(R"({"clusters": []})", "fleet.json");
    QVERIFY_OK(fleet);
    QCOMPARE(*fleet, Fleet{});
    QCOMPARE(fleet->target_risk, 0.0001);
    QCOMPARE(fleet->cpu_overcommit, 1.0);
    QCOMPARE(fleet->tolerate_k, 1);
}

void TestFleetFile::jsonSyntaxErrorsNameLineAndColumn_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("where");

    QTest::newRow("empty input") << ""
                                 << "malformed_json"
                                 << "fleet.json:1:1";
    QTest::newRow("comma in an empty list") << "{\n  \"clusters\": [,]\n}"
                                            << "malformed_json"
                                            << "fleet.json:2:16";
    QTest::newRow("unclosed object") << "{\"clusters\": []"
                                     << "malformed_json"
                                     << "fleet.json:1:16";
    QTest::newRow("text after the object") << "{\"clusters\": []} x"
                                           << "malformed_json"
                                           << "fleet.json:1:18";
    QTest::newRow("columns count characters, not bytes")
        << QString::fromUtf8("{\"clusters\": [], \"\u00e9\u00e9\": 1,}") << "malformed_json"
        << "fleet.json:1:26";
    QTest::newRow("unquoted key on line 3") << "{\n  \"target_risk\": 0.01,\n  clusters: []\n}"
                                            << "malformed_json"
                                            << "fleet.json:3:3";
    QTest::newRow("number overflow") << "{\"clusters\": [], \"target_risk\": 1e999}"
                                     << "malformed_json"
                                     << "fleet.json:1:37";
    QTest::newRow("not an object") << "[]"
                                   << "malformed_json"
                                   << "fleet.json";
    QTest::newRow("repeated key")
        << R"({"clusters": [{"name": "a", "name": "b", "mtbf_hours": 1, "mttr_hours": 1}]})"
        << "invalid_field"
        << "fleet.json: clusters[0].name";
}

void TestFleetFile::jsonSyntaxErrorsNameLineAndColumn() {
    QFETCH(QString, text);
    QFETCH(QString, code);
    QFETCH(QString, where);
    const auto fleet = parseFleetJson(text.toStdString(), "fleet.json");
    QVERIFY2(!fleet.ok(), "the text was accepted");
    QCOMPARE(QString::fromStdString(fleet.error().code), code);
    QCOMPARE(QString::fromStdString(fleet.error().where), where);
    QVERIFY(!fleet.error().message.empty());
}

void TestFleetFile::deepNestingIsAnErrorNotACrash_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("where");
    QTest::newRow("100000 open brackets") << QByteArray(100000, '[') << "fleet.json:1:65";
    QByteArray objects;
    for (int i = 0; i < 100000; ++i) {
        objects += "{\"a\":";
    }
    QTest::newRow("100000 nested objects") << objects << "fleet.json:1:321";
    QByteArray closed = QByteArray(65, '[') + QByteArray(65, ']');
    QTest::newRow("65 levels, well formed") << closed << "fleet.json:1:65";
    QByteArray in_cluster = R"({"clusters": [{"name": "[[[[", "standby": )";
    for (int i = 0; i < 70; ++i) {
        in_cluster += "[";
    }
    QTest::newRow("inside a cluster, brackets in strings ignored")
        << in_cluster << "fleet.json:1:104";
}

void TestFleetFile::deepNestingIsAnErrorNotACrash() {
    QFETCH(QByteArray, text);
    QFETCH(QString, where);
    const auto fleet = parseFleetJson(text.toStdString(), "fleet.json");
    QVERIFY2(!fleet.ok(), "the text was accepted");
    QCOMPARE(QString::fromStdString(fleet.error().code), QString("malformed_json"));
    QCOMPARE(QString::fromStdString(fleet.error().where), where);
    QVERIFY2(QString::fromStdString(fleet.error().message).contains("deeper than 64"),
             describe(fleet.error()).constData());
}

void TestFleetFile::jsonRoundTripIsExact_data() {
    QTest::addColumn<FleetEdit>("edit");
    QTest::newRow("product example") << FleetEdit([](Fleet&) {});
    QTest::newRow("empty") << FleetEdit([](Fleet& fleet) { fleet = Fleet{}; });
    QTest::newRow("doubles that need all their digits") << FleetEdit([](Fleet& fleet) {
        fleet.target_risk = 1.0 / 3.0;
        fleet.cpu_overcommit = 0.1 + 0.2;
        fleet.groups[0].mtbf_hours = 43800.000000000007;
        fleet.groups[0].mttr_hours = 5e-324;
        fleet.clusters[0].mtbf_hours = 1e300;
        fleet.clusters[0].mttr_hours = 0;
    });
    QTest::newRow("every option set") << FleetEdit([](Fleet& fleet) {
        fleet.tolerate_k = 0;
        fleet.appliances.push_back(ApplianceSpec{"pna-2", 1, 1, 0, 0});
        fleet.groups.push_back(GroupSpec{"feed_b.2", 1, 0});
        ClusterSpec reserved{
            "db-1", 0, 1, 1, "feed_b.2", {1, 1}, {1, kMaxMemoryMib}, MemoryMode::reserved};
        fleet.clusters.push_back(reserved);
        ClusterSpec ungrouped{
            "x", 1000, 2, 3, "", {kMaxVcpus, 5}, {kMaxVcpus, 5}, MemoryMode::balloon};
        fleet.clusters.push_back(ungrouped);
    });
}

void TestFleetFile::jsonRoundTripIsExact() {
    QFETCH(FleetEdit, edit);
    Fleet fleet = productExample();
    edit(fleet);
    QVERIFY(validateFleet(fleet, "what-if").ok());
    const std::string text = fleetToJson(fleet);
    const auto read = parseFleetJson(text, "what-if.json");
    QVERIFY_OK(read);
    QCOMPARE(*read, fleet);
    QCOMPARE(fleetToJson(*read), text);
}

void TestFleetFile::objectReadersReportPathsBelowTheirObject_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("object");
    QTest::addColumn<QString>("where");
    const QString cluster =
        R"({"name": "erp", "mtbf_hours": 8760, "mttr_hours": 24,
            "standby": {"vcpus": 1, "memory_mib": 0}, "active": {"vcpus": 8, "memory_mib": 1}})";
    QTest::newRow("cluster as a request body") << "cluster"
                                               << "" << cluster << "standby.memory_mib";
    QTest::newRow("cluster in a list")
        << "cluster"
        << "clusters[3]" << cluster << "clusters[3].standby.memory_mib";
    QTest::newRow("cluster body not an object") << "cluster"
                                                << ""
                                                << "[]"
                                                << "";
    QTest::newRow("group in a list") << "group"
                                     << "groups[1]"
                                     << R"({"name": "g", "mtbf_hours": 1, "mttr_hours": "6"})"
                                     << "groups[1].mttr_hours";
    QTest::newRow("appliance as a request body")
        << "appliance"
        << ""
        << R"({"name": "p", "vcpus": 4, "memory_mib": 1, "uri": "x"})"
        << "uri";
}

void TestFleetFile::objectReadersReportPathsBelowTheirObject() {
    QFETCH(QString, kind);
    QFETCH(QString, path);
    QFETCH(QString, object);
    QFETCH(QString, where);
    const json value = json::parse(object.toStdString());
    std::optional<understudy::Error> error;
    if (kind == "cluster") {
        const auto read = clusterFromJson(value, path.toStdString());
        QVERIFY(!read.ok());
        error = read.error();
    } else if (kind == "group") {
        const auto read = groupFromJson(value, path.toStdString());
        QVERIFY(!read.ok());
        error = read.error();
    } else {
        const auto read = applianceFromJson(value, path.toStdString());
        QVERIFY(!read.ok());
        error = read.error();
    }
    QCOMPARE(QString::fromStdString(error->code), QString("invalid_field"));
    QCOMPARE(QString::fromStdString(error->where), where);
}

void TestFleetFile::clusterFromJsonAcceptsOnlyTheCallersExtraKeys() {
    const json value = json::parse(R"({
        "name": "erp", "priority": 900, "mtbf_hours": 8760, "mttr_hours": 24, "group": null,
        "standby": {"vcpus": 1, "memory_mib": 2048}, "active": {"vcpus": 8, "memory_mib": 32768},
        "failure_model": "observed", "appliance": "pna-1", "node": "erp-passive"})");
    const JsonKeys service_keys{"failure_model", "appliance", "node", "domain"};
    const auto accepted = clusterFromJson(value, "", service_keys);
    QVERIFY_OK(accepted);
    QCOMPARE(*accepted,
             (ClusterSpec{"erp", 900, 8760, 24, "", {1, 2048}, {8, 32768}, MemoryMode::balloon}));

    const auto refused = clusterFromJson(value, "clusters[0]");
    QVERIFY(!refused.ok());
    QCOMPARE(QString::fromStdString(refused.error().where), QString("clusters[0].appliance"));

    const auto nested =
        clusterFromJson(json::parse(R"({"name": "a", "mtbf_hours": 1, "mttr_hours": 1,
                        "standby": {"vcpus": 1, "memory_mib": 1, "node": 1},
                        "active": {"vcpus": 1, "memory_mib": 1}})"),
                        "", service_keys);
    QVERIFY2(!nested.ok(), "extra keys must apply to the cluster object only");
    QCOMPARE(QString::fromStdString(nested.error().where), QString("standby.node"));
}

void TestFleetFile::nameRulesFollowLibvirtDomainNames_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("valid");
    QTest::newRow("letters") << "erp" << true;
    QTest::newRow("starts with a digit") << "1erp" << true;
    QTest::newRow("dot, dash and underscore") << "e.r_p-1" << true;
    QTest::newRow("63 characters") << QString(63, QChar('a')) << true;
    QTest::newRow("64 characters") << QString(64, QChar('a')) << false;
    QTest::newRow("empty") << "" << false;
    QTest::newRow("starts with a dot") << ".erp" << false;
    QTest::newRow("starts with an underscore") << "_erp" << false;
    QTest::newRow("slash") << "a/b" << false;
    QTest::newRow("space") << "a b" << false;
    QTest::newRow("colon") << "a:b" << false;
    QTest::newRow("newline") << "a\nb" << false;
    QTest::newRow("accented letter") << QString::fromUtf8("caf\u00e9") << false;
}

void TestFleetFile::nameRulesFollowLibvirtDomainNames() {
    QFETCH(QString, name);
    QFETCH(bool, valid);
    const auto problem = nameProblem(name.toStdString());
    QVERIFY2(problem.has_value() != valid, problem ? problem->c_str() : "accepted");
}

void TestFleetFile::validateFleetChecksFleetsBuiltInCode_data() {
    QTest::addColumn<FleetEdit>("edit");
    QTest::addColumn<QString>("where");  // empty: valid
    QTest::newRow("valid") << FleetEdit([](Fleet&) {}) << "";
    QTest::newRow("NaN target risk")
        << FleetEdit([](Fleet& fleet) { fleet.target_risk = std::nan(""); }) << "target_risk";
    QTest::newRow("infinite overcommit") << FleetEdit([](Fleet& fleet) {
        fleet.cpu_overcommit = std::numeric_limits<double>::infinity();
    }) << "cpu_overcommit";
    QTest::newRow("negative tolerate_k")
        << FleetEdit([](Fleet& fleet) { fleet.tolerate_k = -1; }) << "tolerate_k";
    QTest::newRow("reserve above total")
        << FleetEdit([](Fleet& fleet) { fleet.appliances[0].reserve_memory_mib = 1 << 30; })
        << "appliances[0].reserve_memory_mib";
    QTest::newRow("infinite group mttr") << FleetEdit([](Fleet& fleet) {
        fleet.groups[0].mttr_hours = std::numeric_limits<double>::infinity();
    }) << "groups[0].mttr_hours";
    QTest::newRow("NaN mtbf") << FleetEdit([](Fleet& fleet) {
        fleet.clusters[0].mtbf_hours = std::nan("");
    }) << "clusters[0].mtbf_hours";
    QTest::newRow("priority 2000")
        << FleetEdit([](Fleet& fleet) { fleet.clusters[0].priority = 2000; })
        << "clusters[0].priority";
    QTest::newRow("active below standby")
        << FleetEdit([](Fleet& fleet) { fleet.clusters[0].active.vcpus = 0; })
        << "clusters[0].active.vcpus";
    QTest::newRow("undefined group")
        << FleetEdit([](Fleet& fleet) { fleet.groups.clear(); }) << "clusters[0].group";
    QTest::newRow("repeated cluster")
        << FleetEdit([](Fleet& fleet) { fleet.clusters.push_back(fleet.clusters[0]); })
        << "clusters[1].name";
}

void TestFleetFile::validateFleetChecksFleetsBuiltInCode() {
    QFETCH(FleetEdit, edit);
    QFETCH(QString, where);
    Fleet fleet = productExample();
    edit(fleet);
    const auto status = validateFleet(fleet, "what-if");
    if (where.isEmpty()) {
        QVERIFY_OK(status);
        return;
    }
    QVERIFY2(!status.ok(), "the fleet was accepted");
    QCOMPARE(QString::fromStdString(status.error().code), QString("invalid_field"));
    QCOMPARE(QString::fromStdString(status.error().where), "what-if: " + where);
}

void TestFleetFile::csvReadsColumnsInAnyOrderWithQuotesCrlfAndBlankLines() {
    const std::string text =
        "\xEF\xBB\xBF"
        "active_memory_mib, name ,memory_mode,\"group\",priority,mtbf_hours,mttr_hours,"
        "standby_vcpus,standby_memory_mib,active_vcpus\r\n"
        "32768,erp,,rack-a,900,8760,24,1,2048,8\r\n"
        "\r\n"
        "\"16384\", \"billing\" ,reserved,\"\",800,6000.5,8,1,1024,4.0\r\n"
        "8192,\"mail\",balloon,,400,4380,0,1,1024,4\r\n"
        "\r\n"
        "   \r\n";
    const auto fleet = parseFleetCsv(text, "fleet.csv");
    QVERIFY2(!fleet.ok(), "a group without a groups file must be refused");
    QCOMPARE(QString::fromStdString(fleet.error().where), QString("fleet.csv:2: group"));

    std::string ungrouped = text;
    ungrouped.replace(ungrouped.find("rack-a"), 6, "");
    const auto read = parseFleetCsv(ungrouped, "fleet.csv");
    QVERIFY_OK(read);
    const std::vector<ClusterSpec> expected{
        {"erp", 900, 8760, 24, "", {1, 2048}, {8, 32768}, MemoryMode::balloon},
        {"billing", 800, 6000.5, 8, "", {1, 1024}, {4, 16384}, MemoryMode::reserved},
        {"mail", 400, 4380, 0, "", {1, 1024}, {4, 8192}, MemoryMode::balloon}};
    QCOMPARE(read->clusters, expected);
    QVERIFY(read->groups.empty());
    QVERIFY(read->appliances.empty());
}

void TestFleetFile::csvErrorsNameLineAndColumn_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("where");
    QTest::addColumn<QString>("message");
    const QString header = kCsvHeader;
    const QString erp = "erp,900,8760,24,,1,2048,8,32768\n";

    QTest::newRow("misspelt column")
        << QString(header).replace("mtbf_hours", "mtbf_hour") + erp << "invalid_field"
        << "fleet.csv:1: mtbf_hour"
        << "did you mean \"mtbf_hours\"";
    QTest::newRow("missing column")
        << QString(header).replace(",active_memory_mib", "") + "erp,900,8760,24,,1,2048,8\n"
        << "invalid_field"
        << "fleet.csv:1: active_memory_mib"
        << "missing from the header";
    QTest::newRow("repeated column") << header.trimmed() + ",name\n"
                                     << "invalid_field"
                                     << "fleet.csv:1: name"
                                     << "twice";
    QTest::newRow("priority as text") << header + erp + "crm,high,8760,12,,1,2048,8,24576\n"
                                      << "invalid_field"
                                      << "fleet.csv:3: priority"
                                      << "got \"high\"";
    QTest::newRow("priority above 1000") << header + "erp,1001,8760,24,,1,2048,8,32768\n"
                                         << "invalid_field"
                                         << "fleet.csv:2: priority"
                                         << "from 0 to 1000";
    QTest::newRow("mttr empty") << header + "erp,900,8760,,,1,2048,8,32768\n"
                                << "invalid_field"
                                << "fleet.csv:2: mttr_hours"
                                << "is empty";
    QTest::newRow("mttr negative") << header + "erp,900,8760,-1,,1,2048,8,32768\n"
                                   << "invalid_field"
                                   << "fleet.csv:2: mttr_hours"
                                   << "got \"-1\"";
    QTest::newRow("mtbf infinite") << header + "erp,900,inf,24,,1,2048,8,32768\n"
                                   << "invalid_field"
                                   << "fleet.csv:2: mtbf_hours"
                                   << "finite";
    QTest::newRow("mtbf with unit") << header + "erp,900,8760h,24,,1,2048,8,32768\n"
                                    << "invalid_field"
                                    << "fleet.csv:2: mtbf_hours"
                                    << "got \"8760h\"";
    QTest::newRow("fraction of a vCPU") << header + "erp,900,8760,24,,2.5,2048,8,32768\n"
                                        << "invalid_field"
                                        << "fleet.csv:2: standby_vcpus"
                                        << "whole number";
    QTest::newRow("memory above 2^40")
        << header + "erp,900,8760,24,,1,1099511627777,8,1099511627777\n"
        << "invalid_field"
        << "fleet.csv:2: standby_memory_mib"
        << "1099511627776";
    QTest::newRow("active below standby") << header + "erp,900,8760,24,,1,2048,8,1024\n"
                                          << "invalid_field"
                                          << "fleet.csv:2: active_memory_mib"
                                          << "less than the standby";
    QTest::newRow("group without a groups file")
        << header + "erp,900,8760,24,rack-a,1,2048,8,32768\n"
        << "invalid_field"
        << "fleet.csv:2: group"
        << "--groups";
    QTest::newRow("name with a space") << header + "erp db,900,8760,24,,1,2048,8,32768\n"
                                       << "invalid_field"
                                       << "fleet.csv:2: name"
                                       << "contains ' '";
    QTest::newRow("name empty") << header + ",900,8760,24,,1,2048,8,32768\n"
                                << "invalid_field"
                                << "fleet.csv:2: name"
                                << "is empty";
    QTest::newRow("name repeated after a blank line")
        << header + erp + "\ncrm,950,8760,12,,1,2048,8,24576\n" + erp << "invalid_field"
        << "fleet.csv:5: name"
        << "line 2";
    QTest::newRow("quoted name over two lines")
        << header + erp + "\"e\nrp\",900,8760,24,,1,2048,8,32768\n"
        << "invalid_field"
        << "fleet.csv:3: name"
        << "\\x0a";
    QTest::newRow("error after a quoted cell over two lines counts both lines")
        << header + "\"e\nrp\",900,8760,24,,1,2048,8,32768\nerp,900,8760,24,1,2048,8,32768\n"
        << "malformed_csv"
        << "fleet.csv:4"
        << "8 cells";
    QTest::newRow("memory mode misspelt")
        << header.trimmed() + ",memory_mode\nerp,900,8760,24,,1,2048,8,32768,ballon\n"
        << "invalid_field"
        << "fleet.csv:2: memory_mode"
        << "got \"ballon\"";
    QTest::newRow("too few cells") << header + "erp,900,8760,24,1,2048,8,32768\n"
                                   << "malformed_csv"
                                   << "fleet.csv:2"
                                   << "8 cells";
    QTest::newRow("unclosed quote") << header + erp + "\"crm,950,8760,12,,1,2048,8,24576\n"
                                    << "malformed_csv"
                                    << "fleet.csv:3"
                                    << "never closed";
    QTest::newRow("quote inside an unquoted cell") << header + "er\"p,900,8760,24,,1,2048,8,32768\n"
                                                   << "malformed_csv"
                                                   << "fleet.csv:2"
                                                   << "quote the whole cell";
    QTest::newRow("text after a closing quote") << header + "\"erp\"x,900,8760,24,,1,2048,8,32768\n"
                                                << "malformed_csv"
                                                << "fleet.csv:2"
                                                << "two quotes";
    QTest::newRow("empty file") << ""
                                << "malformed_csv"
                                << "fleet.csv"
                                << "header";
    QTest::newRow("only blank lines") << "\r\n\n  \n"
                                      << "malformed_csv"
                                      << "fleet.csv"
                                      << "header";
}

void TestFleetFile::csvErrorsNameLineAndColumn() {
    QFETCH(QString, text);
    QFETCH(QString, code);
    QFETCH(QString, where);
    QFETCH(QString, message);
    const auto fleet = parseFleetCsv(text.toStdString(), "fleet.csv");
    QVERIFY2(!fleet.ok(), "the text was accepted");
    QCOMPARE(QString::fromStdString(fleet.error().code), code);
    QCOMPARE(QString::fromStdString(fleet.error().where), where);
    QVERIFY2(QString::fromStdString(fleet.error().message).contains(message),
             describe(fleet.error()).constData());
}

void TestFleetFile::groupsCsvIsReadInAnyColumnOrder() {
    const auto groups = parseGroupsCsv(
        "mttr_hours,name,mtbf_hours\r\n6,rack-a,43800\r\n0.5,\"feed-b\",26280\r\n", "groups.csv");
    QVERIFY_OK(groups);
    const std::vector<GroupSpec> expected{{"rack-a", 43800, 6}, {"feed-b", 26280, 0.5}};
    QCOMPARE(*groups, expected);
    const auto none = parseGroupsCsv("name,mtbf_hours,mttr_hours\n", "groups.csv");
    QVERIFY(none.ok());
    QVERIFY(none->empty());
}

void TestFleetFile::groupsCsvErrorsNameLineAndColumn_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("where");
    QTest::newRow("repeated name") << "name,mtbf_hours,mttr_hours\na,1,1\nb,1,1\na,2,2\n"
                                   << "groups.csv:4: name";
    QTest::newRow("missing column") << "name,mtbf_hours\na,1\n"
                                    << "groups.csv:1: mttr_hours";
    QTest::newRow("cluster column") << "name,priority,mtbf_hours,mttr_hours\na,1,1,1\n"
                                    << "groups.csv:1: priority";
    QTest::newRow("mtbf zero") << "name,mtbf_hours,mttr_hours\na,0,1\n"
                               << "groups.csv:2: mtbf_hours";
    QTest::newRow("bad name") << "name,mtbf_hours,mttr_hours\nrack a,1,1\n"
                              << "groups.csv:2: name";
}

void TestFleetFile::groupsCsvErrorsNameLineAndColumn() {
    QFETCH(QString, text);
    QFETCH(QString, where);
    const auto groups = parseGroupsCsv(text.toStdString(), "groups.csv");
    QVERIFY2(!groups.ok(), "the text was accepted");
    QCOMPARE(QString::fromStdString(groups.error().code), QString("invalid_field"));
    QCOMPARE(QString::fromStdString(groups.error().where), where);
}

void TestFleetFile::loadFleetFileReadsGoodFixtures_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("groups");
    QTest::addColumn<int>("clusters");
    QTest::addColumn<int>("groupCount");
    QTest::addColumn<int>("grouped");
    QTest::newRow("product example") << "good/product-example.json"
                                     << "" << 1 << 1 << 1;
    QTest::newRow("make_fleet.py JSON") << "good/bench-60.json"
                                        << "" << 60 << 3 << 15;
    QTest::newRow("make_fleet.py CSV with groups") << "good/bench-60.csv"
                                                   << "good/bench-60-groups.csv" << 60 << 3 << 15;
    QTest::newRow("reordered CSV with BOM, quotes, CRLF")
        << "good/reordered.csv"
        << "good/reordered-groups.csv" << 3 << 2 << 2;
}

void TestFleetFile::loadFleetFileReadsGoodFixtures() {
    QFETCH(QString, file);
    QFETCH(QString, groups);
    QFETCH(int, clusters);
    QFETCH(int, groupCount);
    QFETCH(int, grouped);
    const auto fleet = loadFleetFile(
        fixture(file), groups.isEmpty() ? std::nullopt : std::optional(fixture(groups)));
    QVERIFY_OK(fleet);
    QCOMPARE(fleet->clusters.size(), std::size_t(clusters));
    QCOMPARE(fleet->groups.size(), std::size_t(groupCount));
    const auto in_groups = std::count_if(fleet->clusters.begin(), fleet->clusters.end(),
                                         [](const ClusterSpec& c) { return !c.group.empty(); });
    QCOMPARE(in_groups, std::ptrdiff_t(grouped));
    QVERIFY(validateFleet(*fleet, "check").ok());
}

void TestFleetFile::loadFleetFileReportsBadFixtures_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("groups");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("where");  // after the fixture folder
    QTest::newRow("misspelt field") << "bad/unknown-field.json"
                                    << ""
                                    << "invalid_field"
                                    << "bad/unknown-field.json: clusters[1].mtbf_hour";
    QTest::newRow("trailing comma") << "bad/syntax-error.json"
                                    << ""
                                    << "malformed_json"
                                    << "bad/syntax-error.json:5:3";
    QTest::newRow("group without groups file") << "bad/unknown-group.csv"
                                               << ""
                                               << "invalid_field"
                                               << "bad/unknown-group.csv:2: group";
    QTest::newRow("group not in the groups file") << "bad/unknown-group.csv"
                                                  << "good/reordered-groups.csv"
                                                  << "invalid_field"
                                                  << "bad/unknown-group.csv:3: group";
    QTest::newRow("repeated group in the groups file") << "good/reordered.csv"
                                                       << "bad/duplicate-groups.csv"
                                                       << "invalid_field"
                                                       << "bad/duplicate-groups.csv:4: name";
    QTest::newRow("groups file missing") << "good/reordered.csv"
                                         << "bad/no-such-groups.csv"
                                         << "io"
                                         << "bad/no-such-groups.csv";
    QTest::newRow("fleet missing") << "good/no-such-fleet.json"
                                   << ""
                                   << "io"
                                   << "good/no-such-fleet.json";
    QTest::newRow("unknown extension") << "good/reordered.yaml"
                                       << ""
                                       << "unknown_format"
                                       << "good/reordered.yaml";
    QTest::newRow("no extension") << "good"
                                  << ""
                                  << "unknown_format"
                                  << "good";
}

void TestFleetFile::loadFleetFileReportsBadFixtures() {
    QFETCH(QString, file);
    QFETCH(QString, groups);
    QFETCH(QString, code);
    QFETCH(QString, where);
    const auto fleet = loadFleetFile(
        fixture(file), groups.isEmpty() ? std::nullopt : std::optional(fixture(groups)));
    QVERIFY2(!fleet.ok(), "the file was accepted");
    QCOMPARE(QString::fromStdString(fleet.error().code), code);
    QCOMPARE(QString::fromStdString(fleet.error().where), QString::fromStdString(fixture(where)));
    QVERIFY(!fleet.error().message.empty());
}

void TestFleetFile::benchmarkFleetIsTheSameInJsonAndCsv() {
    // Fixtures written by the benchmark-fleet generator (docs/benchmarks.md) with --clusters 60
    // --groups 3 --group-size 5 --seed 7, once with --format json and once with --format csv.
    const auto from_json = loadFleetFile(fixture("good/bench-60.json"));
    const auto from_csv =
        loadFleetFile(fixture("good/bench-60.csv"), fixture("good/bench-60-groups.csv"));
    QVERIFY_OK(from_json);
    QVERIFY_OK(from_csv);
    QCOMPARE(from_csv->clusters, from_json->clusters);
    QCOMPARE(from_csv->groups, from_json->groups);
    QCOMPARE(from_json->cpu_overcommit, 8.0);
    QCOMPARE(from_json->appliances.size(), std::size_t(1));
    QCOMPARE(from_json->clusters.front().standby, (Footprint{1, 256}));
}

void TestFleetFile::groupsFileReplacesTheJsonFleetsGroups() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string groups_path = dir.filePath("groups.csv").toStdString();
    QFile groups(QString::fromStdString(groups_path));
    QVERIFY(groups.open(QIODevice::WriteOnly));
    groups.write("name,mtbf_hours,mttr_hours\nrack-a,1000,10\n");
    groups.close();
    const auto fleet = loadFleetFile(fixture("good/product-example.json"), groups_path);
    QVERIFY_OK(fleet);
    QCOMPARE(fleet->groups, (std::vector<GroupSpec>{{"rack-a", 1000, 10}}));

    QVERIFY(groups.open(QIODevice::WriteOnly | QIODevice::Truncate));
    groups.write("name,mtbf_hours,mttr_hours\nrack-b,1000,10\n");
    groups.close();
    const auto missing = loadFleetFile(fixture("good/product-example.json"), groups_path);
    QVERIFY(!missing.ok());
    QCOMPARE(QString::fromStdString(missing.error().where),
             QString::fromStdString(fixture("good/product-example.json") + ": clusters[0].group"));
    QVERIFY2(QString::fromStdString(missing.error().message).contains("groups.csv"),
             describe(missing.error()).constData());
}

void TestFleetFile::unreadableFilesAreIoErrors() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(QDir(dir.path()).mkdir("folder.json"));
    const std::string folder = dir.filePath("folder.json").toStdString();
    const auto fleet = loadFleetFile(folder);
    QVERIFY(!fleet.ok());
    QCOMPARE(QString::fromStdString(fleet.error().code), QString("io"));
    QCOMPARE(QString::fromStdString(fleet.error().where), QString::fromStdString(folder));
}

QTEST_GUILESS_MAIN(TestFleetFile)
#include "test_fleet_file.moc"

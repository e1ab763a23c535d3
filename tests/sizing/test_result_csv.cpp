#include <QtTest>

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "sample_sizing_result.h"
#include "sizing/result_csv.h"
#include "tests/support/golden_file.h"

using namespace understudy::sizing;

namespace {

void compareWithGolden(const std::string& actual, const char* name) {
    QVERIFY_GOLDEN(QByteArray::fromStdString(actual),
                   QStringLiteral("tests/sizing/data/reports/") + QLatin1String(name));
}

std::vector<std::string> splitLines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t end = text.find('\n'); end != std::string::npos;
         end = text.find('\n', start)) {
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

std::vector<std::string> splitFields(const std::string& line) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t end = line.find(','); end != std::string::npos; end = line.find(',', start)) {
        fields.push_back(line.substr(start, end - start));
        start = end + 1;
    }
    fields.push_back(line.substr(start));
    return fields;
}

double parse(const std::string& text) {
    double value = -1;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

}  // namespace

class TestResultCsv : public QObject {
    Q_OBJECT
private slots:
    void proposedApplianceMatchesGoldenFile();
    void poolMatchesGoldenFile();
    void clusterTableThenBlankLineThenDistribution();
    void tailProbabilityIsMassAboveEachDemandAndBeyondMassAtTheTop();
    void probabilitiesReadBackToTheSameDouble_data();
    void probabilitiesReadBackToTheSameDouble();
    void fieldsAreQuotedAsRfc4180Requires_data();
    void fieldsAreQuotedAsRfc4180Requires();
    void namesNeedingQuotesAreQuotedInTheTable();
};

void TestResultCsv::proposedApplianceMatchesGoldenFile() {
    compareWithGolden(resultToCsv(testing::proposedApplianceCase().result), "proposed.csv");
}

void TestResultCsv::poolMatchesGoldenFile() {
    compareWithGolden(resultToCsv(testing::poolCase().result), "pool.csv");
}

void TestResultCsv::clusterTableThenBlankLineThenDistribution() {
    const SizingResult result = testing::proposedApplianceCase().result;
    const std::vector<std::string> lines = splitLines(resultToCsv(result));
    const ApplianceResult& appliance = result.appliances.front();
    const std::size_t clusters = appliance.clusters.size();
    QCOMPARE(lines.front(), std::string(kCsvClusterHeader));
    for (std::size_t i = 0; i < clusters; ++i) {
        const std::vector<std::string> fields = splitFields(lines[1 + i]);
        QCOMPARE(fields.size(), std::size_t(7));
        QCOMPARE(fields[0], std::string("proposed"));
        QCOMPARE(fields[1], appliance.clusters[i].name);
        QCOMPARE(fields[2], appliance.clusters[i].group);
        QCOMPARE(fields[3], std::to_string(appliance.clusters[i].priority));
    }
    QCOMPARE(lines[1 + clusters], std::string());
    QCOMPARE(lines[2 + clusters], std::string(kCsvDistributionHeader));
    const std::size_t points =
        appliance.figures(Resource::memory_mib).distribution.probability.size() +
        appliance.figures(Resource::vcpus).distribution.probability.size();
    QCOMPARE(lines.size(), 3 + clusters + points);
}

void TestResultCsv::tailProbabilityIsMassAboveEachDemandAndBeyondMassAtTheTop() {
    SizingResult result = testing::proposedApplianceCase().result;
    DemandDistribution& memory = result.appliances.front().resources[0].distribution;
    // as an engine that truncates a long tail would report it
    memory.beyond_mass = 1e-13;
    const std::vector<std::string> lines = splitLines(resultToCsv(result));
    const std::size_t first = 3 + result.appliances.front().clusters.size();
    const std::vector<double> tail = memory.tailProbabilities();
    for (std::size_t k = 0; k < memory.probability.size(); ++k) {
        const std::vector<std::string> fields = splitFields(lines[first + k]);
        QCOMPARE(fields[1], std::string("memory_mib"));
        QCOMPARE(fields[2], std::to_string(memory.demandAt(k)));
        QCOMPARE(parse(fields[3]), memory.probability[k]);
        QCOMPARE(parse(fields[4]), tail[k]);
    }
    const std::vector<std::string> last = splitFields(lines[first + memory.probability.size() - 1]);
    QCOMPARE(parse(last[4]), 1e-13);
    // above the lowest demand lies everything but the all-standby state
    QVERIFY(std::abs(parse(splitFields(lines[first])[4]) - (1 - memory.probability[0])) < 1e-12);
}

void TestResultCsv::probabilitiesReadBackToTheSameDouble_data() {
    QTest::addColumn<double>("value");
    QTest::newRow("tiny tail") << 1.2345678901234567e-12;
    QTest::newRow("third") << 1.0 / 3.0;
    QTest::newRow("stationary probability") << 24.0 / 8784.0;
    QTest::newRow("zero") << 0.0;
    QTest::newRow("one") << 1.0;
    QTest::newRow("subnormal") << 4.9e-324;
}

void TestResultCsv::probabilitiesReadBackToTheSameDouble() {
    QFETCH(double, value);
    QCOMPARE(parse(roundTripNumber(value)), value);
}

void TestResultCsv::fieldsAreQuotedAsRfc4180Requires_data() {
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("expected");
    QTest::newRow("plain") << "erp-1.prod"
                           << "erp-1.prod";
    QTest::newRow("empty") << ""
                           << "";
    QTest::newRow("comma") << "a,b"
                           << "\"a,b\"";
    QTest::newRow("quote") << "say \"hi\""
                           << "\"say \"\"hi\"\"\"";
    QTest::newRow("line feed") << "a\nb"
                               << "\"a\nb\"";
    QTest::newRow("carriage return") << "a\rb"
                                     << "\"a\rb\"";
}

void TestResultCsv::fieldsAreQuotedAsRfc4180Requires() {
    QFETCH(QString, field);
    QFETCH(QString, expected);
    QCOMPARE(QString::fromStdString(csvField(field.toStdString())), expected);
}

void TestResultCsv::namesNeedingQuotesAreQuotedInTheTable() {
    SizingResult result = testing::proposedApplianceCase().result;
    result.appliances.front().spec.name = "pna,1";
    result.appliances.front().clusters.front().name = "e\"rp";
    const std::vector<std::string> lines = splitLines(resultToCsv(result));
    QVERIFY(lines[1].starts_with("\"pna,1\",\"e\"\"rp\",rack-a,"));
}

QTEST_GUILESS_MAIN(TestResultCsv)
#include "test_result_csv.moc"

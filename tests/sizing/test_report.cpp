#include <QtTest>

#include <QGuiApplication>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include "sample_sizing_result.h"
#include "sizing/report/report_chart.h"
#include "sizing/report/report_html.h"
#include "sizing/report/report_text.h"
#include "sizing/report/report_writer.h"
#include "sizing/risk_words.h"
#include "tests/support/golden_file.h"
#include "tests/support/result_checks.h"

using namespace understudy::sizing;
using namespace understudy::sizing::report;

namespace {

QString html(const testing::SampleCase& sample, const ReportOptions& options = {}) {
    return QString::fromStdString(renderHtmlReport(sample.result, sample.fleet, options));
}

// pdftotext breaks lines where the layout did; compare text with all whitespace as one space.
QString normalized(const QString& text) {
    return text.simplified();
}

struct PdfText {
    int pages = 0;
    QString text;
};

PdfText pdfText(const QString& path) {
    QProcess pdftotext;
    pdftotext.start(QStringLiteral("pdftotext"), {path, QStringLiteral("-")});
    if (!pdftotext.waitForFinished(30000) || pdftotext.exitCode() != 0) {
        return {};
    }
    const QString text = QString::fromUtf8(pdftotext.readAllStandardOutput());
    // pdftotext ends every page with a form feed
    return {static_cast<int>(text.count(QLatin1Char('\f'))), normalized(text)};
}

}  // namespace

class TestReport : public QObject {
    Q_OBJECT
private slots:
    void htmlEscapeNeutralisesMarkup_data();
    void htmlEscapeNeutralisesMarkup();
    void probabilitiesAmountsAndOddsReadAsPeopleExpect_data();
    void probabilitiesAmountsAndOddsReadAsPeopleExpect();
    void htmlOpensWithTheQuestionAndTheOneSentenceAnswer();
    void answerForAGivenApplianceSaysWhetherItMeetsTheTarget();
    void htmlNamesEveryClusterSortedByRiskWhenActive();
    void htmlShowsBothBaselinesAndWhatOverbookingSaves();
    void unservableClustersAreShownBeforeEverythingElse();
    void nPlusOneResultsAppearOnlyForAPool();
    void htmlIsSelfContained();
    void chartsReachTheRareTailOnALogScale();
    void chartsStaySmallForLongDistributions();
    void generatedAtAppearsOnlyWhenGiven();
    void htmlIsReproducibleAndMatchesGoldenFile();
    void pdfCarriesTheAnswerAndEveryClusterOnA4Pages();
    void pdfOfAnUndersizedApplianceNamesTheUnservableCluster();
    void writingIntoAMissingFolderIsAnIoError_data();
    void writingIntoAMissingFolderIsAnIoError();
    void ensureGuiApplicationKeepsAnExistingApplication();
};

void TestReport::htmlEscapeNeutralisesMarkup_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("plain") << "erp-1.prod"
                           << "erp-1.prod";
    QTest::newRow("tag") << "<script>alert(1)</script>"
                         << "&lt;script&gt;alert(1)&lt;/script&gt;";
    QTest::newRow("ampersand first") << "a&lt;"
                                     << "a&amp;lt;";
    QTest::newRow("attribute quotes") << "\" onload='x'"
                                      << "&quot; onload=&#39;x&#39;";
    QTest::newRow("utf-8 kept") << "Zürich–Süd"
                                << "Zürich–Süd";
}

void TestReport::htmlEscapeNeutralisesMarkup() {
    QFETCH(QString, text);
    QFETCH(QString, expected);
    QCOMPARE(QString::fromStdString(htmlEscape(text.toStdString())), expected);
}

void TestReport::probabilitiesAmountsAndOddsReadAsPeopleExpect_data() {
    QTest::addColumn<QString>("actual");
    QTest::addColumn<QString>("expected");
    QTest::newRow("probability zero") << QString::fromStdString(formatProbability(0)) << "0";
    QTest::newRow("probability small")
        << QString::fromStdString(formatProbability(3.24e-5)) << "3.2e-5";
    QTest::newRow("probability round") << QString::fromStdString(formatProbability(1e-4)) << "1e-4";
    QTest::newRow("probability rounds up a decade")
        << QString::fromStdString(formatProbability(9.96e-7)) << "1e-6";
    QTest::newRow("probability large")
        << QString::fromStdString(formatProbability(0.0268)) << "0.027";
    QTest::newRow("memory GiB") << QString::fromStdString(
                                       formatAmount(Resource::memory_mib, 421888))
                                << "412 GiB";
    QTest::newRow("memory half GiB")
        << QString::fromStdString(formatAmount(Resource::memory_mib, 422400)) << "412.5 GiB";
    QTest::newRow("memory MiB") << QString::fromStdString(formatAmount(Resource::memory_mib, 512))
                                << "512 MiB";
    QTest::newRow("vcpus") << QString::fromStdString(formatAmount(Resource::vcpus, 1480))
                           << "1,480 vCPUs";
    QTest::newRow("one vcpu") << QString::fromStdString(formatAmount(Resource::vcpus, 1))
                              << "1 vCPU";
    QTest::newRow("tail label") << QString::fromStdString(powerOfTenLabel(-12)) << "10⁻¹²";
}

void TestReport::probabilitiesAmountsAndOddsReadAsPeopleExpect() {
    QFETCH(QString, actual);
    QFETCH(QString, expected);
    QCOMPARE(actual, expected);
}

void TestReport::htmlOpensWithTheQuestionAndTheOneSentenceAnswer() {
    const auto sample = testing::proposedApplianceCase();
    const QString page = html(sample);
    const std::vector<std::string> answers = reportAnswers(sample.result);
    QCOMPARE(answers.size(), std::size_t(1));
    const QString answer = QString::fromStdString(htmlEscape(answers.front()));
    const ApplianceResult& proposed = sample.result.appliances.front();
    // the sentence carries the engine's figures, not a template
    QVERIFY(answer.contains(QString::fromStdString(
        "needs " +
        formatAmount(Resource::memory_mib, proposed.figures(Resource::memory_mib).capacity) +
        " of memory and " +
        formatAmount(Resource::vcpus, proposed.figures(Resource::vcpus).capacity) +
        " usable: buy " + formatAmount(Resource::memory_mib, proposed.spec.memory_mib))));
    QVERIFY(
        answer.startsWith("To keep the chance that standby nodes cannot all get their active "
                          "footprint below 1 in 10,000"));
    const qsizetype question = page.indexOf(
        QString::fromStdString(htmlEscape(reportQuestion(sample.result, sample.fleet))));
    QVERIFY(question > 0);
    QVERIFY(page.indexOf(answer) > question);
    QVERIFY(page.indexOf(answer) < page.indexOf("<h2>"));
}

void TestReport::answerForAGivenApplianceSaysWhetherItMeetsTheTarget() {
    const auto undersized = testing::undersizedApplianceCase();
    const std::string missing = reportAnswers(undersized.result).front();
    QVERIFY(missing.starts_with("pna-1 misses the target: overflow risk "));
    QVERIFY(missing.find("dwh can never be served") != std::string::npos);
    const auto pool = testing::poolCase();
    const std::vector<std::string> answers = reportAnswers(pool.result);
    QCOMPARE(answers.size(), std::size_t(2));
    for (std::size_t i = 0; i < answers.size(); ++i) {
        const ApplianceResult& a = pool.result.appliances[i];
        QVERIFY(answers[i].starts_with(a.spec.name + (a.meetsTarget() ? " meets" : " misses")));
        QVERIFY(answers[i].find(riskInWords(a.figures(Resource::memory_mib).overflow_risk)) !=
                std::string::npos);
    }
}

void TestReport::htmlNamesEveryClusterSortedByRiskWhenActive() {
    const auto sample = testing::proposedApplianceCase();
    const QString page = html(sample);
    const qsizetype table = page.indexOf("by risk when active</h2>");
    QVERIFY(table > 0);
    std::vector<ClusterFigures> clusters = sample.result.appliances.front().clusters;
    std::sort(clusters.begin(), clusters.end(), [](const auto& x, const auto& y) {
        return std::max(x.risk_when_active[0], x.risk_when_active[1]) >
               std::max(y.risk_when_active[0], y.risk_when_active[1]);
    });
    qsizetype previous = table;
    for (const ClusterFigures& c : clusters) {
        const qsizetype at = page.indexOf("<td>" + QString::fromStdString(c.name) + "</td>", table);
        QVERIFY2(at > previous, c.name.c_str());
        previous = at;
    }
    QCOMPARE(clusters.size(), sample.fleet.clusters.size());
}

void TestReport::htmlShowsBothBaselinesAndWhatOverbookingSaves() {
    const auto sample = testing::proposedApplianceCase();
    const QString page = html(sample);
    const Baselines& b = sample.result.baselines;
    QVERIFY(page.contains("No overbooking: every node reserved at its active footprint"));
    QVERIFY(page.contains("Tolerate 1 simultaneous failover"));
    for (const Resource r : kResources) {
        const auto ri = static_cast<std::size_t>(r);
        QVERIFY(page.contains(QString::fromStdString(formatAmount(r, b.no_overbooking[ri]))));
        QVERIFY(page.contains(QString::fromStdString(formatAmount(r, b.tolerate_k_capacity[ri]))));
    }
    const std::int64_t memory =
        sample.result.appliances.front().figures(Resource::memory_mib).capacity;
    const double saved = static_cast<double>(b.no_overbooking[0] - memory) /
                         static_cast<double>(b.no_overbooking[0]);
    QVERIFY(page.contains(
        QString::fromStdString(formatAmount(Resource::memory_mib, b.no_overbooking[0] - memory) +
                               " (" + formatPercent(saved) + ")")));
}

void TestReport::unservableClustersAreShownBeforeEverythingElse() {
    const QString page = html(testing::undersizedApplianceCase());
    const qsizetype box = page.indexOf("never be served, whatever the odds");
    QVERIFY(box > 0);
    QVERIFY(box < page.indexOf("<h2>"));
    QVERIFY(page.indexOf("<li>dwh needs 96 GiB of memory when active", box) > box);
    QVERIFY(page.contains("MISSES TARGET"));
    QVERIFY(!html(testing::proposedApplianceCase()).contains("never be served"));
}

void TestReport::nPlusOneResultsAppearOnlyForAPool() {
    const QString pool = html(testing::poolCase());
    const qsizetype section = pool.indexOf("<h2>N+1: the pool with one appliance down</h2>");
    QVERIFY(section > 0);
    // one notation with the console: words, the exact value a hover away
    QVERIFY(pool.indexOf("<td>pna-2</td><td class=\"num over\" align=\"right\"><span "
                         "title=\"8.4e-3\">1 in 119</span></td>",
                         section) > section);
    QVERIFY(pool.indexOf("dwh needs 96 GiB of memory when active", section) > section);
    const qsizetype answer = pool.indexOf(
        "N+1: the pool misses the target with one of these appliances down: pna-1, pna-2");
    QVERIFY(answer > 0);
    QVERIFY(answer < section);
    QVERIFY(!html(testing::proposedApplianceCase()).contains("N+1"));
}

void TestReport::htmlIsSelfContained() {
    const QString page = html(testing::poolCase());
    QVERIFY(page.startsWith("<!DOCTYPE html>"));
    QVERIFY(page.contains("<style>"));
    QVERIFY(page.contains("<svg"));
    for (const char* external : {"src=", "href=", "<link", "url(", "@import", "<script"}) {
        QVERIFY2(!page.contains(QLatin1String(external)), external);
    }
}

void TestReport::chartsReachTheRareTailOnALogScale() {
    const auto sample = testing::proposedApplianceCase();
    const QString page = html(sample);
    // two charts per resource
    QCOMPARE(page.count("<svg"), 4);
    // the fixture's tail goes below 1e-16: the axis stops there and labels it
    QVERIFY(page.contains(">10⁻¹⁶</text>"));
    QVERIFY(page.contains(">target 1 in 10,000</text>"));
    const ApplianceResult& a = sample.result.appliances.front();
    QVERIFY(page.contains(QString::fromStdString(
        ">capacity " +
        formatAmount(Resource::memory_mib, a.figures(Resource::memory_mib).capacity) + "</text>")));
}

void TestReport::chartsStaySmallForLongDistributions() {
    auto sample = testing::proposedApplianceCase();
    // as many points as the engine resolves before it quantizes, every one with its own tail
    DemandDistribution& memory = sample.result.appliances.front().resources[0].distribution;
    memory.unit = 1;
    memory.probability.assign(std::size_t{1} << 17, 0.0);
    for (std::size_t k = 0; k < memory.probability.size(); ++k) {
        memory.probability[k] = std::exp(-static_cast<double>(k) / 3000.0) / 3000.0;
    }
    const QString page = html(sample);
    QVERIFY2(page.size() < 600'000, qPrintable(QString::number(page.size())));
    QTemporaryDir dir;
    const QString path = dir.filePath("long.pdf");
    QVERIFY(writeReport(sample.result, sample.fleet, ReportFormat::pdf, path.toStdString()).ok());
    QVERIFY2(QFileInfo(path).size() < 1'000'000,
             qPrintable(QString::number(QFileInfo(path).size())));
}

void TestReport::generatedAtAppearsOnlyWhenGiven() {
    const auto sample = testing::proposedApplianceCase();
    ReportOptions options;
    options.source = "fleet<1>.json";
    options.generated_at = "2026-11-26 06:30 UTC";
    const QString page = html(sample, options);
    QVERIFY(
        page.contains("Fleet fleet&lt;1&gt;.json · 12 clusters · generated 2026-11-26 06:30 UTC"));
    QVERIFY(!html(sample).contains("generated"));
}

void TestReport::htmlIsReproducibleAndMatchesGoldenFile() {
    const auto sample = testing::undersizedApplianceCase();
    const std::string page = renderHtmlReport(sample.result, sample.fleet);
    QCOMPARE(renderHtmlReport(sample.result, sample.fleet), page);
    QVERIFY_GOLDEN(QByteArray::fromStdString(page),
                   QStringLiteral("tests/sizing/data/reports/undersized.html"));
}

void TestReport::pdfCarriesTheAnswerAndEveryClusterOnA4Pages() {
    QTemporaryDir dir;
    const QString path = dir.filePath("report.pdf");
    const auto sample = testing::proposedApplianceCase();
    const understudy::Status written =
        writeReport(sample.result, sample.fleet, ReportFormat::pdf, path.toStdString());
    QVERIFY_OK(written);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(file.read(5) == "%PDF-");
    const PdfText pdf = pdfText(path);
    QVERIFY2(pdf.pages >= 4 && pdf.pages <= 8, qPrintable(QString::number(pdf.pages)));
    QVERIFY2(
        pdf.text.contains(normalized(QString::fromStdString(reportAnswers(sample.result).front()))),
        qPrintable(pdf.text.left(800)));
    for (const ClusterSpec& c : sample.fleet.clusters) {
        QVERIFY2(pdf.text.contains(QRegularExpression(
                     "\\b" + QRegularExpression::escape(QString::fromStdString(c.name)) + " ")),
                 c.name.c_str());
    }
    QVERIFY(pdf.text.contains("Assumptions and method"));
    QVERIFY(pdf.text.contains(QStringLiteral("Page 1 of %1").arg(pdf.pages)));
}

void TestReport::pdfOfAnUndersizedApplianceNamesTheUnservableCluster() {
    QTemporaryDir dir;
    const QString path = dir.filePath("undersized.pdf");
    const auto sample = testing::undersizedApplianceCase();
    QVERIFY(writeReport(sample.result, sample.fleet, ReportFormat::pdf, path.toStdString()).ok());
    const PdfText pdf = pdfText(path);
    QVERIFY(pdf.text.contains("MISSES TARGET"));
    QVERIFY(pdf.text.contains("dwh needs 96 GiB of memory when active"));
}

void TestReport::writingIntoAMissingFolderIsAnIoError_data() {
    QTest::addColumn<int>("format");
    QTest::newRow("html") << static_cast<int>(ReportFormat::html);
    QTest::newRow("pdf") << static_cast<int>(ReportFormat::pdf);
}

void TestReport::writingIntoAMissingFolderIsAnIoError() {
    QFETCH(int, format);
    QTemporaryDir dir;
    const std::string path = dir.filePath("no-such-folder/report").toStdString();
    const auto sample = testing::proposedApplianceCase();
    const understudy::Status written =
        writeReport(sample.result, sample.fleet, static_cast<ReportFormat>(format), path);
    QVERIFY(!written.ok());
    QCOMPARE(written.error().code, std::string("io"));
    QCOMPARE(written.error().where, path);
    QVERIFY(!QFile::exists(QString::fromStdString(path)));
}

void TestReport::ensureGuiApplicationKeepsAnExistingApplication() {
    int argc = 1;
    char name[] = "test_report";
    char* argv[] = {name, nullptr};
    QVERIFY(ensureGuiApplication(argc, argv) == nullptr);
    QVERIFY(qobject_cast<QGuiApplication*>(QCoreApplication::instance()) != nullptr);
}

QTEST_MAIN(TestReport)
#include "test_report.moc"

// understudy-size as a user runs it: a real process, its exit status, stdout and stderr.
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <nlohmann/json.hpp>

#include "sizing/size_command.h"
#include "tests/support/golden_file.h"
#include "tests/support/result_checks.h"
#include "tests/support/source_files.h"

using namespace understudy::sizing;
using namespace understudy::testsupport;

namespace {

struct Run {
    int status = -1;
    QByteArray out;
    QString err;
};

Run runSize(const QStringList& arguments) {
    QProcess process;
    process.start(QStringLiteral(UNDERSTUDY_SIZE_BINARY), arguments);
    if (!process.waitForFinished(120'000)) {
        process.kill();
        return {};
    }
    return {process.exitCode(), process.readAllStandardOutput(),
            QString::fromUtf8(process.readAllStandardError())};
}

QString sampleFleet() {
    return sourcePath("examples/sample-fleet.json");
}

}  // namespace

class TestSizeCommand : public QObject {
    Q_OBJECT
private slots:
    void parsesEveryOptionInBothSpellings();
    void rejectsBadOptionsNamingThem_data();
    void rejectsBadOptionsNamingThem();
    void sizesTheSampleFleetToStdoutAndMatchesTheGoldenFile();
    void exitsOneWhenTheGivenApplianceMissesTheTarget();
    void optionsOverrideTheFleetFile();
    void badFleetExitsTwoNamingFileAndField();
    void unwritableOutputExitsThreeAndLeavesNoFile();
    void writesCsvHtmlAndPdfReports();
    void readsCsvFleetsWithAGroupsFile();
};

void TestSizeCommand::parsesEveryOptionInBothSpellings() {
    auto parsed = parseSizeCommand({"fleet.csv",
                                    "--format=csv",
                                    "--output",
                                    "out.csv",
                                    "--target-risk",
                                    "1e-5",
                                    "--appliance-vcpus=64",
                                    "--appliance-memory-mib",
                                    "524288",
                                    "--reserve-vcpus",
                                    "2",
                                    "--reserve-memory-mib=16384",
                                    "--cpu-overcommit",
                                    "4",
                                    "--groups",
                                    "groups.csv",
                                    "--tolerate",
                                    "2",
                                    "--method",
                                    "montecarlo",
                                    "--samples",
                                    "1000",
                                    "--seed",
                                    "9"});
    QVERIFY_OK(parsed);
    QCOMPARE(parsed->fleet_path, std::string("fleet.csv"));
    QVERIFY(parsed->format == OutputFormat::csv);
    QCOMPARE(*parsed->output, std::string("out.csv"));
    QCOMPARE(*parsed->target_risk, 1e-5);
    QCOMPARE(*parsed->appliance_vcpus, std::int64_t(64));
    QCOMPARE(*parsed->appliance_memory_mib, std::int64_t(524288));
    QCOMPARE(*parsed->reserve_vcpus, std::int64_t(2));
    QCOMPARE(*parsed->reserve_memory_mib, std::int64_t(16384));
    QCOMPARE(*parsed->cpu_overcommit, 4.0);
    QCOMPARE(*parsed->groups_path, std::string("groups.csv"));
    QCOMPARE(*parsed->tolerate_k, 2);
    QVERIFY(parsed->method == Method::montecarlo);
    QCOMPARE(parsed->samples, std::int64_t(1000));
    QCOMPARE(parsed->seed, std::uint64_t(9));
}

void TestSizeCommand::rejectsBadOptionsNamingThem_data() {
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("where");
    QTest::newRow("no fleet") << QStringList{} << "FLEET";
    QTest::newRow("two fleets") << QStringList{"a.json", "b.json"} << "FLEET";
    QTest::newRow("unknown option") << QStringList{"a.json", "--colour"} << "--colour";
    QTest::newRow("missing value") << QStringList{"a.json", "--target-risk"} << "--target-risk";
    QTest::newRow("risk above one")
        << QStringList{"a.json", "--target-risk", "2"} << "--target-risk";
    QTest::newRow("risk not a number")
        << QStringList{"a.json", "--target-risk=low"} << "--target-risk";
    QTest::newRow("bad format") << QStringList{"a.json", "--format", "xml"} << "--format";
    QTest::newRow("pdf without output") << QStringList{"a.json", "--format", "pdf"} << "--format";
    QTest::newRow("negative reserve")
        << QStringList{"a.json", "--reserve-vcpus", "-1"} << "--reserve-vcpus";
    QTest::newRow("fractional vcpus")
        << QStringList{"a.json", "--appliance-vcpus", "2.5"} << "--appliance-vcpus";
    QTest::newRow("bad method") << QStringList{"a.json", "--method", "guess"} << "--method";
    QTest::newRow("zero samples") << QStringList{"a.json", "--samples", "0"} << "--samples";
}

void TestSizeCommand::rejectsBadOptionsNamingThem() {
    QFETCH(QStringList, arguments);
    QFETCH(QString, where);
    std::vector<std::string> list;
    for (const auto& argument : arguments) {
        list.push_back(argument.toStdString());
    }
    auto parsed = parseSizeCommand(list);
    QVERIFY(!parsed.ok());
    QCOMPARE(QString::fromStdString(parsed.error().where), where);
    // The process says the same on stderr and exits 2.
    const Run run = runSize(arguments);
    QCOMPARE(run.status, kExitBadInput);
    QVERIFY2(run.err.contains(where), qPrintable(run.err));
    QVERIFY(run.out.isEmpty());
}

void TestSizeCommand::sizesTheSampleFleetToStdoutAndMatchesTheGoldenFile() {
    const Run run = runSize({sampleFleet()});
    QCOMPARE(run.status, kExitMeetsTarget);
    const auto json = nlohmann::json::parse(run.out.toStdString());
    QCOMPARE(json["method"], "exact");
    QCOMPARE(json["exact"], true);
    QCOMPARE(json["target_risk"], 0.0001);
    const auto& appliance = json["appliances"][0];
    QCOMPARE(appliance["name"], "proposed");
    for (const char* resource : {"memory_mib", "vcpus"}) {
        const auto& figures = appliance["resources"][resource];
        for (const char* field :
             {"capacity", "standby_total", "active_total", "overflow_risk", "expected_shortfall",
              "required_capacity", "required_capacity_per_cluster", "meets_target"}) {
            QVERIFY2(figures.contains(field), field);
        }
        QCOMPARE(figures["meets_target"], true);
        QVERIFY(figures["overflow_risk"].get<double>() <= 0.0001);
    }
    QCOMPARE(appliance["clusters"].size(), std::size_t(12));
    QVERIFY(json["baselines"]["no_overbooking"]["memory_mib"].get<std::int64_t>() >
            appliance["resources"]["memory_mib"]["capacity"].get<std::int64_t>());
    QVERIFY(json["pool"].is_null());
    QVERIFY(run.err.contains("12 clusters"));

    QVERIFY_GOLDEN(run.out, QStringLiteral("tests/sizing/data/golden/sample-fleet.json"));
}

void TestSizeCommand::exitsOneWhenTheGivenApplianceMissesTheTarget() {
    const Run run =
        runSize({sampleFleet(), "--appliance-vcpus", "8", "--appliance-memory-mib", "65536"});
    QCOMPARE(run.status, kExitMissesTarget);
    const auto json = nlohmann::json::parse(run.out.toStdString());
    const auto& appliance = json["appliances"][0];
    QCOMPARE(appliance["name"], "appliance");
    QCOMPARE(appliance["resources"]["memory_mib"]["meets_target"], false);
    // dwh's 64 GiB cannot fit beside the others' standby footprints in 64 GiB.
    bool dwh_unservable = false;
    for (const auto& entry : appliance["unservable"]) {
        dwh_unservable =
            dwh_unservable || (entry["cluster"] == "dwh" && entry["resource"] == "memory_mib");
    }
    QVERIFY(dwh_unservable);
}

void TestSizeCommand::optionsOverrideTheFleetFile() {
    const Run strict = runSize({sampleFleet(), "--target-risk", "1e-6", "--tolerate", "2",
                                "--reserve-memory-mib", "8192", "--cpu-overcommit", "2"});
    QCOMPARE(strict.status, kExitMeetsTarget);
    const auto json = nlohmann::json::parse(strict.out.toStdString());
    QCOMPARE(json["target_risk"], 1e-6);
    QCOMPARE(json["cpu_overcommit"], 2.0);
    QCOMPARE(json["baselines"]["tolerate_k"]["k"], 2);
    const auto& appliance = json["appliances"][0];
    QCOMPARE(appliance["reserve_memory_mib"], 8192);
    QCOMPARE(appliance["memory_mib"].get<std::int64_t>(),
             8192 + appliance["resources"]["memory_mib"]["capacity"].get<std::int64_t>());
    const Run relaxed = runSize({sampleFleet()});
    const auto base = nlohmann::json::parse(relaxed.out.toStdString());
    QVERIFY(
        appliance["resources"]["memory_mib"]["required_capacity"].get<std::int64_t>() >
        base["appliances"][0]["resources"]["memory_mib"]["required_capacity"].get<std::int64_t>());
}

void TestSizeCommand::badFleetExitsTwoNamingFileAndField() {
    QTemporaryDir dir;
    const QString path = dir.filePath("fleet.json");
    writeFile(path, R"({"clusters": [{"name": "erp", "priority": 900, "mtbf_hours": 8760,
        "mttr_hours": 24, "standby": {"vcpus": 1, "memory_mib": -5},
        "active": {"vcpus": 8, "memory_mib": 32768}}]})");
    const Run run = runSize({path});
    QCOMPARE(run.status, kExitBadInput);
    QVERIFY2(run.err.contains("fleet.json") && run.err.contains("clusters[0].standby.memory_mib"),
             qPrintable(run.err));
    QVERIFY(run.out.isEmpty());
    const Run missing = runSize({dir.filePath("absent.json")});
    QCOMPARE(missing.status, kExitBadInput);
    QVERIFY(missing.err.contains("absent.json"));
    // An override that breaks a rule is caught too, naming what broke.
    const Run reserve = runSize({sampleFleet(), "--appliance-vcpus", "4", "--appliance-memory-mib",
                                 "4096", "--reserve-vcpus", "4"});
    QCOMPARE(reserve.status, kExitBadInput);
    QVERIFY2(reserve.err.contains("reserve_vcpus"), qPrintable(reserve.err));
}

void TestSizeCommand::unwritableOutputExitsThreeAndLeavesNoFile() {
    QTemporaryDir dir;
    const QString target = dir.filePath("missing-folder/out.json");
    const Run run = runSize({sampleFleet(), "--output", target});
    QCOMPARE(run.status, kExitCannotWrite);
    QVERIFY(run.err.contains(target));
    QVERIFY(!QFile::exists(target));
    QVERIFY(!QFile::exists(target + ".tmp"));
}

void TestSizeCommand::writesCsvHtmlAndPdfReports() {
    QTemporaryDir dir;
    const Run csv = runSize({sampleFleet(), "--format", "csv"});
    QCOMPARE(csv.status, kExitMeetsTarget);
    QVERIFY(csv.out.startsWith("appliance,cluster,group,priority,failover_probability"));
    QVERIFY(csv.out.contains("\n\nappliance,resource,demand,probability,tail_probability\n"));

    const QString html = dir.filePath("report.html");
    QCOMPARE(runSize({sampleFleet(), "--format", "html", "--output", html}).status,
             kExitMeetsTarget);
    QFile html_file(html);
    QVERIFY(html_file.open(QIODevice::ReadOnly));
    const QByteArray page = html_file.readAll();
    QVERIFY(page.contains("<html") && page.contains("erp") && page.contains("webshop"));

    const QString pdf = dir.filePath("report.pdf");
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove("QT_QPA_PLATFORM");  // as over SSH: the command must find its own way
    environment.remove("DISPLAY");
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(UNDERSTUDY_SIZE_BINARY),
                  {sampleFleet(), "--format", "pdf", "--output", pdf});
    QVERIFY(process.waitForFinished(120'000));
    QCOMPARE(process.exitCode(), kExitMeetsTarget);
    QFile pdf_file(pdf);
    QVERIFY(pdf_file.open(QIODevice::ReadOnly));
    QVERIFY(pdf_file.read(5) == "%PDF-");
}

void TestSizeCommand::readsCsvFleetsWithAGroupsFile() {
    const QString fleets = sourcePath("tests/sizing/data/fleets/good/");
    const Run run = runSize({fleets + "bench-60.csv", "--groups", fleets + "bench-60-groups.csv",
                             "--appliance-vcpus", "64", "--appliance-memory-mib", "1048576",
                             "--cpu-overcommit", "8"});
    QVERIFY2(run.status == kExitMeetsTarget || run.status == kExitMissesTarget,
             qPrintable(run.err));
    const auto from_csv = nlohmann::json::parse(run.out.toStdString());
    const Run json_run = runSize({fleets + "bench-60.json", "--appliance-vcpus", "64",
                                  "--appliance-memory-mib", "1048576", "--cpu-overcommit", "8"});
    const auto from_json = nlohmann::json::parse(json_run.out.toStdString());
    // The same fleet in both formats gives the same answer, figure for figure.
    QCOMPARE(from_csv["appliances"][0]["resources"], from_json["appliances"][0]["resources"]);
    QCOMPARE(from_csv["appliances"][0]["clusters"].size(), std::size_t(60));
}

QTEST_GUILESS_MAIN(TestSizeCommand)
#include "test_size_command.moc"

#include <QtTest>

#include <QLineEdit>
#include <cmath>
#include <utility>

#include "gui/widgets/quantity_format.h"
#include "gui/widgets/risk_spin_box.h"
#include "sizing/risk_words.h"

using namespace understudy::gui;

class TestQuantityFormat : public QObject {
    Q_OBJECT
private slots:
    void memoryReadsInTheLargestWholeUnit_data();
    void memoryReadsInTheLargestWholeUnit();
    void risksReadAsOneInN_data();
    void risksReadAsOneInN();
    void theTargetInputTakesBothForms();
    void quantitiesCarryTheirUnit_data();
    void quantitiesCarryTheirUnit();
    void countsReadInPlainEnglish();
    void overbookingHasOneForm();
    void aTinyShortfallReadsAtAGlance_data();
    void aTinyShortfallReadsAtAGlance();
    void aGrantIsTheGrowthOverStandby();
};

void TestQuantityFormat::memoryReadsInTheLargestWholeUnit_data() {
    QTest::addColumn<qint64>("mib");
    QTest::addColumn<QString>("text");
    QTest::newRow("MiB") << qint64(512) << "512 MiB";
    QTest::newRow("GiB") << qint64(32768) << "32 GiB";
    QTest::newRow("fractional GiB") << qint64(1536) << "1.5 GiB";
    QTest::newRow("TiB") << qint64(1572864) << "1.5 TiB";
}

void TestQuantityFormat::memoryReadsInTheLargestWholeUnit() {
    QFETCH(qint64, mib);
    QFETCH(QString, text);
    QCOMPARE(formatMemoryMib(mib), text);
}

void TestQuantityFormat::risksReadAsOneInN_data() {
    QTest::addColumn<double>("risk");
    QTest::addColumn<QString>("text");
    QTest::newRow("zero") << 0.0 << "0";
    QTest::newRow("1 in 350") << 1 / 350.0 << "1 in 350";
    QTest::newRow("0.287 %") << 0.00287 << "1 in 348";
    QTest::newRow("target") << 1e-4 << "1 in 10,000";
    QTest::newRow("rare") << 7.6e-05 << "1 in 13,200";
    QTest::newRow("millions") << 1e-6 << "1 in 1 million";
    QTest::newRow("steady state") << 3.7e-10 << "1 in 2.7 billion";
    QTest::newRow("trillions") << 1e-15 << "1 in 1,000 trillion";
    QTest::newRow("even") << 0.5 << "1 in 2";
    QTest::newRow("likely") << 0.8 << "1 in 1.25";
    QTest::newRow("certain") << 1.0 << "certain";
}

void TestQuantityFormat::risksReadAsOneInN() {
    QFETCH(double, risk);
    QFETCH(QString, text);
    QCOMPARE(formatRisk(risk), text);
    // Read back, the words give the value to their three digits.
    const std::optional<double> read = understudy::sizing::riskFromWords(text.toStdString());
    QVERIFY(read.has_value());
    QVERIFY2(std::abs(*read - risk) <= risk * 0.005, qPrintable(QString::number(*read)));
    QCOMPARE(exactRisk(1 / 350.0), QStringLiteral("exactly 0.00285714"));
}

void TestQuantityFormat::theTargetInputTakesBothForms() {
    RiskSpinBox box;
    QCOMPARE(box.text(), QStringLiteral("1 in 10,000"));
    for (const auto& [typed, value] : {std::pair{"1 in 350", 1 / 350.0},
                                       {"1e-5", 1e-5},
                                       {"0.001", 1e-3},
                                       {"1 in 2.7 billion", 1 / 2.7e9},
                                       {"1 in 1000", 1e-3}}) {
        box.findChild<QLineEdit*>()->selectAll();
        QTest::keyClicks(&box, QString::fromLatin1(typed));
        box.interpretText();
        QVERIFY2(std::abs(box.value() - value) <= value * 1e-9, typed);
    }
    QString text = QStringLiteral("1 in ");
    int position = 0;
    QCOMPARE(box.validate(text, position), QValidator::Intermediate);
    text = QStringLiteral("one in ten");
    QCOMPARE(box.validate(text, position), QValidator::Invalid);
    box.setValue(1e-4);
    QCOMPARE(box.text(), QStringLiteral("1 in 10,000"));
}

void TestQuantityFormat::quantitiesCarryTheirUnit_data() {
    QTest::addColumn<int>("resource");
    QTest::addColumn<qint64>("amount");
    QTest::addColumn<QString>("text");
    QTest::newRow("one vCPU") << 1 << qint64(1) << "1 vCPU";
    QTest::newRow("vCPUs") << 1 << qint64(248) << "248 vCPUs";
    QTest::newRow("memory") << 0 << qint64(2048) << "2 GiB";
}

void TestQuantityFormat::quantitiesCarryTheirUnit() {
    QFETCH(int, resource);
    QFETCH(qint64, amount);
    QFETCH(QString, text);
    QCOMPARE(formatQuantity(static_cast<understudy::sizing::Resource>(resource), amount), text);
}

void TestQuantityFormat::countsReadInPlainEnglish() {
    QCOMPARE(countOf(1, QStringLiteral("cluster")), QStringLiteral("1 cluster"));
    QCOMPARE(countOf(3, QStringLiteral("cluster")), QStringLiteral("3 clusters"));
    QCOMPARE(countOf(0, QStringLiteral("failover")), QStringLiteral("0 failovers"));
}

void TestQuantityFormat::overbookingHasOneForm() {
    QCOMPARE(formatOverbooking(1.2749), QStringLiteral("1.27 ×"));
    QCOMPARE(formatOverbooking(0.5), QStringLiteral("0.50 ×"));
}

void TestQuantityFormat::aTinyShortfallReadsAtAGlance_data() {
    QTest::addColumn<int>("resource");
    QTest::addColumn<double>("shortfall");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("exact");
    QTest::newRow("none") << 0 << 0.0 << "0 MiB"
                          << "exactly 0 MiB";
    QTest::newRow("tiny memory") << 0 << 3.7e-4 << "< 1 MiB"
                                 << "exactly 0.00037 MiB";
    QTest::newRow("below a MiB") << 0 << 0.688 << "< 1 MiB"
                                 << "exactly 0.688 MiB";
    QTest::newRow("GiB") << 0 << 2048.4 << "2 GiB"
                         << "exactly 2048.4 MiB";
    QTest::newRow("tiny vCPUs") << 1 << 0.04 << "< 0.1 vCPUs"
                                << "exactly 0.04 vCPUs";
    QTest::newRow("vCPUs") << 1 << 2.26 << "2.3 vCPUs"
                           << "exactly 2.26 vCPUs";
}

void TestQuantityFormat::aTinyShortfallReadsAtAGlance() {
    QFETCH(int, resource);
    QFETCH(double, shortfall);
    QFETCH(QString, text);
    QFETCH(QString, exact);
    const auto which = static_cast<understudy::sizing::Resource>(resource);
    QCOMPARE(formatShortfall(which, shortfall), text);
    QCOMPARE(exactShortfall(which, shortfall), exact);
    QVERIFY2(!text.contains(u'e'), "no scientific notation in what an operator reads");
}

void TestQuantityFormat::aGrantIsTheGrowthOverStandby() {
    QCOMPARE(formatGrant({2, 8192}), QStringLiteral("+2 vCPUs · +8 GiB over standby"));
    QCOMPARE(formatGrant({0, 16384}), QStringLiteral("+16 GiB over standby"));
    QCOMPARE(formatGrant({3, 0}), QStringLiteral("+3 vCPUs over standby"));
    QCOMPARE(formatGrant({}), QStringLiteral("nothing over standby"));
    QCOMPARE(formatGrantAmount(understudy::sizing::Resource::memory_mib, 61440),
             QStringLiteral("+60 GiB"));
}

QTEST_MAIN(TestQuantityFormat)
#include "test_quantity_format.moc"

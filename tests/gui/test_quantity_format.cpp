#include <QtTest>

#include "gui/widgets/quantity_format.h"

using namespace understudy::gui;

class TestQuantityFormat : public QObject {
    Q_OBJECT
private slots:
    void memoryReadsInTheLargestWholeUnit_data();
    void memoryReadsInTheLargestWholeUnit();
    void smallRisksReadInScientificNotation_data();
    void smallRisksReadInScientificNotation();
    void quantitiesCarryTheirUnit_data();
    void quantitiesCarryTheirUnit();
    void countsReadInPlainEnglish();
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

void TestQuantityFormat::smallRisksReadInScientificNotation_data() {
    QTest::addColumn<double>("risk");
    QTest::addColumn<QString>("text");
    QTest::newRow("zero") << 0.0 << "0";
    QTest::newRow("rare") << 0.00012 << "1.2e-04";
    QTest::newRow("percent") << 0.0035 << "0.35 %";
}

void TestQuantityFormat::smallRisksReadInScientificNotation() {
    QFETCH(double, risk);
    QFETCH(QString, text);
    QCOMPARE(formatRisk(risk), text);
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

QTEST_MAIN(TestQuantityFormat)
#include "test_quantity_format.moc"

#include <QtTest>

#include <string>

#include "base/power_action.h"

using namespace understudy;

Q_DECLARE_METATYPE(PowerAction)

class TestPowerAction : public QObject {
    Q_OBJECT

private slots:
    void everyActionHasItsWireName_data();
    void everyActionHasItsWireName();
    void otherNamesAreNoAction_data();
    void otherNamesAreNoAction();
};

void TestPowerAction::everyActionHasItsWireName_data() {
    QTest::addColumn<PowerAction>("action");
    QTest::addColumn<QString>("name");
    QTest::newRow("on") << PowerAction::on << "on";
    QTest::newRow("off") << PowerAction::off << "off";
    QTest::newRow("reboot") << PowerAction::reboot << "reboot";
    QTest::newRow("status") << PowerAction::status << "status";
}

void TestPowerAction::everyActionHasItsWireName() {
    QFETCH(PowerAction, action);
    QFETCH(QString, name);
    QCOMPARE(QString::fromLatin1(powerActionName(action)), name);
    const auto parsed = parsePowerAction(name.toStdString());
    QVERIFY(parsed.has_value());
    QVERIFY(*parsed == action);
}

void TestPowerAction::otherNamesAreNoAction_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("empty") << "";
    QTest::newRow("upper case") << "OFF";
    QTest::newRow("a fence agent's list") << "list";
    QTest::newRow("padded") << " on";
}

void TestPowerAction::otherNamesAreNoAction() {
    QFETCH(QString, name);
    QVERIFY(!parsePowerAction(name.toStdString()).has_value());
}

QTEST_GUILESS_MAIN(TestPowerAction)
#include "test_power_action.moc"

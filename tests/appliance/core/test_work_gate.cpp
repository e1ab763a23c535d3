// The order of work on an appliance's worker: exclusive work runs alone, a node's takeovers one
// after the other, pipelined work waits for quiet while the model is stale, and nothing asked
// later overtakes what waits.
#include <QTest>

#include <string>
#include <vector>

#include "appliance/core/work_gate.h"

using namespace understudy::core;

class WorkGateTest : public QObject {
    Q_OBJECT

private slots:
    void init() { ran.clear(); }
    void exclusiveWorkWaitsUntilNothingIsInFlight();
    void workOnANodeInFlightWaitsAndNothingOvertakesIt();
    void workOnOtherNodesBeginsWhileSomethingIsInFlight();
    void workThatEndsAtOnceLeavesNothingInFlight();
    void aStaleModelHoldsNewWorkUntilQuiet();
    void victimsHeldByWorkInFlightAreReleasedWithIt();

private:
    std::vector<std::string> ran;
    std::function<bool()> pipelined(const std::string& name, bool stays = true) {
        return [this, name, stays] {
            ran.push_back(name);
            return stays;
        };
    }
    std::function<void()> exclusive(const std::string& name) {
        return [this, name] { ran.push_back(name); };
    }
};

void WorkGateTest::exclusiveWorkWaitsUntilNothingIsInFlight() {
    WorkGate gate([] { return false; });
    gate.admit("a", pipelined("takeover a"));
    gate.admit(exclusive("release"));
    QCOMPARE(ran, std::vector<std::string>{"takeover a"});
    QVERIFY(!gate.quiet());
    gate.finish({"a"});
    QCOMPARE(ran, (std::vector<std::string>{"takeover a", "release"}));
    QVERIFY(gate.quiet());
}

void WorkGateTest::workOnANodeInFlightWaitsAndNothingOvertakesIt() {
    WorkGate gate([] { return false; });
    gate.admit("a", pipelined("a1"));
    gate.admit("a", pipelined("a2"));
    gate.admit("b", pipelined("b1"));
    QCOMPARE(ran, std::vector<std::string>{"a1"});
    gate.finish({"a"});
    QCOMPARE(ran, (std::vector<std::string>{"a1", "a2", "b1"}));
}

void WorkGateTest::workOnOtherNodesBeginsWhileSomethingIsInFlight() {
    WorkGate gate([] { return false; });
    gate.admit("a", pipelined("a"));
    gate.admit("b", pipelined("b"));
    gate.admit("c", pipelined("c"));
    QCOMPARE(ran, (std::vector<std::string>{"a", "b", "c"}));
    QVERIFY(gate.inFlight("b"));
    gate.finish({"b"});
    QVERIFY(!gate.inFlight("b"));
    QVERIFY(!gate.quiet());
}

void WorkGateTest::workThatEndsAtOnceLeavesNothingInFlight() {
    WorkGate gate([] { return false; });
    gate.admit("a", pipelined("denied a", false));
    QVERIFY(gate.quiet());
    QVERIFY(!gate.inFlight("a"));
    gate.admit(exclusive("release"));
    QCOMPARE(ran, (std::vector<std::string>{"denied a", "release"}));
}

void WorkGateTest::aStaleModelHoldsNewWorkUntilQuiet() {
    bool stale = false;
    WorkGate gate([&stale] { return stale; });
    gate.admit("a", pipelined("a"));
    stale = true;
    gate.admit("b", pipelined("b"));
    QCOMPARE(ran, std::vector<std::string>{"a"});
    gate.finish({"a"});
    // Quiet now: b begins (and would rebuild the model first).
    QCOMPARE(ran, (std::vector<std::string>{"a", "b"}));
}

void WorkGateTest::victimsHeldByWorkInFlightAreReleasedWithIt() {
    WorkGate gate([] { return false; });
    gate.admit("a", pipelined("a"));
    gate.hold({"victim"});
    gate.admit("victim", pipelined("victim"));
    QCOMPARE(ran, std::vector<std::string>{"a"});
    gate.finish({"a", "victim"});
    QCOMPARE(ran, (std::vector<std::string>{"a", "victim"}));
}

QTEST_GUILESS_MAIN(WorkGateTest)
#include "test_work_gate.moc"

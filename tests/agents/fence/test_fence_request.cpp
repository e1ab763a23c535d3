#include <QtTest>
#include <sstream>

#include "agents/fence/fence_request.h"
#include "tests/support/result_checks.h"

using namespace understudy::agents;

class TestFenceRequest : public QObject {
    Q_OBJECT
private slots:
    void readsTheFencersNameValueLines();
    void ignoresUnknownOptionsWithAWarning();
    void ignoresTheFencersNodenameSilently();
    void rejectsALineWithoutEquals();
    void rejectsAnUnknownActionNamingTheLine();
    void readsTheCommandLine_data();
    void readsTheCommandLine();
    void rejectsBadCommandLines_data();
    void rejectsBadCommandLines();
};

void TestFenceRequest::readsTheFencersNameValueLines() {
    std::istringstream in(
        "# from pacemaker-fenced\naction=off\nport=erp-passive\n"
        "url=http://pna-1:8470\ntoken_file=/etc/understudy/erp.token\n\n");
    auto request = parseFenceStdin(in);
    QVERIFY(request.ok());
    QVERIFY(request->action == FenceAction::off);
    QCOMPARE(QString::fromStdString(request->plug), QStringLiteral("erp-passive"));
    QCOMPARE(QString::fromStdString(request->url), QStringLiteral("http://pna-1:8470"));
    QCOMPARE(QString::fromStdString(request->token_file),
             QStringLiteral("/etc/understudy/erp.token"));
    QVERIFY(request->warnings.empty());
}

void TestFenceRequest::ignoresUnknownOptionsWithAWarning() {
    std::istringstream in("login=admin\naction=status\n");
    auto request = parseFenceStdin(in);
    QVERIFY(request.ok());
    QVERIFY(request->action == FenceAction::status);
    QCOMPARE(request->warnings.size(), std::size_t(1));
    QCOMPARE(QString::fromStdString(request->warnings[0]),
             QStringLiteral("stdin:1: ignoring unknown option 'login'"));
}

// What pacemaker-fenced writes for a device with pcmk_host_map: nodename (the cluster's name of
// the target) besides port (its name in Understudy).
void TestFenceRequest::ignoresTheFencersNodenameSilently() {
    std::istringstream in("action=off\nnodename=erp-vm\nport=erp-passive\n");
    auto request = parseFenceStdin(in);
    QVERIFY(request.ok());
    QVERIFY(request->action == FenceAction::off);
    QCOMPARE(QString::fromStdString(request->plug), QStringLiteral("erp-passive"));
    QVERIFY(request->warnings.empty());
}

void TestFenceRequest::rejectsALineWithoutEquals() {
    std::istringstream in("action=off\njust some text\n");
    auto request = parseFenceStdin(in);
    QVERIFY(!request.ok());
    QCOMPARE(QString::fromStdString(request.error().where), QStringLiteral("stdin:2"));
}

void TestFenceRequest::rejectsAnUnknownActionNamingTheLine() {
    std::istringstream in("plug=erp-passive\naction=explode\n");
    auto request = parseFenceStdin(in);
    QVERIFY(!request.ok());
    QCOMPARE(QString::fromStdString(request.error().where), QStringLiteral("stdin:2: action"));
    QVERIFY(request.error().message.find("explode") != std::string::npos);
}

void TestFenceRequest::readsTheCommandLine_data() {
    QTest::addColumn<QStringList>("arguments");
    QTest::newRow("long options with =")
        << QStringList{"--action=off", "--plug=erp-passive", "--url=http://pna-1:8470",
                       "--token-file=/etc/t", "--power-timeout=7"};
    QTest::newRow("long options with a value")
        << QStringList{"--action",          "off",          "--plug", "erp-passive",     "--url",
                       "http://pna-1:8470", "--token-file", "/etc/t", "--power-timeout", "7"};
    QTest::newRow("short options") << QStringList{"-o",
                                                  "off",
                                                  "-n",
                                                  "erp-passive",
                                                  "--url",
                                                  "http://pna-1:8470",
                                                  "--token-file",
                                                  "/etc/t",
                                                  "--power-timeout",
                                                  "7"};
}

void TestFenceRequest::readsTheCommandLine() {
    QFETCH(QStringList, arguments);
    std::vector<std::string> words;
    for (const QString& argument : arguments) {
        words.push_back(argument.toStdString());
    }
    auto request = parseFenceCommandLine(words);
    QVERIFY_OK(request);
    QVERIFY(request->action == FenceAction::off);
    QCOMPARE(QString::fromStdString(request->plug), QStringLiteral("erp-passive"));
    QCOMPARE(QString::fromStdString(request->url), QStringLiteral("http://pna-1:8470"));
    QCOMPARE(QString::fromStdString(request->token_file), QStringLiteral("/etc/t"));
    QCOMPARE(request->power_timeout_s, 7);
}

void TestFenceRequest::rejectsBadCommandLines_data() {
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown option") << QStringList{"--colour=red"} << "unknown option";
    QTest::newRow("missing value") << QStringList{"--plug"} << "needs a value";
    QTest::newRow("unknown action") << QStringList{"-o", "explode"} << "unknown action";
    QTest::newRow("timeout not a number") << QStringList{"--power-timeout", "soon"} << "soon";
    QTest::newRow("timeout zero") << QStringList{"--power-timeout=0"} << "from 1 to 3600";
}

void TestFenceRequest::rejectsBadCommandLines() {
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    std::vector<std::string> words;
    for (const QString& argument : arguments) {
        words.push_back(argument.toStdString());
    }
    auto request = parseFenceCommandLine(words);
    QVERIFY(!request.ok());
    QVERIFY2(QString::fromStdString(request.error().describe()).contains(message),
             request.error().describe().c_str());
}

QTEST_GUILESS_MAIN(TestFenceRequest)
#include "test_fence_request.moc"

#include <QtTest>
#include <sstream>

#include "agents/fence_request.h"

using namespace understudy::agents;

class TestFenceRequest : public QObject {
    Q_OBJECT
private slots:
    void readsTheFencersNameValueLines();
    void ignoresUnknownOptionsWithAWarning();
    void rejectsALineWithoutEquals();
    void rejectsAnUnknownActionNamingTheLine();
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
    std::istringstream in("nodename=node-a\naction=status\n");
    auto request = parseFenceStdin(in);
    QVERIFY(request.ok());
    QVERIFY(request->action == FenceAction::status);
    QCOMPARE(request->warnings.size(), std::size_t(1));
    QVERIFY(request->warnings[0].find("nodename") != std::string::npos);
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

QTEST_GUILESS_MAIN(TestFenceRequest)
#include "test_fence_request.moc"

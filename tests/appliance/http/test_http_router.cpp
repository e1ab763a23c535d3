#include <QtTest>

#include "appliance/http/router.h"

using namespace understudy::http;

class TestRouter : public QObject {
    Q_OBJECT

private:
    Router router_;

    static Router::Handler noop() {
        return [](const HttpRequest&, const Responder&) {};
    }

private slots:
    void initTestCase() {
        router_.add("GET", "/api/v1/nodes", noop());
        router_.add("GET", "/api/v1/nodes/{name}", noop());
        router_.add("DELETE", "/api/v1/nodes/{name}", noop());
        router_.add("POST", "/api/v1/nodes/{name}/takeover", noop());
        router_.add("GET", "/api/v1/groups/{name}", noop());
        router_.add("GET", "/api/v1/groups/new", noop());
        router_.add("GET", "/metrics", noop());
        router_.add("GET", "/", noop());
    }

    void matchesMethodAndPatternWithDecodedCaptures_data() {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("name");

        QTest::newRow("list") << QByteArray("GET") << QByteArray("/api/v1/nodes") << "/api/v1/nodes"
                              << QString();
        QTest::newRow("capture") << QByteArray("GET") << QByteArray("/api/v1/nodes/erp-passive")
                                 << "/api/v1/nodes/{name}"
                                 << "erp-passive";
        QTest::newRow("nested capture")
            << QByteArray("POST") << QByteArray("/api/v1/nodes/crm-passive/takeover")
            << "/api/v1/nodes/{name}/takeover"
            << "crm-passive";
        QTest::newRow("percent-encoded slash and space")
            << QByteArray("POST") << QByteArray("/api/v1/nodes/a%2Fb%20c/takeover")
            << "/api/v1/nodes/{name}/takeover"
            << "a/b c";
        QTest::newRow("utf-8") << QByteArray("GET") << QByteArray("/api/v1/nodes/n%C3%B6de")
                               << "/api/v1/nodes/{name}"
                               << QString::fromUtf8(
                                      "n\xc3\xb6"
                                      "de");
        QTest::newRow("encoded literal")
            << QByteArray("GET") << QByteArray("/api/v1/%6Eodes") << "/api/v1/nodes" << QString();
        QTest::newRow("literal beats capture")
            << QByteArray("GET") << QByteArray("/api/v1/groups/new") << "/api/v1/groups/new"
            << QString();
        QTest::newRow("capture beside literal")
            << QByteArray("GET") << QByteArray("/api/v1/groups/old") << "/api/v1/groups/{name}"
            << "old";
        QTest::newRow("root") << QByteArray("GET") << QByteArray("/") << "/" << QString();
    }

    void matchesMethodAndPatternWithDecodedCaptures() {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(QString, pattern);
        QFETCH(QString, name);

        const Router::Match match = router_.match(method, path);
        QVERIFY(match.handler != nullptr);
        QCOMPARE(match.pattern, pattern);
        QCOMPARE(match.captures.value("name"), name);
        QVERIFY(match.allowed.isEmpty());
    }

    void unknownPathsMatchNothing_data() {
        QTest::addColumn<QByteArray>("path");
        QTest::newRow("unknown") << QByteArray("/api/v1/nothing");
        QTest::newRow("trailing slash") << QByteArray("/api/v1/nodes/");
        QTest::newRow("empty capture") << QByteArray("/api/v1/nodes//takeover");
        QTest::newRow("too deep") << QByteArray("/api/v1/nodes/a/takeover/b");
        QTest::newRow("no leading slash") << QByteArray("api/v1/nodes");
    }

    void unknownPathsMatchNothing() {
        QFETCH(QByteArray, path);
        const Router::Match match = router_.match("GET", path);
        QVERIFY(match.handler == nullptr);
        QVERIFY(match.allowed.isEmpty());
    }

    void knownPathWithOtherMethodListsTheAllowedOnes_data() {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QList<QByteArray>>("allowed");
        QTest::newRow("post on item") << QByteArray("POST") << QByteArray("/api/v1/nodes/x")
                                      << QList<QByteArray>{"GET", "DELETE"};
        QTest::newRow("get on takeover")
            << QByteArray("GET") << QByteArray("/api/v1/nodes/x/takeover")
            << QList<QByteArray>{"POST"};
        QTest::newRow("method is case-sensitive")
            << QByteArray("get") << QByteArray("/metrics") << QList<QByteArray>{"GET"};
    }

    void knownPathWithOtherMethodListsTheAllowedOnes() {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(QList<QByteArray>, allowed);
        const Router::Match match = router_.match(method, path);
        QVERIFY(match.handler == nullptr);
        QCOMPARE(match.allowed, allowed);
    }

    void malformedOrDuplicatePatternsAreRefused_data() {
        QTest::addColumn<QString>("pattern");
        QTest::newRow("no slash") << "api/v1/x";
        QTest::newRow("partial capture") << "/api/v1/x{name}";
        QTest::newRow("empty capture") << "/api/v1/{}";
        QTest::newRow("duplicate") << "/api/v1/nodes";
    }

    void malformedOrDuplicatePatternsAreRefused() {
        QFETCH(QString, pattern);
        QVERIFY_THROWS_EXCEPTION(std::logic_error, router_.add("GET", pattern, noop()));
    }
};

QTEST_GUILESS_MAIN(TestRouter)
#include "test_http_router.moc"

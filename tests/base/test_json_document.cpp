#include <QtTest>

#include <string>

#include <nlohmann/json.hpp>

#include "base/json_document.h"
#include "tests/support/result_checks.h"

using namespace understudy;

class TestJsonDocument : public QObject {
    Q_OBJECT

private slots:
    void nestingUpToTheLimitIsAccepted();
    void nestingBeyondTheLimitNamesWhereItStarts_data();
    void nestingBeyondTheLimitNamesWhereItStarts();
    void aRepeatedKeyIsRefusedWithItsPath_data();
    void aRepeatedKeyIsRefusedWithItsPath();
    void syntaxErrorsCountColumnsInCharacters_data();
    void syntaxErrorsCountColumnsInCharacters();
    void pathsJoinWithEitherSideEmpty_data();
    void pathsJoinWithEitherSideEmpty();
};

void TestJsonDocument::nestingUpToTheLimitIsAccepted() {
    const std::string deepest = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
    const auto document = parseJsonDocument(deepest, "body");
    QVERIFY_OK(document);
    QVERIFY(document->is_array());
}

void TestJsonDocument::nestingBeyondTheLimitNamesWhereItStarts_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("depth");
    QTest::addColumn<QString>("where");
    QTest::newRow("one level too deep, well formed")
        << QByteArray(65, '[') + QByteArray(65, ']') << kMaxJsonDepth << "body:1:65";
    QTest::newRow("a lower limit") << QByteArray("[[[1]]]") << 2 << "body:1:3";
    QTest::newRow("brackets inside strings are not nesting")
        << QByteArray(R"({"a": "[[[[", "b": [[[)") << 3 << "body:1:22";
    QTest::newRow("on a later line") << QByteArray("{\n  \"a\": [[1]]\n}") << 2 << "body:2:9";
}

void TestJsonDocument::nestingBeyondTheLimitNamesWhereItStarts() {
    QFETCH(QByteArray, text);
    QFETCH(int, depth);
    QFETCH(QString, where);
    const auto document = parseJsonDocument(text.toStdString(), "body", depth);
    QVERIFY2(!document.ok(), "the text was accepted");
    QCOMPARE(QString::fromStdString(document.error().code), QString("malformed_json"));
    QCOMPARE(QString::fromStdString(document.error().where), where);
    QVERIFY(QString::fromStdString(document.error().message)
                .contains(QString("deeper than %1").arg(depth)));
}

void TestJsonDocument::aRepeatedKeyIsRefusedWithItsPath_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("where");
    QTest::newRow("at the top") << QByteArray(R"({"a": 1, "a": 2})") << "body: a";
    QTest::newRow("in an object in a list")
        << QByteArray(R"({"clusters": [{}, {"standby": {"vcpus": 1, "vcpus": 2}}]})")
        << "body: clusters[1].standby.vcpus";
}

void TestJsonDocument::aRepeatedKeyIsRefusedWithItsPath() {
    QFETCH(QByteArray, text);
    QFETCH(QString, where);
    const auto document = parseJsonDocument(text.toStdString(), "body");
    QVERIFY2(!document.ok(), "the text was accepted");
    QCOMPARE(QString::fromStdString(document.error().code), QString("invalid_field"));
    QCOMPARE(QString::fromStdString(document.error().where), where);
}

void TestJsonDocument::syntaxErrorsCountColumnsInCharacters_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("where");
    QTest::newRow("ASCII") << QByteArray(R"({"a": tru})") << "body:1:10";
    // "é" is two bytes and one character; a byte order mark is not a character of the text.
    QTest::newRow("after a two-byte character") << QByteArray("{\"\xC3\xA9\": x}") << "body:1:7";
    QTest::newRow("after a byte order mark") << QByteArray("\xEF\xBB\xBF{,}") << "body:1:2";
}

void TestJsonDocument::syntaxErrorsCountColumnsInCharacters() {
    QFETCH(QByteArray, text);
    QFETCH(QString, where);
    const auto document = parseJsonDocument(text.toStdString(), "body");
    QVERIFY2(!document.ok(), "the text was accepted");
    QCOMPARE(QString::fromStdString(document.error().code), QString("malformed_json"));
    QCOMPARE(QString::fromStdString(document.error().where), where);
}

void TestJsonDocument::pathsJoinWithEitherSideEmpty_data() {
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("joined");
    QTest::newRow("both") << "clusters[3].standby"
                          << "memory_mib"
                          << "clusters[3].standby.memory_mib";
    QTest::newRow("no path") << ""
                             << "name"
                             << "name";
    QTest::newRow("no field") << "clusters[3]"
                              << ""
                              << "clusters[3]";
}

void TestJsonDocument::pathsJoinWithEitherSideEmpty() {
    QFETCH(QString, path);
    QFETCH(QString, field);
    QFETCH(QString, joined);
    QCOMPARE(QString::fromStdString(joinJsonPath(path.toStdString(), field.toStdString())), joined);
}

QTEST_GUILESS_MAIN(TestJsonDocument)
#include "test_json_document.moc"

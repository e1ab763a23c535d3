#include <QtTest>

#include <string>

#include "base/text.h"

using namespace understudy;

class TestText : public QObject {
    Q_OBJECT

private slots:
    void printableEscapesWhatCannotBeShownOnOneLine_data();
    void printableEscapesWhatCannotBeShownOnOneLine();
    void markupEscapesEveryCharacterThatEndsTextOrAttribute_data();
    void markupEscapesEveryCharacterThatEndsTextOrAttribute();
};

void TestText::printableEscapesWhatCannotBeShownOnOneLine_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("limit");
    QTest::addColumn<bool>("keepNonAscii");
    QTest::addColumn<QByteArray>("shown");
    QTest::newRow("plain") << QByteArray("erp-1") << 80 << false << QByteArray("erp-1");
    QTest::newRow("control characters")
        << QByteArray("a\nb\tc\x7f") << 80 << true << QByteArray("a\\x0ab\\x09c\\x7f");
    QTest::newRow("UTF-8 escaped")
        << QByteArray("\xC3\xA9") << 80 << false << QByteArray("\\xc3\\xa9");
    QTest::newRow("UTF-8 kept") << QByteArray("\xC3\xA9") << 80 << true << QByteArray("\xC3\xA9");
    QTest::newRow("cut after the limit")
        << QByteArray("abcdef") << 3 << false << QByteArray("abc...");
    QTest::newRow("exactly the limit") << QByteArray("abc") << 3 << false << QByteArray("abc");
}

void TestText::printableEscapesWhatCannotBeShownOnOneLine() {
    QFETCH(QByteArray, text);
    QFETCH(int, limit);
    QFETCH(bool, keepNonAscii);
    QFETCH(QByteArray, shown);
    const std::string out = printable(text.toStdString(), static_cast<std::size_t>(limit),
                                      keepNonAscii ? NonAscii::keep : NonAscii::escape);
    QCOMPARE(QByteArray::fromStdString(out), shown);
}

void TestText::markupEscapesEveryCharacterThatEndsTextOrAttribute_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("apostrophe");
    QTest::addColumn<QString>("escaped");
    QTest::newRow("XML") << R"(<a href="x">Tom & Jerry's</a>)"
                         << "&apos;"
                         << "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;";
    QTest::newRow("HTML apostrophe") << "it's"
                                     << "&#39;"
                                     << "it&#39;s";
    QTest::newRow("nothing to escape") << "pna-1"
                                       << "&apos;"
                                       << "pna-1";
}

void TestText::markupEscapesEveryCharacterThatEndsTextOrAttribute() {
    QFETCH(QString, text);
    QFETCH(QString, apostrophe);
    QFETCH(QString, escaped);
    QCOMPARE(QString::fromStdString(escapeMarkup(text.toStdString(), apostrophe.toStdString())),
             escaped);
}

QTEST_GUILESS_MAIN(TestText)
#include "test_text.moc"

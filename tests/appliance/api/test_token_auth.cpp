// Token hashing and identification (appliance/service/token_auth.h): the stored format, salts,
// strict parsing of stored hashes, constant-time equality and who a bearer token acts as.
#include <QCryptographicHash>
#include <QRegularExpression>
#include <QTest>
#include <map>
#include <set>
#include <string>

#include "appliance/api/token_auth.h"

using namespace understudy::api;

namespace {

const char kToken[] = "cluster-token-0123456789abcdefghijklmnopqrstu";

// A stored hash of kToken with its salt and digest taken apart.
struct Parts {
    std::string salt;
    std::string digest;
};

Parts split(const std::string& stored) {
    const auto first = stored.find('$');
    const auto second = stored.find('$', first + 1);
    return {stored.substr(first + 1, second - first - 1), stored.substr(second + 1)};
}

}  // namespace

class TestTokenAuth : public QObject {
    Q_OBJECT

private slots:
    void generatedTokensAre43Base64UrlCharactersAndDistinct() {
        std::set<std::string> seen;
        const QRegularExpression shape(QStringLiteral("^[A-Za-z0-9_-]{43}$"));
        for (int i = 0; i < 100; ++i) {
            const std::string token = generateToken();
            QVERIFY2(shape.match(QString::fromStdString(token)).hasMatch(), token.c_str());
            QVERIFY(seen.insert(token).second);
        }
    }

    void aHashIsSchemeSaltAndDigestInLowerCaseHex() {
        const std::string stored = hashToken(kToken);
        const QRegularExpression shape(QStringLiteral("^sha256\\$[0-9a-f]{32}\\$[0-9a-f]{64}$"));
        QVERIFY2(shape.match(QString::fromStdString(stored)).hasMatch(), stored.c_str());
        QVERIFY(stored.find(kToken) == std::string::npos);
    }

    void theDigestIsSha256OfSaltThenToken() {
        const std::string stored = hashToken(kToken);
        const Parts parts = split(stored);
        const QByteArray salt = QByteArray::fromHex(QByteArray::fromStdString(parts.salt));
        const QByteArray expected =
            QCryptographicHash::hash(salt + QByteArray(kToken), QCryptographicHash::Sha256).toHex();
        QCOMPARE(QByteArray::fromStdString(parts.digest), expected);
    }

    void theSameTokenHashesDifferentlyEachTime() {
        const std::string a = hashToken(kToken);
        const std::string b = hashToken(kToken);
        QVERIFY(a != b);
        QVERIFY(split(a).salt != split(b).salt);
        QVERIFY(tokenMatches(kToken, a));
        QVERIFY(tokenMatches(kToken, b));
    }

    void onlyTheRightTokenMatches_data() {
        QTest::addColumn<QString>("token");
        QTest::addColumn<bool>("matches");
        const QString right = QString::fromLatin1(kToken);
        QTest::newRow("the token") << right << true;
        QTest::newRow("last character changed") << right.left(right.size() - 1) + 'v' << false;
        QTest::newRow("first character changed") << 'x' + right.mid(1) << false;
        QTest::newRow("a prefix") << right.left(20) << false;
        QTest::newRow("one character more") << right + 'x' << false;
        QTest::newRow("empty") << QString() << false;
        QTest::newRow("upper case") << right.toUpper() << false;
    }

    void onlyTheRightTokenMatches() {
        QFETCH(QString, token);
        QFETCH(bool, matches);
        const std::string stored = hashToken(kToken);
        QCOMPARE(tokenMatches(token.toStdString(), stored), matches);
    }

    void malformedStoredHashesNeverMatch_data() {
        QTest::addColumn<QString>("stored");
        // Each row damages a correct hash of kToken in one way; a lenient parser (fromHex skips
        // what is not hex) would still match some of them.
        const std::string good = hashToken(kToken);
        const Parts parts = split(good);
        const QString salt = QString::fromStdString(parts.salt);
        const QString digest = QString::fromStdString(parts.digest);
        const auto hash = [](const QString& scheme, const QString& s, const QString& d) {
            return scheme + '$' + s + '$' + d;
        };
        QTest::newRow("empty") << QString();
        QTest::newRow("scheme only") << QStringLiteral("sha256");
        QTest::newRow("no digest") << QStringLiteral("sha256$") + salt;
        QTest::newRow("empty parts") << QStringLiteral("sha256$$");
        QTest::newRow("other scheme") << hash(QStringLiteral("sha512"), salt, digest);
        QTest::newRow("scheme in upper case") << hash(QStringLiteral("SHA256"), salt, digest);
        QTest::newRow("plain token") << QString::fromLatin1(kToken);
        QTest::newRow("salt in upper case")
            << hash(QStringLiteral("sha256"), salt.toUpper(), digest);
        QTest::newRow("digest in upper case")
            << hash(QStringLiteral("sha256"), salt, digest.toUpper());
        QTest::newRow("salt with a non-hex character")
            << hash(QStringLiteral("sha256"), salt.left(31) + 'g', digest);
        QTest::newRow("salt padded with non-hex")
            << hash(QStringLiteral("sha256"), salt + "zz", digest);
        QTest::newRow("short salt") << hash(QStringLiteral("sha256"), salt.left(30), digest);
        QTest::newRow("truncated digest") << hash(QStringLiteral("sha256"), salt, digest.left(63));
        QTest::newRow("digest with more") << hash(QStringLiteral("sha256"), salt, digest + "00");
        QTest::newRow("a third separator")
            << hash(QStringLiteral("sha256"), salt, digest) + QStringLiteral("$00");
        // The unsalted digest of the token behind a salt that decodes to nothing.
        QTest::newRow("salt that decodes to nothing") << hash(
            QStringLiteral("sha256"), QStringLiteral("zz"),
            QString::fromLatin1(
                QCryptographicHash::hash(QByteArray(kToken), QCryptographicHash::Sha256).toHex()));
    }

    void malformedStoredHashesNeverMatch() {
        QFETCH(QString, stored);
        QVERIFY(!tokenMatches(kToken, stored.toStdString()));
    }

    void constantTimeEqualsIsEquality_data() {
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::addColumn<bool>("equal");
        QTest::newRow("same") << "abcdef"
                              << "abcdef" << true;
        QTest::newRow("both empty") << ""
                                    << "" << true;
        QTest::newRow("first differs") << "xbcdef"
                                       << "abcdef" << false;
        QTest::newRow("last differs") << "abcdex"
                                      << "abcdef" << false;
        QTest::newRow("prefix") << "abc"
                                << "abcdef" << false;
        QTest::newRow("longer") << "abcdef"
                                << "abc" << false;
        QTest::newRow("one empty") << ""
                                   << "a" << false;
        // Bytes past the shorter input are compared against 0: a NUL tail must not pass.
        QTest::newRow("NUL tail") << QStringLiteral("abc") << QStringLiteral("abc") + QChar(0)
                                  << false;
    }

    void constantTimeEqualsIsEquality() {
        QFETCH(QString, a);
        QFETCH(QString, b);
        QFETCH(bool, equal);
        const QByteArray x = a.toUtf8();
        const QByteArray y = b.toUtf8();
        QCOMPARE(
            constantTimeEquals(std::string_view(x.constData(), static_cast<std::size_t>(x.size())),
                               std::string_view(y.constData(), static_cast<std::size_t>(y.size()))),
            equal);
    }

    void identifyTellsAdminClusterUnknownAndNone() {
        TokenAuthority authority("admin-token-0123456789");
        const std::map<std::string, std::string> hashes = {{"erp", hashToken("erp-token")},
                                                           {"crm", hashToken("crm-token")}};
        int loads = 0;
        const auto load = [&] {
            ++loads;
            return hashes;
        };
        QVERIFY(authority.identify(QString(), load).kind == Caller::Kind::none);
        QVERIFY(authority.identify(QStringLiteral("admin-token-0123456789"), load).isAdmin());
        QCOMPARE(loads, 0);
        const Caller crm = authority.identify(QStringLiteral("crm-token"), load);
        QVERIFY(crm.kind == Caller::Kind::cluster);
        QCOMPARE(crm.cluster, std::string("crm"));
        QVERIFY(authority.identify(QStringLiteral("admin-token-012345678"), load).kind ==
                Caller::Kind::unknown);
        QVERIFY(authority.identify(QStringLiteral("erp-token "), load).kind ==
                Caller::Kind::unknown);
        QCOMPARE(loads, 3);
    }

    void aMatchedTokenIsRememberedUntilForgotten() {
        TokenAuthority authority("admin-token-0123456789");
        std::map<std::string, std::string> hashes = {{"erp", hashToken("erp-token")}};
        int loads = 0;
        const auto load = [&] {
            ++loads;
            return hashes;
        };
        QCOMPARE(authority.identify(QStringLiteral("erp-token"), load).cluster, std::string("erp"));
        QCOMPARE(authority.identify(QStringLiteral("erp-token"), load).cluster, std::string("erp"));
        QCOMPARE(loads, 1);
        // Rotation: the old token stops working once the authority forgets what it matched.
        hashes["erp"] = hashToken("erp-token-2");
        authority.forgetClusterTokens();
        QVERIFY(authority.identify(QStringLiteral("erp-token"), load).kind ==
                Caller::Kind::unknown);
        QCOMPARE(authority.identify(QStringLiteral("erp-token-2"), load).cluster,
                 std::string("erp"));
    }
};

QTEST_GUILESS_MAIN(TestTokenAuth)
#include "test_token_auth.moc"

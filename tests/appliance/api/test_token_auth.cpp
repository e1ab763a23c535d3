// Token digests and identification (appliance/api/token_auth.h): the stored digest, strict parsing
// of the salted hashes of before schema version 5, constant-time equality, who a bearer token
// acts as, and the conversion of salted hashes on a real database migrated from version 3.
#include <sqlite3.h>
#include <QCryptographicHash>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <map>
#include <set>
#include <string>

#include "appliance/api/database_token_store.h"
#include "appliance/api/token_auth.h"
#include "db/cluster_repository.h"
#include "db/migrations.h"
#include "db/statement.h"

using namespace understudy::api;
using namespace understudy::db;
using understudy::Result;

namespace {

const char kToken[] = "cluster-token-0123456789abcdefghijklmnopqrstu";

// A salted hash as the service wrote them before schema version 5.
std::string saltedHash(std::string_view token, const QByteArray& salt) {
    const QByteArray digest = QCryptographicHash::hash(
        salt + QByteArray(token.data(), static_cast<qsizetype>(token.size())),
        QCryptographicHash::Sha256);
    return "sha256$" + salt.toHex().toStdString() + "$" + digest.toHex().toStdString();
}

std::string hashToken(std::string_view token) {
    return saltedHash(token, QByteArray::fromHex("00112233445566778899aabbccddeeff"));
}

// A salted hash with its salt and digest taken apart.
struct Parts {
    std::string salt;
    std::string digest;
};

Parts split(const std::string& stored) {
    const auto first = stored.find('$');
    const auto second = stored.find('$', first + 1);
    return {stored.substr(first + 1, second - first - 1), stored.substr(second + 1)};
}

template <typename T>
T check(Result<T> result) {
    if (!result) {
        qFatal("%s", result.error().describe().c_str());
    }
    return std::move(*result);
}

// Tokens in memory, counting what the authority asks of it.
struct MemoryStore : ClusterTokenStore {
    std::map<std::string, std::string> digests;  // digest → cluster
    std::map<std::string, std::string> salted;   // cluster → salted hash
    bool store_conversions = true;
    int probes = 0;
    int scans = 0;
    int conversions = 0;

    std::optional<std::string> clusterWithDigest(const std::string& digest) override {
        ++probes;
        const auto found = digests.find(digest);
        return found == digests.end() ? std::nullopt : std::optional(found->second);
    }
    std::map<std::string, std::string> saltedHashes() override {
        ++scans;
        return salted;
    }
    void convert(const std::string& cluster, const std::string& salted_hash,
                 const std::string& digest) override {
        ++conversions;
        if (store_conversions && salted.at(cluster) == salted_hash) {
            salted.erase(cluster);
            digests[digest] = cluster;
        }
    }
};

// The service's store, converting on the writer at once as the core does on its worker.
class CountingStore : public DatabaseTokenStore {
public:
    CountingStore(Database& writer, int& scans)
        : DatabaseTokenStore([&writer](const std::string& cluster, const std::string& salted_hash,
                                       const std::string& digest) {
              QVERIFY(
                  check(ClusterRepository(writer).replaceTokenHash(cluster, salted_hash, digest)));
          }),
          scans_(scans) {}
    std::map<std::string, std::string> saltedHashes() override {
        ++scans_;
        return DatabaseTokenStore::saltedHashes();
    }

private:
    int& scans_;
};

void exec(sqlite3* connection, const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(connection, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        qFatal("%s: %s", sql.c_str(), message);
    }
}

// A database as the release with schema version 3 left it, with these clusters' token hashes.
void writeVersion3Database(const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& clusters) {
    sqlite3* connection = nullptr;
    QCOMPARE(sqlite3_open(path.c_str(), &connection), SQLITE_OK);
    QVERIFY(applyMigrations(connection, 3, ""));
    exec(connection,
         "INSERT INTO appliances (id, name, uri) VALUES (1, 'pna-1', 'test:///default')");
    for (const auto& [name, hash] : clusters) {
        exec(connection,
             "INSERT INTO clusters (name, priority, mtbf_hours, mttr_hours, standby_vcpus, "
             "standby_memory_mib, active_vcpus, active_memory_mib, token_hash, appliance_id, "
             "registered_at) VALUES ('" +
                 name + "', 500, 8760, 24, 1, 1024, 2, 2048, '" + hash + "', 1, 0)");
    }
    sqlite3_close(connection);
}

std::string tokenHashOf(Database& database, const std::string& cluster) {
    return check(ClusterRepository(database).byName(cluster))->tokenHash;
}

QString queryPlan(Database& database, const std::string& sql) {
    auto rows = check(queryAll<std::string>(database.connection(), "EXPLAIN QUERY PLAN " + sql,
                                            [](const Statement& row) { return row.text(3); }));
    QStringList details;
    for (const std::string& row : rows) {
        details << QString::fromStdString(row);
    }
    return details.join(QStringLiteral("; "));
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

    void aDigestIsTheLowerCaseHexOfTheTokensSha256() {
        const std::string digest = tokenDigest(kToken);
        QCOMPARE(QByteArray::fromStdString(digest),
                 QCryptographicHash::hash(QByteArray(kToken), QCryptographicHash::Sha256).toHex());
        QVERIFY(digest != tokenDigest("cluster-token-0123456789abcdefghijklmnopqrstv"));
    }

    void aSaltedHashMatchesWhateverItsSalt() {
        const std::string a = saltedHash(kToken, QByteArray(16, 'a'));
        const std::string b = saltedHash(kToken, QByteArray(16, 'b'));
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
        MemoryStore store;
        store.digests[tokenDigest("erp-token")] = "erp";
        store.salted["crm"] = hashToken("crm-token");
        TokenAuthority authority("admin-token-0123456789", store);
        QVERIFY(authority.identify(QString()).kind == Caller::Kind::none);
        QVERIFY(authority.identify(QStringLiteral("admin-token-0123456789")).isAdmin());
        QCOMPARE(store.probes, 0);
        const Caller erp = authority.identify(QStringLiteral("erp-token"));
        QVERIFY(erp.kind == Caller::Kind::cluster);
        QCOMPARE(erp.cluster, std::string("erp"));
        QCOMPARE(store.scans, 0);
        QVERIFY(authority.identify(QStringLiteral("admin-token-012345678")).kind ==
                Caller::Kind::unknown);
        QVERIFY(authority.identify(QStringLiteral("erp-token ")).kind == Caller::Kind::unknown);
        QCOMPARE(store.scans, 2);
        const Caller crm = authority.identify(QStringLiteral("crm-token"));
        QVERIFY(crm.kind == Caller::Kind::cluster);
        QCOMPARE(crm.cluster, std::string("crm"));
    }

    void aSaltedMatchIsConvertedAndThenNoScanIsLeft() {
        MemoryStore store;
        store.salted["erp"] = hashToken("erp-token");
        TokenAuthority authority("admin-token-0123456789", store);
        QVERIFY(!authority.saltedLeft());
        QCOMPARE(authority.identify(QStringLiteral("erp-token")).cluster, std::string("erp"));
        QCOMPARE(store.conversions, 1);
        QCOMPARE(store.digests.at(tokenDigest("erp-token")), std::string("erp"));
        QCOMPARE(authority.saltedLeft(), std::optional<std::size_t>(0));
        // With no salted hash left, a wrong token costs one probe and no scan.
        const int scans = store.scans;
        for (int i = 0; i < 10; ++i) {
            QVERIFY(authority.identify(QStringLiteral("wrong-token")).kind ==
                    Caller::Kind::unknown);
        }
        QCOMPARE(store.scans, scans);
        QCOMPARE(authority.identify(QStringLiteral("erp-token")).cluster, std::string("erp"));
        QCOMPARE(store.conversions, 1);
    }

    void aPendingConversionIsForgottenOnRotation() {
        MemoryStore store;
        store.salted["erp"] = hashToken("erp-token");
        store.store_conversions = false;
        TokenAuthority authority("admin-token-0123456789", store);
        QCOMPARE(authority.identify(QStringLiteral("erp-token")).cluster, std::string("erp"));
        // Until the conversion is stored, the authority remembers the match itself.
        QCOMPARE(authority.identify(QStringLiteral("erp-token")).cluster, std::string("erp"));
        QCOMPARE(store.conversions, 1);
        store.salted.clear();
        store.digests[tokenDigest("erp-token-2")] = "erp";
        authority.forgetClusterTokens();
        QVERIFY(authority.identify(QStringLiteral("erp-token")).kind == Caller::Kind::unknown);
        QCOMPARE(authority.identify(QStringLiteral("erp-token-2")).cluster, std::string("erp"));
    }

    void aDatabaseFromVersion3KeepsItsTokensAndConvertsThemOnUse() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("v3.db")).toStdString();
        writeVersion3Database(path,
                              {{"erp", hashToken("erp-token")}, {"crm", hashToken("crm-token")}});
        auto writer = check(Database::openWriter(path));
        QCOMPARE(writer->schemaVersion(), latestSchemaVersion());
        auto reader = check(Database::openReader(path));
        int scans = 0;
        CountingStore store(*writer, scans);
        store.setDatabase(reader.get());
        TokenAuthority authority("admin-token-0123456789", store);

        QCOMPARE(authority.identify(QStringLiteral("erp-token")).cluster, std::string("erp"));
        QCOMPARE(tokenHashOf(*reader, "erp"), tokenDigest("erp-token"));
        auto salted = check(ClusterRepository(*reader).saltedTokenHashes());
        QCOMPARE(salted.size(), std::size_t{1});
        QCOMPARE(salted[0].first, std::string("crm"));
        QCOMPARE(authority.identify(QStringLiteral("erp-token")).cluster, std::string("erp"));
        QCOMPARE(scans, 1);

        QVERIFY(authority.identify(QStringLiteral("wrong-token")).kind == Caller::Kind::unknown);
        QCOMPARE(scans, 2);
        QCOMPARE(authority.identify(QStringLiteral("crm-token")).cluster, std::string("crm"));
        QCOMPARE(scans, 3);
        QVERIFY(check(ClusterRepository(*reader).saltedTokenHashes()).empty());
        QVERIFY(authority.identify(QStringLiteral("wrong-token")).kind == Caller::Kind::unknown);
        QCOMPARE(scans, 3);

        // A rotation replaces the digest: the old token finds nothing by it.
        const auto erp = check(ClusterRepository(*writer).byName("erp"));
        QVERIFY(ClusterRepository(*writer).setTokenHash(erp->id, tokenDigest("erp-token-2")));
        authority.forgetClusterTokens();
        QVERIFY(authority.identify(QStringLiteral("erp-token")).kind == Caller::Kind::unknown);
        QCOMPARE(authority.identify(QStringLiteral("erp-token-2")).cluster, std::string("erp"));
        QCOMPARE(scans, 3);
    }

    void theSaltedScanReadsItsIndexAndTheLookupItsUniqueIndex() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("plan.db")).toStdString();
        auto writer = check(Database::openWriter(path));
        const QString lookup = queryPlan(*writer, "SELECT name FROM clusters WHERE token_hash = ?");
        QVERIFY2(lookup.startsWith(QStringLiteral("SEARCH clusters USING ")) &&
                     lookup.endsWith(QStringLiteral("INDEX clusters_by_token_hash (token_hash=?)")),
                 qPrintable(lookup));
        QVERIFY2(queryPlan(*writer,
                           "SELECT name, token_hash FROM clusters WHERE token_hash LIKE "
                           "'sha256$%'")
                     .contains(QStringLiteral("clusters_with_salted_token")),
                 "the salted scan does not read its partial index");
    }

    void aSecondClusterWithTheSameDigestIsRefused() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("unique.db")).toStdString();
        writeVersion3Database(path, {{"erp", tokenDigest("same")}});
        auto writer = check(Database::openWriter(path));
        auto erp = check(ClusterRepository(*writer).byName("erp"));
        DBCluster twin = *erp;
        twin.name = "crm";
        QVERIFY(!ClusterRepository(*writer).insert(twin));
    }
};

QTEST_GUILESS_MAIN(TestTokenAuth)
#include "test_token_auth.moc"

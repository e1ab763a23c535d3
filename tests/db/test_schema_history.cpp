// Upgrades keep a way back: a database of an older schema is copied before it is migrated, and
// the schema's history says when each migration ran, from which version, and where the copy is.
#include <sqlite3.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include "db/migrations.h"
#include "store_fixture.h"
#include "tests/support/source_files.h"

using namespace understudy;
using namespace understudy::db;
using namespace understudy::db::testing;

namespace {

struct HistoryRow {
    int version = 0;
    int fromVersion = 0;
    std::int64_t appliedAt = 0;
    std::optional<std::string> backup;
};

std::vector<HistoryRow> history(const Database& database) {
    auto rows = queryAll<HistoryRow>(
        database.connection(),
        "SELECT version, from_version, applied_at, backup FROM schema_history ORDER BY version",
        [](const Statement& row) {
            return HistoryRow{static_cast<int>(row.integer(0)), static_cast<int>(row.integer(1)),
                              row.integer(2), row.optionalText(3)};
        });
    if (!rows) {
        qFatal("cannot read schema_history: %s", rows.error().describe().c_str());
    }
    return *rows;
}

// The schema version of a file, read through its own connection (not the writer's).
int fileSchemaVersion(const QString& path) {
    sqlite3* raw = nullptr;
    sqlite3_open_v2(path.toUtf8().constData(), &raw, SQLITE_OPEN_READONLY, nullptr);
    ConnectionHandle connection(raw);
    auto version = readSchemaVersion(raw);
    return version ? *version : -1;
}

std::int64_t fileRowCount(const QString& path, const std::string& table) {
    sqlite3* raw = nullptr;
    sqlite3_open_v2(path.toUtf8().constData(), &raw, SQLITE_OPEN_READONLY, nullptr);
    ConnectionHandle connection(raw);
    auto count = queryFirst<std::int64_t>(raw, "SELECT count(*) FROM " + table, leadingInteger);
    return count && *count ? **count : -1;
}

QString copyVersionOneFixture(const QTemporaryDir& dir) {
    const QString fixture = understudy::testsupport::sourcePath("tests/db/data/schema_v1.db");
    const QString path = dir.filePath("understudy.db");
    if (!QFile::copy(fixture, path)) {
        qFatal("cannot copy the fixture %s", qPrintable(fixture));
    }
    QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner);
    return path;
}

}  // namespace

class TestSchemaHistory : public QObject {
    Q_OBJECT
private slots:
    void newDatabaseRecordsItsCreationAndTakesNoCopy();
    void olderDatabaseIsCopiedBeforeItIsMigrated();
    void databaseAtTheLatestVersionIsNotCopiedAgain();
    void migrationIsRefusedWhenTheCopyCannotBeWritten();
};

void TestSchemaHistory::newDatabaseRecordsItsCreationAndTakesNoCopy() {
    QTemporaryDir dir;
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    auto database = openWriter(dir);
    const auto rows = history(*database);
    QCOMPARE(rows.size(), std::size_t(latestSchemaVersion() - 1));
    QCOMPARE(rows.back().version, latestSchemaVersion());
    QCOMPARE(rows.back().fromVersion, 0);
    QVERIFY(rows.back().appliedAt >= before);
    QVERIFY(!rows.back().backup);
    QCOMPARE(QDir(dir.path()).entryList({"*.bak"}, QDir::Files), QStringList{});
}

void TestSchemaHistory::olderDatabaseIsCopiedBeforeItIsMigrated() {
    QTemporaryDir dir;
    const QString path = copyVersionOneFixture(dir);
    const QString original = dir.filePath("untouched.db");
    QVERIFY(QFile::copy(path, original));

    auto opened = Database::openWriter(path.toStdString());
    QVERIFY_OK(opened);
    QCOMPARE((*opened)->schemaVersion(), latestSchemaVersion());

    const QString backup = path + ".pre-v" + QString::number(latestSchemaVersion()) + ".bak";
    QVERIFY2(QFile::exists(backup), qPrintable(backup));
    QCOMPARE(fileSchemaVersion(backup), 1);
    const auto rows = history(**opened);
    QCOMPARE(rows.front().version, 2);
    QCOMPARE(rows.back().version, latestSchemaVersion());
    for (const HistoryRow& row : rows) {
        QCOMPARE(row.fromVersion, 1);
        QCOMPARE(row.backup, std::optional<std::string>(backup.toStdString()));
    }
    // The copy holds the old database whole: the same clusters as the file before the migration.
    QCOMPARE(fileRowCount(backup, "clusters"), fileRowCount(original, "clusters"));
    QVERIFY(fileRowCount(backup, "clusters") > 0);
}

void TestSchemaHistory::databaseAtTheLatestVersionIsNotCopiedAgain() {
    QTemporaryDir dir;
    const QString path = copyVersionOneFixture(dir);
    {
        auto first = Database::openWriter(path.toStdString());
        QVERIFY_OK(first);
    }
    const QString backup = path + ".pre-v" + QString::number(latestSchemaVersion()) + ".bak";
    QVERIFY(QFile::remove(backup));
    auto second = Database::openWriter(path.toStdString());
    QVERIFY_OK(second);
    QVERIFY(!QFile::exists(backup));
    QCOMPARE(history(**second).size(), std::size_t(latestSchemaVersion() - 1));
}

void TestSchemaHistory::migrationIsRefusedWhenTheCopyCannotBeWritten() {
    QTemporaryDir dir;
    const QString path = copyVersionOneFixture(dir);
    // A folder where the copy must go: the finished copy cannot be moved into place, even as root.
    const QString backup = path + ".pre-v" + QString::number(latestSchemaVersion()) + ".bak";
    QVERIFY(QDir().mkpath(backup + "/occupied"));

    auto opened = Database::openWriter(path.toStdString());
    QVERIFY(!opened);
    QVERIFY2(opened.error().message.find("nothing was migrated") != std::string::npos,
             opened.error().message.c_str());
    QCOMPARE(fileSchemaVersion(path), 1);
}

QTEST_GUILESS_MAIN(TestSchemaHistory)
#include "test_schema_history.moc"

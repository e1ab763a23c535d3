#include <sqlite3.h>

#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <thread>

#include "db/database.h"
#include "db/event_log.h"
#include "db/migrations.h"
#include "store_fixture.h"

using namespace understudy;
using namespace understudy::db;
using namespace understudy::db::testing;

namespace {

std::vector<DBEvent> someEvents(int count, const std::string& details = "{}") {
    std::vector<DBEvent> events;
    events.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        events.push_back(DBEvent{0, 1000 + i, "takeover.requested", "erp", "erp-passive", details,
                                 "cluster:erp@::1"});
    }
    return events;
}

void writeBytes(const QString& path, qint64 offset, const QByteArray& bytes) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadWrite));
    QVERIFY(file.seek(offset));
    QCOMPARE(file.write(bytes), bytes.size());
}

QByteArray randomBytes(int size, quint32 seed) {
    QRandomGenerator random(seed);
    QByteArray bytes(size, '\0');
    for (auto& byte : bytes) {
        byte = static_cast<char>(random.bounded(256));
    }
    return bytes;
}

}  // namespace

class TestDatabase : public QObject {
    Q_OBJECT
private slots:
    void writerCreatesTheLatestSchemaInWalMode();
    void reportsAFolderThatDoesNotExist();
    void refusesAFileThatIsNotADatabaseAndLeavesItUntouched();
    void refusesADatabaseWithDamagedPagesAndLeavesItUntouched();
    void refusesADatabaseWrittenByANewerProgramAndLeavesItUntouched();
    void refusesToWriteAReadOnlyDatabase();
    void readerCannotWrite();
    void readerRefusesAMissingDatabase();
    void lockedBeyondTheBusyTimeoutIsUnavailable();
    void aSecondWriterIsRefusedUntilTheFirstCloses();
    void readerOpensWhileNoWriterRuns();
    void fullDatabaseIsReportedAndKeepsItsData();
    void nestedTransactionRollsBackAlone();
    void checksPassOnAHealthyDatabase();
    void integrityCheckReportsDamage();
    void backupIsAConsistentCopyTakenWhileTheWriterWrites();
    void readerReadsConsistentSnapshotsWhileTheWriterWritesFromAnotherThread();
};

void TestDatabase::writerCreatesTheLatestSchemaInWalMode() {
    QTemporaryDir dir;
    auto database = openWriter(dir);
    QCOMPARE(QString::fromStdString(database->journalMode()), QStringLiteral("wal"));
    QCOMPARE(database->schemaVersion(), latestSchemaVersion());
    QCOMPARE(database->role(), Role::Writer);
}

void TestDatabase::reportsAFolderThatDoesNotExist() {
    auto database = Database::openWriter("/nonexistent-folder/understudy.db");
    QVERIFY(!database.ok());
    QCOMPARE(QString::fromStdString(database.error().code), QStringLiteral("database_unavailable"));
    QVERIFY(database.error().describe().find("/nonexistent-folder/understudy.db") !=
            std::string::npos);
}

void TestDatabase::refusesAFileThatIsNotADatabaseAndLeavesItUntouched() {
    QTemporaryDir dir;
    const QString path = dir.filePath("understudy.db");
    writeBytes(path, 0, randomBytes(64 * 1024, 7));
    const QByteArray before = fileHash(path);

    auto writer = Database::openWriter(path.toStdString());
    QVERIFY(!writer.ok());
    QCOMPARE(QString::fromStdString(writer.error().code), QStringLiteral("database_corrupt"));
    auto reader = Database::openReader(path.toStdString());
    QVERIFY(!reader.ok());
    QCOMPARE(QString::fromStdString(reader.error().code), QStringLiteral("database_corrupt"));
    QCOMPARE(fileHash(path), before);
}

void TestDatabase::refusesADatabaseWithDamagedPagesAndLeavesItUntouched() {
    QTemporaryDir dir;
    const QString path = dir.filePath("understudy.db");
    {
        auto database = openWriter(dir);
        addInventory(*database);
        auto ids = EventLog(*database).append(someEvents(2000, R"({"reason": "padding"})"));
        QVERIFY_OK(ids);
    }
    // Page 1 (the header and the schema) stays valid; the b-tree pages after it are garbage.
    writeBytes(path, 4096, randomBytes(3 * 4096, 11));
    const QByteArray before = fileHash(path);

    auto writer = Database::openWriter(path.toStdString());
    QVERIFY(!writer.ok());
    QCOMPARE(QString::fromStdString(writer.error().code), QStringLiteral("database_corrupt"));
    QVERIFY(writer.error().message.find("untouched") != std::string::npos);
    QCOMPARE(fileHash(path), before);
}

void TestDatabase::refusesADatabaseWrittenByANewerProgramAndLeavesItUntouched() {
    QTemporaryDir dir;
    const QString path = dir.filePath("understudy.db");
    { openWriter(dir); }
    // user_version lives at offset 60 of the header, big-endian.
    const int newer = latestSchemaVersion() + 1;
    QByteArray version(4, '\0');
    version[3] = static_cast<char>(newer);
    writeBytes(path, 60, version);
    const QByteArray before = fileHash(path);

    auto writer = Database::openWriter(path.toStdString());
    QVERIFY(!writer.ok());
    QCOMPARE(QString::fromStdString(writer.error().code), QStringLiteral("database_too_new"));
    QVERIFY(writer.error().message.find("upgrade") != std::string::npos);
    auto reader = Database::openReader(path.toStdString());
    QVERIFY(!reader.ok());
    QCOMPARE(QString::fromStdString(reader.error().code), QStringLiteral("database_too_new"));
    QCOMPARE(fileHash(path), before);
}

void TestDatabase::refusesToWriteAReadOnlyDatabase() {
    QTemporaryDir dir;
    const QString path = dir.filePath("understudy.db");
    { openWriter(dir); }
    const QByteArray before = fileHash(path);
    auto writer = Database::openWriter("file:" + path.toStdString() + "?immutable=1");
    QVERIFY(!writer.ok());
    QCOMPARE(QString::fromStdString(writer.error().code), QStringLiteral("database_read_only"));
    QCOMPARE(fileHash(path), before);
}

void TestDatabase::readerCannotWrite() {
    QTemporaryDir dir;
    auto writer = openWriter(dir);
    auto reader = Database::openReader(dir.filePath("understudy.db").toStdString());
    QVERIFY_OK(reader);
    QCOMPARE((*reader)->role(), Role::Reader);
    auto appended = EventLog(**reader).append(someEvents(1).front());
    QVERIFY(!appended.ok());
    QCOMPARE(QString::fromStdString(appended.error().code), QStringLiteral("database_read_only"));
    auto inserted =
        ApplianceRepository(**reader).insert(DBAppliance{0, "pna-9", "test:///default", 0, 0, 1});
    QVERIFY(!inserted.ok());
    QCOMPARE(QString::fromStdString(inserted.error().code), QStringLiteral("database_read_only"));
}

void TestDatabase::readerRefusesAMissingDatabase() {
    QTemporaryDir dir;
    auto reader = Database::openReader(dir.filePath("missing.db").toStdString());
    QVERIFY(!reader.ok());
    QCOMPARE(QString::fromStdString(reader.error().code), QStringLiteral("database_unavailable"));
    QVERIFY(!QFile::exists(dir.filePath("missing.db")));
}

void TestDatabase::lockedBeyondTheBusyTimeoutIsUnavailable() {
    QTemporaryDir dir;
    OpenOptions options;
    options.busyTimeout = std::chrono::milliseconds(200);
    auto writer = openWriter(dir, options);
    // Another program (a stray sqlite3 shell, say) holds a write transaction.
    sqlite3* raw = nullptr;
    QCOMPARE(sqlite3_open(dir.filePath("understudy.db").toUtf8().constData(), &raw), SQLITE_OK);
    ConnectionHandle intruder(raw);
    QCOMPARE(sqlite3_exec(raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

    auto appended = EventLog(*writer).append(someEvents(1).front());
    QVERIFY(!appended.ok());
    QCOMPARE(QString::fromStdString(appended.error().code), QStringLiteral("database_unavailable"));
    QVERIFY(appended.error().message.find("busy timeout") != std::string::npos);

    QCOMPARE(sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    QVERIFY_OK(EventLog(*writer).append(someEvents(1).front()));
}

void TestDatabase::aSecondWriterIsRefusedUntilTheFirstCloses() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("understudy.db").toStdString();
    auto first = Database::openWriter(path);
    QVERIFY_OK(first);
    auto second = Database::openWriter(path);
    QVERIFY(!second.ok());
    QCOMPARE(QString::fromStdString(second.error().code), QStringLiteral("database_unavailable"));
    QVERIFY(second.error().message.find("another writer") != std::string::npos);
    auto reader = Database::openReader(path);
    QVERIFY_OK(reader);
    first->reset();
    QVERIFY_OK(Database::openWriter(path));
}

void TestDatabase::readerOpensWhileNoWriterRuns() {
    QTemporaryDir dir;
    {
        auto writer = openWriter(dir);
        QVERIFY_OK(EventLog(*writer).append(someEvents(3)));
    }
    auto reader = Database::openReader(dir.filePath("understudy.db").toStdString());
    QVERIFY_OK(reader);
    auto count = EventLog(**reader).count();
    QVERIFY_OK(count);
    QCOMPARE(*count, std::int64_t{3});
}

void TestDatabase::fullDatabaseIsReportedAndKeepsItsData() {
    QTemporaryDir dir;
    OpenOptions options;
    options.maxPageCount = 64;
    auto writer = openWriter(dir, options);
    EventLog log(*writer);
    const std::string padding = R"({"padding": ")" + std::string(2000, 'x') + "\"}";
    Result<std::vector<Id>> batch = std::vector<Id>{};
    std::int64_t stored = 0;
    for (int round = 0; round < 100 && batch.ok(); ++round) {
        batch = log.append(someEvents(10, padding));
        if (batch.ok()) {
            stored += 10;
        }
    }
    QVERIFY(!batch.ok());
    QCOMPARE(QString::fromStdString(batch.error().code), QStringLiteral("database_full"));
    // The batch that did not fit left nothing behind; what was acknowledged is all there.
    auto count = log.count();
    QVERIFY_OK(count);
    QCOMPARE(*count, stored);
    auto check = writer->integrityCheck();
    QVERIFY_OK(check);
    QVERIFY(check->ok);
}

void TestDatabase::nestedTransactionRollsBackAlone() {
    QTemporaryDir dir;
    auto writer = openWriter(dir);
    EventLog log(*writer);
    {
        auto outer = writer->transaction();
        QVERIFY_OK(outer);
        QVERIFY_OK(log.append(someEvents(1).front()));
        {
            auto inner = writer->transaction();
            QVERIFY_OK(inner);
            QVERIFY_OK(log.append(someEvents(3)));
        }
        QVERIFY_OK(outer->commit());
    }
    {
        auto abandoned = writer->transaction();
        QVERIFY_OK(abandoned);
        QVERIFY_OK(log.append(someEvents(5)));
    }
    auto count = log.count();
    QVERIFY_OK(count);
    QCOMPARE(*count, std::int64_t{1});
}

void TestDatabase::checksPassOnAHealthyDatabase() {
    QTemporaryDir dir;
    auto writer = openWriter(dir);
    addInventory(*writer);
    QVERIFY_OK(EventLog(*writer).append(someEvents(100)));
    auto quick = writer->quickCheck();
    QVERIFY_OK(quick);
    QVERIFY(quick->ok);
    QVERIFY(quick->problems.empty());
    auto reader = Database::openReader(dir.filePath("understudy.db").toStdString());
    QVERIFY_OK(reader);
    auto full = (*reader)->integrityCheck();
    QVERIFY_OK(full);
    QVERIFY(full->ok);
}

void TestDatabase::integrityCheckReportsDamage() {
    QTemporaryDir dir;
    const QString path = dir.filePath("understudy.db");
    {
        auto writer = openWriter(dir);
        QVERIFY_OK(EventLog(*writer).append(someEvents(2000, R"({"reason": "padding"})")));
    }
    writeBytes(path, qint64{4096} * 3, randomBytes(2 * 4096, 5));
    OpenOptions unchecked;
    unchecked.verifyAtOpen = false;
    auto writer = Database::openWriter(path.toStdString(), unchecked);
    QVERIFY_OK(writer);
    auto full = (*writer)->integrityCheck();
    QVERIFY_OK(full);
    QVERIFY(!full->ok);
    QVERIFY(!full->problems.empty());
}

void TestDatabase::backupIsAConsistentCopyTakenWhileTheWriterWrites() {
    QTemporaryDir dir;
    auto writer = openWriter(dir);
    addInventory(*writer);
    std::atomic<bool> stop = false;
    std::thread appender([&] {
        EventLog log(*writer);
        while (!stop) {
            if (!log.append(someEvents(20)).ok()) {
                return;
            }
        }
    });
    auto reader = Database::openReader(dir.filePath("understudy.db").toStdString());
    QVERIFY_OK(reader);
    QTest::qWait(100);
    const std::string backupPath = dir.filePath("backup.db").toStdString();
    const Status copied = (*reader)->backupTo(backupPath);
    stop = true;
    appender.join();
    QVERIFY_OK(copied);
    QVERIFY(!QFile::exists(dir.filePath("backup.db.partial")));

    auto copy = Database::openWriter(backupPath);
    QVERIFY_OK(copy);
    auto check = (*copy)->integrityCheck();
    QVERIFY_OK(check);
    QVERIFY(check->ok);
    EventLog log(**copy);
    auto count = log.count();
    auto latest = log.latestId();
    QVERIFY_OK(count);
    QVERIFY_OK(latest);
    // Whole batches only, ids 1..n without a gap: a snapshot, not a torn copy.
    QCOMPARE(*count % 20, std::int64_t{0});
    QCOMPARE(latest->value_or(0), *count);
    QVERIFY(ClusterRepository(**copy).byName("erp").ok());
}

void TestDatabase::readerReadsConsistentSnapshotsWhileTheWriterWritesFromAnotherThread() {
    QTemporaryDir dir;
    auto writer = openWriter(dir);
    auto reader = Database::openReader(dir.filePath("understudy.db").toStdString());
    QVERIFY_OK(reader);
    constexpr int kBatches = 60;
    constexpr int kBatchSize = 25;
    std::atomic<bool> done = false;
    std::string writerError;
    std::thread appender([&] {
        EventLog log(*writer);
        for (int i = 0; i < kBatches; ++i) {
            auto ids = log.append(someEvents(kBatchSize));
            if (!ids) {
                writerError = ids.error().describe();
                break;
            }
        }
        done = true;
    });
    EventLog log(**reader);
    int readsWhileWriting = 0;
    Id next = 0;
    std::string readerError;
    while (readerError.empty()) {
        const bool finished = done;
        auto page = log.page(EventQuery{next, kMaxEventPage, {}});
        if (!page) {
            readerError = page.error().describe();
            break;
        }
        for (const auto& event : page->events) {
            if (event.id != next + 1) {
                readerError = "gap after id " + std::to_string(next);
            }
            next = event.id;
        }
        // A reader sees whole commits: never part of a batch.
        if (next % kBatchSize != 0) {
            readerError = "saw part of a batch, up to id " + std::to_string(next);
        }
        if (!finished) {
            ++readsWhileWriting;
        } else if (page->events.empty()) {
            break;
        }
    }
    appender.join();
    QVERIFY2(writerError.empty(), writerError.c_str());
    QVERIFY2(readerError.empty(), readerError.c_str());
    QCOMPARE(next, Id{kBatches} * kBatchSize);
    QVERIFY(readsWhileWriting > 0);
}

QTEST_GUILESS_MAIN(TestDatabase)
#include "test_database.moc"

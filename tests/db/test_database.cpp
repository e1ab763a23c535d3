#include <QTemporaryDir>
#include <QtTest>

#include "db/database.h"

using namespace understudy::db;

class TestDatabase : public QObject {
    Q_OBJECT
private slots:
    void opensARealFileInWalMode();
    void reportsAFolderThatDoesNotExist();
};

void TestDatabase::opensARealFileInWalMode() {
    QTemporaryDir dir;
    const auto path = dir.filePath("understudy.db").toStdString();
    auto database = Database::open(path);
    QVERIFY2(database.ok(), database.ok() ? "" : database.error().describe().c_str());
    QCOMPARE(QString::fromStdString((*database)->journalMode()), QStringLiteral("wal"));
    QVERIFY(QFile::exists(dir.filePath("understudy.db")));
}

void TestDatabase::reportsAFolderThatDoesNotExist() {
    auto database = Database::open("/nonexistent-folder/understudy.db");
    QVERIFY(!database.ok());
    QCOMPARE(QString::fromStdString(database.error().code), QStringLiteral("database_unavailable"));
    QVERIFY(database.error().describe().find("/nonexistent-folder/understudy.db") !=
            std::string::npos);
}

QTEST_GUILESS_MAIN(TestDatabase)
#include "test_database.moc"

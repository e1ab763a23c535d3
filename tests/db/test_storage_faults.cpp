// Storage faults under a real understudyd, caused for real: the disk under its database fills up
// (a size-limited tmpfs in a private mount namespace), another process holds the database's
// write lock, the database's folder is remounted read-only. The service refuses writes with a
// 503 that names the cause (and Retry-After), keeps serving reads, changes nothing it did not
// acknowledge, and writes again once the fault clears; after a restart every acknowledged write
// is there, quick_check passes and the event ids are gap-free. (The store's own reactions to the
// same faults are in test_database; SIGKILL during writes in test_crash_durability,
// test_e2e_restart and test_e2e_soak.)
#include <QTest>

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <set>

#include "tests/e2e/raw_http.h"
#include "tests/e2e/service_process.h"

using namespace understudy::e2e;

namespace {

QByteArray group(const QString& name) {
    return QStringLiteral(R"({"name": "%1", "mtbf_hours": 43800, "mttr_hours": 1})")
        .arg(name)
        .toUtf8();
}

// A tmpfs of `size` mounted on `folder` until destroyed: unmounted on every path.
class Tmpfs {
public:
    Tmpfs(const QString& folder, const QByteArray& size) : folder_(folder.toLocal8Bit()) {
        const QByteArray options = "size=" + size;
        mounted_ = ::mount("tmpfs", folder_.constData(), "tmpfs", 0, options.constData()) == 0;
    }
    ~Tmpfs() {
        if (mounted_) {
            ::umount2(folder_.constData(), MNT_DETACH);
        }
    }
    Tmpfs(const Tmpfs&) = delete;
    Tmpfs& operator=(const Tmpfs&) = delete;
    bool mounted() const { return mounted_; }

private:
    QByteArray folder_;
    bool mounted_ = false;
};

}  // namespace

class StorageFaults : public QObject {
    Q_OBJECT

private:
    int faults_ = 0;
    int requests_ = 0;
    int verified_ = 0;

    RawAnswer send(ServiceProcess& service, const QByteArray& request) {
        ++requests_;
        return rawRequest(service.port(), request, 30000);
    }
    RawAnswer createGroup(ServiceProcess& service, const QString& name) {
        return send(service, rawPost("/api/v1/groups", kAdminToken, group(name)));
    }
    // A refused write: 503 database_unavailable, a message naming `cause`, Retry-After.
    void verifyRefused(const RawAnswer& answer, const QList<QByteArray>& causes) {
        QVERIFY2(answer.status == 503,
                 (QByteArray::number(answer.status) + ' ' + answer.body).constData());
        const json error = json::parse(answer.body.toStdString(), nullptr, false);
        QCOMPARE(QString::fromStdString(error["error"].get<std::string>()),
                 QStringLiteral("database_unavailable"));
        const QByteArray message = QByteArray::fromStdString(error["message"].get<std::string>());
        bool named = false;
        for (const QByteArray& cause : causes) {
            named = named || message.contains(cause);
        }
        QVERIFY2(named, message.constData());
        qInfo("refused: %s", message.constData());
        QVERIFY2(answer.header("retry-after").toInt() > 0, answer.head.constData());
    }
    // Reads are served whatever happens to writes.
    void verifyReadsServed(ServiceProcess& service) {
        for (const char* path : {"/api/v1/groups", "/api/v1/nodes", "/api/v1/clusters",
                                 "/api/v1/appliances", "/api/v1/health", "/api/v1/events"}) {
            const RawAnswer read = send(service, rawGet(path, kAdminToken));
            QVERIFY2(read.status == 200, (QByteArray(path) + ' ' + read.body).constData());
        }
    }
    // After a restart: the acknowledged groups are there and the refused ones are not, the
    // database passes quick_check, and the event ids run 1, 2, 3, ... without a gap.
    void verifyDurable(ServiceProcess& service, const std::set<std::string>& acknowledged,
                       const std::set<std::string>& refused) {
        QCOMPARE(service.terminate(), 0);
        QVERIFY2(service.start(), service.output().constData());
        const json groups = service.getJson(QStringLiteral("/api/v1/groups"));
        std::set<std::string> present;
        for (const json& one : groups["groups"]) {
            present.insert(one["name"].get<std::string>());
        }
        for (const std::string& name : acknowledged) {
            QVERIFY2(present.count(name) == 1, ("acknowledged and lost: " + name).c_str());
        }
        verified_ += static_cast<int>(acknowledged.size());
        for (const std::string& name : refused) {
            QVERIFY2(present.count(name) == 0, ("refused but stored: " + name).c_str());
        }
        const json health = service.getJson(QStringLiteral("/api/v1/health?check=full"));
        QCOMPARE(QString::fromStdString(health["database"].get<std::string>()),
                 QStringLiteral("ok"));
        std::int64_t expected = 1;
        std::int64_t next = 0;
        for (;;) {
            const json page =
                service.getJson(QStringLiteral("/api/v1/events?limit=1000&since=%1").arg(next));
            if (page["events"].empty()) {
                break;
            }
            for (const json& event : page["events"]) {
                QCOMPARE(event["id"].get<std::int64_t>(), expected);
                ++expected;
            }
            next = page["next"].get<std::int64_t>();
        }
        QVERIFY(expected > 1);
    }

private slots:
    void initTestCase() {
        // CI runs as root (docs/platform-notes.md, "Running tests as root"); mounting needs it.
        QVERIFY2(::geteuid() == 0, "this test mounts tmpfs and bind mounts: run it as root");
        // A private mount namespace for this process and the services it starts: nothing
        // mounted here is seen by the host, and it all goes when the process exits.
        QVERIFY2(::unshare(CLONE_NEWNS) == 0, strerror(errno));
        QVERIFY2(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0,
                 strerror(errno));
    }
    void cleanupTestCase() {
        qInfo(
            "storage faults injected: %d, requests sent: %d, acknowledged writes found after "
            "restarts: %d (none lost)",
            faults_, requests_, verified_);
    }

    void aFullDiskRefusesWritesKeepsReadsAndRecovers() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        Tmpfs disk(dir.path(), "24m");
        QVERIFY2(disk.mounted(), strerror(errno));
        ServiceProcess service(dir.filePath(QStringLiteral("full.db")));
        QVERIFY2(service.start(), service.output().constData());
        std::set<std::string> acknowledged;
        std::set<std::string> refused;
        for (int i = 0; i < 5; ++i) {
            const QString name = QStringLiteral("before-%1").arg(i);
            QCOMPARE(createGroup(service, name).status, 201);
            acknowledged.insert(name.toStdString());
        }
        // Fill every byte left.
        QFile filler(dir.filePath(QStringLiteral("filler")));
        QVERIFY(filler.open(QIODevice::WriteOnly));
        const QByteArray chunk(64 * 1024, 'x');
        while (filler.write(chunk) == chunk.size() && filler.flush()) {
        }
        const QByteArray small(512, 'x');
        while (filler.write(small) == small.size() && filler.flush()) {
        }
        filler.close();
        ++faults_;

        // The WAL may hold free pages from before: write until the disk is what refuses.
        RawAnswer answer;
        int attempts = 0;
        for (; attempts < 400; ++attempts) {
            const QString name = QStringLiteral("full-%1").arg(attempts);
            answer = createGroup(service, name);
            if (answer.status == 201) {
                acknowledged.insert(name.toStdString());
                continue;
            }
            refused.insert(name.toStdString());
            break;
        }
        qInfo("writes acknowledged on the full disk before the first refusal: %d", attempts);
        verifyRefused(answer, {"disk", "full"});
        // A takeover cannot be made durable either: refused, and the node stays standby.
        const RawAnswer takeover =
            send(service, rawPost("/api/v1/nodes/erp-passive/takeover", kAdminToken, ""));
        verifyRefused(takeover, {"disk", "full"});
        verifyReadsServed(service);
        QCOMPARE(QString::fromStdString(
                     service.getJson(QStringLiteral("/api/v1/nodes/erp-passive"))["state"]
                         .get<std::string>()),
                 QStringLiteral("standby"));

        // Space comes back: writes work again without a restart.
        QVERIFY(QFile::remove(dir.filePath(QStringLiteral("filler"))));
        const RawAnswer after = createGroup(service, QStringLiteral("after"));
        QVERIFY2(after.status == 201, after.body.constData());
        acknowledged.insert("after");
        const RawAnswer granted =
            send(service, rawPost("/api/v1/nodes/erp-passive/takeover", kAdminToken, ""));
        QVERIFY2(granted.status == 200, granted.body.constData());
        QVERIFY(
            send(service, rawPost("/api/v1/nodes/erp-passive/release", kAdminToken, "")).status ==
            200);
        verifyDurable(service, acknowledged, refused);
        QCOMPARE(service.terminate(), 0);
    }

    void aDatabaseLockedByAnotherProcessRefusesWritesKeepsReadsAndRecovers() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString database = dir.filePath(QStringLiteral("locked.db"));
        ServiceProcess service(database);
        QVERIFY2(service.start(), service.output().constData());
        std::set<std::string> acknowledged{"before"};
        QCOMPARE(createGroup(service, QStringLiteral("before")).status, 201);

        QProcess holder;
        holder.start(QStringLiteral(DB_LOCK_HOLDER), {database});
        QVERIFY(holder.waitForStarted());
        QVERIFY(holder.waitForReadyRead(15000));
        QCOMPARE(holder.readLine().trimmed(), QByteArray("locked"));
        ++faults_;

        verifyRefused(createGroup(service, QStringLiteral("while-locked")), {"locked"});
        verifyRefused(send(service, rawPost("/api/v1/nodes/erp-passive/takeover", kAdminToken, "")),
                      {"locked"});
        verifyReadsServed(service);

        holder.closeWriteChannel();
        QVERIFY(holder.waitForFinished(15000));
        QCOMPARE(holder.exitCode(), 0);
        const RawAnswer after = createGroup(service, QStringLiteral("after"));
        QVERIFY2(after.status == 201, after.body.constData());
        acknowledged.insert("after");
        QCOMPARE(QString::fromStdString(
                     service.getJson(QStringLiteral("/api/v1/nodes/erp-passive"))["state"]
                         .get<std::string>()),
                 QStringLiteral("standby"));
        verifyDurable(service, acknowledged, {"while-locked"});

        // A second service on the same database is refused at start (the writer's lock), and
        // says so, while the first keeps serving.
        ServiceProcess second(database);
        QVERIFY(!second.start());
        QVERIFY2(second.output().contains("lock") || second.output().contains("already"),
                 second.output().constData());
        ++faults_;
        verifyReadsServed(service);
        QCOMPARE(service.terminate(), 0);
    }

    void aReadOnlyDatabaseFolderIsRefusedWithTheCauseAndNothingChanges() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString database = dir.filePath(QStringLiteral("ro.db"));
        ServiceProcess service(database);
        QVERIFY2(service.start(), service.output().constData());
        QCOMPARE(createGroup(service, QStringLiteral("before")).status, 201);
        QCOMPARE(service.terminate(), 0);
        QFile file(database);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        file.close();

        const QByteArray folder = dir.path().toLocal8Bit();
        QVERIFY2(::mount(folder.constData(), folder.constData(), nullptr, MS_BIND, nullptr) == 0,
                 strerror(errno));
        const bool read_only = ::mount(nullptr, folder.constData(), nullptr,
                                       MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) == 0;
        const int remount_errno = errno;
        ++faults_;
        const bool started = read_only && service.start();
        const QByteArray output = service.output();
        service.kill();
        ::umount2(folder.constData(), MNT_DETACH);
        QVERIFY2(read_only, strerror(remount_errno));
        // A service that cannot make its answers durable does not pretend to: it does not
        // start, and says which file is read-only.
        QVERIFY2(!started, output.constData());
        QVERIFY2(output.contains("read-only") || output.contains("readonly") ||
                     output.contains("Read-only"),
                 output.constData());
        QVERIFY2(output.contains(database.toLocal8Bit()), output.constData());
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), bytes);
        file.close();

        // Writable again: it starts with everything it had.
        QVERIFY2(service.start(), service.output().constData());
        verifyDurable(service, {"before"}, {});
        QCOMPARE(service.terminate(), 0);
    }
};

QTEST_GUILESS_MAIN(StorageFaults)
#include "test_storage_faults.moc"

// An appliance declared lost by the service itself (understudyd.conf(5), fence_command and
// lost_after_s), in a real understudyd: two appliances nobody can reach (libvirt's remote
// driver on closed loopback ports) beside a test-driver one. The one whose fence_command
// answers 0 is fenced and lost; the one whose command fails stays unreachable, never lost on
// silence alone.
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>

#include "db/database.h"
#include "db/event_log.h"
#include "tests/support/ports.h"
#include "tests/support/test_driver_host.h"
#include "tests/support/understudyd_process.h"

using namespace understudy;
using testsupport::UnderstudydProcess;

namespace {

std::vector<db::DBEvent> eventsOf(const QString& database) {
    auto reader = db::Database::openReader(database.toStdString());
    if (!reader) {
        return {};
    }
    auto page = db::EventLog(**reader).page({0, db::kMaxEventPage, {}});
    return page ? page->events : std::vector<db::DBEvent>{};
}

// The kinds recorded about one appliance, in order.
QStringList kindsAbout(const std::vector<db::DBEvent>& events, const std::string& appliance) {
    QStringList kinds;
    for (const db::DBEvent& event : events) {
        if (event.kind.rfind("appliance.", 0) == 0 &&
            event.details.find("\"appliance\":\"" + appliance + "\"") != std::string::npos) {
            kinds << QString::fromStdString(event.kind);
        }
    }
    return kinds;
}

}  // namespace

class TestApplianceFencing : public QObject {
    Q_OBJECT

private slots:
    void onlyAnApplianceItsCommandPoweredOffIsLost();
};

void TestApplianceFencing::onlyAnApplianceItsCommandPoweredOffIsLost() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString host = dir.filePath(QStringLiteral("host.xml"));
    QVERIFY(testsupport::writeTestDriverHost(host, 8, 16384, {}));
    const QString token = dir.filePath(QStringLiteral("admin.token"));
    testsupport::writeAdminTokenFile(token);
    const QString database = dir.filePath(QStringLiteral("understudy.db"));
    const QString fenced = dir.filePath(QStringLiteral("gone-was-fenced"));
    const quint16 port = testsupport::freePort();
    const QString config = dir.filePath(QStringLiteral("understudyd.conf"));
    QFile file(config);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QStringLiteral("[service]\nlisten = 127.0.0.1:%1\ndatabase = %2\n"
                              "admin_token_file = %3\n"
                              "[appliance.here]\nuri = test://%4\n"
                              "[appliance.gone]\nuri = test+tcp://127.0.0.1:1/default\n"
                              "fence_command = /usr/bin/touch %5\nlost_after_s = 1\n"
                              "[appliance.stubborn]\nuri = test+tcp://127.0.0.1:2/default\n"
                              "fence_command = /bin/false\nlost_after_s = 1\n")
                   .arg(port)
                   .arg(database, token, host, fenced)
                   .toUtf8());
    file.close();

    UnderstudydProcess service(database);
    service.setPort(port);
    QVERIFY2(service.start({QStringLiteral("--config"), config}), service.output().constData());

    QTRY_VERIFY_WITH_TIMEOUT(kindsAbout(eventsOf(database), "gone").contains("appliance.lost"),
                             20000);
    QVERIFY(QFile::exists(fenced));
    QCOMPARE(kindsAbout(eventsOf(database), "gone"),
             (QStringList{"appliance.unreachable", "appliance.fenced", "appliance.lost"}));

    // The failing command has had at least two tries by now; silence alone is not loss.
    QTest::qWait(2500);
    QCOMPARE(kindsAbout(eventsOf(database), "stubborn"), QStringList{"appliance.unreachable"});
    QCOMPARE(kindsAbout(eventsOf(database), "here"), QStringList{});
    QVERIFY2(service.output().contains("stubborn: its fence_command exited with status 1"),
             service.output().constData());
    service.stop();
}

QTEST_GUILESS_MAIN(TestApplianceFencing)
#include "test_appliance_fencing.moc"

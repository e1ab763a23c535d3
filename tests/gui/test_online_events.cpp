// The Events tab read as an operator reads it: an event in plain words in the details pane
// (double-click), who caused it in its own column, and what is shown exported as CSV; first on
// events made up here, then against a real `understudyd --demo` driven into a denial.
#include <QComboBox>
#include <QFile>
#include <QJsonDocument>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <memory>

#include "appliance/client/api_client.h"
#include "console_test_support.h"
#include "gui/app/main_window.h"
#include "gui/online/event_details.h"
#include "gui/online/event_log_view.h"
#include "gui/online/online_console.h"
#include "tests/support/understudyd_process.h"

using namespace understudy::gui;
using namespace understudy::gui::testing;
using namespace understudy::testsupport;
namespace client = understudy::client;

namespace {

constexpr int kWaitMs = 15000;

client::Event deniedEvent() {
    client::Event event;
    event.id = 42;
    event.time = QDateTime(QDate(2026, 12, 7), QTime(19, 5, 3), Qt::UTC);
    event.kind = QStringLiteral("takeover.denied");
    event.cluster = QStringLiteral("erp");
    event.node = QStringLiteral("erp-passive");
    event.actor = QStringLiteral("cluster:erp@::1");
    event.details = QJsonDocument::fromJson(R"({"denial": {"resource": "memory_mib",
        "needed": 30720, "free": 8192, "holders": [{"node": "crm-passive", "cluster": "crm",
        "priority": 950, "state": "active", "holds": 16384}], "preemptable": [],
        "tried": ["headroom", "preempt", "partial_cpu"]}})")
                        .object();
    return event;
}

}  // namespace

class TestOnlineEvents : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void aDenialReadsInPlainWords();
    void whoCausedAnEventReadsPlainly();
    void theCsvHoldsOneQuotedLinePerEvent();
    void aRealDenialOpensInTheDetailsPaneAndTheShownEventsExport();

private:
    QTemporaryDir settingsDir_;
    QTemporaryDir exportDir_;
};

void TestOnlineEvents::initTestCase() {
    QVERIFY(settingsDir_.isValid() && exportDir_.isValid());
    isolateOnlineSettings(settingsDir_);
}

void TestOnlineEvents::aDenialReadsInPlainWords() {
    const QString text = describeEvent(deniedEvent());
    const QStringList lines = text.split(u'\n');
    QCOMPARE(lines.front(), QStringLiteral("erp-passive was denied the takeover it asked for "
                                           "(cluster erp)."));
    QVERIFY2(lines.contains(QStringLiteral("Who: the agent of cluster erp, from ::1")),
             qPrintable(text));
    QVERIFY2(lines.contains(QStringLiteral("Short of memory: needs 30 GiB, 8 GiB free.")),
             qPrintable(text));
    QVERIFY2(
        lines.contains(QStringLiteral(
            "Held by: crm-passive (cluster crm, priority 950, active, +16 GiB over standby).")),
        qPrintable(text));
    QVERIFY2(lines.contains(QStringLiteral("Event #42, kind takeover.denied")), qPrintable(text));
    // Nothing of the JSON the service sent is left.
    QVERIFY2(!text.contains(u'{') && !text.contains(QStringLiteral("memory_mib")) &&
                 !text.contains(QStringLiteral("30720")),
             qPrintable(text));
    QCOMPARE(eventSummary(deniedEvent()),
             QStringLiteral(
                 "Short of memory: needs 30 GiB, 8 GiB free; Held by: crm-passive "
                 "(cluster crm, priority 950, active, +16 GiB over standby); No lower-priority "
                 "standby node could be preempted; Tried: headroom, preempt, "
                 "partial_cpu"));

    client::Event granted = deniedEvent();
    granted.kind = QStringLiteral("release");
    granted.details = QJsonDocument::fromJson(
                          R"({"appliance": "demo", "held": {"vcpus": 16, "memory_mib": 65536},
                              "grant_released": true})")
                          .object();
    QCOMPARE(eventSummary(granted), QStringLiteral("Appliance: demo; Grant released: yes; "
                                                   "Held: 16 vCPUs · 64 GiB"));
}

void TestOnlineEvents::whoCausedAnEventReadsPlainly() {
    QCOMPARE(actorText(QString()), QStringLiteral("—"));
    QCOMPARE(actorText(QStringLiteral("admin@10.0.0.5")), QStringLiteral("admin@10.0.0.5"));
    QCOMPARE(actorDescription(QStringLiteral("admin@10.0.0.5")),
             QStringLiteral("an administrator (admin token), from 10.0.0.5"));
    QCOMPARE(actorDescription(QStringLiteral("cluster:crm@::1")),
             QStringLiteral("the agent of cluster crm, from ::1"));
    QCOMPARE(actorDescription(QStringLiteral("service")), QStringLiteral("the service, by itself"));
    QVERIFY(actorDescription(QString()).startsWith(QStringLiteral("not recorded")));
}

void TestOnlineEvents::theCsvHoldsOneQuotedLinePerEvent() {
    client::Event plain = deniedEvent();
    plain.id = 43;
    plain.kind = QStringLiteral("service.started");
    plain.cluster.reset();
    plain.node.reset();
    plain.actor = QStringLiteral("service");
    plain.details = {};
    const QStringList lines = eventsCsv({deniedEvent(), plain}).split(u'\n');
    QCOMPARE(lines.size(), 4);  // header, two events, the empty rest after the last newline
    QCOMPARE(lines[0], QStringLiteral("id,time,kind,cluster,node,actor,summary,details"));
    QVERIFY2(lines[1].startsWith(QStringLiteral("42,2026-12-07T19:05:03.000Z,takeover.denied,erp,"
                                                "erp-passive,cluster:erp@::1,\"Short of memory: "
                                                "needs 30 GiB, 8 GiB free; ")),
             qPrintable(lines[1]));
    // The details as sent, in JSON with its quotes doubled, readable back by a script.
    QVERIFY2(
        lines[1].endsWith(QStringLiteral(
            "\"{\"\"denial\"\":{\"\"free\"\":8192,\"\"holders\"\":[{\"\"cluster\"\":\"\"crm\"\","
            "\"\"holds\"\":16384,\"\"node\"\":\"\"crm-passive\"\",\"\"priority\"\":950,"
            "\"\"state\"\":\"\"active\"\"}],\"\"needed\"\":30720,\"\"preemptable\"\":[],"
            "\"\"resource\"\":\"\"memory_mib\"\",\"\"tried\"\":[\"\"headroom\"\",\"\"preempt\"\","
            "\"\"partial_cpu\"\"]}}\"")),
        qPrintable(lines[1]));
    QCOMPARE(lines[2], QStringLiteral("43,2026-12-07T19:05:03.000Z,service.started,,,service,,{}"));
    QCOMPARE(lines[3], QString());
}

// Takeovers by size until one is denied (the demo appliance cannot hold every cluster
// active), then the denial is read in the Events tab.
void TestOnlineEvents::aRealDenialOpensInTheDetailsPaneAndTheShownEventsExport() {
    UnderstudydProcess service;
    QVERIFY2(service.start(), service.output().constData());
    MainWindow window;
    window.resize(1440, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    OnlineConsole* online = window.online();
    online->connectTo(service.url(), kAdminToken, false);
    QTRY_COMPARE_WITH_TIMEOUT(online->connection()->state(), ConnectionState::connected, kWaitMs);

    client::ClientOptions options;
    options.base_url = service.url();
    options.token = kAdminToken;
    client::ApiClient api(options);
    std::vector<client::Node> nodes = online->connection()->fleet().nodes;
    std::sort(nodes.begin(), nodes.end(), [](const client::Node& a, const client::Node& b) {
        return a.active.memory_mib > b.active.memory_mib;
    });
    QString denied;
    for (const client::Node& node : nodes) {
        const auto taken = api.callSync(client::api::takeover(node.name));
        if (!taken.ok() && taken.error().denial) {
            denied = node.name;
            break;
        }
    }
    QVERIFY2(!denied.isEmpty(), "every takeover was granted: no denial to read");

    EventLogView* log = online->events();
    window.views()->setCurrentWidget(log);
    log->kindFilter()->setCurrentIndex(log->kindFilter()->findData(QStringLiteral("takeover")));
    log->nodeFilter()->setText(denied);
    QAbstractItemModel* shown = log->table()->model();
    const auto deniedRow = [&] {
        for (int row = 0; row < shown->rowCount(); ++row) {
            if (shown->index(row, EventTableModel::Kind).data().toString() ==
                QLatin1String("takeover.denied")) {
                return row;
            }
        }
        return -1;
    };
    QTRY_VERIFY_WITH_TIMEOUT(deniedRow() >= 0, kWaitMs);
    const int row = deniedRow();
    const QModelIndex details = shown->index(row, EventTableModel::Details);
    QVERIFY2(details.data().toString().startsWith(QStringLiteral("Short of ")),
             qPrintable(details.data().toString()));
    // Who asked: the service names it, or "—" where an older service does not.
    const QString actor = shown->index(row, EventTableModel::Actor).data().toString();
    QVERIFY2(actor == QStringLiteral("—") || actor.startsWith(QStringLiteral("admin")),
             qPrintable(actor));
    QCOMPARE(shown->headerData(EventTableModel::Actor, Qt::Horizontal).toString(),
             QStringLiteral("Who"));

    QVERIFY(log->detailsPane()->isHidden());
    // As a mouse does it: a press (which the double-click event then follows) on the same cell.
    const QPoint cell = log->table()->visualRect(shown->index(row, EventTableModel::Kind)).center();
    QTest::mouseClick(log->table()->viewport(), Qt::LeftButton, {}, cell);
    QTest::mouseDClick(log->table()->viewport(), Qt::LeftButton, {}, cell);
    QTRY_VERIFY(log->detailsPane()->isVisible());
    QVERIFY(log->detailsPane()->height() > log->detailsPane()->fontMetrics().height() * 5);
    const QString text = log->detailsPane()->toPlainText();
    QVERIFY2(text.startsWith(denied + QStringLiteral(" was denied the takeover it asked for")),
             qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("Short of ")) && text.contains(QStringLiteral(" free.")),
             qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("Who: ")), qPrintable(text));
    QVERIFY2(!text.contains(QStringLiteral("denial=")) && !text.contains(u'{'), qPrintable(text));

    // The export holds what is shown: the filtered rows, in the table's order.
    const QString path = exportDir_.filePath(QStringLiteral("events.csv"));
    QVERIFY(log->exportButton()->isEnabled());
    QVERIFY(log->exportCsv(path).ok());
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), shown->rowCount() + 1);
    for (int shownRow = 0; shownRow < shown->rowCount(); ++shownRow) {
        QVERIFY2(lines[shownRow + 1].startsWith(
                     shown->index(shownRow, EventTableModel::Id).data().toString() + u','),
                 qPrintable(lines[shownRow + 1]));
        QVERIFY(lines[shownRow + 1].contains(u',' + denied + u','));
    }
    QVERIFY(std::any_of(lines.begin(), lines.end(), [](const QString& line) {
        return line.contains(QStringLiteral(",takeover.denied,"));
    }));
    online->connection()->disconnectFromService();
}

QTEST_MAIN(TestOnlineEvents)
#include "test_online_events.moc"

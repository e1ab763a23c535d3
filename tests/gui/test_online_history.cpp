// The dashboard's history charts against a real `understudyd --demo` that samples every second
// (docs/http-api.md, "Appliance history"): the demo appliance's card draws the samples the
// service answers, and a takeover shows as less free memory and a higher denial risk within a
// moment. Also the Nodes table's columns as the operator sized them, kept over a restart of the
// console and over the fit that follows the service's rows.
#include <QFile>
#include <QHeaderView>
#include <QTableView>
#include <QTemporaryDir>
#include <QtCharts/QChartView>
#include <QtCharts/QLineSeries>
#include <QtTest>
#include <cmath>
#include <memory>

#include "appliance/client/api_client.h"
#include "console_test_support.h"
#include "gui/app/main_window.h"
#include "gui/online/dashboard_view.h"
#include "gui/online/headroom_history_chart.h"
#include "gui/online/node_table_model.h"
#include "gui/online/nodes_view.h"
#include "gui/online/online_console.h"
#include "gui/widgets/quantity_format.h"
#include "tests/support/ports.h"
#include "tests/support/understudyd_process.h"

using namespace understudy::gui;
using namespace understudy::gui::testing;
using namespace understudy::testsupport;
namespace client = understudy::client;

namespace {

constexpr int kWaitMs = 15000;
constexpr int kSizedClusterColumn = 287;

}  // namespace

class TestOnlineHistory : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void theOperatorsNodeColumnsOutliveARestartAndTheServicesRows();
    void theChartHoldsTheSamplesTheServiceAnswers();
    void aTakeoverShowsAsLessFreeMemoryAndMoreRisk();

private:
    client::ApplianceHistory history();
    HeadroomHistoryChart* chart() const {
        ApplianceCard* card = window_->online()->dashboard()->card(QStringLiteral("demo"));
        return card == nullptr ? nullptr : card->history();
    }

    QTemporaryDir dir_;
    UnderstudydProcess service_;
    std::unique_ptr<client::ApiClient> api_;
    std::unique_ptr<MainWindow> window_;
};

void TestOnlineHistory::initTestCase() {
    QVERIFY(dir_.isValid());
    isolateSettings(dir_);
    qunsetenv("UNDERSTUDY_TOKEN");
    qputenv("UNDERSTUDY_CONSOLE_NO_KEYRING", "1");
    const QString config = dir_.filePath(QStringLiteral("understudyd.conf"));
    QFile file(config);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("[service]\nhistory_interval_s = 1\n");
    file.close();
    const quint16 port = freePort();
    service_.setPort(port);
    QVERIFY2(service_.start({QStringLiteral("--demo"), QStringLiteral("--config"), config,
                             QStringLiteral("--database"), dir_.filePath(QStringLiteral("h.db")),
                             QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port)}),
             service_.output().constData());
    client::ClientOptions options;
    options.base_url = service_.url();
    options.token = kAdminToken;
    api_ = std::make_unique<client::ApiClient>(options);

    // The operator's console of yesterday, whose Cluster column was widened by hand.
    {
        MainWindow yesterday;
        yesterday.online()->nodes()->table()->horizontalHeader()->resizeSection(
            NodeTableModel::Cluster, kSizedClusterColumn);
        QVERIFY(yesterday.close());
    }
    window_ = std::make_unique<MainWindow>();
    window_->resize(1440, 900);
    window_->show();
    QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
    window_->online()->connectTo(service_.url(), kAdminToken, false);
    QTRY_COMPARE_WITH_TIMEOUT(window_->online()->connection()->state(), ConnectionState::connected,
                              kWaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(window_->online()->nodes()->model()->rowCount(), 10, kWaitMs);
}

void TestOnlineHistory::cleanupTestCase() {
    if (window_ != nullptr) {
        window_->online()->connection()->disconnectFromService();
    }
    window_.reset();
}

client::ApplianceHistory TestOnlineHistory::history() {
    auto answer = api_->callSync(client::api::applianceHistory(QStringLiteral("demo")));
    if (!answer) {
        qWarning("GET history: %s", qPrintable(answer.error().message));
        return {};
    }
    return *answer;
}

void TestOnlineHistory::theOperatorsNodeColumnsOutliveARestartAndTheServicesRows() {
    QHeaderView* header = window_->online()->nodes()->table()->horizontalHeader();
    QCOMPARE(header->sectionSize(NodeTableModel::Cluster), kSizedClusterColumn);
    // Columns the operator left alone still fit their contents (the hint is public only in
    // QAbstractItemView).
    const QAbstractItemView* table = window_->online()->nodes()->table();
    const int name = header->sectionSize(NodeTableModel::Name);
    QVERIFY2(name >= table->sizeHintForColumn(NodeTableModel::Name),
             qPrintable(QString::number(name)));
}

void TestOnlineHistory::theChartHoldsTheSamplesTheServiceAnswers() {
    QTRY_VERIFY_WITH_TIMEOUT(chart() != nullptr, kWaitMs);
    // A sample a second: the console asks again as often as the service samples.
    QTRY_VERIFY_WITH_TIMEOUT(chart()->sampleCount() >= 3, kWaitMs);
    const client::ApplianceHistory answer = history();
    QCOMPARE(answer.interval_s, qint64{1});
    QVERIFY(answer.samples.size() >= 3);
    const int shown = chart()->sampleCount();
    QCOMPARE(chart()->memorySeries()->count(), shown);
    QCOMPARE(chart()->vcpuSeries()->count(), shown);
    QCOMPARE(chart()->riskSeries()->count(), shown);
    // Every point drawn is a sample of the service's, at its time, with its figures.
    for (int i = 0; i < shown; ++i) {
        const client::HeadroomSample& drawn = chart()->samples()[static_cast<std::size_t>(i)];
        const auto same = std::find_if(answer.samples.begin(), answer.samples.end(),
                                       [&](const auto& s) { return s.time == drawn.time; });
        if (same == answer.samples.end()) {
            continue;  // newer than the answer above, or beyond its page
        }
        const QPointF memory = chart()->memorySeries()->at(i);
        QCOMPARE(memory.x(), static_cast<double>(same->time.toMSecsSinceEpoch()));
        QCOMPARE(memory.y(), static_cast<double>(same->free_memory_mib) / 1024.0);
        QCOMPARE(chart()->vcpuSeries()->at(i).y(), static_cast<double>(same->free_vcpus));
    }
    QVERIFY(chart()->headroomView()->isVisible());
    QVERIFY(chart()->riskView()->isVisible());
}

void TestOnlineHistory::aTakeoverShowsAsLessFreeMemoryAndMoreRisk() {
    QVERIFY(chart() != nullptr && chart()->sampleCount() > 0);
    const double before = chart()->memorySeries()->at(chart()->sampleCount() - 1).y();
    const double riskBefore = chart()->riskSeries()->at(chart()->sampleCount() - 1).y();
    for (const char* node : {"dwh-passive", "erp-passive", "billing-passive", "crm-passive"}) {
        auto granted = api_->callSync(client::api::takeover(QString::fromLatin1(node)));
        QVERIFY2(granted, granted ? "" : qPrintable(granted.error().message));
    }
    auto appliance = api_->callSync(client::api::appliance(QStringLiteral("demo")));
    QVERIFY(appliance);
    const double freeGib = static_cast<double>(appliance->memory_mib.free) / 1024.0;
    QVERIFY2(freeGib < before, qPrintable(QStringLiteral("%1 < %2").arg(freeGib).arg(before)));
    QTRY_COMPARE_WITH_TIMEOUT(chart()->memorySeries()->at(chart()->sampleCount() - 1).y(), freeGib,
                              kWaitMs);
    const double risk = chart()->riskSeries()->at(chart()->sampleCount() - 1).y();
    QVERIFY(appliance->denial_risk);
    QCOMPARE(risk, std::log10(appliance->denial_risk->value));
    QVERIFY2(risk > riskBefore, qPrintable(QStringLiteral("%1 > %2").arg(risk).arg(riskBefore)));
    QVERIFY(chart()->toolTip().contains(formatRisk(appliance->denial_risk->value)));

    if (const QByteArray out = qgetenv("UNDERSTUDY_HISTORY_SCREENSHOT"); !out.isEmpty()) {
        window_->grab().save(QString::fromLocal8Bit(out));
    }
}

QTEST_MAIN(TestOnlineHistory)
#include "test_online_history.moc"

// The Dashboard tab. It leads with the risk of now: a headline that says how many clusters could
// fail over now and names those that could not, coloured by the worst of their readiness, each
// appliance's denial risk against the target and the appliances' states; below the cards, who is
// unprotected and why. Then one card per appliance with its state (connected, unreachable or
// lost, as a coloured badge in words, with what it means when it is not connected), its risk of
// now, per resource, capacity split into foreign, standby committed, granted and free (a stacked
// bar chart, in % of usable capacity, exact figures beside it), the overbooking ratio, and the
// steady-state overflow risk of the sizing, labelled as such; under them, its history: free
// memory, free vCPUs and the denial risk over the last day (headroom_history_chart.h).
#pragma once

#include <QTimer>
#include <QUrl>
#include <QWidget>
#include <map>
#include <set>

#include "gui/online/online_style.h"
#include "gui/online/service_connection.h"

class QLabel;
class QGridLayout;
class QVBoxLayout;
class QBarSet;
class QChart;
class QChartView;

namespace understudy::gui {

class HeadroomHistoryChart;
class NodeReadiness;

class ApplianceCard : public QWidget {
    Q_OBJECT
public:
    enum Segment { Foreign, Standby, Granted, Free, SegmentCount };
    enum Row { MemoryRow, VcpuRow };

    explicit ApplianceCard(QWidget* parent = nullptr);
    // `nodes`: the fleet's, of which those on this appliance are read.
    void show(const client::Appliance& appliance, double targetRisk,
              const std::vector<client::Node>& nodes, const NodeReadiness& readiness);

    // What the chart holds now, in the resource's unit (MiB or vCPUs).
    qint64 shown(Segment segment, Row row) const { return amounts_[row][segment]; }
    Tone tone() const { return tone_; }
    // The steady-state overflow risk of the sizing.
    QLabel* riskLabel() const { return risk_; }
    // The risk of now: the nodes that could not take over and the denial risk.
    QLabel* nowLabel() const { return now_; }
    QLabel* stateBadge() const { return state_; }
    // What the state means for the nodes on it; hidden while connected.
    QLabel* stateNote() const { return stateNote_; }
    QChartView* chartView() const { return chartView_; }
    HeadroomHistoryChart* history() const { return history_; }
    // A figure as shown, row by row: capacity, foreign, standby, granted, free, overbooking, risk.
    QString figure(Row row, int column) const;

private:
    void createChart(QWidget* frame);
    void showState(const client::Appliance& appliance);
    Tone showNow(const client::Appliance& appliance, double targetRisk,
                 const std::vector<client::Node>& nodes, const NodeReadiness& readiness);
    void showResource(Row row, const client::ResourceUsage& resource, double targetRisk,
                      bool capacityKnown);

    QLabel* title_ = nullptr;
    QLabel* state_ = nullptr;
    QLabel* stateNote_ = nullptr;
    QLabel* riskIcon_ = nullptr;
    QLabel* risk_ = nullptr;
    QLabel* now_ = nullptr;
    QChartView* chartView_ = nullptr;
    QChart* chart_ = nullptr;
    HeadroomHistoryChart* history_ = nullptr;
    QBarSet* sets_[SegmentCount] = {};
    QGridLayout* figures_ = nullptr;
    QLabel* cells_[2][7] = {};
    qint64 amounts_[2][SegmentCount] = {};
    Tone tone_ = Tone::neutral;
};

class DashboardView : public QWidget {
    Q_OBJECT
public:
    DashboardView(ServiceConnection* connection, const NodeReadiness* readiness,
                  QWidget* parent = nullptr);

    ApplianceCard* card(const QString& appliance) const;
    int cardCount() const { return static_cast<int>(cards_.size()); }
    // "8 of 10 clusters can fail over now; 2 cannot: web (short 13 GiB), files (short 13 GiB)".
    QLabel* headline() const { return headline_; }
    Tone headlineTone() const { return headlineTone_; }
    // Who is unprotected now and why, one line each; hidden when nobody is.
    QLabel* unprotected() const { return unprotected_; }

private:
    void update();
    void showHeadline();
    // Asks each appliance's history since the newest sample its card holds (the newest day's at
    // first), after every refresh of the fleet and every sampling interval of the service.
    void fetchHistory();
    void fetchHistoryOf(const QString& appliance);

    ServiceConnection* connection_;
    const NodeReadiness* readiness_;
    QLabel* headlineIcon_ = nullptr;
    QLabel* headline_ = nullptr;
    QWidget* headlineBox_ = nullptr;
    Tone headlineTone_ = Tone::neutral;
    QLabel* unprotected_ = nullptr;
    QLabel* summary_ = nullptr;
    QVBoxLayout* cardsLayout_ = nullptr;
    std::map<QString, ApplianceCard*> cards_;
    std::set<QString> historyInFlight_;
    QTimer historyTimer_;
    QUrl historyUrl_;  // the service whose samples the cards hold
};

}  // namespace understudy::gui

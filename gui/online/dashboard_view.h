// The Dashboard tab: one card per appliance with its state (connected, unreachable or lost, as a
// coloured badge in words, with what it means when it is not connected), per resource,
// capacity split into foreign, standby committed, granted and free (a stacked bar chart, in % of
// usable capacity, exact figures beside it), the overbooking ratio, and the live overflow risk
// against the target as ok / warning / critical in colour, icon and words.
#pragma once

#include <QWidget>
#include <map>

#include "gui/online/online_style.h"
#include "gui/online/service_connection.h"

class QLabel;
class QGridLayout;
class QVBoxLayout;
class QBarSet;
class QChart;
class QChartView;

namespace understudy::gui {

class ApplianceCard : public QWidget {
    Q_OBJECT
public:
    enum Segment { Foreign, Standby, Granted, Free, SegmentCount };
    enum Row { MemoryRow, VcpuRow };

    explicit ApplianceCard(QWidget* parent = nullptr);
    void show(const client::Appliance& appliance, double targetRisk);

    // What the chart holds now, in the resource's unit (MiB or vCPUs).
    qint64 shown(Segment segment, Row row) const { return amounts_[row][segment]; }
    Tone tone() const { return tone_; }
    QLabel* riskLabel() const { return risk_; }
    QLabel* stateBadge() const { return state_; }
    // What the state means for the nodes on it; hidden while connected.
    QLabel* stateNote() const { return stateNote_; }
    QChartView* chartView() const { return chartView_; }
    // A figure as shown, row by row: capacity, foreign, standby, granted, free, overbooking, risk.
    QString figure(Row row, int column) const;

private:
    void showState(const client::Appliance& appliance);
    void showResource(Row row, const client::ResourceUsage& resource, double targetRisk,
                      bool capacityKnown);

    QLabel* title_ = nullptr;
    QLabel* state_ = nullptr;
    QLabel* stateNote_ = nullptr;
    QLabel* riskIcon_ = nullptr;
    QLabel* risk_ = nullptr;
    QChartView* chartView_ = nullptr;
    QChart* chart_ = nullptr;
    QBarSet* sets_[SegmentCount] = {};
    QGridLayout* figures_ = nullptr;
    QLabel* cells_[2][7] = {};
    qint64 amounts_[2][SegmentCount] = {};
    Tone tone_ = Tone::neutral;
};

class DashboardView : public QWidget {
    Q_OBJECT
public:
    explicit DashboardView(ServiceConnection* connection, QWidget* parent = nullptr);

    ApplianceCard* card(const QString& appliance) const;
    int cardCount() const { return static_cast<int>(cards_.size()); }

private:
    void update();

    ServiceConnection* connection_;
    QLabel* summary_ = nullptr;
    QVBoxLayout* cardsLayout_ = nullptr;
    std::map<QString, ApplianceCard*> cards_;
};

}  // namespace understudy::gui

// An appliance's history on its dashboard card (docs/http-api.md, "Appliance history"): free
// memory and free vCPUs over time on one chart, the denial risk beside the target on another,
// on a log scale written as "1 in N" (up is riskier). The card's owner appends the samples of
// GET /appliances/{name}/history as they come; the charts show the last kShownHours.
#pragma once

#include <QDateTime>
#include <QWidget>
#include <vector>

#include "appliance/client/api_types.h"

class QChart;
class QChartView;
class QLineSeries;
class QDateTimeAxis;
class QValueAxis;
class QCategoryAxis;

namespace understudy::gui {

class HeadroomHistoryChart : public QWidget {
    Q_OBJECT
public:
    static constexpr int kShownHours = 24;
    // Risks below one in 10^12 are drawn at it: a log scale has no zero.
    static constexpr int kLowestDecade = -12;

    explicit HeadroomHistoryChart(QWidget* parent = nullptr);

    // Adds the samples newer than the newest held, then forgets those older than the window.
    void append(const std::vector<client::HeadroomSample>& samples);
    // Forgets every sample (another service, or a gap the service's answer could not fill).
    void clear();
    void setTargetRisk(double target);
    void setColors(const QPalette& palette);

    // The newest sample's time; invalid while none is held.
    QDateTime newest() const { return newest_; }
    int sampleCount() const { return static_cast<int>(samples_.size()); }
    const std::vector<client::HeadroomSample>& samples() const { return samples_; }
    // The series as drawn: x in ms since the epoch; memory in GiB; risk as log10 of it.
    QLineSeries* memorySeries() const { return memory_; }
    QLineSeries* vcpuSeries() const { return vcpus_; }
    QLineSeries* riskSeries() const { return risk_; }
    QChartView* headroomView() const { return headroomView_; }
    QChartView* riskView() const { return riskView_; }

private:
    void redraw();
    void labelRiskAxis(int lowestDecade);

    std::vector<client::HeadroomSample> samples_;
    QDateTime newest_;
    double target_ = 0;
    QChart* headroom_ = nullptr;
    QChart* riskChart_ = nullptr;
    QChartView* headroomView_ = nullptr;
    QChartView* riskView_ = nullptr;
    QLineSeries* memory_ = nullptr;
    QLineSeries* vcpus_ = nullptr;
    QLineSeries* risk_ = nullptr;
    QLineSeries* targetLine_ = nullptr;
    QDateTimeAxis* headroomTime_ = nullptr;
    QDateTimeAxis* riskTime_ = nullptr;
    QValueAxis* memoryAxis_ = nullptr;
    QValueAxis* vcpuAxis_ = nullptr;
    QCategoryAxis* riskAxis_ = nullptr;
};

}  // namespace understudy::gui

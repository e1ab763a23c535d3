#include "gui/online/headroom_history_chart.h"

#include <QHBoxLayout>
#include <QPen>
#include <QtCharts/QCategoryAxis>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QDateTimeAxis>
#include <QtCharts/QLegend>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>

#include "gui/widgets/chart_style.h"
#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

namespace {

const QColor kMemoryColor{0x3b, 0x82, 0xc4};
const QColor kVcpuColor{0xd0, 0x8a, 0x1c};
const QColor kRiskColor{0xb0, 0x30, 0x30};

double riskDecade(double risk) {
    return risk > 0 ? std::max<double>(HeadroomHistoryChart::kLowestDecade, std::log10(risk))
                    : HeadroomHistoryChart::kLowestDecade;
}

QDateTimeAxis* newTimeAxis() {
    auto* axis = new QDateTimeAxis;
    axis->setFormat(QStringLiteral("HH:mm"));
    axis->setTickCount(7);
    return axis;
}

QChartView* newView(QChart* chart, const QString& name, QWidget* parent) {
    auto* view = new QChartView(chart, parent);
    view->setObjectName(name);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(360, 200);
    return view;
}

// Round bounds around the values, so the axis does not jump at every sample.
std::pair<double, double> niceRange(double low, double high) {
    low = std::min(low, 0.0);
    high = std::max(high, low + 1);
    const double step = std::pow(10.0, std::floor(std::log10(high - low)));
    return {std::floor(low / step) * step, std::ceil(high / step) * step};
}

}  // namespace

HeadroomHistoryChart::HeadroomHistoryChart(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("headroomHistory"));
    headroom_ = styledChart(tr("Free after preemptable standbys"), palette());
    memory_ = styledLine(tr("Memory (GiB)"), kMemoryColor, Qt::SolidLine);
    vcpus_ = styledLine(tr("vCPUs"), kVcpuColor, Qt::SolidLine);
    headroom_->addSeries(memory_);
    headroom_->addSeries(vcpus_);
    headroomTime_ = newTimeAxis();
    headroom_->addAxis(headroomTime_, Qt::AlignBottom);
    memoryAxis_ = new QValueAxis;
    memoryAxis_->setTitleText(tr("GiB"));
    memoryAxis_->setLabelFormat(QStringLiteral("%.0f"));
    headroom_->addAxis(memoryAxis_, Qt::AlignLeft);
    vcpuAxis_ = new QValueAxis;
    vcpuAxis_->setTitleText(tr("vCPUs"));
    vcpuAxis_->setLabelFormat(QStringLiteral("%.0f"));
    headroom_->addAxis(vcpuAxis_, Qt::AlignRight);
    memory_->attachAxis(headroomTime_);
    memory_->attachAxis(memoryAxis_);
    vcpus_->attachAxis(headroomTime_);
    vcpus_->attachAxis(vcpuAxis_);

    riskChart_ = styledChart(tr("Denial risk within 24 h"), palette());
    risk_ = styledLine(tr("Denial risk"), kRiskColor, Qt::SolidLine);
    targetLine_ = styledLine(tr("Target"), kRiskColor.lighter(150), Qt::DashLine);
    riskChart_->addSeries(risk_);
    riskChart_->addSeries(targetLine_);
    riskTime_ = newTimeAxis();
    riskChart_->addAxis(riskTime_, Qt::AlignBottom);
    riskAxis_ = new QCategoryAxis;
    riskAxis_->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    // A category's label is cut to the category's height by default: "1 in 10,000" became "…".
    riskAxis_->setTruncateLabels(false);
    riskChart_->addAxis(riskAxis_, Qt::AlignLeft);
    for (QLineSeries* series : {risk_, targetLine_}) {
        series->attachAxis(riskTime_);
        series->attachAxis(riskAxis_);
    }

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    headroomView_ = newView(headroom_, QStringLiteral("headroomHistoryChart"), this);
    riskView_ = newView(riskChart_, QStringLiteral("denialRiskHistoryChart"), this);
    layout->addWidget(headroomView_, 1);
    layout->addWidget(riskView_, 1);
    redraw();
}

void HeadroomHistoryChart::append(const std::vector<client::HeadroomSample>& samples) {
    for (const client::HeadroomSample& sample : samples) {
        if (!newest_.isValid() || sample.time > newest_) {
            samples_.push_back(sample);
            newest_ = sample.time;
        }
    }
    const QDateTime start = newest_.addSecs(-3600LL * kShownHours);
    samples_.erase(samples_.begin(),
                   std::find_if(samples_.begin(), samples_.end(),
                                [&](const client::HeadroomSample& s) { return s.time >= start; }));
    redraw();
}

void HeadroomHistoryChart::clear() {
    samples_.clear();
    newest_ = QDateTime();
    redraw();
}

void HeadroomHistoryChart::setTargetRisk(double target) {
    if (target != target_) {
        target_ = target;
        redraw();
    }
}

void HeadroomHistoryChart::setColors(const QPalette& palette) {
    for (QChart* chart : {headroom_, riskChart_}) {
        chart->setBackgroundBrush(palette.brush(QPalette::Base));
        chart->setTitleBrush(palette.brush(QPalette::WindowText));
        chart->legend()->setLabelColor(palette.color(QPalette::WindowText));
        for (QAbstractAxis* axis : chart->axes()) {
            axis->setLabelsBrush(palette.brush(QPalette::WindowText));
            axis->setTitleBrush(palette.brush(QPalette::WindowText));
        }
    }
}

void HeadroomHistoryChart::redraw() {
    QList<QPointF> memory;
    QList<QPointF> vcpus;
    QList<QPointF> risk;
    double low = 0;
    double high = 1;
    double lowCpu = 0;
    double highCpu = 1;
    double lowestRisk = target_ > 0 ? riskDecade(target_) : -6;
    for (const client::HeadroomSample& sample : samples_) {
        const auto x = static_cast<double>(sample.time.toMSecsSinceEpoch());
        const double gib = static_cast<double>(sample.free_memory_mib) / 1024.0;
        const auto cpus = static_cast<double>(sample.free_vcpus);
        memory.append({x, gib});
        vcpus.append({x, cpus});
        risk.append({x, riskDecade(sample.denial_risk)});
        low = std::min(low, gib);
        high = std::max(high, gib);
        lowCpu = std::min(lowCpu, cpus);
        highCpu = std::max(highCpu, cpus);
        lowestRisk = std::min(lowestRisk, riskDecade(sample.denial_risk));
    }
    memory_->replace(memory);
    vcpus_->replace(vcpus);
    risk_->replace(risk);
    const QDateTime end = newest_.isValid() ? newest_ : QDateTime::currentDateTimeUtc();
    const QDateTime begin = samples_.empty() ? end.addSecs(-3600) : samples_.front().time;
    const QDateTime shownBegin = begin < end ? begin : end.addSecs(-60);
    for (QDateTimeAxis* axis : {headroomTime_, riskTime_}) {
        axis->setRange(shownBegin.toLocalTime(), end.toLocalTime());
        const qint64 span = shownBegin.secsTo(end);
        axis->setFormat(span > 20 * 3600 ? QStringLiteral("ddd HH:mm")
                        : span > 600     ? QStringLiteral("HH:mm")
                                         : QStringLiteral("HH:mm:ss"));
    }
    const auto [memoryLow, memoryHigh] = niceRange(low, high);
    memoryAxis_->setRange(memoryLow, memoryHigh);
    const auto [cpuLow, cpuHigh] = niceRange(lowCpu, highCpu);
    vcpuAxis_->setRange(cpuLow, cpuHigh);
    QList<QPointF> target;
    if (target_ > 0) {
        target = {{static_cast<double>(shownBegin.toMSecsSinceEpoch()), riskDecade(target_)},
                  {static_cast<double>(end.toMSecsSinceEpoch()), riskDecade(target_)}};
    }
    targetLine_->replace(target);
    labelRiskAxis(static_cast<int>(std::floor(lowestRisk)) - 1);
    if (!samples_.empty()) {
        const client::HeadroomSample& last = samples_.back();
        setToolTip(tr("Now: %1 and %2 free; denial risk %3 within 24 h (%4)")
                       .arg(formatMemoryMib(last.free_memory_mib), formatVcpus(last.free_vcpus),
                            formatRisk(last.denial_risk), exactRisk(last.denial_risk)));
    }
}

// Decades written in the console's notation, "1 in 1,000" up to "1 in 10", up being riskier.
void HeadroomHistoryChart::labelRiskAxis(int lowestDecade) {
    lowestDecade = std::max(lowestDecade, static_cast<int>(kLowestDecade));
    for (const QString& label : riskAxis_->categoriesLabels()) {
        riskAxis_->remove(label);
    }
    const int step = lowestDecade < -6 ? 2 : 1;
    std::vector<int> decades;
    for (int decade = 0; decade >= lowestDecade; decade -= step) {
        decades.push_back(decade);
    }
    // A category axis takes its labels in increasing order, from its start value.
    riskAxis_->setStartValue(decades.back());
    for (auto decade = decades.rbegin(); decade != decades.rend(); ++decade) {
        riskAxis_->append(*decade == 0 ? tr("certain") : formatRisk(std::pow(10.0, *decade)),
                          *decade);
    }
    riskAxis_->setRange(decades.back(), 0);
}

}  // namespace understudy::gui

#include "gui/offline/sizing_charts.h"

#include <QFont>
#include <QFontMetricsF>
#include <QtCharts/QBarCategoryAxis>
#include <QtCharts/QBarSet>
#include <QtCharts/QHorizontalStackedBarSeries>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>

#include "gui/widgets/chart_style.h"
#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

using sizing::Resource;

namespace {

// Mid-saturation colours that keep their contrast on white and on a dark grey.
const QColor kCapacity(0x3b, 0x82, 0xc4);
const QColor kStandby(0x7f, 0x8f, 0xa6);
const QColor kOk(0x3a, 0xa0, 0x5a);
const QColor kOver(0xd9, 0x3f, 0x3f);
const QColor kBaseline(0xc9, 0x9a, 0x2e);
const QColor kNoOverbooking(0x9a, 0x7f, 0xc4);
const QColor kCurve(0x2f, 0x9f, 0xb0);

constexpr int kMaxCurvePoints = 1200;
constexpr double kLowestShownProbability = 1e-18;

// Memory is charted in GiB so the axis reads like the labels.
double chartUnits(Resource resource, double amount) {
    return resource == Resource::memory_mib ? amount / 1024.0 : amount;
}

QString axisTitle(Resource resource) {
    return resource == Resource::memory_mib ? QObject::tr("Memory (GiB, usable)")
                                            : QObject::tr("vCPUs (usable, after overcommit)");
}

void styleAxis(QAbstractAxis* axis, const QPalette& palette) {
    QColor grid = palette.color(QPalette::WindowText);
    grid.setAlpha(40);
    axis->setLabelsBrush(palette.brush(QPalette::WindowText));
    axis->setTitleBrush(palette.brush(QPalette::WindowText));
    axis->setGridLineColor(grid);
    axis->setLinePenColor(grid);
    axis->setMinorGridLineColor(QColor(grid.red(), grid.green(), grid.blue(), 18));
}

struct LogRange {
    double low = kLowestShownProbability;
    double high = 1.0;
};

QLogValueAxis* probabilityAxis(const QString& title, const LogRange& range,
                               const QPalette& palette) {
    auto* axis = new QLogValueAxis;
    // A tick per decade up to eight decades, then every second or third one, so the labels
    // never crowd into ellipses.
    const double decades = std::log10(range.high / range.low);
    axis->setBase(decades > 16.0 ? 1000.0 : decades > 8.0 ? 100.0 : 10.0);
    axis->setLabelFormat(QStringLiteral("%.0e"));
    axis->setTitleText(title);
    axis->setRange(range.low, range.high);
    // Minor ticks between decades only where a major tick is one decade; with wider steps
    // they would fill the plot with lines.
    axis->setMinorTickCount(axis->base() > 10.0 ? 0 : -1);
    styleAxis(axis, palette);
    return axis;
}

double decadeBelow(double value) {
    return std::pow(10.0, std::floor(std::log10(std::max(value, kLowestShownProbability))));
}

// A value axis from low to high with ticks at 1, 2 or 5 × 10^n, anchored at zero, so the
// labels read as round numbers.
QValueAxis* roundedAxis(double low, double high, const QString& title, const QPalette& palette) {
    auto* axis = new QValueAxis;
    const double raw = (high - low) / 5.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(std::max(raw, 1e-9))));
    double step = magnitude;
    for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
        step = factor * magnitude;
        if (step >= raw) {
            break;
        }
    }
    step = std::max(step, 1.0);
    axis->setRange(low, high);
    axis->setTickType(QValueAxis::TicksDynamic);
    axis->setTickAnchor(0.0);
    axis->setTickInterval(step);
    axis->setLabelFormat(QStringLiteral("%.0f"));
    axis->setTitleText(title);
    styleAxis(axis, palette);
    return axis;
}

}  // namespace

QChart* makeCapacityChart(const sizing::ApplianceResult& appliance,
                          const sizing::Baselines& baselines, Resource resource,
                          const QPalette& palette) {
    const sizing::ResourceFigures& figures = appliance.figures(resource);
    const auto index = static_cast<std::size_t>(resource);
    struct Bar {
        QString label;
        std::int64_t value;
        QColor color;
    };
    const auto requiredColor = [&](std::int64_t required) {
        return required <= figures.capacity ? kOk : kOver;
    };
    const std::vector<Bar> bars = {
        {QObject::tr("Usable capacity"), figures.capacity, kCapacity},
        {QObject::tr("Standby committed"), figures.standby_total, kStandby},
        {QObject::tr("Required for the target"), figures.required_capacity,
         requiredColor(figures.required_capacity)},
        {QObject::tr("Required, every cluster"), figures.required_capacity_per_cluster,
         requiredColor(figures.required_capacity_per_cluster)},
        {QObject::tr("Tolerate %1").arg(countOf(baselines.tolerate_k, QObject::tr("failover"))),
         baselines.tolerate_k_capacity[index], kBaseline},
        {QObject::tr("No overbooking"), baselines.no_overbooking[index], kNoOverbooking},
    };

    QChart* chart = styledChart(resourceTitle(resource), palette);
    auto* series = new QHorizontalStackedBarSeries;
    series->setBarWidth(0.7);
    QStringList categories;
    double largest = 1.0;
    // A horizontal bar chart draws its first category at the bottom: add them reversed so the
    // list reads top-down as above. One set per bar, zero elsewhere, gives each bar its colour.
    const std::size_t count = bars.size();
    for (std::size_t i = 0; i < count; ++i) {
        const Bar& bar = bars[count - 1 - i];
        categories << QStringLiteral("%1   %2").arg(bar.label, formatQuantity(resource, bar.value));
        auto* set = new QBarSet(bar.label);
        for (std::size_t j = 0; j < count; ++j) {
            *set << (j == i ? chartUnits(resource, static_cast<double>(bar.value)) : 0.0);
        }
        set->setColor(bar.color);
        set->setBorderColor(bar.color);
        series->append(set);
        largest = std::max(largest, chartUnits(resource, static_cast<double>(bar.value)));
    }
    chart->addSeries(series);
    auto* categoryAxis = new QBarCategoryAxis;
    categoryAxis->append(categories);
    styleAxis(categoryAxis, palette);
    categoryAxis->setGridLineVisible(false);
    chart->addAxis(categoryAxis, Qt::AlignLeft);
    series->attachAxis(categoryAxis);
    QValueAxis* valueAxis = roundedAxis(0.0, largest * 1.05, axisTitle(resource), palette);
    chart->addAxis(valueAxis, Qt::AlignBottom);
    series->attachAxis(valueAxis);
    chart->legend()->setVisible(false);
    return chart;
}

QChart* makeRiskCurveChart(const sizing::ResourceFigures& figures, double target, Resource resource,
                           const QPalette& palette) {
    QChart* chart = styledChart(
        QObject::tr("%1: overflow risk by capacity").arg(resourceTitle(resource)), palette);
    const sizing::DemandDistribution& distribution = figures.distribution;
    const std::vector<double> tail = distribution.tailProbabilities();
    // Down to the risk at the usable capacity or two decades below the target, whichever is
    // lower, so both the target line and where the appliance stands are on the chart.
    double lowest = std::min(target / 100.0, 1e-6);
    if (figures.overflow_risk > 0) {
        lowest = std::min(lowest, figures.overflow_risk / 10.0);
    }
    const LogRange range{std::max(decadeBelow(lowest), 1e-15), 1.0};

    auto* curve = styledLine(QObject::tr("P(demand > capacity)"), kCurve, Qt::SolidLine);
    double xMax = chartUnits(resource, static_cast<double>(figures.capacity));
    double xMin = chartUnits(resource, static_cast<double>(distribution.base));
    const std::size_t size = tail.size();
    const std::size_t stride = std::max<std::size_t>(1, size / kMaxCurvePoints);
    double lastShown = 0;
    for (std::size_t k = 0; k < size; k += stride) {
        if (tail[k] < range.low) {
            break;
        }
        const double x = chartUnits(resource, static_cast<double>(distribution.demandAt(k)));
        // Steps, not slopes: the risk holds until the next demand value.
        if (curve->count() > 0) {
            curve->append(x, curve->at(curve->count() - 1).y());
        }
        curve->append(x, tail[k]);
        lastShown = x;
    }
    xMax = std::max(xMax, lastShown);
    xMax = std::max(xMax, chartUnits(resource, static_cast<double>(figures.required_capacity)));
    xMax *= 1.05;
    if (xMax <= xMin) {
        xMax = xMin + 1.0;
    }

    auto* targetLine =
        styledLine(QObject::tr("Target %1").arg(formatRisk(target)), kOver, Qt::DashLine);
    targetLine->append(xMin, target);
    targetLine->append(xMax, target);
    const double capacityX = chartUnits(resource, static_cast<double>(figures.capacity));
    auto* capacityLine = styledLine(
        QObject::tr("Usable capacity %1").arg(formatQuantity(resource, figures.capacity)),
        kCapacity, Qt::SolidLine);
    capacityLine->append(capacityX, range.low);
    capacityLine->append(capacityX, range.high);
    const double requiredX = chartUnits(resource, static_cast<double>(figures.required_capacity));
    auto* requiredLine = styledLine(
        QObject::tr("Required %1").arg(formatQuantity(resource, figures.required_capacity)), kOk,
        Qt::DotLine);
    requiredLine->append(requiredX, range.low);
    requiredLine->append(requiredX, range.high);

    QValueAxis* xAxis = roundedAxis(xMin, xMax, axisTitle(resource), palette);
    chart->addAxis(xAxis, Qt::AlignBottom);
    QLogValueAxis* yAxis = probabilityAxis(QObject::tr("Overflow risk"), range, palette);
    chart->addAxis(yAxis, Qt::AlignLeft);
    for (QLineSeries* series : {curve, targetLine, capacityLine, requiredLine}) {
        chart->addSeries(series);
        series->attachAxis(xAxis);
        series->attachAxis(yAxis);
    }
    return chart;
}

QChart* makeDistributionChart(const sizing::ResourceFigures& figures, Resource resource,
                              const QPalette& palette) {
    QChart* chart =
        styledChart(QObject::tr("%1: demand distribution").arg(resourceTitle(resource)), palette);
    const sizing::DemandDistribution& distribution = figures.distribution;
    const std::size_t size = distribution.probability.size();
    const std::size_t bucket = std::max<std::size_t>(1, size / kMaxCurvePoints);

    // Demand takes discrete values: dots, since a line between them would suggest a density
    // and zigzag across the decades.
    auto* mass = new QScatterSeries;
    mass->setName(QObject::tr("P(demand = d)"));
    mass->setColor(kCurve);
    mass->setBorderColor(kCurve);
    mass->setMarkerShape(QScatterSeries::MarkerShapeCircle);
    mass->setMarkerSize(QFontMetricsF(QFont()).height() * 0.4);
    double smallest = 1.0;
    double xMax = chartUnits(resource, static_cast<double>(figures.capacity));
    const double xMin = chartUnits(resource, static_cast<double>(distribution.base));
    // Each bucket shows its largest mass, so a narrow peak survives the thinning.
    for (std::size_t start = 0; start < size; start += bucket) {
        double peak = 0;
        std::size_t at = start;
        for (std::size_t k = start; k < std::min(size, start + bucket); ++k) {
            if (distribution.probability[k] > peak) {
                peak = distribution.probability[k];
                at = k;
            }
        }
        if (peak < kLowestShownProbability) {
            continue;
        }
        const double x = chartUnits(resource, static_cast<double>(distribution.demandAt(at)));
        mass->append(x, peak);
        smallest = std::min(smallest, peak);
        xMax = std::max(xMax, x);
    }
    xMax = xMax > xMin ? xMax * 1.05 : xMin + 1.0;
    const LogRange range{decadeBelow(smallest), 1.0};

    const double capacityX = chartUnits(resource, static_cast<double>(figures.capacity));
    auto* capacityLine = styledLine(
        QObject::tr("Usable capacity %1").arg(formatQuantity(resource, figures.capacity)),
        kCapacity, Qt::SolidLine);
    capacityLine->append(capacityX, range.low);
    capacityLine->append(capacityX, range.high);

    QValueAxis* xAxis = roundedAxis(xMin, xMax, axisTitle(resource), palette);
    chart->addAxis(xAxis, Qt::AlignBottom);
    QLogValueAxis* yAxis = probabilityAxis(QObject::tr("Probability"), range, palette);
    chart->addAxis(yAxis, Qt::AlignLeft);
    for (QXYSeries* series : std::initializer_list<QXYSeries*>{mass, capacityLine}) {
        chart->addSeries(series);
        series->attachAxis(xAxis);
        series->attachAxis(yAxis);
    }
    return chart;
}

}  // namespace understudy::gui

#include "gui/widgets/chart_style.h"

#include <QFont>
#include <QPen>
#include <QtCharts/QLegend>

namespace understudy::gui {

QChart* styledChart(const QString& title, const QPalette& palette) {
    auto* chart = new QChart;
    chart->setTitle(title);
    QFont titleFont = chart->titleFont();
    titleFont.setBold(true);
    chart->setTitleFont(titleFont);
    chart->setTitleBrush(palette.brush(QPalette::WindowText));
    chart->setBackgroundBrush(palette.brush(QPalette::Base));
    chart->setBackgroundRoundness(0);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->legend()->setLabelColor(palette.color(QPalette::WindowText));
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setAnimationOptions(QChart::NoAnimation);
    return chart;
}

QLineSeries* styledLine(const QString& name, const QColor& color, Qt::PenStyle style) {
    auto* series = new QLineSeries;
    series->setName(name);
    QPen pen(color);
    pen.setWidthF(2.0);
    pen.setStyle(style);
    pen.setCosmetic(true);
    series->setPen(pen);
    return series;
}

}  // namespace understudy::gui

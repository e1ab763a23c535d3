// How the console draws its charts, offline and online alike: one look, in either palette.
#pragma once

#include <QColor>
#include <QPalette>
#include <QString>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>

namespace understudy::gui {

// A chart titled in bold, drawn in `palette`'s colours, legend below, without animation.
QChart* styledChart(const QString& title, const QPalette& palette);

// A two-pixel line in `color`, as wide at any zoom.
QLineSeries* styledLine(const QString& name, const QColor& color, Qt::PenStyle style);

}  // namespace understudy::gui

// The sizing view's charts, built from one appliance's result: capacity against what the
// policies need, the risk-versus-capacity curve and the demand distribution. Colours are chosen
// to read on the light and the dark palette; every value also appears as text (labels, axis),
// so nothing depends on colour alone.
#pragma once

#include <QPalette>
#include <QtCharts/QChart>

#include "sizing/sizing_result.h"

namespace understudy::gui {

// Bars per resource: usable capacity, standby committed, required for the fleet's risk,
// required for every cluster's risk when active, the tolerate-k and no-overbooking baselines.
QChart* makeCapacityChart(const sizing::ApplianceResult& appliance,
                          const sizing::Baselines& baselines, sizing::Resource resource,
                          const QPalette& palette);

// P(demand > c) against c on a log axis, with the target risk, the usable capacity and the
// required capacity marked.
QChart* makeRiskCurveChart(const sizing::ResourceFigures& figures, double target,
                           sizing::Resource resource, const QPalette& palette);

// P(demand = d) on a log axis, with the usable capacity marked.
QChart* makeDistributionChart(const sizing::ResourceFigures& figures, sizing::Resource resource,
                              const QPalette& palette);

}  // namespace understudy::gui

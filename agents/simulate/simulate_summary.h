// What understudy-simulate reports after a run: per appliance the model's overflow share
// against the sizing engine's risk, per cluster its failovers, and against a service the
// takeovers, their times and the service's own count of events; as JSON with --json, else as
// tables for people.
#pragma once

#include <QString>
#include <QTextStream>
#include <map>
#include <string>
#include <vector>

#include "agents/simulate/fleet_simulation.h"
#include "agents/simulate/simulate_options.h"
#include "agents/simulate/simulation_driver.h"
#include "sizing/fleet.h"

namespace understudy::simulate {

struct RunOutcome {
    const sizing::Fleet& fleet;
    const FleetSimulation& simulation;
    std::vector<QString> nodes;                    // per fleet cluster; empty with --model-only
    const DriverRecord* record;                    // null with --model-only
    std::map<std::string, qint64> service_events;  // per event kind, for the run's nodes
};

// `url` is the service's (unused with --model-only).
void writeSummary(const Options& options, const QString& url, const RunOutcome& run,
                  QTextStream& out);

}  // namespace understudy::simulate

// understudy-simulate's command line (understudy-simulate(1)): plays a fleet file's clusters
// against a running service, or only in virtual time with --model-only, and summarizes what
// happened for people or, with --json, for scripts.
//
// Decisions where the contract is silent:
// - --time-scale F: F simulated seconds pass per wall-clock second (default 86400, a day per
//   second). A run ends after --hours H simulated hours or --wall S wall seconds, whichever
//   comes first; against a service at least one is required, --model-only requires --hours.
// - Clusters map to the service's by name; one that is not registered is an error unless
//   --register is given, which registers those missing (and the groups they need) all or
//   nothing. Where a registered cluster's figures differ from the file's, the service's
//   are simulated (they are what it grants) and a warning says so. A node that is not standby at
//   the start is an error: the simulator must own every takeover of its nodes for its record to
//   mean anything.
// - The model's capacity against a service is each appliance's usable capacity minus what
//   foreign domains and the standby footprints of clusters outside the fleet file hold; with
//   --model-only it is the fleet file's appliances (several: the engine's proposed placement).
// - The engine's risk shown beside each share is sizing::size() of that appliance's clusters at
//   that capacity, so the two are comparable.
// - SIGINT or SIGTERM ends a run against a service early, as its end would: every node taken
//   over is released, the summary covers what was played (`"interrupted": true`), exit 0.
//   A second signal has its default effect.
// - Exit codes as understudyctl's: 0 done; 1 refused by the service (registration refused, a
//   node not standby); 2 bad usage or input; 3 not allowed; 4 not found; 5 unreachable or
//   failing (also when takeovers ended in errors or nodes could not be released).
#pragma once

#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTextStream>

namespace understudy::simulate {

QString simulateUsage();

// Runs one invocation (arguments without the program name) and gives its exit code. Needs a
// QCoreApplication. `default_ctl` is the understudyctl to run unless --ctl names another.
int runSimulate(const QStringList& arguments, const QProcessEnvironment& environment,
                const QString& default_ctl, QTextStream& out, QTextStream& err);

}  // namespace understudy::simulate

// understudy-simulate's options, read from its command line (the rules are in
// simulate_command.h).
#pragma once

#include <QString>
#include <QStringList>
#include <cstdint>
#include <optional>

#include "agents/ctl/ctl_settings.h"

namespace understudy::simulate {

struct Options {
    QString fleet_file;
    std::optional<QString> groups_file;
    bool model_only = false;
    std::optional<double> hours;
    std::optional<double> wall_s;
    double time_scale = 86400;
    std::uint64_t seed = 1;
    int batches = 50;
    int concurrency = 8;
    double wait_s = 30;
    bool do_register = false;
    std::optional<QString> ctl;
    bool quiet = false;
    agents::GlobalOptions global;
};

struct UsageError {
    QString message;
};

// Fills `options` from the arguments (without the program name); with --help, only that.
std::optional<UsageError> parseOptions(const QStringList& args, Options& options);

}  // namespace understudy::simulate

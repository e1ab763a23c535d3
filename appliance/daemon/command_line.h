// understudyd's command line: `understudyd [--config FILE] [--demo] [--listen ADDR:PORT]
// [--database PATH]`. `--database` is made absolute against the current directory (paths in
// the file must be absolute instead: service_config.h).
#pragma once

#include <optional>
#include <string>

#include <QStringList>

#include "appliance/daemon/service_config.h"
#include "base/result.h"

namespace understudy::daemon {

struct CommandLine {
    std::optional<std::string> config;
    bool demo = false;
    std::optional<ListenAddress> listen;
    std::optional<std::string> database;  // made absolute
    bool help = false;
    bool version = false;
    bool operator==(const CommandLine&) const = default;
};

// `arguments` as QCoreApplication::arguments() gives them (the program first). Options take
// their value as the next argument or after `=`; each may be given once. Errors have code
// "invalid_option", name the option, and end with "; see understudyd --help".
Result<CommandLine> parseCommandLine(const QStringList& arguments);
std::string commandLineHelp();

}  // namespace understudy::daemon

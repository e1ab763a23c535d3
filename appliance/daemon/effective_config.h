// The settings understudyd runs with: the configuration file (service_config.h), or the
// embedded demo config, with the command line (command_line.h) on top.
//
// `--demo` without `--config` uses the embedded demo config (demoConfig) and ignores the
// default config file, so a demo never touches a real appliance. `--demo --config FILE` takes
// everything from FILE and adds the demo appliance only if FILE has none.
#pragma once

#include <optional>
#include <string>

#include "appliance/daemon/command_line.h"
#include "appliance/daemon/service_config.h"
#include "base/result.h"

namespace understudy::daemon {

inline constexpr char kDemoApplianceName[] = "demo";

// The embedded demo config: one appliance `demo` on the test driver with the given node file
// (test:///<absolute path>), recreate_missing on, the shipped domain template, a temporary
// database and every other setting at its default.
ServiceConfig demoConfig(const std::string& demo_node_file);

struct ConfigFile {
    std::string path;
    std::string text;
};

// The settings the daemon runs with: the file (or, for --demo without --config, the embedded
// demo config) with the command line on top. Outside demo mode the file must name at least
// one appliance. `file` is what the command line's --config (or the default path) holds;
// nothing only in demo mode without --config.
Result<ServiceConfig> effectiveConfig(const CommandLine& command_line,
                                      const std::optional<ConfigFile>& file,
                                      const std::string& demo_node_file);

// Reads the file effectiveConfig needs (--config, else `default_path` unless in demo mode)
// and calls it. An unreadable file is an "io" error naming it.
Result<ServiceConfig> loadEffectiveConfig(const CommandLine& command_line,
                                          const std::string& demo_node_file,
                                          const std::string& default_path = kDefaultConfigPath);

}  // namespace understudy::daemon

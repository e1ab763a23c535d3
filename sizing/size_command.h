// The command line of `understudy-size` (understudy-size(1)): parsing, and applying the options on
// top of the fleet file (options override the file's values).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "sizing/engine.h"
#include "sizing/fleet.h"

namespace understudy::sizing {

enum class OutputFormat { json, csv, html, pdf };

struct SizeCommand {
    std::string fleet_path;
    OutputFormat format = OutputFormat::json;
    std::optional<std::string> output;
    std::optional<std::string> groups_path;
    std::optional<double> target_risk;
    std::optional<std::int64_t> appliance_vcpus;
    std::optional<std::int64_t> appliance_memory_mib;
    std::optional<std::int64_t> reserve_vcpus;
    std::optional<std::int64_t> reserve_memory_mib;
    std::optional<double> cpu_overcommit;
    std::optional<int> tolerate_k;
    Method method = Method::exact;
    std::int64_t samples = 20'000;
    std::uint64_t seed = 1;
    bool help = false;
    bool version = false;
};

// Exit statuses of the command.
inline constexpr int kExitMeetsTarget = 0;
inline constexpr int kExitMissesTarget = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitCannotWrite = 3;

// Errors name the option ("--target-risk: ...").
Result<SizeCommand> parseSizeCommand(const std::vector<std::string>& arguments);
std::string sizeCommandUsage();

// The fleet with the command's overrides applied and checked again; errors name the option.
Result<Fleet> applyOverrides(Fleet fleet, const SizeCommand& command);
SizingOptions sizingOptionsFor(const SizeCommand& command);

}  // namespace understudy::sizing

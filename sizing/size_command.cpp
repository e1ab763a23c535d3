#include "sizing/size_command.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "sizing/fleet_file.h"

namespace understudy::sizing {
namespace {

Error usageError(const std::string& option, const std::string& message) {
    return Error{"usage", message + "; see understudy-size --help", option};
}

Result<std::int64_t> parseInteger(const std::string& option, const std::string& text,
                                  std::int64_t minimum, std::int64_t maximum) {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        return usageError(option, "expected a whole number, got '" + text + "'");
    }
    if (value < minimum || value > maximum) {
        return usageError(option, "must be between " + std::to_string(minimum) + " and " +
                                      std::to_string(maximum) + ", got " + text);
    }
    return value;
}

Result<double> parseNumber(const std::string& option, const std::string& text, double minimum,
                           double maximum) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
        return usageError(option, "expected a number, got '" + text + "'");
    }
    if (value < minimum || value > maximum) {
        return usageError(option, "must be between " + std::to_string(minimum) + " and " +
                                      std::to_string(maximum) + ", got " + text);
    }
    return value;
}

// Every option, and whether it takes a value.
const std::map<std::string, bool>& optionsTakingValue() {
    static const std::map<std::string, bool> kOptions = {{"--format", true},
                                                         {"--output", true},
                                                         {"--target-risk", true},
                                                         {"--appliance-vcpus", true},
                                                         {"--appliance-memory-mib", true},
                                                         {"--reserve-vcpus", true},
                                                         {"--reserve-memory-mib", true},
                                                         {"--cpu-overcommit", true},
                                                         {"--groups", true},
                                                         {"--tolerate", true},
                                                         {"--method", true},
                                                         {"--samples", true},
                                                         {"--seed", true},
                                                         {"--help", false},
                                                         {"--version", false}};
    return kOptions;
}

Status setFormat(SizeCommand& command, const std::string& option, const std::string& value) {
    static const std::map<std::string, OutputFormat> formats = {{"json", OutputFormat::json},
                                                                {"csv", OutputFormat::csv},
                                                                {"html", OutputFormat::html},
                                                                {"pdf", OutputFormat::pdf}};
    const auto found = formats.find(value);
    if (found == formats.end()) {
        return usageError(option, "must be json, csv, html or pdf, got '" + value + "'");
    }
    command.format = found->second;
    return Done{};
}

// The options that take a whole number.
Status setIntegerOption(SizeCommand& command, const std::string& option, const std::string& value) {
    static const std::map<std::string, std::pair<std::int64_t, std::int64_t>> ranges = {
        {"--appliance-vcpus", {1, kMaxVcpus}},
        {"--appliance-memory-mib", {1, kMaxMemoryMib}},
        {"--reserve-vcpus", {0, kMaxVcpus}},
        {"--reserve-memory-mib", {0, kMaxMemoryMib}},
        {"--tolerate", {0, kMaxTolerateK}},
        {"--samples", {1, 1'000'000'000}},
        {"--seed", {0, std::numeric_limits<std::int64_t>::max()}}};
    const auto [minimum, maximum] = ranges.at(option);
    auto parsed = parseInteger(option, value, minimum, maximum);
    if (!parsed)
        return parsed.error();
    if (option == "--appliance-vcpus")
        command.appliance_vcpus = *parsed;
    if (option == "--appliance-memory-mib")
        command.appliance_memory_mib = *parsed;
    if (option == "--reserve-vcpus")
        command.reserve_vcpus = *parsed;
    if (option == "--reserve-memory-mib")
        command.reserve_memory_mib = *parsed;
    if (option == "--tolerate")
        command.tolerate_k = static_cast<int>(*parsed);
    if (option == "--samples")
        command.samples = *parsed;
    if (option == "--seed")
        command.seed = static_cast<std::uint64_t>(*parsed);
    return Done{};
}

// An option that takes a value, with its value.
Status setOption(SizeCommand& command, const std::string& option, const std::string& value) {
    if (option == "--format") {
        return setFormat(command, option, value);
    }
    if (option == "--output") {
        if (value.empty()) {
            return usageError(option, "needs a file name");
        }
        command.output = value;
    } else if (option == "--groups") {
        command.groups_path = value;
    } else if (option == "--method") {
        if (value != "exact" && value != "montecarlo") {
            return usageError(option, "must be exact or montecarlo, got '" + value + "'");
        }
        command.method = value == "exact" ? Method::exact : Method::montecarlo;
    } else if (option == "--target-risk") {
        auto parsed = parseNumber(option, value, 0.0, 1.0);
        if (!parsed)
            return parsed.error();
        command.target_risk = *parsed;
    } else if (option == "--cpu-overcommit") {
        auto parsed = parseNumber(option, value, 1e-9, kMaxCpuOvercommit);
        if (!parsed)
            return parsed.error();
        command.cpu_overcommit = *parsed;
    } else {
        return setIntegerOption(command, option, value);
    }
    return Done{};
}

// What the options leave to check: one fleet file, and a file for a PDF.
Result<SizeCommand> completed(SizeCommand command, const std::vector<std::string>& positional) {
    if (command.help || command.version) {
        return command;
    }
    if (positional.size() != 1) {
        return usageError("FLEET", positional.empty() ? "name one fleet file (.json or .csv)"
                                                      : "name exactly one fleet file");
    }
    command.fleet_path = positional[0];
    if (command.format == OutputFormat::pdf && !command.output) {
        return usageError("--format", "pdf needs --output FILE");
    }
    return command;
}

}  // namespace

std::string sizeCommandUsage() {
    return "usage: understudy-size FLEET [--format json|csv|html|pdf] [--output FILE]\n"
           "         [--target-risk E] [--appliance-vcpus N --appliance-memory-mib M]\n"
           "         [--reserve-vcpus N] [--reserve-memory-mib M] [--cpu-overcommit X]\n"
           "         [--groups FILE.csv] [--tolerate K] [--method exact|montecarlo]\n"
           "         [--samples N] [--seed S]\n"
           "\n"
           "Sizes a passive node appliance for a fleet of HA clusters (FLEET: .json or .csv)\n"
           "at a target overflow risk. Options override the fleet file's values. JSON goes to\n"
           "stdout unless --output names a file; pdf needs --output. Progress goes to stderr.\n"
           "Exit status: 0 every appliance meets the target with nothing unservable;\n"
           "1 computed otherwise; 2 bad input; 3 the result could not be written.\n";
}

Result<SizeCommand> parseSizeCommand(const std::vector<std::string>& arguments) {
    SizeCommand command;
    std::vector<std::string> positional;
    for (std::size_t k = 0; k < arguments.size(); ++k) {
        std::string argument = arguments[k];
        if (argument.size() < 2 || argument.rfind("--", 0) != 0) {
            if (argument == "-h") {
                command.help = true;
                continue;
            }
            if (!argument.empty() && argument[0] == '-' && argument != "-") {
                return usageError(argument, "unknown option");
            }
            positional.push_back(argument);
            continue;
        }
        std::string value;
        bool has_value = false;
        if (const auto equals = argument.find('='); equals != std::string::npos) {
            value = argument.substr(equals + 1);
            argument = argument.substr(0, equals);
            has_value = true;
        }
        const auto known = optionsTakingValue().find(argument);
        if (known == optionsTakingValue().end()) {
            return usageError(argument, "unknown option");
        }
        if (!known->second) {
            if (has_value) {
                return usageError(argument, "takes no value");
            }
            (argument == "--help" ? command.help : command.version) = true;
            continue;
        }
        if (!has_value) {
            if (k + 1 >= arguments.size()) {
                return usageError(argument, "needs a value");
            }
            value = arguments[++k];
        }
        if (Status set = setOption(command, argument, value); !set) {
            return set.error();
        }
    }
    return completed(std::move(command), positional);
}

Result<Fleet> applyOverrides(Fleet fleet, const SizeCommand& command) {
    if (command.target_risk)
        fleet.target_risk = *command.target_risk;
    if (command.cpu_overcommit)
        fleet.cpu_overcommit = *command.cpu_overcommit;
    if (command.tolerate_k)
        fleet.tolerate_k = *command.tolerate_k;
    const bool sets_appliance = command.appliance_vcpus || command.appliance_memory_mib;
    if (sets_appliance) {
        if (fleet.appliances.size() > 1) {
            return usageError("--appliance-vcpus/--appliance-memory-mib",
                              "the fleet has " + std::to_string(fleet.appliances.size()) +
                                  " appliances; these options describe a single one");
        }
        if (fleet.appliances.empty()) {
            if (!command.appliance_vcpus || !command.appliance_memory_mib) {
                return usageError(
                    command.appliance_vcpus ? "--appliance-memory-mib" : "--appliance-vcpus",
                    "the fleet names no appliance, so give both "
                    "--appliance-vcpus and --appliance-memory-mib");
            }
            fleet.appliances.push_back({"appliance", 0, 0, 0, 0});
        }
        if (command.appliance_vcpus)
            fleet.appliances[0].vcpus = *command.appliance_vcpus;
        if (command.appliance_memory_mib)
            fleet.appliances[0].memory_mib = *command.appliance_memory_mib;
    }
    for (auto& appliance : fleet.appliances) {
        if (command.reserve_vcpus)
            appliance.reserve_vcpus = *command.reserve_vcpus;
        if (command.reserve_memory_mib)
            appliance.reserve_memory_mib = *command.reserve_memory_mib;
    }
    if (Status checked = validateFleet(fleet, "options"); !checked) {
        return checked.error();
    }
    return fleet;
}

SizingOptions sizingOptionsFor(const SizeCommand& command) {
    SizingOptions options;
    options.method = command.method;
    options.samples = command.samples;
    options.seed = command.seed;
    options.proposed_reserve_vcpus = command.reserve_vcpus.value_or(0);
    options.proposed_reserve_memory_mib = command.reserve_memory_mib.value_or(0);
    return options;
}

}  // namespace understudy::sizing

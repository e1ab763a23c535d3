#include "agents/fence/fence_request.h"
#include "base/error_codes.h"

#include <array>
#include <exception>
#include <string>
#include <utility>

namespace understudy::agents {
namespace {

constexpr std::array<std::pair<FenceAction, const char*>, 8> kActionNames{{
    {FenceAction::on, "on"},
    {FenceAction::off, "off"},
    {FenceAction::reboot, "reboot"},
    {FenceAction::status, "status"},
    {FenceAction::list, "list"},
    {FenceAction::monitor, "monitor"},
    {FenceAction::metadata, "metadata"},
    {FenceAction::validate_all, "validate-all"},
}};

std::string trim(const std::string& text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r");
    return text.substr(first, last - first + 1);
}

Result<int> parseTimeout(const std::string& value, const std::string& where) {
    int seconds = 0;
    std::size_t used = 0;
    try {
        seconds = std::stoi(value, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != value.size() || seconds < 1 || seconds > 3600) {
        return Error{
            "invalid_field",
            "power_timeout '" + value + "' is not a whole number of seconds from 1 to 3600", where};
    }
    return seconds;
}

// Applies one option shared by stdin and the command line; false when the name is unknown.
Result<bool> applyOption(FenceRequest& request, const std::string& name, const std::string& value,
                         const std::string& where) {
    if (name == "action" || name == "option") {
        auto action = parseFenceAction(value);
        if (!action) {
            return Error{errc::kInvalidField, action.error().message, where + ": " + name};
        }
        request.action = *action;
    } else if (name == "url") {
        request.url = value;
    } else if (name == "plug" || name == "port") {
        request.plug = value;
    } else if (name == "token_file") {
        request.token_file = value;
    } else if (name == "password" || name == "passwd") {
        request.password = value;
    } else if (name == "password_script" || name == "passwd_script") {
        request.password_script = value;
    } else if (name == "power_timeout") {
        auto seconds = parseTimeout(value, where + ": " + name);
        if (!seconds) {
            return seconds.error();
        }
        request.power_timeout_s = *seconds;
    } else {
        return false;
    }
    return true;
}

}  // namespace

const char* fenceActionName(FenceAction action) {
    for (const auto& [known, name] : kActionNames) {
        if (known == action) {
            return name;
        }
    }
    return "?";
}

Result<FenceAction> parseFenceAction(const std::string& text) {
    for (const auto& [action, name] : kActionNames) {
        if (text == name) {
            return action;
        }
    }
    // Older fencers say "poweron"/"poweroff" (fence-agents accepts them as aliases).
    if (text == "poweron") {
        return FenceAction::on;
    }
    if (text == "poweroff") {
        return FenceAction::off;
    }
    return Error{errc::kInvalidField,
                 "unknown action '" + text +
                     "'; use on, off, reboot, status, list, monitor, metadata or validate-all",
                 "action"};
}

Result<FenceRequest> parseFenceStdin(std::istream& in) {
    FenceRequest request;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        const std::string text = trim(line);
        if (text.empty() || text.front() == '#') {
            continue;
        }
        const auto equals = text.find('=');
        const std::string where = "stdin:" + std::to_string(number);
        if (equals == std::string::npos || equals == 0) {
            return Error{errc::kInvalidField, "expected a name=value line", where};
        }
        const std::string name = trim(text.substr(0, equals));
        const std::string value = trim(text.substr(equals + 1));
        // Pacemaker's fencer adds nodename (the target's name in the cluster) to every action
        // aimed at a node; plug (or port) names the node here, so it is ignored without a
        // warning, as fence-agents do.
        if (name == "nodename") {
            continue;
        }
        auto known = applyOption(request, name, value, where);
        if (!known) {
            return known.error();
        }
        if (!*known) {
            request.warnings.push_back(where + ": ignoring unknown option '" + name + "'");
        }
    }
    return request;
}

Result<FenceRequest> parseFenceCommandLine(const std::vector<std::string>& arguments) {
    // fence-agents' long option names use '-' where the stdin names use '_'.
    static const std::array<std::pair<const char*, const char*>, 8> kLong{{
        {"--action", "action"},
        {"--url", "url"},
        {"--plug", "plug"},
        {"--token-file", "token_file"},
        {"--password", "password"},
        {"--password-script", "password_script"},
        {"--power-timeout", "power_timeout"},
        {"--port", "plug"},
    }};
    static const std::array<std::pair<const char*, const char*>, 4> kShort{{
        {"-o", "action"},
        {"-n", "plug"},
        {"-p", "password"},
        {"-S", "password_script"},
    }};
    FenceRequest request;
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        const std::string& argument = arguments[i];
        if (argument == "-h" || argument == "--help") {
            request.help = true;
            continue;
        }
        if (argument == "-V" || argument == "--version") {
            request.version = true;
            continue;
        }
        const auto equals = argument.find('=');
        const std::string flag = argument.substr(0, equals);
        const char* name = nullptr;
        for (const auto& [known, option] : kLong) {
            if (flag == known) {
                name = option;
            }
        }
        for (const auto& [known, option] : kShort) {
            if (equals == std::string::npos && flag == known) {
                name = option;
            }
        }
        if (name == nullptr) {
            return Error{"usage", "unknown option '" + argument + "'; run fence_understudy --help",
                         "command line"};
        }
        std::string value;
        if (equals != std::string::npos) {
            value = argument.substr(equals + 1);
        } else if (i + 1 < arguments.size()) {
            value = arguments[++i];
        } else {
            return Error{"usage", "option " + flag + " needs a value", "command line"};
        }
        auto known = applyOption(request, name, value, "command line");
        if (!known) {
            return known.error();
        }
    }
    return request;
}

}  // namespace understudy::agents

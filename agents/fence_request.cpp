#include "agents/fence_request.h"

#include <array>
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
    return Error{"invalid_field",
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
            return Error{"invalid_field", "expected a name=value line", where};
        }
        const std::string name = trim(text.substr(0, equals));
        const std::string value = trim(text.substr(equals + 1));
        if (name == "action" || name == "option") {
            auto action = parseFenceAction(value);
            if (!action) {
                return Error{"invalid_field", action.error().message, where + ": " + name};
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
        } else {
            request.warnings.push_back(where + ": ignoring unknown option '" + name + "'");
        }
    }
    return request;
}

}  // namespace understudy::agents

#include "base/power_action.h"

#include <array>
#include <utility>

namespace understudy {
namespace {

constexpr std::array<std::pair<PowerAction, const char*>, 4> kNames{{
    {PowerAction::on, "on"},
    {PowerAction::off, "off"},
    {PowerAction::reboot, "reboot"},
    {PowerAction::status, "status"},
}};

}  // namespace

const char* powerActionName(PowerAction action) {
    for (const auto& [known, name] : kNames) {
        if (known == action) {
            return name;
        }
    }
    return "?";
}

std::optional<PowerAction> parsePowerAction(std::string_view name) {
    for (const auto& [action, known] : kNames) {
        if (name == known) {
            return action;
        }
    }
    return std::nullopt;
}

}  // namespace understudy

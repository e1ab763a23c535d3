// What a node's power can be asked to do, spelt once for the API's bodies, the service's events
// (fence.on, fence.off, fence.reboot), understudyctl's `power` and fence_understudy's actions.
#pragma once

#include <optional>
#include <string_view>

namespace understudy {

enum class PowerAction { on, off, reboot, status };

// The wire name: "on", "off", "reboot" or "status".
const char* powerActionName(PowerAction action);
// The action of a wire name; nothing for any other text (names are lower case).
std::optional<PowerAction> parsePowerAction(std::string_view name);

}  // namespace understudy

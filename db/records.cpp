#include "db/records.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <utility>

namespace understudy::db {

namespace {

constexpr std::array<std::pair<NodeState, std::string_view>, 9> kNodeStates = {{
    {NodeState::Standby, "standby"},
    {NodeState::TakingOver, "taking-over"},
    {NodeState::Active, "active"},
    {NodeState::Releasing, "releasing"},
    {NodeState::Preempted, "preempted"},
    {NodeState::Fenced, "fenced"},
    {NodeState::Stopped, "stopped"},
    {NodeState::Missing, "missing"},
    {NodeState::Drifted, "drifted"},
}};

}  // namespace

std::string_view nodeStateName(NodeState state) {
    for (const auto& [value, name] : kNodeStates) {
        if (value == state) {
            return name;
        }
    }
    return "standby";
}

std::optional<NodeState> parseNodeState(std::string_view name) {
    for (const auto& [value, text] : kNodeStates) {
        if (text == name) {
            return value;
        }
    }
    return std::nullopt;
}

std::string_view memoryModeName(MemoryMode mode) {
    return mode == MemoryMode::Reserved ? "reserved" : "balloon";
}

std::optional<MemoryMode> parseMemoryMode(std::string_view name) {
    if (name == "balloon") {
        return MemoryMode::Balloon;
    }
    if (name == "reserved") {
        return MemoryMode::Reserved;
    }
    return std::nullopt;
}

std::string_view failureModelName(FailureModel model) {
    return model == FailureModel::Observed ? "observed" : "declared";
}

std::optional<FailureModel> parseFailureModel(std::string_view name) {
    if (name == "declared") {
        return FailureModel::Declared;
    }
    if (name == "observed") {
        return FailureModel::Observed;
    }
    return std::nullopt;
}

const std::vector<std::string_view>& eventKinds() {
    static const std::vector<std::string_view> kinds = {
        "takeover.requested",
        "takeover.granted",
        "takeover.denied",
        "release",
        "preempted",
        "restored",
        "fence.on",
        "fence.off",
        "fence.reboot",
        "admission.accepted",
        "admission.refused",
        "admission.warned",
        "cluster.registered",
        "cluster.changed",
        "cluster.removed",
        "token.rotated",
        "node.missing",
        "node.drifted",
        "node.recreated",
        "probe.failed",
        "probe.recovered",
        "hook.failed",
        "hypervisor.disconnected",
        "hypervisor.connected",
        "service.started",
        "service.stopped",
        "appliance.unreachable",
        "appliance.reachable",
        "appliance.fenced",
        "appliance.lost",
        "appliance.rejoined",
        "node.evacuated",
        "node.stranded",
    };
    return kinds;
}

bool isEventKind(std::string_view kind) {
    const auto& kinds = eventKinds();
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

TimeMs nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string formatTime(TimeMs time) {
    const std::time_t seconds =
        static_cast<std::time_t>(time >= 0 ? time / 1000 : (time - 999) / 1000);
    const auto millis = time - static_cast<TimeMs>(seconds) * 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(millis));
    return buffer;
}

}  // namespace understudy::db

// Plain value types, one per table, as the repositories read and write them. Ids are the
// tables' integer keys; times are milliseconds since the Unix epoch, UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace understudy::db {

using Id = std::int64_t;
using TimeMs = std::int64_t;

struct Footprint {
    std::int64_t vcpus = 0;
    std::int64_t memoryMib = 0;
    bool operator==(const Footprint&) const = default;
};

struct DBAppliance {
    Id id = 0;
    std::string name;
    std::string uri;
    std::int64_t reserveMemoryMib = 0;
    std::int64_t reserveVcpus = 0;
    double cpuOvercommit = 1.0;
    bool operator==(const DBAppliance&) const = default;
};

struct DBGroup {
    Id id = 0;
    std::string name;
    double mtbfHours = 0;
    double mttrHours = 0;
    bool operator==(const DBGroup&) const = default;
};

enum class MemoryMode { Balloon, Reserved };
enum class FailureModel { Declared, Observed };

struct DBCluster {
    Id id = 0;
    std::string name;
    int priority = 0;
    double mtbfHours = 0;
    double mttrHours = 0;
    std::optional<Id> groupId;
    Footprint standby;
    Footprint active;
    MemoryMode memoryMode = MemoryMode::Balloon;
    FailureModel failureModel = FailureModel::Declared;
    // A digest of the cluster's token, in whatever format the service chooses, unique among
    // clusters; the token itself is never stored. Databases from before schema version 5 may
    // still hold salted hashes, "sha256$" followed by salt and digest, until each is replaced.
    std::string tokenHash;
    Id applianceId = 0;
    TimeMs registeredAt = 0;
    bool operator==(const DBCluster&) const = default;
};

enum class NodeState {
    Standby,
    TakingOver,
    Active,
    Releasing,
    Preempted,
    Fenced,
    Stopped,
    Missing,
    Drifted,
};

struct DBNode {
    Id id = 0;
    std::string name;
    Id clusterId = 0;
    // The one appliance that owns the domain: a passive domain never runs twice.
    Id applianceId = 0;
    std::string domain;
    std::optional<std::string> uuid;
    // Only a domain the service defined is undefined when its cluster is removed.
    bool definedByService = false;
    NodeState state = NodeState::Standby;
    TimeMs since = 0;
    bool operator==(const DBNode&) const = default;
};

// Resources handed to a node at takeover, held until release.
struct DBGrant {
    Id id = 0;
    Id nodeId = 0;
    std::int64_t memoryMib = 0;
    std::int64_t vcpus = 0;
    bool partial = false;
    // Nodes whose standby capacity was reclaimed for this grant.
    std::vector<Id> preemptedNodeIds;
    TimeMs grantedAt = 0;
    std::optional<TimeMs> releasedAt;
    bool operator==(const DBGrant&) const = default;
};

struct DBProbeResult {
    Id id = 0;
    Id clusterId = 0;
    TimeMs time = 0;
    bool ok = false;
    // Bounded to kMaxProbeOutputBytes on write.
    std::string output;
    bool operator==(const DBProbeResult&) const = default;
};

inline constexpr std::size_t kMaxProbeOutputBytes = 4096;

struct DBEvent {
    // Assigned by the log on append; ignored when appending.
    Id id = 0;
    TimeMs time = 0;
    std::string kind;
    std::optional<std::string> cluster;
    std::optional<std::string> node;
    // A JSON object as text, kind-specific; never a token.
    std::string details = "{}";
    // Who caused it (docs/http-api.md, "Events"): "admin" or "cluster:NAME" with "@ADDRESS" of
    // the client whose request caused it, or "service". Unknown (null) for events recorded before
    // schema version 4, which kept no actor.
    std::optional<std::string> actor;
    bool operator==(const DBEvent&) const = default;
};

struct DBClusterStats {
    Id clusterId = 0;
    std::int64_t failovers = 0;
    // Failovers that were released again; the open one, if any, is not among them.
    std::int64_t completedFailovers = 0;
    // Time spent failed over, the ongoing takeover included up to the time asked about.
    std::int64_t activeMs = 0;
    std::optional<TimeMs> lastFailover;
    // Set while a takeover is open.
    std::optional<TimeMs> activeSince;
    // Start of the observation window (the cluster's registration).
    TimeMs observedSince = 0;
    // The cluster's own failure model, once it holds kMinFailoversForObserved failovers.
    std::optional<double> observedMtbfHours;
    std::optional<double> observedMttrHours;
};

inline constexpr std::int64_t kMinFailoversForObserved = 3;

std::string_view nodeStateName(NodeState state);
std::optional<NodeState> parseNodeState(std::string_view name);
std::string_view memoryModeName(MemoryMode mode);
std::optional<MemoryMode> parseMemoryMode(std::string_view name);
std::string_view failureModelName(FailureModel model);
std::optional<FailureModel> parseFailureModel(std::string_view name);

// The event kinds of docs/http-api.md ("Events and long-polling"), in its order.
const std::vector<std::string_view>& eventKinds();
bool isEventKind(std::string_view kind);

TimeMs nowMs();
// ISO 8601 UTC with milliseconds, as the API writes times: 2026-11-26T05:17:32.123Z.
std::string formatTime(TimeMs time);

}  // namespace understudy::db

// The core's value types: what its operations take and answer (registrations, changes,
// outcomes, views, what-if). Plain data, apart from the ApplianceCore facade so that the core's
// parts, the API's decoders and its tests include them without the facade.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "appliance/policy/arbitration.h"
#include "appliance/policy/denial_risk.h"
#include "base/power_action.h"
#include "db/headroom_history.h"
#include "db/records.h"
#include "sizing/fleet.h"
#include "sizing/sizing_result.h"

namespace understudy::core {

// Who caused an operation, as the events it records say (docs/http-api.md, "Events"). A request
// acts for its token's owner, "admin" or "cluster:NAME", from the client's address; what the
// service does by itself (reconciliation, fencing, resuming an evacuation) has no address.
struct Actor {
    std::string who = "service";
    std::string address;
    // "who@address", or who alone when no request caused it.
    std::string text() const { return address.empty() ? who : who + "@" + address; }
};

struct ClusterRegistration {
    sizing::ClusterSpec spec;
    db::FailureModel failure_model = db::FailureModel::Declared;
    std::string appliance;   // empty: where the worst resulting risk is lowest
    std::string node;        // empty: <cluster>-passive
    std::string domain;      // adopt this existing domain; empty: define one from the template
    std::string token_hash;  // the service makes the token; only its hash is stored
};

// One cluster, or a fleet file's groups and clusters: registered all or nothing.
struct RegistrationRequest {
    std::vector<sizing::GroupSpec> groups;
    std::vector<ClusterRegistration> clusters;
};

struct ApplianceAdmission {
    std::string appliance;
    policy::AdmissionDecision decision;
};

struct RegisteredCluster {
    std::string cluster;
    std::string node;
    std::string appliance;
    std::string domain;
    bool defined_by_service = false;
};

// accepted false: refused by admission (API 409 admission_refused), nothing registered; the
// refusing appliances' decisions say why. Under admission = warn, warnings name what broke.
struct RegistrationOutcome {
    bool accepted = false;
    std::vector<ApplianceAdmission> admissions;
    std::vector<RegisteredCluster> clusters;
    std::vector<std::string> warnings;
};

// A PATCH of a cluster: what is set changes.
struct ClusterChange {
    std::optional<int> priority;
    std::optional<double> mtbf_hours;
    std::optional<double> mttr_hours;
    std::optional<std::string> group;  // "" leaves every group
    std::optional<sizing::Footprint> standby;
    std::optional<sizing::Footprint> active;
    std::optional<sizing::MemoryMode> memory_mode;
    std::optional<db::FailureModel> failure_model;
};

struct GroupChange {
    std::optional<double> mtbf_hours;
    std::optional<double> mttr_hours;
};

struct ChangeOutcome {
    bool accepted = false;
    std::vector<ApplianceAdmission> admissions;
    std::vector<std::string> warnings;
};

struct GrantView {
    sizing::Footprint footprint;  // the whole footprint granted, standby included
    bool partial = false;
    std::vector<std::string> preempted;
    db::TimeMs granted_at = 0;
};

// granted false: denied (API 409 takeover_denied) with the denial; nothing changed but the
// takeover.requested and takeover.denied events.
struct TakeoverOutcome {
    std::string node;
    bool granted = false;
    std::optional<GrantView> grant;
    std::optional<policy::Denial> denial;
};

enum class PowerState { on, off };

// Why an appliance is declared lost: an administrator (or the pool's alert agent) confirmed it
// is off, or the service powered it off with its fence_command.
struct LossCause {
    bool fenced_by_service = false;  // its fence_command answered 0
    Actor actor;                     // who declared it: a request's caller, or the service
};

struct EvacuatedNode {
    std::string node;
    std::string cluster;
    std::string to;
};

struct StrandedNode {
    std::string node;
    std::string cluster;
    std::string reason;
};

struct LossOutcome {
    std::string appliance;
    std::vector<EvacuatedNode> evacuated;
    std::vector<StrandedNode> stranded;
};

struct RejoinOutcome {
    std::string appliance;
    std::vector<std::string> removed;  // the stale domains destroyed and undefined
};

// How the service stands with an appliance (understudyd(8), "Appliance loss"): unreachable is
// only silence (its nodes may still run behind a partition); lost is known to be off.
enum class ApplianceState { connected, unreachable, lost };
const char* applianceStateName(ApplianceState state);

struct Readiness {
    bool ready = false;  // could take over at its full active footprint now
    bool partial_cpu = false;
    std::vector<std::string> would_preempt;
    std::string reason;
    std::optional<policy::Denial> denial;
};

// A node of the appliance that could not take over at its full size now.
struct NotReadyNode {
    std::string node;
    std::string cluster;
    Readiness readiness;
};

struct ApplianceStatus {
    std::string name;
    std::string uri;
    bool connected = false;
    ApplianceState state = ApplianceState::unreachable;
    std::optional<db::TimeMs> unreachable_since;
    std::string last_error;  // why it is disconnected
    double cpu_overcommit = 1.0;
    policy::Headroom headroom;
    std::array<double, sizing::kResourceCount> overflow_risk{};
    std::vector<NotReadyNode> not_ready;  // in the appliance's node order
    double denial_horizon_hours = policy::kDenialHorizonHours;
    double denial_risk = 0;  // P(a takeover denied within the horizon), given the grants now
};

// One sample of an appliance's headroom, for its history; the core fills in the appliance's id.
struct HeadroomSample {
    std::string appliance;
    db::DBHeadroomSample sample;
};

// An appliance's state alone, read from memory: cheap enough to poll.
struct ApplianceLink {
    std::string name;
    ApplianceState state = ApplianceState::unreachable;
    std::optional<db::TimeMs> unreachable_since;
};

struct ClusterStatus {
    sizing::ClusterSpec spec;
    db::FailureModel failure_model = db::FailureModel::Declared;
    std::string appliance;
    std::string node;
    std::string domain;
    db::TimeMs registered_at = 0;
};

struct NodeStatus {
    std::string name;
    std::string cluster;
    std::string appliance;
    std::string domain;
    db::NodeState state = db::NodeState::Standby;
    sizing::Footprint standby;
    sizing::Footprint active;
    // What libvirt reported at the last operation or reconciliation; empty when the domain is
    // not running or the appliance is disconnected.
    std::optional<sizing::Footprint> current;
    db::TimeMs since = 0;
    std::optional<GrantView> grant;
    bool defined_by_service = false;
};

struct WhatIfAddition {
    sizing::ClusterSpec spec;
    std::string appliance;  // empty: where the worst resulting risk is lowest
};

struct WhatIfRequest {
    std::vector<std::string> fail;  // clusters
    std::vector<WhatIfAddition> add;
    std::vector<std::string> remove;  // clusters
    // Host capacity per appliance name (before its reserve), instead of what libvirt reports.
    std::map<std::string, sizing::Footprint> capacity;
};

struct WhatIfFree {
    std::string appliance;
    sizing::Footprint free;
};

struct WhatIfOutcome {
    std::vector<policy::WhatIfTakeover> takeovers;
    // Per appliance, what stays free once the takeovers are decided (the free of now where none
    // was asked).
    std::vector<WhatIfFree> free_after;
    // Each appliance sized on its own with the clusters placed on it (pool: null).
    sizing::SizingResult sizing;
};

}  // namespace understudy::core

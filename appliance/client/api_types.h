// The API's resources as plain values (docs/http-api.md, "Resources"), as the client sees them.
// Decoding (api_json.h) ignores fields this client does not know, so a newer service that adds
// fields does not break it; a field that is missing or of the wrong type is an error.
#pragma once

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

namespace understudy::client {

// One resource of an appliance (memory in MiB, or vCPUs).
struct ResourceUsage {
    qint64 capacity = 0;  // usable: after the reserve; vCPUs times the overcommit, floored
    qint64 foreign = 0;   // held by domains the service does not own
    qint64 standby_committed = 0;
    qint64 granted = 0;  // held by active nodes above their standby footprint
    qint64 free = 0;
    double overbooking_ratio = 0;  // Σ active footprints / capacity
    double overflow_risk = 0;
};

// An appliance's `state` (docs/http-api.md): "connected", "unreachable" or "lost". A state this
// client does not know (a newer service's) is kept as the service wrote it, to be shown as is.
inline constexpr char kApplianceConnected[] = "connected";
inline constexpr char kApplianceUnreachable[] = "unreachable";
inline constexpr char kApplianceLost[] = "lost";

// A node that could not take over at full size now, as its readiness says.
struct NotReadyNode {
    QString node;
    QString cluster;
    QString reason;
    QStringList would_preempt;
    bool partial_cpu = false;
};

// The probability that at least one takeover on the appliance is denied within the horizon,
// given the grants held now: the risk of now, beside the steady-state overflow risk.
struct DenialRisk {
    double horizon_hours = 0;
    double value = 0;
};

struct Appliance {
    QString name;
    QString uri;
    bool connected = false;
    // From `connected` when a service older than the state answers: connected or unreachable.
    QString state;
    double cpu_overcommit = 1.0;
    ResourceUsage memory_mib;
    ResourceUsage vcpus;
    std::vector<NotReadyNode> not_ready;
    std::optional<DenialRisk> denial_risk;  // absent from a service older than the risk of now
};

// One sample of an appliance's history (docs/http-api.md, "Appliance history"): what the
// appliance said at `time`.
struct HeadroomSample {
    QDateTime time;  // UTC
    QString state;   // as Appliance::state
    qint64 free_memory_mib = 0;
    qint64 free_vcpus = 0;
    double denial_risk = 0;
    qint64 not_ready = 0;
};

struct ApplianceHistory {
    QString appliance;
    qint64 interval_s = 0;
    qint64 retention_hours = 0;
    std::vector<HeadroomSample> samples;  // oldest first
    bool truncated = false;
};

struct Group {
    QString name;
    double mtbf_hours = 0;
    double mttr_hours = 0;
    QStringList members;
};

struct Footprint {
    qint64 vcpus = 0;
    qint64 memory_mib = 0;
    friend bool operator==(const Footprint&, const Footprint&) = default;
};

struct Cluster {
    QString name;
    int priority = 0;
    double mtbf_hours = 0;
    double mttr_hours = 0;
    QString group;  // empty: in no group (absent, null or "")
    Footprint standby;
    Footprint active;
    QString memory_mode;    // "balloon" or "reserved"
    QString failure_model;  // "declared" or "observed"
    QString appliance;
    QString node;
    QString domain;
    std::optional<QString> token;  // only in the answer that registers it
};

// Clusters just registered, with their tokens, and the service's warnings under
// `admission = warn` (kept as JSON: their shape is the service's).
struct Registration {
    std::vector<Cluster> clusters;
    QJsonArray warnings;
};

struct Grant {
    qint64 memory_mib = 0;
    qint64 vcpus = 0;
    bool partial = false;
    QStringList preempted;  // only in a takeover answer
};

struct Node {
    QString name;
    QString cluster;
    QString appliance;
    QString domain;
    QString state;
    Footprint standby;
    Footprint active;
    // What libvirt reports now; absent (null on the wire) while the domain is missing.
    std::optional<Footprint> current;
    QDateTime since;
    std::optional<Grant> grant;  // while active
};

struct Event {
    qint64 id = 0;
    QDateTime time;
    QString kind;
    std::optional<QString> cluster;
    std::optional<QString> node;
    // "admin", "cluster:NAME" or "service", with "@ADDRESS" where a request caused it; empty
    // from a service older than the actor.
    QString actor;
    QJsonObject details;
};

struct EventPage {
    std::vector<Event> events;
    qint64 next = 0;
    bool truncated = false;
};

struct Holder {
    QString node;
    QString cluster;
    int priority = 0;
    QString state;
    qint64 holds = 0;
};

// Why a takeover was denied (docs/http-api.md, "Takeover and the denial").
struct Denial {
    QString resource;
    qint64 needed = 0;
    qint64 free = 0;
    std::vector<Holder> holders;
    QStringList preemptable;
    QStringList tried;
};

struct Unservable {
    QString cluster;
    QString resource;
    qint64 needed = 0;
    qint64 available = 0;
};

struct ResourceRisks {
    double memory_mib = 0;
    double vcpus = 0;
};

// The extra fields of a 409 `admission_refused`.
struct AdmissionRefusal {
    QString appliance;
    ResourceRisks overflow_risk;
    double target_risk = 0;
    std::vector<Unservable> unservable;
};

struct Readiness {
    bool ready = false;
    bool partial_cpu = false;
    QStringList would_preempt;
    QString reason;  // empty when null
};

struct Probe {
    QDateTime time;
    bool ok = false;
    QString output;
};

struct ClusterStats {
    qint64 failovers = 0;
    double active_hours = 0;
    QDateTime last_failover;  // invalid when unknown
    std::optional<double> observed_mtbf_hours;
    std::optional<double> observed_mttr_hours;
    std::optional<Probe> last_probe;
};

struct TakeoverGrant {
    QString node;
    Grant grant;
};

struct PowerState {
    QString power;  // "on" or "off"
};

struct WhatIfTakeover {
    QString node;
    QString outcome;  // granted, partial, preempts, denied
    QStringList preempted;
    std::optional<Denial> denial;
};

// Sizing output (understudy-size(1), OUTPUT), the parts a summary needs; `raw` has it all.
struct SizingResource {
    qint64 capacity = 0;
    qint64 standby_total = 0;
    qint64 active_total = 0;
    double overflow_risk = 0;
    qint64 required_capacity = 0;
    bool meets_target = false;
};

struct SizingCluster {
    QString name;
    double failover_probability = 0;
    ResourceRisks risk_when_active;
};

struct SizingAppliance {
    QString name;
    SizingResource memory_mib;
    SizingResource vcpus;
    std::vector<Unservable> unservable;
    std::vector<SizingCluster> clusters;
};

struct Sizing {
    QString method;
    bool exact = true;
    double target_risk = 0;
    std::vector<SizingAppliance> appliances;
    QJsonObject raw;
};

// What an appliance would have free once the what-if's takeovers are decided.
struct WhatIfFree {
    QString appliance;
    Footprint free;
};

struct WhatIfAnswer {
    std::vector<WhatIfTakeover> takeovers;
    std::vector<WhatIfFree> free_after;  // empty from a service that does not say
    Sizing sizing;
};

struct ApplianceLink {
    QString name;
    bool connected = false;
    QString state;  // as Appliance::state
};

struct Health {
    QString status;  // "ok" or "degraded"
    QString version;
    QString database;
    std::vector<ApplianceLink> appliances;
};

struct Evacuation {
    QString node;
    QString to;  // the surviving appliance it was started on
};

struct StrandedNode {
    QString node;
    QString reason;
};

// The answer to POST /appliances/{name}/lost: what became of the lost appliance's standby nodes.
struct ApplianceLoss {
    QString appliance;
    std::vector<Evacuation> evacuated;
    std::vector<StrandedNode> stranded;
};

// An answer with nothing in it (204, or an object this client does not need).
struct Empty {};

}  // namespace understudy::client

// Reconciliation: what the database says a node's domain should look like against what libvirt
// reports (understudyd(8): the service reconciles its database with libvirt at start, on every
// domain event and after every reconnect). Pure: the core gathers both sides and applies the
// verdict.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "appliance/hypervisor/hypervisor.h"
#include "appliance/hypervisor/node_lifecycle.h"
#include "db/records.h"

namespace understudy::core {

struct ExpectedDomain {
    db::NodeState state = db::NodeState::Standby;
    hypervisor::NodeMetadata metadata;
    // What a running node should hold now: its grant while it has one, else its standby.
    sizing::Footprint live;
};

struct ObservedDomain {
    hypervisor::DomainInfo info;
    std::optional<hypervisor::LiveFootprint> live;  // read for running domains
};

// Whether the node's state means its domain runs (standby, taking-over, active, releasing).
bool expectsRunning(db::NodeState state);

// What differs, one sentence each ("running: expected shut off, found running"); empty when
// the domain is as the database says. A drifted node is compared as a standby one, so an empty
// answer means it has come back.
std::vector<std::string> differences(const ExpectedDomain& expected,
                                     const ObservedDomain& observed);

}  // namespace understudy::core

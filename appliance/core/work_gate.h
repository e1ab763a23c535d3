// The order of work on one appliance's worker (see ApplianceSlot). Exclusive work runs alone,
// once nothing is in flight. Pipelined work (a takeover) begins as soon as no work on its node
// is in flight, and stays in flight until finish(); meanwhile further work begins. Work that
// cannot begin yet waits, and so does everything asked after it: the order asked is kept.
// Used on the worker's thread only.
#pragma once

#include <deque>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace understudy::core {

class WorkGate {
public:
    // Answers whether pipelined work must wait until nothing is in flight (the appliance's
    // model is stale and may only be rebuilt then).
    explicit WorkGate(std::function<bool()> needs_quiet) : needs_quiet_(std::move(needs_quiet)) {}

    // Exclusive work.
    void admit(std::function<void()> work);
    // Pipelined work on `node`; `begin` answers whether it left work in flight.
    void admit(std::string node, std::function<bool()> begin);
    // More nodes the work in flight holds (a takeover's victims).
    void hold(const std::vector<std::string>& nodes);
    // The work in flight on these nodes is done; lets waiting work begin.
    void finish(const std::vector<std::string>& nodes);

    bool inFlight(const std::string& node) const { return held_nodes_.count(node) != 0; }
    bool quiet() const { return in_flight_ == 0; }

private:
    struct Waiting {
        std::string node;  // empty: exclusive
        std::function<bool()> run;
    };
    void drain();

    std::function<bool()> needs_quiet_;
    int in_flight_ = 0;
    std::multiset<std::string> held_nodes_;
    std::deque<Waiting> waiting_;
};

}  // namespace understudy::core

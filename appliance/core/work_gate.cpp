#include "appliance/core/work_gate.h"

namespace understudy::core {

void WorkGate::admit(std::function<void()> work) {
    waiting_.push_back(Waiting{{}, [work = std::move(work)] {
                                   work();
                                   return false;
                               }});
    drain();
}

void WorkGate::admit(std::string node, std::function<bool()> begin) {
    waiting_.push_back(Waiting{std::move(node), std::move(begin)});
    drain();
}

void WorkGate::hold(const std::vector<std::string>& nodes) {
    for (const std::string& node : nodes) {
        held_nodes_.insert(node);
    }
}

void WorkGate::finish(const std::vector<std::string>& nodes) {
    --in_flight_;
    for (const std::string& node : nodes) {
        if (auto found = held_nodes_.find(node); found != held_nodes_.end()) {
            held_nodes_.erase(found);
        }
    }
    drain();
}

void WorkGate::drain() {
    while (!waiting_.empty()) {
        Waiting& next = waiting_.front();
        const bool exclusive = next.node.empty();
        const bool blocked =
            exclusive ? in_flight_ != 0
                      : held_nodes_.count(next.node) != 0 || (in_flight_ != 0 && needs_quiet_());
        if (blocked) {
            return;
        }
        Waiting running = std::move(next);
        waiting_.pop_front();
        if (exclusive) {
            running.run();
            continue;
        }
        // Counted once it has begun: while it decides, in_flight_ counts the others only.
        held_nodes_.insert(running.node);
        if (running.run()) {
            ++in_flight_;
        } else {
            held_nodes_.erase(held_nodes_.find(running.node));
        }
    }
}

}  // namespace understudy::core

// Takeover and release of passive nodes, with preemption of lower-priority standby nodes and their
// restoration when capacity returns (docs/http-api.md, "Takeover and the denial"). Runs on the
// node's appliance worker and decides on its model (ApplianceSlot): no database read on the way, no
// database lock held across a libvirt call.
//
// A takeover is reserved first (in the model at once, in the database by the commit queue),
// then applied through libvirt once the reservation is durable, then granted; the answer leaves
// only after the grant's commit. Between those steps the worker decides other takeovers (see
// ApplianceSlot). A failure after the reservation rolls back: the node shrinks to standby, the
// books go back, preempted nodes are restored where they fit.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <QPromise>

#include "appliance/core/appliance_slot.h"
#include "appliance/core/core_context.h"
#include "appliance/core/core_types.h"

namespace understudy::core {

class NodeOperations {
public:
    using TakeoverAnswer = std::shared_ptr<QPromise<Result<TakeoverOutcome>>>;

    explicit NodeOperations(CoreContext& context) : context_(context) {}

    // Queues a takeover on the node's appliance; the future answers after its commit. Its
    // events, and those of the preemptions it causes, are `actor`'s.
    QFuture<Result<TakeoverOutcome>> takeover(ApplianceSlot& slot, const std::string& name,
                                              const Actor& actor);
    // Exclusive work on the worker.
    Status release(ApplianceSlot& slot, const std::string& name, const Actor& actor);
    // Starts preempted nodes again, highest priority first, while they fit; `actor` freed the
    // room.
    void restorePreempted(ApplianceSlot& slot, const Actor& actor);

private:
    struct Pending;
    // Decides; answers whether the takeover is still in flight.
    bool beginTakeover(ApplianceSlot& slot, const std::string& name, const Actor& actor,
                       const TakeoverAnswer& answer);
    void reserveTakeover(ApplianceSlot& slot, NodeRow& row, const std::vector<NodeRow*>& victims,
                         const std::shared_ptr<Pending>& pending);
    void applyTakeover(ApplianceSlot& slot, const std::shared_ptr<Pending>& pending);
    void rollBack(ApplianceSlot& slot, const std::shared_ptr<Pending>& pending,
                  const Error& failure);
    // Runs `step` on the worker; when the worker is stopping, answers service_stopping.
    // `own`: the nodes the calling takeover holds in flight, which it may restore.
    void restorePreempted(ApplianceSlot& slot, const std::vector<std::string>& own,
                          const Actor& actor);
    void continueOnWorker(ApplianceSlot& slot, const std::shared_ptr<Pending>& pending,
                          std::function<void()> step);

    CoreContext& context_;
};

}  // namespace understudy::core

// The what-if on the LIVE fleet (online mode): the service's clusters, groups and appliances
// become the what-if panel's fleet, so the in-process engine answers at once as the admin
// edits, and the same edits (fail, add, remove, capacity) go to the service's
// POST /sizing/what-if, asked off the UI thread, debounced, with stale answers dropped.
//
// The in-process fleet sees each appliance as the service's engine does: its usable capacity
// less what foreign domains hold (reserve + usable − foreign), with the service's reserve and
// CPU overcommit. A capacity edit is sent as the host size that gives the same usable capacity
// once the service takes its reserve and the foreign load off again.
#pragma once

#include <QObject>
#include <QString>
#include <QTimer>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "appliance/client/api_client.h"
#include "base/result.h"
#include "sizing/fleet.h"

namespace understudy::gui {

class ServiceConnection;
struct LiveFleet;

struct LiveAppliance {
    std::string name;
    sizing::ApplianceSpec spec;  // as loaded: reserve + usable − foreign, the service's reserve
    sizing::Footprint foreign;   // held by domains the service does not own (usable units)
    double cpu_overcommit = 1.0;
    bool reserveKnown = true;  // false when the service's sizing did not list the appliance
};

struct LiveBaseline {
    sizing::Fleet fleet;
    std::vector<LiveAppliance> appliances;
    std::map<std::string, std::string> nodeOf;     // cluster → its passive node
    std::map<std::string, std::string> placement;  // cluster → the appliance its node is on
};

// The live fleet as a sizing fleet; an error when the service's data cannot make a valid one.
Result<LiveBaseline> liveBaseline(const LiveFleet& live, const std::vector<client::Group>& groups,
                                  const client::Sizing& sizing);

// The request that asks the service about `edited` (the baseline's fleet with the console's
// edits) with `failing` failed now. Clusters whose figures changed are removed and added again;
// only registered clusters are failed, as the service's what-if accepts no others.
client::WhatIfRequest liveWhatIfRequest(const LiveBaseline& baseline, const sizing::Fleet& edited,
                                        const std::set<std::string>& failing);

bool sameRequest(const client::WhatIfRequest& a, const client::WhatIfRequest& b);

class LiveWhatIf : public QObject {
    Q_OBJECT
public:
    explicit LiveWhatIf(ServiceConnection* connection, QObject* parent = nullptr);

    // Fetches GET /groups and GET /sizing beside the connection's copy of the fleet; `done`
    // runs once, with the baseline or an error a person can act on.
    void load(std::function<void(Result<LiveBaseline>)> done);
    // Asks the service once edits pause; a request equal to the last one asked is not sent
    // again.
    void ask(client::WhatIfRequest request);
    void forget();
    void setDebounceInterval(int milliseconds) { debounce_.setInterval(milliseconds); }

    // The request being asked (or last answered) and its generation.
    quint64 generation() const { return generation_; }
    bool waiting() const { return waiting_; }
    // Answers that arrived after the edits had changed again, and were not shown.
    int droppedAnswers() const { return dropped_; }

signals:
    void asking();
    // The request of `generation` went to the service.
    void sent(quint64 generation);
    void answered(quint64 generation, const understudy::client::WhatIfAnswer& answer);
    void failed(quint64 generation, const QString& message);

private:
    void send();
    void deliver(quint64 generation, client::ApiResult<client::WhatIfAnswer> answer);

    ServiceConnection* connection_;
    QTimer debounce_;
    std::optional<client::WhatIfRequest> last_;
    quint64 generation_ = 0;
    quint64 loads_ = 0;
    bool waiting_ = false;
    int dropped_ = 0;
};

}  // namespace understudy::gui

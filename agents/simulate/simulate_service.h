// understudy-simulate against a running service: connects with understudyctl's settings, maps
// the fleet file's clusters to the service's (registering those missing with --register),
// simulates the service's figures where they differ from the file's, and reads its event log.
#pragma once

#include <QProcessEnvironment>
#include <QString>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/ctl/ctl_settings.h"
#include "agents/simulate/fleet_simulation.h"
#include "agents/simulate/simulate_options.h"
#include "appliance/client/api_client.h"
#include "sizing/fleet.h"

namespace understudy::simulate {

// A run that cannot go on: its exit code and what to tell the user.
struct Failure {
    int code;
    QString message;
};

// What a service answered that the run needs.
struct ServicePlan {
    std::vector<QString> nodes;  // per fleet cluster
    std::vector<std::vector<std::size_t>> placement;
    std::vector<SimAppliance> appliances;
    qint64 first_event = 0;  // events after this one are the run's
};

class ServiceConnection {
public:
    // `progress` gets the lines worth telling while connecting (a registration, a difference).
    ServiceConnection(const Options& options, QProcessEnvironment environment,
                      std::function<void(const QString&)> progress);

    // Settings, token and client; the fleet's clusters as the service has them (`fleet` takes
    // the service's figures); a standby node of each on a known appliance, and the capacity
    // left to the fleet; where the event log stands.
    std::optional<Failure> connect(sizing::Fleet& fleet, ServicePlan& plan);

    // Per event kind, what the service logged for `nodes` after event `since`.
    client::ApiResult<std::map<std::string, qint64>> eventCounts(qint64 since,
                                                                 const std::vector<QString>& nodes);

    Failure apiFailure(const QString& what, const client::ApiError& error) const;

    const agents::CtlSettings& settings() const { return settings_; }

private:
    std::optional<Failure> openClient();
    std::optional<Failure> fetchClusters(const sizing::Fleet& fleet,
                                         std::vector<client::Cluster>& clusters);
    std::optional<Failure> registerMissing(const sizing::Fleet& fleet,
                                           const std::vector<client::Cluster>& known);
    std::optional<Failure> adoptServiceFigures(sizing::Fleet& fleet,
                                               const std::vector<client::Cluster>& clusters);
    std::optional<Failure> placeNodes(const sizing::Fleet& fleet, ServicePlan& plan);
    // Reads the event log after `since` page by page, each event through `visit`; gives the id
    // the log ends at.
    client::ApiResult<qint64> readEvents(qint64 since,
                                         const std::function<void(const client::Event&)>& visit);
    client::ApiResult<qint64> lastEventId();

    const Options& options_;
    QProcessEnvironment environment_;
    std::function<void(const QString&)> progress_;
    agents::CtlSettings settings_;
    std::unique_ptr<client::ApiClient> client_;
};

}  // namespace understudy::simulate

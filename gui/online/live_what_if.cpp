#include "gui/online/live_what_if.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QPointer>
#include <QThreadPool>
#include <algorithm>
#include <cmath>
#include <memory>

#include "appliance/client/cluster_spec.h"
#include "gui/online/api_error_text.h"
#include "gui/online/online_console.h"
#include "gui/online/service_connection.h"
#include "sizing/fleet_file.h"

Q_LOGGING_CATEGORY(lcLiveWhatIf, "understudy.console.whatif", QtInfoMsg)

namespace understudy::gui {

namespace {

constexpr int kDebounceMs = 150;

std::int64_t ceilDiv(std::int64_t value, double by) {
    return value <= 0 ? 0 : static_cast<std::int64_t>(std::ceil(static_cast<double>(value) / by));
}

const LiveAppliance* findAppliance(const LiveBaseline& baseline, const std::string& name) {
    const auto found =
        std::find_if(baseline.appliances.begin(), baseline.appliances.end(),
                     [&](const LiveAppliance& appliance) { return appliance.name == name; });
    return found == baseline.appliances.end() ? nullptr : &*found;
}

const sizing::ClusterSpec* findCluster(const sizing::Fleet& fleet, const std::string& name) {
    const auto found =
        std::find_if(fleet.clusters.begin(), fleet.clusters.end(),
                     [&](const sizing::ClusterSpec& cluster) { return cluster.name == name; });
    return found == fleet.clusters.end() ? nullptr : &*found;
}

// Like ApiClient::call, but the answer is decoded on a pool thread: the sizing of a large fleet
// takes tens of milliseconds to read, which the UI thread must not spend. `done` runs on the
// UI thread, and not at all once `context` is gone.
template <typename T>
void callOffThread(client::ApiClient* client, const client::ApiCall<T>& call, QObject* context,
                   std::function<void(client::ApiResult<T>)> done) {
    QPointer<QObject> guard(context);
    client->send(call.request, context,
                 [guard, decode = call.decode,
                  done = std::move(done)](client::ApiResult<client::ApiResponse> reply) {
                     auto response =
                         std::make_shared<client::ApiResult<client::ApiResponse>>(std::move(reply));
                     QThreadPool::globalInstance()->start([guard, decode, done, response] {
                         auto decoded = std::make_shared<client::ApiResult<T>>(
                             *response ? decode(response->value())
                                       : client::ApiResult<T>(response->error()));
                         // Posted to the application object, which outlives the context.
                         QMetaObject::invokeMethod(
                             QCoreApplication::instance(),
                             [guard, done, decoded] {
                                 if (guard != nullptr) {
                                     done(std::move(*decoded));
                                 }
                             },
                             Qt::QueuedConnection);
                     });
                 });
}

}  // namespace

Result<LiveBaseline> liveBaseline(const LiveFleet& live, const std::vector<client::Group>& groups,
                                  const client::Sizing& sizing) {
    LiveBaseline baseline;
    sizing::Fleet& fleet = baseline.fleet;
    fleet.target_risk = sizing.target_risk > 0 ? sizing.target_risk : fleet.target_risk;
    const QJsonArray sized = sizing.raw.value(QStringLiteral("appliances")).toArray();
    for (const client::Appliance& appliance : live.appliances) {
        LiveAppliance made;
        made.name = appliance.name.toStdString();
        made.cpu_overcommit = std::max(1.0, appliance.cpu_overcommit);
        made.foreign = {appliance.vcpus.foreign, appliance.memory_mib.foreign};
        made.spec.name = made.name;
        const auto listed = std::find_if(sized.begin(), sized.end(), [&](const QJsonValue& value) {
            return value.toObject().value(QStringLiteral("name")).toString() == appliance.name;
        });
        if (listed != sized.end()) {
            const QJsonObject spec = listed->toObject();
            made.spec.vcpus = spec.value(QStringLiteral("vcpus")).toInteger();
            made.spec.memory_mib = spec.value(QStringLiteral("memory_mib")).toInteger();
            made.spec.reserve_vcpus = spec.value(QStringLiteral("reserve_vcpus")).toInteger();
            made.spec.reserve_memory_mib =
                spec.value(QStringLiteral("reserve_memory_mib")).toInteger();
        } else {
            // The service sizes only appliances with clusters; its reserve is then unknown
            // here, so the usable capacity stands for the whole host.
            made.reserveKnown = false;
            made.spec.memory_mib = appliance.memory_mib.capacity - appliance.memory_mib.foreign;
            made.spec.vcpus = static_cast<std::int64_t>(
                static_cast<double>(appliance.vcpus.capacity - appliance.vcpus.foreign) /
                made.cpu_overcommit);
        }
        fleet.appliances.push_back(made.spec);
        baseline.appliances.push_back(std::move(made));
    }
    if (!baseline.appliances.empty()) {
        fleet.cpu_overcommit = baseline.appliances.front().cpu_overcommit;
    }
    for (const client::Group& group : groups) {
        fleet.groups.push_back({group.name.toStdString(), group.mtbf_hours, group.mttr_hours});
    }
    for (const client::Cluster& cluster : live.clusters) {
        fleet.clusters.push_back(clusterSpec(cluster));
        baseline.nodeOf[cluster.name.toStdString()] = cluster.node.toStdString();
        baseline.placement[cluster.name.toStdString()] = cluster.appliance.toStdString();
    }
    if (Status valid = sizing::validateFleet(fleet, "the service's fleet"); !valid) {
        return valid.error();
    }
    return baseline;
}

client::WhatIfRequest liveWhatIfRequest(const LiveBaseline& baseline, const sizing::Fleet& edited,
                                        const std::set<std::string>& failing) {
    client::WhatIfRequest request;
    for (const sizing::ClusterSpec& live : baseline.fleet.clusters) {
        const sizing::ClusterSpec* now = findCluster(edited, live.name);
        if (now == nullptr || !(*now == live)) {
            request.remove << QString::fromStdString(live.name);
        }
    }
    for (const sizing::ClusterSpec& cluster : edited.clusters) {
        const sizing::ClusterSpec* live = findCluster(baseline.fleet, cluster.name);
        if (live == nullptr || !(*live == cluster)) {
            request.add.append(clusterJson(cluster));
        }
    }
    // The service's what-if fails registered clusters only (a cluster added in the what-if is
    // failed in-process only).
    for (const std::string& name : failing) {
        if (findCluster(edited, name) != nullptr && findCluster(baseline.fleet, name) != nullptr) {
            request.fail << QString::fromStdString(name);
        }
    }
    for (const sizing::ApplianceSpec& spec : edited.appliances) {
        const LiveAppliance* live = findAppliance(baseline, spec.name);
        if (live == nullptr || spec == live->spec) {
            continue;
        }
        // The service takes its own reserve and the foreign load off the host size it is given.
        const std::int64_t memory = spec.memory_mib - spec.reserve_memory_mib +
                                    live->spec.reserve_memory_mib + live->foreign.memory_mib;
        const std::int64_t vcpus = spec.vcpus - spec.reserve_vcpus + live->spec.reserve_vcpus +
                                   ceilDiv(live->foreign.vcpus, live->cpu_overcommit);
        request.capacity.insert(
            QString::fromStdString(spec.name),
            QJsonObject{{QStringLiteral("memory_mib"), static_cast<qint64>(memory)},
                        {QStringLiteral("vcpus"), static_cast<qint64>(vcpus)}});
    }
    return request;
}

bool sameRequest(const client::WhatIfRequest& a, const client::WhatIfRequest& b) {
    return a.fail == b.fail && a.add == b.add && a.remove == b.remove && a.capacity == b.capacity;
}

LiveWhatIf::LiveWhatIf(ServiceConnection* connection, QObject* parent)
    : QObject(parent), connection_(connection) {
    debounce_.setSingleShot(true);
    debounce_.setInterval(kDebounceMs);
    connect(&debounce_, &QTimer::timeout, this, &LiveWhatIf::send);
}

void LiveWhatIf::load(std::function<void(Result<LiveBaseline>)> done) {
    client::ApiClient* client = connection_->client();
    if (client == nullptr || connection_->state() != ConnectionState::connected) {
        done(Error{"not_connected",
                   "the console is not connected to a service; connect first (Ctrl+K)", ""});
        return;
    }
    struct Pending {
        std::optional<std::vector<client::Group>> groups;
        std::optional<client::Sizing> sizing;
        std::optional<QString> error;
        int left = 2;
    };
    const quint64 load = ++loads_;
    auto pending = std::make_shared<Pending>();
    auto finish = [this, load, pending, done] {
        if (--pending->left > 0) {
            return;
        }
        if (load != loads_) {
            return;
        }
        if (pending->error) {
            done(Error{"service", pending->error->toStdString(), ""});
            return;
        }
        done(liveBaseline(connection_->fleet(), *pending->groups, *pending->sizing));
    };
    client->call<std::vector<client::Group>>(
        client::api::groups(), this,
        [pending, finish](client::ApiResult<std::vector<client::Group>> answer) {
            if (answer) {
                pending->groups = std::move(answer.value());
            } else {
                pending->error = tr("GET /groups failed: %1").arg(describeApiError(answer.error()));
            }
            finish();
        });
    callOffThread<client::Sizing>(
        client, client::api::sizing(), this,
        [pending, finish](client::ApiResult<client::Sizing> answer) {
            if (answer) {
                pending->sizing = std::move(answer.value());
            } else {
                pending->error = tr("GET /sizing failed: %1").arg(describeApiError(answer.error()));
            }
            finish();
        });
}

void LiveWhatIf::ask(client::WhatIfRequest request) {
    if (last_ && sameRequest(*last_, request)) {
        return;
    }
    last_ = std::move(request);
    ++generation_;
    waiting_ = true;
    emit asking();
    debounce_.start();
}

void LiveWhatIf::forget() {
    debounce_.stop();
    last_.reset();
    ++generation_;
    ++loads_;
    waiting_ = false;
}

void LiveWhatIf::deliver(quint64 generation, client::ApiResult<client::WhatIfAnswer> answer) {
    if (generation != generation_) {
        ++dropped_;
        qCDebug(lcLiveWhatIf) << "dropped the answer to edit" << generation << "; the what-if is at"
                              << generation_;
        return;
    }
    waiting_ = false;
    if (!answer) {
        last_.reset();
        emit failed(generation, describeApiError(answer.error()));
        return;
    }
    emit answered(generation, *answer);
}

void LiveWhatIf::send() {
    client::ApiClient* client = connection_->client();
    const quint64 generation = generation_;
    if (!last_) {
        return;
    }
    if (client == nullptr) {
        waiting_ = false;
        // Asked again once connected: the same edits must not count as answered.
        last_.reset();
        emit failed(generation, tr("not connected to the service"));
        return;
    }
    // The answer carries the sizing of the whole fleet.
    callOffThread<client::WhatIfAnswer>(
        client, client::api::whatIf(*last_), this,
        [this, generation](client::ApiResult<client::WhatIfAnswer> answer) {
            deliver(generation, std::move(answer));
        });
    emit sent(generation);
}

}  // namespace understudy::gui

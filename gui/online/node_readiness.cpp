#include "gui/online/node_readiness.h"

#include <QRegularExpression>
#include <algorithm>

#include "gui/online/service_connection.h"
#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

namespace {

bool holdsGrant(const client::Node& node) {
    return node.state == QLatin1String("active") || node.state == QLatin1String("taking-over");
}

const client::Appliance* applianceOf(const LiveFleet& fleet, const QString& name) {
    const auto found =
        std::find_if(fleet.appliances.begin(), fleet.appliances.end(),
                     [&](const client::Appliance& appliance) { return appliance.name == name; });
    return found == fleet.appliances.end() ? nullptr : &*found;
}

// What a standby node's readiness on `appliance` depends on: its state, what is free, and the
// states and grants of the nodes there.
QString signatureOf(const client::Appliance& appliance, const std::vector<client::Node>& nodes) {
    QString signature = QStringLiteral("%1/%2/%3")
                            .arg(appliance.state)
                            .arg(appliance.memory_mib.free)
                            .arg(appliance.vcpus.free);
    for (const client::Node& node : nodes) {
        if (node.appliance == appliance.name) {
            signature += QStringLiteral("|%1:%2:%3")
                             .arg(node.name, node.state)
                             .arg(node.grant ? node.grant->memory_mib : 0);
        }
    }
    return signature;
}

ReadyNow made(ReadyNow::Kind kind, const QString& text, const QString& reason) {
    ReadyNow ready;
    ready.kind = kind;
    ready.text = text;
    ready.reason = reason;
    return ready;
}

ReadyNow fromReadiness(bool ready, bool partial, const QStringList& preempt,
                       const QString& reason) {
    if (partial) {
        return made(ReadyNow::Kind::partial, NodeReadiness::tr("partial CPU"), reason);
    }
    if (!ready) {
        return made(ReadyNow::Kind::no, NodeReadiness::tr("no: %1").arg(shortfallText(reason)),
                    reason);
    }
    if (!preempt.isEmpty()) {
        return made(ReadyNow::Kind::preempting,
                    NodeReadiness::tr("by preempting %1").arg(preempt.join(QStringLiteral(", "))),
                    reason);
    }
    return made(ReadyNow::Kind::yes, NodeReadiness::tr("yes"), reason);
}

}  // namespace

Tone ReadyNow::tone() const {
    switch (kind) {
        case Kind::yes:
            return Tone::good;
        case Kind::preempting:
        case Kind::partial:
            return Tone::warning;
        case Kind::no:
            return Tone::critical;
        case Kind::active:
        case Kind::unknown:
            break;
    }
    return Tone::neutral;
}

QString shortfallText(const QString& reason) {
    static const QRegularExpression stated(QStringLiteral("short\\s+[0-9.,]+\\s*[A-Za-z]+"));
    static const QRegularExpression counted(
        QStringLiteral("not enough (\\w+): (\\d+) needed, (\\d+) free"));
    static const QRegularExpression nodeState(QStringLiteral("the node is ([\\w-]+)"));
    if (const auto match = stated.match(reason); match.hasMatch()) {
        return match.captured(0);
    }
    if (const auto match = counted.match(reason); match.hasMatch()) {
        const qint64 short_by = match.captured(2).toLongLong() - match.captured(3).toLongLong();
        return NodeReadiness::tr("short %1")
            .arg(match.captured(1) == QLatin1String("vcpus") ? formatVcpus(short_by)
                                                             : formatMemoryMib(short_by));
    }
    if (const auto match = nodeState.match(reason); match.hasMatch()) {
        return NodeReadiness::tr("node %1").arg(match.captured(1));
    }
    if (reason.contains(QLatin1String("stranded"))) {
        return NodeReadiness::tr("stranded");
    }
    for (const char* state : {client::kApplianceUnreachable, client::kApplianceLost}) {
        if (reason.contains(QLatin1String(state))) {
            return NodeReadiness::tr("appliance %1").arg(QLatin1String(state));
        }
    }
    return reason;
}

NodeReadiness::NodeReadiness(ServiceConnection* connection, QObject* parent)
    : QObject(parent), connection_(connection) {
    connect(connection_, &ServiceConnection::fleetChanged, this, &NodeReadiness::fleetChanged);
}

void NodeReadiness::fleetChanged() {
    const LiveFleet& fleet = connection_->fleet();
    if (connection_->client() == nullptr || fleet.appliances.empty()) {
        signatures_.clear();
        asked_.clear();
        return;
    }
    for (const client::Appliance& appliance : fleet.appliances) {
        const QString signature = signatureOf(appliance, fleet.nodes);
        if (signatures_[appliance.name] == signature) {
            continue;
        }
        signatures_[appliance.name] = signature;
        const quint64 generation = ++generations_[appliance.name];
        for (const client::Node& node : fleet.nodes) {
            if (node.appliance != appliance.name) {
                continue;
            }
            // Where the appliance lists who is not ready, an older answer only says whom a
            // ready node would preempt: kept until the new one comes, so that it does not
            // flicker. Otherwise it could say ready when the node no longer is.
            if (!appliance.denial_risk || node.state != QLatin1String("standby")) {
                asked_.erase(node.name);
            }
            if (node.state == QLatin1String("standby") &&
                appliance.state == QLatin1String(client::kApplianceConnected)) {
                ask(node.name, appliance.name, generation);
            }
        }
    }
    emit changed();
}

void NodeReadiness::ask(const QString& node, const QString& appliance, quint64 generation) {
    ++pending_;
    connection_->client()->call<client::Readiness>(
        client::api::readiness(node), this,
        [this, node, appliance, generation](client::ApiResult<client::Readiness> answer) {
            --pending_;
            if (!answer || generations_[appliance] != generation) {
                return;
            }
            asked_[node] = *answer;
            emit changed();
        });
}

ReadyNow NodeReadiness::of(const client::Node& node) const {
    if (holdsGrant(node)) {
        return made(ReadyNow::Kind::active, tr("— %1").arg(node.state),
                    tr("the node holds its grant"));
    }
    const client::Appliance* appliance = applianceOf(connection_->fleet(), node.appliance);
    if (appliance != nullptr && appliance->state != QLatin1String(client::kApplianceConnected) &&
        !appliance->state.isEmpty()) {
        const QString reason = tr("appliance %1 is %2").arg(appliance->name, appliance->state);
        return made(ReadyNow::Kind::no, tr("no: appliance %1").arg(appliance->state), reason);
    }
    const auto asked = asked_.find(node.name);
    // A service that reports the risk of now lists every node that could not take over.
    if (appliance != nullptr && appliance->denial_risk) {
        for (const client::NotReadyNode& entry : appliance->not_ready) {
            if (entry.node == node.name) {
                return fromReadiness(false, entry.partial_cpu, entry.would_preempt, entry.reason);
            }
        }
        if (node.state == QLatin1String("standby")) {
            return asked == asked_.end() ? made(ReadyNow::Kind::yes, tr("yes"), {})
                                         : fromReadiness(true, false, asked->second.would_preempt,
                                                         asked->second.reason);
        }
    }
    if (node.state != QLatin1String("standby")) {
        const QString reason =
            tr("the node is %1; only a standby node can take over").arg(node.state);
        return made(ReadyNow::Kind::no, tr("no: node %1").arg(node.state), reason);
    }
    if (asked != asked_.end()) {
        const client::Readiness& readiness = asked->second;
        return fromReadiness(readiness.ready, readiness.partial_cpu, readiness.would_preempt,
                             readiness.reason);
    }
    return made(ReadyNow::Kind::unknown, tr("not known yet"),
                tr("the service has not answered whether it is ready"));
}

FleetReadiness fleetReadiness(const LiveFleet& fleet, const NodeReadiness& readiness) {
    FleetReadiness answer;
    answer.clusters = static_cast<int>(fleet.clusters.size());
    Tone worst = Tone::good;
    const auto worsen = [&worst](Tone tone) {
        if (static_cast<int>(tone) > static_cast<int>(worst)) {
            worst = tone;
        }
    };
    for (const client::Cluster& cluster : fleet.clusters) {
        const auto node =
            std::find_if(fleet.nodes.begin(), fleet.nodes.end(),
                         [&](const client::Node& n) { return n.name == cluster.node; });
        if (node == fleet.nodes.end()) {
            answer.unknown << cluster.name;
            continue;
        }
        const ReadyNow ready = readiness.of(*node);
        switch (ready.kind) {
            case ReadyNow::Kind::active:
                ++answer.active;
                break;
            case ReadyNow::Kind::no:
                answer.cannot << NodeReadiness::tr("%1 (%2)").arg(cluster.name,
                                                                  shortfallText(ready.reason));
                answer.why
                    << NodeReadiness::tr("%1 — %2: %3").arg(cluster.name, node->name, ready.reason);
                break;
            case ReadyNow::Kind::partial:
                answer.partial << cluster.name;
                answer.why << NodeReadiness::tr("%1 — %2: only partly: %3")
                                  .arg(cluster.name, node->name, ready.reason);
                break;
            case ReadyNow::Kind::unknown:
                answer.unknown << cluster.name;
                break;
            case ReadyNow::Kind::yes:
            case ReadyNow::Kind::preempting:
                break;
        }
        worsen(ready.kind == ReadyNow::Kind::no        ? Tone::critical
               : ready.kind == ReadyNow::Kind::partial ? Tone::warning
               : ready.kind == ReadyNow::Kind::unknown ? Tone::warning
                                                       : Tone::good);
    }
    for (const client::Appliance& appliance : fleet.appliances) {
        if (appliance.state != QLatin1String(client::kApplianceConnected)) {
            answer.appliances << NodeReadiness::tr("%1 %2").arg(appliance.name, appliance.state);
            worsen(Tone::critical);
        }
        if (appliance.denial_risk && appliance.denial_risk->value > answer.worstDenialRisk) {
            answer.worstDenialRisk = appliance.denial_risk->value;
            answer.worstDenialAppliance = appliance.name;
            answer.horizonHours = appliance.denial_risk->horizon_hours;
        }
    }
    if (answer.worstDenialRisk >= 0) {
        worsen(riskTone(answer.worstDenialRisk, fleet.target_risk));
    }
    answer.tone = worst;
    return answer;
}

}  // namespace understudy::gui

// Whether each node could take over now, as the console says it everywhere (the Nodes table's
// "Ready now" column, the take-over confirmation, the dashboard's headline): from its appliance's
// `not_ready`, and for a standby node that is ready, from its own readiness (GET
// /nodes/{name}/readiness) whether it would preempt others. Readiness is asked again for an
// appliance's standby nodes only when something on that appliance changed, never at each refresh.
#pragma once

#include <QObject>
#include <QStringList>
#include <map>

#include "appliance/client/api_types.h"
#include "gui/online/online_style.h"

namespace understudy::gui {

class ServiceConnection;
struct LiveFleet;

struct ReadyNow {
    enum class Kind { active, yes, preempting, partial, no, unknown };
    Kind kind = Kind::unknown;
    // "yes", "by preempting mail-passive", "partial CPU", "no: short 13 GiB", "— active".
    QString text;
    // The service's reason in full ("not enough memory: short 13 GiB (needs 30 GiB, 17 GiB
    // free)"), for tooltips and the dashboard's list of the unprotected.
    QString reason;
    Tone tone() const;
    bool cannot() const { return kind == Kind::no; }
};

// "short 13 GiB" out of a readiness reason when it names the shortfall; otherwise the reason's
// gist ("node fenced", "appliance unreachable") or the reason itself.
QString shortfallText(const QString& reason);

class NodeReadiness : public QObject {
    Q_OBJECT
public:
    explicit NodeReadiness(ServiceConnection* connection, QObject* parent = nullptr);

    ReadyNow of(const client::Node& node) const;
    // Answers asked and not yet in: tests wait for none.
    int pending() const { return pending_; }

signals:
    void changed();

private:
    void fleetChanged();
    void ask(const QString& node, const QString& appliance, quint64 generation);

    ServiceConnection* connection_;
    // Per appliance: what its readiness depends on, as last seen; and a generation so that an
    // answer asked before a later change is dropped.
    std::map<QString, QString> signatures_;
    std::map<QString, quint64> generations_;
    std::map<QString, client::Readiness> asked_;  // by node
    int pending_ = 0;
};

// The fleet's answer to "who can fail over now": the headline of the dashboard.
struct FleetReadiness {
    int clusters = 0;
    int active = 0;
    QStringList cannot;           // "web (short 13 GiB)"
    QStringList partial;          // cluster names
    QStringList unknown;          // cluster names
    QStringList why;              // "web — web-passive: not enough memory: short 13 GiB (…)"
    QStringList appliances;       // "pna-2 unreachable"
    double worstDenialRisk = -1;  // -1: no appliance reports it
    QString worstDenialAppliance;
    double horizonHours = 0;
    Tone tone = Tone::neutral;
};
FleetReadiness fleetReadiness(const LiveFleet& fleet, const NodeReadiness& readiness);

}  // namespace understudy::gui

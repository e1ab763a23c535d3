// The live nodes of the service, one row each: node, cluster, appliance (with its state when it
// is not connected: requests about the node fail then), state (colour, icon and word; a standby
// node that could not take over now is not marked as good), whether it could take over now,
// standby / active / current footprints, grant, since. Updated in place when the set of nodes is
// unchanged, so selection and sorting survive the refresh after each event.
#pragma once

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <map>
#include <vector>

#include "appliance/client/api_types.h"
#include "gui/online/online_style.h"
#include "sizing/fleet.h"

namespace understudy::gui {

class NodeReadiness;

class NodeTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Name,
        Cluster,
        Appliance,
        State,
        ReadyNow,
        Standby,
        Active,
        Current,
        Grant,
        Since,
        ColumnCount
    };
    enum Role { SortRole = Qt::UserRole + 1, StateRole, NameRole };

    explicit NodeTableModel(QObject* parent = nullptr);
    void setNodes(const std::vector<client::Node>& nodes);
    // The appliances' states, shown beside the appliance of each node.
    void setAppliances(const std::vector<client::Appliance>& appliances);
    const client::Node* node(const QString& name) const;
    const std::vector<client::Node>& nodes() const { return nodes_; }
    void setDark(bool dark) { dark_ = dark; }
    // Where the Ready now column comes from; without it, the column is empty.
    void setReadiness(const NodeReadiness* readiness);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    QString applianceState(const QString& appliance) const;
    Tone rowTone(const client::Node& node) const;
    QVariant displayText(const client::Node& node, int column) const;

    std::vector<client::Node> nodes_;
    std::map<QString, QString> applianceStates_;
    bool dark_ = false;
    const NodeReadiness* readiness_ = nullptr;
};

// Text over node, cluster and appliance; and one state, or all.
class NodeFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit NodeFilterProxy(QObject* parent = nullptr);
    void setState(const QString& state);
    void setText(const QString& text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QString state_;
    QString text_;
};

// "4 vCPUs · 16 GiB"
QString footprintText(const client::Footprint& footprint);
// The grant as the console shows it: what an active node holds above its standby footprint,
// as the appliance's `granted` (docs/http-api.md); never negative.
sizing::Footprint grantOverStandby(const client::Node& node);

}  // namespace understudy::gui

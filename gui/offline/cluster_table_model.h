// The per-cluster table of a sizing result: one row per cluster, with its placement, failure
// figures, footprints and risk when active per resource. Sorting uses SortRole (numbers, not
// their text); ClusterFilterProxy filters by text and by "needs attention".
#pragma once

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <array>
#include <memory>
#include <vector>

#include "gui/offline/sizing_runner.h"

namespace understudy::gui {

class ClusterTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Name,
        Appliance,
        Group,
        Priority,
        FailoverProbability,
        Standby,
        Active,
        RiskMemory,
        RiskVcpus,
        Status,
        ColumnCount
    };
    enum Role { SortRole = Qt::UserRole + 1, AttentionRole, NameRole };

    explicit ClusterTableModel(QObject* parent = nullptr);

    void setSnapshot(std::shared_ptr<const SizingSnapshot> snapshot);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    struct Row {
        sizing::ClusterFigures figures;
        sizing::ClusterSpec spec;
        QString appliance;
        QString unservable;  // "memory: needs 64 GiB, 40 GiB available" when unservable
        bool overTarget = false;
    };
    QVariant display(const Row& row, int column) const;
    QVariant sortValue(const Row& row, int column) const;

    std::vector<Row> rows_;
    double target_ = 1e-4;
};

class ClusterFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit ClusterFilterProxy(QObject* parent = nullptr);
    // Only unservable clusters and those whose risk when active breaks the target.
    void setAttentionOnly(bool only);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    bool attentionOnly_ = false;
};

}  // namespace understudy::gui

// The Events tab: the service's event log as the console has followed it (the newest
// ServiceConnection::kKeptEvents), newest first, filtered by kind, cluster and node and
// searched through every field including the details.
#pragma once

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <QWidget>

#include "gui/online/service_connection.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;

namespace understudy::gui {

class EventTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Id, Time, Kind, Cluster, Node, Details, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, KindRole, SearchRole };

    explicit EventTableModel(ServiceConnection* connection, QObject* parent = nullptr);
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    ServiceConnection* connection_;
    int rows_ = 0;
};

class EventFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit EventFilterProxy(QObject* parent = nullptr);
    void setFilters(const QString& kindPrefix, const QString& cluster, const QString& node,
                    const QString& search);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QString kind_, cluster_, node_, search_;
};

class EventLogView : public QWidget {
    Q_OBJECT
public:
    explicit EventLogView(ServiceConnection* connection, QWidget* parent = nullptr);

    QTableView* table() const { return table_; }
    EventFilterProxy* proxy() const { return proxy_; }
    QComboBox* kindFilter() const { return kind_; }
    QLineEdit* clusterFilter() const { return cluster_; }
    QLineEdit* nodeFilter() const { return node_; }
    QLineEdit* searchEdit() const { return search_; }

private:
    void applyFilters();

    EventTableModel* model_ = nullptr;
    EventFilterProxy* proxy_ = nullptr;
    QTableView* table_ = nullptr;
    QComboBox* kind_ = nullptr;
    QLineEdit* cluster_ = nullptr;
    QLineEdit* node_ = nullptr;
    QLineEdit* search_ = nullptr;
    QLabel* count_ = nullptr;
};

// "memory_mib=16384, vcpus=4" from an event's details, in the order the service sent them.
QString eventDetailsText(const QJsonObject& details);

}  // namespace understudy::gui

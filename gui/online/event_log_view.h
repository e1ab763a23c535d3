// The Events tab: the service's event log as the console has followed it (the newest
// ServiceConnection::kKeptEvents), newest first, filtered by kind, cluster and node and
// searched through every field including the details; who caused each; an event in plain
// words in a pane below (double-click, or Enter); what is shown exported as CSV.
#pragma once

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <QWidget>

#include "base/result.h"
#include "gui/online/service_connection.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSplitter;
class QTableView;

namespace understudy::gui {

class EventTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Id, Time, Kind, Cluster, Node, Actor, Details, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1, KindRole, SearchRole };

    explicit EventTableModel(ServiceConnection* connection, QObject* parent = nullptr);
    int rowCount(const QModelIndex& parent = {}) const override;
    const client::Event* event(int row) const;
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
    QPlainTextEdit* detailsPane() const { return details_; }
    QPushButton* exportButton() const { return export_; }

    // The details pane, shown, with the event at `row` of the table (as sorted and filtered).
    void showDetails(int row);
    // The events shown (filtered, in the table's order) into a CSV file.
    Status exportCsv(const QString& path) const;

private:
    void applyFilters();
    void sizeColumns();
    void exportDialog();
    void followSelection();

    EventTableModel* model_ = nullptr;
    EventFilterProxy* proxy_ = nullptr;
    QTableView* table_ = nullptr;
    QComboBox* kind_ = nullptr;
    QLineEdit* cluster_ = nullptr;
    QLineEdit* node_ = nullptr;
    QLineEdit* search_ = nullptr;
    QLabel* count_ = nullptr;
    QPlainTextEdit* details_ = nullptr;
    QPushButton* export_ = nullptr;
    QSplitter* split_ = nullptr;
};

}  // namespace understudy::gui

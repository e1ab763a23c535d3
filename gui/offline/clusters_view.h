// The Clusters tab: the sortable, filterable per-cluster table and, below it, what would
// happen if the chosen clusters failed over now (offline approximation, see
// offline_arbitration.h).
#pragma once

#include <QWidget>
#include <set>
#include <string>
#include <vector>

#include "gui/offline/cluster_table_model.h"
#include "gui/offline/offline_arbitration.h"

class QCheckBox;
class QLabel;
class QLineEdit;
class QTableView;
class QTableWidget;

namespace understudy::gui {

class ClustersView : public QWidget {
    Q_OBJECT
public:
    explicit ClustersView(QWidget* parent = nullptr);

    void setSnapshot(std::shared_ptr<const SizingSnapshot> snapshot);
    void setTakeovers(const std::vector<OfflineTakeover>& takeovers);
    std::set<std::string> selectedClusters() const;
    QTableView* table() const { return table_; }
    QLineEdit* filterEdit() const { return filter_; }
    QTableWidget* outcomes() const { return outcomes_; }
    ClusterFilterProxy* proxy() const { return proxy_; }

signals:
    void selectionChanged();

private:
    ClusterTableModel* model_ = nullptr;
    ClusterFilterProxy* proxy_ = nullptr;
    QLineEdit* filter_ = nullptr;
    QCheckBox* attentionOnly_ = nullptr;
    QLabel* count_ = nullptr;
    QTableView* table_ = nullptr;
    QWidget* outcomePanel_ = nullptr;
    QTableWidget* outcomes_ = nullptr;
};

}  // namespace understudy::gui

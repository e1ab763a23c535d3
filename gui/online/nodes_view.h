// The Nodes tab: every node of the service, live, in a sortable table filtered by text and
// state, with whether each could take over now; and the actions on the selected node: take
// over (the confirmation says whether it could), release (confirmed) and fence
// (power off, on or reboot, confirmed by typing the node's name). The outcome, or the
// service's reason for refusing, shows under the table.
#pragma once

#include <QMap>
#include <QWidget>

#include "gui/online/node_table_model.h"
#include "gui/online/service_connection.h"

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QTableView;

namespace understudy::gui {

class NodeReadiness;

class NodesView : public QWidget {
    Q_OBJECT
public:
    NodesView(ServiceConnection* connection, const NodeReadiness* readiness,
              QWidget* parent = nullptr);

    QString selectedNode() const;
    void selectNode(const QString& name);
    void takeOver(const QString& node);
    void release(const QString& node);
    void power(const QString& node, PowerAction action);
    // Under the table: "OK — …" or "Critical — …", in colour and words.
    void showOutcome(bool ok, const QString& text);

    QTableView* table() const { return table_; }
    // The widths of the columns the operator sized by hand, for the settings (empty: none);
    // restored, they are kept over every later fit, and the other columns fit their contents.
    QByteArray operatorColumns() const;
    void restoreOperatorColumns(const QByteArray& state);
    NodeTableModel* model() const { return model_; }
    NodeFilterProxy* proxy() const { return proxy_; }
    QLineEdit* filterEdit() const { return filter_; }
    QComboBox* stateFilter() const { return state_; }
    QLabel* outcome() const { return outcome_; }
    QAction* takeOverAction() const { return takeOverAction_; }
    QAction* releaseAction() const { return releaseAction_; }
    QAction* fenceAction() const { return fenceAction_; }

signals:
    void message(const QString& text);

private:
    void update();
    void updateActions();
    void confirmTakeOver();
    void confirmRelease();
    void confirmFence();
    // Fits the columns to their contents, unless the operator sized them.
    void fitColumns();
    // Refits the Ready now column as answers come, and notes the operator's sizing.
    void watchColumns();

    ServiceConnection* connection_;
    const NodeReadiness* readiness_;
    NodeTableModel* model_ = nullptr;
    NodeFilterProxy* proxy_ = nullptr;
    QTableView* table_ = nullptr;
    QLineEdit* filter_ = nullptr;
    QComboBox* state_ = nullptr;
    QLabel* count_ = nullptr;
    QLabel* outcome_ = nullptr;
    QAction* takeOverAction_ = nullptr;
    QAction* releaseAction_ = nullptr;
    QAction* fenceAction_ = nullptr;
    QMap<int, int> operatorWidths_;  // column → width
    bool fitting_ = false;           // the columns change by the console's hand, not the operator's
};

}  // namespace understudy::gui

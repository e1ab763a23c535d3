#include "gui/online/nodes_view.h"

#include <QAction>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QRadioButton>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>
#include <algorithm>

#include "gui/online/api_error_text.h"
#include "gui/online/node_readiness.h"
#include "gui/online/online_style.h"
#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

namespace {

const char* const kStates[] = {"standby", "taking-over", "active",  "releasing", "preempted",
                               "fenced",  "stopped",     "missing", "drifted"};

// Fencing asks for the node's name to be typed: powering off the wrong node takes a service
// down, so a click alone is not enough.
class FenceDialog : public QDialog {
public:
    FenceDialog(const client::Node& node, QWidget* parent) : QDialog(parent), name_(node.name) {
        setObjectName(QStringLiteral("fenceDialog"));
        setWindowTitle(tr("Fence %1").arg(node.name));
        auto* layout = new QVBoxLayout(this);
        auto* warning = new QLabel(
            tr("<b>Fence node %1 of cluster %2</b> on appliance %3 (now %4).<p>Powering it off "
               "or rebooting it stops whatever runs there at once.</p>")
                .arg(node.name.toHtmlEscaped(), node.cluster.toHtmlEscaped(),
                     node.appliance.toHtmlEscaped(), node.state.toHtmlEscaped()),
            this);
        warning->setWordWrap(true);
        layout->addWidget(warning);
        off_ = new QRadioButton(tr("Power &off"), this);
        off_->setObjectName(QStringLiteral("fenceOff"));
        off_->setChecked(true);
        reboot_ = new QRadioButton(tr("&Reboot"), this);
        reboot_->setObjectName(QStringLiteral("fenceReboot"));
        on_ = new QRadioButton(tr("Power o&n"), this);
        on_->setObjectName(QStringLiteral("fenceOn"));
        layout->addWidget(off_);
        layout->addWidget(reboot_);
        layout->addWidget(on_);
        layout->addWidget(new QLabel(tr("Type the node's name, %1, to confirm:").arg(node.name)));
        typed_ = new QLineEdit(this);
        typed_->setObjectName(QStringLiteral("fenceConfirmName"));
        layout->addWidget(typed_);
        auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
        QPushButton* ok = buttons->button(QDialogButtonBox::Ok);
        ok->setText(tr("&Fence"));
        ok->setEnabled(false);
        connect(typed_, &QLineEdit::textChanged, this,
                [this, ok](const QString& text) { ok->setEnabled(text.trimmed() == name_); });
        connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
        connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
        layout->addWidget(buttons);
        typed_->setFocus();
    }
    PowerAction action() const {
        return on_->isChecked()       ? PowerAction::on
               : reboot_->isChecked() ? PowerAction::reboot
                                      : PowerAction::off;
    }

private:
    QString name_;
    QRadioButton* off_ = nullptr;
    QRadioButton* reboot_ = nullptr;
    QRadioButton* on_ = nullptr;
    QLineEdit* typed_ = nullptr;
};

}  // namespace

NodesView::NodesView(ServiceConnection* connection, const NodeReadiness* readiness, QWidget* parent)
    : QWidget(parent), connection_(connection), readiness_(readiness) {
    setObjectName(QStringLiteral("nodesView"));
    model_ = new NodeTableModel(this);
    model_->setReadiness(readiness_);
    proxy_ = new NodeFilterProxy(this);
    proxy_->setSourceModel(model_);

    auto* layout = new QVBoxLayout(this);
    auto* bar = new QHBoxLayout;
    filter_ = new QLineEdit(this);
    filter_->setObjectName(QStringLiteral("nodeFilter"));
    filter_->setPlaceholderText(tr("Filter by node, cluster or appliance"));
    filter_->setClearButtonEnabled(true);
    bar->addWidget(filter_, 2);
    state_ = new QComboBox(this);
    state_->setObjectName(QStringLiteral("nodeStateFilter"));
    state_->addItem(tr("All states"), QString());
    for (const char* state : kStates) {
        state_->addItem(toneIcon(stateTone(QString::fromLatin1(state)), style()),
                        QString::fromLatin1(state), QString::fromLatin1(state));
    }
    bar->addWidget(state_);
    count_ = new QLabel(this);
    bar->addWidget(count_, 1);

    auto* tools = new QToolBar(this);
    tools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    takeOverAction_ =
        new QAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("&Take over…"), this);
    takeOverAction_->setObjectName(QStringLiteral("takeOverAction"));
    takeOverAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_T));
    takeOverAction_->setToolTip(
        tr("Take over with the selected node: grow it to its active "
           "footprint (Ctrl+Alt+T)"));
    releaseAction_ =
        new QAction(style()->standardIcon(QStyle::SP_MediaStop), tr("&Release…"), this);
    releaseAction_->setObjectName(QStringLiteral("releaseAction"));
    releaseAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_L));
    releaseAction_->setToolTip(tr("Shrink the selected node back to standby (Ctrl+Alt+L)"));
    fenceAction_ = new QAction(style()->standardIcon(QStyle::SP_BrowserStop), tr("&Fence…"), this);
    fenceAction_->setObjectName(QStringLiteral("fenceAction"));
    fenceAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_F));
    fenceAction_->setToolTip(tr("Power the selected node off, on, or reboot it (Ctrl+Alt+F)"));
    for (QAction* action : {takeOverAction_, releaseAction_, fenceAction_}) {
        action->setShortcutContext(Qt::WindowShortcut);
        tools->addAction(action);
    }
    bar->addWidget(tools);
    layout->addLayout(bar);

    table_ = new QTableView(this);
    table_->setObjectName(QStringLiteral("nodesTable"));
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(NodeTableModel::Name, Qt::AscendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setAlternatingRowColors(true);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    table_->horizontalHeader()->setStretchLastSection(false);
    table_->horizontalHeader()->setResizeContentsPrecision(200);
    table_->setContextMenuPolicy(Qt::ActionsContextMenu);
    table_->addActions({takeOverAction_, releaseAction_, fenceAction_});
    layout->addWidget(table_, 1);

    outcome_ = new QLabel(this);
    outcome_->setObjectName(QStringLiteral("nodeActionOutcome"));
    outcome_->setWordWrap(true);
    outcome_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    outcome_->hide();
    layout->addWidget(outcome_);

    connect(filter_, &QLineEdit::textChanged, proxy_, &NodeFilterProxy::setText);
    connect(state_, &QComboBox::currentIndexChanged, this,
            [this] { proxy_->setState(state_->currentData().toString()); });
    connect(proxy_, &QAbstractItemModel::rowsInserted, this, &NodesView::updateActions);
    connect(proxy_, &QAbstractItemModel::modelReset, this, &NodesView::updateActions);
    connect(proxy_, &QAbstractItemModel::layoutChanged, this, &NodesView::updateActions);
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &NodesView::updateActions);
    connect(model_, &QAbstractItemModel::dataChanged, this, &NodesView::updateActions);
    connect(takeOverAction_, &QAction::triggered, this, &NodesView::confirmTakeOver);
    connect(releaseAction_, &QAction::triggered, this, &NodesView::confirmRelease);
    connect(fenceAction_, &QAction::triggered, this, &NodesView::confirmFence);
    connect(connection_, &ServiceConnection::fleetChanged, this, &NodesView::update);
    watchColumns();
    // Back online, the selected row's actions are enabled again without reselecting it.
    connect(connection_, &ServiceConnection::stateChanged, this, &NodesView::updateActions);
    update();
}

void NodesView::update() {
    model_->setDark(palette().color(QPalette::Base).lightness() < 128);
    const int before = model_->rowCount();
    model_->setAppliances(connection_->fleet().appliances);
    model_->setNodes(connection_->fleet().nodes);
    if (before != model_->rowCount()) {
        fitColumns();
    }
    updateActions();
}

void NodesView::watchColumns() {
    // Answers come in after the rows: the column fits them whole.
    connect(readiness_, &NodeReadiness::changed, this, [this] {
        if (!operatorWidths_.contains(NodeTableModel::ReadyNow)) {
            fitting_ = true;
            table_->resizeColumnToContents(NodeTableModel::ReadyNow);
            fitting_ = false;
        }
    });
    connect(table_->horizontalHeader(), &QHeaderView::sectionResized, this,
            [this](int column, int, int width) {
                if (!fitting_) {
                    operatorWidths_[column] = width;
                }
            });
}

QByteArray NodesView::operatorColumns() const {
    if (operatorWidths_.isEmpty()) {
        return {};
    }
    QJsonObject widths;
    for (auto width = operatorWidths_.begin(); width != operatorWidths_.end(); ++width) {
        widths.insert(QString::number(width.key()), width.value());
    }
    return QJsonDocument(widths).toJson(QJsonDocument::Compact);
}

void NodesView::restoreOperatorColumns(const QByteArray& state) {
    operatorWidths_.clear();
    const QJsonObject widths = QJsonDocument::fromJson(state).object();
    for (auto width = widths.begin(); width != widths.end(); ++width) {
        bool ok = false;
        const int column = width.key().toInt(&ok);
        // Settings of another version may name columns this one has not, or hold nonsense.
        if (ok && column >= 0 && column < model_->columnCount() && width.value().toInt() > 0) {
            operatorWidths_[column] = width.value().toInt();
        }
    }
    fitColumns();
}

void NodesView::fitColumns() {
    fitting_ = true;
    table_->resizeColumnsToContents();
    // Footprints grow at a takeover: leave room for a large one, and for a large grant, the
    // only one written as growth over standby.
    const auto roomFor = [this](int column, const QString& widest) {
        const int width = table_->fontMetrics().horizontalAdvance(widest) + 24;
        table_->setColumnWidth(column, std::max(table_->columnWidth(column), width));
    };
    for (int column : {NodeTableModel::Standby, NodeTableModel::Active, NodeTableModel::Current}) {
        roomFor(column, QStringLiteral("128 vCPUs · 1024 GiB"));
    }
    roomFor(NodeTableModel::Grant, QStringLiteral("+128 vCPUs · +1024 GiB over standby"));
    // A state turns bold when it is not good, and an active one may say "(partial CPU)": room
    // for both, with its icon.
    QFont bold = table_->font();
    bold.setBold(true);
    const int state = QFontMetrics(bold).horizontalAdvance(tr("active (partial CPU)")) +
                      style()->pixelMetric(QStyle::PM_SmallIconSize) + 24;
    table_->setColumnWidth(NodeTableModel::State,
                           std::max(table_->columnWidth(NodeTableModel::State), state));
    for (auto width = operatorWidths_.begin(); width != operatorWidths_.end(); ++width) {
        table_->setColumnWidth(width.key(), width.value());
    }
    fitting_ = false;
}

QString NodesView::selectedNode() const {
    const QModelIndexList rows = table_->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.front().data(NodeTableModel::NameRole).toString();
}

void NodesView::selectNode(const QString& name) {
    for (int row = 0; row < proxy_->rowCount(); ++row) {
        const QModelIndex index = proxy_->index(row, 0);
        if (index.data(NodeTableModel::NameRole).toString() == name) {
            table_->selectRow(row);
            table_->scrollTo(index);
            return;
        }
    }
}

void NodesView::updateActions() {
    count_->setText(tr("%1 of %2 nodes").arg(proxy_->rowCount()).arg(model_->rowCount()));
    const client::Node* node = model_->node(selectedNode());
    const bool online = connection_->state() == ConnectionState::connected;
    takeOverAction_->setEnabled(online && node != nullptr &&
                                node->state != QLatin1String("active"));
    releaseAction_->setEnabled(online && node != nullptr &&
                               node->state != QLatin1String("standby"));
    fenceAction_->setEnabled(online && node != nullptr);
}

void NodesView::showOutcome(bool ok, const QString& text) {
    const Tone tone = ok ? Tone::good : Tone::critical;
    outcome_->setText(QStringLiteral("%1 — %2").arg(toneWord(tone), text));
    outcome_->setStyleSheet(
        QStringLiteral("color: %1; font-weight: bold;").arg(toneColor(tone).name()));
    outcome_->show();
    emit message(text.section(QLatin1Char('\n'), 0, 0));
}

void NodesView::confirmTakeOver() {
    const client::Node* node = model_->node(selectedNode());
    if (node == nullptr) {
        return;
    }
    const ReadyNow ready = readiness_->of(*node);
    auto* box = new QMessageBox(
        ready.cannot() ? QMessageBox::Warning : QMessageBox::Question,
        tr("Take over with %1?").arg(node->name),
        tr("Grow node %1 of cluster %2 to its active footprint (%3) on %4?\n\nReady now: %5%6")
            .arg(node->name, node->cluster, footprintText(node->active), node->appliance,
                 ready.text,
                 !ready.cannot() && ready.kind != ReadyNow::Kind::partial
                     ? QString()
                     : QStringLiteral(" (%1)").arg(ready.reason)),
        QMessageBox::Cancel, this);
    box->setInformativeText(
        ready.cannot()
            ? tr("The service would deny this takeover now unless something changes first.")
            : tr("Lower-priority standby nodes on that appliance may be preempted to make room."));
    box->setObjectName(QStringLiteral("confirmTakeOver"));
    box->addButton(tr("&Take over"), QMessageBox::AcceptRole);
    box->setAttribute(Qt::WA_DeleteOnClose);
    const QString name = node->name;
    connect(box, &QMessageBox::accepted, this, [this, name] { takeOver(name); });
    box->open();
}

void NodesView::confirmRelease() {
    const client::Node* node = model_->node(selectedNode());
    if (node == nullptr) {
        return;
    }
    auto* box = new QMessageBox(
        QMessageBox::Question, tr("Release %1?").arg(node->name),
        tr("Shrink node %1 of cluster %2 back to its standby footprint (%3)? Do this only once "
           "its cluster no longer runs on it.")
            .arg(node->name, node->cluster, footprintText(node->standby)),
        QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("confirmRelease"));
    box->addButton(tr("&Release"), QMessageBox::AcceptRole);
    box->setAttribute(Qt::WA_DeleteOnClose);
    const QString name = node->name;
    connect(box, &QMessageBox::accepted, this, [this, name] { release(name); });
    box->open();
}

void NodesView::confirmFence() {
    const client::Node* node = model_->node(selectedNode());
    if (node == nullptr) {
        return;
    }
    auto* dialog = new FenceDialog(*node, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    const QString name = node->name;
    connect(dialog, &QDialog::accepted, this,
            [this, dialog, name] { power(name, dialog->action()); });
    dialog->open();
}

void NodesView::takeOver(const QString& node) {
    client::ApiClient* client = connection_->client();
    if (client == nullptr) {
        return;
    }
    emit message(tr("Taking over with %1…").arg(node));
    client->call<client::TakeoverGrant>(
        client::api::takeover(node, std::chrono::seconds(120)), this,
        [this, node](client::ApiResult<client::TakeoverGrant> answer) {
            if (!answer) {
                showOutcome(
                    false,
                    tr("Takeover of %1 refused: %2").arg(node, describeApiError(answer.error())));
                return;
            }
            const client::Grant& grant = answer->grant;
            QString text = tr("%1 is active at %2%3")
                               .arg(node, footprintText({grant.vcpus, grant.memory_mib}),
                                    grant.partial ? tr(" (partial CPU)") : QString());
            if (!grant.preempted.isEmpty()) {
                text += tr("; preempted %1").arg(grant.preempted.join(QStringLiteral(", ")));
            }
            showOutcome(true, text);
            connection_->refresh();
        });
}

void NodesView::release(const QString& node) {
    client::ApiClient* client = connection_->client();
    if (client == nullptr) {
        return;
    }
    emit message(tr("Releasing %1…").arg(node));
    client->call<QString>(
        client::api::release(node, std::chrono::seconds(120)), this,
        [this, node](client::ApiResult<QString> answer) {
            if (!answer) {
                showOutcome(
                    false,
                    tr("Release of %1 failed: %2").arg(node, describeApiError(answer.error())));
                return;
            }
            showOutcome(true, tr("%1 is back at its standby footprint").arg(node));
            connection_->refresh();
        });
}

void NodesView::power(const QString& node, PowerAction action) {
    client::ApiClient* client = connection_->client();
    if (client == nullptr) {
        return;
    }
    const QString verb = QString::fromLatin1(powerActionName(action));
    emit message(tr("Fencing %1 (%2)…").arg(node, verb));
    client->call<client::PowerState>(
        client::api::power(node, action), this,
        [this, node, verb](client::ApiResult<client::PowerState> answer) {
            if (!answer) {
                showOutcome(false, tr("Fencing %1 (%2) failed: %3")
                                       .arg(node, verb, describeApiError(answer.error())));
                return;
            }
            showOutcome(true, tr("%1 fenced (%2): power is now %3").arg(node, verb, answer->power));
            connection_->refresh();
        });
}

}  // namespace understudy::gui

#include "gui/offline/clusters_view.h"

#include <QApplication>
#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QSplitter>
#include <QStyle>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>

#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

namespace {

QStyle::StandardPixmap outcomeIcon(TakeoverOutcome outcome) {
    switch (outcome) {
        case TakeoverOutcome::granted:
        case TakeoverOutcome::preempts:
            return QStyle::SP_DialogApplyButton;
        case TakeoverOutcome::partial:
        case TakeoverOutcome::preempted:
            return QStyle::SP_MessageBoxWarning;
        case TakeoverOutcome::denied:
            return QStyle::SP_MessageBoxCritical;
    }
    return QStyle::SP_MessageBoxInformation;
}

QString footprintText(const sizing::Footprint& footprint) {
    return QStringLiteral("%1 · %2").arg(formatVcpus(footprint.vcpus),
                                         formatMemoryMib(footprint.memory_mib));
}

}  // namespace

ClustersView::ClustersView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);

    auto* filterRow = new QHBoxLayout;
    filter_ = new QLineEdit(this);
    filter_->setObjectName(QStringLiteral("clusterFilter"));
    filter_->setPlaceholderText(tr("Filter clusters by name, group, appliance or status (Ctrl+F)"));
    filter_->setClearButtonEnabled(true);
    attentionOnly_ = new QCheckBox(tr("&Needs attention only"), this);
    attentionOnly_->setToolTip(
        tr("Only unservable clusters and those whose risk when active breaks the target"));
    count_ = new QLabel(this);
    filterRow->addWidget(filter_, 1);
    filterRow->addWidget(attentionOnly_);
    filterRow->addWidget(count_);
    layout->addLayout(filterRow);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->setObjectName(QStringLiteral("clustersSplitter"));
    splitter->setChildrenCollapsible(false);

    model_ = new ClusterTableModel(this);
    proxy_ = new ClusterFilterProxy(this);
    proxy_->setSourceModel(model_);
    table_ = new QTableView(splitter);
    table_->setObjectName(QStringLiteral("clusterTable"));
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(ClusterTableModel::Priority, Qt::DescendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->setAlternatingRowColors(true);
    table_->setWordWrap(false);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    table_->horizontalHeader()->setHighlightSections(false);
    table_->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);

    outcomePanel_ = new QWidget(splitter);
    auto* outcomeLayout = new QVBoxLayout(outcomePanel_);
    outcomeLayout->setContentsMargins(0, 0, 0, 0);
    auto* outcomeTitle = new QLabel(tr("<b>Fail these clusters now</b> — select clusters above "
                                       "and press Ctrl+T"),
                                    outcomePanel_);
    auto* approximation = new QLabel(
        tr("Offline approximation of the appliance's arbitration: every node starts as a "
           "standby; the chosen clusters take over highest priority first, each from free "
           "headroom, then by preempting lower-priority standby nodes, then with fewer vCPUs "
           "(memory in full), else denied. The service decides from its live state."),
        outcomePanel_);
    approximation->setObjectName(QStringLiteral("approximationNote"));
    approximation->setWordWrap(true);
    // A role, not a colour: it follows the palette when View > Dark palette switches it.
    approximation->setForegroundRole(QPalette::PlaceholderText);
    outcomes_ = new QTableWidget(0, 5, outcomePanel_);
    outcomes_->setObjectName(QStringLiteral("takeoverOutcomes"));
    outcomes_->setHorizontalHeaderLabels(
        {tr("Cluster"), tr("Priority"), tr("Outcome"), tr("Runs at"), tr("Why")});
    outcomes_->verticalHeader()->hide();
    outcomes_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    outcomes_->setSelectionBehavior(QAbstractItemView::SelectRows);
    outcomes_->horizontalHeader()->setStretchLastSection(true);
    outcomes_->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    outcomes_->setAlternatingRowColors(true);
    outcomeLayout->addWidget(outcomeTitle);
    outcomeLayout->addWidget(approximation);
    outcomeLayout->addWidget(outcomes_, 1);
    splitter->addWidget(table_);
    splitter->addWidget(outcomePanel_);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter, 1);

    connect(filter_, &QLineEdit::textChanged, proxy_,
            [this](const QString& text) { proxy_->setFilterFixedString(text); });
    connect(attentionOnly_, &QCheckBox::toggled, proxy_, &ClusterFilterProxy::setAttentionOnly);
    const auto updateCount = [this] {
        count_->setText(tr("%1 of %2 clusters").arg(proxy_->rowCount()).arg(model_->rowCount()));
    };
    connect(proxy_, &QAbstractItemModel::rowsInserted, this, updateCount);
    connect(proxy_, &QAbstractItemModel::rowsRemoved, this, updateCount);
    connect(proxy_, &QAbstractItemModel::modelReset, this, updateCount);
    connect(proxy_, &QAbstractItemModel::layoutChanged, this, updateCount);
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ClustersView::selectionChanged);
    setTabOrder(filter_, attentionOnly_);
    setTabOrder(attentionOnly_, table_);
    setTabOrder(table_, outcomes_);
    updateCount();
}

void ClustersView::setSnapshot(std::shared_ptr<const SizingSnapshot> snapshot) {
    const std::set<std::string> selected = selectedClusters();
    const bool firstFill = model_->rowCount() == 0;
    model_->setSnapshot(std::move(snapshot));
    QItemSelection selection;
    for (int row = 0; row < proxy_->rowCount(); ++row) {
        const QModelIndex index = proxy_->index(row, 0);
        if (selected.count(index.data(ClusterTableModel::NameRole).toString().toStdString())) {
            selection.select(index, proxy_->index(row, ClusterTableModel::ColumnCount - 1));
        }
    }
    table_->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    const bool severalAppliances = [this] {
        for (int row = 1; row < model_->rowCount(); ++row) {
            if (model_->index(row, ClusterTableModel::Appliance).data() !=
                model_->index(0, ClusterTableModel::Appliance).data()) {
                return true;
            }
        }
        return false;
    }();
    table_->setColumnHidden(ClusterTableModel::Appliance, !severalAppliances);
    if (firstFill) {
        table_->resizeColumnsToContents();
    }
}

void ClustersView::setTakeovers(const std::vector<OfflineTakeover>& takeovers) {
    outcomes_->setRowCount(static_cast<int>(takeovers.size()));
    const QStyle* style = this->style();
    int row = 0;
    for (const OfflineTakeover& takeover : takeovers) {
        QString outcome = takeoverOutcomeName(takeover.outcome);
        if (!takeover.preempted.empty()) {
            QStringList names;
            for (const std::string& name : takeover.preempted) {
                names << QString::fromStdString(name);
            }
            outcome += QStringLiteral(" ") + names.join(QStringLiteral(", "));
        }
        QString runsAt;
        if (takeover.outcome != TakeoverOutcome::denied &&
            takeover.outcome != TakeoverOutcome::preempted) {
            runsAt = footprintText(takeover.grant);
            if (takeover.outcome == TakeoverOutcome::partial) {
                runsAt += tr(" of %1").arg(formatVcpus(takeover.wanted.vcpus));
            }
        } else {
            runsAt = QStringLiteral("—");
        }
        const QStringList cells = {QString::fromStdString(takeover.cluster),
                                   QString::number(takeover.priority), outcome, runsAt,
                                   QString::fromStdString(takeover.reason)};
        for (int column = 0; column < cells.size(); ++column) {
            auto* item = new QTableWidgetItem(cells[column]);
            if (column == 2) {
                item->setIcon(style->standardIcon(outcomeIcon(takeover.outcome)));
                QFont font = item->font();
                font.setBold(true);
                item->setFont(font);
            }
            if (column == 1) {
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            }
            item->setToolTip(cells[column]);
            outcomes_->setItem(row, column, item);
        }
        ++row;
    }
    outcomes_->resizeColumnsToContents();
    outcomes_->horizontalHeader()->setSectionResizeMode(4, QHeaderView::Stretch);
}

std::set<std::string> ClustersView::selectedClusters() const {
    std::set<std::string> names;
    for (const QModelIndex& index : table_->selectionModel()->selectedRows()) {
        names.insert(index.data(ClusterTableModel::NameRole).toString().toStdString());
    }
    return names;
}

}  // namespace understudy::gui

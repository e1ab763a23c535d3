#include "gui/offline/cluster_table_model.h"

#include <QApplication>
#include <QColor>
#include <QFont>
#include <QStyle>
#include <map>

#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

using sizing::Resource;

namespace {

QString footprintText(const sizing::Footprint& footprint) {
    return QStringLiteral("%1 · %2").arg(formatVcpus(footprint.vcpus),
                                         formatMemoryMib(footprint.memory_mib));
}

// Readable on light and dark backgrounds alike.
const QColor kCritical(0xd9, 0x3f, 0x3f);

}  // namespace

ClusterTableModel::ClusterTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void ClusterTableModel::setSnapshot(std::shared_ptr<const SizingSnapshot> snapshot) {
    beginResetModel();
    rows_.clear();
    if (snapshot) {
        target_ = snapshot->result.target_risk;
        std::map<std::string, const sizing::ClusterSpec*, std::less<>> specs;
        for (const sizing::ClusterSpec& cluster : snapshot->fleet.clusters) {
            specs.emplace(cluster.name, &cluster);
        }
        for (const sizing::ApplianceResult& appliance : snapshot->result.appliances) {
            std::map<std::string, QString, std::less<>> unservable;
            for (const sizing::Unservable& entry : appliance.unservable) {
                QString& text = unservable[entry.cluster];
                text += QStringLiteral("%1%2 needs %3, %4 available")
                            .arg(text.isEmpty() ? QString() : QStringLiteral("; "),
                                 resourceTitle(entry.resource),
                                 formatQuantity(entry.resource, entry.needed),
                                 formatQuantity(entry.resource, entry.available));
            }
            for (const sizing::ClusterFigures& figures : appliance.clusters) {
                Row row;
                row.figures = figures;
                if (const auto spec = specs.find(figures.name); spec != specs.end()) {
                    row.spec = *spec->second;
                }
                row.appliance = QString::fromStdString(appliance.spec.name);
                if (const auto found = unservable.find(figures.name); found != unservable.end()) {
                    row.unservable = found->second;
                }
                for (const double risk : figures.risk_when_active) {
                    row.overTarget = row.overTarget || risk > target_;
                }
                rows_.push_back(std::move(row));
            }
        }
    }
    endResetModel();
}

int ClusterTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int ClusterTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ClusterTableModel::display(const Row& row, int column) const {
    switch (column) {
        case Name:
            return QString::fromStdString(row.figures.name);
        case Appliance:
            return row.appliance;
        case Group:
            return row.figures.group.empty() ? QStringLiteral("—")
                                             : QString::fromStdString(row.figures.group);
        case Priority:
            return row.figures.priority;
        case FailoverProbability:
            return formatRisk(row.figures.failover_probability);
        case Standby:
            return footprintText(row.spec.effectiveStandby());
        case Active:
            return footprintText(row.spec.active);
        case RiskMemory:
            return formatRisk(row.figures.risk_when_active[0]);
        case RiskVcpus:
            return formatRisk(row.figures.risk_when_active[1]);
        case Status:
            if (!row.unservable.isEmpty()) {
                return tr("Unservable");
            }
            return row.overTarget ? tr("Over target when active") : tr("OK");
        default:
            return {};
    }
}

QVariant ClusterTableModel::sortValue(const Row& row, int column) const {
    switch (column) {
        case Priority:
            return row.figures.priority;
        case FailoverProbability:
            return row.figures.failover_probability;
        case Standby:
            return QVariant::fromValue<qlonglong>(row.spec.effectiveStandby().memory_mib);
        case Active:
            return QVariant::fromValue<qlonglong>(row.spec.active.memory_mib);
        case RiskMemory:
            return row.figures.risk_when_active[0];
        case RiskVcpus:
            return row.figures.risk_when_active[1];
        case Status:
            return !row.unservable.isEmpty() ? 2 : row.overTarget ? 1 : 0;
        default:
            return display(row, column);
    }
}

QVariant ClusterTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) {
        return {};
    }
    const Row& row = rows_[static_cast<std::size_t>(index.row())];
    const int column = index.column();
    const bool riskColumn = column == RiskMemory || column == RiskVcpus;
    const bool riskOver =
        riskColumn &&
        row.figures.risk_when_active[static_cast<std::size_t>(column - RiskMemory)] > target_;
    switch (role) {
        case Qt::DisplayRole:
            return display(row, column);
        case SortRole:
            return sortValue(row, column);
        case NameRole:
            return QString::fromStdString(row.figures.name);
        case AttentionRole:
            return !row.unservable.isEmpty() || row.overTarget;
        case Qt::TextAlignmentRole:
            if (column == Priority || column == FailoverProbability || riskColumn) {
                return QVariant(Qt::AlignRight | Qt::AlignVCenter);
            }
            return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
        case Qt::ForegroundRole:
            if (riskOver || (column == Status && (row.overTarget || !row.unservable.isEmpty()))) {
                return kCritical;
            }
            return {};
        case Qt::FontRole:
            if (column == Status && !row.unservable.isEmpty()) {
                QFont font;
                font.setBold(true);
                return font;
            }
            return {};
        case Qt::DecorationRole:
            if (column == Status) {
                const QStyle* style = QApplication::style();
                if (!row.unservable.isEmpty()) {
                    return style->standardIcon(QStyle::SP_MessageBoxCritical);
                }
                return style->standardIcon(row.overTarget ? QStyle::SP_MessageBoxWarning
                                                          : QStyle::SP_DialogApplyButton);
            }
            return {};
        case Qt::ToolTipRole:
            if (riskColumn) {
                return tr("Chance that the appliance overflows while %1 is failed over onto it: "
                          "%2; target %3")
                    .arg(QString::fromStdString(row.figures.name),
                         exactRisk(row.figures.risk_when_active[static_cast<std::size_t>(
                             column - RiskMemory)]),
                         formatRisk(target_));
            }
            if (column == FailoverProbability) {
                return exactRisk(row.figures.failover_probability);
            }
            if (column == Status && !row.unservable.isEmpty()) {
                return tr("Its active footprint never fits beside the others' standby "
                          "footprints: %1")
                    .arg(row.unservable);
            }
            return {};
        default:
            return {};
    }
}

QVariant ClusterTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal) {
        return {};
    }
    if (role == Qt::DisplayRole) {
        static const char* const titles[ColumnCount] = {"Cluster",
                                                        "Appliance",
                                                        "Group",
                                                        "Priority",
                                                        "Failover probability",
                                                        "Standby",
                                                        "Active",
                                                        "Risk when active (memory)",
                                                        "Risk when active (vCPUs)",
                                                        "Status"};
        return tr(titles[section]);
    }
    if (role == Qt::ToolTipRole && section == FailoverProbability) {
        return tr("P(failed over), its group included: 1 − (1 − p_cluster)(1 − p_group)");
    }
    return {};
}

ClusterFilterProxy::ClusterFilterProxy(QObject* parent) : QSortFilterProxyModel(parent) {
    setSortRole(ClusterTableModel::SortRole);
    setFilterCaseSensitivity(Qt::CaseInsensitive);
    setFilterKeyColumn(-1);
}

void ClusterFilterProxy::setAttentionOnly(bool only) {
    attentionOnly_ = only;
    invalidateFilter();
}

bool ClusterFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    if (attentionOnly_ && !sourceModel()
                               ->index(sourceRow, 0, sourceParent)
                               .data(ClusterTableModel::AttentionRole)
                               .toBool()) {
        return false;
    }
    return QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent);
}

}  // namespace understudy::gui

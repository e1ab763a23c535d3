#include "gui/online/node_table_model.h"

#include <QApplication>
#include <QBrush>
#include <QFont>
#include <QLocale>
#include <QStyle>
#include <QTimeZone>
#include <algorithm>

#include "gui/online/node_readiness.h"
#include "gui/online/online_style.h"
#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

QString footprintText(const client::Footprint& footprint) {
    return QStringLiteral("%1 · %2").arg(formatVcpus(footprint.vcpus),
                                         formatMemoryMib(footprint.memory_mib));
}

sizing::Footprint grantOverStandby(const client::Node& node) {
    if (!node.grant) {
        return {};
    }
    return {std::max<std::int64_t>(0, node.grant->vcpus - node.standby.vcpus),
            std::max<std::int64_t>(0, node.grant->memory_mib - node.standby.memory_mib)};
}

namespace {

qint64 sortSize(const client::Footprint& footprint) {
    return footprint.memory_mib;
}

QString sinceText(const QDateTime& since) {
    if (!since.isValid()) {
        return {};
    }
    return QLocale().toString(since.toLocalTime(), QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

}  // namespace

NodeTableModel::NodeTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void NodeTableModel::setNodes(const std::vector<client::Node>& nodes) {
    const bool sameRows =
        nodes.size() == nodes_.size() &&
        std::equal(nodes.begin(), nodes.end(), nodes_.begin(),
                   [](const client::Node& a, const client::Node& b) { return a.name == b.name; });
    if (!sameRows) {
        beginResetModel();
        nodes_ = nodes;
        endResetModel();
        return;
    }
    for (std::size_t row = 0; row < nodes.size(); ++row) {
        const client::Node& now = nodes[row];
        client::Node& was = nodes_[row];
        const bool changed = now.state != was.state || now.since != was.since ||
                             now.cluster != was.cluster || now.appliance != was.appliance ||
                             now.current != was.current ||
                             now.active.memory_mib != was.active.memory_mib ||
                             now.active.vcpus != was.active.vcpus ||
                             now.standby.memory_mib != was.standby.memory_mib ||
                             now.standby.vcpus != was.standby.vcpus ||
                             now.grant.has_value() != was.grant.has_value() ||
                             (now.grant && (now.grant->memory_mib != was.grant->memory_mib ||
                                            now.grant->vcpus != was.grant->vcpus ||
                                            now.grant->partial != was.grant->partial));
        if (changed) {
            was = now;
            const int r = static_cast<int>(row);
            emit dataChanged(index(r, 0), index(r, ColumnCount - 1));
        }
    }
}

void NodeTableModel::setAppliances(const std::vector<client::Appliance>& appliances) {
    std::map<QString, QString> states;
    for (const client::Appliance& appliance : appliances) {
        states[appliance.name] = appliance.state;
    }
    if (states == applianceStates_) {
        return;
    }
    applianceStates_ = std::move(states);
    if (!nodes_.empty()) {
        emit dataChanged(index(0, Appliance), index(rowCount() - 1, Appliance));
    }
}

void NodeTableModel::setReadiness(const NodeReadiness* readiness) {
    readiness_ = readiness;
    connect(readiness_, &NodeReadiness::changed, this, [this] {
        if (!nodes_.empty()) {
            emit dataChanged(index(0, State), index(rowCount() - 1, ReadyNow));
        }
    });
}

// A standby node is good only when it could take over now: one that could not reads as such in
// its state too.
Tone NodeTableModel::rowTone(const client::Node& node) const {
    const Tone tone = stateTone(node.state);
    if (tone != Tone::good || readiness_ == nullptr) {
        return tone;
    }
    // The column's name hides the type here.
    using Ready = understudy::gui::ReadyNow;
    const Ready ready = readiness_->of(node);
    return ready.kind == Ready::Kind::yes || ready.kind == Ready::Kind::preempting ? Tone::good
                                                                                   : ready.tone();
}

QString NodeTableModel::applianceState(const QString& appliance) const {
    const auto found = applianceStates_.find(appliance);
    return found == applianceStates_.end() ? QString() : found->second;
}

const client::Node* NodeTableModel::node(const QString& name) const {
    for (const client::Node& node : nodes_) {
        if (node.name == name) {
            return &node;
        }
    }
    return nullptr;
}

int NodeTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(nodes_.size());
}

int NodeTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant NodeTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (section) {
        case Name:
            return tr("Node");
        case Cluster:
            return tr("Cluster");
        case Appliance:
            return tr("Appliance");
        case State:
            return tr("State");
        case ReadyNow:
            return tr("Ready now");
        case Standby:
            return tr("Standby");
        case Active:
            return tr("Active");
        case Current:
            return tr("Current");
        case Grant:
            return tr("Grant");
        case Since:
            return tr("Since");
        default:
            return {};
    }
}

QVariant NodeTableModel::displayText(const client::Node& node, int column) const {
    switch (column) {
        case Name:
            return node.name;
        case Cluster:
            return node.cluster;
        case Appliance: {
            const QString state = applianceState(node.appliance);
            return state.isEmpty() || state == QLatin1String(client::kApplianceConnected)
                       ? node.appliance
                       : tr("%1 (%2)").arg(node.appliance, state);
        }
        case State:
            return node.grant && node.grant->partial ? tr("%1 (partial CPU)").arg(node.state)
                                                     : node.state;
        case ReadyNow:
            return readiness_ == nullptr ? QString() : readiness_->of(node).text;
        case Standby:
            return footprintText(node.standby);
        case Active:
            return footprintText(node.active);
        case Current:
            return node.current ? footprintText(*node.current) : QStringLiteral("—");
        case Grant:
            return node.grant ? formatGrant(grantOverStandby(node)) : QStringLiteral("—");
        case Since:
            return sinceText(node.since);
        default:
            return {};
    }
}

QVariant NodeTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) {
        return {};
    }
    const client::Node& node = nodes_[static_cast<std::size_t>(index.row())];
    const int column = index.column();
    const Tone tone = rowTone(node);
    switch (role) {
        case NameRole:
            return node.name;
        case StateRole:
            return node.state;
        case Qt::DisplayRole:
            return displayText(node, column);
        case SortRole:
            switch (column) {
                case Standby:
                    return sortSize(node.standby);
                case Active:
                    return sortSize(node.active);
                case Current:
                    return node.current ? sortSize(*node.current) : qint64{-1};
                case Grant:
                    return node.grant ? qint64{grantOverStandby(node).memory_mib} : qint64{-1};
                case Since:
                    return node.since;
                default:
                    return data(index, Qt::DisplayRole);
            }
        case Qt::DecorationRole:
            if (column == State) {
                return toneIcon(tone, QApplication::style());
            }
            if (column == ReadyNow && readiness_ != nullptr) {
                const Tone ready = readiness_->of(node).tone();
                return ready == Tone::neutral ? QVariant() : toneIcon(ready, QApplication::style());
            }
            if (column == Appliance) {
                const Tone appliance = applianceTone(applianceState(node.appliance));
                if (appliance == Tone::warning || appliance == Tone::critical) {
                    return toneIcon(appliance, QApplication::style());
                }
            }
            return {};
        case Qt::BackgroundRole:
            if (tone == Tone::good || tone == Tone::neutral) {
                return {};
            }
            return QBrush(toneTint(tone, dark_));
        case Qt::FontRole:
            if (column == State && tone != Tone::good) {
                QFont font;
                font.setBold(true);
                return font;
            }
            return {};
        case Qt::TextAlignmentRole:
            if (column >= Standby && column <= Grant) {
                return int(Qt::AlignRight | Qt::AlignVCenter);
            }
            return {};
        case Qt::ToolTipRole:
            if (column == ReadyNow && readiness_ != nullptr) {
                return readiness_->of(node).reason;
            }
            return tr("%1 of cluster %2 on %3, libvirt domain %4: %5 since %6")
                .arg(node.name, node.cluster, node.appliance, node.domain, node.state,
                     sinceText(node.since));
        default:
            return {};
    }
}

NodeFilterProxy::NodeFilterProxy(QObject* parent) : QSortFilterProxyModel(parent) {
    setSortRole(NodeTableModel::SortRole);
}

void NodeFilterProxy::setState(const QString& state) {
    state_ = state;
    invalidateFilter();
}

void NodeFilterProxy::setText(const QString& text) {
    text_ = text.trimmed();
    invalidateFilter();
}

bool NodeFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    const QModelIndex first = sourceModel()->index(sourceRow, 0, sourceParent);
    if (!state_.isEmpty() && first.data(NodeTableModel::StateRole).toString() != state_) {
        return false;
    }
    const QString& text = text_;
    if (text.isEmpty()) {
        return true;
    }
    for (int column : {NodeTableModel::Name, NodeTableModel::Cluster, NodeTableModel::Appliance}) {
        if (sourceModel()
                ->index(sourceRow, column, sourceParent)
                .data()
                .toString()
                .contains(text, Qt::CaseInsensitive)) {
            return true;
        }
    }
    return false;
}

}  // namespace understudy::gui

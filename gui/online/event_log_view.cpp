#include "gui/online/event_log_view.h"

#include <QApplication>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QStyle>
#include <QTableView>
#include <QVBoxLayout>

#include "gui/online/online_style.h"

namespace understudy::gui {

namespace {

// Plain words rather than JSON: strings without quotes, objects as {key=value, …}.
QString valueText(const QJsonValue& value) {
    if (value.isString()) {
        return value.toString();
    }
    if (value.isDouble()) {
        return QString::number(value.toDouble(), 'g', 12);
    }
    if (value.isBool()) {
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    }
    if (value.isArray()) {
        QStringList items;
        for (const QJsonValue& item : value.toArray()) {
            items << valueText(item);
        }
        return QStringLiteral("[%1]").arg(items.join(QStringLiteral(", ")));
    }
    if (value.isObject()) {
        return QStringLiteral("{%1}").arg(eventDetailsText(value.toObject()));
    }
    return QStringLiteral("null");
}

}  // namespace

QString eventDetailsText(const QJsonObject& details) {
    QStringList parts;
    for (auto it = details.begin(); it != details.end(); ++it) {
        parts << QStringLiteral("%1=%2").arg(it.key(), valueText(it.value()));
    }
    return parts.join(QStringLiteral(", "));
}

EventTableModel::EventTableModel(ServiceConnection* connection, QObject* parent)
    : QAbstractTableModel(parent), connection_(connection) {
    rows_ = static_cast<int>(connection_->events().size());
    connect(connection_, &ServiceConnection::eventsReset, this, [this] {
        beginResetModel();
        rows_ = static_cast<int>(connection_->events().size());
        endResetModel();
    });
    connect(connection_, &ServiceConnection::eventsAppended, this, [this](int count, int dropped) {
        // The connection has already changed its list: tell the views in two steps that
        // each match a consistent row count.
        if (dropped > 0) {
            beginRemoveRows({}, 0, dropped - 1);
            rows_ -= dropped;
            endRemoveRows();
        }
        beginInsertRows({}, rows_, rows_ + count - 1);
        rows_ += count;
        endInsertRows();
    });
}

int EventTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : rows_;
}

int EventTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    const QString names[] = {tr("#"),       tr("Time"), tr("Kind"),
                             tr("Cluster"), tr("Node"), tr("Details")};
    return section >= 0 && section < ColumnCount ? names[section] : QVariant();
}

QVariant EventTableModel::data(const QModelIndex& index, int role) const {
    const auto& events = connection_->events();
    if (!index.isValid() || index.row() >= rows_ ||
        static_cast<std::size_t>(index.row()) >= events.size()) {
        return {};
    }
    const client::Event& event = events[static_cast<std::size_t>(index.row())];
    switch (role) {
        case Qt::DisplayRole:
            switch (index.column()) {
                case Id:
                    return event.id;
                case Time:
                    return event.time.toLocalTime().toString(
                        QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
                case Kind:
                    return event.kind;
                case Cluster:
                    return event.cluster.value_or(QString());
                case Node:
                    return event.node.value_or(QString());
                case Details:
                    return eventDetailsText(event.details);
                default:
                    return {};
            }
        case SortRole:
            return index.column() == Id || index.column() == Time ? QVariant(event.id)
                                                                  : data(index, Qt::DisplayRole);
        case KindRole:
            return event.kind;
        case Qt::DecorationRole:
            if (index.column() == Kind) {
                return toneIcon(eventTone(event.kind), QApplication::style());
            }
            return {};
        case Qt::ForegroundRole:
            if (index.column() == Kind) {
                const Tone tone = eventTone(event.kind);
                if (tone == Tone::critical || tone == Tone::warning) {
                    return toneColor(tone);
                }
            }
            return {};
        case Qt::ToolTipRole:
            return index.column() == Details ? eventDetailsText(event.details) : QVariant();
        default:
            return {};
    }
}

EventFilterProxy::EventFilterProxy(QObject* parent) : QSortFilterProxyModel(parent) {
    setSortRole(EventTableModel::SortRole);
}

void EventFilterProxy::setFilters(const QString& kindPrefix, const QString& cluster,
                                  const QString& node, const QString& search) {
    kind_ = kindPrefix;
    cluster_ = cluster.trimmed();
    node_ = node.trimmed();
    search_ = search.trimmed();
    invalidateFilter();
}

bool EventFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& parent) const {
    const QAbstractItemModel* model = sourceModel();
    auto text = [&](int column) {
        return model->index(sourceRow, column, parent).data().toString();
    };
    if (!kind_.isEmpty() && !text(EventTableModel::Kind).startsWith(kind_)) {
        return false;
    }
    if (!cluster_.isEmpty() &&
        !text(EventTableModel::Cluster).contains(cluster_, Qt::CaseInsensitive)) {
        return false;
    }
    if (!node_.isEmpty() && !text(EventTableModel::Node).contains(node_, Qt::CaseInsensitive)) {
        return false;
    }
    if (search_.isEmpty()) {
        return true;
    }
    for (int column = EventTableModel::Kind; column < EventTableModel::ColumnCount; ++column) {
        if (text(column).contains(search_, Qt::CaseInsensitive)) {
            return true;
        }
    }
    return false;
}

EventLogView::EventLogView(ServiceConnection* connection, QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("eventLogView"));
    model_ = new EventTableModel(connection, this);
    proxy_ = new EventFilterProxy(this);
    proxy_->setSourceModel(model_);

    auto* layout = new QVBoxLayout(this);
    auto* bar = new QHBoxLayout;
    kind_ = new QComboBox(this);
    kind_->setObjectName(QStringLiteral("eventKindFilter"));
    const std::pair<QString, QString> kinds[] = {{tr("All kinds"), QString()},
                                                 {tr("Takeovers"), QStringLiteral("takeover")},
                                                 {tr("Releases"), QStringLiteral("release")},
                                                 {tr("Preemptions"), QStringLiteral("preempted")},
                                                 {tr("Fencing"), QStringLiteral("fence")},
                                                 {tr("Admission"), QStringLiteral("admission")},
                                                 {tr("Cluster changes"), QStringLiteral("cluster")},
                                                 {tr("Tokens"), QStringLiteral("token")},
                                                 {tr("Node problems"), QStringLiteral("node.")},
                                                 {tr("Probes"), QStringLiteral("probe")},
                                                 {tr("Hooks"), QStringLiteral("hook")},
                                                 {tr("Hypervisor"), QStringLiteral("hypervisor")},
                                                 {tr("Appliances"), QStringLiteral("appliance")},
                                                 {tr("Service"), QStringLiteral("service")}};
    for (const auto& [label, prefix] : kinds) {
        kind_->addItem(label, prefix);
    }
    bar->addWidget(new QLabel(tr("&Kind"), this));
    qobject_cast<QLabel*>(bar->itemAt(0)->widget())->setBuddy(kind_);
    bar->addWidget(kind_);
    cluster_ = new QLineEdit(this);
    cluster_->setObjectName(QStringLiteral("eventClusterFilter"));
    cluster_->setPlaceholderText(tr("Cluster"));
    cluster_->setClearButtonEnabled(true);
    bar->addWidget(cluster_, 1);
    node_ = new QLineEdit(this);
    node_->setObjectName(QStringLiteral("eventNodeFilter"));
    node_->setPlaceholderText(tr("Node"));
    node_->setClearButtonEnabled(true);
    bar->addWidget(node_, 1);
    search_ = new QLineEdit(this);
    search_->setObjectName(QStringLiteral("eventSearch"));
    search_->setPlaceholderText(tr("Search every field, details included"));
    search_->setClearButtonEnabled(true);
    bar->addWidget(search_, 2);
    count_ = new QLabel(this);
    bar->addWidget(count_);
    layout->addLayout(bar);

    table_ = new QTableView(this);
    table_->setObjectName(QStringLiteral("eventsTable"));
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(EventTableModel::Id, Qt::DescendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setAlternatingRowColors(true);
    table_->setWordWrap(false);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    table_->horizontalHeader()->setStretchLastSection(true);
    const QFontMetrics metrics = table_->fontMetrics();
    const int padding = 24;
    const int icon = style()->pixelMetric(QStyle::PM_SmallIconSize) + 6;
    table_->setColumnWidth(EventTableModel::Id,
                           metrics.horizontalAdvance(QStringLiteral("00000000")) + padding);
    table_->setColumnWidth(
        EventTableModel::Time,
        metrics.horizontalAdvance(QStringLiteral("2026-12-31 23:59:59.999")) + padding);
    table_->setColumnWidth(
        EventTableModel::Kind,
        metrics.horizontalAdvance(QStringLiteral("hypervisor.disconnected")) + icon + padding);
    table_->setColumnWidth(EventTableModel::Cluster,
                           metrics.horizontalAdvance(QStringLiteral("monitoring-eu")) + padding);
    table_->setColumnWidth(
        EventTableModel::Node,
        metrics.horizontalAdvance(QStringLiteral("monitoring-eu-passive")) + padding);
    layout->addWidget(table_, 1);

    connect(kind_, &QComboBox::currentIndexChanged, this, &EventLogView::applyFilters);
    for (QLineEdit* edit : {cluster_, node_, search_}) {
        connect(edit, &QLineEdit::textChanged, this, &EventLogView::applyFilters);
    }
    auto updateCount = [this] {
        count_->setText(tr("%1 of %2 events").arg(proxy_->rowCount()).arg(model_->rowCount()));
    };
    connect(proxy_, &QAbstractItemModel::rowsInserted, this, updateCount);
    connect(proxy_, &QAbstractItemModel::rowsRemoved, this, updateCount);
    connect(proxy_, &QAbstractItemModel::modelReset, this, updateCount);
    connect(proxy_, &QAbstractItemModel::layoutChanged, this, updateCount);
    updateCount();
}

void EventLogView::applyFilters() {
    proxy_->setFilters(kind_->currentData().toString(), cluster_->text(), node_->text(),
                       search_->text());
}

}  // namespace understudy::gui

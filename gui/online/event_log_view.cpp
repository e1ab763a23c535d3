#include "gui/online/event_log_view.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QSplitter>
#include <QStandardPaths>
#include <QStyle>
#include <QTableView>
#include <QVBoxLayout>

#include "gui/online/event_details.h"
#include "gui/online/online_style.h"
#include "gui/widgets/console_settings.h"

namespace understudy::gui {

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
    const QString names[] = {tr("#"),    tr("Time"), tr("Kind"),   tr("Cluster"),
                             tr("Node"), tr("Who"),  tr("Details")};
    return section >= 0 && section < ColumnCount ? names[section] : QVariant();
}

const client::Event* EventTableModel::event(int row) const {
    const auto& events = connection_->events();
    if (row < 0 || row >= rows_ || static_cast<std::size_t>(row) >= events.size()) {
        return nullptr;
    }
    return &events[static_cast<std::size_t>(row)];
}

QVariant EventTableModel::data(const QModelIndex& index, int role) const {
    const client::Event* shown = index.isValid() ? event(index.row()) : nullptr;
    if (shown == nullptr) {
        return {};
    }
    const client::Event& event = *shown;
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
                case Actor:
                    return actorText(event.actor);
                case Details:
                    return eventSummary(event);
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
            return index.column() == Details ? describeEvent(event)
                   : index.column() == Actor ? actorDescription(event.actor)
                                             : QVariant();
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
    export_ = new QPushButton(tr("E&xport CSV…"), this);
    export_->setObjectName(QStringLiteral("exportEvents"));
    export_->setToolTip(tr("The events shown (as filtered) into a CSV file"));
    connect(export_, &QPushButton::clicked, this, &EventLogView::exportDialog);
    bar->addWidget(export_);
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
    sizeColumns();

    details_ = new QPlainTextEdit(this);
    details_->setObjectName(QStringLiteral("eventDetails"));
    details_->setReadOnly(true);
    details_->setPlaceholderText(tr("Double-click an event to read it here"));
    details_->hide();
    split_ = new QSplitter(Qt::Vertical, this);
    split_->setObjectName(QStringLiteral("eventsSplit"));
    split_->addWidget(table_);
    split_->addWidget(details_);
    split_->setStretchFactor(0, 3);
    split_->setStretchFactor(1, 1);
    layout->addWidget(split_, 1);
    connect(table_, &QAbstractItemView::activated, this,
            [this](const QModelIndex& index) { showDetails(index.row()); });
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &EventLogView::followSelection);

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

// Wide enough for long values of each column; the details take the rest.
void EventLogView::sizeColumns() {
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
    table_->setColumnWidth(
        EventTableModel::Actor,
        metrics.horizontalAdvance(QStringLiteral("admin@192.168.100.200")) + padding);
}

void EventLogView::showDetails(int row) {
    const QModelIndex index = proxy_->index(row, 0);
    const client::Event* event =
        index.isValid() ? model_->event(proxy_->mapToSource(index).row()) : nullptr;
    details_->setPlainText(event == nullptr ? QString() : describeEvent(*event));
    if (details_->isHidden()) {
        details_->show();
        // Hidden until now, the pane has no height of its own yet: a quarter of the view.
        const int height = split_->height();
        split_->setSizes({height - height / 4, height / 4});
    }
}

// Once open, the pane follows the selection, so the keyboard can walk the log.
void EventLogView::followSelection() {
    if (details_->isVisible()) {
        showDetails(table_->currentIndex().row());
    }
}

Status EventLogView::exportCsv(const QString& path) const {
    std::vector<client::Event> shown;
    shown.reserve(static_cast<std::size_t>(proxy_->rowCount()));
    for (int row = 0; row < proxy_->rowCount(); ++row) {
        const client::Event* event =
            model_->event(proxy_->mapToSource(proxy_->index(row, 0)).row());
        if (event != nullptr) {
            shown.push_back(*event);
        }
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(eventsCsv(shown).toUtf8()) < 0 ||
        !file.commit()) {
        return Error{"io",
                     tr("Could not write the events: %1").arg(file.errorString()).toStdString(),
                     path.toStdString()};
    }
    return Done{};
}

void EventLogView::exportDialog() {
    QSettings settings = consoleSettings();
    const QString folder =
        settings
            .value(QStringLiteral("lastExportDir"),
                   QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation))
            .toString();
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export events"), QDir(folder).filePath(QStringLiteral("understudy-events.csv")),
        tr("CSV files (*.csv)"));
    if (path.isEmpty()) {
        return;
    }
    settings.setValue(QStringLiteral("lastExportDir"), QFileInfo(path).absolutePath());
    if (const Status written = exportCsv(path); !written) {
        QMessageBox::warning(this, tr("Events not exported"),
                             QString::fromStdString(written.error().describe()));
    }
}

void EventLogView::applyFilters() {
    proxy_->setFilters(kind_->currentData().toString(), cluster_->text(), node_->text(),
                       search_->text());
}

}  // namespace understudy::gui

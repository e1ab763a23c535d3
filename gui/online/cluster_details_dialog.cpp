#include "gui/online/cluster_details_dialog.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>
#include <algorithm>

#include "gui/online/api_error_text.h"
#include "gui/online/event_details.h"
#include "gui/online/node_table_model.h"
#include "gui/online/online_style.h"
#include "gui/online/timeline_view.h"
#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

namespace {

QString timeText(const QDateTime& time) {
    return time.isValid() ? time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))
                          : QString();
}

QLabel* valueLabel(const QString& name, QWidget* parent) {
    auto* label = new QLabel(QObject::tr("Loading…"), parent);
    label->setObjectName(name);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

void setTone(QLabel* label, Tone tone) {
    label->setStyleSheet(
        tone == Tone::neutral || tone == Tone::good
            ? QString()
            : QStringLiteral("color: %1; font-weight: bold;").arg(toneColor(tone).name()));
}

// The cluster's share of the events the console holds, oldest first.
struct HeldEvents {
    std::deque<client::Event> own;
    int probeFailed = 0;
    int probeRecovered = 0;
    QDateTime rotated;  // the last token rotation among them
};

HeldEvents heldEvents(const ServiceConnection& connection, const QString& cluster) {
    HeldEvents held;
    for (const client::Event& event : connection.events()) {
        if (!event.cluster || *event.cluster != cluster) {
            continue;
        }
        held.own.push_back(event);
        held.probeFailed += event.kind == QLatin1String("probe.failed") ? 1 : 0;
        held.probeRecovered += event.kind == QLatin1String("probe.recovered") ? 1 : 0;
        if (event.kind == QLatin1String("token.rotated")) {
            held.rotated = event.time;
        }
    }
    return held;
}

std::vector<client::Node> nodesOf(const ServiceConnection& connection, const QString& cluster) {
    std::vector<client::Node> nodes;
    for (const client::Node& node : connection.fleet().nodes) {
        if (node.cluster == cluster) {
            nodes.push_back(node);
        }
    }
    return nodes;
}

// From the oldest event held (or the start of an activity older still), with a margin.
QDateTime timelineStart(const std::deque<client::Event>& own,
                        const std::vector<client::Node>& nodes, const QDateTime& now) {
    QDateTime from = own.empty() ? now.addSecs(-3600) : own.front().time;
    for (const client::Node& node : nodes) {
        if (node.state == QLatin1String("active") && node.since.isValid()) {
            from = std::min(from, node.since);
        }
    }
    return from.addMSecs(-std::max<qint64>(5000, from.msecsTo(now) / 20));
}

}  // namespace

QString hoursText(double hours) {
    if (hours < 1.0 / 60.0) {
        return QObject::tr("%1 s").arg(qRound(hours * 3600.0));
    }
    if (hours < 1.0) {
        return QObject::tr("%1 min").arg(qRound(hours * 60.0));
    }
    return QObject::tr("%1 h").arg(hours, 0, 'f', hours < 100.0 ? 1 : 0);
}

ClusterDetailsDialog::ClusterDetailsDialog(ServiceConnection* connection,
                                           const client::Cluster& cluster,
                                           std::function<void()> rotate, QWidget* parent)
    : QDialog(parent) {
    setObjectName(QStringLiteral("clusterDetails"));
    setWindowTitle(tr("Cluster %1").arg(cluster.name));
    const QString name = cluster.name;
    auto* layout = new QVBoxLayout(this);

    // What the cluster is, beside its history and health.
    auto* top = new QHBoxLayout;
    top->addWidget(clusterBox(cluster), 1);
    top->addWidget(historyBox(), 1);
    top->addWidget(healthBox(std::move(rotate)), 1);
    layout->addLayout(top);

    const HeldEvents held = heldEvents(*connection, name);
    addFailoverTimeline(layout, held.own, nodesOf(*connection, name));
    probeEvents_->setText(held.probeFailed + held.probeRecovered == 0
                              ? tr("none among the events held")
                              : tr("%1 failed, %2 recovered among the events held")
                                    .arg(held.probeFailed)
                                    .arg(held.probeRecovered));
    tokenRotated_->setText(held.rotated.isValid()
                               ? tr("last rotated %1").arg(timeText(held.rotated))
                               : tr("not rotated since %1 (as far as the events held go)")
                                     .arg(held.own.empty() ? tr("the console connected")
                                                           : timeText(held.own.front().time)));
    addRecentEvents(layout, held.own, name);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    resize(fontMetrics().averageCharWidth() * 190, fontMetrics().height() * 40);

    if (connection->client() != nullptr) {
        connection->client()->call<client::ClusterStats>(
            client::api::clusterStats(name), this,
            [this](client::ApiResult<client::ClusterStats> answer) { showStats(answer); });
    }
}

QGroupBox* ClusterDetailsDialog::clusterBox(const client::Cluster& cluster) {
    auto* what = new QGroupBox(tr("Cluster"), this);
    auto* whatForm = new QFormLayout(what);
    whatForm->addRow(tr("Passive node"),
                     new QLabel(tr("%1 on %2").arg(cluster.node, cluster.appliance), what));
    whatForm->addRow(tr("Priority"), new QLabel(QString::number(cluster.priority), what));
    whatForm->addRow(
        tr("Group"),
        new QLabel(cluster.group.isEmpty() ? tr("none (independent)") : cluster.group, what));
    auto* footprints =
        new QLabel(tr("standby %1\nactive %2\nmemory %3")
                       .arg(footprintText(cluster.standby), footprintText(cluster.active),
                            cluster.memory_mode == QLatin1String("reserved")
                                ? tr("reserved at the active size")
                                : tr("ballooned between the two")),
                   what);
    footprints->setObjectName(QStringLiteral("clusterFootprints"));
    whatForm->addRow(tr("Footprints"), footprints);
    whatForm->addRow(
        tr("Declared MTBF / MTTR"),
        new QLabel(tr("%1 / %2").arg(hoursText(cluster.mtbf_hours), hoursText(cluster.mttr_hours)),
                   what));
    whatForm->addRow(tr("Failure model"),
                     new QLabel(cluster.failure_model == QLatin1String("observed")
                                    ? tr("observed (its own history, once it has 3 failovers)")
                                    : tr("declared"),
                                what));
    return what;
}

QGroupBox* ClusterDetailsDialog::historyBox() {
    auto* history = new QGroupBox(tr("History"), this);
    auto* historyForm = new QFormLayout(history);
    failovers_ = valueLabel(QStringLiteral("clusterFailovers"), history);
    activeTime_ = valueLabel(QStringLiteral("clusterActiveTime"), history);
    lastFailover_ = valueLabel(QStringLiteral("clusterLastFailover"), history);
    observed_ = valueLabel(QStringLiteral("clusterObserved"), history);
    historyForm->addRow(tr("Failovers"), failovers_);
    historyForm->addRow(tr("Time active"), activeTime_);
    historyForm->addRow(tr("Last failover"), lastFailover_);
    historyForm->addRow(tr("Observed MTBF / MTTR"), observed_);
    return history;
}

QGroupBox* ClusterDetailsDialog::healthBox(std::function<void()> rotate) {
    auto* health = new QGroupBox(tr("Probe and token"), this);
    auto* healthForm = new QFormLayout(health);
    probe_ = valueLabel(QStringLiteral("clusterProbe"), health);
    probeEvents_ = new QLabel(health);
    probeEvents_->setObjectName(QStringLiteral("clusterProbeEvents"));
    probeEvents_->setWordWrap(true);
    tokenRotated_ = new QLabel(health);
    tokenRotated_->setObjectName(QStringLiteral("clusterTokenRotated"));
    tokenRotated_->setWordWrap(true);
    healthForm->addRow(tr("Last probe"), probe_);
    healthForm->addRow(tr("Probe changes"), probeEvents_);
    healthForm->addRow(tr("Token"), tokenRotated_);
    auto* rotateButton = new QPushButton(tr("Rotate &token…"), health);
    rotateButton->setObjectName(QStringLiteral("clusterRotateToken"));
    connect(rotateButton, &QPushButton::clicked, this, [rotate] { rotate(); });
    healthForm->addRow(QString(), rotateButton);
    return health;
}

// Failovers over time: the timeline of this cluster's node alone, fitted to what is held.
void ClusterDetailsDialog::addFailoverTimeline(QVBoxLayout* layout,
                                               const std::deque<client::Event>& own,
                                               const std::vector<client::Node>& nodes) {
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const QDateTime from = timelineStart(own, nodes, now);
    Timeline timeline = buildTimeline(own, nodes, from);
    layout->addWidget(new QLabel(
        tr("<b>Failovers over time</b> (since %1, the oldest event the console holds for it)")
            .arg(timeText(from)),
        this));
    timeline_ = new TimelineCanvas(this);
    timeline_->setObjectName(QStringLiteral("clusterFailoverTimeline"));
    timeline_->setTimeline(std::move(timeline), from, now);
    layout->addWidget(timeline_);
}

void ClusterDetailsDialog::addRecentEvents(QVBoxLayout* layout,
                                           const std::deque<client::Event>& own,
                                           const QString& cluster) {
    layout->addWidget(new QLabel(tr("<b>Recent events</b>"), this));
    history_ = new QListWidget(this);
    history_->setObjectName(QStringLiteral("clusterHistory"));
    history_->setAlternatingRowColors(true);
    for (auto it = own.rbegin(); it != own.rend() && history_->count() < 200; ++it) {
        history_->addItem(new QListWidgetItem(
            toneIcon(eventTone(it->kind), style()),
            QStringLiteral("%1  %2  %3").arg(timeText(it->time), it->kind, eventSummary(*it))));
    }
    if (history_->count() == 0) {
        history_->addItem(tr("No event of %1 among those the console holds.").arg(cluster));
    }
    layout->addWidget(history_, 1);
}

void ClusterDetailsDialog::showStats(const client::ApiResult<client::ClusterStats>& answer) {
    if (!answer) {
        const QString why = describeApiError(answer.error());
        for (QLabel* label : {failovers_, activeTime_, lastFailover_, observed_, probe_}) {
            label->setText(tr("not known: %1").arg(why));
        }
        return;
    }
    const client::ClusterStats& stats = *answer;
    failovers_->setText(QString::number(stats.failovers));
    activeTime_->setText(hoursText(stats.active_hours));
    lastFailover_->setText(stats.last_failover.isValid() ? timeText(stats.last_failover)
                                                         : tr("never"));
    observed_->setText(stats.observed_mtbf_hours
                           ? tr("%1 / %2").arg(hoursText(*stats.observed_mtbf_hours),
                                               stats.observed_mttr_hours
                                                   ? hoursText(*stats.observed_mttr_hours)
                                                   : tr("not known"))
                           : tr("not known yet (too few failovers)"));
    if (!stats.last_probe) {
        probe_->setText(tr("none yet (no probe configured, or not run yet)"));
        setTone(probe_, Tone::neutral);
        return;
    }
    const client::Probe& probe = *stats.last_probe;
    const Tone tone = probe.ok ? Tone::good : Tone::critical;
    QString output = probe.output.trimmed();
    if (output.size() > 300) {
        output = output.left(300) + QStringLiteral("…");
    }
    probe_->setText(tr("%1 at %2%3")
                        .arg(toneWord(tone), timeText(probe.time),
                             output.isEmpty() ? QString() : QStringLiteral(": ") + output));
    setTone(probe_, tone);
}

}  // namespace understudy::gui

#include "gui/online/timeline_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHash>
#include <QHelpEvent>
#include <QLabel>
#include <QPaintEvent>
#include <QPainter>
#include <QPainterPath>
#include <QScrollArea>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <utility>

#include "gui/online/online_style.h"
#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

namespace {

bool endsActive(const QString& kind) {
    return kind == QLatin1String("release") || kind == QLatin1String("preempted") ||
           kind == QLatin1String("fence.off") || kind == QLatin1String("fence.reboot");
}

QString durationText(qint64 seconds) {
    if (seconds < 60) {
        return QObject::tr("%1 s").arg(seconds);
    }
    if (seconds < 3600) {
        return QObject::tr("%1 min").arg(seconds / 60);
    }
    return QObject::tr("%1 h %2 min").arg(seconds / 3600).arg((seconds % 3600) / 60);
}

bool marked(const QString& kind) {
    return kind.startsWith(QLatin1String("fence.")) || kind == QLatin1String("takeover.denied") ||
           kind == QLatin1String("preempted");
}

// From each event that starts an outage to the one that ends it; those still going at the end
// are open.
std::vector<Outage> collectOutages(const std::deque<client::Event>& events, const QDateTime& from) {
    std::vector<Outage> outages;
    QHash<QString, Outage> open;
    const auto begin = [&open](const QString& key, const QDateTime& time, const QString& what) {
        if (!open.contains(key)) {
            open.insert(key, Outage{time, {}, what});
        }
    };
    const auto end = [&open, &outages, &from](const QString& key, const QDateTime& time) {
        const auto found = open.find(key);
        if (found != open.end()) {
            found->to = time;
            if (time >= from) {
                outages.push_back(*found);
            }
            open.erase(found);
        }
    };
    for (const client::Event& event : events) {
        const QString& kind = event.kind;
        const QString appliance = event.details.value(QStringLiteral("appliance")).toString();
        if (kind == QLatin1String("service.stopped")) {
            begin(QStringLiteral("service"), event.time, TimelineView::tr("service stopped"));
        } else if (kind == QLatin1String("service.started")) {
            end(QStringLiteral("service"), event.time);
        } else if (kind == QLatin1String("appliance.unreachable")) {
            begin(QLatin1String("unreachable:") + appliance, event.time,
                  TimelineView::tr("appliance %1 unreachable").arg(appliance));
        } else if (kind == QLatin1String("appliance.reachable")) {
            end(QLatin1String("unreachable:") + appliance, event.time);
        } else if (kind == QLatin1String("appliance.lost")) {
            end(QLatin1String("unreachable:") + appliance, event.time);
            begin(QLatin1String("lost:") + appliance, event.time,
                  TimelineView::tr("appliance %1 lost").arg(appliance));
        } else if (kind == QLatin1String("appliance.rejoined")) {
            end(QLatin1String("lost:") + appliance, event.time);
        } else if (kind == QLatin1String("hypervisor.disconnected")) {
            begin(QLatin1String("libvirt:") + appliance, event.time,
                  TimelineView::tr("libvirt of %1 disconnected").arg(appliance));
        } else if (kind == QLatin1String("hypervisor.connected")) {
            end(QLatin1String("libvirt:") + appliance, event.time);
        }
    }
    for (const Outage& outage : std::as_const(open)) {
        outages.push_back(outage);
    }
    return outages;
}

// One lane per node, in the order of its first span or mark.
void assignLanes(Timeline& timeline) {
    QHash<QString, QDateTime> firstSeen;
    const auto seen = [&firstSeen](const QString& node, const QDateTime& time) {
        const auto found = firstSeen.find(node);
        if (found == firstSeen.end()) {
            firstSeen.insert(node, time);
        } else if (time < found.value()) {
            found.value() = time;
        }
    };
    for (const ActiveSpan& span : timeline.spans) {
        seen(span.node, span.from);
    }
    for (const EventMark& mark : timeline.marks) {
        seen(mark.node, mark.time);
    }
    std::vector<std::pair<QDateTime, QString>> order;
    for (auto it = firstSeen.cbegin(); it != firstSeen.cend(); ++it) {
        order.emplace_back(it.value(), it.key());
    }
    std::sort(order.begin(), order.end());
    QHash<QString, std::size_t> laneOf;
    for (const auto& [time, name] : order) {
        laneOf.insert(name, static_cast<std::size_t>(timeline.lanes.size()));
        timeline.lanes << name;
    }
    timeline.laneSpans.resize(order.size());
    timeline.laneMarks.resize(order.size());
    for (std::size_t index = 0; index < timeline.spans.size(); ++index) {
        timeline.laneSpans[laneOf.value(timeline.spans[index].node)].push_back(index);
    }
    for (std::size_t index = 0; index < timeline.marks.size(); ++index) {
        timeline.laneMarks[laneOf.value(timeline.marks[index].node)].push_back(index);
    }
}

}  // namespace

int Timeline::count(const QString& kindPrefix) const {
    return static_cast<int>(std::count_if(marks.begin(), marks.end(), [&](const EventMark& mark) {
        return mark.kind.startsWith(kindPrefix);
    }));
}

Timeline buildTimeline(const std::deque<client::Event>& events,
                       const std::vector<client::Node>& nodes, const QDateTime& from) {
    Timeline timeline;
    timeline.outages = collectOutages(events, from);
    QHash<QString, ActiveSpan> open;
    for (const client::Event& event : events) {
        if (!event.node) {
            continue;
        }
        const QString& node = *event.node;
        if (event.kind == QLatin1String("takeover.granted")) {
            if (open.contains(node)) {
                continue;  // already active: an idempotent repeat
            }
            ActiveSpan span;
            span.node = node;
            span.cluster = event.cluster.value_or(QString());
            span.from = event.time;
            span.partial = event.details.value(QStringLiteral("partial")).toBool();
            open[node] = span;
        } else if (endsActive(event.kind)) {
            const auto found = open.find(node);
            if (found != open.end()) {
                ActiveSpan span = found.value();
                span.to = event.time;
                span.endedBy = event.kind;
                open.erase(found);
                if (span.to >= from) {
                    timeline.spans.push_back(span);
                }
            }
        }
        if (marked(event.kind) && event.time >= from) {
            timeline.marks.push_back({node, event.time, event.kind});
        }
    }
    // A node active now whose takeover is older than the events the console holds still
    // shows, from its `since`.
    for (const client::Node& node : nodes) {
        if (node.state != QLatin1String("active")) {
            open.remove(node.name);
            continue;
        }
        if (!open.contains(node.name)) {
            ActiveSpan span;
            span.node = node.name;
            span.cluster = node.cluster;
            span.from = node.since;
            span.partial = node.grant && node.grant->partial;
            open[node.name] = span;
        }
    }
    for (const ActiveSpan& span : std::as_const(open)) {
        timeline.spans.push_back(span);
    }
    assignLanes(timeline);
    return timeline;
}

TimelineCanvas::TimelineCanvas(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("timelineCanvas"));
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Minimum);
}

void TimelineCanvas::setTimeline(Timeline timeline, QDateTime from, QDateTime to) {
    timeline_ = std::move(timeline);
    from_ = std::move(from);
    to_ = std::move(to);
    updateGeometry();
    setMinimumHeight(sizeHint().height());
    update();
}

int TimelineCanvas::laneHeight() const {
    return fontMetrics().height() + 12;
}

int TimelineCanvas::labelWidth() const {
    int widest = fontMetrics().horizontalAdvance(tr("No node was active in this window"));
    for (const QString& lane : timeline_.lanes) {
        widest = std::max(widest, fontMetrics().horizontalAdvance(lane));
    }
    return std::min(widest + 24, width() / 3);
}

QSize TimelineCanvas::sizeHint() const {
    const int lanes = std::max<int>(1, static_cast<int>(timeline_.lanes.size()));
    return {800, (lanes + 2) * laneHeight() + 8};
}

double TimelineCanvas::xOf(const QDateTime& time) const {
    const double left = labelWidth();
    const double span = static_cast<double>(std::max<qint64>(1, from_.msecsTo(to_)));
    const double at = std::clamp<double>(static_cast<double>(from_.msecsTo(time)), 0.0, span);
    return left + (width() - left - 16) * at / span;
}

void TimelineCanvas::paintEvent(QPaintEvent* event) {
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QPalette palette = this->palette();
    painter.fillRect(rect(), palette.brush(QPalette::Base));
    const int lane = laneHeight();
    const int left = labelWidth();
    const int top = lane;  // the axis labels sit in the first lane
    QColor grid = palette.color(QPalette::WindowText);
    grid.setAlpha(40);

    // Ticks: about one per 120 px, at round times.
    const qint64 spanMs = std::max<qint64>(1, from_.msecsTo(to_));
    const qint64 steps[] = {1'000,     2'000,      5'000,      10'000,    30'000,
                            60'000,    300'000,    900'000,    1'800'000, 3'600'000,
                            7'200'000, 21'600'000, 43'200'000, 86'400'000};
    const double wanted = static_cast<double>(spanMs) / std::max(1.0, (width() - left) / 120.0);
    qint64 step = steps[std::size(steps) - 1];
    for (qint64 candidate : steps) {
        if (static_cast<double>(candidate) >= wanted) {
            step = candidate;
            break;
        }
    }
    const qint64 first = (from_.toMSecsSinceEpoch() / step + 1) * step;
    const int bottom = top + std::max<int>(1, static_cast<int>(timeline_.lanes.size())) * lane;
    painter.setPen(palette.color(QPalette::WindowText));
    for (qint64 tick = first; tick <= to_.toMSecsSinceEpoch(); tick += step) {
        const QDateTime time = QDateTime::fromMSecsSinceEpoch(tick).toLocalTime();
        const double x = xOf(time);
        painter.setPen(grid);
        painter.drawLine(QPointF(x, top), QPointF(x, bottom));
        painter.setPen(palette.color(QPalette::WindowText));
        const QString label = time.toString(step >= 86'400'000    ? QStringLiteral("MMM d")
                                            : spanMs > 86'400'000 ? QStringLiteral("d HH:mm")
                                            : step < 60'000       ? QStringLiteral("HH:mm:ss")
                                                                  : QStringLiteral("HH:mm"));
        painter.drawText(QRectF(x - 50, 0, 100, lane), Qt::AlignCenter, label);
    }

    paintOutages(painter, top, bottom);
    if (timeline_.lanes.isEmpty()) {
        painter.setPen(palette.color(QPalette::PlaceholderText));
        painter.drawText(QRect(8, top, width() - 16, lane), Qt::AlignVCenter | Qt::AlignLeft,
                         tr("No node was active in this window"));
        return;
    }
    const QColor active = toneColor(Tone::warning);
    // Thousands of lanes sit in a scroll area: only those in the exposed rectangle are drawn.
    const int firstLane = std::max(0, (event->rect().top() - top) / lane);
    const int lastLane = std::min<int>(static_cast<int>(timeline_.lanes.size()) - 1,
                                       (event->rect().bottom() - top) / lane);
    for (int index = firstLane; index <= lastLane; ++index) {
        const QString& name = timeline_.lanes[index];
        const int y = top + index * lane;
        const auto laneIndex = static_cast<std::size_t>(index);
        if (index % 2 == 1) {
            painter.fillRect(QRect(0, y, width(), lane), palette.brush(QPalette::AlternateBase));
        }
        painter.setPen(palette.color(QPalette::WindowText));
        painter.drawText(QRect(8, y, left - 12, lane), Qt::AlignVCenter | Qt::AlignLeft,
                         fontMetrics().elidedText(name, Qt::ElideMiddle, left - 12));
        for (const std::size_t spanIndex : timeline_.laneSpans[laneIndex]) {
            const ActiveSpan& span = timeline_.spans[spanIndex];
            const double x0 = xOf(span.from);
            const double x1 = std::max(x0 + 3, xOf(span.to.isValid() ? span.to : to_));
            const QRectF bar(x0, y + 4, x1 - x0, lane - 8);
            QPainterPath path;
            path.addRoundedRect(bar, 3, 3);
            painter.fillPath(path, active);
            if (span.partial) {
                painter.fillPath(path, QBrush(active.darker(150), Qt::BDiagPattern));
            }
            if (!span.to.isValid()) {
                // Still active: an open end reads without colour.
                painter.setPen(QPen(active.darker(160), 2));
                painter.drawLine(QPointF(x1, y + 2), QPointF(x1, y + lane - 2));
            }
        }
        for (const std::size_t markIndex : timeline_.laneMarks[laneIndex]) {
            paintMark(painter, timeline_.marks[markIndex], y);
        }
    }
    painter.setPen(grid);
    painter.drawLine(QPointF(left, top), QPointF(left, bottom));
}

// A fencing as a red ▲, a denial as a red ✖, a preemption as an amber ▼.
void TimelineCanvas::paintMark(QPainter& painter, const EventMark& mark, int y) const {
    const int lane = laneHeight();
    const double x = xOf(mark.time);
    if (mark.kind == QLatin1String("takeover.denied")) {
        const QColor denied = toneColor(Tone::critical);
        painter.setPen(QPen(denied, 3, Qt::SolidLine, Qt::RoundCap));
        painter.drawLine(QPointF(x - 5, y + 4), QPointF(x + 5, y + lane - 4));
        painter.drawLine(QPointF(x + 5, y + 4), QPointF(x - 5, y + lane - 4));
        return;
    }
    const bool fence = mark.kind.startsWith(QLatin1String("fence."));
    const QColor colour =
        toneColor(fence ? Tone::critical : Tone::warning).darker(fence ? 100 : 130);
    QPolygonF triangle;
    if (fence) {
        triangle << QPointF(x, y + 3) << QPointF(x - 6, y + lane - 3)
                 << QPointF(x + 6, y + lane - 3);
    } else {
        triangle << QPointF(x, y + lane - 3) << QPointF(x - 6, y + 3) << QPointF(x + 6, y + 3);
    }
    painter.setPen(QPen(colour.darker(140), 1));
    painter.setBrush(colour);
    painter.drawPolygon(triangle);
}

// Across every lane: the time the service, an appliance or libvirt was out, hatched and named.
void TimelineCanvas::paintOutages(QPainter& painter, int top, int bottom) const {
    const QColor colour = toneColor(Tone::critical);
    for (const Outage& outage : timeline_.outages) {
        const double x0 = xOf(outage.from);
        const double x1 = std::max(x0 + 3, xOf(outage.to.isValid() ? outage.to : to_));
        const QRectF band(x0, top, x1 - x0, bottom - top);
        QColor tint = colour;
        tint.setAlpha(40);
        painter.fillRect(band, tint);
        painter.fillRect(band, QBrush(colour.lighter(130), Qt::FDiagPattern));
        painter.setPen(QPen(colour, 1, Qt::DashLine));
        painter.drawLine(QPointF(x0, top), QPointF(x0, bottom));
        const QString label = fontMetrics().elidedText(outage.what, Qt::ElideRight,
                                                       std::max(0, static_cast<int>(x1 - x0) - 4));
        painter.drawText(QRectF(x0 + 3, bottom - laneHeight(), x1 - x0, laneHeight()),
                         Qt::AlignVCenter | Qt::AlignLeft, label);
    }
}

bool TimelineCanvas::event(QEvent* event) {
    if (event->type() != QEvent::ToolTip) {
        return QWidget::event(event);
    }
    auto* help = static_cast<QHelpEvent*>(event);
    const int index = (help->pos().y() - laneHeight()) / laneHeight();
    if (help->pos().y() < laneHeight() || index >= timeline_.lanes.size()) {
        QToolTip::hideText();
        return true;
    }
    const QString& name = timeline_.lanes[index];
    for (const std::size_t spanIndex : timeline_.laneSpans[static_cast<std::size_t>(index)]) {
        const ActiveSpan& span = timeline_.spans[spanIndex];
        const double x0 = xOf(span.from);
        const double x1 = std::max(x0 + 3, xOf(span.to.isValid() ? span.to : to_));
        if (help->pos().x() >= x0 - 2 && help->pos().x() <= x1 + 2) {
            const QDateTime end = span.to.isValid() ? span.to : QDateTime::currentDateTimeUtc();
            QToolTip::showText(
                help->globalPos(),
                tr("%1 (cluster %2)\nactive from %3 %4\n%5%6")
                    .arg(name, span.cluster,
                         span.from.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")),
                         span.to.isValid()
                             ? tr("to %1, ended by %2")
                                   .arg(span.to.toLocalTime().toString(QStringLiteral("HH:mm:ss")),
                                        span.endedBy)
                             : tr("and still active"),
                         durationText(span.from.secsTo(end)),
                         span.partial ? tr(", partial CPU") : QString()),
                this);
            return true;
        }
    }
    for (const std::size_t markIndex : timeline_.laneMarks[static_cast<std::size_t>(index)]) {
        const EventMark& mark = timeline_.marks[markIndex];
        if (std::abs(help->pos().x() - xOf(mark.time)) <= 7) {
            QToolTip::showText(
                help->globalPos(),
                tr("%1: %2 at %3")
                    .arg(name, mark.kind,
                         mark.time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))),
                this);
            return true;
        }
    }
    for (const Outage& outage : timeline_.outages) {
        const double x1 = xOf(outage.to.isValid() ? outage.to : to_);
        if (help->pos().x() >= xOf(outage.from) && help->pos().x() <= x1) {
            QToolTip::showText(
                help->globalPos(),
                tr("%1 from %2 %3")
                    .arg(outage.what,
                         outage.from.toLocalTime().toString(QStringLiteral("HH:mm:ss")),
                         outage.to.isValid() ? tr("to %1").arg(outage.to.toLocalTime().toString(
                                                   QStringLiteral("HH:mm:ss")))
                                             : tr("until now")),
                this);
            return true;
        }
    }
    QToolTip::showText(help->globalPos(), name, this);
    return true;
}

TimelineView::TimelineView(ServiceConnection* connection, QWidget* parent)
    : QWidget(parent), connection_(connection) {
    setObjectName(QStringLiteral("timelineView"));
    auto* layout = new QVBoxLayout(this);
    auto* bar = new QHBoxLayout;
    window_ = new QComboBox(this);
    window_->setObjectName(QStringLiteral("timelineWindow"));
    window_->addItem(tr("Fit to the activity"), 0);
    window_->addItem(tr("Last 15 minutes"), 15 * 60);
    window_->addItem(tr("Last hour"), 3600);
    window_->addItem(tr("Last 6 hours"), 6 * 3600);
    window_->addItem(tr("Last 24 hours"), 24 * 3600);
    window_->addItem(tr("Last 7 days"), 7 * 24 * 3600);
    window_->setCurrentIndex(2);
    auto* label = new QLabel(tr("&Window"), this);
    label->setBuddy(window_);
    bar->addWidget(label);
    bar->addWidget(window_);
    summary_ = new QLabel(this);
    summary_->setObjectName(QStringLiteral("timelineSummary"));
    bar->addWidget(summary_, 1);
    auto* legend = new QLabel(
        tr("<span style='color:%1'>■</span> active &nbsp; ▨ partial CPU &nbsp; | still active "
           "&nbsp; <span style='color:%2'>▲</span> fenced &nbsp; <span style='color:%2'>✖</span> "
           "denied &nbsp; <span style='color:%3'>▼</span> preempted &nbsp; <span "
           "style='color:%2'>▧</span> outage")
            .arg(toneColor(Tone::warning).name(), toneColor(Tone::critical).name(),
                 toneColor(Tone::warning).darker(130).name()),
        this);
    legend->setObjectName(QStringLiteral("timelineLegend"));
    // On a line of its own: beside the summary it would set the window's least width.
    layout->addLayout(bar);
    layout->addWidget(legend);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    canvas_ = new TimelineCanvas;
    scroll->setWidget(canvas_);
    layout->addWidget(scroll, 1);

    pending_ = new QTimer(this);
    pending_->setSingleShot(true);
    pending_->setInterval(250);
    connect(pending_, &QTimer::timeout, this, [this] {
        if (isVisible()) {
            rebuild();
        }
    });
    connect(window_, &QComboBox::currentIndexChanged, this, &TimelineView::rebuild);
    connect(connection_, &ServiceConnection::fleetChanged, this, &TimelineView::changed);
    connect(connection_, &ServiceConnection::eventsReset, this, &TimelineView::changed);
    // Open spans grow with the clock.
    auto* clock = new QTimer(this);
    clock->setInterval(15000);
    connect(clock, &QTimer::timeout, this, &TimelineView::changed);
    clock->start();
    connect(connection_, &ServiceConnection::stateChanged, this, &TimelineView::connectionChanged);
    rebuild();
}

void TimelineView::connectionChanged() {
    const bool connected = connection_->state() == ConnectionState::connected;
    const bool open = !unreachable_.empty() && !unreachable_.back().to.isValid();
    if (wasConnected_ && connection_->state() == ConnectionState::reconnecting && !open) {
        unreachable_.push_back(
            {QDateTime::currentDateTimeUtc(), {}, tr("service out of the console's reach")});
    } else if ((connected || connection_->state() == ConnectionState::disconnected) && open) {
        unreachable_.back().to = QDateTime::currentDateTimeUtc();
    }
    wasConnected_ =
        connected || (wasConnected_ && connection_->state() == ConnectionState::reconnecting);
    changed();
}

void TimelineView::changed() {
    stale_ = true;
    if (!pending_->isActive()) {
        pending_->start();
    }
}

void TimelineView::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (stale_) {
        rebuild();
    }
}

void TimelineView::rebuildNow() {
    if (stale_ || pending_->isActive()) {
        pending_->stop();
        rebuild();
    }
}

void TimelineView::rebuild() {
    stale_ = false;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const int seconds = window_->currentData().toInt();
    QDateTime start = now.addSecs(seconds > 0 ? -seconds : -7 * 24 * 3600);
    timeline_ = buildTimeline(connection_->events(), connection_->fleet().nodes, start);
    for (const Outage& outage : unreachable_) {
        if (!outage.to.isValid() || outage.to >= start) {
            timeline_.outages.push_back(outage);
        }
    }
    if (seconds == 0) {
        // From the first activity held, with a margin so the first bar does not touch the axis.
        QDateTime first = now;
        for (const ActiveSpan& span : timeline_.spans) {
            first = std::min(first, span.from);
        }
        for (const EventMark& mark : timeline_.marks) {
            first = std::min(first, mark.time);
        }
        for (const Outage& outage : timeline_.outages) {
            first = std::min(first, outage.from);
        }
        const qint64 span = std::max<qint64>(10'000, first.msecsTo(now));
        start = now.addMSecs(-span - span / 20);
    }
    int activeNow = 0;
    for (const ActiveSpan& span : timeline_.spans) {
        activeNow += span.to.isValid() ? 0 : 1;
    }
    summary_->setText(
        tr("%1 in the window, %2 active now, %3, %4, %5, %6")
            .arg(countOf(static_cast<qint64>(timeline_.spans.size()), tr("takeover")))
            .arg(activeNow)
            .arg(countOf(timeline_.count(QStringLiteral("takeover.denied")), tr("denial")),
                 countOf(timeline_.count(QStringLiteral("preempted")), tr("preemption")),
                 countOf(timeline_.count(QStringLiteral("fence.")), tr("fencing")),
                 countOf(static_cast<qint64>(timeline_.outages.size()), tr("outage"))));
    canvas_->setTimeline(timeline_, start, now);
}

}  // namespace understudy::gui

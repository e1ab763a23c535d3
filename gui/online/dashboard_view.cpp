#include "gui/online/dashboard_view.h"

#include <QFrame>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QScrollArea>
#include <QStyle>
#include <QVBoxLayout>
#include <QtCharts/QBarCategoryAxis>
#include <QtCharts/QBarSet>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QHorizontalStackedBarSeries>
#include <QtCharts/QLegend>
#include <QtCharts/QValueAxis>
#include <algorithm>

#include "gui/online/headroom_history_chart.h"
#include "gui/online/node_readiness.h"
#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

namespace {

const QColor kSegmentColors[] = {{0x9a, 0x9a, 0x9a},   // foreign
                                 {0x3b, 0x82, 0xc4},   // standby committed
                                 {0xd0, 0x8a, 0x1c},   // granted
                                 {0x8f, 0xc9, 0x9c}};  // free

QString amount(ApplianceCard::Row row, qint64 value) {
    return row == ApplianceCard::MemoryRow ? formatMemoryMib(value) : formatVcpus(value);
}

// A sentence in bold, `scale` times the usual size, wrapped and selectable.
QLabel* boldWrappedText(QWidget* parent, const QString& name, double scale) {
    auto* label = new QLabel(parent);
    label->setObjectName(name);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * scale);
    font.setBold(true);
    label->setFont(font);
    return label;
}

QString riskText(double risk) {
    return formatRisk(risk);
}

}  // namespace

ApplianceCard::ApplianceCard(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("applianceCard"));
    auto* frame = new QFrame(this);
    frame->setFrameShape(QFrame::StyledPanel);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(frame);
    auto* layout = new QVBoxLayout(frame);

    auto* header = new QHBoxLayout;
    title_ = new QLabel(frame);
    QFont big = title_->font();
    big.setPointSizeF(big.pointSizeF() * 1.25);
    big.setBold(true);
    title_->setFont(big);
    header->addWidget(title_);
    state_ = new QLabel(frame);
    state_->setObjectName(QStringLiteral("applianceState"));
    header->addWidget(state_);
    header->addStretch(1);
    layout->addLayout(header);
    auto* nowRow = new QHBoxLayout;
    riskIcon_ = new QLabel(frame);
    riskIcon_->setAlignment(Qt::AlignTop);
    nowRow->addWidget(riskIcon_);
    now_ = boldWrappedText(frame, QStringLiteral("riskOfNow"), 1.0);
    const QFont bold = now_->font();
    nowRow->addWidget(now_, 1);
    layout->addLayout(nowRow);
    stateNote_ = new QLabel(frame);
    stateNote_->setObjectName(QStringLiteral("applianceStateNote"));
    stateNote_->setWordWrap(true);
    stateNote_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    stateNote_->hide();
    layout->addWidget(stateNote_);
    risk_ = new QLabel(frame);
    risk_->setObjectName(QStringLiteral("riskState"));
    risk_->setWordWrap(true);
    risk_->setToolTip(
        tr("The sizing's long-run figure: how often, in steady state, the clusters failed over "
           "together would not fit. It does not say whether a failover fits now."));
    layout->addWidget(risk_);

    auto* body = new QHBoxLayout;
    createChart(frame);
    body->addWidget(chartView_, 3);

    figures_ = new QGridLayout;
    figures_->setHorizontalSpacing(14);
    const QString headings[] = {tr("Capacity"),         tr("Foreign"), tr("Standby committed"),
                                tr("Granted"),          tr("Free"),    tr("Overbooking"),
                                tr("Steady-state risk")};
    for (int column = 0; column < 7; ++column) {
        auto* heading = new QLabel(headings[column], frame);
        heading->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        heading->setEnabled(false);
        figures_->addWidget(heading, 0, column + 1);
    }
    const QString rows[] = {tr("Memory"), tr("vCPUs")};
    for (int row = 0; row < 2; ++row) {
        auto* name = new QLabel(rows[row], frame);
        name->setFont(bold);
        figures_->addWidget(name, row + 1, 0);
        for (int column = 0; column < 7; ++column) {
            cells_[row][column] = new QLabel(frame);
            cells_[row][column]->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
            cells_[row][column]->setTextInteractionFlags(Qt::TextSelectableByMouse);
            figures_->addWidget(cells_[row][column], row + 1, column + 1);
        }
    }
    figures_->setRowStretch(3, 1);
    body->addLayout(figures_, 4);
    layout->addLayout(body);
    history_ = new HeadroomHistoryChart(frame);
    layout->addWidget(history_);
}

// The stacked bars of capacity, one per resource, in % of usable capacity.
void ApplianceCard::createChart(QWidget* frame) {
    chart_ = new QChart;
    chart_->setBackgroundRoundness(0);
    chart_->setMargins(QMargins(2, 2, 2, 2));
    chart_->setAnimationOptions(QChart::NoAnimation);
    chart_->legend()->setAlignment(Qt::AlignBottom);
    auto* series = new QHorizontalStackedBarSeries;
    const QString names[] = {tr("Foreign"), tr("Standby committed"), tr("Granted"), tr("Free")};
    for (int segment = 0; segment < SegmentCount; ++segment) {
        sets_[segment] = new QBarSet(names[segment]);
        sets_[segment]->setColor(kSegmentColors[segment]);
        sets_[segment]->setBorderColor(kSegmentColors[segment].darker(130));
        sets_[segment]->append({0.0, 0.0});
        series->append(sets_[segment]);
    }
    series->setBarWidth(0.6);
    chart_->addSeries(series);
    auto* categories = new QBarCategoryAxis;
    categories->append({tr("vCPUs"), tr("Memory")});
    chart_->addAxis(categories, Qt::AlignLeft);
    series->attachAxis(categories);
    auto* percent = new QValueAxis;
    percent->setRange(0, 100);
    percent->setTickCount(6);
    percent->setLabelFormat(QStringLiteral("%d %%"));
    percent->setTitleText(tr("% of usable capacity"));
    chart_->addAxis(percent, Qt::AlignBottom);
    series->attachAxis(percent);
    chartView_ = new QChartView(chart_, frame);
    chartView_->setObjectName(QStringLiteral("headroomChart"));
    chartView_->setRenderHint(QPainter::Antialiasing);
    chartView_->setMinimumSize(420, 190);
}

// The state in words on the tone's colour, so that an appliance that is not connected stands out
// among many cards; the note says what it means for its nodes and what an administrator does.
void ApplianceCard::showState(const client::Appliance& appliance) {
    const Tone tone = applianceTone(appliance.state);
    const QString word =
        appliance.state == QLatin1String(client::kApplianceConnected)     ? tr("Connected")
        : appliance.state == QLatin1String(client::kApplianceUnreachable) ? tr("Unreachable")
        : appliance.state == QLatin1String(client::kApplianceLost)        ? tr("Lost")
                                                                          : appliance.state;
    state_->setText(word);
    const QColor background =
        tone == Tone::neutral ? palette().color(QPalette::Mid) : toneColor(tone);
    state_->setStyleSheet(QStringLiteral("QLabel { background: %1; color: white; font-weight: "
                                         "bold; border-radius: 4px; padding: 2px 8px; }")
                              .arg(background.name()));
    QString note;
    if (appliance.state == QLatin1String(client::kApplianceUnreachable)) {
        note = tr("The service cannot reach %1: requests about its nodes fail at once. It is not "
                  "assumed to be off, since its passive nodes may still run behind a partition; "
                  "once it is known to be off, declare it lost (understudyctl appliance lost "
                  "%1) and its standby nodes start on the other appliances.")
                   .arg(appliance.name);
    } else if (appliance.state == QLatin1String(client::kApplianceLost)) {
        note = appliance.connected
                   ? tr("%1 is known to have been off and is reachable again; its standby nodes "
                        "run on the other appliances. Return it to the pool with understudyctl "
                        "appliance rejoin %1, which first removes its stale copies.")
                         .arg(appliance.name)
                   : tr("%1 is known to be off; its standby nodes were started on the other "
                        "appliances (see the node.evacuated and node.stranded events). Once it is "
                        "back, understudyctl appliance rejoin %1 returns it to the pool.")
                         .arg(appliance.name);
    }
    stateNote_->setText(note);
    stateNote_->setStyleSheet(QStringLiteral("color: %1;").arg(toneColor(tone).name()));
    stateNote_->setVisible(!note.isEmpty());
    state_->setToolTip(note.isEmpty() ? tr("The service reaches %1.").arg(appliance.name) : note);
}

void ApplianceCard::showResource(Row row, const client::ResourceUsage& resource, double targetRisk,
                                 bool capacityKnown) {
    // The chart lists categories bottom-up: vCPUs is index 0, memory index 1.
    const int chartIndex = row == MemoryRow ? 1 : 0;
    amounts_[row][Foreign] = resource.foreign;
    amounts_[row][Standby] = resource.standby_committed;
    amounts_[row][Granted] = resource.granted;
    amounts_[row][Free] = resource.free;
    const double whole = static_cast<double>(std::max<qint64>(1, resource.capacity));
    for (int segment = 0; segment < SegmentCount; ++segment) {
        const double share =
            capacityKnown
                ? std::max(0.0, 100.0 * static_cast<double>(amounts_[row][segment]) / whole)
                : 0.0;
        sets_[segment]->replace(chartIndex, share);
    }
    const QString unknown = QStringLiteral("—");
    cells_[row][0]->setText(capacityKnown ? amount(row, resource.capacity) : unknown);
    cells_[row][1]->setText(amount(row, resource.foreign));
    cells_[row][2]->setText(amount(row, resource.standby_committed));
    cells_[row][3]->setText(
        formatGrantAmount(row == MemoryRow ? sizing::Resource::memory_mib : sizing::Resource::vcpus,
                          resource.granted));
    cells_[row][3]->setToolTip(tr("Granted: what active nodes hold over their standby footprints"));
    cells_[row][4]->setText(capacityKnown ? amount(row, resource.free) : unknown);
    for (int column : {0, 4}) {
        cells_[row][column]->setToolTip(
            capacityKnown ? QString()
                          : tr("Not known: the service has not reached this appliance"));
    }
    cells_[row][5]->setText(formatOverbooking(resource.overbooking_ratio));
    cells_[row][5]->setToolTip(
        tr("Σ active footprints / usable capacity: above 1 the appliance is overbooked"));
    const Tone tone = riskTone(resource.overflow_risk, targetRisk);
    cells_[row][6]->setText(riskText(resource.overflow_risk));
    cells_[row][6]->setToolTip(exactRisk(resource.overflow_risk));
    cells_[row][6]->setStyleSheet(
        tone == Tone::critical || tone == Tone::warning
            ? QStringLiteral("color: %1; font-weight: bold;").arg(toneColor(tone).name())
            : QString());
}

void ApplianceCard::show(const client::Appliance& appliance, double targetRisk,
                         const std::vector<client::Node>& nodes, const NodeReadiness& readiness) {
    title_->setText(appliance.name);
    title_->setToolTip(appliance.uri);
    showState(appliance);
    const QPalette palette = this->palette();
    chart_->setBackgroundBrush(palette.brush(QPalette::Base));
    chart_->legend()->setLabelColor(palette.color(QPalette::WindowText));
    for (QAbstractAxis* axis : chart_->axes()) {
        axis->setLabelsBrush(palette.brush(QPalette::WindowText));
        axis->setTitleBrush(palette.brush(QPalette::WindowText));
    }
    history_->setColors(palette);
    history_->setTargetRisk(targetRisk);

    const client::ResourceUsage* usage[] = {&appliance.memory_mib, &appliance.vcpus};
    double worst = 0;
    for (int row = 0; row < 2; ++row) {
        // An appliance the service has never reached has no known capacity: nothing to share.
        const bool known = appliance.connected || usage[row]->capacity > 0;
        showResource(static_cast<Row>(row), *usage[row], targetRisk, known);
        worst = std::max(worst, usage[row]->overflow_risk);
    }
    const Tone steady = riskTone(worst, targetRisk);
    const QString against =
        targetRisk > 0 ? tr("target %1").arg(formatRisk(targetRisk)) : tr("target not known yet");
    const QString verdict = steady == Tone::critical  ? tr(": over the target")
                            : steady == Tone::warning ? tr(": within the target, little margin")
                            : steady == Tone::good    ? tr(": within the target")
                                                      : QString();
    risk_->setText(
        tr("Steady-state overflow risk %1 (%2)%3").arg(formatRisk(worst), against, verdict));
    risk_->setToolTip(
        tr("Overflow risk %1; target %2")
            .arg(exactRisk(worst), targetRisk > 0 ? exactRisk(targetRisk) : tr("not known yet")));
    risk_->setStyleSheet(steady == Tone::critical || steady == Tone::warning
                             ? QStringLiteral("color: %1;").arg(toneColor(steady).name())
                             : QString());
    tone_ = showNow(appliance, targetRisk, nodes, readiness);
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize);
    riskIcon_->setPixmap(toneIcon(tone_, style()).pixmap(iconSize, iconSize));
    now_->setStyleSheet(QStringLiteral("color: %1;").arg(toneColor(tone_).name()));
}

// The card's tone: the worst of its nodes' readiness, its denial risk and its state.
Tone ApplianceCard::showNow(const client::Appliance& appliance, double targetRisk,
                            const std::vector<client::Node>& nodes,
                            const NodeReadiness& readiness) {
    int waiting = 0;
    QStringList cannot;
    QStringList partial;
    for (const client::Node& node : nodes) {
        if (node.appliance != appliance.name) {
            continue;
        }
        const ReadyNow ready = readiness.of(node);
        waiting += ready.kind == ReadyNow::Kind::active ? 0 : 1;
        if (ready.cannot()) {
            cannot << tr("%1 (%2)").arg(node.name, shortfallText(ready.reason));
        } else if (ready.kind == ReadyNow::Kind::partial) {
            partial << node.name;
        }
    }
    Tone tone = applianceTone(appliance.state);
    const auto worsen = [&tone](Tone other) {
        tone = static_cast<int>(other) > static_cast<int>(tone) ? other : tone;
    };
    QStringList parts;
    if (cannot.isEmpty()) {
        parts << tr("%1 can take over now").arg(countOf(waiting, tr("standby node")));
    } else {
        parts << tr("%1 of %2 cannot take over now: %3")
                     .arg(cannot.size())
                     .arg(countOf(waiting, tr("node")), cannot.join(QStringLiteral(", ")));
        worsen(Tone::critical);
    }
    if (!partial.isEmpty()) {
        parts << tr("only with partial CPU: %1").arg(partial.join(QStringLiteral(", ")));
        worsen(Tone::warning);
    }
    now_->setToolTip(appliance.denial_risk
                         ? tr("Denial risk %1").arg(exactRisk(appliance.denial_risk->value))
                         : QString());
    if (appliance.denial_risk) {
        const Tone risk = riskTone(appliance.denial_risk->value, targetRisk);
        worsen(risk);
        parts << tr("denial risk %1 within %2 h%3")
                     .arg(formatRisk(appliance.denial_risk->value))
                     .arg(appliance.denial_risk->horizon_hours)
                     .arg(risk == Tone::critical  ? tr(", over the target")
                          : risk == Tone::warning ? tr(", close to the target")
                                                  : QString());
    }
    now_->setText(tr("Now: %1.").arg(parts.join(QStringLiteral("; "))));
    return tone;
}

QString ApplianceCard::figure(Row row, int column) const {
    return cells_[row][column]->text();
}

DashboardView::DashboardView(ServiceConnection* connection, const NodeReadiness* readiness,
                             QWidget* parent)
    : QWidget(parent), connection_(connection), readiness_(readiness) {
    setObjectName(QStringLiteral("dashboardView"));
    auto* layout = new QVBoxLayout(this);
    headlineBox_ = new QWidget(this);
    headlineBox_->setObjectName(QStringLiteral("readinessBox"));
    auto* headlineRow = new QHBoxLayout(headlineBox_);
    headlineRow->setContentsMargins(10, 8, 10, 8);
    headlineIcon_ = new QLabel(headlineBox_);
    headlineIcon_->setAlignment(Qt::AlignTop);
    headlineRow->addWidget(headlineIcon_);
    headline_ = boldWrappedText(headlineBox_, QStringLiteral("readinessHeadline"), 1.3);
    headlineRow->addWidget(headline_, 1);
    layout->addWidget(headlineBox_);
    summary_ = new QLabel(this);
    summary_->setObjectName(QStringLiteral("dashboardSummary"));
    summary_->setWordWrap(true);
    layout->addWidget(summary_);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* inner = new QWidget;
    cardsLayout_ = new QVBoxLayout(inner);
    cardsLayout_->setContentsMargins(0, 0, 0, 0);
    unprotected_ = new QLabel(inner);
    unprotected_->setObjectName(QStringLiteral("unprotectedList"));
    unprotected_->setWordWrap(true);
    unprotected_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    unprotected_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    cardsLayout_->addWidget(unprotected_);
    cardsLayout_->addStretch(1);
    scroll->setWidget(inner);
    layout->addWidget(scroll, 1);
    connect(connection_, &ServiceConnection::fleetChanged, this, &DashboardView::update);
    connect(readiness_, &NodeReadiness::changed, this, &DashboardView::update);
    connect(connection_, &ServiceConnection::stateChanged, this, &DashboardView::update);
    connect(connection_, &ServiceConnection::fleetChanged, this, &DashboardView::fetchHistory);
    // The fleet is loaded before the connection counts as made.
    connect(connection_, &ServiceConnection::stateChanged, this, &DashboardView::fetchHistory);
    historyTimer_.setInterval(std::chrono::seconds(60));
    connect(&historyTimer_, &QTimer::timeout, this, &DashboardView::fetchHistory);
    update();
}

void DashboardView::fetchHistory() {
    if (connection_->state() != ConnectionState::connected || connection_->client() == nullptr) {
        historyTimer_.stop();
        return;
    }
    if (historyUrl_ != connection_->url()) {
        historyUrl_ = connection_->url();
        for (auto& [name, card] : cards_) {
            card->history()->clear();
        }
    }
    if (!historyTimer_.isActive()) {
        historyTimer_.start();
    }
    for (const auto& [name, card] : cards_) {
        fetchHistoryOf(name);
    }
}

void DashboardView::fetchHistoryOf(const QString& appliance) {
    ApplianceCard* card = this->card(appliance);
    if (card == nullptr || !historyInFlight_.insert(appliance).second) {
        return;
    }
    const QDateTime newest = card->history()->newest();
    const QDateTime since = newest.isValid() ? newest.addMSecs(1) : QDateTime();
    connection_->client()->call<client::ApplianceHistory>(
        client::api::applianceHistory(appliance, since), this,
        [this, appliance, since](client::ApiResult<client::ApplianceHistory> answer) {
            historyInFlight_.erase(appliance);
            ApplianceCard* shown = this->card(appliance);
            if (!answer || shown == nullptr) {
                return;
            }
            const auto interval = std::chrono::seconds(answer->interval_s);
            if (answer->interval_s > 0 && historyTimer_.intervalAsDuration() != interval) {
                historyTimer_.setInterval(interval);
            }
            // Newer samples than one page holds: the gap is too long to draw as a line.
            if (answer->truncated && since.isValid()) {
                shown->history()->clear();
                fetchHistoryOf(appliance);
                return;
            }
            shown->history()->append(answer->samples);
        });
}

// Green only when every cluster could fail over now, no appliance's denial risk is near the
// target and every appliance is connected; the steady-state risk has no say here.
void DashboardView::showHeadline() {
    const LiveFleet& fleet = connection_->fleet();
    const FleetReadiness ready = fleetReadiness(fleet, *readiness_);
    QStringList sentences;
    const int can = ready.clusters - static_cast<int>(ready.cannot.size() + ready.partial.size() +
                                                      ready.unknown.size());
    // Active clusters have failed over already: the count is of the others.
    QString first = tr("%1 of %2 can fail over now")
                        .arg(can - ready.active)
                        .arg(countOf(ready.clusters - ready.active, tr("cluster")));
    if (ready.active > 0) {
        first += tr(" (%1 more active)").arg(ready.active);
    }
    if (!ready.cannot.isEmpty()) {
        first += tr("; %1 cannot: %2")
                     .arg(ready.cannot.size())
                     .arg(ready.cannot.join(QStringLiteral(", ")));
    }
    if (!ready.partial.isEmpty()) {
        first += tr("; %1 only with partial CPU: %2")
                     .arg(ready.partial.size())
                     .arg(ready.partial.join(QStringLiteral(", ")));
    }
    if (!ready.unknown.isEmpty()) {
        first += tr("; %1 not known yet").arg(ready.unknown.size());
    }
    sentences << (ready.clusters == 0 ? tr("No cluster is registered.") : first + QLatin1Char('.'));
    if (!ready.appliances.isEmpty()) {
        sentences << tr("Not connected: %1.").arg(ready.appliances.join(QStringLiteral(", ")));
    }
    if (ready.worstDenialRisk >= 0) {
        sentences << tr("Denial risk now %1 within %2 h on %3 (target %4).")
                         .arg(formatRisk(ready.worstDenialRisk))
                         .arg(ready.horizonHours)
                         .arg(ready.worstDenialAppliance, fleet.target_risk > 0
                                                              ? formatRisk(fleet.target_risk)
                                                              : tr("not known"));
    }
    headline_->setToolTip(
        ready.worstDenialRisk >= 0
            ? tr("Denial risk %1; target %2")
                  .arg(exactRisk(ready.worstDenialRisk),
                       fleet.target_risk > 0 ? exactRisk(fleet.target_risk) : tr("not known"))
            : QString());
    const bool live = connection_->state() == ConnectionState::connected;
    headlineTone_ = live ? ready.tone : Tone::neutral;
    headline_->setText(
        tr("%1 — %2%3")
            .arg(toneWord(headlineTone_), sentences.join(QLatin1Char(' ')),
                 live ? QString() : tr(" (not live: the service is not connected)")));
    const int iconSize = style()->pixelMetric(QStyle::PM_LargeIconSize);
    headlineIcon_->setPixmap(toneIcon(headlineTone_, style()).pixmap(iconSize, iconSize));
    const QColor colour =
        headlineTone_ == Tone::neutral ? palette().color(QPalette::Mid) : toneColor(headlineTone_);
    const bool dark = palette().color(QPalette::Base).lightness() < 128;
    headlineBox_->setStyleSheet(
        QStringLiteral("#readinessBox { border: 2px solid %1; border-radius: 6px; "
                       "background: %2; }")
            .arg(colour.name(), styleSheetColor(toneTint(headlineTone_, dark))));
    QStringList lines;
    for (const QString& line : ready.why) {
        lines << QStringLiteral("• %1").arg(line.toHtmlEscaped());
    }
    unprotected_->setText(
        lines.isEmpty()
            ? QString()
            : tr("<b>Unprotected now</b> (a failover of these clusters would not get its active "
                 "footprint):<br>%1")
                  .arg(lines.join(QStringLiteral("<br>"))));
    unprotected_->setVisible(!lines.isEmpty());
}

ApplianceCard* DashboardView::card(const QString& appliance) const {
    const auto found = cards_.find(appliance);
    return found == cards_.end() ? nullptr : found->second;
}

void DashboardView::update() {
    const LiveFleet& fleet = connection_->fleet();
    std::map<QString, ApplianceCard*> kept;
    for (const client::Appliance& appliance : fleet.appliances) {
        ApplianceCard* card = this->card(appliance.name);
        if (card == nullptr) {
            card = new ApplianceCard;
            cardsLayout_->insertWidget(cardsLayout_->count() - 2, card);
        } else {
            cards_.erase(appliance.name);
        }
        card->show(appliance, fleet.target_risk, fleet.nodes, *readiness_);
        kept[appliance.name] = card;
    }
    for (auto& [name, card] : cards_) {
        card->deleteLater();
    }
    cards_ = std::move(kept);

    headlineBox_->setVisible(!fleet.appliances.empty());
    if (fleet.appliances.empty()) {
        unprotected_->hide();
        summary_->setText(connection_->state() == ConnectionState::connected
                              ? tr("The service has no appliance.")
                              : tr("Connect to a service (File › Connect…, Ctrl+K) to see its "
                                   "appliances live."));
        return;
    }
    int active = 0;
    for (const client::Node& node : fleet.nodes) {
        active += node.state == QLatin1String("active") ? 1 : 0;
    }
    QStringList notConnected;
    for (const char* state : {client::kApplianceUnreachable, client::kApplianceLost}) {
        const auto count = std::count_if(
            fleet.appliances.begin(), fleet.appliances.end(),
            [state](const client::Appliance& a) { return a.state == QLatin1String(state); });
        if (count > 0) {
            notConnected.append(QStringLiteral("%1 %2").arg(count).arg(QLatin1String(state)));
        }
    }
    showHeadline();
    summary_->setText(
        tr("%1%2, %3, %4, %5 active now.")
            .arg(countOf(static_cast<qint64>(fleet.appliances.size()), tr("appliance")),
                 notConnected.isEmpty()
                     ? QString()
                     : QStringLiteral(" (%1)").arg(notConnected.join(QStringLiteral(", "))),
                 countOf(static_cast<qint64>(fleet.clusters.size()), tr("cluster")),
                 countOf(static_cast<qint64>(fleet.nodes.size()), tr("node")))
            .arg(active));
}

}  // namespace understudy::gui

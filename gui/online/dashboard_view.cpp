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
    riskIcon_ = new QLabel(frame);
    header->addWidget(riskIcon_);
    risk_ = new QLabel(frame);
    risk_->setObjectName(QStringLiteral("riskState"));
    QFont bold = risk_->font();
    bold.setBold(true);
    risk_->setFont(bold);
    header->addWidget(risk_);
    layout->addLayout(header);
    stateNote_ = new QLabel(frame);
    stateNote_->setObjectName(QStringLiteral("applianceStateNote"));
    stateNote_->setWordWrap(true);
    stateNote_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    stateNote_->hide();
    layout->addWidget(stateNote_);

    auto* body = new QHBoxLayout;
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
    body->addWidget(chartView_, 3);

    figures_ = new QGridLayout;
    figures_->setHorizontalSpacing(14);
    const QString headings[] = {tr("Capacity"),     tr("Foreign"), tr("Standby committed"),
                                tr("Granted"),      tr("Free"),    tr("Overbooking"),
                                tr("Overflow risk")};
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
    cells_[row][3]->setText(amount(row, resource.granted));
    cells_[row][4]->setText(capacityKnown ? amount(row, resource.free) : unknown);
    for (int column : {0, 4}) {
        cells_[row][column]->setToolTip(
            capacityKnown ? QString()
                          : tr("Not known: the service has not reached this appliance"));
    }
    cells_[row][5]->setText(QStringLiteral("%1 ×").arg(resource.overbooking_ratio, 0, 'f', 2));
    cells_[row][5]->setToolTip(
        tr("Σ active footprints / usable capacity: above 1 the appliance is overbooked"));
    const Tone tone = riskTone(resource.overflow_risk, targetRisk);
    cells_[row][6]->setText(riskText(resource.overflow_risk));
    cells_[row][6]->setStyleSheet(
        tone == Tone::critical || tone == Tone::warning
            ? QStringLiteral("color: %1; font-weight: bold;").arg(toneColor(tone).name())
            : QString());
}

void ApplianceCard::show(const client::Appliance& appliance, double targetRisk) {
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

    const client::ResourceUsage* usage[] = {&appliance.memory_mib, &appliance.vcpus};
    double worst = 0;
    for (int row = 0; row < 2; ++row) {
        // An appliance the service has never reached has no known capacity: nothing to share.
        const bool known = appliance.connected || usage[row]->capacity > 0;
        showResource(static_cast<Row>(row), *usage[row], targetRisk, known);
        worst = std::max(worst, usage[row]->overflow_risk);
    }
    tone_ = riskTone(worst, targetRisk);
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize);
    riskIcon_->setPixmap(toneIcon(tone_, style()).pixmap(iconSize, iconSize));
    const QString against =
        targetRisk > 0 ? tr("target %1").arg(formatRisk(targetRisk)) : tr("target not known yet");
    const QString verdict = tone_ == Tone::critical  ? tr("over the target")
                            : tone_ == Tone::warning ? tr("within the target, little margin")
                            : tone_ == Tone::good    ? tr("within the target")
                                                     : QString();
    risk_->setText(tr("%1 — overflow risk %2 (%3) %4")
                       .arg(toneWord(tone_), formatRisk(worst), against, verdict)
                       .trimmed());
    risk_->setStyleSheet(QStringLiteral("color: %1;").arg(toneColor(tone_).name()));
}

QString ApplianceCard::figure(Row row, int column) const {
    return cells_[row][column]->text();
}

DashboardView::DashboardView(ServiceConnection* connection, QWidget* parent)
    : QWidget(parent), connection_(connection) {
    setObjectName(QStringLiteral("dashboardView"));
    auto* layout = new QVBoxLayout(this);
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
    cardsLayout_->addStretch(1);
    scroll->setWidget(inner);
    layout->addWidget(scroll, 1);
    connect(connection_, &ServiceConnection::fleetChanged, this, &DashboardView::update);
    update();
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
            cardsLayout_->insertWidget(cardsLayout_->count() - 1, card);
        } else {
            cards_.erase(appliance.name);
        }
        card->show(appliance, fleet.target_risk);
        kept[appliance.name] = card;
    }
    for (auto& [name, card] : cards_) {
        card->deleteLater();
    }
    cards_ = std::move(kept);

    if (fleet.appliances.empty()) {
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

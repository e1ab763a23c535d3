#include "gui/offline/sizing_view.h"

#include <QApplication>
#include <QComboBox>
#include <QEvent>
#include <QFrame>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QTabWidget>
#include <QVBoxLayout>
#include <QtCharts/QChartView>
#include <cmath>
#include <set>
#include <string>

#include "gui/offline/sizing_charts.h"
#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

using sizing::Resource;

namespace {

QColor verdictColor(Verdict verdict) {
    switch (verdict) {
        case Verdict::ok:
            return {0x3a, 0xa0, 0x5a};
        case Verdict::warning:
            return {0xc9, 0x8a, 0x1e};
        case Verdict::critical:
            return {0xd9, 0x3f, 0x3f};
    }
    return {};
}

QStyle::StandardPixmap verdictIcon(Verdict verdict) {
    switch (verdict) {
        case Verdict::ok:
            return QStyle::SP_DialogApplyButton;
        case Verdict::warning:
            return QStyle::SP_MessageBoxWarning;
        case Verdict::critical:
            return QStyle::SP_MessageBoxCritical;
    }
    return QStyle::SP_MessageBoxInformation;
}

QChartView* newChartView(QWidget* parent) {
    auto* view = new QChartView(parent);
    view->setRenderHint(QPainter::Antialiasing);
    view->setFrameShape(QFrame::NoFrame);
    view->setMinimumHeight(view->fontMetrics().height() * 14);
    return view;
}

QLabel* figureLabel(const QString& text, bool header = false) {
    auto* label = new QLabel(text);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    if (header) {
        QFont font = label->font();
        font.setBold(true);
        label->setFont(font);
    }
    return label;
}

// What overbooking saves, the planner's headline: the capacity the target needs (every
// cluster's risk when active included, as the engine's proposal) against reserving every node
// at its active footprint, over the whole pool.
QString savingsSentence(const sizing::SizingResult& result) {
    QStringList needed;
    QStringList reserved;
    QStringList saved;
    for (const Resource resource : sizing::kResources) {
        std::int64_t need = 0;
        for (const sizing::ApplianceResult& appliance : result.appliances) {
            const sizing::ResourceFigures& figures = appliance.figures(resource);
            need += std::max(figures.required_capacity, figures.required_capacity_per_cluster);
        }
        const std::int64_t reserve =
            result.baselines.no_overbooking[static_cast<std::size_t>(resource)];
        needed << formatQuantity(resource, need);
        reserved << formatQuantity(resource, reserve);
        saved << (reserve > 0
                      ? QStringLiteral("%1 %").arg(100.0 * static_cast<double>(reserve - need) /
                                                       static_cast<double>(reserve),
                                                   0, 'f', 0)
                      : QStringLiteral("—"));
    }
    const QString separator = QObject::tr(" and ");
    return QObject::tr(
               "%1 so every cluster meets the target: <b>%2</b>; with no overbooking: %3 "
               "(overbooking saves %4).")
        .arg(result.appliances.size() > 1 ? QObject::tr("The pool needs") : QObject::tr("Needed"),
             needed.join(separator), reserved.join(separator), saved.join(separator));
}

std::int64_t unservableClusters(const sizing::ApplianceResult& appliance) {
    std::set<std::string> names;
    for (const sizing::Unservable& entry : appliance.unservable) {
        names.insert(entry.cluster);
    }
    return static_cast<std::int64_t>(names.size());
}

// The pool answer (docs/sizing-method.md, "Several appliances: placement and N+1"): each appliance
// down in turn, its clusters re-placed on the rest.
QString poolSentence(const sizing::SizingResult& result) {
    if (!result.pool || result.pool->n_plus_one.empty()) {
        return {};
    }
    QStringList lines;
    for (const sizing::PoolDown& down : result.pool->n_plus_one) {
        std::set<std::string> names;
        for (const sizing::Unservable& entry : down.unservable) {
            names.insert(entry.cluster);
        }
        const bool ok = names.empty() && down.overflow_risk[0] <= result.target_risk &&
                        down.overflow_risk[1] <= result.target_risk;
        lines << QObject::tr("%1 %2 down: risk memory %3, vCPUs %4%5")
                     .arg(ok ? QStringLiteral("✓") : QStringLiteral("✗"),
                          QString::fromStdString(down.down).toHtmlEscaped(),
                          formatRisk(down.overflow_risk[0]), formatRisk(down.overflow_risk[1]),
                          names.empty() ? QString()
                                        : QObject::tr(", %1 unservable")
                                              .arg(countOf(static_cast<std::int64_t>(names.size()),
                                                           QObject::tr("cluster"))));
    }
    return QObject::tr("<b>N+1</b> (each appliance down, its clusters re-placed): ") +
           lines.join(QStringLiteral("; "));
}

void replaceChart(QChartView* view, QChart* chart) {
    QChart* old = view->chart();
    view->setChart(chart);
    delete old;
}

}  // namespace

SizingView::SizingView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);

    banner_ = new QFrame(this);
    banner_->setObjectName(QStringLiteral("verdictBanner"));
    banner_->setFrameShape(QFrame::StyledPanel);
    auto* bannerLayout = new QHBoxLayout(banner_);
    bannerIcon_ = new QLabel(banner_);
    bannerHeadline_ = new QLabel(tr("No fleet open"), banner_);
    bannerHeadline_->setObjectName(QStringLiteral("verdictHeadline"));
    QFont headlineFont = bannerHeadline_->font();
    headlineFont.setPointSizeF(headlineFont.pointSizeF() * 1.35);
    headlineFont.setBold(true);
    bannerHeadline_->setFont(headlineFont);
    bannerDetail_ = new QLabel(tr("Open a fleet file (Ctrl+O) to size its appliance."), banner_);
    bannerDetail_->setWordWrap(true);
    bannerDetail_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* bannerText = new QVBoxLayout;
    bannerText->addWidget(bannerHeadline_);
    bannerText->addWidget(bannerDetail_);
    bannerLayout->addWidget(bannerIcon_, 0, Qt::AlignTop);
    bannerLayout->addLayout(bannerText, 1);
    layout->addWidget(banner_);

    unservableBox_ = new QFrame(this);
    unservableBox_->setObjectName(QStringLiteral("unservableBox"));
    unservableBox_->setFrameShape(QFrame::StyledPanel);
    auto* unservableLayout = new QHBoxLayout(unservableBox_);
    auto* unservableIcon = new QLabel(unservableBox_);
    const int iconSize = style()->pixelMetric(QStyle::PM_LargeIconSize);
    unservableIcon->setPixmap(
        style()->standardIcon(QStyle::SP_MessageBoxCritical).pixmap(iconSize, iconSize));
    unservableText_ = new QLabel(unservableBox_);
    unservableText_->setWordWrap(true);
    unservableText_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    unservableLayout->addWidget(unservableIcon, 0, Qt::AlignTop);
    unservableLayout->addWidget(unservableText_, 1);
    unservableBox_->hide();
    layout->addWidget(unservableBox_);

    auto* applianceRow = new QHBoxLayout;
    applianceLabel_ = new QLabel(this);
    applianceLabel_->setWordWrap(true);
    applianceLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    applianceCombo_ = new QComboBox(this);
    applianceCombo_->setObjectName(QStringLiteral("applianceCombo"));
    applianceCombo_->setToolTip(tr("The appliance whose figures and charts are shown"));
    applianceCombo_->hide();
    applianceRow->addWidget(applianceCombo_);
    applianceRow->addWidget(applianceLabel_, 1);
    layout->addLayout(applianceRow);

    auto* figuresFrame = new QFrame(this);
    figures_ = new QGridLayout(figuresFrame);
    figures_->setContentsMargins(0, 0, 0, 0);
    figures_->setHorizontalSpacing(figuresFrame->fontMetrics().averageCharWidth() * 4);
    layout->addWidget(figuresFrame);
    layout->addSpacing(fontMetrics().height() / 2);

    auto* capacityRow = new QHBoxLayout;
    for (int i = 0; i < 2; ++i) {
        capacity_[i] = newChartView(this);
        capacityRow->addWidget(capacity_[i]);
    }
    layout->addLayout(capacityRow, 1);

    curves_ = new QTabWidget(this);
    curves_->setObjectName(QStringLiteral("curveTabs"));
    curves_->setDocumentMode(true);
    auto* riskPage = new QWidget(curves_);
    auto* riskLayout = new QHBoxLayout(riskPage);
    riskLayout->setContentsMargins(0, 0, 0, 0);
    auto* distributionPage = new QWidget(curves_);
    auto* distributionLayout = new QHBoxLayout(distributionPage);
    distributionLayout->setContentsMargins(0, 0, 0, 0);
    for (int i = 0; i < 2; ++i) {
        risk_[i] = newChartView(riskPage);
        riskLayout->addWidget(risk_[i]);
        distribution_[i] = newChartView(distributionPage);
        distributionLayout->addWidget(distribution_[i]);
    }
    curves_->addTab(riskPage, tr("Risk by capacity"));
    curves_->addTab(distributionPage, tr("Demand distribution"));
    layout->addWidget(curves_, 1);

    connect(applianceCombo_, &QComboBox::currentIndexChanged, this, &SizingView::showAppliance);
    refreshStyle();
}

QString SizingView::verdictHeadline() const {
    return bannerHeadline_->text();
}

void SizingView::setSnapshot(std::shared_ptr<const SizingSnapshot> snapshot) {
    snapshot_ = std::move(snapshot);
    const int previous = std::max(0, applianceCombo_->currentIndex());
    {
        const QSignalBlocker block(applianceCombo_);
        applianceCombo_->clear();
        if (snapshot_) {
            for (const sizing::ApplianceResult& appliance : snapshot_->result.appliances) {
                applianceCombo_->addItem(QString::fromStdString(appliance.spec.name));
            }
        }
        applianceCombo_->setVisible(applianceCombo_->count() > 1);
        applianceCombo_->setCurrentIndex(std::min(previous, applianceCombo_->count() - 1));
    }
    if (!snapshot_ || !snapshot_->error.isEmpty()) {
        verdict_ = VerdictText{Verdict::critical, tr("Not computed"),
                               snapshot_ ? snapshot_->error : QString()};
    } else {
        verdict_ = judge(snapshot_->result);
    }
    refreshStyle();
}

void SizingView::refreshStyle() {
    const QColor color = verdictColor(verdict_.verdict);
    const bool computed = snapshot_ && snapshot_->error.isEmpty();
    const int iconSize = style()->pixelMetric(QStyle::PM_LargeIconSize);
    if (computed) {
        bannerIcon_->setPixmap(
            style()->standardIcon(verdictIcon(verdict_.verdict)).pixmap(iconSize, iconSize));
        bannerHeadline_->setText(verdict_.headline);
        bannerDetail_->setText(verdict_.detail);
        banner_->setStyleSheet(QStringLiteral("#verdictBanner { border: 2px solid %1; "
                                              "border-left: 8px solid %1; border-radius: 4px; }"
                                              "#verdictHeadline { color: %1; }")
                                   .arg(color.name()));
    } else if (snapshot_) {
        bannerIcon_->setPixmap(
            style()->standardIcon(QStyle::SP_MessageBoxCritical).pixmap(iconSize, iconSize));
        bannerHeadline_->setText(verdict_.headline);
        bannerDetail_->setText(verdict_.detail);
    }
    unservableBox_->setStyleSheet(
        QStringLiteral("#unservableBox { border: 2px solid %1; border-radius: 4px; }")
            .arg(verdictColor(Verdict::critical).name()));
    showAppliance(std::max(0, applianceCombo_->currentIndex()));
}

void SizingView::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        refreshStyle();
    }
}

void SizingView::fillFigures(const sizing::ApplianceResult& appliance) {
    while (QLayoutItem* item = figures_->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    const QStringList headers = {tr("Resource"),
                                 tr("Usable capacity"),
                                 tr("Standby committed"),
                                 tr("Fleet risk meets the target at"),
                                 tr("Every cluster meets the target at"),
                                 tr("Overbooking"),
                                 tr("Overflow risk"),
                                 tr("Expected shortfall")};
    for (int column = 0; column < headers.size(); ++column) {
        figures_->addWidget(figureLabel(headers[column], true), 0, column);
    }
    int row = 1;
    for (const Resource resource : sizing::kResources) {
        const sizing::ResourceFigures& figures = appliance.figures(resource);
        const double ratio = figures.capacity > 0 ? static_cast<double>(figures.active_total) /
                                                        static_cast<double>(figures.capacity)
                                                  : 0.0;
        QString risk = formatRisk(figures.overflow_risk);
        QString riskTip = exactRisk(figures.overflow_risk);
        if (figures.overflow_risk_lower && figures.overflow_risk_upper) {
            risk += QStringLiteral(" (%1 – %2)")
                        .arg(formatRisk(*figures.overflow_risk_lower),
                             formatRisk(*figures.overflow_risk_upper));
            riskTip += tr(", between %1 and %2")
                           .arg(QString::number(*figures.overflow_risk_lower, 'g', 6),
                                QString::number(*figures.overflow_risk_upper, 'g', 6));
        }
        risk += figures.meets_target ? tr("  ✓ meets") : tr("  ✗ over target");
        const QStringList cells = {resourceTitle(resource),
                                   formatQuantity(resource, figures.capacity),
                                   formatQuantity(resource, figures.standby_total),
                                   formatQuantity(resource, figures.required_capacity),
                                   formatQuantity(resource, figures.required_capacity_per_cluster),
                                   formatOverbooking(ratio),
                                   risk,
                                   formatShortfall(resource, figures.expected_shortfall)};
        for (int column = 0; column < cells.size(); ++column) {
            QLabel* label = figureLabel(cells[column], column == 0);
            if (column == 6) {
                label->setToolTip(riskTip);
                label->setStyleSheet(
                    QStringLiteral("color: %1; font-weight: bold;")
                        .arg(verdictColor(figures.meets_target ? Verdict::ok : Verdict::critical)
                                 .name()));
            }
            if (column == 5) {
                label->setToolTip(
                    tr("Σ active footprints ÷ usable capacity: how much the "
                       "appliance is overbooked"));
            }
            if (column == 3) {
                label->setToolTip(
                    tr("The smallest capacity at which the fleet's overflow risk "
                       "is within the target"));
            }
            if (column == 4) {
                label->setToolTip(
                    tr("The smallest capacity at which the fleet's overflow risk "
                       "and every cluster's risk when active are within the "
                       "target: the capacity to have"));
            }
            if (column == 7) {
                label->setToolTip(exactShortfall(resource, figures.expected_shortfall));
            }
            figures_->addWidget(label, row, column);
        }
        ++row;
    }
}

void SizingView::showAppliance(int index) {
    if (!snapshot_ || !snapshot_->error.isEmpty() || index < 0 ||
        index >= static_cast<int>(snapshot_->result.appliances.size())) {
        return;
    }
    const sizing::ApplianceResult& appliance =
        snapshot_->result.appliances[static_cast<std::size_t>(index)];
    const sizing::ApplianceSpec& spec = appliance.spec;
    applianceLabel_->setText(
        tr("<b>%1</b>%2 — %3, %4; reserve %5, %6; CPU overcommit %7×; %8 clusters")
            .arg(QString::fromStdString(spec.name).toHtmlEscaped(),
                 appliance.proposed ? tr(" (proposed by the engine)") : QString(),
                 formatVcpus(spec.vcpus), formatMemoryMib(spec.memory_mib),
                 formatVcpus(spec.reserve_vcpus), formatMemoryMib(spec.reserve_memory_mib))
            .arg(snapshot_->result.cpu_overcommit, 0, 'g', 3)
            .arg(appliance.clusters.size()) +
        QStringLiteral("<br>") + savingsSentence(snapshot_->result) +
        (snapshot_->result.pool ? QStringLiteral("<br>") + poolSentence(snapshot_->result)
                                : QString()));
    fillFigures(appliance);
    if (!appliance.unservable.empty()) {
        // A few lines at a glance; a badly undersized fleet can have thousands, which belong
        // in the table (Clusters, "Needs attention only"), not in a label.
        constexpr std::size_t kShown = 6;
        QStringList lines;
        std::set<std::string> shown;
        for (const sizing::Unservable& entry : appliance.unservable) {
            if (static_cast<std::size_t>(lines.size()) == kShown) {
                break;
            }
            shown.insert(entry.cluster);
            lines << tr("<b>%1</b>: %2 needs %3 when active, only %4 available beside the "
                        "others' standby footprints")
                         .arg(QString::fromStdString(entry.cluster).toHtmlEscaped(),
                              entry.resource == Resource::memory_mib ? tr("memory") : tr("vCPUs"),
                              formatQuantity(entry.resource, entry.needed),
                              formatQuantity(entry.resource, entry.available));
        }
        const std::int64_t more =
            unservableClusters(appliance) - static_cast<std::int64_t>(shown.size());
        if (more > 0) {
            lines << tr("… and %1 more %2: Clusters view (Ctrl+2), \"Needs attention only\"")
                         .arg(more)
                         .arg(more == 1 ? tr("cluster") : tr("clusters"));
        }
        unservableText_->setText(tr("<b>%1 unservable</b> — no risk figure covers them:<br>%2")
                                     .arg(countOf(unservableClusters(appliance), tr("cluster")),
                                          lines.join(QStringLiteral("<br>"))));
        unservableBox_->show();
    } else {
        unservableBox_->hide();
    }
    const QPalette& palette = this->palette();
    for (const Resource resource : sizing::kResources) {
        const auto i = static_cast<std::size_t>(resource);
        replaceChart(capacity_[i],
                     makeCapacityChart(appliance, snapshot_->result.baselines, resource, palette));
        replaceChart(risk_[i],
                     makeRiskCurveChart(appliance.figures(resource), snapshot_->result.target_risk,
                                        resource, palette));
        replaceChart(distribution_[i],
                     makeDistributionChart(appliance.figures(resource), resource, palette));
        for (QChartView* view : {capacity_[i], risk_[i], distribution_[i]}) {
            view->setBackgroundBrush(palette.brush(QPalette::Base));
        }
    }
}

}  // namespace understudy::gui

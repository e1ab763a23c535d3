#include "gui/offline/what_if_panel.h"

#include <QAction>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>

#include "gui/widgets/risk_spin_box.h"
#include "sizing/fleet_file.h"

namespace understudy::gui {

namespace {

constexpr double kMibPerGib = 1024.0;
constexpr int kMaxSpinVcpus = static_cast<int>(sizing::kMaxVcpus);
// QDoubleSpinBox holds GiB; 2^30 GiB is far beyond any appliance and well inside a double.
constexpr double kMaxSpinGib = 1073741824.0;

double toGib(std::int64_t mib) {
    return std::round(static_cast<double>(mib) / kMibPerGib * 100.0) / 100.0;
}

std::int64_t toMib(double gib) {
    return static_cast<std::int64_t>(std::llround(gib * kMibPerGib));
}

QDoubleSpinBox* gibSpinBox(QWidget* parent) {
    auto* box = new QDoubleSpinBox(parent);
    box->setDecimals(2);
    box->setRange(0.0, kMaxSpinGib);
    box->setSingleStep(16.0);
    box->setSuffix(QStringLiteral(" GiB"));
    box->setKeyboardTracking(true);
    box->setGroupSeparatorShown(true);
    return box;
}

QToolButton* actionButton(QAction* action, QWidget* parent) {
    auto* button = new QToolButton(parent);
    button->setDefaultAction(action);
    button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    button->setToolTip(QStringLiteral("%1 (%2)").arg(
        action->toolTip(), action->shortcut().toString(QKeySequence::NativeText)));
    return button;
}

}  // namespace

WhatIfPanel::WhatIfPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);

    auto* policyBox = new QGroupBox(tr("Target"), this);
    auto* policyForm = new QFormLayout(policyBox);
    target_ = new RiskSpinBox(policyBox);
    target_->setObjectName(QStringLiteral("targetRisk"));
    policyForm->addRow(tr("Target &risk"), target_);
    tolerateK_ = new QSpinBox(policyBox);
    tolerateK_->setObjectName(QStringLiteral("tolerateK"));
    tolerateK_->setRange(0, static_cast<int>(sizing::kMaxTolerateK));
    tolerateK_->setToolTip(
        tr("The k of the deterministic baseline: Σ standby plus the k largest "
           "takeover deltas"));
    policyForm->addRow(tr("Tolerate &k failovers"), tolerateK_);
    layout->addWidget(policyBox);

    applianceBox_ = new QGroupBox(tr("Appliance"), this);
    auto* applianceForm = new QFormLayout(applianceBox_);
    appliance_ = new QComboBox(applianceBox_);
    appliance_->setObjectName(QStringLiteral("whatIfAppliance"));
    applianceForm->addRow(tr("&Edit"), appliance_);
    applianceNote_ = new QLabel(applianceBox_);
    applianceNote_->setWordWrap(true);
    applianceForm->addRow(applianceNote_);
    vcpus_ = new QSpinBox(applianceBox_);
    vcpus_->setObjectName(QStringLiteral("applianceVcpus"));
    vcpus_->setRange(1, kMaxSpinVcpus);
    vcpus_->setSuffix(tr(" vCPUs"));
    applianceForm->addRow(tr("&vCPUs"), vcpus_);
    memory_ = gibSpinBox(applianceBox_);
    memory_->setObjectName(QStringLiteral("applianceMemory"));
    applianceForm->addRow(tr("&Memory"), memory_);
    reserveVcpus_ = new QSpinBox(applianceBox_);
    reserveVcpus_->setObjectName(QStringLiteral("reserveVcpus"));
    reserveVcpus_->setRange(0, kMaxSpinVcpus);
    reserveVcpus_->setSuffix(tr(" vCPUs"));
    applianceForm->addRow(tr("Reserve v&CPUs"), reserveVcpus_);
    reserveMemory_ = gibSpinBox(applianceBox_);
    reserveMemory_->setObjectName(QStringLiteral("reserveMemory"));
    applianceForm->addRow(tr("Reserve mem&ory"), reserveMemory_);
    overcommit_ = new QDoubleSpinBox(applianceBox_);
    overcommit_->setObjectName(QStringLiteral("cpuOvercommit"));
    overcommit_->setRange(1.0, sizing::kMaxCpuOvercommit);
    overcommit_->setSingleStep(0.25);
    overcommit_->setDecimals(2);
    overcommit_->setSuffix(QStringLiteral(" ×"));
    applianceForm->addRow(tr("CPU over&commit"), overcommit_);
    layout->addWidget(applianceBox_);

    problem_ = new QLabel(this);
    problem_->setObjectName(QStringLiteral("whatIfProblem"));
    problem_->setWordWrap(true);
    problem_->setStyleSheet(QStringLiteral("color: #d93f3f; font-weight: bold;"));
    problem_->hide();
    layout->addWidget(problem_);

    auto* clustersBox = new QGroupBox(tr("Clusters"), this);
    clusterButtons_ = new QVBoxLayout(clustersBox);
    layout->addWidget(clustersBox);
    auto* failBox = new QGroupBox(tr("Fail now"), this);
    failButtons_ = new QVBoxLayout(failBox);
    layout->addWidget(failBox);

    note_ = new QLabel(this);
    note_->setObjectName(QStringLiteral("whatIfNote"));
    note_->setWordWrap(true);
    // A role, not a colour: it follows the palette when View > Dark palette switches it.
    note_->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(note_);
    setLive(false, {});
    layout->addStretch(1);

    const auto changed = [this] { emit edited(); };
    connect(target_, &QDoubleSpinBox::valueChanged, this, changed);
    connect(tolerateK_, &QSpinBox::valueChanged, this, changed);
    connect(vcpus_, &QSpinBox::valueChanged, this, changed);
    connect(memory_, &QDoubleSpinBox::valueChanged, this, changed);
    connect(reserveVcpus_, &QSpinBox::valueChanged, this, changed);
    connect(reserveMemory_, &QDoubleSpinBox::valueChanged, this, changed);
    connect(overcommit_, &QDoubleSpinBox::valueChanged, this, changed);
    connect(appliance_, &QComboBox::currentIndexChanged, this, &WhatIfPanel::showAppliance);
}

void WhatIfPanel::addActions(const QList<QAction*>& clusterActions,
                             const QList<QAction*>& failActions) {
    for (QAction* action : clusterActions) {
        clusterButtons_->addWidget(actionButton(action, this));
    }
    for (QAction* action : failActions) {
        failButtons_->addWidget(actionButton(action, this));
    }
}

void WhatIfPanel::setLive(bool live, const QString& note) {
    live_ = live;
    note_->setText(live ? note
                        : tr("Edits are a what-if on the console's copy of the fleet; save "
                             "them with Ctrl+S."));
    const QString why = tr("The service's configuration (understudyd.conf)");
    reserveVcpus_->setToolTip(live ? why : QString());
    reserveMemory_->setToolTip(live ? why : QString());
    overcommit_->setToolTip(live ? why
                                 : tr("vCPUs handed out per physical vCPU (the whole fleet's "
                                      "ratio)"));
    overcommit_->setEnabled(!live);
    showAppliance(appliance_->currentIndex());
}

void WhatIfPanel::setFleet(const sizing::Fleet& fleet) {
    shown_ = fleet;
    const QList<QWidget*> controls = {target_, tolerateK_,    appliance_,     vcpus_,
                                      memory_, reserveVcpus_, reserveMemory_, overcommit_};
    for (QWidget* control : controls) {
        control->blockSignals(true);
    }
    target_->setValue(fleet.target_risk);
    tolerateK_->setValue(fleet.tolerate_k);
    overcommit_->setValue(fleet.cpu_overcommit);
    const int previous = appliance_->currentIndex();
    appliance_->clear();
    for (const sizing::ApplianceSpec& spec : fleet.appliances) {
        appliance_->addItem(QString::fromStdString(spec.name));
    }
    appliance_->setCurrentIndex(
        std::clamp(previous, 0, std::max(0, static_cast<int>(fleet.appliances.size()) - 1)));
    appliance_->setEnabled(fleet.appliances.size() > 1);
    showAppliance(appliance_->currentIndex());
    for (QWidget* control : controls) {
        control->blockSignals(false);
    }
}

void WhatIfPanel::showAppliance(int index) {
    const bool has = index >= 0 && index < static_cast<int>(shown_.appliances.size());
    for (QWidget* control : QList<QWidget*>{vcpus_, memory_, reserveVcpus_, reserveMemory_}) {
        control->setEnabled(has);
    }
    if (!has) {
        applianceNote_->setText(tr("The fleet names no appliance: the engine proposes one."));
        return;
    }
    const sizing::ApplianceSpec& spec = shown_.appliances[static_cast<std::size_t>(index)];
    reserveVcpus_->setEnabled(!live_);
    reserveMemory_->setEnabled(!live_);
    applianceNote_->setText(spec.name == "proposed"
                                ? tr("Starts from the engine's proposal, since the fleet names "
                                     "no appliance.")
                                : QString());
    applianceNote_->setVisible(!applianceNote_->text().isEmpty());
    const QList<QWidget*> controls = {vcpus_, memory_, reserveVcpus_, reserveMemory_};
    for (QWidget* control : controls) {
        control->blockSignals(true);
    }
    vcpus_->setValue(static_cast<int>(std::min<std::int64_t>(spec.vcpus, kMaxSpinVcpus)));
    memory_->setValue(toGib(spec.memory_mib));
    reserveVcpus_->setValue(
        static_cast<int>(std::min<std::int64_t>(spec.reserve_vcpus, kMaxSpinVcpus)));
    reserveMemory_->setValue(toGib(spec.reserve_memory_mib));
    for (QWidget* control : controls) {
        control->blockSignals(false);
    }
}

void WhatIfPanel::applyTo(sizing::Fleet& fleet) const {
    fleet.target_risk = target_->value();
    fleet.tolerate_k = tolerateK_->value();
    fleet.cpu_overcommit = overcommit_->value();
    const int index = appliance_->currentIndex();
    if (index < 0 || index >= static_cast<int>(fleet.appliances.size()) ||
        index >= static_cast<int>(shown_.appliances.size())) {
        return;
    }
    sizing::ApplianceSpec& spec = fleet.appliances[static_cast<std::size_t>(index)];
    const sizing::ApplianceSpec& shown = shown_.appliances[static_cast<std::size_t>(index)];
    spec.vcpus = vcpus_->value();
    spec.reserve_vcpus = reserveVcpus_->value();
    spec.memory_mib =
        memory_->value() == toGib(shown.memory_mib) ? shown.memory_mib : toMib(memory_->value());
    spec.reserve_memory_mib = reserveMemory_->value() == toGib(shown.reserve_memory_mib)
                                  ? shown.reserve_memory_mib
                                  : toMib(reserveMemory_->value());
}

void WhatIfPanel::showProblem(const QString& problem) {
    problem_->setText(problem);
    problem_->setVisible(!problem.isEmpty());
}

}  // namespace understudy::gui

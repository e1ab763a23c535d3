// The what-if controls beside the views: the target, the appliance's capacity and policy, and
// buttons for the cluster actions (their QActions carry the shortcuts). Edits change only the
// console's copy of the fleet until it is saved.
#pragma once

#include <QWidget>

#include "sizing/fleet.h"

class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QSpinBox;
class QAction;
class QVBoxLayout;

namespace understudy::gui {

class RiskSpinBox;

class WhatIfPanel : public QWidget {
    Q_OBJECT
public:
    explicit WhatIfPanel(QWidget* parent = nullptr);

    // Shows the fleet's values without emitting edited().
    void setFleet(const sizing::Fleet& fleet);
    // Writes the controls' values into the fleet (the selected appliance, target, overcommit,
    // tolerate k). Memory fields are written only when their control was changed, so the
    // GiB display never rounds a MiB value the user did not touch.
    void applyTo(sizing::Fleet& fleet) const;
    // A problem with the controls' values, shown under them; empty hides it.
    void showProblem(const QString& problem);
    void addActions(const QList<QAction*>& clusterActions, const QList<QAction*>& failActions);
    // Live: the fleet is the service's, whose reserve and CPU overcommit are its configuration
    // (understudyd.conf), so those are shown but not edited; `note` says what the edits do.
    void setLive(bool live, const QString& note);

    RiskSpinBox* targetRisk() const { return target_; }
    QSpinBox* applianceVcpus() const { return vcpus_; }
    QDoubleSpinBox* applianceMemory() const { return memory_; }
    QLabel* problemLabel() const { return problem_; }

signals:
    void edited();

private:
    void showAppliance(int index);

    sizing::Fleet shown_;
    RiskSpinBox* target_ = nullptr;
    QSpinBox* tolerateK_ = nullptr;
    QGroupBox* applianceBox_ = nullptr;
    QComboBox* appliance_ = nullptr;
    QLabel* applianceNote_ = nullptr;
    QSpinBox* vcpus_ = nullptr;
    QDoubleSpinBox* memory_ = nullptr;
    QSpinBox* reserveVcpus_ = nullptr;
    QDoubleSpinBox* reserveMemory_ = nullptr;
    QDoubleSpinBox* overcommit_ = nullptr;
    QLabel* problem_ = nullptr;
    QVBoxLayout* clusterButtons_ = nullptr;
    QVBoxLayout* failButtons_ = nullptr;
    QLabel* note_ = nullptr;
    bool live_ = false;
};

}  // namespace understudy::gui

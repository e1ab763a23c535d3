// The Sizing tab: the verdict, the key figures per resource, unservable clusters, and the
// charts of the selected appliance.
#pragma once

#include <QWidget>
#include <memory>

#include "gui/offline/sizing_runner.h"
#include "gui/offline/verdict.h"

class QComboBox;
class QGridLayout;
class QLabel;
class QFrame;
class QTabWidget;
class QChartView;

namespace understudy::gui {

class SizingView : public QWidget {
    Q_OBJECT
public:
    explicit SizingView(QWidget* parent = nullptr);

    void setSnapshot(std::shared_ptr<const SizingSnapshot> snapshot);
    // Rebuilds the charts in the current palette (after View > Dark palette).
    void refreshStyle();
    const VerdictText& verdict() const { return verdict_; }
    QString verdictHeadline() const;

protected:
    void changeEvent(QEvent* event) override;

private:
    void showAppliance(int index);
    void fillFigures(const sizing::ApplianceResult& appliance);

    std::shared_ptr<const SizingSnapshot> snapshot_;
    VerdictText verdict_;
    QFrame* banner_ = nullptr;
    QLabel* bannerIcon_ = nullptr;
    QLabel* bannerHeadline_ = nullptr;
    QLabel* bannerDetail_ = nullptr;
    QComboBox* applianceCombo_ = nullptr;
    QLabel* applianceLabel_ = nullptr;
    QGridLayout* figures_ = nullptr;
    QFrame* unservableBox_ = nullptr;
    QLabel* unservableText_ = nullptr;
    QChartView* capacity_[2] = {};
    QChartView* risk_[2] = {};
    QChartView* distribution_[2] = {};
    QTabWidget* curves_ = nullptr;
};

}  // namespace understudy::gui

// A spin box for probabilities from 1e-15 to 0.5: written in scientific notation ("1e-04"),
// and the arrows step by decades, the way people think about risk targets.
#pragma once

#include <QDoubleSpinBox>

namespace understudy::gui {

class RiskSpinBox : public QDoubleSpinBox {
    Q_OBJECT
public:
    explicit RiskSpinBox(QWidget* parent = nullptr);

    QString textFromValue(double value) const override;
    double valueFromText(const QString& text) const override;
    QValidator::State validate(QString& text, int& position) const override;
    void stepBy(int steps) override;
};

}  // namespace understudy::gui

#include "gui/widgets/risk_spin_box.h"

#include <QRegularExpression>
#include <algorithm>
#include <cmath>

#include "gui/widgets/quantity_format.h"
#include "sizing/risk_words.h"

namespace understudy::gui {

namespace {
constexpr double kMinimum = 1e-15;
constexpr double kMaximum = 0.5;
// QDoubleSpinBox rounds every value to its decimals; enough of them keep 1e-15 intact.
constexpr int kDecimals = 30;
}  // namespace

RiskSpinBox::RiskSpinBox(QWidget* parent) : QDoubleSpinBox(parent) {
    setDecimals(kDecimals);
    setRange(kMinimum, kMaximum);
    setValue(1e-4);
    setKeyboardTracking(true);
    setAccelerated(false);
    setToolTip(
        tr("Target overflow risk: the accepted probability that demand exceeds the "
           "usable capacity. Type it as \"1 in 10,000\" or as a number such as 1e-4, or "
           "step by decades with the arrow keys."));
}

QString RiskSpinBox::textFromValue(double value) const {
    return formatRisk(value);
}

double RiskSpinBox::valueFromText(const QString& text) const {
    return sizing::riskFromWords(text.toStdString()).value_or(value());
}

QValidator::State RiskSpinBox::validate(QString& text, int& position) const {
    Q_UNUSED(position);
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty()) {
        return QValidator::Intermediate;
    }
    const std::optional<double> read = sizing::riskFromWords(trimmed.toStdString());
    if (!read) {
        // Half-typed, such as "1e-", "0." or "1 in 10,0", it may still become valid.
        static const QRegularExpression partial(
            QStringLiteral("^([0-9]*\\.?[0-9]*(e-?[0-9]*)?|1( (in?)?)?|1 in [0-9,.]*( [a-z]*)?)$"),
            QRegularExpression::CaseInsensitiveOption);
        return partial.match(trimmed).hasMatch() ? QValidator::Intermediate : QValidator::Invalid;
    }
    const double value = *read;
    return value >= kMinimum && value <= kMaximum ? QValidator::Acceptable
                                                  : QValidator::Intermediate;
}

void RiskSpinBox::stepBy(int steps) {
    const double exponent = std::round(std::log10(value())) + static_cast<double>(steps);
    setValue(std::clamp(std::pow(10.0, exponent), kMinimum, kMaximum));
    selectAll();
}

}  // namespace understudy::gui

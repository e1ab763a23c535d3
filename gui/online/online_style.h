// How the online views mark states so they read at a glance and without colour: a tone gives a
// colour, a standard icon and a word, used together.
#pragma once

#include <QColor>
#include <QIcon>
#include <QString>

class QStyle;

namespace understudy::gui {

enum class Tone { neutral, good, warning, critical };

Tone stateTone(const QString& nodeState);
// connected: good; unreachable: warning (not known to be off); lost: critical.
Tone applianceTone(const QString& applianceState);
Tone eventTone(const QString& eventKind);
// Risk against the target: critical above it, warning above half of it, good otherwise.
Tone riskTone(double risk, double target);

QColor toneColor(Tone tone);
// A light tint of the tone for row backgrounds, readable under dark text.
QColor toneTint(Tone tone, bool dark);
// A colour as a style sheet writes it, its alpha kept: "rgba(208, 138, 28, 45)".
QString styleSheetColor(const QColor& color);
QIcon toneIcon(Tone tone, const QStyle* style);
// "OK", "Warning", "Critical" (neutral: "Info").
QString toneWord(Tone tone);

}  // namespace understudy::gui

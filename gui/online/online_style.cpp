#include "gui/online/online_style.h"

#include <QStyle>

namespace understudy::gui {

Tone stateTone(const QString& state) {
    if (state == QLatin1String("standby")) {
        return Tone::good;
    }
    if (state == QLatin1String("active") || state == QLatin1String("taking-over") ||
        state == QLatin1String("releasing")) {
        return Tone::warning;
    }
    if (state == QLatin1String("fenced") || state == QLatin1String("missing") ||
        state == QLatin1String("drifted") || state == QLatin1String("preempted")) {
        return Tone::critical;
    }
    return Tone::neutral;
}

Tone applianceTone(const QString& state) {
    if (state == QLatin1String("connected")) {
        return Tone::good;
    }
    if (state == QLatin1String("unreachable")) {
        return Tone::warning;
    }
    return state == QLatin1String("lost") ? Tone::critical : Tone::neutral;
}

Tone eventTone(const QString& kind) {
    if (kind.endsWith(QLatin1String(".denied")) || kind.endsWith(QLatin1String(".refused")) ||
        kind.endsWith(QLatin1String(".failed")) || kind == QLatin1String("preempted") ||
        kind == QLatin1String("node.missing") || kind == QLatin1String("node.drifted") ||
        kind == QLatin1String("hypervisor.disconnected") ||
        kind.startsWith(QLatin1String("fence")) || kind == QLatin1String("appliance.fenced") ||
        kind == QLatin1String("appliance.lost") || kind == QLatin1String("node.stranded")) {
        return Tone::critical;
    }
    if (kind.startsWith(QLatin1String("takeover.")) || kind == QLatin1String("admission.warned") ||
        kind == QLatin1String("appliance.unreachable") || kind == QLatin1String("node.evacuated")) {
        return Tone::warning;
    }
    if (kind == QLatin1String("release") || kind == QLatin1String("restored") ||
        kind.endsWith(QLatin1String(".recovered")) || kind.endsWith(QLatin1String(".connected")) ||
        kind == QLatin1String("admission.accepted") ||
        kind == QLatin1String("appliance.reachable") ||
        kind == QLatin1String("appliance.rejoined")) {
        return Tone::good;
    }
    return Tone::neutral;
}

Tone riskTone(double risk, double target) {
    if (target <= 0) {
        return Tone::neutral;
    }
    if (risk > target) {
        return Tone::critical;
    }
    return risk > target / 2 ? Tone::warning : Tone::good;
}

QColor toneColor(Tone tone) {
    switch (tone) {
        case Tone::good:
            return {0x3a, 0xa0, 0x5a};
        case Tone::warning:
            return {0xd0, 0x8a, 0x1c};
        case Tone::critical:
            return {0xd9, 0x3f, 0x3f};
        case Tone::neutral:
            break;
    }
    return {0x7f, 0x8f, 0xa6};
}

QColor toneTint(Tone tone, bool dark) {
    QColor color = toneColor(tone);
    color.setAlpha(dark ? 70 : 45);
    return color;
}

QString styleSheetColor(const QColor& color) {
    return QStringLiteral("rgba(%1, %2, %3, %4)")
        .arg(color.red())
        .arg(color.green())
        .arg(color.blue())
        .arg(color.alpha());
}

QIcon toneIcon(Tone tone, const QStyle* style) {
    switch (tone) {
        case Tone::good:
            return style->standardIcon(QStyle::SP_DialogApplyButton);
        case Tone::warning:
            return style->standardIcon(QStyle::SP_MessageBoxWarning);
        case Tone::critical:
            return style->standardIcon(QStyle::SP_MessageBoxCritical);
        case Tone::neutral:
            break;
    }
    return style->standardIcon(QStyle::SP_MessageBoxInformation);
}

QString toneWord(Tone tone) {
    switch (tone) {
        case Tone::good:
            return QObject::tr("OK");
        case Tone::warning:
            return QObject::tr("Warning");
        case Tone::critical:
            return QObject::tr("Critical");
        case Tone::neutral:
            break;
    }
    return QObject::tr("Info");
}

}  // namespace understudy::gui

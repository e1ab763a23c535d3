#include "gui/widgets/quantity_format.h"

#include <QObject>
#include <QStringList>
#include <cmath>

#include "sizing/risk_words.h"

namespace understudy::gui {

QString formatMemoryMib(std::int64_t mib) {
    constexpr double kGiB = 1024.0;
    constexpr double kTiB = 1024.0 * 1024.0;
    const auto value = static_cast<double>(mib);
    if (mib >= 1024 * 1024) {
        return QStringLiteral("%1 TiB").arg(value / kTiB, 0, 'g', 3);
    }
    if (mib >= 1024) {
        return QStringLiteral("%1 GiB").arg(value / kGiB, 0, 'g', 4);
    }
    return QStringLiteral("%1 MiB").arg(mib);
}

QString formatRisk(double probability) {
    return QString::fromStdString(sizing::riskInWords(probability));
}

QString exactRisk(double probability) {
    return QObject::tr("exactly %1").arg(QString::number(probability, 'g', 6));
}

QString formatOverbooking(double ratio) {
    return QStringLiteral("%1 ×").arg(ratio, 0, 'f', 2);
}

QString formatShortfall(sizing::Resource resource, double shortfall) {
    const bool memory = resource == sizing::Resource::memory_mib;
    if (shortfall <= 0) {
        return memory ? QStringLiteral("0 MiB") : QStringLiteral("0 vCPUs");
    }
    if (memory) {
        return shortfall < 1.0
                   ? QStringLiteral("< 1 MiB")
                   : formatMemoryMib(static_cast<std::int64_t>(std::llround(shortfall)));
    }
    return shortfall < 0.1 ? QStringLiteral("< 0.1 vCPUs")
                           : QStringLiteral("%1 vCPUs").arg(shortfall, 0, 'f', 1);
}

QString exactShortfall(sizing::Resource resource, double shortfall) {
    return QObject::tr("exactly %1 %2")
        .arg(QString::number(shortfall, 'g', 6), resource == sizing::Resource::memory_mib
                                                     ? QStringLiteral("MiB")
                                                     : QStringLiteral("vCPUs"));
}

QString formatGrant(const sizing::Footprint& overStandby) {
    QStringList parts;
    for (const sizing::Resource resource :
         {sizing::Resource::vcpus, sizing::Resource::memory_mib}) {
        if (overStandby.of(resource) != 0) {
            parts << formatGrantAmount(resource, overStandby.of(resource));
        }
    }
    return parts.isEmpty() ? QObject::tr("nothing over standby")
                           : QObject::tr("%1 over standby").arg(parts.join(QStringLiteral(" · ")));
}

QString formatGrantAmount(sizing::Resource resource, std::int64_t overStandby) {
    return QStringLiteral("+%1").arg(formatQuantity(resource, overStandby));
}

QString formatVcpus(std::int64_t vcpus) {
    return vcpus == 1 ? QStringLiteral("1 vCPU") : QStringLiteral("%1 vCPUs").arg(vcpus);
}

QString formatQuantity(sizing::Resource resource, std::int64_t amount) {
    return resource == sizing::Resource::memory_mib ? formatMemoryMib(amount) : formatVcpus(amount);
}

QString resourceTitle(sizing::Resource resource) {
    return resource == sizing::Resource::memory_mib ? QStringLiteral("Memory")
                                                    : QStringLiteral("vCPUs");
}

QString countOf(std::int64_t count, const QString& noun) {
    return QStringLiteral("%1 %2%3").arg(count).arg(noun).arg(count == 1 ? "" : "s");
}

}  // namespace understudy::gui

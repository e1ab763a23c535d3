#include "gui/widgets/quantity_format.h"

#include <QObject>

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

#include "gui/online/api_error_text.h"

#include <QStringList>

#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

namespace {

QString amountOf(const QString& resource, qint64 amount) {
    return resource == QLatin1String("vcpus") ? formatVcpus(amount) : formatMemoryMib(amount);
}

// A holder's share of the one resource a denial is about, as a grant over standby.
sizing::Footprint grantOf(const QString& resource, qint64 overStandby) {
    return resource == QLatin1String("vcpus") ? sizing::Footprint{overStandby, 0}
                                              : sizing::Footprint{0, overStandby};
}

QString resourceWord(const QString& resource) {
    return resource == QLatin1String("vcpus") ? QObject::tr("vCPUs") : QObject::tr("memory");
}

}  // namespace

QString describeDenial(const client::Denial& denial) {
    QStringList lines;
    lines << QObject::tr("Short of %1: needs %2, %3 free.")
                 .arg(resourceWord(denial.resource), amountOf(denial.resource, denial.needed),
                      amountOf(denial.resource, denial.free));
    if (!denial.holders.empty()) {
        QStringList holders;
        for (const client::Holder& holder : denial.holders) {
            holders << QObject::tr("%1 (cluster %2, priority %3, %4, %5)")
                           .arg(holder.node, holder.cluster)
                           .arg(holder.priority)
                           .arg(holder.state, formatGrant(grantOf(denial.resource, holder.holds)));
        }
        lines << QObject::tr("Held by: %1.").arg(holders.join(QStringLiteral("; ")));
    }
    lines << (denial.preemptable.isEmpty()
                  ? QObject::tr("No lower-priority standby node could be preempted.")
                  : QObject::tr("Could preempt: %1.")
                        .arg(denial.preemptable.join(QStringLiteral(", "))));
    if (!denial.tried.isEmpty()) {
        lines << QObject::tr("Tried: %1.").arg(denial.tried.join(QStringLiteral(", ")));
    }
    return lines.join(QLatin1Char('\n'));
}

QString describeRefusal(const client::AdmissionRefusal& refusal) {
    QStringList lines;
    lines << QObject::tr(
                 "On appliance %1 the overflow risk would be %2 for memory and %3 for "
                 "vCPUs, against a target of %4.")
                 .arg(refusal.appliance, formatRisk(refusal.overflow_risk.memory_mib),
                      formatRisk(refusal.overflow_risk.vcpus), formatRisk(refusal.target_risk));
    if (!refusal.unservable.empty()) {
        QStringList clusters;
        for (const client::Unservable& unservable : refusal.unservable) {
            clusters << QObject::tr("%1 (%2: needs %3, %4 available)")
                            .arg(unservable.cluster, resourceWord(unservable.resource),
                                 amountOf(unservable.resource, unservable.needed),
                                 amountOf(unservable.resource, unservable.available));
        }
        lines << QObject::tr("Could never be served there: %1.")
                     .arg(clusters.join(QStringLiteral("; ")));
    }
    return lines.join(QLatin1Char('\n'));
}

QString describeApiError(const client::ApiError& error) {
    QString text = error.message.isEmpty() ? error.summary() : error.message;
    if (error.denial) {
        text += QLatin1Char('\n') + describeDenial(*error.denial);
    }
    if (error.refusal) {
        text += QLatin1Char('\n') + describeRefusal(*error.refusal);
    }
    if (!error.state.isEmpty()) {
        text += QLatin1Char('\n') + QObject::tr("The node is %1.").arg(error.state);
    }
    if (!error.field.isEmpty()) {
        text += QLatin1Char('\n') + QObject::tr("Field: %1.").arg(error.field);
    }
    return text;
}

}  // namespace understudy::gui

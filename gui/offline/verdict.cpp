#include "gui/offline/verdict.h"

#include <QObject>
#include <QStringList>
#include <set>
#include <string>

#include "gui/widgets/quantity_format.h"

namespace understudy::gui {

using sizing::Resource;

VerdictText judge(const sizing::SizingResult& result) {
    const double target = result.target_risk;
    std::size_t unservable = 0;
    bool over = false;
    bool thin = false;
    bool clusterOver = false;
    QStringList risks;
    for (const sizing::ApplianceResult& appliance : result.appliances) {
        // One entry per cluster and resource: a cluster short of both counts once.
        std::set<std::string> names;
        for (const sizing::Unservable& entry : appliance.unservable) {
            names.insert(entry.cluster);
        }
        unservable += names.size();
        QStringList parts;
        for (const Resource resource : sizing::kResources) {
            const sizing::ResourceFigures& figures = appliance.figures(resource);
            over = over || !figures.meets_target;
            thin = thin || figures.overflow_risk > target / 2;
            clusterOver = clusterOver || figures.capacity < figures.required_capacity_per_cluster;
            parts << QStringLiteral("%1 %2").arg(
                resource == Resource::memory_mib ? QObject::tr("memory") : QObject::tr("vCPUs"),
                formatRisk(figures.overflow_risk));
        }
        const QString prefix = result.appliances.size() > 1
                                   ? QString::fromStdString(appliance.spec.name) + ": "
                                   : QString();
        risks << prefix + parts.join(QStringLiteral(", "));
    }
    VerdictText text;
    text.detail = QObject::tr("Overflow risk %1 against a target of %2")
                      .arg(risks.join(QStringLiteral("; ")), formatRisk(target));
    if (unservable > 0) {
        text.verdict = Verdict::critical;
        const QString clusters =
            countOf(static_cast<std::int64_t>(unservable), QObject::tr("cluster"));
        text.headline = over ? QObject::tr("Does not meet the target, %1 unservable").arg(clusters)
                             : QObject::tr("%1 unservable").arg(clusters);
    } else if (over) {
        text.verdict = Verdict::critical;
        text.headline = QObject::tr("Does not meet the target");
    } else if (clusterOver) {
        text.verdict = Verdict::warning;
        text.headline = QObject::tr("Meets the target, but not for every cluster when active");
    } else if (thin) {
        text.verdict = Verdict::warning;
        text.headline = QObject::tr("Meets the target, with little margin");
    } else {
        text.verdict = Verdict::ok;
        text.headline = QObject::tr("Meets the target");
    }
    return text;
}

}  // namespace understudy::gui

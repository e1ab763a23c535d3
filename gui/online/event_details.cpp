#include "gui/online/event_details.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QObject>
#include <QStringList>

#include "appliance/client/api_json.h"
#include "gui/online/api_error_text.h"
#include "gui/widgets/quantity_format.h"
#include "sizing/result_csv.h"

namespace understudy::gui {

namespace {

// "for_cluster" → "For cluster".
QString fieldLabel(const QString& key) {
    QString label = key;
    label.replace(u'_', u' ');
    if (label.endsWith(QLatin1String(" mib"))) {
        label.chop(4);
    }
    if (!label.isEmpty()) {
        label[0] = label[0].toUpper();
    }
    return label;
}

QString valueWords(const QString& key, const QJsonValue& value);

// {"vcpus": 4, "memory_mib": 16384} → "4 vCPUs · 16 GiB"; other objects as "Key: value, …".
QString objectWords(const QJsonObject& object) {
    const bool footprint =
        object.contains(QLatin1String("vcpus")) && object.contains(QLatin1String("memory_mib"));
    if (footprint && object.size() <= 3) {
        QString text = QStringLiteral("%1 · %2").arg(
            formatVcpus(object.value(QLatin1String("vcpus")).toInteger()),
            formatMemoryMib(object.value(QLatin1String("memory_mib")).toInteger()));
        if (object.value(QLatin1String("partial")).toBool()) {
            text += QObject::tr(" (partial CPU)");
        }
        return text;
    }
    QStringList parts;
    for (auto it = object.begin(); it != object.end(); ++it) {
        parts << QStringLiteral("%1: %2").arg(fieldLabel(it.key()), valueWords(it.key(), *it));
    }
    return parts.join(QStringLiteral(", "));
}

QString valueWords(const QString& key, const QJsonValue& value) {
    if (value.isDouble()) {
        if (key.endsWith(QLatin1String("_mib"))) {
            return formatMemoryMib(value.toInteger());
        }
        if (key == QLatin1String("vcpus")) {
            return formatVcpus(value.toInteger());
        }
        return QString::number(value.toDouble(), 'g', 12);
    }
    if (value.isBool()) {
        return value.toBool() ? QObject::tr("yes") : QObject::tr("no");
    }
    if (value.isArray()) {
        QStringList items;
        for (const QJsonValue& item : value.toArray()) {
            items << valueWords(key, item);
        }
        return items.isEmpty() ? QObject::tr("none") : items.join(QStringLiteral(", "));
    }
    if (value.isObject()) {
        return objectWords(value.toObject());
    }
    if (value.isNull()) {
        return QObject::tr("none");
    }
    return value.toString();
}

std::optional<client::Denial> denialOf(const client::Event& event) {
    const QJsonValue denial = event.details.value(QLatin1String("denial"));
    if (!denial.isObject()) {
        return std::nullopt;
    }
    client::ApiResult<client::Denial> decoded = client::fromJson<client::Denial>(denial);
    return decoded ? std::optional<client::Denial>(*decoded) : std::nullopt;
}

// Each detail on its own line; a denial in the words of the take-over answer.
QStringList detailLines(const client::Event& event) {
    QStringList lines;
    for (auto it = event.details.begin(); it != event.details.end(); ++it) {
        if (it.key() == QLatin1String("denial")) {
            if (const std::optional<client::Denial> denial = denialOf(event)) {
                lines << describeDenial(*denial).split(u'\n');
                continue;
            }
        }
        lines << QStringLiteral("%1: %2").arg(fieldLabel(it.key()), valueWords(it.key(), *it));
    }
    return lines;
}

QString headline(const client::Event& event) {
    const QString node = event.node.value_or(QString());
    const QString cluster = event.cluster.value_or(QString());
    const QString kind = event.kind;
    struct Sentence {
        const char* kind;
        const char* text;  // %1 the node, %2 the cluster
    };
    static const Sentence sentences[] = {
        {"takeover.requested", QT_TR_NOOP("%1 asked to take over for cluster %2.")},
        {"takeover.granted",
         QT_TR_NOOP("%1 took over for cluster %2: it runs at its active size.")},
        {"takeover.denied", QT_TR_NOOP("%1 was denied the takeover it asked for (cluster %2).")},
        {"release", QT_TR_NOOP("%1 was released back to its standby size (cluster %2).")},
        {"preempted",
         QT_TR_NOOP("%1 was preempted: its takeover was shrunk back to standby to make room for "
                    "a cluster of higher priority (cluster %2).")},
        {"restored", QT_TR_NOOP("%1 got its takeover back after a preemption (cluster %2).")},
        {"fence.on", QT_TR_NOOP("%1 was powered on by fencing (cluster %2).")},
        {"fence.off", QT_TR_NOOP("%1 was powered off by fencing (cluster %2).")},
        {"fence.reboot", QT_TR_NOOP("%1 was rebooted by fencing (cluster %2).")},
        {"admission.accepted", QT_TR_NOOP("Admission accepted cluster %2.")},
        {"admission.refused", QT_TR_NOOP("Admission refused cluster %2.")},
        {"admission.warned", QT_TR_NOOP("Admission let cluster %2 in with a warning.")},
        {"cluster.registered", QT_TR_NOOP("Cluster %2 was registered, with passive node %1.")},
        {"cluster.changed", QT_TR_NOOP("Cluster %2 was changed.")},
        {"cluster.removed", QT_TR_NOOP("Cluster %2 was removed.")},
        {"token.rotated", QT_TR_NOOP("Cluster %2 was given a new token.")},
        {"node.missing", QT_TR_NOOP("%1 is missing: its domain is not on its appliance.")},
        {"node.drifted", QT_TR_NOOP("%1 drifted: libvirt shows another size than expected.")},
        {"node.recreated", QT_TR_NOOP("%1 was defined again on its appliance.")},
        {"node.evacuated", QT_TR_NOOP("%1 was moved to another appliance.")},
        {"node.stranded", QT_TR_NOOP("%1 could not be moved off a lost appliance.")},
        {"probe.failed", QT_TR_NOOP("The probe of cluster %2 failed.")},
        {"probe.recovered", QT_TR_NOOP("The probe of cluster %2 succeeds again.")},
        {"hook.failed", QT_TR_NOOP("A hook failed.")},
        {"hypervisor.disconnected", QT_TR_NOOP("The service lost its libvirt connection.")},
        {"hypervisor.connected", QT_TR_NOOP("The service is connected to libvirt.")},
        {"service.started", QT_TR_NOOP("The service started.")},
        {"service.stopped", QT_TR_NOOP("The service stopped.")},
        {"appliance.unreachable", QT_TR_NOOP("An appliance became unreachable.")},
        {"appliance.reachable", QT_TR_NOOP("An appliance is reachable again.")},
        {"appliance.fenced", QT_TR_NOOP("An appliance was fenced.")},
        {"appliance.lost", QT_TR_NOOP("An appliance was declared lost (known to be off).")},
        {"appliance.rejoined", QT_TR_NOOP("A lost appliance rejoined.")},
    };
    for (const Sentence& sentence : sentences) {
        if (kind == QLatin1String(sentence.kind)) {
            return QObject::tr(sentence.text)
                .arg(node.isEmpty() ? QObject::tr("A node") : node,
                     cluster.isEmpty() ? QStringLiteral("—") : cluster);
        }
    }
    return QObject::tr("Event %1.").arg(kind);
}

QString csvText(const QString& text) {
    return QString::fromStdString(sizing::csvField(text.toStdString()));
}

}  // namespace

QString actorText(const QString& actor) {
    return actor.isEmpty() ? QStringLiteral("—") : actor;
}

QString actorDescription(const QString& actor) {
    if (actor.isEmpty()) {
        return QObject::tr("not recorded (a service older than the actor)");
    }
    const qsizetype at = actor.indexOf(u'@');
    const QString who = at < 0 ? actor : actor.left(at);
    const QString from = at < 0 ? QString() : actor.mid(at + 1);
    QString text = who == QLatin1String("service") ? QObject::tr("the service, by itself")
                   : who.startsWith(QLatin1String("cluster:"))
                       ? QObject::tr("the agent of cluster %1").arg(who.mid(8))
                   : who == QLatin1String("admin") ? QObject::tr("an administrator (admin token)")
                                                   : who;
    if (!from.isEmpty()) {
        text += QObject::tr(", from %1").arg(from);
    }
    return text;
}

QString eventSummary(const client::Event& event) {
    QStringList lines = detailLines(event);
    for (QString& line : lines) {
        while (line.endsWith(u'.')) {
            line.chop(1);
        }
    }
    return lines.join(QStringLiteral("; "));
}

QString describeEvent(const client::Event& event) {
    QStringList lines;
    lines << headline(event);
    lines << QString();
    lines << QObject::tr("When: %1")
                 .arg(event.time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz")));
    lines << QObject::tr("Who: %1").arg(actorDescription(event.actor));
    if (event.cluster) {
        lines << QObject::tr("Cluster: %1").arg(*event.cluster);
    }
    if (event.node) {
        lines << QObject::tr("Node: %1").arg(*event.node);
    }
    const QStringList details = detailLines(event);
    if (!details.isEmpty()) {
        lines << QString() << details;
    }
    lines << QString() << QObject::tr("Event #%1, kind %2").arg(event.id).arg(event.kind);
    return lines.join(u'\n');
}

QString eventsCsv(const std::vector<client::Event>& events) {
    QString out = QStringLiteral("id,time,kind,cluster,node,actor,summary,details\n");
    for (const client::Event& event : events) {
        const QStringList fields = {
            QString::number(event.id),
            event.time.toUTC().toString(Qt::ISODateWithMs),
            event.kind,
            event.cluster.value_or(QString()),
            event.node.value_or(QString()),
            event.actor,
            eventSummary(event),
            QString::fromUtf8(QJsonDocument(event.details).toJson(QJsonDocument::Compact))};
        QStringList quoted;
        for (const QString& field : fields) {
            quoted << csvText(field);
        }
        out += quoted.join(u',') + u'\n';
    }
    return out;
}

}  // namespace understudy::gui

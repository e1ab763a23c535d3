#include "agents/ctl/ctl_output.h"
#include "sizing/risk_words.h"

#include <QJsonDocument>
#include <algorithm>
#include <cmath>

namespace understudy::agents {

int exitCodeFor(const client::ApiError& error) {
    if (error.status == 0) {
        if (error.code == QLatin1String(client::kInvalidRequest) ||
            error.code == QLatin1String(client::kLocalFailure)) {
            return kExitUsage;
        }
        return kExitUnavailable;
    }
    if (error.status == 409) {
        return kExitRefused;
    }
    if (error.status == 401 || error.status == 403) {
        return kExitNotAllowed;
    }
    if (error.status == 404) {
        return kExitNotFound;
    }
    if (error.status >= 400 && error.status < 500) {
        return kExitUsage;
    }
    return kExitUnavailable;
}

namespace {

QString scaled(qint64 mib, qint64 unit, const char* name) {
    if (mib % unit == 0) {
        return QStringLiteral("%1 %2").arg(mib / unit).arg(QLatin1String(name));
    }
    return QStringLiteral("%1 %2")
        .arg(static_cast<double>(mib) / static_cast<double>(unit), 0, 'f', 1)
        .arg(QLatin1String(name));
}

}  // namespace

QString formatMemory(qint64 mib) {
    const qint64 magnitude = mib < 0 ? -mib : mib;
    if (magnitude < 1024) {
        return QStringLiteral("%1 MiB").arg(mib);
    }
    if (magnitude < qint64{1024} * 1024) {
        return scaled(mib, 1024, "GiB");
    }
    return scaled(mib, qint64{1024} * 1024, "TiB");
}

QString formatAmount(const QString& resource, qint64 amount) {
    if (resource == QLatin1String("memory_mib")) {
        return formatMemory(amount);
    }
    return QStringLiteral("%1 %2").arg(amount).arg(amount == 1 ? QLatin1String("vCPU")
                                                               : QLatin1String("vCPUs"));
}

QString formatGrantAmount(const QString& resource, qint64 overStandby) {
    return QLatin1Char('+') + formatAmount(resource, overStandby);
}

QString formatRisk(double risk) {
    return QString::fromStdString(sizing::riskInWords(risk));
}

QString formatHours(double hours) {
    return QString::number(hours, 'g', 6);
}

QString yesNo(bool value) {
    return value ? QStringLiteral("yes") : QStringLiteral("no");
}

QString formatFootprint(const client::Footprint& footprint) {
    return QStringLiteral("%1, %2").arg(formatAmount(QStringLiteral("vcpus"), footprint.vcpus),
                                        formatMemory(footprint.memory_mib));
}

QString formatTime(const QDateTime& time) {
    return time.isValid() ? time.toString(Qt::ISODateWithMs) : QStringLiteral("-");
}

QString orDash(const QString& text) {
    return text.isEmpty() ? QStringLiteral("-") : text;
}

QString compactJson(const QJsonObject& object) {
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

QString Table::render(const QString& indent) const {
    std::vector<qsizetype> widths(static_cast<std::size_t>(headers_.size()), 0);
    const auto measure = [&widths](const QStringList& cells) {
        for (qsizetype i = 0; i < cells.size(); ++i) {
            const auto column = static_cast<std::size_t>(i);
            if (column >= widths.size()) {
                widths.push_back(0);
            }
            widths[column] = std::max(widths[column], cells[i].size());
        }
    };
    measure(headers_);
    for (const QStringList& row : rows_) {
        measure(row);
    }
    QString out;
    const auto line = [&](const QStringList& cells) {
        QString text = indent;
        for (qsizetype i = 0; i < cells.size(); ++i) {
            const auto width = widths[static_cast<std::size_t>(i)];
            const bool right =
                std::find(right_.begin(), right_.end(), static_cast<int>(i)) != right_.end();
            if (i > 0) {
                text += QStringLiteral("  ");
            }
            text += right ? cells[i].rightJustified(width) : cells[i].leftJustified(width);
        }
        while (text.endsWith(QLatin1Char(' '))) {
            text.chop(1);
        }
        out += text + QLatin1Char('\n');
    };
    line(headers_);
    for (const QStringList& row : rows_) {
        line(row);
    }
    return out;
}

QString keyValues(const std::vector<std::pair<QString, QString>>& pairs, const QString& indent) {
    qsizetype width = 0;
    for (const auto& [key, value] : pairs) {
        width = std::max(width, key.size());
    }
    QString out;
    for (const auto& [key, value] : pairs) {
        QString line = indent + key.leftJustified(width) + QStringLiteral("  ") + value;
        while (line.endsWith(QLatin1Char(' '))) {
            line.chop(1);
        }
        out += line + QLatin1Char('\n');
    }
    return out;
}

namespace {

QString listOrNone(const QStringList& list) {
    return list.isEmpty() ? QStringLiteral("none") : list.join(QStringLiteral(", "));
}

QString describeDenial(const client::Denial& denial) {
    QString out =
        keyValues({{QStringLiteral("resource"), denial.resource},
                   {QStringLiteral("needed"), formatAmount(denial.resource, denial.needed)},
                   {QStringLiteral("free"), formatAmount(denial.resource, denial.free)},
                   {QStringLiteral("tried"), listOrNone(denial.tried)},
                   {QStringLiteral("preemptable"), listOrNone(denial.preemptable)}},
                  QStringLiteral("  "));
    if (denial.holders.empty()) {
        out += QStringLiteral("  holders      none\n");
        return out;
    }
    out += QStringLiteral("  holders:\n");
    Table table({QStringLiteral("NODE"), QStringLiteral("CLUSTER"), QStringLiteral("PRIORITY"),
                 QStringLiteral("STATE"), QStringLiteral("OVER STANDBY")});
    table.alignRight(2);
    table.alignRight(4);
    for (const client::Holder& holder : denial.holders) {
        table.addRow({holder.node, holder.cluster, QString::number(holder.priority), holder.state,
                      formatGrantAmount(denial.resource, holder.holds)});
    }
    return out + table.render(QStringLiteral("    "));
}

QString describeRefusal(const client::AdmissionRefusal& refusal) {
    QString out;
    if (!refusal.appliance.isEmpty()) {
        out += QStringLiteral("  appliance  %1\n").arg(refusal.appliance);
    }
    Table risks({QStringLiteral("RESOURCE"), QStringLiteral("OVERFLOW RISK"),
                 QStringLiteral("TARGET"), QString()});
    const std::pair<const char*, double> rows[] = {{"memory_mib", refusal.overflow_risk.memory_mib},
                                                   {"vcpus", refusal.overflow_risk.vcpus}};
    for (const auto& [resource, risk] : rows) {
        risks.addRow({QLatin1String(resource), formatRisk(risk), formatRisk(refusal.target_risk),
                      risk > refusal.target_risk ? QStringLiteral("over target")
                                                 : QStringLiteral("within target")});
    }
    out += risks.render(QStringLiteral("  "));
    if (!refusal.unservable.empty()) {
        out += QStringLiteral("  unservable clusters (their active footprint can never fit):\n");
        Table table({QStringLiteral("CLUSTER"), QStringLiteral("RESOURCE"),
                     QStringLiteral("NEEDED"), QStringLiteral("AVAILABLE")});
        table.alignRight(2);
        table.alignRight(3);
        for (const client::Unservable& u : refusal.unservable) {
            table.addRow({u.cluster, u.resource, formatAmount(u.resource, u.needed),
                          formatAmount(u.resource, u.available)});
        }
        out += table.render(QStringLiteral("    "));
    }
    return out;
}

}  // namespace

QString describeError(const client::ApiError& error) {
    QString out = QStringLiteral("error: %1\n").arg(error.summary());
    if (error.denial) {
        out += describeDenial(*error.denial);
    }
    if (error.refusal) {
        out += describeRefusal(*error.refusal);
    }
    std::vector<std::pair<QString, QString>> extras;
    if (!error.field.isEmpty()) {
        extras.emplace_back(QStringLiteral("field"), error.field);
    }
    if (!error.state.isEmpty()) {
        extras.emplace_back(QStringLiteral("state"), error.state);
    }
    if (error.limit) {
        extras.emplace_back(QStringLiteral("limit"), QStringLiteral("%1 bytes").arg(*error.limit));
    }
    if (!error.id.isEmpty()) {
        extras.emplace_back(QStringLiteral("id"),
                            error.id + QStringLiteral(" (quote it when reporting the problem)"));
    }
    if (error.retry_after_s) {
        extras.emplace_back(QStringLiteral("retry after"),
                            QStringLiteral("%1 s").arg(*error.retry_after_s));
    }
    out += keyValues(extras, QStringLiteral("  "));
    if (error.status == 401) {
        out += QStringLiteral(
            "  give a token with --token-file, UNDERSTUDY_TOKEN or token_file in "
            "~/.config/understudy/ctl.conf\n");
    }
    return out;
}

}  // namespace understudy::agents

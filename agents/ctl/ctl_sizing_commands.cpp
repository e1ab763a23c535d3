// sizing and what-if: the live fleet through the sizing engine, as it is or with changes.
#include "agents/ctl/ctl_input.h"
#include "agents/ctl/ctl_session.h"

namespace understudy::agents {

void CtlSession::printSizing(const client::Sizing& sizing) {
    out_ << QStringLiteral("target risk %1 (%2%3)\n")
                .arg(formatRisk(sizing.target_risk), sizing.method,
                     sizing.exact ? QString()
                                  : QStringLiteral(", quantized: see --json for bounds"));
    for (const client::SizingAppliance& appliance : sizing.appliances) {
        out_ << "\nappliance " << appliance.name << '\n';
        Table table({QStringLiteral("RESOURCE"), QStringLiteral("CAPACITY"),
                     QStringLiteral("STANDBY TOTAL"), QStringLiteral("ACTIVE TOTAL"),
                     QStringLiteral("FLEET RISK MEETS TARGET AT"), QStringLiteral("OVERFLOW RISK"),
                     QStringLiteral("MEETS TARGET")});
        for (int column = 1; column <= 5; ++column) {
            table.alignRight(column);
        }
        const std::pair<QString, const client::SizingResource*> rows[] = {
            {QStringLiteral("memory_mib"), &appliance.memory_mib},
            {QStringLiteral("vcpus"), &appliance.vcpus}};
        for (const auto& [resource, r] : rows) {
            table.addRow({resource == QLatin1String("memory_mib") ? QStringLiteral("memory")
                                                                  : QStringLiteral("vcpus"),
                          formatAmount(resource, r->capacity),
                          formatAmount(resource, r->standby_total),
                          formatAmount(resource, r->active_total),
                          formatAmount(resource, r->required_capacity),
                          formatRisk(r->overflow_risk), yesNo(r->meets_target)});
        }
        out_ << table.render(QStringLiteral("  "));
        if (!appliance.unservable.empty()) {
            out_ << "  unservable clusters:\n";
            Table unservable({QStringLiteral("CLUSTER"), QStringLiteral("RESOURCE"),
                              QStringLiteral("NEEDED"), QStringLiteral("AVAILABLE")});
            for (const client::Unservable& u : appliance.unservable) {
                unservable.addRow({u.cluster, u.resource, formatAmount(u.resource, u.needed),
                                   formatAmount(u.resource, u.available)});
            }
            out_ << unservable.render(QStringLiteral("    "));
        }
    }
}

int CtlSession::sizing(const QStringList& args) {
    QString format = json_ ? QStringLiteral("json") : QStringLiteral("table");
    QStringList rest;
    for (qsizetype i = 0; i < args.size(); ++i) {
        std::optional<QString> value;
        std::optional<Error> error;
        if (takeValue(args, i, QStringLiteral("--format"), value, error)) {
            if (error) {
                return invalid(*error);
            }
            format = *value;
            continue;
        }
        rest.append(args[i]);
    }
    if (auto error = expectArgs(rest, 0, 0, QStringLiteral("sizing [--format table|json|csv]"))) {
        return invalid(*error);
    }
    if (format == QLatin1String("json")) {
        json_ = true;
        return show<client::Sizing>(client::api::sizing(), {});
    }
    if (format == QLatin1String("table")) {
        return show<client::Sizing>(client::api::sizing(),
                                    [this](const client::Sizing& s) { printSizing(s); });
    }
    if (format != QLatin1String("csv")) {
        return invalid(QStringLiteral("--format must be table, json or csv, not \"%1\"; for HTML "
                                      "or PDF reports run understudy-size on a fleet file")
                           .arg(format));
    }
    auto result = client_.callSync(client::api::sizing());
    if (!result) {
        return fail(result.error());
    }
    out_ << "appliance,cluster,failover_probability,risk_when_active_memory_mib,"
            "risk_when_active_vcpus\n";
    for (const client::SizingAppliance& appliance : result->appliances) {
        for (const client::SizingCluster& c : appliance.clusters) {
            out_ << appliance.name << ',' << c.name << ','
                 << QString::number(c.failover_probability, 'g', 17) << ','
                 << QString::number(c.risk_when_active.memory_mib, 'g', 17) << ','
                 << QString::number(c.risk_when_active.vcpus, 'g', 17) << '\n';
        }
    }
    out_.flush();
    return kExitDone;
}

int CtlSession::whatIf(const QStringList& args) {
    client::WhatIfRequest request;
    QStringList* collecting = nullptr;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString& word = args[i];
        std::optional<QString> value;
        std::optional<Error> error;
        if (word == QLatin1String("--fail")) {
            collecting = &request.fail;
        } else if (word == QLatin1String("--remove")) {
            collecting = &request.remove;
        } else if (takeValue(args, i, QStringLiteral("--add"), value, error)) {
            if (error) {
                return invalid(*error);
            }
            collecting = nullptr;
            auto file = loadClusterFile(*value);
            if (!file) {
                return invalid(file.error());
            }
            if (!file->groups.isEmpty()) {
                err_ << "warning: the groups in " << *value
                     << " are not part of a what-if; its clusters must name registered groups\n";
            }
            for (const QJsonValue& cluster : file->allClusters()) {
                request.add.append(cluster);
            }
        } else if (word.startsWith(QStringLiteral("--fail=")) ||
                   word.startsWith(QStringLiteral("--remove="))) {
            QStringList& list =
                word.startsWith(QStringLiteral("--fail=")) ? request.fail : request.remove;
            list.append(word.mid(word.indexOf(QLatin1Char('=')) + 1)
                            .split(QLatin1Char(','), Qt::SkipEmptyParts));
            collecting = nullptr;
        } else if (!word.startsWith(QStringLiteral("--")) && collecting != nullptr) {
            collecting->append(word.split(QLatin1Char(','), Qt::SkipEmptyParts));
        } else {
            return invalid(QStringLiteral("usage: understudyctl what-if [--fail C…] [--add FILE] "
                                          "[--remove C…]; \"%1\" is none of these")
                               .arg(word));
        }
    }
    for (const QStringList* list : {&request.fail, &request.remove}) {
        for (const QString& name : *list) {
            if (auto status = checkName(name, QStringLiteral("cluster name")); !status) {
                return invalid(status.error());
            }
        }
    }
    return show<client::WhatIfAnswer>(
        client::api::whatIf(request), [this](const client::WhatIfAnswer& answer) {
            if (!answer.takeovers.empty()) {
                Table table({QStringLiteral("NODE"), QStringLiteral("OUTCOME"),
                             QStringLiteral("PREEMPTED"), QStringLiteral("DENIAL")});
                for (const client::WhatIfTakeover& t : answer.takeovers) {
                    QString denial;
                    if (t.denial) {
                        denial = QStringLiteral("%1: needs %2, %3 free")
                                     .arg(t.denial->resource,
                                          formatAmount(t.denial->resource, t.denial->needed),
                                          formatAmount(t.denial->resource, t.denial->free));
                    }
                    table.addRow({t.node, t.outcome, orDash(t.preempted.join(QStringLiteral(", "))),
                                  orDash(denial)});
                }
                out_ << table.render() << '\n';
            }
            printSizing(answer.sizing);
        });
}

}  // namespace understudy::agents

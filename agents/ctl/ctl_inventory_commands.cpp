// appliances, groups and clusters: what the service manages and its figures.
#include <QJsonObject>

#include "agents/ctl/ctl_input.h"
#include "agents/ctl/ctl_session.h"

namespace understudy::agents {

void CtlSession::printAppliances(const std::vector<client::Appliance>& list) {
    Table table({QStringLiteral("APPLIANCE"), QStringLiteral("STATE"), QStringLiteral("CONNECTED"),
                 QStringLiteral("RESOURCE"), QStringLiteral("CAPACITY"), QStringLiteral("FOREIGN"),
                 QStringLiteral("STANDBY"), QStringLiteral("GRANTED"), QStringLiteral("FREE"),
                 QStringLiteral("OVERBOOKING"), QStringLiteral("OVERFLOW RISK")});
    for (int column = 4; column <= 10; ++column) {
        table.alignRight(column);
    }
    for (const client::Appliance& appliance : list) {
        const std::pair<QString, const client::ResourceUsage*> rows[] = {
            {QStringLiteral("memory_mib"), &appliance.memory_mib},
            {QStringLiteral("vcpus"), &appliance.vcpus}};
        bool first = true;
        for (const auto& [resource, usage] : rows) {
            table.addRow(
                {first ? appliance.name : QString(), first ? appliance.state : QString(),
                 first ? yesNo(appliance.connected) : QString(),
                 resource == QLatin1String("memory_mib") ? QStringLiteral("memory")
                                                         : QStringLiteral("vcpus"),
                 formatAmount(resource, usage->capacity), formatAmount(resource, usage->foreign),
                 formatAmount(resource, usage->standby_committed),
                 formatGrantAmount(resource, usage->granted), formatAmount(resource, usage->free),
                 QStringLiteral("%1 ×").arg(usage->overbooking_ratio, 0, 'f', 2),
                 formatRisk(usage->overflow_risk)});
            first = false;
        }
    }
    out_ << table.render();
}

int CtlSession::appliances(const QStringList& args) {
    if (auto error = expectArgs(args, 0, 1, QStringLiteral("appliances [NAME]"))) {
        return invalid(*error);
    }
    if (args.isEmpty()) {
        return show<std::vector<client::Appliance>>(
            client::api::appliances(),
            [this](const std::vector<client::Appliance>& list) { printAppliances(list); });
    }
    if (auto status = checkName(args[0], QStringLiteral("appliance name")); !status) {
        return invalid(status.error());
    }
    return show<client::Appliance>(
        client::api::appliance(args[0]), [this](const client::Appliance& appliance) {
            out_ << keyValues(
                {{QStringLiteral("appliance"), appliance.name},
                 {QStringLiteral("uri"), appliance.uri},
                 {QStringLiteral("state"), appliance.state},
                 {QStringLiteral("connected"), yesNo(appliance.connected)},
                 {QStringLiteral("cpu overcommit"), QString::number(appliance.cpu_overcommit)}});
            out_ << '\n';
            printAppliances({appliance});
        });
}

void CtlSession::printLoss(const client::ApplianceLoss& loss) {
    out_ << QStringLiteral("appliance %1 is lost: %2 standby node(s) evacuated, %3 stranded\n")
                .arg(loss.appliance)
                .arg(loss.evacuated.size())
                .arg(loss.stranded.size());
    if (!loss.evacuated.empty()) {
        Table evacuated({QStringLiteral("EVACUATED"), QStringLiteral("TO")});
        for (const client::Evacuation& node : loss.evacuated) {
            evacuated.addRow({node.node, node.to});
        }
        out_ << '\n' << evacuated.render();
    }
    if (!loss.stranded.empty()) {
        Table stranded({QStringLiteral("STRANDED"), QStringLiteral("REASON")});
        for (const client::StrandedNode& node : loss.stranded) {
            stranded.addRow({node.node, node.reason});
        }
        out_ << '\n' << stranded.render();
    }
}

// `appliance lost|rejoin NAME`: the two changes of an appliance's state an administrator (or the
// pool's alert agent) makes; every other state change is the service's own.
int CtlSession::appliance(const QStringList& args) {
    const QString form = QStringLiteral("appliance lost|rejoin NAME");
    if (auto error = expectArgs(args, 2, 2, form)) {
        return invalid(*error);
    }
    if (auto status = checkName(args[1], QStringLiteral("appliance name")); !status) {
        return invalid(status.error());
    }
    if (args[0] == QLatin1String("lost")) {
        return show<client::ApplianceLoss>(
            client::api::declareLost(args[1]),
            [this](const client::ApplianceLoss& loss) { printLoss(loss); });
    }
    if (args[0] == QLatin1String("rejoin")) {
        return show<client::Appliance>(
            client::api::rejoin(args[1]), [this](const client::Appliance& appliance) {
                out_ << QStringLiteral("appliance %1 rejoined the pool: %2\n")
                            .arg(appliance.name, appliance.state);
            });
    }
    return invalid(QStringLiteral("unknown appliance subcommand \"%1\"; usage: understudyctl %2")
                       .arg(args[0], form));
}

// --- groups ----------------------------------------------------------------------------------

int CtlSession::groups(const QStringList& args) {
    const QString form = QStringLiteral("groups [add FILE|remove NAME]");
    if (args.isEmpty()) {
        return show<std::vector<client::Group>>(
            client::api::groups(), [this](const std::vector<client::Group>& list) {
                Table table({QStringLiteral("GROUP"), QStringLiteral("MTBF (h)"),
                             QStringLiteral("MTTR (h)"), QStringLiteral("MEMBERS")});
                table.alignRight(1);
                table.alignRight(2);
                for (const client::Group& group : list) {
                    table.addRow({group.name, formatHours(group.mtbf_hours),
                                  formatHours(group.mttr_hours),
                                  orDash(group.members.join(QStringLiteral(", ")))});
                }
                out_ << table.render();
            });
    }
    if (auto error = expectArgs(args, 2, 2, form)) {
        return invalid(*error);
    }
    if (args[0] == QLatin1String("add")) {
        return addGroups(args[1]);
    }
    if (args[0] == QLatin1String("remove")) {
        if (auto status = checkName(args[1], QStringLiteral("group name")); !status) {
            return invalid(status.error());
        }
        auto removed = client_.callSync(client::api::removeGroup(args[1]));
        if (!removed) {
            return fail(removed.error());
        }
        if (!json_) {
            out_ << "removed group " << args[1] << '\n';
        }
        return kExitDone;
    }
    return invalid(QStringLiteral("unknown groups subcommand \"%1\"; usage: understudyctl %2")
                       .arg(args[0], form));
}

int CtlSession::addGroups(const QString& file) {
    auto groups = loadGroupFile(file);
    if (!groups) {
        return invalid(groups.error());
    }
    for (const QJsonValue& group : *groups) {
        const auto call = client::api::createGroup(group.toObject());
        auto answer = client_.sendSync(call.request);
        if (!answer) {
            return fail(answer.error());
        }
        if (json_) {
            printRaw(answer->body);
            continue;
        }
        auto created = call.decode(*answer);
        if (!created) {
            return fail(created.error());
        }
        out_ << "registered group " << created->name << '\n';
        out_.flush();
    }
    return kExitDone;
}

// --- clusters --------------------------------------------------------------------------------

void CtlSession::printCluster(const client::Cluster& c) {
    std::vector<std::pair<QString, QString>> pairs = {
        {QStringLiteral("cluster"), c.name},
        {QStringLiteral("priority"), QString::number(c.priority)},
        {QStringLiteral("mtbf"), formatHours(c.mtbf_hours) + QStringLiteral(" h")},
        {QStringLiteral("mttr"), formatHours(c.mttr_hours) + QStringLiteral(" h")},
        {QStringLiteral("failure model"), c.failure_model},
        {QStringLiteral("group"), orDash(c.group)},
        {QStringLiteral("standby"), formatFootprint(c.standby)},
        {QStringLiteral("active"), formatFootprint(c.active)},
        {QStringLiteral("memory mode"), c.memory_mode},
        {QStringLiteral("appliance"), orDash(c.appliance)},
        {QStringLiteral("node"), orDash(c.node)},
        {QStringLiteral("domain"), orDash(c.domain)}};
    if (c.token) {
        pairs.emplace_back(QStringLiteral("token"),
                           *c.token + QStringLiteral("  (shown this once: store it now)"));
    }
    out_ << keyValues(pairs);
}

void CtlSession::printClusters(const std::vector<client::Cluster>& list) {
    Table table({QStringLiteral("CLUSTER"), QStringLiteral("PRIORITY"), QStringLiteral("GROUP"),
                 QStringLiteral("MTBF (h)"), QStringLiteral("MTTR (h)"), QStringLiteral("STANDBY"),
                 QStringLiteral("ACTIVE"), QStringLiteral("MEMORY"), QStringLiteral("APPLIANCE"),
                 QStringLiteral("NODE")});
    table.alignRight(1);
    table.alignRight(3);
    table.alignRight(4);
    for (const client::Cluster& c : list) {
        table.addRow({c.name, QString::number(c.priority), orDash(c.group),
                      formatHours(c.mtbf_hours), formatHours(c.mttr_hours),
                      formatFootprint(c.standby), formatFootprint(c.active), c.memory_mode,
                      orDash(c.appliance), orDash(c.node)});
    }
    out_ << table.render();
}

void CtlSession::printClusterStats(const QString& name, const client::ClusterStats& s) {
    const auto hours = [](const std::optional<double>& value) {
        return value ? formatHours(*value) + QStringLiteral(" h") : QStringLiteral("-");
    };
    std::vector<std::pair<QString, QString>> pairs = {
        {QStringLiteral("cluster"), name},
        {QStringLiteral("failovers"), QString::number(s.failovers)},
        {QStringLiteral("active"), formatHours(s.active_hours) + QStringLiteral(" h")},
        {QStringLiteral("last failover"), formatTime(s.last_failover)},
        {QStringLiteral("observed mtbf"), hours(s.observed_mtbf_hours)},
        {QStringLiteral("observed mttr"), hours(s.observed_mttr_hours)}};
    if (s.last_probe) {
        pairs.emplace_back(QStringLiteral("last probe"),
                           QStringLiteral("%1 %2").arg(
                               formatTime(s.last_probe->time),
                               s.last_probe->ok ? QStringLiteral("ok") : QStringLiteral("failed")));
        if (!s.last_probe->output.isEmpty()) {
            pairs.emplace_back(QStringLiteral("probe output"), s.last_probe->output.simplified());
        }
    } else {
        pairs.emplace_back(QStringLiteral("last probe"), QStringLiteral("-"));
    }
    out_ << keyValues(pairs);
}

int CtlSession::addClusters(const QStringList& args) {
    const QString form = QStringLiteral("clusters add FILE [--groups GROUPS.csv]");
    std::optional<QString> groups_csv;
    QStringList rest;
    for (qsizetype i = 0; i < args.size(); ++i) {
        std::optional<Error> error;
        if (takeValue(args, i, QStringLiteral("--groups"), groups_csv, error)) {
            if (error) {
                return invalid(*error);
            }
            continue;
        }
        rest.append(args[i]);
    }
    if (auto error = expectArgs(rest, 1, 1, form)) {
        return invalid(*error);
    }
    auto file = loadClusterFile(rest[0], groups_csv);
    if (!file) {
        return invalid(file.error());
    }
    for (const QString& warning : file->warnings) {
        err_ << "warning: " << warning << '\n';
    }
    err_.flush();
    const auto call = client::api::registerClusters(file->body());
    auto answer = client_.sendSync(call.request);
    if (!answer) {
        return fail(answer.error());
    }
    if (json_) {
        printRaw(answer->body);
        return kExitDone;
    }
    auto registration = call.decode(*answer);
    if (!registration) {
        return fail(registration.error());
    }
    for (const QJsonValue& warning : registration->warnings) {
        err_ << "warning: "
             << (warning.isString() ? warning.toString()
                                    : warning.toObject()
                                          .value(QStringLiteral("message"))
                                          .toString(compactJson(warning.toObject())))
             << '\n';
    }
    err_.flush();
    bool first = true;
    for (const client::Cluster& cluster : registration->clusters) {
        if (!first) {
            out_ << '\n';
        }
        first = false;
        printCluster(cluster);
    }
    out_.flush();
    return kExitDone;
}

int CtlSession::clusters(const QStringList& args) {
    const QString form = QStringLiteral(
        "clusters [show NAME|add FILE|remove NAME|set NAME FIELD=VALUE…|rotate-token NAME|stats "
        "NAME]");
    if (args.isEmpty()) {
        return show<std::vector<client::Cluster>>(
            client::api::clusters(),
            [this](const std::vector<client::Cluster>& list) { printClusters(list); });
    }
    const QString sub = args[0];
    const QStringList rest = args.mid(1);
    if (sub == QLatin1String("add")) {
        return addClusters(rest);
    }
    static const QStringList kNamed = {QStringLiteral("show"), QStringLiteral("remove"),
                                       QStringLiteral("set"), QStringLiteral("rotate-token"),
                                       QStringLiteral("stats")};
    if (!kNamed.contains(sub)) {
        return invalid(QStringLiteral("unknown clusters subcommand \"%1\"; usage: understudyctl %2")
                           .arg(sub, form));
    }
    return clusterNamed(sub, rest);
}

// show, remove, set, rotate-token and stats: a subcommand on one cluster, named first.
int CtlSession::clusterNamed(const QString& sub, const QStringList& rest) {
    if (sub == QLatin1String("set")) {
        if (rest.size() < 2) {
            return invalid(QStringLiteral("usage: understudyctl clusters set NAME FIELD=VALUE…"));
        }
    } else if (auto error = expectArgs(rest, 1, 1, QStringLiteral("clusters %1 NAME").arg(sub))) {
        return invalid(*error);
    }
    const QString name = rest[0];
    if (auto status = checkName(name, QStringLiteral("cluster name")); !status) {
        return invalid(status.error());
    }
    if (sub == QLatin1String("show")) {
        return show<client::Cluster>(client::api::cluster(name),
                                     [this](const client::Cluster& c) { printCluster(c); });
    }
    if (sub == QLatin1String("remove")) {
        auto removed = client_.callSync(client::api::removeCluster(name));
        if (!removed) {
            return fail(removed.error());
        }
        if (!json_) {
            out_ << "removed cluster " << name << '\n';
        }
        return kExitDone;
    }
    if (sub == QLatin1String("set")) {
        auto changes = clusterChanges(rest.mid(1));
        if (!changes) {
            return invalid(changes.error());
        }
        return show<client::Cluster>(client::api::changeCluster(name, *changes),
                                     [this](const client::Cluster& c) { printCluster(c); });
    }
    if (sub == QLatin1String("rotate-token")) {
        return show<QString>(client::api::rotateToken(name), [this, name](const QString& token) {
            // The token alone on stdout, so `... > file` stores it.
            out_ << token << '\n';
            err_ << "the old token of " << name << " no longer works; give the new one to its "
                 << "agents\n";
            err_.flush();
        });
    }
    return show<client::ClusterStats>(
        client::api::clusterStats(name),
        [this, name](const client::ClusterStats& s) { printClusterStats(name, s); });
}

}  // namespace understudy::agents

#include "agents/ctl/ctl_command.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QThread>
#include <functional>

#include "agents/ctl/ctl_input.h"
#include "agents/ctl/ctl_output.h"
#include "appliance/client/api_client.h"

namespace understudy::agents {

using client::ApiCall;
using client::ApiClient;
using client::ApiError;
using client::ApiResult;

namespace {

// How long a follower waits for events per request, and after a lost connection.
constexpr int kFollowWaitS = 30;
constexpr int kFollowRetryMs = 2000;
constexpr int kEventPageLimit = 1000;

Error usage(const QString& message) {
    return Error{"usage", message.toStdString(), {}};
}

// Takes the value of an option given as "--name VALUE" or "--name=VALUE".
bool takeValue(const QStringList& words, qsizetype& i, const QString& name,
               std::optional<QString>& value, std::optional<Error>& error) {
    const QString& word = words[i];
    if (word == name) {
        if (i + 1 >= words.size()) {
            error = usage(QStringLiteral("%1 needs a value").arg(name));
            return true;
        }
        value = words[++i];
        return true;
    }
    if (word.startsWith(name + QLatin1Char('='))) {
        value = word.mid(name.size() + 1);
        return true;
    }
    return false;
}

QString footprint(const client::Footprint& f) {
    return QStringLiteral("%1, %2").arg(formatAmount(QStringLiteral("vcpus"), f.vcpus),
                                        formatMemory(f.memory_mib));
}

QString timeText(const QDateTime& time) {
    return time.isValid() ? time.toString(Qt::ISODateWithMs) : QStringLiteral("-");
}

QString orDash(const QString& text) {
    return text.isEmpty() ? QStringLiteral("-") : text;
}

QString compact(const QJsonObject& object) {
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

class Ctl {
public:
    Ctl(const CtlSettings& settings, bool json, QTextStream& out, QTextStream& err)
        : client_(clientOptions(settings)),
          url_(settings.url.toString()),
          json_(json),
          out_(out),
          err_(err) {}

    int run(const QStringList& words);

private:
    static client::ClientOptions clientOptions(const CtlSettings& settings) {
        client::ClientOptions options;
        options.base_url = settings.url;
        options.token = settings.token;
        options.timeout = settings.timeout;
        options.ca_file = settings.ca_file;
        options.insecure = settings.insecure;
        return options;
    }

    int fail(const ApiError& error) {
        err_ << describeError(error);
        err_.flush();
        return exitCodeFor(error);
    }
    int invalid(const Error& error) {
        err_ << "error: " << QString::fromStdString(error.describe()) << '\n';
        if (error.code == "usage") {
            err_ << "Run 'understudyctl --help' for the commands and options.\n";
        }
        err_.flush();
        return kExitUsage;
    }
    int invalid(const QString& message) { return invalid(usage(message)); }

    void printRaw(const QByteArray& body) {
        out_ << QString::fromUtf8(body);
        if (!body.isEmpty() && !body.endsWith('\n')) {
            out_ << '\n';
        }
        out_.flush();
    }

    // --json prints the service's answer as it came; otherwise `print` renders the value.
    template <typename T>
    int show(const ApiCall<T>& call, const std::function<void(const T&)>& print) {
        if (json_) {
            auto answer = client_.sendSync(call.request);
            if (!answer) {
                return fail(answer.error());
            }
            printRaw(answer->body);
            return kExitDone;
        }
        auto result = client_.callSync(call);
        if (!result) {
            return fail(result.error());
        }
        print(*result);
        out_.flush();
        return kExitDone;
    }

    std::optional<Error> expectArgs(const QStringList& args, qsizetype min, qsizetype max,
                                    const QString& form) {
        if (args.size() < min || args.size() > max) {
            return usage(QStringLiteral("usage: understudyctl %1").arg(form));
        }
        for (const QString& arg : args) {
            if (arg.startsWith(QStringLiteral("--"))) {
                return usage(
                    QStringLiteral("unknown option %1; usage: understudyctl %2").arg(arg, form));
            }
        }
        return std::nullopt;
    }

    int status(const QStringList& args);
    int check(const QStringList& args);
    int appliances(const QStringList& args);
    int groups(const QStringList& args);
    int clusters(const QStringList& args);
    int nodes(const QStringList& args);
    int readiness(const QStringList& args);
    int takeover(const QStringList& args);
    int release(const QStringList& args);
    int power(const QStringList& args);
    int events(const QStringList& args);
    int sizing(const QStringList& args);
    int whatIf(const QStringList& args);
    int backup(const QStringList& args);

    void printAppliances(const std::vector<client::Appliance>& list);
    void printCluster(const client::Cluster& cluster);
    void printNode(const client::Node& node);
    void printEvent(const client::Event& event);
    void printSizing(const client::Sizing& sizing);
    int addClusters(const QStringList& args);
    int addGroups(const QString& file);

    ApiClient client_;
    QString url_;
    bool json_;
    QTextStream& out_;
    QTextStream& err_;
};

int Ctl::run(const QStringList& words) {
    const QString command = words.value(0);
    const QStringList args = words.mid(1);
    using Handler = int (Ctl::*)(const QStringList&);
    static const std::pair<const char*, Handler> kCommands[] = {
        {"status", &Ctl::status},         {"check", &Ctl::check},
        {"appliances", &Ctl::appliances}, {"groups", &Ctl::groups},
        {"clusters", &Ctl::clusters},     {"nodes", &Ctl::nodes},
        {"readiness", &Ctl::readiness},   {"takeover", &Ctl::takeover},
        {"release", &Ctl::release},       {"power", &Ctl::power},
        {"events", &Ctl::events},         {"sizing", &Ctl::sizing},
        {"what-if", &Ctl::whatIf},        {"backup", &Ctl::backup}};
    for (const auto& [name, handler] : kCommands) {
        if (command == QLatin1String(name)) {
            return (this->*handler)(args);
        }
    }
    return invalid(QStringLiteral("unknown command \"%1\"").arg(command));
}

// --- status and check ------------------------------------------------------------------------

int Ctl::status(const QStringList& args) {
    if (auto error = expectArgs(args, 0, 0, QStringLiteral("status"))) {
        return invalid(*error);
    }
    if (json_) {
        return show<client::Health>(client::api::health(), {});
    }
    auto health = client_.callSync(client::api::health());
    if (!health) {
        return fail(health.error());
    }
    out_ << keyValues({{QStringLiteral("service"), url_},
                       {QStringLiteral("status"), health->status},
                       {QStringLiteral("version"), health->version},
                       {QStringLiteral("database"), health->database}});
    // The headroom needs the admin token; with a cluster token the links are all there is.
    auto appliances = client_.callSync(client::api::appliances());
    if (appliances) {
        out_ << '\n';
        printAppliances(*appliances);
    } else if (appliances.error().status == 401 || appliances.error().status == 403) {
        Table table({QStringLiteral("APPLIANCE"), QStringLiteral("CONNECTED")});
        for (const client::ApplianceLink& link : health->appliances) {
            table.addRow({link.name, yesNo(link.connected)});
        }
        out_ << '\n' << table.render();
    } else {
        return fail(appliances.error());
    }
    out_.flush();
    return kExitDone;
}

int Ctl::check(const QStringList& args) {
    if (auto error = expectArgs(args, 0, 0, QStringLiteral("check"))) {
        return invalid(*error);
    }
    auto answer = client_.sendSync(client::api::health(true).request);
    if (!answer) {
        return fail(answer.error());
    }
    auto health = client::decodeBody<client::Health>(answer->body);
    if (!health) {
        return fail(health.error());
    }
    if (json_) {
        printRaw(answer->body);
    } else {
        out_ << keyValues({{QStringLiteral("status"), health->status},
                           {QStringLiteral("version"), health->version},
                           {QStringLiteral("database"), health->database}});
        for (const client::ApplianceLink& link : health->appliances) {
            out_ << QStringLiteral("appliance %1: %2\n")
                        .arg(link.name, link.connected ? QStringLiteral("connected")
                                                       : QStringLiteral("disconnected"));
        }
        out_.flush();
    }
    if (health->status != QLatin1String("ok") || health->database != QLatin1String("ok")) {
        err_ << "error: the service is " << health->status << " (database: " << health->database
             << "); see its log for the cause\n";
        err_.flush();
        return kExitUnavailable;
    }
    return kExitDone;
}

// --- appliances ------------------------------------------------------------------------------

void Ctl::printAppliances(const std::vector<client::Appliance>& list) {
    Table table({QStringLiteral("APPLIANCE"), QStringLiteral("CONNECTED"),
                 QStringLiteral("RESOURCE"), QStringLiteral("CAPACITY"), QStringLiteral("FOREIGN"),
                 QStringLiteral("STANDBY"), QStringLiteral("GRANTED"), QStringLiteral("FREE"),
                 QStringLiteral("OVERBOOKING"), QStringLiteral("OVERFLOW RISK")});
    for (int column = 3; column <= 9; ++column) {
        table.alignRight(column);
    }
    for (const client::Appliance& appliance : list) {
        const std::pair<QString, const client::ResourceUsage*> rows[] = {
            {QStringLiteral("memory_mib"), &appliance.memory_mib},
            {QStringLiteral("vcpus"), &appliance.vcpus}};
        bool first = true;
        for (const auto& [resource, usage] : rows) {
            table.addRow(
                {first ? appliance.name : QString(), first ? yesNo(appliance.connected) : QString(),
                 resource == QLatin1String("memory_mib") ? QStringLiteral("memory")
                                                         : QStringLiteral("vcpus"),
                 formatAmount(resource, usage->capacity), formatAmount(resource, usage->foreign),
                 formatAmount(resource, usage->standby_committed),
                 formatAmount(resource, usage->granted), formatAmount(resource, usage->free),
                 QString::number(usage->overbooking_ratio, 'f', 2),
                 formatRisk(usage->overflow_risk)});
            first = false;
        }
    }
    out_ << table.render();
}

int Ctl::appliances(const QStringList& args) {
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
                 {QStringLiteral("connected"), yesNo(appliance.connected)},
                 {QStringLiteral("cpu overcommit"), QString::number(appliance.cpu_overcommit)}});
            out_ << '\n';
            printAppliances({appliance});
        });
}

// --- groups ----------------------------------------------------------------------------------

int Ctl::groups(const QStringList& args) {
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

int Ctl::addGroups(const QString& file) {
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

void Ctl::printCluster(const client::Cluster& c) {
    std::vector<std::pair<QString, QString>> pairs = {
        {QStringLiteral("cluster"), c.name},
        {QStringLiteral("priority"), QString::number(c.priority)},
        {QStringLiteral("mtbf"), formatHours(c.mtbf_hours) + QStringLiteral(" h")},
        {QStringLiteral("mttr"), formatHours(c.mttr_hours) + QStringLiteral(" h")},
        {QStringLiteral("failure model"), c.failure_model},
        {QStringLiteral("group"), orDash(c.group)},
        {QStringLiteral("standby"), footprint(c.standby)},
        {QStringLiteral("active"), footprint(c.active)},
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

int Ctl::addClusters(const QStringList& args) {
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
                                          .toString(compact(warning.toObject())))
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

int Ctl::clusters(const QStringList& args) {
    const QString form = QStringLiteral(
        "clusters [show NAME|add FILE|remove NAME|set NAME FIELD=VALUE…|rotate-token NAME|stats "
        "NAME]");
    if (args.isEmpty()) {
        return show<std::vector<client::Cluster>>(
            client::api::clusters(), [this](const std::vector<client::Cluster>& list) {
                Table table({QStringLiteral("CLUSTER"), QStringLiteral("PRIORITY"),
                             QStringLiteral("GROUP"), QStringLiteral("MTBF (h)"),
                             QStringLiteral("MTTR (h)"), QStringLiteral("STANDBY"),
                             QStringLiteral("ACTIVE"), QStringLiteral("MEMORY"),
                             QStringLiteral("APPLIANCE"), QStringLiteral("NODE")});
                table.alignRight(1);
                table.alignRight(3);
                table.alignRight(4);
                for (const client::Cluster& c : list) {
                    table.addRow({c.name, QString::number(c.priority), orDash(c.group),
                                  formatHours(c.mtbf_hours), formatHours(c.mttr_hours),
                                  footprint(c.standby), footprint(c.active), c.memory_mode,
                                  orDash(c.appliance), orDash(c.node)});
                }
                out_ << table.render();
            });
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
        client::api::clusterStats(name), [this, name](const client::ClusterStats& s) {
            const auto hours = [](const std::optional<double>& value) {
                return value ? formatHours(*value) + QStringLiteral(" h") : QStringLiteral("-");
            };
            std::vector<std::pair<QString, QString>> pairs = {
                {QStringLiteral("cluster"), name},
                {QStringLiteral("failovers"), QString::number(s.failovers)},
                {QStringLiteral("active"), formatHours(s.active_hours) + QStringLiteral(" h")},
                {QStringLiteral("last failover"), timeText(s.last_failover)},
                {QStringLiteral("observed mtbf"), hours(s.observed_mtbf_hours)},
                {QStringLiteral("observed mttr"), hours(s.observed_mttr_hours)}};
            if (s.last_probe) {
                pairs.emplace_back(
                    QStringLiteral("last probe"),
                    QStringLiteral("%1 %2").arg(
                        timeText(s.last_probe->time),
                        s.last_probe->ok ? QStringLiteral("ok") : QStringLiteral("failed")));
                if (!s.last_probe->output.isEmpty()) {
                    pairs.emplace_back(QStringLiteral("probe output"),
                                       s.last_probe->output.simplified());
                }
            } else {
                pairs.emplace_back(QStringLiteral("last probe"), QStringLiteral("-"));
            }
            out_ << keyValues(pairs);
        });
}

// --- nodes -----------------------------------------------------------------------------------

void Ctl::printNode(const client::Node& n) {
    std::vector<std::pair<QString, QString>> pairs = {
        {QStringLiteral("node"), n.name},
        {QStringLiteral("cluster"), n.cluster},
        {QStringLiteral("appliance"), n.appliance},
        {QStringLiteral("domain"), orDash(n.domain)},
        {QStringLiteral("state"), n.state},
        {QStringLiteral("since"), timeText(n.since)},
        {QStringLiteral("current"), n.current ? footprint(*n.current) : QStringLiteral("—")},
        {QStringLiteral("standby"), footprint(n.standby)},
        {QStringLiteral("active"), footprint(n.active)}};
    if (n.grant) {
        pairs.emplace_back(QStringLiteral("grant"),
                           footprint({n.grant->vcpus, n.grant->memory_mib}) +
                               (n.grant->partial ? QStringLiteral(" (partial CPU)") : QString()));
    }
    out_ << keyValues(pairs);
}

int Ctl::nodes(const QStringList& args) {
    if (auto error = expectArgs(args, 0, 1, QStringLiteral("nodes [NAME]"))) {
        return invalid(*error);
    }
    if (!args.isEmpty()) {
        if (auto status = checkName(args[0], QStringLiteral("node name")); !status) {
            return invalid(status.error());
        }
        return show<client::Node>(client::api::node(args[0]),
                                  [this](const client::Node& n) { printNode(n); });
    }
    return show<std::vector<client::Node>>(
        client::api::nodes(), [this](const std::vector<client::Node>& list) {
            Table table({QStringLiteral("NODE"), QStringLiteral("CLUSTER"),
                         QStringLiteral("APPLIANCE"), QStringLiteral("STATE"),
                         QStringLiteral("CURRENT"), QStringLiteral("STANDBY"),
                         QStringLiteral("ACTIVE"), QStringLiteral("SINCE")});
            for (const client::Node& n : list) {
                table.addRow({n.name, n.cluster, n.appliance, n.state,
                              n.current ? footprint(*n.current) : QStringLiteral("—"),
                              footprint(n.standby), footprint(n.active), timeText(n.since)});
            }
            out_ << table.render();
        });
}

int Ctl::readiness(const QStringList& args) {
    if (auto error = expectArgs(args, 1, 1, QStringLiteral("readiness NODE"))) {
        return invalid(*error);
    }
    if (auto status = checkName(args[0], QStringLiteral("node name")); !status) {
        return invalid(status.error());
    }
    return show<client::Readiness>(
        client::api::readiness(args[0]), [this](const client::Readiness& r) {
            out_ << keyValues(
                {{QStringLiteral("ready"), yesNo(r.ready)},
                 {QStringLiteral("partial cpu"), yesNo(r.partial_cpu)},
                 {QStringLiteral("would preempt"),
                  r.would_preempt.isEmpty() ? QStringLiteral("none")
                                            : r.would_preempt.join(QStringLiteral(", "))},
                 {QStringLiteral("reason"), orDash(r.reason)}});
        });
}

int Ctl::takeover(const QStringList& args) {
    std::optional<QString> wait;
    QStringList rest;
    for (qsizetype i = 0; i < args.size(); ++i) {
        std::optional<Error> error;
        if (takeValue(args, i, QStringLiteral("--wait"), wait, error)) {
            if (error) {
                return invalid(*error);
            }
            continue;
        }
        rest.append(args[i]);
    }
    if (auto error = expectArgs(rest, 1, 1, QStringLiteral("takeover NODE [--wait S]"))) {
        return invalid(*error);
    }
    if (auto status = checkName(rest[0], QStringLiteral("node name")); !status) {
        return invalid(status.error());
    }
    std::optional<std::chrono::milliseconds> timeout;
    if (wait) {
        auto seconds = parseSeconds(*wait, QStringLiteral("--wait"));
        if (!seconds) {
            return invalid(seconds.error());
        }
        timeout = std::chrono::milliseconds(std::llround(*seconds * 1000.0));
    }
    return show<client::TakeoverGrant>(
        client::api::takeover(rest[0], timeout), [this](const client::TakeoverGrant& t) {
            out_ << QStringLiteral("granted %1: %2%3\n")
                        .arg(t.node, footprint({t.grant.vcpus, t.grant.memory_mib}),
                             t.grant.partial ? QStringLiteral(" (partial CPU)") : QString());
            if (!t.grant.preempted.isEmpty()) {
                out_ << "preempted: " << t.grant.preempted.join(QStringLiteral(", ")) << '\n';
            }
        });
}

int Ctl::release(const QStringList& args) {
    if (auto error = expectArgs(args, 1, 1, QStringLiteral("release NODE"))) {
        return invalid(*error);
    }
    if (auto status = checkName(args[0], QStringLiteral("node name")); !status) {
        return invalid(status.error());
    }
    return show<QString>(client::api::release(args[0]),
                         [this](const QString& node) { out_ << "released " << node << '\n'; });
}

int Ctl::power(const QStringList& args) {
    if (auto error = expectArgs(args, 2, 2, QStringLiteral("power NODE on|off|reboot|status"))) {
        return invalid(*error);
    }
    if (auto status = checkName(args[0], QStringLiteral("node name")); !status) {
        return invalid(status.error());
    }
    static const std::pair<const char*, client::PowerAction> kActions[] = {
        {"on", client::PowerAction::on},
        {"off", client::PowerAction::off},
        {"reboot", client::PowerAction::reboot},
        {"status", client::PowerAction::status}};
    for (const auto& [name, action] : kActions) {
        if (args[1] == QLatin1String(name)) {
            return show<client::PowerState>(
                client::api::power(args[0], action),
                [this](const client::PowerState& state) { out_ << state.power << '\n'; });
        }
    }
    return invalid(QStringLiteral("\"%1\" is not a power action; give on, off, reboot or status")
                       .arg(args[1]));
}

// --- events ----------------------------------------------------------------------------------

void Ctl::printEvent(const client::Event& e) {
    if (json_) {
        QJsonObject object;
        object.insert(QStringLiteral("id"), e.id);
        object.insert(QStringLiteral("time"), e.time.toString(Qt::ISODateWithMs));
        object.insert(QStringLiteral("kind"), e.kind);
        object.insert(QStringLiteral("cluster"), e.cluster ? QJsonValue(*e.cluster) : QJsonValue());
        object.insert(QStringLiteral("node"), e.node ? QJsonValue(*e.node) : QJsonValue());
        object.insert(QStringLiteral("details"), e.details);
        out_ << compact(object) << '\n';
    } else {
        QString line = QStringLiteral("%1  %2  %3  %4  %5  %6")
                           .arg(QString::number(e.id).rightJustified(6), timeText(e.time),
                                e.kind.leftJustified(23),
                                e.cluster.value_or(QStringLiteral("-")).leftJustified(12),
                                e.node.value_or(QStringLiteral("-")).leftJustified(20),
                                e.details.isEmpty() ? QString() : compact(e.details));
        while (line.endsWith(QLatin1Char(' '))) {
            line.chop(1);
        }
        out_ << line << '\n';
    }
    out_.flush();
}

int Ctl::events(const QStringList& args) {
    client::EventQuery query;
    bool follow = false;
    for (qsizetype i = 0; i < args.size(); ++i) {
        std::optional<QString> value;
        std::optional<Error> error;
        if (args[i] == QLatin1String("--follow") || args[i] == QLatin1String("-f")) {
            follow = true;
        } else if (takeValue(args, i, QStringLiteral("--since"), value, error)) {
            if (error) {
                return invalid(*error);
            }
            bool ok = false;
            query.since = value->toLongLong(&ok);
            if (!ok || query.since < 0) {
                return invalid(QStringLiteral("--since must be an event id (a whole number, 0 "
                                              "or more), not \"%1\"")
                                   .arg(*value));
            }
        } else if (takeValue(args, i, QStringLiteral("--cluster"), value, error)) {
            if (error) {
                return invalid(*error);
            }
            if (auto status = checkName(*value, QStringLiteral("cluster name")); !status) {
                return invalid(status.error());
            }
            query.cluster = *value;
        } else if (takeValue(args, i, QStringLiteral("--kind"), value, error)) {
            if (error) {
                return invalid(*error);
            }
            if (value->isEmpty() || !isEventKindPrefix(*value)) {
                return invalid(QStringLiteral("--kind \"%1\" matches no event kind; give one of "
                                              "%2, or a prefix such as \"takeover\"")
                                   .arg(*value, eventKinds().join(QStringLiteral(", "))));
            }
            query.kind = *value;
        } else {
            return invalid(QStringLiteral("usage: understudyctl events [--follow] [--since ID] "
                                          "[--cluster C] [--kind K]; \"%1\" is none of these")
                               .arg(args[i]));
        }
    }
    query.limit = kEventPageLimit;
    if (!follow) {
        // Every event after `since`, page by page; --json gives them as one list.
        QJsonArray all;
        bool truncated = false;
        while (true) {
            const auto call = client::api::events(query);
            auto answer = client_.sendSync(call.request);
            if (!answer) {
                return fail(answer.error());
            }
            auto page = call.decode(*answer);
            if (!page) {
                return fail(page.error());
            }
            truncated = truncated || page->truncated;
            if (json_) {
                const QJsonObject object = QJsonDocument::fromJson(answer->body).object();
                for (const QJsonValue& event : object.value(QStringLiteral("events")).toArray()) {
                    all.append(event);
                }
            } else {
                for (const client::Event& event : page->events) {
                    printEvent(event);
                }
            }
            const bool more = static_cast<int>(page->events.size()) >= kEventPageLimit &&
                              page->next > query.since;
            query.since = page->next;
            if (!more) {
                break;
            }
        }
        if (json_) {
            QJsonObject object;
            object.insert(QStringLiteral("events"), all);
            object.insert(QStringLiteral("next"), query.since);
            if (truncated) {
                object.insert(QStringLiteral("truncated"), true);
            }
            printRaw(QJsonDocument(object).toJson(QJsonDocument::Compact));
        } else if (truncated) {
            err_ << "note: older events were removed by retention; the list starts at the "
                    "oldest kept\n";
        }
        return kExitDone;
    }
    // Follow: JSON lines with --json. The first failure ends it (the service is not there);
    // later ones are retried, as `tail -F` does across a restart.
    query.wait_s = kFollowWaitS;
    bool answered_once = false;
    while (true) {
        auto call = client::api::events(query);
        call.request.timeout = client_.options().timeout + std::chrono::seconds(kFollowWaitS);
        auto page = client_.callSync(call);
        if (!page) {
            const ApiError& error = page.error();
            const bool transient = error.status == 0 || error.status >= 500;
            if (!answered_once || !transient || exitCodeFor(error) != kExitUnavailable) {
                return fail(error);
            }
            err_ << "warning: " << error.summary() << "; retrying\n";
            err_.flush();
            QThread::msleep(kFollowRetryMs);
            continue;
        }
        answered_once = true;
        if (page->truncated) {
            err_ << "note: events after " << query.since
                 << " were removed by retention; continuing from the oldest kept\n";
            err_.flush();
        }
        for (const client::Event& event : page->events) {
            printEvent(event);
        }
        query.since = page->next;
    }
}

// --- sizing ----------------------------------------------------------------------------------

void Ctl::printSizing(const client::Sizing& sizing) {
    out_ << QStringLiteral("target risk %1 (%2%3)\n")
                .arg(formatRisk(sizing.target_risk), sizing.method,
                     sizing.exact ? QString()
                                  : QStringLiteral(", quantized: see --json for bounds"));
    for (const client::SizingAppliance& appliance : sizing.appliances) {
        out_ << "\nappliance " << appliance.name << '\n';
        Table table({QStringLiteral("RESOURCE"), QStringLiteral("CAPACITY"),
                     QStringLiteral("STANDBY TOTAL"), QStringLiteral("ACTIVE TOTAL"),
                     QStringLiteral("REQUIRED"), QStringLiteral("OVERFLOW RISK"),
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

int Ctl::sizing(const QStringList& args) {
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

int Ctl::whatIf(const QStringList& args) {
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

// --- backup ----------------------------------------------------------------------------------

int Ctl::backup(const QStringList& args) {
    if (auto error = expectArgs(args, 1, 1, QStringLiteral("backup FILE"))) {
        return invalid(*error);
    }
    const QFileInfo target(args[0]);
    if (target.isDir()) {
        return invalid(QStringLiteral("%1 is a folder; give the backup's file name").arg(args[0]));
    }
    if (!target.absoluteDir().exists()) {
        return invalid(QStringLiteral("the folder %1 does not exist; create it first")
                           .arg(target.absolutePath()));
    }
    auto written = client_.downloadBackupSync(args[0]);
    if (!written) {
        return fail(written.error());
    }
    if (!json_) {
        out_ << "wrote " << *written << " bytes to " << args[0] << '\n';
    } else {
        QJsonObject object;
        object.insert(QStringLiteral("file"), target.absoluteFilePath());
        object.insert(QStringLiteral("bytes"), *written);
        printRaw(QJsonDocument(object).toJson(QJsonDocument::Compact));
    }
    return kExitDone;
}

}  // namespace

// --- the command line ------------------------------------------------------------------------

Result<CommandLine> parseCommandLine(const QStringList& arguments) {
    CommandLine line;
    bool options_ended = false;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString& word = arguments[i];
        if (options_ended) {
            line.words.append(word);
            continue;
        }
        if (word == QLatin1String("--")) {
            options_ended = true;
            continue;
        }
        if (word == QLatin1String("--help") || word == QLatin1String("-h")) {
            line.global.help = true;
            continue;
        }
        if (word == QLatin1String("--json")) {
            line.global.json = true;
            continue;
        }
        if (word == QLatin1String("--insecure")) {
            line.global.insecure = true;
            continue;
        }
        std::optional<QString> value;
        std::optional<Error> error;
        if (takeValue(arguments, i, QStringLiteral("--url"), value, error)) {
            line.global.url = value;
        } else if (takeValue(arguments, i, QStringLiteral("--token-file"), value, error)) {
            line.global.token_file = value;
        } else if (takeValue(arguments, i, QStringLiteral("--ca-file"), value, error)) {
            line.global.ca_file = value;
        } else if (takeValue(arguments, i, QStringLiteral("--timeout"), value, error)) {
            if (!error) {
                auto seconds = parseSeconds(*value, QStringLiteral("--timeout"));
                if (!seconds) {
                    return seconds.error();
                }
                line.global.timeout_s = *seconds;
            }
        } else {
            line.words.append(word);
        }
        if (error) {
            return *error;
        }
    }
    return line;
}

QString ctlUsage() {
    return QStringLiteral(
        "Usage: understudyctl [OPTIONS] COMMAND [ARGS]\n"
        "\n"
        "Commands:\n"
        "  status                              service health and appliance headroom\n"
        "  check                               full health check (database quick_check)\n"
        "  appliances [NAME]                   capacity, commitments and overflow risk\n"
        "  groups [add FILE|remove NAME]       common-cause groups\n"
        "  clusters                            list clusters\n"
        "  clusters show NAME\n"
        "  clusters add FILE [--groups G.csv]  a cluster JSON object or a fleet file (JSON/CSV)\n"
        "  clusters remove NAME\n"
        "  clusters set NAME FIELD=VALUE…      priority, mtbf_hours, mttr_hours, group,\n"
        "                                      memory_mode, failure_model, standby.vcpus,\n"
        "                                      standby.memory_mib, active.vcpus, "
        "active.memory_mib\n"
        "  clusters rotate-token NAME          prints the new token\n"
        "  clusters stats NAME\n"
        "  nodes [NAME]                        passive nodes and their state\n"
        "  readiness NODE                      could it take over at full size now\n"
        "  takeover NODE [--wait S]            returns once granted (waits at most S seconds)\n"
        "  release NODE\n"
        "  power NODE on|off|reboot|status\n"
        "  events [--follow] [--since ID] [--cluster C] [--kind K]\n"
        "  sizing [--format table|json|csv]    the live fleet through the sizing engine\n"
        "  what-if [--fail C…] [--add FILE] [--remove C…]\n"
        "  backup FILE                         a consistent copy of the database\n"
        "\n"
        "Options:\n"
        "  --url URL          the service (else UNDERSTUDY_URL, else url in\n"
        "                     ~/.config/understudy/ctl.conf, else http://127.0.0.1:8470)\n"
        "  --token-file FILE  the token (else UNDERSTUDY_TOKEN, else token_file in ctl.conf)\n"
        "  --json             print the service's JSON\n"
        "  --timeout S        seconds to wait for an answer (default 30)\n"
        "  --ca-file FILE     CA certificate of an HTTPS service; --insecure skips the check\n"
        "  --help             this text\n"
        "\n"
        "Exit codes: 0 done; 1 refused or denied by the service; 2 bad usage or invalid input;\n"
        "3 not allowed; 4 not found; 5 service unreachable, timed out or failing.\n");
}

int runCtl(const QStringList& arguments, const QProcessEnvironment& environment, QTextStream& out,
           QTextStream& err) {
    auto line = parseCommandLine(arguments);
    if (!line) {
        err << "error: " << QString::fromStdString(line.error().describe()) << '\n'
            << "Run 'understudyctl --help' for the commands and options.\n";
        return kExitUsage;
    }
    if (line->global.help) {
        out << ctlUsage();
        return kExitDone;
    }
    if (line->words.isEmpty()) {
        err << "error: no command given\n" << ctlUsage();
        return kExitUsage;
    }
    auto settings = resolveSettings(line->global, environment);
    if (!settings) {
        err << "error: " << QString::fromStdString(settings.error().describe()) << '\n';
        return kExitUsage;
    }
    Ctl ctl(*settings, line->global.json, out, err);
    return ctl.run(line->words);
}

}  // namespace understudy::agents

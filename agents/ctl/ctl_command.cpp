#include "agents/ctl/ctl_command.h"

#include "agents/ctl/ctl_session.h"

namespace understudy::agents {

// --- the dispatcher --------------------------------------------------------------------------

int CtlSession::run(const QStringList& words) {
    const QString command = words.value(0);
    const QStringList args = words.mid(1);
    using Handler = int (CtlSession::*)(const QStringList&);
    static const std::pair<const char*, Handler> kCommands[] = {
        {"status", &CtlSession::status},         {"check", &CtlSession::check},
        {"appliances", &CtlSession::appliances}, {"appliance", &CtlSession::appliance},
        {"groups", &CtlSession::groups},         {"clusters", &CtlSession::clusters},
        {"nodes", &CtlSession::nodes},           {"readiness", &CtlSession::readiness},
        {"takeover", &CtlSession::takeover},     {"release", &CtlSession::release},
        {"power", &CtlSession::power},           {"events", &CtlSession::events},
        {"sizing", &CtlSession::sizing},         {"what-if", &CtlSession::whatIf},
        {"backup", &CtlSession::backup}};
    for (const auto& [name, handler] : kCommands) {
        if (command == QLatin1String(name)) {
            return (this->*handler)(args);
        }
    }
    return invalid(QStringLiteral("unknown command \"%1\"").arg(command));
}

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
        "  appliances [NAME]                   state, capacity, commitments and overflow risk\n"
        "  appliance lost NAME                 NAME is known to be off: its standby nodes are\n"
        "                                      started on the other appliances\n"
        "  appliance rejoin NAME               a lost appliance back: its stale copies removed\n"
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
    CtlSession session(*settings, line->global.json, out, err);
    return session.run(line->words);
}
}  // namespace understudy::agents

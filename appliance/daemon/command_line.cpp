#include "appliance/daemon/command_line.h"

#include <set>

#include "appliance/daemon/config_text.h"

namespace understudy::daemon {
namespace {

constexpr char kOptionCode[] = "invalid_option";

Error optionError(const std::string& option, const std::string& problem) {
    return Error{kOptionCode, option + ": " + problem + "; see understudyd --help", ""};
}

}  // namespace

Result<CommandLine> parseCommandLine(const QStringList& arguments) {
    CommandLine command_line;
    std::set<std::string> seen;
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const std::string argument = arguments.at(i).toStdString();
        std::string option = argument;
        std::optional<std::string> inline_value;
        if (argument.starts_with("--")) {
            const std::size_t equals = argument.find('=');
            if (equals != std::string::npos) {
                option = argument.substr(0, equals);
                inline_value = argument.substr(equals + 1);
            }
        }
        if (option == "-h") {
            option = "--help";
        }
        const bool flag = option == "--help" || option == "--version" || option == "--demo";
        const bool valued = option == "--config" || option == "--listen" || option == "--database";
        if (!flag && !valued) {
            return optionError(option, argument.starts_with("-")
                                           ? std::string("unknown option")
                                           : "unexpected argument; understudyd takes options "
                                             "only");
        }
        if (!seen.insert(option).second) {
            return optionError(option, "given twice; give it once");
        }
        if (flag) {
            if (inline_value) {
                return optionError(option, "takes no value");
            }
            if (option == "--help") {
                command_line.help = true;
            } else if (option == "--version") {
                command_line.version = true;
            } else {
                command_line.demo = true;
            }
            continue;
        }
        std::string value;
        if (inline_value) {
            value = *inline_value;
        } else if (i + 1 < arguments.size()) {
            value = arguments.at(++i).toStdString();
        } else {
            return optionError(option, "needs a value");
        }
        if (value.empty()) {
            return optionError(option, "needs a value, got an empty one");
        }
        if (option == "--listen") {
            Result<ListenAddress> listen = parseListenAddress(value);
            if (!listen) {
                return optionError(option, listen.error().message);
            }
            command_line.listen = *listen;
        } else if (option == "--database") {
            command_line.database = absolutePath(value);
        } else {
            command_line.config = value;
        }
    }
    return command_line;
}

std::string commandLineHelp() {
    return "Usage: understudyd [--config FILE] [--demo] [--listen ADDR:PORT] [--database PATH]\n"
           "\n"
           "The Understudy service: hosts the passive nodes of HA clusters on overbooked\n"
           "appliances and serves the API at http://ADDR:PORT/api/v1.\n"
           "\n"
           "Options:\n"
           "  --config FILE      the configuration (default /etc/understudy/understudyd.conf)\n"
           "  --demo             run on a test-driver demo appliance with a sample fleet; without\n"
           "                     --config, a temporary database and the admin token from\n"
           "                     UNDERSTUDY_ADMIN_TOKEN, or a generated one printed at start\n"
           "  --listen ADDR:PORT listen here instead (IPv4, [IPv6] or localhost; default\n"
           "                     127.0.0.1:8470)\n"
           "  --database PATH    the SQLite database instead of the configured one\n"
           "  -h, --help         show this help\n"
           "  --version          show the version\n";
}

}  // namespace understudy::daemon

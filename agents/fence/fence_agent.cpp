#include "agents/fence/fence_agent.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QUrl>
#include <algorithm>
#include <chrono>

#include "appliance/client/api_client.h"
#include "base/error_codes.h"
#include "base/text.h"

namespace understudy::agents {
namespace {

using client::ApiClient;
using client::ApiError;

struct Parameter {
    const char* name;
    const char* getopt;
    const char* type;
    const char* default_value;  // nullptr: none
    bool required;
    const char* deprecated_by;  // the parameter this one is an old name of, or nullptr
    const char* shortdesc;
};

// The order fence-agents prints them in: alphabetical. plug is not required: the fencer passes
// it (as port, the target's name mapped through pcmk_host_map) with each action aimed at a node,
// so a device does not set it; an action that needs one fails without it (needsPlug).
constexpr Parameter kParameters[] = {
    {"action", "-o, --action=[action]", "string", "reboot", true, nullptr, "Fencing action"},
    {"password", "-p, --password=[password]", "string", nullptr, false, nullptr,
     "The cluster's token (prefer token_file or password_script)"},
    {"password_script", "-S, --password-script=[script]", "string", nullptr, false, nullptr,
     "Script whose first output line is the cluster's token"},
    {"plug", "-n, --plug=[id]", "string", nullptr, false, nullptr,
     "Name of the passive node in Understudy"},
    {"port", "-n, --plug=[id]", "string", nullptr, false, "plug",
     "Name of the passive node in Understudy"},
    {"token_file", "--token-file=[filename]", "string", nullptr, false, nullptr,
     "File holding the cluster's token"},
    {"url", "--url=[url]", "string", client::kDefaultUrl, false, nullptr,
     "URL of the Understudy service"},
    {"version", "-V, --version", "boolean", nullptr, false, nullptr,
     "Display version information and exit"},
    {"help", "-h, --help", "boolean", nullptr, false, nullptr, "Display help and exit"},
    {"power_timeout", "--power-timeout=[seconds]", "second", "20", false, nullptr,
     "Seconds to wait for the service to carry out an action"},
};

constexpr const char* kActions[] = {"on",   "off",     "reboot",   "status",
                                    "list", "monitor", "metadata", "validate-all"};

bool needsPlug(FenceAction action) {
    return action == FenceAction::on || action == FenceAction::off ||
           action == FenceAction::reboot || action == FenceAction::status;
}

// Node names as the service accepts them; anything else (a path, a host name with a port) is
// refused before a request is made.
bool isNodeName(const std::string& name) {
    static const QRegularExpression kName(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$"));
    return kName.match(QString::fromStdString(name)).hasMatch();
}

Result<QByteArray> readToken(const FenceRequest& request) {
    if (!request.token_file.empty()) {
        QFile file(QString::fromStdString(request.token_file));
        if (!file.open(QIODevice::ReadOnly)) {
            return Error{"token", "cannot read the token file: " + file.errorString().toStdString(),
                         request.token_file};
        }
        const QByteArray token = file.readLine().trimmed();
        if (token.isEmpty()) {
            return Error{"token", "the token file is empty; put the cluster's token in it",
                         request.token_file};
        }
        return token;
    }
    if (!request.password_script.empty()) {
        QProcess script;
        script.setProcessChannelMode(QProcess::SeparateChannels);
        script.start(QStringLiteral("/bin/sh"),
                     {QStringLiteral("-c"), QString::fromStdString(request.password_script)});
        const int wait_ms = request.power_timeout_s * 1000;
        if (!script.waitForFinished(wait_ms)) {
            script.kill();
            script.waitForFinished();
            return Error{"token",
                         "the password script did not finish within " +
                             std::to_string(request.power_timeout_s) + " s",
                         "password_script"};
        }
        if (script.exitStatus() != QProcess::NormalExit || script.exitCode() != 0) {
            return Error{
                "token",
                "the password script failed (exit " + std::to_string(script.exitCode()) + "): " +
                    QString::fromLocal8Bit(script.readAllStandardError()).trimmed().toStdString(),
                "password_script"};
        }
        const QByteArray token = script.readAllStandardOutput().split('\n').value(0).trimmed();
        if (token.isEmpty()) {
            return Error{"token", "the password script printed no token", "password_script"};
        }
        return token;
    }
    if (!request.password.empty()) {
        return QByteArray::fromStdString(request.password);
    }
    return Error{"token",
                 "no token given: use --token-file, --password-script or --password "
                 "(token_file=, password_script= or password= on stdin)",
                 ""};
}

// Checks what can be checked without the service: fence-agents' validate-all.
Status validate(const FenceRequest& request) {
    const QUrl url(QString::fromStdString(request.url), QUrl::StrictMode);
    if (!url.isValid() ||
        (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")) ||
        url.host().isEmpty()) {
        return Error{errc::kInvalidField, "'" + request.url + "' is not an http:// or https:// URL",
                     "url"};
    }
    if (needsPlug(request.action) && request.plug.empty()) {
        return Error{errc::kInvalidField,
                     std::string("action ") + fenceActionName(request.action) +
                         " needs the passive node's name: --plug NAME (plug= on stdin)",
                     "plug"};
    }
    if (!request.plug.empty() && !isNodeName(request.plug)) {
        return Error{
            "invalid_field",
            "'" + request.plug + "' is not a node name (letters, digits, '.', '_' and '-')",
            "plug"};
    }
    if (request.token_file.empty() && request.password_script.empty() && request.password.empty()) {
        return Error{errc::kInvalidField,
                     "no token given: use --token-file, --password-script or --password "
                     "(token_file=, password_script= or password= on stdin)",
                     "token_file"};
    }
    return Done{};
}

// What went wrong, for a person: the cause first, then what to do. The client's own wording
// for a missing answer names understudyctl's options, so it is said here in this agent's.
std::string describe(const ApiError& error, const std::string& what, const FenceRequest& request) {
    if (error.code == QLatin1String(client::kUnreachable)) {
        return what + ": cannot reach the service (" + error.message.toStdString() +
               "); check that understudyd runs and listens at " + request.url + " (url)";
    }
    if (error.code == QLatin1String(client::kTimedOut)) {
        return what + ": no answer from the service within " +
               std::to_string(request.power_timeout_s) + " s; check that understudyd at " +
               request.url + " runs and is not overloaded, or allow more time (power_timeout)";
    }
    std::string hint;
    switch (error.status) {
        case 401:
            hint = " (the service does not know this token; use the cluster's current token)";
            break;
        case 403:
            hint = " (this token may fence only its own cluster's passive node)";
            break;
        case 404:
            hint =
                " (no such passive node; fence_understudy -o list shows the ones this token may "
                "fence)";
            break;
        default:
            break;
    }
    return what + ": " + error.summary().toStdString() + hint;
}

class Fence {
public:
    Fence(const FenceRequest& request, const QByteArray& token, std::ostream& out,
          std::ostream& err)
        : request_(request), client_(options(request, token)), out_(out), err_(err) {}

    int run() {
        switch (request_.action) {
            case FenceAction::on:
                return power(PowerAction::on);
            case FenceAction::off:
                return power(PowerAction::off);
            case FenceAction::reboot:
                return power(PowerAction::reboot);
            case FenceAction::status:
                return power(PowerAction::status);
            case FenceAction::list:
                return list(true);
            case FenceAction::monitor:
                return list(false);
            case FenceAction::metadata:
            case FenceAction::validate_all:
                break;
        }
        return kFenceOk;
    }

private:
    static client::ClientOptions options(const FenceRequest& request, const QByteArray& token) {
        client::ClientOptions options;
        options.base_url = QUrl(QString::fromStdString(request.url));
        options.token = token;
        options.timeout = std::chrono::seconds(request.power_timeout_s);
        // A cluster fencing its passive while the service moves to another appliance must
        // still succeed: ask again until the power timeout.
        options.retry_unreachable = true;
        return options;
    }

    int failed(const std::string& message) {
        err_ << "Failed: " << message << '\n';
        return kFenceFailed;
    }

    int power(PowerAction action) {
        const std::string what = std::string(fenceActionName(request_.action)) + " of " +
                                 request_.plug + " through " + request_.url;
        auto state =
            client_.callSync(client::api::power(QString::fromStdString(request_.plug), action));
        if (!state) {
            return failed(describe(state.error(), what, request_));
        }
        const QString power = state->power;
        switch (action) {
            case PowerAction::status:
                out_ << "Status: " << power.toUpper().toStdString() << '\n';
                return power == QLatin1String("off") ? kFenceStatusOff : kFenceOk;
            case PowerAction::off:
                if (power != QLatin1String("off")) {
                    return failed(what + ": the service reports the node still " +
                                  power.toStdString());
                }
                out_ << "Success: Powered OFF\n";
                return kFenceOk;
            case PowerAction::on:
                if (power != QLatin1String("on")) {
                    return failed(what + ": the service reports the node still " +
                                  power.toStdString());
                }
                out_ << "Success: Powered ON\n";
                return kFenceOk;
            case PowerAction::reboot:
                out_ << "Success: Rebooted\n";
                return kFenceOk;
        }
        return kFenceFailed;
    }

    // list prints "plug,alias" lines (the alias is the libvirt domain); monitor only proves
    // that the service answers and knows the token.
    int list(bool print) {
        auto nodes = client_.callSync(client::api::nodes());
        if (!nodes) {
            return failed(
                describe(nodes.error(),
                         std::string(fenceActionName(request_.action)) + " through " + request_.url,
                         request_));
        }
        if (print) {
            for (const client::Node& node : *nodes) {
                out_ << node.name.toStdString() << ',' << node.domain.toStdString() << '\n';
            }
        }
        return kFenceOk;
    }

    const FenceRequest& request_;
    ApiClient client_;
    std::ostream& out_;
    std::ostream& err_;
};

}  // namespace

std::string fenceMetadata() {
    std::string xml =
        "<?xml version=\"1.0\" ?>\n"
        "<resource-agent name=\"fence_understudy\" shortdesc=\"Fence agent for Understudy "
        "passive nodes\" >\n"
        "<longdesc>fence_understudy is a fencing agent for the passive nodes (virtual machines) "
        "of an Understudy passive node appliance. It asks the Understudy service to power the "
        "node named by plug on, off or reboot it, with the cluster's token: the service lets a "
        "cluster fence only its own passive node, never another cluster's node and never the "
        "appliance itself.</longdesc>\n"
        "<vendor-url>https://github.com/understudy-ha/understudy</vendor-url>\n"
        "<parameters>\n";
    for (const Parameter& p : kParameters) {
        xml += std::string("\t<parameter name=\"") + p.name + "\" unique=\"0\" required=\"" +
               (p.required ? "1" : "0") + "\"" + (p.deprecated_by ? " deprecated=\"1\"" : "") +
               ">\n";
        xml += std::string("\t\t<getopt mixed=\"") + escapeMarkup(p.getopt) + "\" />\n";
        xml += std::string("\t\t<content type=\"") + p.type + "\"" +
               (p.default_value ? std::string(" default=\"") + escapeMarkup(p.default_value) + "\""
                                : std::string()) +
               "  />\n";
        xml += std::string("\t\t<shortdesc lang=\"en\">") + escapeMarkup(p.shortdesc) +
               "</shortdesc>\n";
        xml += "\t</parameter>\n";
    }
    xml += "</parameters>\n<actions>\n";
    for (const char* action : kActions) {
        xml += std::string("\t<action name=\"") + action + "\"" +
               (std::string(action) == "on" ? " automatic=\"0\"" : "") + "/>\n";
    }
    xml += "</actions>\n</resource-agent>\n";
    return xml;
}

std::string fenceUsage() {
    std::string text =
        "Usage: fence_understudy [OPTIONS]\n"
        "       fence_understudy < name=value lines (without options)\n"
        "Fences one Understudy passive node through the service, with the cluster's token.\n"
        "\n"
        "Options:\n";
    for (const Parameter& p : kParameters) {
        if (p.deprecated_by != nullptr) {
            continue;
        }
        std::string line = std::string("   ") + p.getopt;
        line.resize(std::max<std::size_t>(line.size() + 1, 38), ' ');
        text += line + p.shortdesc;
        if (p.default_value != nullptr) {
            text += std::string(" (default ") + p.default_value + ")";
        }
        text += '\n';
    }
    text +=
        "\nActions: on, off, reboot, status, list, monitor, metadata, validate-all\n"
        "Exit codes: 0 done (status: on), 1 failed, 2 status: off.\n";
    return text;
}

int runFence(const FenceRequest& given, std::ostream& out, std::ostream& err) {
    FenceRequest request = given;
    if (request.url.empty()) {
        request.url = client::kDefaultUrl;
    }
    if (request.action == FenceAction::metadata) {
        out << fenceMetadata();
        return kFenceOk;
    }
    if (auto valid = validate(request); !valid) {
        err << "Failed: " << valid.error().describe() << '\n';
        return kFenceFailed;
    }
    if (request.action == FenceAction::validate_all) {
        return kFenceOk;
    }
    auto token = readToken(request);
    if (!token) {
        err << "Failed: " << token.error().describe() << '\n';
        return kFenceFailed;
    }
    Fence fence(request, *token, out, err);
    return fence.run();
}

}  // namespace understudy::agents

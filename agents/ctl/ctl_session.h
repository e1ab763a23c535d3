// One understudyctl invocation against the service: its client, --json, its output streams and
// a handler per command. The handlers live by group: ctl_service_commands.cpp (status, check,
// backup), ctl_inventory_commands.cpp (appliances, appliance, groups, clusters),
// ctl_node_commands.cpp (nodes, readiness, takeover, release, power), ctl_event_commands.cpp
// (events) and ctl_sizing_commands.cpp (sizing, what-if); the dispatcher is in ctl_command.cpp.
#pragma once

#include <QString>
#include <QStringList>
#include <QTextStream>
#include <functional>
#include <optional>
#include <vector>

#include "agents/ctl/ctl_output.h"
#include "agents/ctl/ctl_settings.h"
#include "appliance/client/api_client.h"
#include "base/result.h"

namespace understudy::agents {

// A command line the user got wrong (exit 2, with a pointer to --help).
Error usageError(const QString& message);

// Takes the value of an option given as "--name VALUE" or "--name=VALUE": true when words[i]
// is that option (then `value` or, when the value is missing, `error` is set).
bool takeValue(const QStringList& words, qsizetype& i, const QString& name,
               std::optional<QString>& value, std::optional<Error>& error);

class CtlSession {
public:
    CtlSession(const CtlSettings& settings, bool json, QTextStream& out, QTextStream& err);

    int run(const QStringList& words);

private:
    int fail(const client::ApiError& error);
    int invalid(const Error& error);
    int invalid(const QString& message) { return invalid(usageError(message)); }

    void printRaw(const QByteArray& body);

    // --json prints the service's answer as it came; otherwise `print` renders the value.
    template <typename T>
    int show(const client::ApiCall<T>& call, const std::function<void(const T&)>& print) {
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
                                    const QString& form);

    int status(const QStringList& args);
    int check(const QStringList& args);
    int backup(const QStringList& args);

    int appliances(const QStringList& args);
    int appliance(const QStringList& args);
    void printLoss(const client::ApplianceLoss& loss);
    int groups(const QStringList& args);
    int clusters(const QStringList& args);
    void printAppliances(const std::vector<client::Appliance>& list);
    void printClusters(const std::vector<client::Cluster>& list);
    void printCluster(const client::Cluster& cluster);
    void printClusterStats(const QString& name, const client::ClusterStats& stats);
    int addClusters(const QStringList& args);
    int addGroups(const QString& file);
    int clusterNamed(const QString& sub, const QStringList& rest);

    int nodes(const QStringList& args);
    int readiness(const QStringList& args);
    int takeover(const QStringList& args);
    int release(const QStringList& args);
    int power(const QStringList& args);
    void printNode(const client::Node& node);

    int events(const QStringList& args);
    int listEvents(client::EventQuery query);
    int followEvents(client::EventQuery query);
    void printEvent(const client::Event& event);

    int sizing(const QStringList& args);
    int whatIf(const QStringList& args);
    void printSizing(const client::Sizing& sizing);

    client::ApiClient client_;
    QString url_;
    bool json_;
    QTextStream& out_;
    QTextStream& err_;
};

}  // namespace understudy::agents

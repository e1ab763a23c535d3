// nodes, readiness, takeover, release and power: what a cluster's agents do to a passive node.
#include <algorithm>
#include <cmath>

#include "agents/ctl/ctl_input.h"
#include "agents/ctl/ctl_session.h"

namespace understudy::agents {

void CtlSession::printNode(const client::Node& n) {
    std::vector<std::pair<QString, QString>> pairs = {
        {QStringLiteral("node"), n.name},
        {QStringLiteral("cluster"), n.cluster},
        {QStringLiteral("appliance"), n.appliance},
        {QStringLiteral("domain"), orDash(n.domain)},
        {QStringLiteral("state"), n.state},
        {QStringLiteral("since"), formatTime(n.since)},
        {QStringLiteral("current"), n.current ? formatFootprint(*n.current) : QStringLiteral("—")},
        {QStringLiteral("standby"), formatFootprint(n.standby)},
        {QStringLiteral("active"), formatFootprint(n.active)}};
    if (n.grant) {
        pairs.emplace_back(
            QStringLiteral("grant"),
            QStringLiteral("%1, %2 over standby%3")
                .arg(formatGrantAmount(QStringLiteral("vcpus"),
                                       std::max<qint64>(0, n.grant->vcpus - n.standby.vcpus)),
                     formatGrantAmount(
                         QStringLiteral("memory_mib"),
                         std::max<qint64>(0, n.grant->memory_mib - n.standby.memory_mib)),
                     n.grant->partial ? QStringLiteral(" (partial CPU)") : QString()));
    }
    out_ << keyValues(pairs);
}

int CtlSession::nodes(const QStringList& args) {
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
                              n.current ? formatFootprint(*n.current) : QStringLiteral("—"),
                              formatFootprint(n.standby), formatFootprint(n.active),
                              formatTime(n.since)});
            }
            out_ << table.render();
        });
}

int CtlSession::readiness(const QStringList& args) {
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

int CtlSession::takeover(const QStringList& args) {
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
            out_ << QStringLiteral("granted %1: runs with %2%3\n")
                        .arg(t.node, formatFootprint({t.grant.vcpus, t.grant.memory_mib}),
                             t.grant.partial ? QStringLiteral(" (partial CPU)") : QString());
            if (!t.grant.preempted.isEmpty()) {
                out_ << "preempted: " << t.grant.preempted.join(QStringLiteral(", ")) << '\n';
            }
        });
}

int CtlSession::release(const QStringList& args) {
    if (auto error = expectArgs(args, 1, 1, QStringLiteral("release NODE"))) {
        return invalid(*error);
    }
    if (auto status = checkName(args[0], QStringLiteral("node name")); !status) {
        return invalid(status.error());
    }
    return show<QString>(client::api::release(args[0]),
                         [this](const QString& node) { out_ << "released " << node << '\n'; });
}

int CtlSession::power(const QStringList& args) {
    if (auto error = expectArgs(args, 2, 2, QStringLiteral("power NODE on|off|reboot|status"))) {
        return invalid(*error);
    }
    if (auto status = checkName(args[0], QStringLiteral("node name")); !status) {
        return invalid(status.error());
    }
    if (const auto action = parsePowerAction(args[1].toStdString())) {
        return show<client::PowerState>(
            client::api::power(args[0], *action),
            [this](const client::PowerState& state) { out_ << state.power << '\n'; });
    }
    return invalid(QStringLiteral("\"%1\" is not a power action; give on, off, reboot or status")
                       .arg(args[1]));
}

}  // namespace understudy::agents

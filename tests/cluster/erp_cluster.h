// The physical/virtual scenario's Pacemaker configuration, as docs and the README give it: a
// cluster CLUSTER of the physical node CLUSTER-phys and the passive node CLUSTER-passive (a VM on
// the appliance). The application (a group) prefers the physical node; ocf:understudy:takeover
// is kept off the physical node, colocated with the group and ordered before it, so it runs
// exactly when the application runs on the passive node; ocf:understudy:readiness is cloned,
// and a rule on its attribute keeps the application off a passive node that could not grow.
// The physical node is fenced by the lab's power switch, the passive node by fence_understudy.
#pragma once

#include <QString>

#include "tests/cluster/cluster_lab.h"

namespace understudy::tests {

struct ErpClusterOptions {
    QString cluster = QStringLiteral("erp");
    QString url;
    QString token_file;
    // ocf:understudy:takeover's on_denied.
    QString on_denied = QStringLiteral("fail");
    // The passive node's name in Understudy; empty: CLUSTER-passive, as its cluster node.
    QString passive_node;
    // Above the physical node's preference: the application stays where it runs until moved.
    bool sticky = false;
    // Whether the takeover resource is configured at all (without it: a passive of fixed size).
    bool takeover = true;
    // The location rule that keeps the application off the passive node while the appliance
    // could not grow it (understudy-ready ne 1): no service rather than a degraded one.
    bool needs_readiness = true;
};

inline QString nvpair(const QString& owner, const QString& name, const QString& value) {
    return QStringLiteral("<nvpair id=\"%1-%2\" name=\"%2\" value=\"%3\"/>")
        .arg(owner, name, value);
}

// The parameters ocf:understudy:takeover and readiness share, on the resource `owner`.
inline QString passiveNode(const ErpClusterOptions& o) {
    return o.passive_node.isEmpty() ? o.cluster + QStringLiteral("-passive") : o.passive_node;
}

inline QString understudyParameters(const ErpClusterOptions& o, const QString& owner) {
    return nvpair(owner, QStringLiteral("url"), o.url) +
           nvpair(owner, QStringLiteral("node"), passiveNode(o)) +
           nvpair(owner, QStringLiteral("token_file"), o.token_file);
}

inline QString erpResources(const ErpClusterOptions& o) {
    const QString c = o.cluster;
    QString xml = QStringLiteral("<resources>");
    xml += QStringLiteral(
               "<primitive id=\"%1-fence-phys\" class=\"stonith\" type=\"fence_lab\">"
               "<instance_attributes id=\"%1-fence-phys-ia\">%2%3</instance_attributes>"
               "</primitive>")
               .arg(c,
                    nvpair(c + QStringLiteral("-fence-phys"), QStringLiteral("pcmk_host_list"),
                           c + QStringLiteral("-phys")),
                    // Powered off until the test brings it back, as a node that needs repair.
                    nvpair(c + QStringLiteral("-fence-phys"), QStringLiteral("pcmk_reboot_action"),
                           QStringLiteral("off")));
    xml += QStringLiteral(
               "<primitive id=\"%1-fence-passive\" class=\"stonith\" type=\"fence_understudy\">"
               "<instance_attributes id=\"%1-fence-passive-ia\">%2%3%4</instance_attributes>"
               "</primitive>")
               .arg(c, nvpair(c + QStringLiteral("-fence-passive"), QStringLiteral("url"), o.url),
                    nvpair(c + QStringLiteral("-fence-passive"), QStringLiteral("token_file"),
                           o.token_file),
                    nvpair(c + QStringLiteral("-fence-passive"), QStringLiteral("pcmk_host_map"),
                           c + QStringLiteral("-passive:") + passiveNode(o)));
    xml += QStringLiteral(
               "<clone id=\"%1-readiness-clone\"><primitive id=\"%1-readiness\" class=\"ocf\" "
               "provider=\"understudy\" type=\"readiness\">"
               "<instance_attributes id=\"%1-readiness-ia\">%2</instance_attributes>"
               "<operations><op id=\"%1-readiness-monitor\" name=\"monitor\" interval=\"3s\" "
               "timeout=\"20s\"/></operations></primitive></clone>")
               .arg(c, understudyParameters(o, c + QStringLiteral("-readiness")));
    if (o.takeover) {
        // The physical node's marker: a resource that cannot fail, kept off the passive node.
        xml += QStringLiteral(
                   "<primitive id=\"%1-physical\" class=\"ocf\" provider=\"pacemaker\" "
                   "type=\"Dummy\"/>")
                   .arg(c);
        xml += QStringLiteral(
                   "<primitive id=\"%1-takeover\" class=\"ocf\" provider=\"understudy\" "
                   "type=\"takeover\"><instance_attributes id=\"%1-takeover-ia\">%2%3"
                   "</instance_attributes><operations>"
                   "<op id=\"%1-takeover-start\" name=\"start\" interval=\"0\" timeout=\"60s\"/>"
                   "<op id=\"%1-takeover-stop\" name=\"stop\" interval=\"0\" timeout=\"30s\"/>"
                   "<op id=\"%1-takeover-monitor\" name=\"monitor\" interval=\"5s\" "
                   "timeout=\"20s\"/></operations></primitive>")
                   .arg(c, understudyParameters(o, c + QStringLiteral("-takeover")),
                        nvpair(c + QStringLiteral("-takeover"), QStringLiteral("on_denied"),
                               o.on_denied));
    }
    xml += QStringLiteral(
               "<group id=\"%1-app\">%2<primitive id=\"%1-service\" class=\"ocf\" "
               "provider=\"heartbeat\" type=\"Dummy\"><operations>"
               "<op id=\"%1-service-monitor\" name=\"monitor\" interval=\"3s\"/>"
               "</operations></primitive></group>")
               .arg(c, o.sticky ? QStringLiteral("<meta_attributes id=\"%1-app-meta\">%2"
                                                 "</meta_attributes>")
                                      .arg(c, nvpair(c + QStringLiteral("-app"),
                                                     QStringLiteral("resource-stickiness"),
                                                     QStringLiteral("500")))
                                : QString());
    return xml + QStringLiteral("</resources>");
}

inline QString erpConstraints(const ErpClusterOptions& o) {
    const QString c = o.cluster;
    QString xml = QStringLiteral(
                      "<constraints>"
                      "<rsc_location id=\"%1-app-prefers-phys\" rsc=\"%1-app\" node=\"%1-phys\" "
                      "score=\"100\"/>"
                      // A fence device does not run on the node it fences.
                      "<rsc_location id=\"%1-fence-phys-away\" rsc=\"%1-fence-phys\" "
                      "node=\"%1-phys\" score=\"-INFINITY\"/>"
                      "<rsc_location id=\"%1-fence-passive-away\" rsc=\"%1-fence-passive\" "
                      "node=\"%1-passive\" score=\"-INFINITY\"/>")
                      .arg(c);
    if (o.takeover) {
        xml += QStringLiteral(
                   // Off the physical node: never beside the marker that runs there. (A location
                   // ban would be pushed onto the application whenever that runs nowhere, and a
                   // cold start would put it on the passive node.)
                   "<rsc_location id=\"%1-physical-off-passive\" rsc=\"%1-physical\" "
                   "node=\"%1-passive\" score=\"-INFINITY\"/>"
                   "<rsc_colocation id=\"%1-takeover-off-physical\" rsc=\"%1-takeover\" "
                   "with-rsc=\"%1-physical\" score=\"-INFINITY\"/>"
                   "<rsc_colocation id=\"%1-takeover-with-app\" rsc=\"%1-takeover\" "
                   "with-rsc=\"%1-app\" score=\"INFINITY\"/>"
                   "<rsc_order id=\"%1-takeover-before-app\" first=\"%1-takeover\" "
                   "then=\"%1-app\" kind=\"Optional\"/>")
                   .arg(c);
    }
    if (o.needs_readiness) {
        xml += QStringLiteral(
                   "<rsc_location id=\"%1-app-needs-capacity\" rsc=\"%1-app\">"
                   "<rule id=\"%1-app-needs-capacity-rule\" score=\"-INFINITY\" "
                   "boolean-op=\"and\">"
                   "<expression id=\"%1-app-needs-capacity-node\" attribute=\"#uname\" "
                   "operation=\"eq\" value=\"%1-passive\"/>"
                   "<expression id=\"%1-app-needs-capacity-ready\" "
                   "attribute=\"understudy-ready\" operation=\"ne\" value=\"1\"/>"
                   "</rule></rsc_location>")
                   .arg(c);
    }
    return xml + QStringLiteral("</constraints>");
}

// crm_resource --move of CLUSTER-app to the node `to`, then waits (at most `limit_ms`) until the
// application runs there and the takeover has stopped; false with what went wrong in `why`.
inline bool moveApplication(const ClusterLab& lab, const QString& cluster, const QString& to,
                            int limit_ms, QString* why) {
    const Run moved =
        lab.crmResource(to, {QStringLiteral("--move"), QStringLiteral("--resource"),
                             cluster + QStringLiteral("-app"), QStringLiteral("--node"), to});
    if (moved.exit_code != 0) {
        *why = moved.describe();
        return false;
    }
    if (!ClusterLab::waitFor(
            [&] {
                return lab.runsOn(to, cluster + QStringLiteral("-service"), to) &&
                       lab.stopped(to, cluster + QStringLiteral("-takeover"));
            },
            limit_ms)) {
        *why = lab.report(to);
        return false;
    }
    return true;
}

}  // namespace understudy::tests

// An event of the service's log in plain words: a one-line summary for the Events table and
// its search, the full description for the details pane, who caused it, and the CSV export of
// a list of events.
#pragma once

#include <QString>
#include <vector>

#include "appliance/client/api_types.h"

namespace understudy::gui {

// "admin@10.0.0.5", "service", …, or "—" from a service that does not say who.
QString actorText(const QString& actor);
// "admin, from 10.0.0.5", "the agent of cluster crm, from ::1", "the service, by itself".
QString actorDescription(const QString& actor);
// The details in one line of plain words: "Short of memory: needs 30 GiB, 8 GiB free",
// "Appliance: demo; Held: 4 vCPUs · 16 GiB".
QString eventSummary(const client::Event& event);
// What happened, when, to what, who asked, and every detail, one per line.
QString describeEvent(const client::Event& event);

// Header and one line per event (id, time in UTC ISO 8601, kind, cluster, node, actor, the
// summary, and the details as the service sent them, in JSON), as RFC 4180 asks.
QString eventsCsv(const std::vector<client::Event>& events);

}  // namespace understudy::gui

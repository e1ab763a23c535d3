#include "appliance/api/metrics.h"

#include <QLocale>
#include <cmath>
#include <set>
#include <string>

#include "db/event_log.h"

namespace understudy::api {

void LatencyHistogram::observe(double seconds) {
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
        if (seconds <= kBounds[i]) {
            ++buckets_[i];
        }
    }
    ++count_;
    sum_ += seconds;
}

EventCounts::EventCounts() {
    for (std::string_view kind : db::eventKinds()) {
        counts_[std::string(kind)] = 0;
    }
}

Status EventCounts::catchUp(db::Database& reader) {
    const db::EventLog log(reader);
    for (;;) {
        auto page = log.page({.since = counted_, .limit = db::kMaxEventPage, .filter = {}});
        if (!page) {
            return page.error();
        }
        if (page->events.empty()) {
            return Done{};
        }
        for (const db::DBEvent& event : page->events) {
            ++counts_[event.kind];
        }
        counted_ = page->next;
    }
}

namespace {

// Label values escape backslash, double quote and newline (exposition format).
std::string label(const std::string& value) {
    std::string escaped;
    for (char c : value) {
        if (c == '\\' || c == '"') {
            escaped += '\\';
            escaped += c;
        } else if (c == '\n') {
            escaped += "\\n";
        } else {
            escaped += c;
        }
    }
    return escaped;
}

// The shortest text that reads back as the same double ("0.1", not "0.10000000000000001"), so
// bucket bounds read as written.
std::string number(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    return QByteArray::number(value, 'g', QLocale::FloatingPointShortest).toStdString();
}

class Writer {
public:
    void family(const char* name, const char* type, const char* help) {
        text_ +=
            std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    }
    void sample(const std::string& name, const std::string& labels, double value) {
        text_ += name;
        if (!labels.empty()) {
            text_ += "{" + labels + "}";
        }
        text_ += " " + number(value) + "\n";
    }
    QByteArray text() const { return QByteArray::fromStdString(text_); }

private:
    std::string text_;
};

// The labels of a per-appliance, per-resource sample.
std::string applianceResource(const std::string& appliance, sizing::Resource resource) {
    return "appliance=\"" + label(appliance) + "\",resource=\"" + sizing::resourceName(resource) +
           "\"";
}

// Headroom, overbooking ratio and overflow risk per appliance and resource, and whether each
// appliance is connected.
void writeAppliances(Writer& out, const std::vector<core::ApplianceStatus>& appliances) {
    struct Gauge {
        const char* name;
        const char* help;
        std::int64_t (*value)(const core::ApplianceStatus&, sizing::Resource);
    };
    static const Gauge gauges[] = {
        {"understudy_capacity", "Usable capacity (after reserve and CPU overcommit).",
         [](const core::ApplianceStatus& a, sizing::Resource r) {
             return a.headroom.capacity.of(r);
         }},
        {"understudy_foreign", "Held by domains the service does not own.",
         [](const core::ApplianceStatus& a, sizing::Resource r) {
             return a.headroom.foreign.of(r);
         }},
        {"understudy_standby_committed", "Standby footprints of the appliance's nodes.",
         [](const core::ApplianceStatus& a, sizing::Resource r) {
             return a.headroom.standby_committed.of(r);
         }},
        {"understudy_granted", "Held by active nodes above their standby footprint.",
         [](const core::ApplianceStatus& a, sizing::Resource r) {
             return a.headroom.granted.of(r);
         }},
        {"understudy_free", "Capacity minus foreign, standby committed and granted.",
         [](const core::ApplianceStatus& a, sizing::Resource r) { return a.headroom.free.of(r); }},
    };
    for (const Gauge& gauge : gauges) {
        out.family(gauge.name, "gauge", gauge.help);
        for (const auto& appliance : appliances) {
            for (sizing::Resource resource : sizing::kResources) {
                out.sample(gauge.name, applianceResource(appliance.name, resource),
                           static_cast<double>(gauge.value(appliance, resource)));
            }
        }
    }
    out.family("understudy_overbooking_ratio", "gauge",
               "Sum of active footprints divided by usable capacity.");
    for (const auto& appliance : appliances) {
        for (sizing::Resource resource : sizing::kResources) {
            out.sample("understudy_overbooking_ratio", applianceResource(appliance.name, resource),
                       appliance.headroom.overbooking_ratio[static_cast<std::size_t>(resource)]);
        }
    }
    out.family("understudy_overflow_risk", "gauge",
               "Live overflow risk of the appliance's fleet (sizing engine, exact).");
    for (const auto& appliance : appliances) {
        for (sizing::Resource resource : sizing::kResources) {
            out.sample("understudy_overflow_risk", applianceResource(appliance.name, resource),
                       appliance.overflow_risk[static_cast<std::size_t>(resource)]);
        }
    }
    out.family("understudy_denial_risk", "gauge",
               "Probability that a takeover on the appliance is denied within 24 hours, given the "
               "grants held now (sizing engine).");
    for (const auto& appliance : appliances) {
        out.sample("understudy_denial_risk", "appliance=\"" + label(appliance.name) + "\"",
                   appliance.denial_risk);
    }
    out.family("understudy_not_ready_nodes", "gauge",
               "Nodes that could not take over at their full size now.");
    for (const auto& appliance : appliances) {
        out.sample("understudy_not_ready_nodes", "appliance=\"" + label(appliance.name) + "\"",
                   static_cast<double>(appliance.not_ready.size()));
    }
    out.family("understudy_appliance_connected", "gauge", "1 while libvirt is connected.");
    for (const auto& appliance : appliances) {
        out.sample("understudy_appliance_connected", "appliance=\"" + label(appliance.name) + "\"",
                   appliance.connected ? 1 : 0);
    }
    out.family("understudy_appliance_state", "gauge",
               "1 for the appliance's state (connected, unreachable, lost), 0 for the others.");
    for (const auto& appliance : appliances) {
        for (const core::ApplianceState state :
             {core::ApplianceState::connected, core::ApplianceState::unreachable,
              core::ApplianceState::lost}) {
            out.sample("understudy_appliance_state",
                       "appliance=\"" + label(appliance.name) + "\",state=\"" +
                           core::applianceStateName(state) + "\"",
                       appliance.state == state ? 1 : 0);
        }
    }
}

// Every state of every appliance, zero included, so a state that empties reads 0, not absent.
void writeNodes(Writer& out, const MetricsInput& input) {
    out.family("understudy_nodes", "gauge", "Passive nodes per appliance and state.");
    std::map<std::pair<std::string, std::string>, int> per_state;
    for (const auto& appliance : input.appliances) {
        for (int s = 0; s <= static_cast<int>(db::NodeState::Drifted); ++s) {
            per_state[{appliance.name,
                       std::string(db::nodeStateName(static_cast<db::NodeState>(s)))}] = 0;
        }
    }
    for (const auto& node : input.nodes) {
        ++per_state[{node.appliance, std::string(db::nodeStateName(node.state))}];
    }
    for (const auto& [key, count] : per_state) {
        out.sample("understudy_nodes",
                   "appliance=\"" + label(key.first) + "\",state=\"" + label(key.second) + "\"",
                   count);
    }
}

// 1 for a node that could not take over at its full size now (the appliance's not_ready), 0 for
// the others: the cluster it serves is named, so an alert says which one is exposed.
void writeReadiness(Writer& out, const MetricsInput& input) {
    out.family("understudy_node_not_ready", "gauge",
               "1 while the node could not take over at its full size now.");
    std::set<std::string> not_ready;
    for (const auto& appliance : input.appliances) {
        for (const auto& node : appliance.not_ready) {
            not_ready.insert(node.node);
        }
    }
    for (const auto& node : input.nodes) {
        out.sample("understudy_node_not_ready",
                   "appliance=\"" + label(node.appliance) + "\",cluster=\"" + label(node.cluster) +
                       "\",node=\"" + label(node.name) + "\"",
                   not_ready.contains(node.name) ? 1 : 0);
    }
}

void writeEvents(Writer& out, const EventCounts* events) {
    out.family("understudy_events_total", "counter",
               "Events appended since the service started, by kind.");
    if (events == nullptr) {
        return;
    }
    for (const auto& [kind, count] : events->counts()) {
        out.sample("understudy_events_total", "kind=\"" + label(kind) + "\"",
                   static_cast<double>(count));
    }
}

void writeTakeoverLatency(Writer& out, const LatencyHistogram* histogram) {
    out.family("understudy_takeover_duration_seconds", "histogram",
               "From a granted takeover's request to its answer.");
    if (histogram == nullptr) {
        return;
    }
    for (std::size_t i = 0; i < LatencyHistogram::kBounds.size(); ++i) {
        out.sample("understudy_takeover_duration_seconds_bucket",
                   "le=\"" + number(LatencyHistogram::kBounds[i]) + "\"",
                   static_cast<double>(histogram->buckets()[i]));
    }
    out.sample("understudy_takeover_duration_seconds_bucket", "le=\"+Inf\"",
               static_cast<double>(histogram->count()));
    out.sample("understudy_takeover_duration_seconds_sum", {}, histogram->sum());
    out.sample("understudy_takeover_duration_seconds_count", {},
               static_cast<double>(histogram->count()));
}

void writeRequests(Writer& out, const std::map<http::RequestKey, quint64>& requests) {
    out.family("understudy_http_requests_total", "counter",
               "Answered requests by method, route template and status.");
    for (const auto& [key, count] : requests) {
        out.sample("understudy_http_requests_total",
                   "method=\"" + label(key.method.toStdString()) + "\",route=\"" +
                       label(key.route.toStdString()) + "\",status=\"" +
                       std::to_string(key.status) + "\"",
                   static_cast<double>(count));
    }
}

}  // namespace

QByteArray renderMetrics(const MetricsInput& input) {
    Writer out;
    out.family("understudy_database_available", "gauge",
               "1 when the service could read its database for this scrape.");
    out.sample("understudy_database_available", {}, input.database_available ? 1 : 0);
    out.family("understudy_target_risk", "gauge",
               "The overflow risk target admission holds each appliance to.");
    out.sample("understudy_target_risk", {}, input.target_risk);
    writeAppliances(out, input.appliances);
    writeNodes(out, input);
    writeReadiness(out, input);
    writeEvents(out, input.events);
    writeTakeoverLatency(out, input.takeover_latency);
    writeRequests(out, input.requests);
    out.family("understudy_last_event_id", "gauge", "The id of the newest event.");
    out.sample("understudy_last_event_id", {}, static_cast<double>(input.last_event_id));
    out.family("understudy_auth_failures_total", "counter",
               "Requests whose bearer token matched no token.");
    out.sample("understudy_auth_failures_total", {}, static_cast<double>(input.auth_failures));
    out.family("understudy_auth_refused_total", "counter",
               "Requests refused with 429 too_many_failures.");
    out.sample("understudy_auth_refused_total", {}, static_cast<double>(input.auth_refusals));
    return out.text();
}

}  // namespace understudy::api

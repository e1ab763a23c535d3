#include "appliance/api/openapi.h"

#include <initializer_list>
#include <utility>

namespace understudy::api {

namespace {

Json ref(const std::string& schema) {
    Json made;
    made["$ref"] = "#/components/schemas/" + schema;
    return made;
}

Json jsonContent(const Json& schema) {
    Json made;
    made["application/json"]["schema"] = schema;
    return made;
}

Json response(const std::string& description, const Json& schema = nullptr) {
    Json made;
    made["description"] = description;
    if (!schema.is_null()) {
        made["content"] = jsonContent(schema);
    }
    return made;
}

Json errorResponse(const std::string& description) {
    return response(description, ref("Error"));
}

// Closed: a field the document does not name is an error in a request (invalid_field) and a
// mismatch in an answer, which the e2e tests catch.
Json object(std::initializer_list<std::pair<const char*, Json>> properties,
            std::initializer_list<const char*> required = {}) {
    Json made;
    made["type"] = "object";
    made["additionalProperties"] = false;
    made["properties"] = Json::object();
    for (const auto& [name, schema] : properties) {
        made["properties"][name] = schema;
    }
    if (required.size() > 0) {
        made["required"] = Json::array();
        for (const char* name : required) {
            made["required"].push_back(name);
        }
    }
    return made;
}

Json type(const char* name) {
    Json made;
    made["type"] = name;
    return made;
}

Json tooManyFailures() {
    Json made = errorResponse(
        "too_many_failures: more than 20 failed authentications from this address within 10 s; "
        "everything from it is refused for 10 s");
    made["headers"]["Retry-After"]["description"] = "Seconds until the address is served again";
    made["headers"]["Retry-After"]["schema"] = type("integer");
    return made;
}

// OpenAPI 3.1's schemas are JSON Schema's: null is a type of its own.
Json nullable(const char* name) {
    Json made;
    made["type"] = Json::array({name, "null"});
    return made;
}

// A value the service writes as null where it has none (a standby node's grant).
Json orNull(const Json& schema) {
    Json made;
    made["oneOf"] = Json::array({schema, type("null")});
    return made;
}

Json arrayOf(const Json& items) {
    Json made;
    made["type"] = "array";
    made["items"] = items;
    return made;
}

Json stringEnum(std::initializer_list<const char*> values) {
    Json made = type("string");
    made["enum"] = Json::array();
    for (const char* value : values) {
        made["enum"].push_back(value);
    }
    return made;
}

Json pathName(const std::string& what) {
    Json made;
    made["name"] = "name";
    made["in"] = "path";
    made["required"] = true;
    made["description"] = "The " + what + "'s name.";
    made["schema"] = type("string");
    return made;
}

Json queryParameter(const char* name, const char* schema_type, const std::string& description) {
    Json made;
    made["name"] = name;
    made["in"] = "query";
    made["required"] = false;
    made["description"] = description;
    made["schema"] = type(schema_type);
    return made;
}

struct Operation {
    std::string path;
    std::string method;
    std::string summary;
    // "anyone", "admin", "admin or the cluster's own token"
    std::string who;
    Json parameters = Json::array();
    Json body = nullptr;
    Json responses = Json::object();
};

// The building blocks every other schema refers to: the error body and the footprints.
void addCommonSchemas(Json& s) {
    s["Error"] = object({{"error", type("string")},
                         {"message", type("string")},
                         {"field", type("string")},
                         {"state", type("string")},
                         {"limit", type("integer")},
                         {"id", type("string")},
                         {"denial", ref("Denial")},
                         {"appliance", type("string")},
                         {"overflow_risk", ref("Risks")},
                         {"overflow_risk_before", ref("Risks")},
                         {"target_risk", type("number")},
                         {"unservable", arrayOf(ref("Unservable"))}},
                        {"error", "message"});
    s["Footprint"] = object({{"vcpus", type("integer")}, {"memory_mib", type("integer")}},
                            {"vcpus", "memory_mib"});
    s["Risks"] = object({{"memory_mib", type("number")}, {"vcpus", type("number")}});
    s["Unservable"] = object({{"cluster", type("string")},
                              {"resource", type("string")},
                              {"needed", type("integer")},
                              {"available", type("integer")}});
}

// What is registered: appliances, groups, clusters and fleet files.
void addFleetSchemas(Json& s) {
    const Json resource = object({{"capacity", type("integer")},
                                  {"foreign", type("integer")},
                                  {"standby_committed", type("integer")},
                                  {"granted", type("integer")},
                                  {"free", type("integer")},
                                  {"overbooking_ratio", type("number")},
                                  {"overflow_risk", type("number")}});
    s["Appliance"] = object({{"name", type("string")},
                             {"uri", type("string")},
                             {"connected", type("boolean")},
                             {"state", stringEnum({"connected", "unreachable", "lost"})},
                             {"unreachable_since", type("string")},
                             {"cpu_overcommit", type("number")},
                             {"resources", object({{"memory_mib", resource}, {"vcpus", resource}})},
                             {"not_ready", arrayOf(ref("NotReadyNode"))},
                             {"denial_risk", ref("DenialRisk")},
                             {"error", type("string")}},
                            {"name", "uri", "connected", "state", "cpu_overcommit", "resources",
                             "not_ready", "denial_risk"});
    s["HeadroomSample"] =
        object({{"time", type("string")},
                {"state", stringEnum({"connected", "unreachable", "lost"})},
                {"free", object({{"memory_mib", type("integer")}, {"vcpus", type("integer")}},
                                {"memory_mib", "vcpus"})},
                {"denial_risk", type("number")},
                {"not_ready", type("integer")}},
               {"time", "state", "free", "denial_risk", "not_ready"});
    s["NotReadyNode"] = object({{"node", type("string")},
                                {"cluster", type("string")},
                                {"reason", type("string")},
                                {"would_preempt", arrayOf(type("string"))},
                                {"partial_cpu", type("boolean")}},
                               {"node", "cluster", "reason", "would_preempt", "partial_cpu"});
    s["DenialRisk"] = object({{"horizon_hours", type("number")}, {"value", type("number")}},
                             {"horizon_hours", "value"});
    s["Group"] = object({{"name", type("string")},
                         {"mtbf_hours", type("number")},
                         {"mttr_hours", type("number")},
                         {"members", arrayOf(type("string"))}},
                        {"name", "mtbf_hours", "mttr_hours"});
    s["Cluster"] = object({{"name", type("string")},
                           {"priority", type("integer")},
                           {"mtbf_hours", type("number")},
                           {"mttr_hours", type("number")},
                           {"group", nullable("string")},
                           {"standby", ref("Footprint")},
                           {"active", ref("Footprint")},
                           {"memory_mode", stringEnum({"balloon", "reserved"})},
                           {"failure_model", stringEnum({"declared", "observed"})},
                           {"appliance", type("string")},
                           {"node", type("string")},
                           {"domain", type("string")},
                           {"token", type("string")},
                           {"registered", type("string")},
                           {"warnings", arrayOf(type("string"))}},
                          {"name", "mtbf_hours", "mttr_hours", "standby", "active"});
    s["ClusterChange"] = object({{"priority", type("integer")},
                                 {"mtbf_hours", type("number")},
                                 {"mttr_hours", type("number")},
                                 {"group", nullable("string")},
                                 {"standby", ref("Footprint")},
                                 {"active", ref("Footprint")},
                                 {"memory_mode", stringEnum({"balloon", "reserved"})},
                                 {"failure_model", stringEnum({"declared", "observed"})}});
    s["Fleet"] = object({{"clusters", arrayOf(ref("Cluster"))},
                         {"groups", arrayOf(ref("Group"))},
                         {"target_risk", type("number")},
                         {"cpu_overcommit", type("number")},
                         {"tolerate_k", type("integer")},
                         {"appliances", arrayOf(type("object"))}},
                        {"clusters"});
}

// Who caused an event: null for events recorded before the service kept it.
Json eventActor() {
    Json made = nullable("string");
    made["pattern"] = "^(admin|service|cluster:[^@]+)(@.+)?$";
    made["description"] =
        "Who caused the event: admin or cluster:NAME followed by @ and the client's address when "
        "a request caused it (the preemptions of a takeover are its requester's), or service "
        "for what the service did by itself; null for events recorded before actors were kept.";
    return made;
}

// What happens to the nodes: grants, denials with their holders, and the events.
void addNodeSchemas(Json& s) {
    s["Grant"] = object({{"memory_mib", type("integer")},
                         {"vcpus", type("integer")},
                         {"partial", type("boolean")},
                         {"preempted", arrayOf(type("string"))},
                         {"granted", type("string")}},
                        {"memory_mib", "vcpus", "partial", "preempted"});
    s["Node"] =
        object({{"name", type("string")},
                {"cluster", type("string")},
                {"appliance", type("string")},
                {"domain", type("string")},
                {"state", stringEnum({"standby", "taking-over", "active", "releasing", "preempted",
                                      "fenced", "stopped", "missing", "drifted"})},
                {"standby", ref("Footprint")},
                {"active", ref("Footprint")},
                {"current", orNull(ref("Footprint"))},
                {"since", type("string")},
                {"grant", orNull(ref("Grant"))},
                {"defined_by_service", type("boolean")}},
               {"name", "cluster", "appliance", "domain", "state", "standby", "active", "current",
                "since", "grant"});
    s["Holder"] = object({{"node", type("string")},
                          {"cluster", type("string")},
                          {"priority", type("integer")},
                          {"state", type("string")},
                          {"holds", type("integer")}},
                         {"node", "cluster", "priority", "state", "holds"});
    s["Denial"] = object({{"resource", stringEnum({"memory_mib", "vcpus"})},
                          {"needed", type("integer")},
                          {"free", type("integer")},
                          {"holders", arrayOf(ref("Holder"))},
                          {"preemptable", arrayOf(type("string"))},
                          {"tried", arrayOf(type("string"))}},
                         {"resource", "needed", "free", "holders", "preemptable", "tried"});
    s["Event"] = object({{"id", type("integer")},
                         {"time", type("string")},
                         {"kind", type("string")},
                         {"cluster", nullable("string")},
                         {"node", nullable("string")},
                         {"actor", eventActor()},
                         {"details", type("object")}},
                        {"id", "time", "kind", "cluster", "node", "actor", "details"});
}

Json schemas() {
    Json s = Json::object();
    addCommonSchemas(s);
    addFleetSchemas(s);
    addNodeSchemas(s);
    return s;
}

constexpr char kAdmin[] = "admin";
constexpr char kOwn[] = "admin, or the cluster's own token";

// The operations in the document's order; each group adds its own with `add`.
class Operations {
public:
    Operation& add(std::string path, std::string method, std::string summary, std::string who) {
        Operation op;
        op.path = std::move(path);
        op.method = std::move(method);
        op.summary = std::move(summary);
        op.who = std::move(who);
        ops_.push_back(std::move(op));
        return ops_.back();
    }
    std::vector<Operation> take() { return std::move(ops_); }

private:
    std::vector<Operation> ops_;
};

void addHealthAndApplianceOperations(Operations& ops) {
    Operation* op =
        &ops.add("/api/v1/health", "get", "Service health", "anyone (check=full: admin)");
    op->parameters.push_back(
        queryParameter("check", "string", "'full' also runs SQLite's quick_check (admin)."));
    op->responses["200"] = response(
        "Health",
        object({{"status", stringEnum({"ok", "degraded"})},
                {"version", type("string")},
                {"database", stringEnum({"ok", "damaged"})},
                {"quick_check",
                 object({{"ok", type("boolean")}, {"problems", arrayOf(type("string"))}})},
                {"appliances",
                 arrayOf(object({{"name", type("string")},
                                 {"connected", type("boolean")},
                                 {"state", stringEnum({"connected", "unreachable", "lost"})}},
                                {"name", "connected", "state"}))}},
               {"status", "version", "database", "appliances"}));

    op = &ops.add("/api/v1/appliances", "get", "List the appliances", kAdmin);
    op->responses["200"] =
        response("Appliances", object({{"appliances", arrayOf(ref("Appliance"))}}, {"appliances"}));
    op = &ops.add("/api/v1/appliances/{name}", "get", "One appliance", kAdmin);
    op->parameters.push_back(pathName("appliance"));
    op->responses["200"] = response("The appliance", ref("Appliance"));
    op = &ops.add("/api/v1/appliances/{name}/history", "get",
                  "The appliance's free capacity, denial risk and unready nodes over time", kAdmin);
    op->parameters.push_back(pathName("appliance"));
    op->parameters.push_back(queryParameter(
        "since", "string",
        "RFC 3339 time with its offset: samples at or after it, oldest first; without it, the "
        "newest samples."));
    op->parameters.push_back(
        queryParameter("limit", "integer", "At most this many (default 1440, at most 10080)."));
    op->responses["200"] =
        response("Samples, oldest first",
                 object({{"appliance", type("string")},
                         {"interval_s", type("integer")},
                         {"retention_hours", type("integer")},
                         {"samples", arrayOf(ref("HeadroomSample"))},
                         {"truncated", type("boolean")}},
                        {"appliance", "interval_s", "retention_hours", "samples", "truncated"}));
    op->responses["400"] = errorResponse("invalid_field: since or limit, or an unknown parameter");
    op = &ops.add("/api/v1/appliances/{name}/lost", "post",
                  "Declare an appliance lost (known to be off) and evacuate its standby nodes",
                  kAdmin);
    op->parameters.push_back(pathName("appliance"));
    op->body = object({{"confirmed_down", type("boolean")}}, {"confirmed_down"});
    op->responses["200"] = response(
        "Where its nodes went",
        object(
            {{"appliance", type("string")},
             {"evacuated", arrayOf(object({{"node", type("string")}, {"to", type("string")}}))},
             {"stranded", arrayOf(object({{"node", type("string")}, {"reason", type("string")}}))}},
            {"appliance", "evacuated", "stranded"}));
    op->responses["409"] = errorResponse("The service can still reach the appliance");
    op = &ops.add("/api/v1/appliances/{name}/rejoin", "post",
                  "Return a lost appliance to the pool once its stale copies are removed", kAdmin);
    op->parameters.push_back(pathName("appliance"));
    op->responses["200"] = response("The appliance", ref("Appliance"));
    op->responses["409"] = errorResponse("The appliance is not lost, or not reachable");
}

void addGroupOperations(Operations& ops) {
    Operation* op = &ops.add("/api/v1/groups", "get", "List the common-cause groups", kAdmin);
    op->responses["200"] =
        response("Groups", object({{"groups", arrayOf(ref("Group"))}}, {"groups"}));
    op = &ops.add("/api/v1/groups", "post", "Create a group", kAdmin);
    op->body = ref("Group");
    op->responses["201"] = response("The group", ref("Group"));
    op->responses["409"] = errorResponse("The name is taken, or admission refused it");
    op = &ops.add("/api/v1/groups/{name}", "get", "One group", kAdmin);
    op->parameters.push_back(pathName("group"));
    op->responses["200"] = response("The group", ref("Group"));
    op = &ops.add("/api/v1/groups/{name}", "patch", "Change a group (through admission)", kAdmin);
    op->parameters.push_back(pathName("group"));
    op->body = object({{"mtbf_hours", type("number")}, {"mttr_hours", type("number")}});
    op->responses["200"] = response("The changed group", ref("Group"));
    op->responses["409"] = errorResponse("admission_refused");
    op = &ops.add("/api/v1/groups/{name}", "delete", "Delete a group without members", kAdmin);
    op->parameters.push_back(pathName("group"));
    op->responses["204"] = response("Deleted");
    op->responses["409"] = errorResponse("The group has members");
}

void addClusterOperations(Operations& ops) {
    Operation* op = &ops.add("/api/v1/clusters", "get",
                             "List the clusters (a cluster token sees its own)", kOwn);
    op->responses["200"] =
        response("Clusters", object({{"clusters", arrayOf(ref("Cluster"))}}, {"clusters"}));
    op = &ops.add("/api/v1/clusters", "post",
                  "Register one cluster, or a fleet file's clusters and groups (all or nothing)",
                  kAdmin);
    Json either;
    either["oneOf"] = Json::array({ref("Cluster"), ref("Fleet")});
    op->body = either;
    Json created;
    created["oneOf"] = Json::array(
        {ref("Cluster"),
         object({{"clusters", arrayOf(ref("Cluster"))}, {"warnings", arrayOf(type("string"))}})});
    op->responses["201"] =
        response("Registered, each cluster with its token (shown once)", created);
    op->responses["409"] = errorResponse("admission_refused or conflict");
    op = &ops.add("/api/v1/clusters/{name}", "get", "One cluster", kOwn);
    op->parameters.push_back(pathName("cluster"));
    op->responses["200"] = response("The cluster", ref("Cluster"));
    op = &ops.add("/api/v1/clusters/{name}", "patch", "Change a cluster (through admission)",
                  kAdmin);
    op->parameters.push_back(pathName("cluster"));
    op->body = ref("ClusterChange");
    op->responses["200"] = response("The changed cluster", ref("Cluster"));
    op->responses["409"] = errorResponse("admission_refused");
    op = &ops.add("/api/v1/clusters/{name}", "delete", "Remove a cluster and its node", kAdmin);
    op->parameters.push_back(pathName("cluster"));
    op->responses["204"] = response("Removed");
    op->responses["409"] = errorResponse("Its node is active");
    op = &ops.add("/api/v1/clusters/{name}/token", "post", "Rotate the cluster's token", kAdmin);
    op->parameters.push_back(pathName("cluster"));
    op->responses["200"] =
        response("The new token", object({{"token", type("string")}}, {"token"}));
    op = &ops.add("/api/v1/clusters/{name}/stats", "get", "Failover statistics and the last probe",
                  kOwn);
    op->parameters.push_back(pathName("cluster"));
    op->responses["200"] = response(
        "Statistics", object({{"failovers", type("integer")},
                              {"active_hours", type("number")},
                              {"last_failover", nullable("string")},
                              {"observed_mtbf_hours", nullable("number")},
                              {"observed_mttr_hours", nullable("number")},
                              {"last_probe", orNull(object({{"time", type("string")},
                                                            {"ok", type("boolean")},
                                                            {"output", type("string")}}))}},
                             {"failovers", "active_hours", "last_failover", "observed_mtbf_hours",
                              "observed_mttr_hours", "last_probe"}));
}

void addNodeOperations(Operations& ops) {
    Operation* op = &ops.add("/api/v1/nodes", "get",
                             "List the passive nodes (a cluster token sees its own)", kOwn);
    op->responses["200"] = response("Nodes", object({{"nodes", arrayOf(ref("Node"))}}, {"nodes"}));
    op = &ops.add("/api/v1/nodes/{name}", "get", "One node", kOwn);
    op->parameters.push_back(pathName("node"));
    op->responses["200"] = response("The node", ref("Node"));
    op = &ops.add("/api/v1/nodes/{name}/readiness", "get",
                  "Could the node take over at full size now (changes nothing)", kOwn);
    op->parameters.push_back(pathName("node"));
    op->responses["200"] =
        response("Readiness", object({{"ready", type("boolean")},
                                      {"partial_cpu", type("boolean")},
                                      {"would_preempt", arrayOf(type("string"))},
                                      {"reason", nullable("string")},
                                      {"denial", orNull(ref("Denial"))}},
                                     {"ready", "partial_cpu", "would_preempt", "reason"}));
    op = &ops.add("/api/v1/nodes/{name}/takeover", "post",
                  "Grow the node to its active footprint; answers once libvirt shows it", kOwn);
    op->parameters.push_back(pathName("node"));
    op->responses["200"] = response(
        "Granted", object({{"node", type("string")}, {"grant", ref("Grant")}}, {"node", "grant"}));
    op->responses["409"] = errorResponse("takeover_denied (with denial) or conflict (with state)");
    op = &ops.add("/api/v1/nodes/{name}/release", "post", "Shrink the node back to standby", kOwn);
    op->parameters.push_back(pathName("node"));
    op->responses["200"] = response("Released", object({{"node", type("string")}}, {"node"}));
    op = &ops.add("/api/v1/nodes/{name}/power", "post", "Fence or query the node's domain", kOwn);
    op->parameters.push_back(pathName("node"));
    op->body = object({{"action", stringEnum({"on", "off", "reboot", "status"})}}, {"action"});
    op->responses["200"] = response("Power state after the action",
                                    object({{"power", stringEnum({"on", "off"})}}, {"power"}));
}

void addEventOperations(Operations& ops) {
    Operation& op =
        ops.add("/api/v1/events", "get", "Events after an id, with long-polling", kAdmin);
    op.parameters.push_back(queryParameter("since", "integer", "Events with a larger id."));
    op.parameters.push_back(
        queryParameter("limit", "integer", "At most this many (default 100, at most 1000)."));
    op.parameters.push_back(
        queryParameter("wait", "integer", "Seconds to wait for a new event (at most 60)."));
    op.parameters.push_back(queryParameter("cluster", "string", "Only this cluster's events."));
    op.parameters.push_back(queryParameter("node", "string", "Only this node's events."));
    op.parameters.push_back(queryParameter("kind", "string", "Kinds starting with this."));
    op.responses["200"] = response("A page of events", object({{"events", arrayOf(ref("Event"))},
                                                               {"next", type("integer")},
                                                               {"truncated", type("boolean")}},
                                                              {"events", "next", "truncated"}));
}

void addSizingOperations(Operations& ops) {
    Operation* op =
        &ops.add("/api/v1/sizing", "get", "The live fleet through the sizing engine", kAdmin);
    op->responses["200"] =
        response("understudy-size's JSON; each appliance also carries not_ready and denial_risk",
                 type("object"));
    op = &ops.add("/api/v1/sizing/what-if", "post",
                  "Simulate failures and changes (changes nothing)", kAdmin);
    Json capacity = type("object");
    capacity["additionalProperties"] = ref("Footprint");
    op->body = object({{"fail", arrayOf(type("string"))},
                       {"add", arrayOf(ref("Cluster"))},
                       {"remove", arrayOf(type("string"))},
                       {"capacity", capacity}});
    op->responses["200"] = response(
        "Outcome",
        object(
            {{"takeovers",
              arrayOf(object({{"node", type("string")},
                              {"outcome", stringEnum({"granted", "partial", "preempts", "denied"})},
                              {"preempted", arrayOf(type("string"))},
                              {"denial", orNull(ref("Denial"))}},
                             {"node", "outcome", "preempted", "denial"}))},
             {"free_after", arrayOf(object({{"appliance", type("string")},
                                            {"memory_mib", type("integer")},
                                            {"vcpus", type("integer")}},
                                           {"appliance", "memory_mib", "vcpus"}))},
             {"sizing", type("object")}},
            {"takeovers", "free_after", "sizing"}));
}

// Backup, this document and the metrics: answers that are not JSON resources.
void addServiceOperations(Operations& ops) {
    Operation* op = &ops.add("/api/v1/backup", "get", "A consistent copy of the database", kAdmin);
    // OpenAPI 3.1 describes binary content by its media type alone, without a schema.
    Json backup_response;
    backup_response["description"] = "The SQLite database";
    backup_response["content"]["application/vnd.sqlite3"] = Json::object();
    op->responses["200"] = backup_response;

    op = &ops.add("/api/v1/openapi.json", "get", "This document", "anyone");
    op->responses["200"] = response("OpenAPI 3 document", type("object"));

    op = &ops.add("/metrics", "get", "Prometheus metrics", "anyone on the listen address");
    Json metrics_response;
    metrics_response["description"] = "Prometheus text format 0.0.4";
    metrics_response["content"]["text/plain"]["schema"] = type("string");
    op->responses["200"] = metrics_response;
}

std::vector<Operation> operations() {
    Operations ops;
    addHealthAndApplianceOperations(ops);
    addGroupOperations(ops);
    addClusterOperations(ops);
    addNodeOperations(ops);
    addEventOperations(ops);
    addSizingOperations(ops);
    addServiceOperations(ops);
    return ops.take();
}

}  // namespace

Json openApiDocument(const std::string& version) {
    Json document;
    document["openapi"] = "3.1.0";
    document["info"]["title"] = "Understudy API";
    document["info"]["version"] = version;
    document["info"]["description"] =
        "The passive-node appliance manager's HTTP API (docs/http-api.md). Bearer tokens: the "
        "admin token may do everything; a cluster token may read its own cluster and node, take "
        "over, release and power its own node, and read /health.";
    Json bearer;
    bearer["type"] = "http";
    bearer["scheme"] = "bearer";
    document["components"]["securitySchemes"]["bearer"] = bearer;
    document["components"]["schemas"] = schemas();
    document["paths"] = Json::object();
    for (const Operation& op : operations()) {
        Json operation;
        operation["summary"] = op.summary;
        operation["description"] = "Who may call it: " + op.who + ".";
        if (!op.parameters.empty()) {
            operation["parameters"] = op.parameters;
        }
        if (!op.body.is_null()) {
            operation["requestBody"]["required"] = true;
            operation["requestBody"]["content"] = jsonContent(op.body);
        }
        operation["responses"] = op.responses;
        operation["responses"]["400"] = errorResponse("malformed_json or invalid_field");
        if (op.who != "anyone" && op.who != "anyone on the listen address") {
            operation["responses"]["401"] = errorResponse("No token, or an unknown one");
            operation["responses"]["403"] = errorResponse("A cluster token outside its scope");
            Json security = Json::object();
            security["bearer"] = Json::array();
            // "anyone (check=full: admin)": the token is optional, as OpenAPI writes it with an
            // empty requirement beside the bearer one.
            operation["security"] = op.who.starts_with("anyone")
                                        ? Json::array({Json::object(), security})
                                        : Json::array({security});
        }
        if (op.path.find('{') != std::string::npos) {
            operation["responses"]["404"] = errorResponse("No such resource");
        }
        // Every route: the HTTP layer refuses what is too large before routing, and an address
        // refused for its failed authentications is refused whatever it asks, with whatever token.
        operation["responses"]["413"] =
            errorResponse("payload_too_large: a body above max_body_bytes (with limit)");
        operation["responses"]["414"] = errorResponse("uri_too_long: a request line above 8 KiB");
        operation["responses"]["431"] =
            errorResponse("headers_too_large: header fields above the service's limit");
        operation["responses"]["429"] = tooManyFailures();
        operation["responses"]["500"] = errorResponse("internal: a bug, logged with id");
        operation["responses"]["503"] =
            errorResponse("hypervisor_unavailable or database_unavailable (with Retry-After)");
        document["paths"][op.path][op.method] = std::move(operation);
    }
    return document;
}

}  // namespace understudy::api

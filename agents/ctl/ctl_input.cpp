#include "agents/ctl/ctl_input.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "sizing/fleet_file.h"

namespace understudy::agents {

namespace {

Error invalid(const QString& message, const QString& where = {}) {
    return Error{"invalid_input", message.toStdString(), where.toStdString()};
}

QJsonValue toQt(const nlohmann::json& value) {
    const QByteArray text = QByteArray::fromStdString(nlohmann::json::array({value}).dump());
    return QJsonDocument::fromJson(text).array().at(0);
}

QJsonObject toQtObject(const nlohmann::ordered_json& value) {
    return QJsonDocument::fromJson(QByteArray::fromStdString(value.dump())).object();
}

Result<std::string> readText(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return invalid(QStringLiteral("cannot read the file: %1; check the path and its "
                                      "permissions")
                           .arg(file.errorString()),
                       path);
    }
    return file.readAll().toStdString();
}

bool isCsv(const QString& path) {
    return QFileInfo(path).suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0;
}

QString at(const std::string& path, const char* key) {
    return QString::fromStdString(path.empty() ? std::string(key) : path + "." + key);
}

// The service's own cluster fields beside the fleet file's.
const sizing::JsonKeys kServiceClusterKeys{"failure_model", "appliance", "node", "domain"};

std::optional<Error> checkServiceFields(const nlohmann::json& cluster, const std::string& path,
                                        const QString& source) {
    const auto where = [&](const char* key) {
        return source + QStringLiteral(": ") + at(path, key);
    };
    if (const auto it = cluster.find("failure_model"); it != cluster.end()) {
        if (!it->is_string() || (*it != "declared" && *it != "observed")) {
            return invalid(QStringLiteral("must be \"declared\" or \"observed\""),
                           where("failure_model"));
        }
    }
    for (const char* key : {"appliance", "node", "domain"}) {
        const auto it = cluster.find(key);
        if (it == cluster.end() || it->is_null()) {
            continue;
        }
        if (!it->is_string()) {
            return invalid(QStringLiteral("must be a name (a string)"), where(key));
        }
        if (std::string_view(key) != "domain") {
            if (const auto problem = sizing::nameProblem(it->get<std::string>())) {
                return invalid(QString::fromStdString(*problem), where(key));
            }
        }
    }
    return std::nullopt;
}

Error located(const Error& error, const QString& source) {
    Error result = error;
    result.where = source.toStdString() + (error.where.empty() ? "" : ": " + error.where);
    return result;
}

Result<ClusterFile> loadJsonClusters(const QString& path) {
    auto text = readText(path);
    if (!text) {
        return text.error();
    }
    auto document = parseJsonDocument(*text, path.toStdString());
    if (!document) {
        return document.error();
    }
    const nlohmann::json& root = *document;
    if (!root.is_object()) {
        return invalid(QStringLiteral("is not a JSON object; give one cluster object or a fleet "
                                      "file with \"clusters\""),
                       path);
    }
    ClusterFile file;
    if (!root.contains("clusters")) {
        auto cluster = sizing::clusterFromJson(root, "", kServiceClusterKeys);
        if (!cluster) {
            return located(cluster.error(), path);
        }
        if (auto error = checkServiceFields(root, "", path)) {
            return *error;
        }
        file.single = true;
        file.cluster = toQt(root).toObject();
        return file;
    }
    static const std::set<std::string> kFleetKeys{"target_risk", "cpu_overcommit", "tolerate_k",
                                                  "appliances",  "groups",         "clusters"};
    for (const auto& [key, value] : root.items()) {
        if (!kFleetKeys.contains(key)) {
            return invalid(QStringLiteral("is not a field of a fleet file; the fields are "
                                          "target_risk, cpu_overcommit, tolerate_k, appliances, "
                                          "groups and clusters"),
                           path + QStringLiteral(": ") + QString::fromStdString(key));
        }
        if (key != "groups" && key != "clusters") {
            file.warnings.append(
                QStringLiteral("%1: %2 is not sent: the service's configuration decides it")
                    .arg(path, QString::fromStdString(key)));
        }
    }
    std::set<std::string> names;
    if (root.contains("groups")) {
        const nlohmann::json& groups = root["groups"];
        if (!groups.is_array()) {
            return invalid(QStringLiteral("must be an array of groups"),
                           path + QStringLiteral(": groups"));
        }
        for (std::size_t i = 0; i < groups.size(); ++i) {
            const std::string item = "groups[" + std::to_string(i) + "]";
            auto group = sizing::groupFromJson(groups[i], item);
            if (!group) {
                return located(group.error(), path);
            }
            if (!names.insert(group->name).second) {
                return invalid(QStringLiteral("names a group given before; give each once"),
                               path + QStringLiteral(": ") + QString::fromStdString(item) +
                                   QStringLiteral(".name"));
            }
            file.groups.append(toQt(groups[i]));
        }
    }
    const nlohmann::json& clusters = root["clusters"];
    if (!clusters.is_array()) {
        return invalid(QStringLiteral("must be an array of clusters"),
                       path + QStringLiteral(": clusters"));
    }
    names.clear();
    for (std::size_t i = 0; i < clusters.size(); ++i) {
        const std::string item = "clusters[" + std::to_string(i) + "]";
        auto cluster = sizing::clusterFromJson(clusters[i], item, kServiceClusterKeys);
        if (!cluster) {
            return located(cluster.error(), path);
        }
        if (auto error = checkServiceFields(clusters[i], item, path)) {
            return *error;
        }
        if (!names.insert(cluster->name).second) {
            return invalid(QStringLiteral("names a cluster given before; give each once"),
                           path + QStringLiteral(": ") + QString::fromStdString(item) +
                               QStringLiteral(".name"));
        }
        file.clusters.append(toQt(clusters[i]));
    }
    if (file.clusters.isEmpty()) {
        return invalid(QStringLiteral("has no clusters; nothing to register"),
                       path + QStringLiteral(": clusters"));
    }
    return file;
}

}  // namespace

QJsonObject ClusterFile::body() const {
    if (single) {
        return cluster;
    }
    QJsonObject object;
    object.insert(QStringLiteral("clusters"), clusters);
    object.insert(QStringLiteral("groups"), groups);
    return object;
}

QJsonArray ClusterFile::allClusters() const {
    return single ? QJsonArray{cluster} : clusters;
}

Result<ClusterFile> loadClusterFile(const QString& path, const std::optional<QString>& groups_csv) {
    if (!isCsv(path)) {
        if (groups_csv) {
            return invalid(
                QStringLiteral("--groups goes with a CSV fleet; a JSON file carries "
                               "its groups in \"groups\""));
        }
        return loadJsonClusters(path);
    }
    std::optional<std::string> groups_path;
    if (groups_csv) {
        groups_path = groups_csv->toStdString();
    }
    auto fleet = sizing::loadFleetFile(path.toStdString(), groups_path);
    if (!fleet) {
        return fleet.error();
    }
    ClusterFile file;
    for (const sizing::ClusterSpec& cluster : fleet->clusters) {
        file.clusters.append(toQtObject(sizing::clusterToJson(cluster)));
    }
    for (const sizing::GroupSpec& group : fleet->groups) {
        file.groups.append(toQtObject(sizing::groupToJson(group)));
    }
    if (file.clusters.isEmpty()) {
        return invalid(QStringLiteral("has no clusters; nothing to register"), path);
    }
    return file;
}

Result<QJsonArray> loadGroupFile(const QString& path) {
    QJsonArray groups;
    if (isCsv(path)) {
        auto text = readText(path);
        if (!text) {
            return text.error();
        }
        auto parsed = sizing::parseGroupsCsv(*text, path.toStdString());
        if (!parsed) {
            return parsed.error();
        }
        for (const sizing::GroupSpec& group : *parsed) {
            groups.append(toQtObject(sizing::groupToJson(group)));
        }
    } else {
        auto text = readText(path);
        if (!text) {
            return text.error();
        }
        auto document = parseJsonDocument(*text, path.toStdString());
        if (!document) {
            return document.error();
        }
        const nlohmann::json& root = *document;
        if (root.is_object() && root.contains("groups") && root["groups"].is_array()) {
            std::set<std::string> names;
            for (std::size_t i = 0; i < root["groups"].size(); ++i) {
                const std::string item = "groups[" + std::to_string(i) + "]";
                auto group = sizing::groupFromJson(root["groups"][i], item);
                if (!group) {
                    return located(group.error(), path);
                }
                if (!names.insert(group->name).second) {
                    return invalid(QStringLiteral("names a group given before; give each once"),
                                   path + QStringLiteral(": ") + QString::fromStdString(item) +
                                       QStringLiteral(".name"));
                }
                groups.append(toQt(root["groups"][i]));
            }
        } else {
            auto group = sizing::groupFromJson(root, "");
            if (!group) {
                return located(group.error(), path);
            }
            groups.append(toQt(root));
        }
    }
    if (groups.isEmpty()) {
        return invalid(QStringLiteral("has no groups; nothing to register"), path);
    }
    return groups;
}

namespace {

enum class FieldType { integer, real, name_or_none, memory_mode, failure_model };

struct ChangeField {
    const char* name;
    FieldType type;
};

constexpr ChangeField kChangeFields[] = {
    {"priority", FieldType::integer},        {"mtbf_hours", FieldType::real},
    {"mttr_hours", FieldType::real},         {"group", FieldType::name_or_none},
    {"memory_mode", FieldType::memory_mode}, {"failure_model", FieldType::failure_model},
    {"standby.vcpus", FieldType::integer},   {"standby.memory_mib", FieldType::integer},
    {"active.vcpus", FieldType::integer},    {"active.memory_mib", FieldType::integer},
};

QString fieldList() {
    QStringList names;
    for (const ChangeField& field : kChangeFields) {
        names.append(QLatin1String(field.name));
    }
    return names.join(QStringLiteral(", "));
}

const ChangeField* changeField(const QString& name) {
    for (const ChangeField& field : kChangeFields) {
        if (name == QLatin1String(field.name)) {
            return &field;
        }
    }
    return nullptr;
}

// A change's value typed by its field: as sent, and as set in the cluster that checks it.
struct ChangeValue {
    QJsonValue sent;
    nlohmann::json probe;
};

Result<ChangeValue> changeValue(const ChangeField& field, const QString& name,
                                const QString& text) {
    switch (field.type) {
        case FieldType::integer: {
            bool ok = false;
            const qint64 number = text.toLongLong(&ok);
            if (!ok) {
                return invalid(
                    QStringLiteral("%1 must be a whole number, not \"%2\"").arg(name, text));
            }
            return ChangeValue{QJsonValue(number), number};
        }
        case FieldType::real: {
            bool ok = false;
            const double number = text.toDouble(&ok);
            if (!ok || !std::isfinite(number)) {
                return invalid(
                    QStringLiteral("%1 must be a number of hours, not \"%2\"").arg(name, text));
            }
            return ChangeValue{number, number};
        }
        case FieldType::name_or_none:
            if (text.isEmpty() || text == QLatin1String("null")) {
                return ChangeValue{QJsonValue(QJsonValue::Null), nullptr};
            }
            break;
        case FieldType::failure_model:
            if (text != QLatin1String("declared") && text != QLatin1String("observed")) {
                return invalid(QStringLiteral("failure_model must be \"declared\" or \"observed\", "
                                              "not \"%1\"")
                                   .arg(text));
            }
            break;
        case FieldType::memory_mode:
            break;
    }
    return ChangeValue{text, text.toStdString()};
}

// A dotted field ("standby.vcpus") is a member of a nested object.
void setChangeField(QJsonObject& changes, const QString& name, const QJsonValue& value) {
    const qsizetype dot = name.indexOf(QLatin1Char('.'));
    if (dot > 0) {
        QJsonObject nested = changes.value(name.left(dot)).toObject();
        nested.insert(name.mid(dot + 1), value);
        changes.insert(name.left(dot), nested);
    } else {
        changes.insert(name, value);
    }
}

void setProbeField(nlohmann::json& probe, const QString& name, const nlohmann::json& value) {
    const qsizetype dot = name.indexOf(QLatin1Char('.'));
    if (dot > 0) {
        probe[name.left(dot).toStdString()][name.mid(dot + 1).toStdString()] = value;
    } else {
        probe[name.toStdString()] = value;
    }
}

}  // namespace

Result<QJsonObject> clusterChanges(const QStringList& assignments) {
    if (assignments.isEmpty()) {
        return invalid(
            QStringLiteral("give at least one FIELD=VALUE; the fields are %1").arg(fieldList()));
    }
    // The changes are checked inside a cluster that every value fits, with the fleet file's
    // rules; standby and active bound each other, so each side sits at the other's extreme.
    nlohmann::json probe = {
        {"name", "probe"},
        {"priority", 500},
        {"mtbf_hours", 1.0},
        {"mttr_hours", 1.0},
        {"standby", {{"vcpus", 1}, {"memory_mib", 1}}},
        {"active", {{"vcpus", sizing::kMaxVcpus}, {"memory_mib", sizing::kMaxMemoryMib}}}};
    QJsonObject changes;
    std::set<QString> seen;
    for (const QString& assignment : assignments) {
        const qsizetype equals = assignment.indexOf(QLatin1Char('='));
        if (equals <= 0) {
            return invalid(QStringLiteral("\"%1\" is not FIELD=VALUE; the fields are %2")
                               .arg(assignment, fieldList()));
        }
        const QString name = assignment.left(equals).trimmed();
        const ChangeField* field = changeField(name);
        if (field == nullptr) {
            return invalid(QStringLiteral("\"%1\" is not a field that can be changed; the fields "
                                          "are %2")
                               .arg(name, fieldList()));
        }
        if (!seen.insert(name).second) {
            return invalid(QStringLiteral("%1 is given twice; give each field once").arg(name));
        }
        auto value = changeValue(*field, name, assignment.mid(equals + 1).trimmed());
        if (!value) {
            return value.error();
        }
        // failure_model is the service's, not the fleet file's: nothing to check it against.
        if (field->type != FieldType::failure_model) {
            setProbeField(probe, name, value->probe);
        }
        setChangeField(changes, name, value->sent);
    }
    auto checked = sizing::clusterFromJson(probe, "");
    if (!checked) {
        Error error = checked.error();
        return invalid(QString::fromStdString(error.message), QString::fromStdString(error.where));
    }
    return changes;
}

Status checkName(const QString& name, const QString& what) {
    if (const auto problem = sizing::nameProblem(name.toStdString())) {
        return invalid(QStringLiteral("the %1 %2").arg(what, QString::fromStdString(*problem)));
    }
    return Done{};
}

const QStringList& eventKinds() {
    static const QStringList kKinds = {QStringLiteral("takeover.requested"),
                                       QStringLiteral("takeover.granted"),
                                       QStringLiteral("takeover.denied"),
                                       QStringLiteral("release"),
                                       QStringLiteral("preempted"),
                                       QStringLiteral("restored"),
                                       QStringLiteral("fence.on"),
                                       QStringLiteral("fence.off"),
                                       QStringLiteral("fence.reboot"),
                                       QStringLiteral("admission.accepted"),
                                       QStringLiteral("admission.refused"),
                                       QStringLiteral("admission.warned"),
                                       QStringLiteral("cluster.registered"),
                                       QStringLiteral("cluster.changed"),
                                       QStringLiteral("cluster.removed"),
                                       QStringLiteral("token.rotated"),
                                       QStringLiteral("node.missing"),
                                       QStringLiteral("node.drifted"),
                                       QStringLiteral("node.recreated"),
                                       QStringLiteral("probe.failed"),
                                       QStringLiteral("probe.recovered"),
                                       QStringLiteral("hook.failed"),
                                       QStringLiteral("hypervisor.disconnected"),
                                       QStringLiteral("hypervisor.connected"),
                                       QStringLiteral("service.started"),
                                       QStringLiteral("service.stopped"),
                                       QStringLiteral("appliance.unreachable"),
                                       QStringLiteral("appliance.reachable"),
                                       QStringLiteral("appliance.fenced"),
                                       QStringLiteral("appliance.lost"),
                                       QStringLiteral("appliance.rejoined"),
                                       QStringLiteral("node.evacuated"),
                                       QStringLiteral("node.stranded")};
    return kKinds;
}

bool isEventKindPrefix(const QString& prefix) {
    for (const QString& kind : eventKinds()) {
        if (kind.startsWith(prefix)) {
            return true;
        }
    }
    return false;
}

}  // namespace understudy::agents

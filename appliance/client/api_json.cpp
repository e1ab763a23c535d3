#include "appliance/client/api_json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <cmath>
#include <memory>

namespace understudy::client {

namespace {

QString typeName(const QJsonValue& value) {
    switch (value.type()) {
        case QJsonValue::Null:
            return QStringLiteral("null");
        case QJsonValue::Bool:
            return QStringLiteral("a boolean");
        case QJsonValue::Double:
            return QStringLiteral("a number");
        case QJsonValue::String:
            return QStringLiteral("a string");
        case QJsonValue::Array:
            return QStringLiteral("an array");
        case QJsonValue::Object:
            return QStringLiteral("an object");
        case QJsonValue::Undefined:
            break;
    }
    return QStringLiteral("missing");
}

QString join(const QString& path, const QString& key) {
    return path.isEmpty() ? key : path + QLatin1Char('.') + key;
}

// Reads the fields of one object, remembering the first problem: callers read every field
// and check ok() once, so decoders stay flat. The problem is shared with nested readers.
class Reader {
public:
    Reader(const QJsonValue& value, QString path)
        : Reader(value, std::move(path), std::make_shared<QString>()) {}

    bool ok() const { return problem_->isEmpty(); }
    ApiError error() const {
        return ApiError::client(
            kBadResponse,
            QStringLiteral("the service's answer has an unexpected shape: %1; check that the "
                           "client and the service are of compatible versions")
                .arg(*problem_));
    }

    QString text(const char* key) { return textAt(key, false); }
    // Absent, null or a string.
    QString optionalText(const char* key) { return textAt(key, true); }
    std::optional<QString> nullableText(const char* key) {
        const QJsonValue value = object_.value(QLatin1String(key));
        if (value.isNull() || value.isUndefined()) {
            return std::nullopt;
        }
        return textAt(key, false);
    }

    qint64 integer(const char* key) {
        const QJsonValue value = field(key, QJsonValue::Double);
        if (!value.isDouble()) {
            return 0;
        }
        const double number = value.toDouble();
        if (!std::isfinite(number) || std::trunc(number) != number || std::fabs(number) > 9.0e15) {
            fail(join(path_, QLatin1String(key)),
                 QStringLiteral("%1, expected a whole number").arg(number));
            return 0;
        }
        return static_cast<qint64>(number);
    }
    double number(const char* key) { return field(key, QJsonValue::Double).toDouble(); }
    std::optional<double> nullableNumber(const char* key) {
        const QJsonValue value = object_.value(QLatin1String(key));
        if (value.isNull() || value.isUndefined()) {
            return std::nullopt;
        }
        return number(key);
    }
    bool flag(const char* key) { return field(key, QJsonValue::Bool).toBool(); }
    bool optionalFlag(const char* key, bool fallback) {
        return object_.contains(QLatin1String(key)) ? flag(key) : fallback;
    }

    QDateTime time(const char* key) {
        const QString value = text(key);
        return ok() ? parseTime(key, value) : QDateTime();
    }
    // Absent or null: an invalid QDateTime.
    QDateTime nullableTime(const char* key) {
        const std::optional<QString> value = nullableText(key);
        return value && ok() ? parseTime(key, *value) : QDateTime();
    }

    Reader object(const char* key) {
        return Reader(field(key, QJsonValue::Object), join(path_, QLatin1String(key)), problem_);
    }
    bool isObject(const char* key) const { return object_.value(QLatin1String(key)).isObject(); }
    bool isPresent(const char* key) const {
        const QJsonValue value = object_.value(QLatin1String(key));
        return !value.isNull() && !value.isUndefined();
    }
    QJsonObject rawObject(const char* key) { return field(key, QJsonValue::Object).toObject(); }
    QJsonArray rawArray(const char* key) { return field(key, QJsonValue::Array).toArray(); }

    QStringList texts(const char* key) {
        QStringList result;
        const QJsonArray array = rawArray(key);
        for (qsizetype i = 0; i < array.size() && ok(); ++i) {
            if (!array[i].isString()) {
                fail(QStringLiteral("%1[%2]").arg(join(path_, QLatin1String(key))).arg(i),
                     QStringLiteral("is %1, expected a string").arg(typeName(array[i])));
            }
            result.append(array[i].toString());
        }
        return result;
    }
    QStringList optionalTexts(const char* key) {
        return isPresent(key) ? texts(key) : QStringList();
    }

    // Each element through `read(Reader&)`.
    template <typename T, typename ReadFn>
    std::vector<T> list(const char* key, ReadFn read) {
        std::vector<T> result;
        const QJsonArray array = rawArray(key);
        result.reserve(static_cast<std::size_t>(array.size()));
        for (qsizetype i = 0; i < array.size() && ok(); ++i) {
            Reader element(array[i],
                           QStringLiteral("%1[%2]").arg(join(path_, QLatin1String(key))).arg(i),
                           problem_);
            result.push_back(read(element));
        }
        return result;
    }

private:
    Reader(const QJsonValue& value, QString path, std::shared_ptr<QString> problem)
        : path_(std::move(path)), problem_(std::move(problem)) {
        if (!ok()) {
            return;
        }
        if (!value.isObject()) {
            fail(path_.isEmpty() ? QStringLiteral("the answer") : path_,
                 QStringLiteral("is %1, expected an object").arg(typeName(value)));
            return;
        }
        object_ = value.toObject();
    }

    void fail(const QString& where, const QString& what) {
        if (ok()) {
            *problem_ = where + QLatin1Char(' ') + what;
        }
    }

    QJsonValue field(const char* key, QJsonValue::Type type) {
        if (!ok()) {
            return {};
        }
        const QJsonValue value = object_.value(QLatin1String(key));
        if (value.type() != type) {
            const QJsonValue expected(type);
            fail(join(path_, QLatin1String(key)),
                 value.isUndefined() ? QStringLiteral("is missing")
                                     : QStringLiteral("is %1, expected %2")
                                           .arg(typeName(value), type == QJsonValue::Double
                                                                     ? QStringLiteral("a number")
                                                                     : typeName(expected)));
            return {};
        }
        return value;
    }

    QString textAt(const char* key, bool may_be_absent) {
        const QJsonValue value = object_.value(QLatin1String(key));
        if (may_be_absent && (value.isNull() || value.isUndefined())) {
            return {};
        }
        return field(key, QJsonValue::String).toString();
    }

    QDateTime parseTime(const char* key, const QString& value) {
        QDateTime parsed = QDateTime::fromString(value, Qt::ISODateWithMs);
        if (!parsed.isValid()) {
            fail(join(path_, QLatin1String(key)),
                 QStringLiteral("is \"%1\", expected an ISO 8601 time").arg(value));
        }
        return parsed.toUTC();
    }

    QString path_;
    QJsonObject object_;
    std::shared_ptr<QString> problem_;
};

// --- one reader per resource -----------------------------------------------------------------

ResourceUsage readUsage(Reader r) {
    ResourceUsage u;
    u.capacity = r.integer("capacity");
    u.foreign = r.integer("foreign");
    u.standby_committed = r.integer("standby_committed");
    u.granted = r.integer("granted");
    u.free = r.integer("free");
    u.overbooking_ratio = r.number("overbooking_ratio");
    u.overflow_risk = r.number("overflow_risk");
    return u;
}

// A service older than the appliance states says only whether it is connected, and an
// appliance it cannot reach is unreachable (it never declared one lost).
QString readApplianceState(Reader& r, bool connected) {
    const QString state = r.optionalText("state");
    if (!state.isEmpty()) {
        return state;
    }
    return QLatin1String(connected ? kApplianceConnected : kApplianceUnreachable);
}

NotReadyNode readNotReadyNode(Reader& r) {
    NotReadyNode n;
    n.node = r.text("node");
    n.cluster = r.text("cluster");
    n.reason = r.optionalText("reason");
    n.would_preempt = r.optionalTexts("would_preempt");
    n.partial_cpu = r.optionalFlag("partial_cpu", false);
    return n;
}

std::optional<DenialRisk> readDenialRisk(Reader& r) {
    if (!r.isPresent("denial_risk")) {
        return std::nullopt;
    }
    Reader risk = r.object("denial_risk");
    return DenialRisk{risk.number("horizon_hours"), risk.number("value")};
}

Appliance readAppliance(Reader& r) {
    Appliance a;
    a.name = r.text("name");
    a.uri = r.text("uri");
    a.connected = r.flag("connected");
    a.state = readApplianceState(r, a.connected);
    a.cpu_overcommit = r.number("cpu_overcommit");
    Reader resources = r.object("resources");
    a.memory_mib = readUsage(resources.object("memory_mib"));
    a.vcpus = readUsage(resources.object("vcpus"));
    if (r.isPresent("not_ready")) {
        a.not_ready = r.list<NotReadyNode>("not_ready", readNotReadyNode);
    }
    a.denial_risk = readDenialRisk(r);
    return a;
}

Group readGroup(Reader& r) {
    Group g;
    g.name = r.text("name");
    g.mtbf_hours = r.number("mtbf_hours");
    g.mttr_hours = r.number("mttr_hours");
    g.members = r.optionalTexts("members");
    return g;
}

Footprint readFootprint(Reader r) {
    Footprint f;
    f.vcpus = r.integer("vcpus");
    f.memory_mib = r.integer("memory_mib");
    return f;
}

Cluster readCluster(Reader& r) {
    Cluster c;
    c.name = r.text("name");
    c.priority = static_cast<int>(r.integer("priority"));
    c.mtbf_hours = r.number("mtbf_hours");
    c.mttr_hours = r.number("mttr_hours");
    c.group = r.optionalText("group");
    c.standby = readFootprint(r.object("standby"));
    c.active = readFootprint(r.object("active"));
    c.memory_mode = r.optionalText("memory_mode");
    if (c.memory_mode.isEmpty()) {
        c.memory_mode = QStringLiteral("balloon");
    }
    c.failure_model = r.optionalText("failure_model");
    if (c.failure_model.isEmpty()) {
        c.failure_model = QStringLiteral("declared");
    }
    c.appliance = r.optionalText("appliance");
    c.node = r.optionalText("node");
    c.domain = r.optionalText("domain");
    c.token = r.nullableText("token");
    return c;
}

Grant readGrant(Reader r) {
    Grant g;
    g.memory_mib = r.integer("memory_mib");
    g.vcpus = r.integer("vcpus");
    g.partial = r.optionalFlag("partial", false);
    g.preempted = r.optionalTexts("preempted");
    return g;
}

Node readNode(Reader& r) {
    Node n;
    n.name = r.text("name");
    n.cluster = r.text("cluster");
    n.appliance = r.text("appliance");
    n.domain = r.optionalText("domain");
    n.state = r.text("state");
    n.standby = readFootprint(r.object("standby"));
    n.active = readFootprint(r.object("active"));
    if (r.isPresent("current")) {
        n.current = readFootprint(r.object("current"));
    }
    n.since = r.nullableTime("since");
    if (r.isPresent("grant")) {
        n.grant = readGrant(r.object("grant"));
    }
    return n;
}

Event readEvent(Reader& r) {
    Event e;
    e.id = r.integer("id");
    e.time = r.time("time");
    e.kind = r.text("kind");
    e.cluster = r.nullableText("cluster");
    e.node = r.nullableText("node");
    e.actor = r.optionalText("actor");
    e.details = r.isPresent("details") ? r.rawObject("details") : QJsonObject();
    return e;
}

Holder readHolder(Reader& r) {
    Holder h;
    h.node = r.text("node");
    h.cluster = r.text("cluster");
    h.priority = static_cast<int>(r.integer("priority"));
    h.state = r.text("state");
    h.holds = r.integer("holds");
    return h;
}

Denial readDenial(Reader r) {
    Denial d;
    d.resource = r.text("resource");
    d.needed = r.integer("needed");
    d.free = r.integer("free");
    d.holders = r.list<Holder>("holders", readHolder);
    d.preemptable = r.optionalTexts("preemptable");
    d.tried = r.optionalTexts("tried");
    return d;
}

Unservable readUnservable(Reader& r) {
    Unservable u;
    u.cluster = r.text("cluster");
    u.resource = r.text("resource");
    u.needed = r.integer("needed");
    u.available = r.integer("available");
    return u;
}

ResourceRisks readRisks(Reader r) {
    ResourceRisks risks;
    risks.memory_mib = r.number("memory_mib");
    risks.vcpus = r.number("vcpus");
    return risks;
}

AdmissionRefusal readRefusal(Reader& r) {
    AdmissionRefusal a;
    a.appliance = r.optionalText("appliance");
    a.overflow_risk = readRisks(r.object("overflow_risk"));
    a.target_risk = r.number("target_risk");
    a.unservable = r.isPresent("unservable") ? r.list<Unservable>("unservable", readUnservable)
                                             : std::vector<Unservable>{};
    return a;
}

SizingResource readSizingResource(Reader r) {
    SizingResource s;
    s.capacity = r.integer("capacity");
    s.standby_total = r.integer("standby_total");
    s.active_total = r.integer("active_total");
    s.overflow_risk = r.number("overflow_risk");
    s.required_capacity = r.integer("required_capacity");
    s.meets_target = r.flag("meets_target");
    return s;
}

SizingCluster readSizingCluster(Reader& r) {
    SizingCluster c;
    c.name = r.text("name");
    c.failover_probability = r.number("failover_probability");
    c.risk_when_active = readRisks(r.object("risk_when_active"));
    return c;
}

SizingAppliance readSizingAppliance(Reader& r) {
    SizingAppliance a;
    a.name = r.text("name");
    Reader resources = r.object("resources");
    a.memory_mib = readSizingResource(resources.object("memory_mib"));
    a.vcpus = readSizingResource(resources.object("vcpus"));
    a.unservable = r.list<Unservable>("unservable", readUnservable);
    a.clusters = r.list<SizingCluster>("clusters", readSizingCluster);
    return a;
}

Sizing readSizing(Reader& r, const QJsonValue& raw) {
    Sizing s;
    s.method = r.text("method");
    s.exact = r.flag("exact");
    s.target_risk = r.number("target_risk");
    s.appliances = r.list<SizingAppliance>("appliances", readSizingAppliance);
    s.raw = raw.toObject();
    return s;
}

WhatIfTakeover readWhatIfTakeover(Reader& r) {
    WhatIfTakeover t;
    t.node = r.text("node");
    t.outcome = r.text("outcome");
    t.preempted = r.optionalTexts("preempted");
    if (r.isPresent("denial")) {
        t.denial = readDenial(r.object("denial"));
    }
    return t;
}

WhatIfFree readWhatIfFree(Reader& r) {
    WhatIfFree free;
    free.appliance = r.text("appliance");
    free.free = {r.integer("vcpus"), r.integer("memory_mib")};
    return free;
}

ApplianceLink readLink(Reader& r) {
    ApplianceLink link;
    link.name = r.text("name");
    link.connected = r.flag("connected");
    link.state = readApplianceState(r, link.connected);
    return link;
}

Evacuation readEvacuation(Reader& r) {
    Evacuation e;
    e.node = r.text("node");
    e.to = r.text("to");
    return e;
}

StrandedNode readStranded(Reader& r) {
    StrandedNode s;
    s.node = r.text("node");
    s.reason = r.text("reason");
    return s;
}

// The contract leaves open whether `appliance` is the lost appliance's name or its object: either
// gives the name.
ApplianceLoss readLoss(Reader& r) {
    ApplianceLoss loss;
    if (r.isObject("appliance")) {
        Reader appliance = r.object("appliance");
        loss.appliance = appliance.text("name");
    } else {
        loss.appliance = r.text("appliance");
    }
    loss.evacuated = r.list<Evacuation>("evacuated", readEvacuation);
    loss.stranded = r.list<StrandedNode>("stranded", readStranded);
    return loss;
}

Registration readRegistration(Reader& r) {
    Registration result;
    if (r.isPresent("clusters")) {
        result.clusters = r.list<Cluster>("clusters", readCluster);
    } else {
        result.clusters.push_back(readCluster(r));
    }
    if (r.isPresent("warnings")) {
        result.warnings = r.rawArray("warnings");
    }
    return result;
}

EventPage readEventPage(Reader& r) {
    EventPage page;
    page.events = r.list<Event>("events", readEvent);
    page.next = r.integer("next");
    page.truncated = r.optionalFlag("truncated", false);
    return page;
}

Readiness readReadiness(Reader& r) {
    Readiness result;
    result.ready = r.flag("ready");
    result.partial_cpu = r.optionalFlag("partial_cpu", false);
    result.would_preempt = r.optionalTexts("would_preempt");
    result.reason = r.optionalText("reason");
    return result;
}

ClusterStats readStats(Reader& r) {
    ClusterStats stats;
    stats.failovers = r.integer("failovers");
    stats.active_hours = r.number("active_hours");
    stats.last_failover = r.nullableTime("last_failover");
    stats.observed_mtbf_hours = r.nullableNumber("observed_mtbf_hours");
    stats.observed_mttr_hours = r.nullableNumber("observed_mttr_hours");
    if (r.isPresent("last_probe")) {
        Reader probe = r.object("last_probe");
        Probe p;
        p.time = probe.nullableTime("time");
        p.ok = probe.optionalFlag("ok", false);
        p.output = probe.optionalText("output");
        stats.last_probe = p;
    }
    return stats;
}

TakeoverGrant readTakeover(Reader& r) {
    TakeoverGrant result;
    result.node = r.text("node");
    result.grant = readGrant(r.object("grant"));
    return result;
}

PowerState readPower(Reader& r) {
    PowerState result;
    result.power = r.text("power");
    return result;
}

WhatIfAnswer readWhatIf(Reader& r, const QJsonValue& raw) {
    WhatIfAnswer result;
    result.takeovers = r.list<WhatIfTakeover>("takeovers", readWhatIfTakeover);
    if (r.isPresent("free_after")) {
        result.free_after = r.list<WhatIfFree>("free_after", readWhatIfFree);
    }
    Reader sizing = r.object("sizing");
    if (r.ok()) {
        result.sizing = readSizing(sizing, raw.toObject().value(QLatin1String("sizing")));
    }
    return result;
}

Health readHealth(Reader& r) {
    Health health;
    health.status = r.text("status");
    health.version = r.text("version");
    health.database = r.text("database");
    health.appliances = r.list<ApplianceLink>("appliances", readLink);
    return health;
}

HeadroomSample readHeadroomSample(Reader& r) {
    HeadroomSample sample;
    sample.time = r.time("time");
    sample.state = r.text("state");
    Reader free = r.object("free");
    sample.free_memory_mib = free.integer("memory_mib");
    sample.free_vcpus = free.integer("vcpus");
    sample.denial_risk = r.number("denial_risk");
    sample.not_ready = r.integer("not_ready");
    return sample;
}

ApplianceHistory readHistory(Reader& r) {
    ApplianceHistory history;
    history.appliance = r.text("appliance");
    history.interval_s = r.integer("interval_s");
    history.retention_hours = r.integer("retention_hours");
    history.samples = r.list<HeadroomSample>("samples", readHeadroomSample);
    history.truncated = r.flag("truncated");
    return history;
}

template <typename T>
T readAny(Reader& r, const QJsonValue& raw) {
    if constexpr (std::is_same_v<T, Appliance>) {
        return readAppliance(r);
    } else if constexpr (std::is_same_v<T, Group>) {
        return readGroup(r);
    } else if constexpr (std::is_same_v<T, Cluster>) {
        return readCluster(r);
    } else if constexpr (std::is_same_v<T, Node>) {
        return readNode(r);
    } else if constexpr (std::is_same_v<T, Event>) {
        return readEvent(r);
    } else if constexpr (std::is_same_v<T, Denial>) {
        return readDenial(r);
    } else if constexpr (std::is_same_v<T, AdmissionRefusal>) {
        return readRefusal(r);
    } else if constexpr (std::is_same_v<T, Sizing>) {
        return readSizing(r, raw);
    } else if constexpr (std::is_same_v<T, Registration>) {
        return readRegistration(r);
    } else if constexpr (std::is_same_v<T, EventPage>) {
        return readEventPage(r);
    } else if constexpr (std::is_same_v<T, Readiness>) {
        return readReadiness(r);
    } else if constexpr (std::is_same_v<T, ClusterStats>) {
        return readStats(r);
    } else if constexpr (std::is_same_v<T, TakeoverGrant>) {
        return readTakeover(r);
    } else if constexpr (std::is_same_v<T, PowerState>) {
        return readPower(r);
    } else if constexpr (std::is_same_v<T, WhatIfAnswer>) {
        return readWhatIf(r, raw);
    } else if constexpr (std::is_same_v<T, ApplianceLoss>) {
        return readLoss(r);
    } else if constexpr (std::is_same_v<T, ApplianceHistory>) {
        return readHistory(r);
    } else {
        static_assert(std::is_same_v<T, Health>, "no decoder for this type");
        return readHealth(r);
    }
}

}  // namespace

// --- the public decoders ---------------------------------------------------------------------

template <typename T>
ApiResult<T> fromJson(const QJsonValue& value, const QString& path) {
    if constexpr (std::is_same_v<T, Empty>) {
        return Empty{};
    } else {
        Reader r(value, path);
        T result = readAny<T>(r, value);
        if (!r.ok()) {
            return r.error();
        }
        return result;
    }
}

template <typename T>
ApiResult<std::vector<T>> listFromJson(const QJsonValue& value, const QString& collection) {
    if (!value.isObject() || !value.toObject().value(collection).isArray()) {
        return ApiError::client(
            kBadResponse,
            QStringLiteral("the service's answer has an unexpected shape: expected an object "
                           "with the array \"%1\"; check that the client and the service are of "
                           "compatible versions")
                .arg(collection));
    }
    const QJsonArray array = value.toObject().value(collection).toArray();
    std::vector<T> result;
    result.reserve(static_cast<std::size_t>(array.size()));
    for (qsizetype i = 0; i < array.size(); ++i) {
        auto element = fromJson<T>(array[i], QStringLiteral("%1[%2]").arg(collection).arg(i));
        if (!element) {
            return element.error();
        }
        result.push_back(std::move(element).value());
    }
    return result;
}

ApiResult<QJsonValue> parseBody(const QByteArray& body) {
    QJsonParseError parse_error{};
    const QJsonDocument document = QJsonDocument::fromJson(body, &parse_error);
    if (parse_error.error != QJsonParseError::NoError) {
        return ApiError::client(
            kBadResponse,
            QStringLiteral("the service's answer is not JSON (%1 at byte %2); check that the URL "
                           "points at understudyd")
                .arg(parse_error.errorString())
                .arg(parse_error.offset));
    }
    if (document.isArray()) {
        return QJsonValue(document.array());
    }
    return QJsonValue(document.object());
}

template <typename T>
ApiResult<T> decodeBody(const QByteArray& body) {
    if constexpr (std::is_same_v<T, Empty>) {
        return Empty{};
    } else {
        auto value = parseBody(body);
        if (!value) {
            return value.error();
        }
        return fromJson<T>(*value);
    }
}

template <typename T>
ApiResult<std::vector<T>> decodeListBody(const QByteArray& body, const QString& collection) {
    auto value = parseBody(body);
    if (!value) {
        return value.error();
    }
    return listFromJson<T>(*value, collection);
}

#define UNDERSTUDY_INSTANTIATE(Type)                                                             \
    template ApiResult<Type> fromJson<Type>(const QJsonValue&, const QString&);                  \
    template ApiResult<Type> decodeBody<Type>(const QByteArray&);                                \
    template ApiResult<std::vector<Type>> listFromJson<Type>(const QJsonValue&, const QString&); \
    template ApiResult<std::vector<Type>> decodeListBody<Type>(const QByteArray&, const QString&);

UNDERSTUDY_INSTANTIATE(Appliance)
UNDERSTUDY_INSTANTIATE(Group)
UNDERSTUDY_INSTANTIATE(Cluster)
UNDERSTUDY_INSTANTIATE(Node)
UNDERSTUDY_INSTANTIATE(Event)
UNDERSTUDY_INSTANTIATE(Denial)
UNDERSTUDY_INSTANTIATE(AdmissionRefusal)
UNDERSTUDY_INSTANTIATE(Sizing)
UNDERSTUDY_INSTANTIATE(Registration)
UNDERSTUDY_INSTANTIATE(EventPage)
UNDERSTUDY_INSTANTIATE(Readiness)
UNDERSTUDY_INSTANTIATE(ClusterStats)
UNDERSTUDY_INSTANTIATE(TakeoverGrant)
UNDERSTUDY_INSTANTIATE(PowerState)
UNDERSTUDY_INSTANTIATE(WhatIfAnswer)
UNDERSTUDY_INSTANTIATE(Health)
UNDERSTUDY_INSTANTIATE(ApplianceLoss)
UNDERSTUDY_INSTANTIATE(ApplianceHistory)
template ApiResult<Empty> fromJson<Empty>(const QJsonValue&, const QString&);
template ApiResult<Empty> decodeBody<Empty>(const QByteArray&);

#undef UNDERSTUDY_INSTANTIATE

}  // namespace understudy::client

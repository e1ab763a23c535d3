// Shared set-up of the appliance core's tests: test-driver hosts of chosen sizes written to a
// temporary folder, a real SQLite file, and helpers that read the event log back.
#pragma once

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <string>
#include <vector>

#include "appliance/core/appliance_core.h"
#include "appliance/hypervisor/libvirt_hypervisor.h"
#include "db/database.h"
#include "db/event_log.h"

namespace understudy::core::testing {

inline QString sourcePath(const QString& relative) {
    return qEnvironmentVariable("UNDERSTUDY_SOURCE_DIR") + u'/' + relative;
}

inline std::string defaultTemplate() {
    return sourcePath(QStringLiteral("appliance/data/passive-node.xml")).toStdString();
}

// A test-driver host with `cpus` logical CPUs and `memory_mib` of memory, optionally running
// one foreign domain. The driver keeps a private copy per connection: nothing is written back.
inline std::string writeHost(const QTemporaryDir& dir, const QString& name, int cpus,
                             std::int64_t memory_mib, std::int64_t foreign_mib = 0) {
    QString xml = QStringLiteral(
                      "<node>\n  <cpu><mhz>2400</mhz><model>x86_64</model><active>%1</active>"
                      "<nodes>1</nodes><sockets>1</sockets><cores>%1</cores><threads>1</threads>"
                      "</cpu>\n  <memory>%2</memory>\n")
                      .arg(cpus)
                      .arg(memory_mib * 1024);
    if (foreign_mib > 0) {
        xml += QStringLiteral(
                   "  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
                   "<name>foreign-vm</name><memory unit='MiB'>%1</memory><vcpu>1</vcpu>"
                   "<os><type>hvm</type></os><test:runstate>1</test:runstate></domain>\n")
                   .arg(foreign_mib);
    }
    xml += QStringLiteral("</node>\n");
    const QString path = dir.filePath(name + QStringLiteral(".xml"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return {};
    }
    file.write(xml.toUtf8());
    return "test://" + path.toStdString();
}

inline ApplianceConfig applianceConfig(const std::string& name, const std::string& uri,
                                       double overcommit = 1.0, bool recreate = false) {
    ApplianceConfig made;
    made.name = name;
    made.uri = uri;
    made.cpu_overcommit = overcommit;
    made.recreate_missing = recreate;
    return made;
}

inline ClusterRegistration cluster(const std::string& name, int priority, sizing::Footprint standby,
                                   sizing::Footprint active, const std::string& on = {}) {
    ClusterRegistration made;
    made.spec.name = name;
    made.spec.priority = priority;
    made.spec.mtbf_hours = 8760;
    made.spec.mttr_hours = 24;
    made.spec.standby = standby;
    made.spec.active = active;
    made.appliance = on;
    made.token_hash = "hash-of-" + name;
    return made;
}

inline std::vector<db::DBEvent> eventsIn(const std::string& database, db::Id since = 0) {
    auto reader = db::Database::openReader(database);
    if (!reader) {
        return {};
    }
    std::vector<db::DBEvent> all;
    for (;;) {
        auto page = db::EventLog(**reader).page({since, db::kMaxEventPage, {}});
        if (!page || page->events.empty()) {
            return all;
        }
        all.insert(all.end(), page->events.begin(), page->events.end());
        since = page->next;
    }
}

inline std::vector<std::string> kindsIn(const std::vector<db::DBEvent>& events) {
    std::vector<std::string> kinds;
    for (const db::DBEvent& event : events) {
        kinds.push_back(event.kind);
    }
    return kinds;
}

inline bool hasKind(const std::vector<db::DBEvent>& events, const std::string& kind,
                    const std::string& node = {}) {
    return std::any_of(events.begin(), events.end(), [&](const db::DBEvent& event) {
        return event.kind == kind && (node.empty() || event.node == node);
    });
}

inline std::ptrdiff_t countKind(const std::vector<db::DBEvent>& events, const std::string& kind) {
    return std::count_if(events.begin(), events.end(),
                         [&](const db::DBEvent& event) { return event.kind == kind; });
}

}  // namespace understudy::core::testing

// Shared set-up of the appliance core's tests: test-driver hosts of chosen sizes written to a
// temporary folder, a real SQLite file, and helpers that read the event log back.
#pragma once

#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <string>
#include <vector>

#include "appliance/core/appliance_core.h"
#include "appliance/hypervisor/libvirt_hypervisor.h"
#include "db/database.h"
#include "db/event_log.h"
#include "tests/support/result_checks.h"
#include "tests/support/source_files.h"
#include "tests/support/test_driver_host.h"

namespace understudy::core::testing {

using testsupport::failure;
using testsupport::sourcePath;

inline std::string defaultTemplate() {
    return sourcePath(QStringLiteral("appliance/data/passive-node.xml")).toStdString();
}

// A test-driver host with `cpus` logical CPUs and `memory_mib` of memory, optionally running
// one foreign domain; its URI.
inline std::string writeHost(const QTemporaryDir& dir, const QString& name, int cpus,
                             std::int64_t memory_mib, std::int64_t foreign_mib = 0) {
    const QString foreign =
        foreign_mib > 0
            ? QStringLiteral(
                  "  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
                  "<name>foreign-vm</name><memory unit='MiB'>%1</memory><vcpu>1</vcpu>"
                  "<os><type>hvm</type></os><test:runstate>1</test:runstate></domain>\n")
                  .arg(foreign_mib)
            : QString();
    const QString path = dir.filePath(name + QStringLiteral(".xml"));
    return testsupport::writeTestDriverHost(path, cpus, memory_mib, foreign)
               ? "test://" + path.toStdString()
               : std::string();
}

// The core on `config` with its database at `database` and the shipped domain template; null
// (and a warning saying why) when it does not open.
inline std::unique_ptr<ApplianceCore> openCore(const CoreConfig& config,
                                               const std::string& database) {
    auto opened = ApplianceCore::open(config, database, defaultTemplate());
    if (!opened) {
        qWarning("%s", opened.error().describe().c_str());
        return nullptr;
    }
    return std::move(*opened);
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

#include <QtTest>

#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>

#include "appliance/hypervisor/domain_xml.h"
#include "appliance/hypervisor/libvirt_hypervisor.h"
#include "tests/support/result_checks.h"
#include "tests/support/source_files.h"

using namespace understudy;
using namespace understudy::hypervisor;
using understudy::testsupport::sourcePath;

namespace {

template <typename T>
std::optional<Error> errorOf(const Result<T>& result) {
    return result.ok() ? std::nullopt : std::optional<Error>(result.error());
}

// Every test gets a fresh host: the test driver builds a new, private state for each connection
// to a node file.
std::string demoUri() {
    return "test://" +
           sourcePath(QStringLiteral("appliance/data/demo-appliance.xml")).toStdString();
}

NodeMetadata erpMetadata() {
    return NodeMetadata{"erp", "erp-passive", {1, 2048}, {8, 32768}, sizing::MemoryMode::balloon};
}

std::string passiveNodeXml(const std::string& name, const NodeMetadata& metadata) {
    auto domain_template = loadDomainTemplate(
        sourcePath(QStringLiteral("appliance/data/passive-node.xml")).toStdString());
    if (!domain_template) {
        return {};
    }
    auto xml = renderDomainXml(*domain_template, DomainSpec{name, {}, metadata, false});
    return xml ? *xml : std::string();
}

// Collects what the hypervisor reports from its own threads.
class Recorder {
public:
    void attach(Hypervisor& hypervisor) {
        hypervisor.setEventHandlers([this](const DomainEvent& event) { record(event); },
                                    [this](const ConnectionEvent& event) { record(event); });
    }
    bool saw(DomainEventType type, const std::string& domain, const std::string& detail) const {
        const std::lock_guard lock(mutex_);
        return std::any_of(domain_events_.begin(), domain_events_.end(), [&](const auto& event) {
            return event.type == type && event.domain == domain && event.detail == detail;
        });
    }
    int count(DomainEventType type, const std::string& domain) const {
        const std::lock_guard lock(mutex_);
        return static_cast<int>(std::count_if(
            domain_events_.begin(), domain_events_.end(),
            [&](const auto& event) { return event.type == type && event.domain == domain; }));
    }
    std::vector<ConnectionEvent> connectionEvents() const {
        const std::lock_guard lock(mutex_);
        return connection_events_;
    }
    bool sawConnection(ConnectionState state, int failed_attempts) const {
        const std::lock_guard lock(mutex_);
        return std::any_of(
            connection_events_.begin(), connection_events_.end(), [&](const auto& event) {
                return event.state == state && event.failed_attempts >= failed_attempts;
            });
    }

private:
    void record(const DomainEvent& event) {
        const std::lock_guard lock(mutex_);
        domain_events_.push_back(event);
    }
    void record(const ConnectionEvent& event) {
        const std::lock_guard lock(mutex_);
        connection_events_.push_back(event);
    }

    mutable std::mutex mutex_;
    std::vector<DomainEvent> domain_events_;
    std::vector<ConnectionEvent> connection_events_;
};

constexpr int kEventWaitMs = 5000;

}  // namespace

class TestLibvirtHypervisor : public QObject {
    Q_OBJECT
private slots:
    void readsHostCapacity_data();
    void readsHostCapacity();
    void definesANodeFromTheGeneratedXmlAndStartsItAtStandby();
    void growsAndShrinksMemoryLiveWhileTheDefinitionKeepsStandby();
    void capsByLiveVcpuCountBothWaysOnTheTestDriver();
    void fencesWithDestroyResetAndStart();
    void restoresFromAManagedSave();
    void undefinesANodeWithAManagedSave();
    void deliversLifecycleEvents();
    void tellsOwnedDomainsFromForeignOnes();
    void reportsAnUnknownDomainNamingItAndTheUri_data();
    void reportsAnUnknownDomainNamingItAndTheUri();
    void refusesToGrowMemoryBeyondTheMaximum();
    void refusesVcpusBeyondTheMaximumOrOnAStoppedDomain();
    void reportsABadUri_data();
    void reportsABadUri();
    void saysTheTestDriverHasNoSchedulerCap();
    void reconnectsWithBackoffAndDeliversEventsAgain();
    void failsCallsWhileDisconnected();
    void refusesToRunBesideQtsGlibDispatcher();
};

void TestLibvirtHypervisor::readsHostCapacity_data() {
    QTest::addColumn<QString>("uri");
    QTest::addColumn<qint64>("cpus");
    QTest::addColumn<qint64>("memoryMib");
    // understudyd(8), --demo: the demo appliance is a 256 GiB, 64-CPU host.
    QTest::newRow("demo appliance")
        << QString::fromStdString(demoUri()) << qint64(64) << qint64(256 * 1024);
    // libvirt's built-in test host (test_driver.c, defaultNodeInfo): 16 CPUs, 3 GiB.
    QTest::newRow("test:///default") << "test:///default" << qint64(16) << qint64(3 * 1024);
}

void TestLibvirtHypervisor::readsHostCapacity() {
    QFETCH(QString, uri);
    QFETCH(qint64, cpus);
    QFETCH(qint64, memoryMib);
    auto hypervisor = LibvirtHypervisor::open(uri.toStdString());
    QVERIFY_OK(hypervisor);
    QVERIFY((*hypervisor)->connected());
    auto capacity = (*hypervisor)->hostCapacity();
    QVERIFY_OK(capacity);
    QCOMPARE(capacity->cpus, std::int64_t(cpus));
    QCOMPARE(capacity->memory_mib, std::int64_t(memoryMib));
}

void TestLibvirtHypervisor::definesANodeFromTheGeneratedXmlAndStartsItAtStandby() {
    auto opened = LibvirtHypervisor::open(demoUri());
    QVERIFY(opened.ok());
    Hypervisor& hypervisor = **opened;
    auto listed = hypervisor.listDomains();
    QVERIFY(listed.ok());
    QVERIFY(listed->empty());

    auto defined = hypervisor.defineDomain(passiveNodeXml("erp-passive", erpMetadata()));
    QVERIFY_OK(defined);
    QCOMPARE(defined->name, std::string("erp-passive"));
    QCOMPARE(defined->uuid.size(), std::size_t(36));
    QVERIFY(defined->state == DomainState::shut_off);
    QVERIFY(defined->persistent);
    QVERIFY(defined->owned);
    QVERIFY(defined->metadata == erpMetadata());
    QCOMPARE(defined->maxMemoryMib(), std::int64_t(32768));
    QCOMPARE(defined->memoryMib(), std::int64_t(2048));
    QCOMPARE(defined->vcpus, 8);
    QCOMPARE(defined->max_vcpus, 8);

    QVERIFY2(hypervisor.start("erp-passive").ok(), "start");
    auto running = hypervisor.domainInfo("erp-passive");
    QVERIFY_OK(running);
    QVERIFY(running->state == DomainState::running);
    QVERIFY(running->active());
    QCOMPARE(running->memoryMib(), std::int64_t(2048));
    QCOMPARE(running->maxMemoryMib(), std::int64_t(32768));
    QCOMPARE(running->vcpus, 8);

    listed = hypervisor.listDomains();
    QVERIFY(listed.ok());
    QCOMPARE(listed->size(), std::size_t(1));
    QCOMPARE(listed->front().uuid, defined->uuid);
    QVERIFY(listed->front().owned);
}

void TestLibvirtHypervisor::growsAndShrinksMemoryLiveWhileTheDefinitionKeepsStandby() {
    auto opened = LibvirtHypervisor::open(demoUri());
    QVERIFY(opened.ok());
    Hypervisor& hypervisor = **opened;
    QVERIFY(hypervisor.defineDomain(passiveNodeXml("erp-passive", erpMetadata())).ok());
    QVERIFY(hypervisor.start("erp-passive").ok());

    auto grown = hypervisor.setMemoryLive("erp-passive", 32768);
    QVERIFY_OK(grown);
    QCOMPARE(hypervisor.domainInfo("erp-passive")->memoryMib(), std::int64_t(32768));
    auto persistent = hypervisor.domainXml("erp-passive", true);
    QVERIFY(persistent.ok());
    QVERIFY(QString::fromStdString(*persistent)
                .contains(QStringLiteral("<currentMemory unit='KiB'>2097152</currentMemory>")));

    QVERIFY(hypervisor.setMemoryLive("erp-passive", 2048).ok());
    QCOMPARE(hypervisor.domainInfo("erp-passive")->memoryMib(), std::int64_t(2048));
}

void TestLibvirtHypervisor::capsByLiveVcpuCountBothWaysOnTheTestDriver() {
    auto opened = LibvirtHypervisor::open(demoUri());
    QVERIFY(opened.ok());
    Hypervisor& hypervisor = **opened;
    QVERIFY(hypervisor.defineDomain(passiveNodeXml("erp-passive", erpMetadata())).ok());
    QVERIFY(hypervisor.start("erp-passive").ok());

    auto capped = hypervisor.setVcpusLive("erp-passive", 1);
    QVERIFY_OK(capped);
    QCOMPARE(hypervisor.domainInfo("erp-passive")->vcpus, 1);
    QVERIFY(hypervisor.setVcpusLive("erp-passive", 8).ok());
    auto info = hypervisor.domainInfo("erp-passive");
    QCOMPARE(info->vcpus, 8);
    QCOMPARE(info->max_vcpus, 8);
}

void TestLibvirtHypervisor::fencesWithDestroyResetAndStart() {
    auto opened = LibvirtHypervisor::open(demoUri());
    QVERIFY(opened.ok());
    Hypervisor& hypervisor = **opened;
    QVERIFY(hypervisor.defineDomain(passiveNodeXml("erp-passive", erpMetadata())).ok());
    QVERIFY(hypervisor.start("erp-passive").ok());

    QVERIFY(hypervisor.reset("erp-passive").ok());
    QVERIFY(hypervisor.domainInfo("erp-passive")->state == DomainState::running);
    QVERIFY(hypervisor.destroy("erp-passive").ok());
    QVERIFY(hypervisor.domainInfo("erp-passive")->state == DomainState::shut_off);
    QVERIFY(hypervisor.start("erp-passive").ok());
    QVERIFY(hypervisor.domainInfo("erp-passive")->state == DomainState::running);
    QVERIFY(hypervisor.shutdown("erp-passive").ok());
    QVERIFY(hypervisor.domainInfo("erp-passive")->state == DomainState::shut_off);
    // A started domain comes back at the definition's standby footprint.
    QVERIFY(hypervisor.start("erp-passive").ok());
    QCOMPARE(hypervisor.domainInfo("erp-passive")->memoryMib(), std::int64_t(2048));
}

void TestLibvirtHypervisor::restoresFromAManagedSave() {
    Recorder recorder;
    auto opened = LibvirtHypervisor::open(demoUri());
    QVERIFY(opened.ok());
    Hypervisor& hypervisor = **opened;
    recorder.attach(hypervisor);
    QVERIFY(hypervisor.defineDomain(passiveNodeXml("erp-passive", erpMetadata())).ok());
    QVERIFY(hypervisor.start("erp-passive").ok());
    QCOMPARE(*hypervisor.hasManagedSave("erp-passive"), false);

    auto saved = hypervisor.managedSave("erp-passive");
    QVERIFY_OK(saved);
    auto info = hypervisor.domainInfo("erp-passive");
    QVERIFY(info->state == DomainState::shut_off);
    QVERIFY(info->has_managed_save);
    QCOMPARE(*hypervisor.hasManagedSave("erp-passive"), true);

    QVERIFY(hypervisor.start("erp-passive").ok());
    QVERIFY(hypervisor.domainInfo("erp-passive")->state == DomainState::running);
    QCOMPARE(*hypervisor.hasManagedSave("erp-passive"), false);
    QTRY_VERIFY_WITH_TIMEOUT(recorder.saw(DomainEventType::stopped, "erp-passive", "saved"),
                             kEventWaitMs);
    // The test driver reports a restore as "booted" (QEMU says "restored"): count the starts.
    QTRY_COMPARE_WITH_TIMEOUT(recorder.count(DomainEventType::started, "erp-passive"), 2,
                              kEventWaitMs);
}

void TestLibvirtHypervisor::undefinesANodeWithAManagedSave() {
    auto opened = LibvirtHypervisor::open(demoUri());
    QVERIFY(opened.ok());
    Hypervisor& hypervisor = **opened;
    QVERIFY(hypervisor.defineDomain(passiveNodeXml("erp-passive", erpMetadata())).ok());
    QVERIFY(hypervisor.defineDomain(passiveNodeXml("crm-passive", erpMetadata())).ok());
    QVERIFY(hypervisor.start("erp-passive").ok());
    QVERIFY(hypervisor.managedSave("erp-passive").ok());

    auto removed = hypervisor.undefineDomain("erp-passive");
    QVERIFY_OK(removed);
    QVERIFY(hypervisor.undefineDomain("crm-passive").ok());
    QCOMPARE(QString::fromStdString(hypervisor.domainInfo("erp-passive").error().code),
             QStringLiteral("domain_not_found"));
    QVERIFY(hypervisor.listDomains()->empty());
}

void TestLibvirtHypervisor::deliversLifecycleEvents() {
    Recorder recorder;
    auto opened = LibvirtHypervisor::open(demoUri());
    QVERIFY(opened.ok());
    Hypervisor& hypervisor = **opened;
    recorder.attach(hypervisor);

    QVERIFY(hypervisor.defineDomain(passiveNodeXml("erp-passive", erpMetadata())).ok());
    QTRY_VERIFY_WITH_TIMEOUT(recorder.saw(DomainEventType::defined, "erp-passive", "added"),
                             kEventWaitMs);
    QVERIFY(hypervisor.start("erp-passive").ok());
    QTRY_VERIFY_WITH_TIMEOUT(recorder.saw(DomainEventType::started, "erp-passive", "booted"),
                             kEventWaitMs);
    QVERIFY(hypervisor.destroy("erp-passive").ok());
    QTRY_VERIFY_WITH_TIMEOUT(recorder.saw(DomainEventType::stopped, "erp-passive", "destroyed"),
                             kEventWaitMs);
    QVERIFY(hypervisor.undefineDomain("erp-passive").ok());
    QTRY_VERIFY_WITH_TIMEOUT(recorder.saw(DomainEventType::undefined, "erp-passive", "removed"),
                             kEventWaitMs);
}

void TestLibvirtHypervisor::tellsOwnedDomainsFromForeignOnes() {
    auto opened = LibvirtHypervisor::open(demoUri());
    QVERIFY(opened.ok());
    Hypervisor& hypervisor = **opened;
    auto foreign = hypervisor.defineDomain(
        "<domain type='test'><name>mail</name><memory unit='MiB'>512</memory><vcpu>1</vcpu>"
        "<os><type>hvm</type></os></domain>");
    QVERIFY_OK(foreign);
    QVERIFY(!foreign->owned);
    QVERIFY(!foreign->metadata);
    auto none = hypervisor.getMetadata("mail");
    QVERIFY_OK(none);
    QVERIFY(!none->has_value());

    // Adopting a domain marks it, running or not.
    QVERIFY(hypervisor.start("mail").ok());
    NodeMetadata adopted = erpMetadata();
    adopted.node = "mail";
    adopted.memory_mode = sizing::MemoryMode::reserved;
    auto marked = hypervisor.setMetadata("mail", adopted);
    QVERIFY_OK(marked);
    auto read = hypervisor.getMetadata("mail");
    QVERIFY(read.ok());
    QVERIFY(read->has_value());
    QVERIFY(**read == adopted);
    QVERIFY(hypervisor.destroy("mail").ok());
    auto persistent = hypervisor.domainInfo("mail");
    QVERIFY(persistent->owned);
    QVERIFY(persistent->metadata == adopted);
}

void TestLibvirtHypervisor::reportsAnUnknownDomainNamingItAndTheUri_data() {
    QTest::addColumn<QString>("operation");
    for (const char* operation :
         {"domainInfo", "domainXml", "undefine", "start", "destroy", "reset", "shutdown",
          "managedSave", "hasManagedSave", "setMemoryLive", "setVcpusLive", "schedulerCap",
          "setMetadata", "getMetadata"}) {
        QTest::newRow(operation) << QString::fromLatin1(operation);
    }
}

void TestLibvirtHypervisor::reportsAnUnknownDomainNamingItAndTheUri() {
    QFETCH(QString, operation);
    auto opened = LibvirtHypervisor::open(demoUri());
    QVERIFY(opened.ok());
    Hypervisor& hv = **opened;
    const std::string name = "no-such-node";
    const std::map<QString, std::function<std::optional<Error>()>> operations = {
        {"domainInfo", [&] { return errorOf(hv.domainInfo(name)); }},
        {"domainXml", [&] { return errorOf(hv.domainXml(name, false)); }},
        {"undefine", [&] { return errorOf(hv.undefineDomain(name)); }},
        {"start", [&] { return errorOf(hv.start(name)); }},
        {"destroy", [&] { return errorOf(hv.destroy(name)); }},
        {"reset", [&] { return errorOf(hv.reset(name)); }},
        {"shutdown", [&] { return errorOf(hv.shutdown(name)); }},
        {"managedSave", [&] { return errorOf(hv.managedSave(name)); }},
        {"hasManagedSave", [&] { return errorOf(hv.hasManagedSave(name)); }},
        {"setMemoryLive", [&] { return errorOf(hv.setMemoryLive(name, 1024)); }},
        {"setVcpusLive", [&] { return errorOf(hv.setVcpusLive(name, 2)); }},
        {"schedulerCap", [&] { return errorOf(hv.schedulerCap(name)); }},
        {"setMetadata", [&] { return errorOf(hv.setMetadata(name, erpMetadata())); }},
        {"getMetadata", [&] { return errorOf(hv.getMetadata(name)); }},
    };
    const std::optional<Error> error = operations.at(operation)();
    QVERIFY(error.has_value());
    QCOMPARE(QString::fromStdString(error->code), QStringLiteral("domain_not_found"));
    QCOMPARE(error->where, "domain 'no-such-node' on " + demoUri());
    const QString message = QString::fromStdString(error->message);
    QVERIFY2(message.contains(u"'no-such-node'"), error->message.c_str());
    // libvirt's own words stay in the message.
    QVERIFY2(message.contains(u"Domain not found"), error->message.c_str());
}

void TestLibvirtHypervisor::refusesToGrowMemoryBeyondTheMaximum() {
    auto opened = LibvirtHypervisor::open(demoUri());
    QVERIFY(opened.ok());
    Hypervisor& hypervisor = **opened;
    QVERIFY(hypervisor.defineDomain(passiveNodeXml("erp-passive", erpMetadata())).ok());
    QVERIFY(hypervisor.start("erp-passive").ok());

    auto grown = hypervisor.setMemoryLive("erp-passive", 32769);
    QVERIFY(!grown.ok());
    QCOMPARE(QString::fromStdString(grown.error().code), QStringLiteral("invalid_argument"));
    QCOMPARE(grown.error().where, "domain 'erp-passive' on " + demoUri());
    const QString message = QString::fromStdString(grown.error().message);
    QVERIFY2(message.contains(u"higher than max memory"), grown.error().message.c_str());
    QVERIFY2(message.contains(u"32768 MiB"), grown.error().message.c_str());
    QCOMPARE(hypervisor.domainInfo("erp-passive")->memoryMib(), std::int64_t(2048));
}

void TestLibvirtHypervisor::refusesVcpusBeyondTheMaximumOrOnAStoppedDomain() {
    auto opened = LibvirtHypervisor::open(demoUri());
    QVERIFY(opened.ok());
    Hypervisor& hypervisor = **opened;
    QVERIFY(hypervisor.defineDomain(passiveNodeXml("erp-passive", erpMetadata())).ok());

    auto stopped = hypervisor.setVcpusLive("erp-passive", 2);
    QVERIFY(!stopped.ok());
    QCOMPARE(QString::fromStdString(stopped.error().code), QStringLiteral("invalid_state"));
    QCOMPARE(stopped.error().where, "domain 'erp-passive' on " + demoUri());

    QVERIFY(hypervisor.start("erp-passive").ok());
    auto beyond = hypervisor.setVcpusLive("erp-passive", 9);
    QVERIFY(!beyond.ok());
    QCOMPARE(QString::fromStdString(beyond.error().code), QStringLiteral("invalid_argument"));
    QVERIFY2(QString::fromStdString(beyond.error().message).contains(u"maximum is 8 vCPUs"),
             beyond.error().message.c_str());
    QCOMPARE(hypervisor.domainInfo("erp-passive")->vcpus, 8);
}

void TestLibvirtHypervisor::reportsABadUri_data() {
    QTest::addColumn<QString>("uri");
    QTest::newRow("missing node file") << "test:///nonexistent/understudy/node.xml";
    QTest::newRow("unknown driver") << "nosuchdriver:///system";
}

void TestLibvirtHypervisor::reportsABadUri() {
    QFETCH(QString, uri);
    auto opened = LibvirtHypervisor::open(uri.toStdString());
    QVERIFY(!opened.ok());
    QCOMPARE(QString::fromStdString(opened.error().code), QStringLiteral("hypervisor_unavailable"));
    QCOMPARE(QString::fromStdString(opened.error().where), uri);
    QVERIFY2(QString::fromStdString(opened.error().message).contains(u"check the URI"),
             opened.error().message.c_str());
}

// docs/platform-notes.md ("libvirt's test driver"): the test driver has no scheduler quota; callers
// cap by live vCPUs there.
void TestLibvirtHypervisor::saysTheTestDriverHasNoSchedulerCap() {
    auto opened = LibvirtHypervisor::open(demoUri());
    QVERIFY(opened.ok());
    Hypervisor& hypervisor = **opened;
    auto supported = hypervisor.supportsSchedulerCap();
    QVERIFY_OK(supported);
    QCOMPARE(*supported, false);

    QVERIFY(hypervisor.defineDomain(passiveNodeXml("erp-passive", erpMetadata())).ok());
    QVERIFY(hypervisor.start("erp-passive").ok());
    for (const Status& status :
         {hypervisor.setSchedulerCap("erp-passive", SchedulerCap::wholeVcpus(1)),
          hypervisor.setSchedulerCap("erp-passive", SchedulerCap::uncapped())}) {
        QVERIFY(!status.ok());
        QCOMPARE(QString::fromStdString(status.error().code), QStringLiteral("unsupported"));
        QCOMPARE(status.error().where, "domain 'erp-passive' on " + demoUri());
        QVERIFY2(QString::fromStdString(status.error().message).contains(u"live vCPU count"),
                 status.error().message.c_str());
    }
    auto cap = hypervisor.schedulerCap("erp-passive");
    QVERIFY(!cap.ok());
    QCOMPARE(QString::fromStdString(cap.error().code), QStringLiteral("unsupported"));
}

// The connection is really closed (as a dying transport would be) while its node file is gone,
// so reconnect attempts fail for real until the file is back.
void TestLibvirtHypervisor::reconnectsWithBackoffAndDeliversEventsAgain() {
    QTemporaryDir dir;
    const QString node_file = dir.filePath(QStringLiteral("node.xml"));
    QVERIFY(
        QFile::copy(sourcePath(QStringLiteral("appliance/data/demo-appliance.xml")), node_file));
    const std::string uri = "test://" + node_file.toStdString();

    Recorder recorder;
    LibvirtHypervisorOptions options;
    options.initial_backoff = std::chrono::milliseconds(50);
    options.max_backoff = std::chrono::milliseconds(200);
    auto opened = LibvirtHypervisor::open(uri, options);
    QVERIFY(opened.ok());
    LibvirtHypervisor& hypervisor = **opened;
    recorder.attach(hypervisor);

    QVERIFY(QFile::rename(node_file, node_file + QStringLiteral(".away")));
    hypervisor.disconnectForTest();
    QVERIFY(!hypervisor.connected());
    QTRY_VERIFY_WITH_TIMEOUT(recorder.sawConnection(ConnectionState::lost, 3), kEventWaitMs);

    QVERIFY(QFile::rename(node_file + QStringLiteral(".away"), node_file));
    QTRY_VERIFY_WITH_TIMEOUT(recorder.sawConnection(ConnectionState::connected, 0), kEventWaitMs);
    QVERIFY(hypervisor.connected());

    // Loss first, then failed attempts whose delay doubles up to the bound.
    const std::vector<ConnectionEvent> events = recorder.connectionEvents();
    QVERIFY(events.size() >= 5);
    QVERIFY(events[0].state == ConnectionState::lost);
    QCOMPARE(events[0].failed_attempts, 0);
    QCOMPARE(events[0].next_attempt_in.count(), 50);
    QCOMPARE(events[0].reason, std::string("closed by a test"));
    const std::vector<long long> expected_delays = {100, 200, 200};
    for (std::size_t i = 0; i < expected_delays.size(); ++i) {
        const ConnectionEvent& attempt = events[i + 1];
        QVERIFY(attempt.state == ConnectionState::lost);
        QCOMPARE(attempt.failed_attempts, static_cast<int>(i + 1));
        QCOMPARE(static_cast<long long>(attempt.next_attempt_in.count()), expected_delays[i]);
        QVERIFY2(QString::fromStdString(attempt.reason).contains(u"node.xml"),
                 attempt.reason.c_str());
    }
    QVERIFY(events.back().state == ConnectionState::connected);
    QCOMPARE(events.back().uri, uri);

    // Events flow on the new connection.
    QVERIFY(hypervisor.defineDomain(passiveNodeXml("erp-passive", erpMetadata())).ok());
    QVERIFY(hypervisor.start("erp-passive").ok());
    QTRY_VERIFY_WITH_TIMEOUT(recorder.saw(DomainEventType::started, "erp-passive", "booted"),
                             kEventWaitMs);
}

void TestLibvirtHypervisor::failsCallsWhileDisconnected() {
    QTemporaryDir dir;
    const QString node_file = dir.filePath(QStringLiteral("node.xml"));
    QVERIFY(
        QFile::copy(sourcePath(QStringLiteral("appliance/data/demo-appliance.xml")), node_file));
    const std::string uri = "test://" + node_file.toStdString();
    auto opened = LibvirtHypervisor::open(uri);
    QVERIFY(opened.ok());
    QVERIFY(QFile::remove(node_file));
    (*opened)->disconnectForTest();

    auto capacity = (*opened)->hostCapacity();
    QVERIFY(!capacity.ok());
    QCOMPARE(QString::fromStdString(capacity.error().code),
             QStringLiteral("hypervisor_unavailable"));
    QCOMPARE(capacity.error().where, uri);
    auto started = (*opened)->start("erp-passive");
    QVERIFY(!started.ok());
    QCOMPARE(QString::fromStdString(started.error().code),
             QStringLiteral("hypervisor_unavailable"));
}

namespace {

constexpr const char* kOpenBesideGlib = "--open-beside-glib";

// The child process of refusesToRunBesideQtsGlibDispatcher: an application with Qt's default
// dispatcher, which opens a hypervisor and prints the error code it gets.
int openBesideGlib(int argc, char** argv) {
    QCoreApplication application(argc, argv);
    auto opened = LibvirtHypervisor::open("test:///default");
    std::fputs(opened.ok() ? "opened" : opened.error().code.c_str(), stdout);
    return 0;
}

}  // namespace

// Qt's GLib dispatcher owns GLib's default main context, which libvirt's event loop iterates:
// the two together would hang at the first event or at close, so open() says so instead.
void TestLibvirtHypervisor::refusesToRunBesideQtsGlibDispatcher() {
    QProcess child;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("QT_NO_GLIB"));
    child.setProcessEnvironment(environment);
    child.start(QCoreApplication::applicationFilePath(), {QString::fromLatin1(kOpenBesideGlib)});
    QVERIFY(child.waitForFinished(30000));
    QCOMPARE(child.exitCode(), 0);
    const QString answer = QString::fromUtf8(child.readAllStandardOutput());
    // Debian's Qt is built with GLib and uses it unless QT_NO_GLIB is set.
    QCOMPARE(answer, QStringLiteral("unsupported_environment"));
}

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], kOpenBesideGlib) == 0) {
        return openBesideGlib(argc, argv);
    }
    // LibvirtHypervisor::open refuses to run beside Qt's GLib dispatcher (see there).
    qputenv("QT_NO_GLIB", "1");
    QCoreApplication application(argc, argv);
    TestLibvirtHypervisor test;
    return QTest::qExec(&test, argc, argv);
}
#include "test_libvirt_hypervisor.moc"

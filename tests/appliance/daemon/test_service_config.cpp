#include <QtTest>

#include "appliance/daemon/admin_token.h"
#include "appliance/daemon/command_line.h"
#include "appliance/daemon/effective_config.h"
#include "appliance/daemon/service_config.h"
#include "tests/support/result_checks.h"
#include "tests/support/source_files.h"

using namespace understudy;
using namespace understudy::daemon;
using namespace understudy::policy;
using namespace understudy::testsupport;

namespace {

constexpr char kSource[] = "understudyd.conf";
constexpr char kNodeFile[] = "/usr/share/understudy/demo-appliance.xml";
constexpr char kGoodToken[] = "Zm9vYmFyLXRva2VuLWZvci10ZXN0cw";

QString joinSteps(const std::vector<ContentionStep>& steps) {
    QStringList names;
    for (const ContentionStep step : steps) {
        switch (step) {
            case ContentionStep::headroom:
                names << "headroom";
                break;
            case ContentionStep::preempt:
                names << "preempt";
                break;
            case ContentionStep::partial_cpu:
                names << "partial_cpu";
                break;
            case ContentionStep::deny:
                names << "deny";
                break;
        }
    }
    return names.join(u',');
}

QString joinStrings(const std::vector<std::string>& items) {
    QStringList list;
    for (const std::string& item : items) {
        list << QString::fromStdString(item);
    }
    return list.join(u',');
}

// One parsed setting as text, so a table can say what each input must become.
QString render(const ServiceConfig& config, const QString& field) {
    const auto text = [](const std::string& value) { return QString::fromStdString(value); };
    const auto flag = [](bool value) { return value ? QStringLiteral("true") : QString("false"); };
    if (field == "service.listen") {
        return text(config.service.listen.toString());
    }
    if (field == "service.database") {
        return text(config.service.database);
    }
    if (field == "service.tls") {
        return config.service.tlsEnabled()
                   ? text(config.service.tls_certificate + "|" + config.service.tls_key)
                   : QStringLiteral("off");
    }
    if (field == "service.max_body_bytes") {
        return QString::number(config.service.max_body_bytes);
    }
    if (field == "policy.target_risk") {
        return QString::number(config.policy.target_risk);
    }
    if (field == "policy.admission") {
        return config.policy.admission == AdmissionMode::warn ? "warn" : "enforce";
    }
    if (field == "policy.contention") {
        return joinSteps(config.policy.contention);
    }
    if (field == "policy.restore_preempted") {
        return flag(config.policy.restore_preempted);
    }
    if (field.startsWith("appliance.") && !config.appliances.empty()) {
        const ApplianceSection& appliance = config.appliances.front();
        if (field == "appliance.name") {
            return text(appliance.name);
        }
        if (field == "appliance.uri") {
            return text(appliance.uri);
        }
        if (field == "appliance.reserve_memory_mib") {
            return QString::number(appliance.reserve_memory_mib);
        }
        if (field == "appliance.cpu_overcommit") {
            return QString::number(appliance.cpu_overcommit);
        }
        if (field == "appliance.recreate_missing") {
            return flag(appliance.recreate_missing);
        }
        if (field == "appliance.fencing") {
            return text(appliance.fence_command) + u'/' + QString::number(appliance.lost_after_s);
        }
    }
    if (field == "probe.command" && !config.probes.empty()) {
        return text(config.probes.front().command);
    }
    if (field == "probe.timing" && !config.probes.empty()) {
        return QString::number(config.probes.front().interval_s) + u'/' +
               QString::number(config.probes.front().timeout_s);
    }
    if (field == "hook.events" && !config.hooks.empty()) {
        return joinStrings(config.hooks.front().events);
    }
    return "no field " + field;
}

QString renderCommandLine(const CommandLine& command_line) {
    QStringList parts;
    if (command_line.config) {
        parts << "config=" + QString::fromStdString(*command_line.config);
    }
    if (command_line.demo) {
        parts << "demo";
    }
    if (command_line.listen) {
        parts << "listen=" + QString::fromStdString(command_line.listen->toString());
    }
    if (command_line.database) {
        parts << "database=" + QString::fromStdString(*command_line.database);
    }
    if (command_line.help) {
        parts << "help";
    }
    if (command_line.version) {
        parts << "version";
    }
    return parts.join(u' ');
}

CommandLine commandLine(const QStringList& options) {
    Result<CommandLine> parsed = parseCommandLine(QStringList{"understudyd"} + options);
    return parsed ? *parsed : CommandLine{};
}

const char kOneAppliance[] = "[appliance.pna-1]\nuri = qemu:///system\n";

bool writeFile(const QString& path, const QByteArray& content, QFile::Permissions permissions) {
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) &&
           file.write(content) == content.size() && file.setPermissions(permissions);
}

constexpr QFile::Permissions kOwnerAndGroupRead =
    QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup;

// The check of both rejection tables: columns text, line, message.
void verifyRejection() {
    QFETCH(QString, text);
    QFETCH(int, line);
    QFETCH(QString, message);
    const Result<ServiceConfig> config = parseServiceConfig(text.toStdString(), kSource);
    QVERIFY(!config.ok());
    QCOMPARE(config.error().code, std::string("invalid_config"));
    QCOMPARE(QString::fromStdString(config.error().where),
             QString(kSource) + u':' + QString::number(line));
    QVERIFY2(QString::fromStdString(config.error().message).contains(message),
             failure(config).constData());
}

}  // namespace

class TestServiceConfig : public QObject {
    Q_OBJECT
private slots:
    void productSampleParsesToTheDocumentedValues();
    void shippedDefaultConfigIsValidWithTheLocalAppliance();
    void anEmptyFileGivesTheDefaults();
    void acceptsEveryValueFormTheDialectAllows_data();
    void acceptsEveryValueFormTheDialectAllows();
    void rejectsABadValueNamingFileLineAndKey_data();
    void rejectsABadValueNamingFileLineAndKey();
    void rejectsABadStructureNamingTheLine_data();
    void rejectsABadStructureNamingTheLine();
    void readsCrlfLinesAndAByteOrderMark();
    void hookPatternsMatchEventKinds_data();
    void hookPatternsMatchEventKinds();
    void aNonDemoStartNeedsAnApplianceAndSaysHowToAddOne();
    void demoWithoutConfigUsesTheEmbeddedDemo();
    void demoNodeFileBecomesAnAbsoluteTestDriverUri();
    void demoWithConfigKeepsTheFileAndAddsTheDemoApplianceOnlyWhenNone();
    void commandLineOverridesTheFile();
    void parsesTheCommandLine_data();
    void parsesTheCommandLine();
    void rejectsABadCommandLineNamingTheOption_data();
    void rejectsABadCommandLineNamingTheOption();
    void helpNamesEveryOption();
    void loadsTheNamedOrTheDefaultFile();
    void readsTheAdminTokenFile_data();
    void readsTheAdminTokenFile();
    void refusesAMissingOrNonRegularTokenFile();
    void demoTokenComesFromTheEnvironmentOrIsGenerated_data();
    void demoTokenComesFromTheEnvironmentOrIsGenerated();
    void generatedTokensAreRandomAndUrlSafe();
    void adminTokenFollowsTheMode();
};

void TestServiceConfig::productSampleParsesToTheDocumentedValues() {
    const std::string text =
        readSourceFile("tests/appliance/data/config/product-sample.conf").toStdString();
    QVERIFY(!text.empty());
    const Result<ServiceConfig> config = parseServiceConfig(text, kSource);
    QVERIFY_OK(config);

    QCOMPARE(config->service.listen, (ListenAddress{"127.0.0.1", 8470}));
    QCOMPARE(config->service.database, std::string("/var/lib/understudy/understudy.db"));
    QCOMPARE(config->service.admin_token_file, std::string("/etc/understudy/admin.token"));
    QVERIFY(config->service.tls_certificate.empty());
    QVERIFY(config->service.tls_key.empty());
    QVERIFY(!config->service.tlsEnabled());
    QCOMPARE(config->service.max_body_bytes, 1048576);

    QCOMPARE(config->policy.target_risk, 0.0001);
    QVERIFY(config->policy.admission == AdmissionMode::enforce);
    QCOMPARE(joinSteps(config->policy.contention), QString("headroom,preempt,partial_cpu,deny"));
    QVERIFY(config->policy.restore_preempted);

    QCOMPARE(config->appliances.size(), std::size_t{1});
    const ApplianceSection& appliance = config->appliances.front();
    QCOMPARE(appliance.name, std::string("pna-1"));
    QCOMPARE(appliance.uri, std::string("qemu:///system"));
    QCOMPARE(appliance.reserve_memory_mib, 16384);
    QCOMPARE(appliance.reserve_vcpus, 2);
    QCOMPARE(appliance.cpu_overcommit, 4.0);
    QCOMPARE(appliance.domain_template, std::string("/etc/understudy/passive-node.xml"));
    QVERIFY(!appliance.recreate_missing);

    QCOMPARE(config->probes.size(), std::size_t{1});
    QCOMPARE(config->probes.front().cluster, std::string("erp"));
    QCOMPARE(config->probes.front().command,
             std::string("/usr/sbin/fence_ipmilan --ip=erp-bmc.example.com --username=admin "
                         "--password-script=/etc/understudy/erp-bmc.pass --action=status"));
    QCOMPARE(config->probes.front().interval_s, 30);
    QCOMPARE(config->probes.front().timeout_s, 10);

    QCOMPARE(config->hooks.size(), std::size_t{1});
    QCOMPARE(config->hooks.front().name, std::string("notify"));
    QCOMPARE(config->hooks.front().command, std::string("/usr/local/bin/notify-admin"));
    QCOMPARE(joinStrings(config->hooks.front().events), QString("takeover.*,fence.*"));
    QCOMPARE(config->hooks.front().timeout_s, 10);

    QVERIFY(!config->demo);
    QCOMPARE(config->source, std::string(kSource));
}

void TestServiceConfig::shippedDefaultConfigIsValidWithTheLocalAppliance() {
    const std::string text = readSourceFile("installer/understudyd.conf").toStdString();
    QVERIFY(!text.empty());
    const Result<ServiceConfig> config =
        effectiveConfig(CommandLine{}, ConfigFile{kDefaultConfigPath, text}, kNodeFile);
    QVERIFY_OK(config);
    QCOMPARE(config->service, ServiceSection{});
    QCOMPARE(config->policy, PolicySection{});
    QCOMPARE(config->appliances.size(), std::size_t{1});
    QCOMPARE(config->appliances.front().name, std::string("local"));
    QCOMPARE(config->appliances.front().uri, std::string("qemu:///system"));
    QVERIFY(!config->appliances.front().recreate_missing);
    QVERIFY(config->probes.empty());
    QVERIFY(config->hooks.empty());
}

void TestServiceConfig::anEmptyFileGivesTheDefaults() {
    const Result<ServiceConfig> config = parseServiceConfig("; nothing but a comment\n", kSource);
    QVERIFY_OK(config);
    QCOMPARE(config->service.listen.toString(), std::string("127.0.0.1:8470"));
    QCOMPARE(config->service.database, std::string("/var/lib/understudy/understudy.db"));
    QCOMPARE(config->service.admin_token_file, std::string("/etc/understudy/admin.token"));
    QCOMPARE(config->service.max_body_bytes, 1048576);
    QCOMPARE(config->policy.target_risk, 1e-4);
    QVERIFY(config->policy.admission == AdmissionMode::enforce);
    QCOMPARE(joinSteps(config->policy.contention), QString("headroom,preempt,partial_cpu,deny"));
    QVERIFY(config->policy.restore_preempted);
    QVERIFY(config->appliances.empty());

    const Result<ServiceConfig> appliance = parseServiceConfig(kOneAppliance, kSource);
    QVERIFY_OK(appliance);
    QCOMPARE(appliance->appliances.front().reserve_memory_mib, 0);
    QCOMPARE(appliance->appliances.front().reserve_vcpus, 0);
    QCOMPARE(appliance->appliances.front().cpu_overcommit, 1.0);
    QCOMPARE(appliance->appliances.front().domain_template,
             std::string("/etc/understudy/passive-node.xml"));
    QVERIFY(!appliance->appliances.front().recreate_missing);

    const Result<ServiceConfig> probe =
        parseServiceConfig("[probe.erp]\ncommand = /bin/true\n", kSource);
    QVERIFY_OK(probe);
    QCOMPARE(render(*probe, "probe.timing"), QString("30/10"));
    const Result<ServiceConfig> hook =
        parseServiceConfig("[hook.h]\ncommand = /bin/true\nevents = *\n", kSource);
    QVERIFY_OK(hook);
    QCOMPARE(hook->hooks.front().timeout_s, 10);
}

void TestServiceConfig::acceptsEveryValueFormTheDialectAllows_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("expected");

    const auto service = [](const QString& line) { return "[service]\n" + line + "\n"; };
    const auto policy = [](const QString& line) { return "[policy]\n" + line + "\n"; };
    const auto appliance = [](const QString& line) {
        return "[appliance.a]\nuri = test:///default\n" + line + "\n";
    };

    QTest::newRow("IPv6 listen") << service("listen = [::1]:9000") << "service.listen"
                                 << "[::1]:9000";
    QTest::newRow("any IPv6 address") << service("listen = [::]:8470") << "service.listen"
                                      << "[::]:8470";
    QTest::newRow("localhost listen") << service("listen = localhost:8080") << "service.listen"
                                      << "localhost:8080";
    QTest::newRow("all IPv4 addresses") << service("listen = 0.0.0.0:65535") << "service.listen"
                                        << "0.0.0.0:65535";
    QTest::newRow("blanks around key and value")
        << service("  \tdatabase\t=   /srv/u.db  ") << "service.database"
        << "/srv/u.db";
    QTest::newRow("no blanks around =") << service("database=/srv/u.db") << "service.database"
                                        << "/srv/u.db";
    QTest::newRow("inline ; comment")
        << service("database = /srv/u.db ; on the SSD") << "service.database"
        << "/srv/u.db";
    QTest::newRow("inline # comment")
        << service("database = /srv/u.db\t# on the SSD") << "service.database"
        << "/srv/u.db";
    QTest::newRow("# without a blank is part of the value")
        << service("database = /srv/u#1.db") << "service.database"
        << "/srv/u#1.db";
    QTest::newRow("TLS both set") << service("tls_certificate = /etc/c.pem\ntls_key = /etc/c.key")
                                  << "service.tls"
                                  << "/etc/c.pem|/etc/c.key";
    QTest::newRow("TLS empty with comments")
        << service("tls_certificate =   ; none\ntls_key =  # none") << "service.tls"
        << "off";
    QTest::newRow("smallest body limit")
        << service("max_body_bytes = 1024") << "service.max_body_bytes"
        << "1024";
    QTest::newRow("largest body limit")
        << service("max_body_bytes = 1073741824") << "service.max_body_bytes"
        << "1073741824";
    QTest::newRow("risk 0") << policy("target_risk = 0") << "policy.target_risk"
                            << "0";
    QTest::newRow("risk 1") << policy("target_risk = 1") << "policy.target_risk"
                            << "1";
    QTest::newRow("risk in exponent form") << policy("target_risk = 1e-6") << "policy.target_risk"
                                           << "1e-06";
    QTest::newRow("warn") << policy("admission = warn") << "policy.admission"
                          << "warn";
    QTest::newRow("contention reordered")
        << policy("contention = preempt, headroom, deny") << "policy.contention"
        << "preempt,headroom,deny";
    QTest::newRow("contention without deny ends with deny")
        << policy("contention = headroom,partial_cpu") << "policy.contention"
        << "headroom,partial_cpu,deny";
    QTest::newRow("contention deny only") << policy("contention = deny") << "policy.contention"
                                          << "deny";
    for (const char* word : {"true", "yes", "on", "1", "TRUE", "Yes", "On"}) {
        QTest::addRow("boolean %s", word)
            << policy(QString("restore_preempted = ") + word) << "policy.restore_preempted"
            << "true";
    }
    for (const char* word : {"false", "no", "off", "0", "False", "NO", "OFF"}) {
        QTest::addRow("boolean %s", word)
            << policy(QString("restore_preempted = ") + word) << "policy.restore_preempted"
            << "false";
    }
    QTest::newRow("name with dots, digits, _ and -")
        << "[appliance.pna_2.rack-b]\nuri = qemu+ssh://pna-2/system\n"
        << "appliance.name"
        << "pna_2.rack-b";
    QTest::newRow("remote URI") << "[appliance.a]\nuri = qemu+ssh://root@pna-2/system\n"
                                << "appliance.uri"
                                << "qemu+ssh://root@pna-2/system";
    QTest::newRow("URI with inline comment")
        << "[appliance.a]\nuri = test:///default   # the test driver\n"
        << "appliance.uri"
        << "test:///default";
    QTest::newRow("highest overcommit")
        << appliance("cpu_overcommit = 64") << "appliance.cpu_overcommit"
        << "64";
    QTest::newRow("fractional overcommit")
        << appliance("cpu_overcommit = 0.5") << "appliance.cpu_overcommit"
        << "0.5";
    QTest::newRow("zero reserve") << appliance("reserve_memory_mib = 0")
                                  << "appliance.reserve_memory_mib"
                                  << "0";
    QTest::newRow("recreate_missing on")
        << appliance("recreate_missing = yes") << "appliance.recreate_missing"
        << "true";
    QTest::newRow("fence_command empty, as the sample writes it")
        << appliance("fence_command =    ; none") << "appliance.fencing"
        << "/0";
    QTest::newRow("fence_command and lost_after_s")
        << appliance(
               "fence_command = /usr/sbin/fence_ipmilan --ip=bmc --action=off\n"
               "lost_after_s = 60")
        << "appliance.fencing"
        << "/usr/sbin/fence_ipmilan --ip=bmc --action=off/60";
    QTest::newRow("quoted program with a blank")
        << "[probe.erp]\ncommand = \"/opt/my tools/check\" erp\n"
        << "probe.command"
        << "\"/opt/my tools/check\" erp";
    QTest::newRow("probe timing") << "[probe.erp]\ncommand = /bin/true\ninterval_s = 5\n"
                                     "timeout_s = 4\n"
                                  << "probe.timing"
                                  << "5/4";
    QTest::newRow("every event") << "[hook.all]\ncommand = /bin/true\nevents = *\n"
                                 << "hook.events"
                                 << "*";
    QTest::newRow("kinds and prefixes")
        << "[hook.h]\ncommand = /bin/true\nevents = release , service.* ,node.missing\n"
        << "hook.events"
        << "release,service.*,node.missing";
}

void TestServiceConfig::acceptsEveryValueFormTheDialectAllows() {
    QFETCH(QString, text);
    QFETCH(QString, field);
    QFETCH(QString, expected);
    const Result<ServiceConfig> config = parseServiceConfig(text.toStdString(), kSource);
    QVERIFY_OK(config);
    QCOMPARE(render(*config, field), expected);
}

void TestServiceConfig::rejectsABadValueNamingFileLineAndKey_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("message");

    // The bad line is always the third, after a header and a comment.
    const auto at3 = [](const QString& section, const QString& line) {
        return section + "\n; a comment\n" + line + "\n";
    };
    const QString service = "[service]";
    const QString policy = "[policy]";
    const QString appliance = "[appliance.a]\nuri = test:///default";  // bad line is the 4th
    const QString probe = "[probe.erp]\ncommand = /bin/true";
    const QString hook = "[hook.h]\ncommand = /bin/true\nevents = *";

    QTest::newRow("admission") << at3(policy, "admission = strict") << 3
                               << "[policy] admission: must be enforce or warn, got 'strict'";
    QTest::newRow("listen without port")
        << at3(service, "listen = 127.0.0.1") << 3
        << "[service] listen: must be ADDR:PORT (an IPv4 address, [IPv6] or localhost, and a "
           "port from 1 to 65535) but the port is missing, got '127.0.0.1'";
    QTest::newRow("listen port 0")
        << at3(service, "listen = 127.0.0.1:0") << 3 << "the port '0' is not from 1 to 65535";
    QTest::newRow("listen port too high") << at3(service, "listen = 127.0.0.1:65536") << 3
                                          << "the port '65536' is not from 1 to 65535";
    QTest::newRow("listen IPv6 without brackets")
        << at3(service, "listen = ::1:8470") << 3 << "an IPv6 address must be in brackets";
    QTest::newRow("listen unclosed bracket")
        << at3(service, "listen = [::1:8470") << 3 << "needs its brackets and a port";
    QTest::newRow("listen host name") << at3(service, "listen = example.com:80") << 3
                                      << "'example.com' is not an IPv4 address or localhost";
    QTest::newRow("listen bad IPv4")
        << at3(service, "listen = 10.0.0.256:80") << 3 << "'10.0.0.256' is not an IPv4 address";
    QTest::newRow("listen bad IPv6")
        << at3(service, "listen = [fe80::zz]:80") << 3 << "'fe80::zz' is not an IPv6 address";
    QTest::newRow("relative database") << at3(service, "database = data/u.db") << 3
                                       << "[service] database: 'data/u.db' is a relative path";
    QTest::newRow("empty database")
        << at3(service, "database =    ; none") << 3
        << "[service] database: is empty; give a value or leave the key out";
    QTest::newRow("empty listen") << at3(service, "listen =") << 3 << "[service] listen: is empty";
    QTest::newRow("relative token file") << at3(service, "admin_token_file = admin.token") << 3
                                         << "[service] admin_token_file: 'admin.token' is a "
                                            "relative path";
    QTest::newRow("relative certificate")
        << at3(service, "tls_certificate = c.pem") << 3 << "[service] tls_certificate: 'c.pem'";
    QTest::newRow("certificate without key")
        << at3(service, "tls_certificate = /etc/c.pem") << 3
        << "[service] tls_certificate: is set but tls_key is not; set both for HTTPS, or "
           "neither for plain HTTP";
    QTest::newRow("key without certificate")
        << "[service]\ntls_certificate =\n\ntls_key = /etc/c.key\n"
        << 4 << "[service] tls_key: is set but tls_certificate is not";
    QTest::newRow("body limit too small")
        << at3(service, "max_body_bytes = 1023") << 3
        << "[service] max_body_bytes: must be a whole number from 1024 to 1073741824, got '1023'";
    QTest::newRow("body limit too large")
        << at3(service, "max_body_bytes = 1073741825") << 3 << "got '1073741825'";
    QTest::newRow("body limit with unit")
        << at3(service, "max_body_bytes = 1MiB") << 3 << "must be a whole number from 1024";
    QTest::newRow("body limit with sign")
        << at3(service, "max_body_bytes = +2048") << 3 << "must be a whole number from 1024";
    QTest::newRow("risk above 1") << at3(policy, "target_risk = 1.5") << 3
                                  << "[policy] target_risk: must be a probability from 0 to 1, "
                                     "got '1.5'";
    QTest::newRow("negative risk")
        << at3(policy, "target_risk = -0.1") << 3 << "[policy] target_risk: must be a probability";
    QTest::newRow("risk nan") << at3(policy, "target_risk = nan") << 3 << "got 'nan'";
    QTest::newRow("risk percent") << at3(policy, "target_risk = 0.01%") << 3 << "got '0.01%'";
    QTest::newRow("unknown step") << at3(policy, "contention = headroom, steal") << 3
                                  << "[policy] contention: 'steal' is not a step; list headroom, "
                                     "preempt, partial_cpu and deny";
    QTest::newRow("step twice") << at3(policy, "contention = headroom, preempt, headroom") << 3
                                << "[policy] contention: 'headroom' is listed twice";
    QTest::newRow("deny not last") << at3(policy, "contention = headroom, deny, preempt") << 3
                                   << "[policy] contention: deny must be the last step";
    QTest::newRow("empty step") << at3(policy, "contention = headroom,,deny") << 3
                                << "[policy] contention: has an empty item";
    QTest::newRow("restore_preempted") << at3(policy, "restore_preempted = maybe") << 3
                                       << "[policy] restore_preempted: must be true or false "
                                          "(or yes/no, on/off, 1/0), got 'maybe'";
    QTest::newRow("missing uri") << "[service]\n\n[appliance.a]\nreserve_vcpus = 1\n"
                                 << 3
                                 << "[appliance.a]: missing key uri; add e.g. 'uri = "
                                    "qemu:///system'";
    QTest::newRow("uri not a URI") << at3("[appliance.a]", "uri = /var/run/libvirt/sock") << 3
                                   << "[appliance.a] uri: must be a libvirt URI such as "
                                      "qemu:///system";
    QTest::newRow("negative memory reserve")
        << appliance + "\n\nreserve_memory_mib = -1\n"
        << 4
        << "[appliance.a] reserve_memory_mib: must be a whole number from 0 to 1099511627776, "
           "got '-1'";
    QTest::newRow("fractional vCPU reserve") << appliance + "\n\nreserve_vcpus = 1.5\n"
                                             << 4
                                             << "[appliance.a] reserve_vcpus: must be a whole "
                                                "number from 0 to 1048576";
    QTest::newRow("overcommit 0") << appliance + "\n\ncpu_overcommit = 0\n"
                                  << 4
                                  << "[appliance.a] cpu_overcommit: must be a ratio above 0 and "
                                     "at most 64, got '0'";
    QTest::newRow("overcommit above 64") << appliance + "\n\ncpu_overcommit = 64.5\n"
                                         << 4 << "got '64.5'";
    QTest::newRow("relative template") << appliance + "\n\ndomain_template = node.xml\n"
                                       << 4
                                       << "[appliance.a] domain_template: 'node.xml' is a "
                                          "relative path";
    QTest::newRow("recreate_missing")
        << appliance + "\n\nrecreate_missing = 2\n"
        << 4 << "[appliance.a] recreate_missing: must be true or false";
    QTest::newRow("relative fence_command")
        << appliance + "\n\nfence_command = fence_ipmilan --action=off\n"
        << 4 << "[appliance.a] fence_command: program 'fence_ipmilan' is not an absolute path";
    QTest::newRow("lost_after_s without fence_command")
        << appliance + "\n\nlost_after_s = 30\n"
        << 4 << "[appliance.a] lost_after_s: needs a fence_command";
    QTest::newRow("negative lost_after_s")
        << appliance + "\n\nfence_command = /bin/true\nlost_after_s = -1\n"
        << 5 << "[appliance.a] lost_after_s:";
    QTest::newRow("same URI twice")
        << "[appliance.a]\nuri = qemu:///system\n[appliance.b]\nuri = qemu:///system\n"
        << 4 << "[appliance.b] uri: 'qemu:///system' is already appliance a's";
    QTest::newRow("probe without command") << "[probe.erp]\ninterval_s = 30\n"
                                           << 1 << "[probe.erp]: missing key command";
    QTest::newRow("probe command blank")
        << at3("[probe.erp]", "command =  ") << 3 << "[probe.erp] command: is empty; give a value";
    QTest::newRow("probe command relative")
        << at3("[probe.erp]", "command = bin/check erp") << 3
        << "[probe.erp] command: program 'bin/check' is not an absolute path; give the "
           "program's full path (e.g. /usr/sbin/check)";
    QTest::newRow("probe command bare name")
        << at3("[probe.erp]", "command = fence_ipmilan --action=status") << 3
        << "[probe.erp] command: program 'fence_ipmilan' is not an absolute path";
    QTest::newRow("hook command bare name")
        << at3("[hook.h]\nevents = *", "command = notify-admin") << 4
        << "[hook.h] command: program 'notify-admin' is not an absolute path";
    QTest::newRow("probe command only quotes")
        << at3("[probe.erp]", "command = \"\"") << 3 << "[probe.erp] command: must name a program";
    QTest::newRow("probe interval too short") << probe + "\n\ninterval_s = 1\n"
                                              << 4
                                              << "[probe.erp] interval_s: must be a whole number "
                                                 "from 2 to 86400, got '1'";
    QTest::newRow("probe timeout not below interval")
        << probe + "\ninterval_s = 30\ntimeout_s = 30\n"
        << 4
        << "[probe.erp] timeout_s: the timeout (30 s) must be shorter than the interval (30 s)";
    QTest::newRow("probe interval below the default timeout")
        << probe + "\ninterval_s = 5\n"
        << 3
        << "[probe.erp] interval_s: the timeout (10 s) must be shorter than the interval (5 s)";
    QTest::newRow("probe timeout 0") << probe + "\n\ntimeout_s = 0\n"
                                     << 4 << "[probe.erp] timeout_s: must be a whole number from 1";
    QTest::newRow("hook without events") << "[hook.h]\ncommand = /bin/true\n"
                                         << 1
                                         << "[hook.h]: missing key events; add e.g. 'events = "
                                            "takeover.*, fence.*'";
    QTest::newRow("hook without command") << "[hook.h]\nevents = *\n"
                                          << 1 << "[hook.h]: missing key command";
    QTest::newRow("hook event prefix without pattern")
        << at3("[hook.h]\ncommand = /bin/true", "events = takeover") << 4
        << "[hook.h] events: 'takeover' is not an event kind";
    QTest::newRow("hook unknown kind") << at3("[hook.h]\ncommand = /bin/true",
                                              "events = fence.on, "
                                              "fence.kill")
                                       << 4 << "'fence.kill' is not an event kind";
    QTest::newRow("hook prefix matching nothing")
        << at3("[hook.h]\ncommand = /bin/true", "events = disk.*") << 4
        << "[hook.h] events: 'disk.*' matches no event kind";
    QTest::newRow("hook glob in the middle")
        << at3("[hook.h]\ncommand = /bin/true", "events = take*") << 4
        << "'take*' is not an event kind";
    QTest::newRow("hook kind twice") << at3("[hook.h]\ncommand = /bin/true",
                                            "events = release, "
                                            "release")
                                     << 4 << "[hook.h] events: 'release' is listed twice";
    QTest::newRow("hook empty event") << at3("[hook.h]\ncommand = /bin/true", "events = release,")
                                      << 4 << "[hook.h] events: has an empty item";
    QTest::newRow("hook timeout too long") << hook + "\ntimeout_s = 3601\n"
                                           << 4
                                           << "[hook.h] timeout_s: must be a whole number from 1 "
                                              "to 3600, got '3601'";
}

void TestServiceConfig::rejectsABadValueNamingFileLineAndKey() {
    verifyRejection();
}

void TestServiceConfig::rejectsABadStructureNamingTheLine_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("message");

    QTest::newRow("unknown section")
        << "[service]\n[server]\nlisten = 127.0.0.1:1\n"
        << 2
        << "unknown section [server]; the sections are [service], [policy], [appliance.NAME], "
           "[probe.CLUSTER] and [hook.NAME]";
    QTest::newRow("section names are case-sensitive") << "[Service]\n"
                                                      << 1 << "unknown section [Service]";
    QTest::newRow("service takes no name") << "[service.main]\n"
                                           << 1 << "unknown section [service.main]";
    QTest::newRow("appliance without name") << "\n[appliance]\nuri = qemu:///system\n"
                                            << 2
                                            << "section [appliance] needs a name: write "
                                               "[appliance.NAME]";
    QTest::newRow("probe without cluster") << "[probe.]\n"
                                           << 1
                                           << "[probe.]: the cluster "
                                              "must not be empty";
    QTest::newRow("name with a blank") << "[appliance.pna 1]\nuri = qemu:///system\n"
                                       << 1 << "[appliance.pna 1]: the name \"pna 1\" contains ' '";
    QTest::newRow("name starting with a dash") << "[hook.-x]\n" << 1 << "starts with '-'";
    QTest::newRow("name too long") << "[appliance." + QString(64, u'a') + "]\n"
                                   << 1 << "at most 63 are allowed";
    QTest::newRow("unknown service key") << "[service]\nlisten = 127.0.0.1:1\nport = 8470\n"
                                         << 3
                                         << "[service] port: unknown key; [service] knows listen, "
                                            "database, admin_token_file, tls_certificate, "
                                            "tls_key, max_body_bytes, history_interval_s";
    QTest::newRow("unknown policy key") << "[policy]\ntarget = 0.1\n"
                                        << 2 << "[policy] target: unknown key";
    QTest::newRow("unknown appliance key")
        << "[appliance.a]\nuri = qemu:///system\nmemory_mib = 1024\n"
        << 3
        << "[appliance.a] memory_mib: unknown key; [appliance.a] knows uri, reserve_memory_mib, "
           "reserve_vcpus, cpu_overcommit, domain_template, recreate_missing, fence_command, "
           "lost_after_s";
    QTest::newRow("keys are case-sensitive") << "[appliance.a]\nURI = qemu:///system\n"
                                             << 2 << "[appliance.a] URI: unknown key";
    QTest::newRow("unknown probe key") << "[probe.erp]\ncommand = /bin/true\nretries = 3\n"
                                       << 3 << "[probe.erp] retries: unknown key";
    QTest::newRow("unknown hook key") << "[hook.h]\ncommand = /bin/true\nevents = *\nuser = x\n"
                                      << 4 << "[hook.h] user: unknown key";
    QTest::newRow("key twice") << "[policy]\nadmission = warn\n\nadmission = warn\n"
                               << 4
                               << "[policy] admission: given twice (first on line 2); keep one";
    QTest::newRow("section twice") << "[policy]\n[service]\n[policy]\n"
                                   << 3
                                   << "section [policy] is given twice (first on line 1); merge "
                                      "the two into one";
    QTest::newRow("named section twice")
        << "[appliance.a]\nuri = test:///default\n[appliance.a ]\nuri = qemu:///system\n"
        << 3 << "section [appliance.a] is given twice (first on line 1)";
    QTest::newRow("key before any section") << "# header\nlisten = 127.0.0.1:1\n[service]\n"
                                            << 2 << "key 'listen' comes before any section";
    QTest::newRow("line without =") << "[service]\nlisten 127.0.0.1:1\n"
                                    << 2
                                    << "expected 'key = value', a [section] or a comment, got "
                                       "'listen 127.0.0.1:1'";
    QTest::newRow("unclosed header") << "[service\n" << 1 << "malformed section header '[service'";
    QTest::newRow("text after header") << "[service] listen = 127.0.0.1:1\n"
                                       << 1 << "malformed section header";
    QTest::newRow("value without key") << "[service]\n = /x\n" << 2 << "a value without a key";
    QTest::newRow("control character quoted") << "[policy]\nadmission = warn\x01\n"
                                              << 2 << "got 'warn\\x01'";
}

void TestServiceConfig::rejectsABadStructureNamingTheLine() {
    verifyRejection();
}

void TestServiceConfig::readsCrlfLinesAndAByteOrderMark() {
    const std::string text =
        "\xEF\xBB\xBF[service]\r\nlisten = [::1]:9000 ; loopback\r\n\r\n[appliance.a]\r\n"
        "uri = test:///default\r\n";
    const Result<ServiceConfig> config = parseServiceConfig(text, kSource);
    QVERIFY_OK(config);
    QCOMPARE(config->service.listen, (ListenAddress{"::1", 9000}));
    QCOMPARE(config->appliances.front().uri, std::string("test:///default"));

    const Result<ServiceConfig> bad =
        parseServiceConfig("[service]\r\n\r\nlisten = nowhere\r\n", kSource);
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().where, std::string("understudyd.conf:3"));
}

void TestServiceConfig::hookPatternsMatchEventKinds_data() {
    QTest::addColumn<QString>("events");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<bool>("matches");

    QTest::newRow("star matches all") << "*"
                                      << "service.started" << true;
    QTest::newRow("prefix matches its kinds") << "takeover.*"
                                              << "takeover.denied" << true;
    QTest::newRow("prefix needs the dot") << "node.*"
                                          << "nodes.x" << false;
    QTest::newRow("prefix does not match others") << "takeover.*"
                                                  << "release" << false;
    QTest::newRow("exact kind") << "release"
                                << "release" << true;
    QTest::newRow("exact kind is not a prefix") << "fence.on"
                                                << "fence.off" << false;
    QTest::newRow("any of several") << "release, fence.*"
                                    << "fence.reboot" << true;
}

void TestServiceConfig::hookPatternsMatchEventKinds() {
    QFETCH(QString, events);
    QFETCH(QString, kind);
    QFETCH(bool, matches);
    const Result<ServiceConfig> config = parseServiceConfig(
        "[hook.h]\ncommand = /bin/true\nevents = " + events.toStdString() + "\n", kSource);
    QVERIFY_OK(config);
    QCOMPARE(config->hooks.front().matches(kind.toStdString()), matches);
}

void TestServiceConfig::aNonDemoStartNeedsAnApplianceAndSaysHowToAddOne() {
    const Result<ServiceConfig> config =
        effectiveConfig(CommandLine{}, ConfigFile{"/etc/u.conf", "[service]\n"}, kNodeFile);
    QVERIFY(!config.ok());
    QCOMPARE(config.error().where, std::string("/etc/u.conf"));
    const QString message = QString::fromStdString(config.error().message);
    QVERIFY2(message.contains("no appliance is configured"), qPrintable(message));
    QVERIFY2(message.contains("[appliance.local]"), qPrintable(message));
    QVERIFY2(message.contains("uri = qemu:///system"), qPrintable(message));
    QVERIFY2(message.contains("--demo"), qPrintable(message));

    const Result<ServiceConfig> nothing = effectiveConfig(CommandLine{}, std::nullopt, kNodeFile);
    QVERIFY(!nothing.ok());
    QVERIFY(QString::fromStdString(nothing.error().message).contains("--config"));
}

void TestServiceConfig::demoWithoutConfigUsesTheEmbeddedDemo() {
    const Result<ServiceConfig> config =
        effectiveConfig(commandLine({"--demo"}), std::nullopt, kNodeFile);
    QVERIFY_OK(config);
    QVERIFY(config->demo);
    QVERIFY(config->temporary_database);
    QVERIFY(config->service.database.empty());
    QCOMPARE(config->service.listen.toString(), std::string("127.0.0.1:8470"));
    QCOMPARE(config->policy, PolicySection{});
    QCOMPARE(config->appliances.size(), std::size_t{1});
    const ApplianceSection& demo = config->appliances.front();
    QCOMPARE(demo.name, std::string("demo"));
    QCOMPARE(demo.uri, std::string("test:///usr/share/understudy/demo-appliance.xml"));
    QVERIFY(demo.recreate_missing);
    QVERIFY(demo.domain_template.empty());
    QCOMPARE(demo.reserve_memory_mib, 0);
    QCOMPARE(demo.cpu_overcommit, 1.0);
    QVERIFY(config->probes.empty());
    QVERIFY(config->hooks.empty());

    const Result<ServiceConfig> with_database = effectiveConfig(
        commandLine({"--demo", "--database", "/tmp/demo.db", "--listen", "localhost:9999"}),
        std::nullopt, kNodeFile);
    QVERIFY_OK(with_database);
    QVERIFY(!with_database->temporary_database);
    QCOMPARE(with_database->service.database, std::string("/tmp/demo.db"));
    QCOMPARE(with_database->service.listen.toString(), std::string("localhost:9999"));
}

void TestServiceConfig::demoNodeFileBecomesAnAbsoluteTestDriverUri() {
    const ServiceConfig relative = demoConfig("appliance/data/demo-appliance.xml");
    QCOMPARE(QString::fromStdString(relative.appliances.front().uri),
             "test://" + QDir::currentPath() + "/appliance/data/demo-appliance.xml");
    const ServiceConfig blank = demoConfig("/opt/my demo/node.xml");
    QCOMPARE(blank.appliances.front().uri, std::string("test:///opt/my%20demo/node.xml"));
}

void TestServiceConfig::demoWithConfigKeepsTheFileAndAddsTheDemoApplianceOnlyWhenNone() {
    const std::string service = "[service]\ndatabase = /srv/u.db\n[policy]\nadmission = warn\n";
    const Result<ServiceConfig> without_appliance =
        effectiveConfig(commandLine({"--demo", "--config", "/etc/u.conf"}),
                        ConfigFile{"/etc/u.conf", service}, kNodeFile);
    QVERIFY_OK(without_appliance);
    QVERIFY(without_appliance->demo);
    QVERIFY(!without_appliance->temporary_database);
    QCOMPARE(without_appliance->service.database, std::string("/srv/u.db"));
    QVERIFY(without_appliance->policy.admission == AdmissionMode::warn);
    QCOMPARE(without_appliance->appliances.size(), std::size_t{1});
    QCOMPARE(without_appliance->appliances.front().name, std::string("demo"));
    QVERIFY(without_appliance->appliances.front().recreate_missing);
    QCOMPARE(without_appliance->source, std::string("/etc/u.conf"));

    const Result<ServiceConfig> with_appliance =
        effectiveConfig(commandLine({"--demo", "--config", "/etc/u.conf"}),
                        ConfigFile{"/etc/u.conf", service + kOneAppliance}, kNodeFile);
    QVERIFY_OK(with_appliance);
    QCOMPARE(with_appliance->appliances.size(), std::size_t{1});
    QCOMPARE(with_appliance->appliances.front().name, std::string("pna-1"));
}

void TestServiceConfig::commandLineOverridesTheFile() {
    const std::string text =
        "[service]\nlisten = 10.0.0.1:8470\ndatabase = /srv/u.db\n"
        "max_body_bytes = 2048\n" +
        std::string(kOneAppliance);
    const ConfigFile file{"/etc/u.conf", text};

    const Result<ServiceConfig> from_file = effectiveConfig(CommandLine{}, file, kNodeFile);
    QVERIFY_OK(from_file);
    QCOMPARE(from_file->service.listen.toString(), std::string("10.0.0.1:8470"));
    QCOMPARE(from_file->service.database, std::string("/srv/u.db"));
    QVERIFY(!from_file->demo);

    const Result<ServiceConfig> overridden = effectiveConfig(
        commandLine({"--listen=[::1]:9443", "--database", "/var/tmp/other.db"}), file, kNodeFile);
    QVERIFY_OK(overridden);
    QCOMPARE(overridden->service.listen.toString(), std::string("[::1]:9443"));
    QCOMPARE(overridden->service.database, std::string("/var/tmp/other.db"));
    QCOMPARE(overridden->service.max_body_bytes, 2048);
    QVERIFY(!overridden->temporary_database);

    // A bad file stays an error whatever the command line overrides.
    const Result<ServiceConfig> bad =
        effectiveConfig(commandLine({"--listen", "127.0.0.1:1"}),
                        ConfigFile{"/etc/u.conf", "[service]\nlisten = nowhere\n"}, kNodeFile);
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().where, std::string("/etc/u.conf:2"));
}

void TestServiceConfig::parsesTheCommandLine_data() {
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("expected");

    const QString cwd = QDir::currentPath();
    QTest::newRow("nothing") << QStringList{} << "";
    QTest::newRow("config") << QStringList{"--config", "/etc/u.conf"} << "config=/etc/u.conf";
    QTest::newRow("config with =") << QStringList{"--config=u.conf"} << "config=u.conf";
    QTest::newRow("demo") << QStringList{"--demo"} << "demo";
    QTest::newRow("IPv4 listen") << QStringList{"--listen", "0.0.0.0:80"} << "listen=0.0.0.0:80";
    QTest::newRow("IPv6 listen") << QStringList{"--listen=[::]:8470"} << "listen=[::]:8470";
    QTest::newRow("localhost listen")
        << QStringList{"--listen", "localhost:1"} << "listen=localhost:1";
    QTest::newRow("absolute database")
        << QStringList{"--database", "/srv/u.db"} << "database=/srv/u.db";
    QTest::newRow("relative database is made absolute")
        << QStringList{"--database", "u.db"} << "database=" + cwd + "/u.db";
    QTest::newRow("help") << QStringList{"--help"} << "help";
    QTest::newRow("short help") << QStringList{"-h"} << "help";
    QTest::newRow("version") << QStringList{"--version"} << "version";
    QTest::newRow("everything") << QStringList{"--demo",   "--config",    "/c",
                                               "--listen", "127.0.0.1:9", "--database=/d"}
                                << "config=/c demo listen=127.0.0.1:9 database=/d";
}

void TestServiceConfig::parsesTheCommandLine() {
    QFETCH(QStringList, arguments);
    QFETCH(QString, expected);
    const Result<CommandLine> command_line =
        parseCommandLine(QStringList{"/usr/sbin/understudyd"} + arguments);
    QVERIFY_OK(command_line);
    QCOMPARE(renderCommandLine(*command_line), expected);
}

void TestServiceConfig::rejectsABadCommandLineNamingTheOption_data() {
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("option");
    QTest::addColumn<QString>("message");

    QTest::newRow("unknown option") << QStringList{"--verbose"} << "--verbose"
                                    << "unknown option";
    QTest::newRow("unknown option with value") << QStringList{"--port=80"} << "--port"
                                               << "unknown option";
    QTest::newRow("positional argument") << QStringList{"/etc/u.conf"} << "/etc/u.conf"
                                         << "unexpected argument";
    QTest::newRow("missing config value") << QStringList{"--config"} << "--config"
                                          << "needs a value";
    QTest::newRow("empty database") << QStringList{"--database="} << "--database"
                                    << "needs a value";
    QTest::newRow("listen twice") << QStringList{"--listen", "127.0.0.1:1", "--listen=[::1]:2"}
                                  << "--listen"
                                  << "given twice";
    QTest::newRow("demo twice") << QStringList{"--demo", "--demo"} << "--demo"
                                << "given twice";
    QTest::newRow("flag with value") << QStringList{"--demo=yes"} << "--demo"
                                     << "takes no value";
    QTest::newRow("listen without port") << QStringList{"--listen", "127.0.0.1"} << "--listen"
                                         << "must be ADDR:PORT";
    QTest::newRow("listen port 0") << QStringList{"--listen=127.0.0.1:0"} << "--listen"
                                   << "must be ADDR:PORT (an IPv4 address, [IPv6] or "
                                      "localhost, and a port from 1 to 65535) but the port '0' "
                                      "is not from 1 to 65535, got '127.0.0.1:0'";
    QTest::newRow("listen host name") << QStringList{"--listen", "pna-1:8470"} << "--listen"
                                      << "'pna-1' is not an IPv4 address or localhost";
    QTest::newRow("single dash long option") << QStringList{"-demo"} << "-demo"
                                             << "unknown option";
}

void TestServiceConfig::rejectsABadCommandLineNamingTheOption() {
    QFETCH(QStringList, arguments);
    QFETCH(QString, option);
    QFETCH(QString, message);
    const Result<CommandLine> command_line =
        parseCommandLine(QStringList{"understudyd"} + arguments);
    QVERIFY(!command_line.ok());
    QCOMPARE(command_line.error().code, std::string("invalid_option"));
    const QString text = QString::fromStdString(command_line.error().describe());
    QVERIFY2(text.startsWith(option + ": "), qPrintable(text));
    QVERIFY2(text.contains(message), qPrintable(text));
    QVERIFY2(text.endsWith("; see understudyd --help"), qPrintable(text));
}

void TestServiceConfig::helpNamesEveryOption() {
    const QString help = QString::fromStdString(commandLineHelp());
    for (const char* option :
         {"--config FILE", "--demo", "--listen ADDR:PORT", "--database PATH", "--help", "--version",
          "127.0.0.1:8470", kDefaultConfigPath, kAdminTokenEnvironment}) {
        QVERIFY2(help.contains(QLatin1String(option)), option);
    }
}

void TestServiceConfig::loadsTheNamedOrTheDefaultFile() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString named = dir.filePath("named.conf");
    const QString fallback = dir.filePath("default.conf");
    QVERIFY(writeFile(named, "[appliance.named]\nuri = test:///default\n", kOwnerAndGroupRead));
    QVERIFY(
        writeFile(fallback, "[appliance.fallback]\nuri = test:///default\n", kOwnerAndGroupRead));

    const Result<ServiceConfig> from_named =
        loadEffectiveConfig(commandLine({"--config", named}), kNodeFile, fallback.toStdString());
    QVERIFY_OK(from_named);
    QCOMPARE(from_named->appliances.front().name, std::string("named"));
    QCOMPARE(from_named->source, named.toStdString());

    const Result<ServiceConfig> from_default =
        loadEffectiveConfig(CommandLine{}, kNodeFile, fallback.toStdString());
    QVERIFY_OK(from_default);
    QCOMPARE(from_default->appliances.front().name, std::string("fallback"));

    // A demo without --config never reads the default file, not even a valid one.
    const Result<ServiceConfig> demo =
        loadEffectiveConfig(commandLine({"--demo"}), kNodeFile, fallback.toStdString());
    QVERIFY_OK(demo);
    QCOMPARE(demo->appliances.front().name, std::string("demo"));

    const QString missing = dir.filePath("missing.conf");
    const Result<ServiceConfig> absent =
        loadEffectiveConfig(commandLine({"--config", missing}), kNodeFile, fallback.toStdString());
    QVERIFY(!absent.ok());
    QCOMPARE(absent.error().code, std::string("io"));
    QCOMPARE(absent.error().where, missing.toStdString());

    QVERIFY(writeFile(named, "[appliance.named]\n\nuri = nonsense\n", kOwnerAndGroupRead));
    const Result<ServiceConfig> bad =
        loadEffectiveConfig(commandLine({"--config", named}), kNodeFile, fallback.toStdString());
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().where, named.toStdString() + ":3");
}

void TestServiceConfig::readsTheAdminTokenFile_data() {
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<int>("permissions");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("expected");  // the token, or a part of the error message

    const int owner_group = static_cast<int>(kOwnerAndGroupRead.toInt());
    const QByteArray token = kGoodToken;
    QTest::newRow("one line") << token + "\n" << owner_group << true << QString(kGoodToken);
    QTest::newRow("no final newline") << token << owner_group << true << QString(kGoodToken);
    QTest::newRow("blanks and CRLF trimmed, later lines ignored")
        << "  \t" + token + " \r\nsecond line\n"
        << owner_group << true << QString(kGoodToken);
    QTest::newRow("owner only") << token + "\n"
                                << static_cast<int>(QFile::ReadOwner) << true
                                << QString(kGoodToken);
    QTest::newRow("exactly 4 KiB") << token + "\n" + QByteArray(4095 - token.size(), '#')
                                   << owner_group << true << QString(kGoodToken);
    QTest::newRow("empty") << QByteArray() << owner_group << false << "has an empty first line";
    QTest::newRow("blank first line") << "\n" + token + "\n"
                                      << owner_group << false << "has an empty first line";
    QTest::newRow("too long") << QByteArray(4097, 'a') << owner_group << false
                              << "is larger than 4 KiB";
    QTest::newRow("too short") << QByteArray("0123456789abcde\n") << owner_group << false
                               << "holds a token of 15 characters; at least 16";
    QTest::newRow("blank inside") << QByteArray("0123456789 abcdef\n") << owner_group << false
                                  << "holds a blank or a character outside printable ASCII";
    QTest::newRow("non-ASCII") << QByteArray("0123456789abcdef\xc3\xa9\n") << owner_group << false
                               << "outside printable ASCII";
    QTest::newRow("readable by others")
        << token + "\n"
        << static_cast<int>((kOwnerAndGroupRead | QFile::ReadOther).toInt()) << false
        << "may be read or written by any user of this host";
    QTest::newRow("writable by others")
        << token + "\n"
        << static_cast<int>((kOwnerAndGroupRead | QFile::WriteOther).toInt()) << false
        << "chmod o-rwx";
}

void TestServiceConfig::readsTheAdminTokenFile() {
    QFETCH(QByteArray, content);
    QFETCH(int, permissions);
    QFETCH(bool, ok);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("admin.token");
    QVERIFY(
        writeFile(path, content,
                  QFile::Permissions::fromInt(static_cast<QFile::Permissions::Int>(permissions))));

    const Result<std::string> token = readAdminTokenFile(path.toStdString());
    QCOMPARE(token.ok(), ok);
    if (ok) {
        QCOMPARE(QString::fromStdString(*token), expected);
        return;
    }
    QCOMPARE(token.error().where, path.toStdString());
    const QString message = QString::fromStdString(token.error().message);
    QVERIFY2(message.contains(expected), qPrintable(message));
    // No error ever repeats what the file holds.
    const QByteArray first_line = content.left(content.indexOf('\n')).trimmed();
    QVERIFY(first_line.isEmpty() || !message.contains(QString::fromUtf8(first_line)));
}

void TestServiceConfig::refusesAMissingOrNonRegularTokenFile() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string missing = dir.filePath("absent.token").toStdString();
    const Result<std::string> absent = readAdminTokenFile(missing);
    QVERIFY(!absent.ok());
    QCOMPARE(absent.error().code, std::string("io"));
    QCOMPARE(absent.error().where, missing);
    QVERIFY(QString::fromStdString(absent.error().message).contains("admin_token_file"));

    QVERIFY(QDir(dir.path()).mkdir("folder"));
    QVERIFY(QFile::setPermissions(dir.filePath("folder"), kOwnerAndGroupRead | QFile::ExeOwner));
    const Result<std::string> folder = readAdminTokenFile(dir.filePath("folder").toStdString());
    QVERIFY(!folder.ok());
    QVERIFY(QString::fromStdString(folder.error().message).contains("is not a regular file"));
}

void TestServiceConfig::demoTokenComesFromTheEnvironmentOrIsGenerated_data() {
    QTest::addColumn<bool>("set");
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("expected");  // the token, "generated", or part of the error

    QTest::newRow("unset") << false << QString() << true << "generated";
    QTest::newRow("set") << true << "demo-token" << true << "demo-token";
    QTest::newRow("set with blanks around") << true << "  demo-token\n" << true << "demo-token";
    QTest::newRow("set but empty")
        << true << "" << false << "UNDERSTUDY_ADMIN_TOKEN is set but empty";
    QTest::newRow("set but blank") << true << "   " << false << "is set but empty";
    QTest::newRow("blank inside") << true << "demo token" << false
                                  << "printable ASCII characters without blanks";
}

void TestServiceConfig::demoTokenComesFromTheEnvironmentOrIsGenerated() {
    QFETCH(bool, set);
    QFETCH(QString, value);
    QFETCH(bool, ok);
    QFETCH(QString, expected);
    const Result<AdminToken> token =
        demoAdminToken(set ? std::optional<std::string>(value.toStdString()) : std::nullopt);
    QCOMPARE(token.ok(), ok);
    if (!ok) {
        QVERIFY2(QString::fromStdString(token.error().message).contains(expected),
                 failure(token).constData());
        return;
    }
    if (expected == "generated") {
        QVERIFY(token->generated);
        QCOMPARE(token->value.size(), std::size_t{43});
    } else {
        QVERIFY(!token->generated);
        QCOMPARE(QString::fromStdString(token->value), expected);
    }
}

void TestServiceConfig::generatedTokensAreRandomAndUrlSafe() {
    QSet<QString> seen;
    for (int i = 0; i < 64; ++i) {
        const QString token = QString::fromStdString(generateAdminToken());
        QCOMPARE(token.size(), 43);  // 32 bytes in base64 without padding
        for (const QChar c : token) {
            QVERIFY2((c.isLetterOrNumber() && c.unicode() < 128) || c == u'-' || c == u'_',
                     qPrintable(token));
        }
        const QByteArray bytes = QByteArray::fromBase64(
            token.toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
        QCOMPARE(bytes.size(), 32);
        seen.insert(token);
    }
    QCOMPARE(seen.size(), 64);
}

void TestServiceConfig::adminTokenFollowsTheMode() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("admin.token");
    QVERIFY(writeFile(path, QByteArray(kGoodToken) + "\n", kOwnerAndGroupRead));
    const QByteArray saved = qgetenv(kAdminTokenEnvironment);
    const bool was_set = qEnvironmentVariableIsSet(kAdminTokenEnvironment);
    qputenv(kAdminTokenEnvironment, "from-the-environment");

    ServiceConfig config;
    config.service.admin_token_file = path.toStdString();
    const Result<AdminToken> from_file = adminToken(config);
    QVERIFY_OK(from_file);
    QCOMPARE(from_file->value, std::string(kGoodToken));
    QVERIFY(!from_file->generated);

    config.demo = true;
    const Result<AdminToken> from_environment = adminToken(config);
    QVERIFY_OK(from_environment);
    QCOMPARE(from_environment->value, std::string("from-the-environment"));
    QVERIFY(!from_environment->generated);

    qunsetenv(kAdminTokenEnvironment);
    const Result<AdminToken> generated = adminToken(config);
    QVERIFY_OK(generated);
    QVERIFY(generated->generated);
    QVERIFY(generated->value != kGoodToken);

    if (was_set) {
        qputenv(kAdminTokenEnvironment, saved);
    }
}

QTEST_GUILESS_MAIN(TestServiceConfig)
#include "test_service_config.moc"

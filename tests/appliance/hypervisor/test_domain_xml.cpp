#include <QtTest>

#include "appliance/hypervisor/domain_xml.h"
#include "tests/support/golden_file.h"
#include "tests/support/result_checks.h"
#include "tests/support/source_files.h"

using namespace understudy;
using namespace understudy::hypervisor;
using namespace understudy::testsupport;

namespace {

DomainSpec erpSpec(sizing::MemoryMode mode, bool scheduler_cap) {
    DomainSpec spec;
    spec.name = "erp-passive";
    spec.uuid = "5f1c6a52-8a3e-4d0b-9c61-2f7e0c1d9a10";
    spec.node.cluster = "erp";
    spec.node.node = "erp-passive";
    spec.node.standby = {1, 2048};
    spec.node.active = {8, 32768};
    spec.node.memory_mode = mode;
    spec.scheduler_cap = scheduler_cap;
    return spec;
}

}  // namespace

class TestDomainXml : public QObject {
    Q_OBJECT
private slots:
    void rendersTheGoldenXml_data();
    void rendersTheGoldenXml();
    void keepsTheTemplatesIdentityWhenNoUuidIsGiven();
    void rejectsABrokenTemplate_data();
    void rejectsABrokenTemplate();
    void rejectsFootprintsThatCannotBeANode_data();
    void rejectsFootprintsThatCannotBeANode();
    void namesTheMissingTemplateFile();
    void metadataSurvivesARoundTrip_data();
    void metadataSurvivesARoundTrip();
    void readsMetadataInLibvirtsOwnFormatting_data();
    void readsMetadataInLibvirtsOwnFormatting();
    void writesBareMetadataForTheLibvirtApi();
    void rejectsMetadataItCannotTrust_data();
    void rejectsMetadataItCannotTrust();
};

void TestDomainXml::rendersTheGoldenXml_data() {
    QTest::addColumn<QString>("templateFile");
    QTest::addColumn<int>("memoryMode");
    QTest::addColumn<bool>("schedulerCap");
    QTest::addColumn<QString>("golden");

    const QString shipped = QStringLiteral("appliance/data/passive-node.xml");
    const QString rich = QStringLiteral("tests/appliance/data/rich-template.xml");
    const int balloon = static_cast<int>(sizing::MemoryMode::balloon);
    const int reserved = static_cast<int>(sizing::MemoryMode::reserved);
    QTest::newRow("balloon") << shipped << balloon << false << "passive-node-balloon.xml";
    QTest::newRow("reserved") << shipped << reserved << false << "passive-node-reserved.xml";
    QTest::newRow("balloon, capped")
        << shipped << balloon << true << "passive-node-balloon-capped.xml";
    QTest::newRow("reserved, capped")
        << shipped << reserved << true << "passive-node-reserved-capped.xml";
    QTest::newRow("rich template, capped") << rich << balloon << true << "rich-capped.xml";
    QTest::newRow("rich template, uncapped") << rich << reserved << false << "rich-uncapped.xml";
}

// Golden files in the manner of libvirt's tests (tests/support/golden_file.h).
void TestDomainXml::rendersTheGoldenXml() {
    QFETCH(QString, templateFile);
    QFETCH(int, memoryMode);
    QFETCH(bool, schedulerCap);
    QFETCH(QString, golden);

    auto domain_template = loadDomainTemplate(sourcePath(templateFile).toStdString());
    QVERIFY_OK(domain_template);
    auto xml = renderDomainXml(*domain_template,
                               erpSpec(static_cast<sizing::MemoryMode>(memoryMode), schedulerCap));
    QVERIFY_OK(xml);
    QVERIFY_GOLDEN(QByteArray::fromStdString(*xml),
                   QStringLiteral("tests/appliance/data/") + golden);
}

void TestDomainXml::keepsTheTemplatesIdentityWhenNoUuidIsGiven() {
    auto domain_template = loadDomainTemplate(
        sourcePath(QStringLiteral("tests/appliance/data/rich-template.xml")).toStdString());
    QVERIFY(domain_template.ok());
    DomainSpec spec = erpSpec(sizing::MemoryMode::balloon, false);
    spec.uuid.clear();
    auto xml = renderDomainXml(*domain_template, spec);
    QVERIFY(xml.ok());
    QVERIFY(QString::fromStdString(*xml).contains(
        QStringLiteral("<uuid>00000000-0000-0000-0000-000000000001</uuid>")));

    auto shipped = loadDomainTemplate(
        sourcePath(QStringLiteral("appliance/data/passive-node.xml")).toStdString());
    QVERIFY(shipped.ok());
    auto without_uuid = renderDomainXml(*shipped, spec);
    QVERIFY(without_uuid.ok());
    QVERIFY(!QString::fromStdString(*without_uuid).contains(QStringLiteral("<uuid>")));
}

void TestDomainXml::rejectsABrokenTemplate_data() {
    QTest::addColumn<QString>("xml");
    QTest::addColumn<QString>("messagePart");
    QTest::newRow("not XML") << "<domain type='test'><name>x</domain>"
                             << "not well-formed XML";
    QTest::newRow("empty") << ""
                           << "not well-formed XML";
    QTest::newRow("not a domain") << "<network><name>x</name></network>"
                                  << "<network>";
    QTest::newRow("unknown placeholder")
        << "<domain type='test'><description>${node}</description></domain>"
        << "${node}";
    QTest::newRow("unterminated placeholder")
        << "<domain type='test'><description>${name</description></domain>"
        << "${name";
}

void TestDomainXml::rejectsABrokenTemplate() {
    QFETCH(QString, xml);
    QFETCH(QString, messagePart);
    auto rendered = renderDomainXml(DomainTemplate{"/etc/understudy/bad.xml", xml.toStdString()},
                                    erpSpec(sizing::MemoryMode::balloon, false));
    QVERIFY(!rendered.ok());
    QCOMPARE(QString::fromStdString(rendered.error().code), QStringLiteral("invalid_template"));
    QVERIFY2(QString::fromStdString(rendered.error().message).contains(messagePart),
             rendered.error().message.c_str());
    QVERIFY(QString::fromStdString(rendered.error().where).startsWith(u"/etc/understudy/bad.xml"));
}

void TestDomainXml::rejectsFootprintsThatCannotBeANode_data() {
    QTest::addColumn<qint64>("standbyVcpus");
    QTest::addColumn<qint64>("standbyMib");
    QTest::addColumn<qint64>("activeVcpus");
    QTest::addColumn<qint64>("activeMib");
    QTest::newRow("no standby vCPU") << qint64(0) << qint64(2048) << qint64(8) << qint64(32768);
    QTest::newRow("no standby memory") << qint64(1) << qint64(0) << qint64(8) << qint64(32768);
    QTest::newRow("active vCPUs below standby")
        << qint64(4) << qint64(2048) << qint64(2) << qint64(32768);
    QTest::newRow("active memory below standby")
        << qint64(1) << qint64(4096) << qint64(8) << qint64(2048);
}

void TestDomainXml::rejectsFootprintsThatCannotBeANode() {
    QFETCH(qint64, standbyVcpus);
    QFETCH(qint64, standbyMib);
    QFETCH(qint64, activeVcpus);
    QFETCH(qint64, activeMib);
    DomainSpec spec = erpSpec(sizing::MemoryMode::balloon, false);
    spec.node.standby = {standbyVcpus, standbyMib};
    spec.node.active = {activeVcpus, activeMib};
    auto rendered = renderDomainXml(
        DomainTemplate{"inline", "<domain type='test'><os><type>hvm</type></os></domain>"}, spec);
    QVERIFY(!rendered.ok());
    QCOMPARE(QString::fromStdString(rendered.error().code), QStringLiteral("invalid_argument"));
    QCOMPARE(QString::fromStdString(rendered.error().where),
             QStringLiteral("domain 'erp-passive'"));
}

void TestDomainXml::namesTheMissingTemplateFile() {
    QTemporaryDir dir;
    const std::string path = (dir.path() + QStringLiteral("/missing.xml")).toStdString();
    auto loaded = loadDomainTemplate(path);
    QVERIFY(!loaded.ok());
    QCOMPARE(loaded.error().where, path);
    QVERIFY(QString::fromStdString(loaded.error().message).contains(u"domain_template"));
}

void TestDomainXml::metadataSurvivesARoundTrip_data() {
    QTest::addColumn<int>("memoryMode");
    QTest::addColumn<QString>("cluster");
    QTest::newRow("balloon") << static_cast<int>(sizing::MemoryMode::balloon) << "erp";
    QTest::newRow("reserved, odd name")
        << static_cast<int>(sizing::MemoryMode::reserved) << "R&D <'lab'> \"2\"";
}

void TestDomainXml::metadataSurvivesARoundTrip() {
    QFETCH(int, memoryMode);
    QFETCH(QString, cluster);
    NodeMetadata metadata;
    metadata.cluster = cluster.toStdString();
    metadata.node = "node-1";
    metadata.standby = {2, 4096};
    metadata.active = {16, 65536};
    metadata.memory_mode = static_cast<sizing::MemoryMode>(memoryMode);
    auto parsed = parseNodeMetadata(formatNodeMetadata(metadata), "domain 'node-1'");
    QVERIFY_OK(parsed);
    QVERIFY(*parsed == metadata);
}

void TestDomainXml::readsMetadataInLibvirtsOwnFormatting_data() {
    QTest::addColumn<QString>("xml");
    // virDomainGetMetadata hands the element back stripped of its namespace (the caller named
    // it), reformatted by libxml2: double quotes, its own indentation.
    QTest::newRow("from virDomainGetMetadata")
        << "<node cluster=\"erp\" node=\"erp-passive\" memory_mode=\"reserved\">\n"
           "  <standby vcpus=\"1\" memory_mib=\"2048\"/>\n"
           "  <active vcpus=\"8\" memory_mib=\"32768\"/>\n"
           "</node>";
    // Inside a domain's <metadata> (virsh dumpxml) it keeps its prefix and namespace.
    QTest::newRow("from the domain XML")
        << "<understudy:node xmlns:understudy=\"urn:understudy:passive-node:1\" cluster=\"erp\" "
           "node=\"erp-passive\" memory_mode=\"reserved\">\n"
           "      <understudy:standby vcpus=\"1\" memory_mib=\"2048\"/>\n"
           "      <understudy:active vcpus=\"8\" memory_mib=\"32768\"/>\n"
           "    </understudy:node>";
}

void TestDomainXml::readsMetadataInLibvirtsOwnFormatting() {
    QFETCH(QString, xml);
    auto parsed = parseNodeMetadata(xml.toStdString(), "domain 'erp-passive'");
    QVERIFY_OK(parsed);
    QCOMPARE(parsed->cluster, std::string("erp"));
    QCOMPARE(parsed->node, std::string("erp-passive"));
    QVERIFY(parsed->memory_mode == sizing::MemoryMode::reserved);
    QVERIFY((parsed->standby == sizing::Footprint{1, 2048}));
    QVERIFY((parsed->active == sizing::Footprint{8, 32768}));
}

void TestDomainXml::writesBareMetadataForTheLibvirtApi() {
    const std::string bare = formatNodeMetadata(
        NodeMetadata{"erp", "erp-passive", {1, 2048}, {8, 32768}, sizing::MemoryMode::balloon},
        MetadataForm::bare);
    QCOMPARE(QString::fromStdString(bare),
             QStringLiteral("<node cluster='erp' node='erp-passive' memory_mode='balloon'>\n"
                            "  <standby vcpus='1' memory_mib='2048'/>\n"
                            "  <active vcpus='8' memory_mib='32768'/>\n"
                            "</node>\n"));
}

void TestDomainXml::rejectsMetadataItCannotTrust_data() {
    QTest::addColumn<QString>("xml");
    const QString head =
        QStringLiteral("<u:node xmlns:u='urn:understudy:passive-node:1' cluster='erp'>");
    QTest::newRow("other namespace")
        << "<u:node xmlns:u='urn:other' cluster='erp'><u:standby vcpus='1' memory_mib='1'/>"
           "<u:active vcpus='1' memory_mib='1'/></u:node>";
    QTest::newRow("no cluster")
        << "<u:node xmlns:u='urn:understudy:passive-node:1'><u:standby vcpus='1' "
           "memory_mib='1'/><u:active vcpus='1' memory_mib='1'/></u:node>";
    QTest::newRow("no active footprint") << head + "<u:standby vcpus='1' memory_mib='1'/></u:node>";
    QTest::newRow("fractional vCPUs")
        << head +
               "<u:standby vcpus='0.5' memory_mib='1'/><u:active vcpus='1' "
               "memory_mib='1'/></u:node>";
    QTest::newRow("unknown memory mode")
        << "<u:node xmlns:u='urn:understudy:passive-node:1' cluster='erp' memory_mode='swap'>"
           "<u:standby vcpus='1' memory_mib='1'/><u:active vcpus='1' memory_mib='1'/></u:node>";
    QTest::newRow("truncated") << head;
}

void TestDomainXml::rejectsMetadataItCannotTrust() {
    QFETCH(QString, xml);
    auto parsed = parseNodeMetadata(xml.toStdString(), "domain 'x' on test:///default");
    QVERIFY(!parsed.ok());
    QCOMPARE(QString::fromStdString(parsed.error().code), QStringLiteral("invalid_metadata"));
    QCOMPARE(QString::fromStdString(parsed.error().where),
             QStringLiteral("domain 'x' on test:///default"));
}

QTEST_GUILESS_MAIN(TestDomainXml)
#include "test_domain_xml.moc"

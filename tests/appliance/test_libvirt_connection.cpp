#include <QtTest>

#include "appliance/libvirt_connection.h"

using namespace understudy::appliance;

class TestLibvirtConnection : public QObject {
    Q_OBJECT
private slots:
    void readsHostCapacityFromTheTestDriver();
    void reportsAnUnknownUri();
};

void TestLibvirtConnection::readsHostCapacityFromTheTestDriver() {
    auto connection = LibvirtConnection::open("test:///default");
    QVERIFY2(connection.ok(), connection.ok() ? "" : connection.error().describe().c_str());
    auto capacity = (*connection)->hostCapacity();
    QVERIFY(capacity.ok());
    // libvirt's built-in test host: 16 CPUs and 3 GiB (its node info says so).
    QCOMPARE(capacity->cpus, std::int64_t(16));
    QVERIFY(capacity->memory_mib > 3000);
}

void TestLibvirtConnection::reportsAnUnknownUri() {
    auto connection = LibvirtConnection::open("test:///nonexistent/node.xml");
    QVERIFY(!connection.ok());
    QCOMPARE(QString::fromStdString(connection.error().where),
             QStringLiteral("test:///nonexistent/node.xml"));
}

QTEST_GUILESS_MAIN(TestLibvirtConnection)
#include "test_libvirt_connection.moc"

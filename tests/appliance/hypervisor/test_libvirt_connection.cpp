#include <QtTest>

#include "appliance/hypervisor/libvirt_connection.h"
#include "tests/support/result_checks.h"

using namespace understudy::hypervisor;

class TestLibvirtConnection : public QObject {
    Q_OBJECT
private slots:
    void opensTheTestDriverWithoutKeepalive();
    void reportsAnUnknownUri();
    void failedSubscriptionReleasesItsOpaqueOnce();
};

// The test driver has no keepalive: that is not an error, and the connection says so.
void TestLibvirtConnection::opensTheTestDriverWithoutKeepalive() {
    auto connection = LibvirtConnection::open("test:///default", {5, 3});
    QVERIFY_OK(connection);
    QVERIFY((*connection)->get() != nullptr);
    QVERIFY(!(*connection)->keepAliveActive());
    QVERIFY((*connection)->alive());
    QCOMPARE((*connection)->uri(), std::string("test:///default"));
}

void TestLibvirtConnection::reportsAnUnknownUri() {
    auto connection = LibvirtConnection::open("test:///nonexistent/node.xml", {5, 3});
    QVERIFY(!connection.ok());
    QCOMPARE(QString::fromStdString(connection.error().code),
             QStringLiteral("hypervisor_unavailable"));
    QCOMPARE(QString::fromStdString(connection.error().where),
             QStringLiteral("test:///nonexistent/node.xml"));
    QVERIFY(QString::fromStdString(connection.error().message).contains(u"/nonexistent/node.xml"));
}

// Without libvirt's event loop (this test never registers one) there is nothing to deliver
// events: subscribing fails with libvirt's reason, and the opaque pointer is released exactly
// once, neither leaked nor freed again by libvirt.
void TestLibvirtConnection::failedSubscriptionReleasesItsOpaqueOnce() {
    int freed = 0;
    {
        auto connection = LibvirtConnection::open("test:///default", {5, 3});
        QVERIFY(connection.ok());
        const auto ignore = [](struct _virConnect*, struct _virDomain*, void*) {};
        const auto release = [](void* opaque) { ++*static_cast<int*>(opaque); };
        // 0 is VIR_DOMAIN_EVENT_ID_LIFECYCLE.
        auto subscribed = (*connection)->registerDomainEvent(0, ignore, &freed, release);
        QVERIFY(!subscribed.ok());
        QCOMPARE(QString::fromStdString(subscribed.error().where),
                 QStringLiteral("test:///default"));
        QVERIFY(QString::fromStdString(subscribed.error().message).startsWith(u"cannot subscribe"));
    }
    QCOMPARE(freed, 1);
}

QTEST_GUILESS_MAIN(TestLibvirtConnection)
#include "test_libvirt_connection.moc"

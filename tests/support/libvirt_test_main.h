// main() for the tests that run libvirt's event loop (LibvirtHypervisor does, and the QEMU
// fixture on a thread of its own): that loop needs GLib's default main context, which Qt's
// GLib dispatcher would keep for the main thread, so QT_NO_GLIB=1 is set before the
// application exists. Otherwise QTEST_GUILESS_MAIN.
#pragma once

#include <QCoreApplication>
#include <QTest>

#define QTEST_MAIN_WITHOUT_GLIB(TestObject)       \
    int main(int argc, char** argv) {             \
        qputenv("QT_NO_GLIB", "1");               \
        QCoreApplication application(argc, argv); \
        TestObject test;                          \
        QTEST_SET_MAIN_SOURCE_PATH                \
        return QTest::qExec(&test, argc, argv);   \
    }

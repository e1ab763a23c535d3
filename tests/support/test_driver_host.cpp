#include "tests/support/test_driver_host.h"

#include <QFile>

namespace understudy::testsupport {

bool writeTestDriverHost(const QString& path, int cpus, qint64 memory_mib, const QString& domains) {
    const QByteArray xml =
        QStringLiteral(
            "<node>\n  <cpu><mhz>2400</mhz><model>x86_64</model><active>%1</active>"
            "<nodes>1</nodes><sockets>1</sockets><cores>%1</cores><threads>1"
            "</threads></cpu>\n  <memory>%2</memory>\n%3</node>\n")
            .arg(cpus)
            .arg(memory_mib * 1024)
            .arg(domains)
            .toUtf8();
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(xml) == xml.size();
}

}  // namespace understudy::testsupport

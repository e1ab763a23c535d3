#include "tests/support/test_driver_host.h"

#include <QFile>

#include "tests/support/ports.h"
#include "tests/support/source_files.h"

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

QString writeApplianceConfig(const QString& folder, quint16 port, const QStringList& appliances,
                             const QStringList& unreachable) {
    QString config = QStringLiteral(
                         "[service]\nlisten = 127.0.0.1:%1\ndatabase = %2/understudy.db\n"
                         "admin_token_file = %2/admin.token\n")
                         .arg(port)
                         .arg(folder);
    const QString template_file = sourcePath(QStringLiteral("appliance/data/passive-node.xml"));
    for (const QString& name : appliances) {
        const QString host = folder + QLatin1Char('/') + name + QStringLiteral(".xml");
        if (!unreachable.contains(name) && !writeTestDriverHost(host, 32, 131072)) {
            return {};
        }
        const QString uri =
            unreachable.contains(name)
                ? QStringLiteral("test+tcp://127.0.0.1:%1/default").arg(closedPort())
                : QStringLiteral("test://") + host;
        config += QStringLiteral("\n[appliance.%1]\nuri = %2\ndomain_template = %3\n")
                      .arg(name, uri, template_file);
    }
    const QString path = folder + QStringLiteral("/understudyd.conf");
    QFile file(path);
    const QByteArray bytes = config.toUtf8();
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) &&
                   file.write(bytes) == bytes.size()
               ? path
               : QString();
}

}  // namespace understudy::testsupport

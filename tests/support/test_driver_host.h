// Hosts for libvirt's test driver: a node file (test:///path/to/file) that says how many CPUs
// and how much memory the host has, and which domains it runs. The driver keeps a private copy
// per connection: nothing is written back.
#pragma once

#include <QString>
#include <QStringList>

namespace understudy::testsupport {

// Writes a host of `cpus` logical CPUs and `memory_mib` of memory running `domains` (the
// driver's domain XML, empty for none) to `path`; false when it cannot.
bool writeTestDriverHost(const QString& path, int cpus, qint64 memory_mib,
                         const QString& domains = {});

// A service config (understudyd.conf(5)) in `folder`: listening on 127.0.0.1:`port`, its database
// and admin token file (admin.token, the caller's to write) there, and one appliance per name.
// An appliance is on a host of its own (folder/NAME.xml: 32 CPUs, 128 GiB), or, when `unreachable`
// names it, behind a libvirt daemon address where nothing listens, so the service never reaches
// it. The config's path, or empty when a file cannot be written.
QString writeApplianceConfig(const QString& folder, quint16 port, const QStringList& appliances,
                             const QStringList& unreachable = {});

}  // namespace understudy::testsupport

// Hosts for libvirt's test driver: a node file (test:///path/to/file) that says how many CPUs
// and how much memory the host has, and which domains it runs. The driver keeps a private copy
// per connection: nothing is written back.
#pragma once

#include <QString>

namespace understudy::testsupport {

// Writes a host of `cpus` logical CPUs and `memory_mib` of memory running `domains` (the
// driver's domain XML, empty for none) to `path`; false when it cannot.
bool writeTestDriverHost(const QString& path, int cpus, qint64 memory_mib,
                         const QString& domains = {});

}  // namespace understudy::testsupport

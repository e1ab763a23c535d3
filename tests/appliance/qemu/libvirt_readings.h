// What the QEMU tests read from libvirt directly, beside what the fixture and the core say.
#pragma once

#include <QString>
#include <optional>

struct _virDomain;

namespace understudy::core::testing {

// The last libvirt error of this thread, for a failure message.
QString libvirtMessage();

// The live scheduler parameter `field` of a running domain (global_quota, global_period, …) as
// a signed number; nothing when libvirt does not report it.
std::optional<qint64> liveSchedulerParameter(_virDomain* domain, const char* field);

}  // namespace understudy::core::testing

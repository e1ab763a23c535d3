// The log category of everything in this folder that talks to libvirt: understudy.libvirt.
#pragma once

#include <QLoggingCategory>

namespace understudy::hypervisor {

Q_DECLARE_LOGGING_CATEGORY(lcLibvirt)

}  // namespace understudy::hypervisor

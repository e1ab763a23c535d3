// The appliance core on the fixture's libvirtd, set up the same way by the QEMU core test and
// the QEMU takeover benchmark: one appliance whose domain template is the fixture's tiny guest,
// passive nodes registered through the core and adopted by the fixture for clean-up.
#pragma once

#include <QString>
#include <chrono>
#include <memory>

#include "appliance/core/appliance_core.h"
#include "tests/appliance/qemu/qemu_appliance.h"

namespace understudy::core::testing {

// An appliance "pna-qemu" on the fixture's URI whose domain template (written to `folder`) is
// the fixture's guest in `shape`; the core fills in name, uuid, memory, vCPUs and the cap.
Result<ApplianceConfig> qemuApplianceConfig(const QemuAppliance& fixture, const GuestSpec& shape,
                                            const QString& folder);

// The core on `appliance` with its database at `database`, admission = warn (a fleet of tiny
// guests on a small host is unservable at full size by design) and `confirm_timeout` for
// changes, since a real balloon moves only once the guest's driver does.
Result<std::unique_ptr<ApplianceCore>> openQemuCore(const ApplianceConfig& appliance,
                                                    std::chrono::milliseconds confirm_timeout,
                                                    const QString& database);

// Registers `request`. The fixture adopts its nodes' domains whatever the registration did,
// so that it cleans them up; an adoption that failed is the error when registration did not.
Result<RegistrationOutcome> registerAndAdopt(ApplianceCore& core, QemuAppliance& fixture,
                                             const RegistrationRequest& request);

}  // namespace understudy::core::testing

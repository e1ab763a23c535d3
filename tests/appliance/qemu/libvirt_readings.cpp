#include "tests/appliance/qemu/libvirt_readings.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <cstdlib>
#include <vector>

namespace understudy::core::testing {

QString libvirtMessage() {
    const char* message = virGetLastErrorMessage();
    return message != nullptr ? QString::fromUtf8(message) : QStringLiteral("unknown error");
}

std::optional<qint64> liveSchedulerParameter(virDomainPtr domain, const char* field) {
    int count = 0;
    char* type = virDomainGetSchedulerType(domain, &count);
    free(type);  // NOLINT(cppcoreguidelines-no-malloc): libvirt allocates with malloc
    if (count <= 0) {
        return std::nullopt;
    }
    std::vector<virTypedParameter> parameters(static_cast<std::size_t>(count));
    if (virDomainGetSchedulerParametersFlags(domain, parameters.data(), &count,
                                             VIR_DOMAIN_AFFECT_LIVE) != 0) {
        return std::nullopt;
    }
    std::optional<qint64> result;
    long long signed_value = 0;
    unsigned long long unsigned_value = 0;
    if (virTypedParamsGetLLong(parameters.data(), count, field, &signed_value) == 1) {
        result = signed_value;
    } else if (virTypedParamsGetULLong(parameters.data(), count, field, &unsigned_value) == 1) {
        result = static_cast<qint64>(unsigned_value);
    }
    virTypedParamsClear(parameters.data(), count);
    return result;
}

}  // namespace understudy::core::testing

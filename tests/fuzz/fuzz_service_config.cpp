// understudyd's INI config: any bytes must give a config or an error naming file and line,
// never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "appliance/daemon/service_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace understudy::daemon;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto config = parseServiceConfig(text, "understudyd.conf");
    if (!config) {
        (void)config.error().describe();
    } else {
        (void)config->service.listen.toString();
        for (const HookSection& hook : config->hooks) {
            (void)hook.matches("takeover.granted");
        }
    }
    if (auto address = parseListenAddress(text); address) {
        (void)address->toString();
    }
    return 0;
}

// The JSON fleet file: any bytes must give a Fleet or an error, never a crash; and a fleet that
// parses must survive fleetToJson and parse back equal (fleet_file.h's promise).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sizing/fleet_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto fleet = understudy::sizing::parseFleetJson(text, "fuzz.json");
    if (!fleet) {
        (void)fleet.error().describe();
        return 0;
    }
    if (auto valid = understudy::sizing::validateFleet(*fleet, "fuzz.json"); !valid) {
        std::fprintf(stderr, "a parsed fleet fails validateFleet: %s\n",
                     valid.error().describe().c_str());
        std::abort();
    }
    const std::string written = understudy::sizing::fleetToJson(*fleet);
    auto again = understudy::sizing::parseFleetJson(written, "written.json");
    if (!again) {
        std::fprintf(stderr, "fleetToJson wrote what parseFleetJson refuses: %s\n%s\n",
                     again.error().describe().c_str(), written.c_str());
        std::abort();
    }
    if (!(*again == *fleet)) {
        std::fprintf(stderr, "the fleet changed through fleetToJson:\n%s\n", written.c_str());
        std::abort();
    }
    return 0;
}

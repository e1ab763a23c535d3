// The CSV fleet and groups files: any bytes must give a value or an error, never a crash; a
// fleet that parses must be valid and survive the JSON format unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sizing/fleet_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace understudy::sizing;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto groups = parseGroupsCsv(text, "groups.csv"); !groups) {
        (void)groups.error().describe();
    }
    auto fleet = parseFleetCsv(text, "fleet.csv");
    if (!fleet) {
        (void)fleet.error().describe();
        return 0;
    }
    if (auto valid = validateFleet(*fleet, "fleet.csv"); !valid) {
        std::fprintf(stderr, "a parsed CSV fleet fails validateFleet: %s\n",
                     valid.error().describe().c_str());
        std::abort();
    }
    const std::string written = fleetToJson(*fleet);
    auto again = parseFleetJson(written, "written.json");
    if (!again || !(*again == *fleet)) {
        std::fprintf(stderr, "a CSV fleet did not survive fleetToJson: %s\n%s\n",
                     again ? "it changed" : again.error().describe().c_str(), written.c_str());
        std::abort();
    }
    return 0;
}

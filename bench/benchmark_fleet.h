// The standard benchmark fleet (docs/benchmarks.md) for the benchmarks that read it in-process:
// UNDERSTUDY_BENCH_FLEET names a fleet file, or the generator's defaults are written to a
// temporary file. Exits with 2 and a message when neither works.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>

#include "sizing/fleet_file.h"

namespace understudy::bench {

inline const sizing::Fleet& benchmarkFleet() {
    static const sizing::Fleet fleet = [] {
        std::string path;
        if (const char* given = std::getenv("UNDERSTUDY_BENCH_FLEET")) {
            path = given;
        } else {
            path =
                (std::filesystem::temp_directory_path() / "understudy-bench-fleet.json").string();
            const std::string command = "python3 " UNDERSTUDY_MAKE_FLEET " --output " + path;
            if (std::system(command.c_str()) != 0) {
                std::cerr << "cannot run " UNDERSTUDY_MAKE_FLEET "; set UNDERSTUDY_BENCH_FLEET\n";
                std::exit(2);
            }
        }
        auto loaded = sizing::loadFleetFile(path);
        if (!loaded) {
            std::cerr << loaded.error().describe() << "\n";
            std::exit(2);
        }
        return std::move(*loaded);
    }();
    return fleet;
}

}  // namespace understudy::bench

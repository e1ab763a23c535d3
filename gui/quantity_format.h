// How the console writes quantities so they read at a glance.
#pragma once

#include <QString>
#include <cstdint>

namespace understudy::gui {

// 512 → "512 MiB", 32768 → "32 GiB", 1572864 → "1.5 TiB".
QString formatMemoryMib(std::int64_t mib);
// 0.00012 → "1.2e-04", 0 → "0", values ≥ 0.001 as percentages ("0.35 %").
QString formatRisk(double probability);

}  // namespace understudy::gui

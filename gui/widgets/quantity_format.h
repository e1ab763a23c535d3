// How the console writes quantities so they read at a glance.
#pragma once

#include <QString>
#include <cstdint>

#include "sizing/fleet.h"

namespace understudy::gui {

// 512 → "512 MiB", 32768 → "32 GiB", 1572864 → "1.5 TiB".
QString formatMemoryMib(std::int64_t mib);
// 1/350.0 → "1 in 350", 1e-4 → "1 in 10,000", 0 → "0" (sizing::riskInWords).
QString formatRisk(double probability);
// "exactly 0.00285714", for the tooltip beside formatRisk's words.
QString exactRisk(double probability);
// Σ active footprints ÷ usable capacity: 1.2749 → "1.27 ×", the one form of overbooking.
QString formatOverbooking(double ratio);
// A mean shortfall, often far below one unit: 0.0004 MiB → "< 1 MiB", 0.04 vCPUs →
// "< 0.1 vCPUs", 2048.4 MiB → "2 GiB"; exactly 0 → "0 MiB" (exactShortfall has the digits).
QString formatShortfall(sizing::Resource resource, double shortfall);
// "exactly 0.000371 MiB", for the tooltip beside formatShortfall's words.
QString exactShortfall(sizing::Resource resource, double shortfall);
// A grant, defined once: what a node holds above its standby footprint. {2, 8192} →
// "+2 vCPUs · +8 GiB over standby" (the order of footprints); a zero part is left out; {0, 0} →
// "nothing over standby".
QString formatGrant(const sizing::Footprint& overStandby);
// One resource of a grant without the words: 61440 MiB → "+60 GiB", for a table cell.
QString formatGrantAmount(sizing::Resource resource, std::int64_t overStandby);
// 1 → "1 vCPU", 248 → "248 vCPUs".
QString formatVcpus(std::int64_t vcpus);
// The amount of one resource in its unit: memory as formatMemoryMib, vCPUs as formatVcpus.
QString formatQuantity(sizing::Resource resource, std::int64_t amount);
// "Memory" or "vCPUs", for headings and axis titles.
QString resourceTitle(sizing::Resource resource);
// 1, "cluster" → "1 cluster"; 3 → "3 clusters" (English plural by adding "s").
QString countOf(std::int64_t count, const QString& noun);

}  // namespace understudy::gui

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
// 1 → "1 vCPU", 248 → "248 vCPUs".
QString formatVcpus(std::int64_t vcpus);
// The amount of one resource in its unit: memory as formatMemoryMib, vCPUs as formatVcpus.
QString formatQuantity(sizing::Resource resource, std::int64_t amount);
// "Memory" or "vCPUs", for headings and axis titles.
QString resourceTitle(sizing::Resource resource);
// 1, "cluster" → "1 cluster"; 3 → "3 clusters" (English plural by adding "s").
QString countOf(std::int64_t count, const QString& noun);

}  // namespace understudy::gui

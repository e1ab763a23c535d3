#include "sizing/result_csv.h"

#include <array>
#include <charconv>
#include <cmath>

namespace understudy::sizing {

std::string csvField(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        return std::string(text);
    }
    std::string quoted = "\"";
    for (const char c : text) {
        if (c == '"') {
            quoted += '"';
        }
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

std::string roundTripNumber(double value) {
    // A NaN or infinity would come from a bug upstream; spreadsheets read these spellings.
    if (std::isnan(value)) {
        return "nan";
    }
    if (std::isinf(value)) {
        return value > 0 ? "inf" : "-inf";
    }
    std::array<char, 32> buffer{};
    const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    (void)error;  // 32 characters always hold the shortest form of a double
    return std::string(buffer.data(), end);
}

std::string resultToCsv(const SizingResult& result) {
    std::string out;
    out += kCsvClusterHeader;
    out += '\n';
    for (const ApplianceResult& appliance : result.appliances) {
        const std::string applianceField = csvField(appliance.spec.name);
        for (const ClusterFigures& cluster : appliance.clusters) {
            out += applianceField;
            out += ',';
            out += csvField(cluster.name);
            out += ',';
            out += csvField(cluster.group);
            out += ',';
            out += std::to_string(cluster.priority);
            out += ',';
            out += roundTripNumber(cluster.failover_probability);
            for (const Resource resource : kResources) {
                out += ',';
                out +=
                    roundTripNumber(cluster.risk_when_active[static_cast<std::size_t>(resource)]);
            }
            out += '\n';
        }
    }
    out += '\n';
    out += kCsvDistributionHeader;
    out += '\n';
    for (const ApplianceResult& appliance : result.appliances) {
        const std::string applianceField = csvField(appliance.spec.name);
        for (const Resource resource : kResources) {
            const DemandDistribution& distribution = appliance.figures(resource).distribution;
            const std::vector<double> tail = distribution.tailProbabilities();
            for (std::size_t k = 0; k < distribution.probability.size(); ++k) {
                out += applianceField;
                out += ',';
                out += resourceName(resource);
                out += ',';
                out += std::to_string(distribution.demandAt(k));
                out += ',';
                out += roundTripNumber(distribution.probability[k]);
                out += ',';
                out += roundTripNumber(tail[k]);
                out += '\n';
            }
        }
    }
    return out;
}

}  // namespace understudy::sizing

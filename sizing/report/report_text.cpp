#include "sizing/report/report_text.h"

#include <cmath>
#include <cstdio>

#include "base/text.h"

namespace understudy::sizing::report {

std::string htmlEscape(std::string_view text) {
    return escapeMarkup(text, "&#39;");
}

std::string withThousands(long long value) {
    const std::string digits = std::to_string(value < 0 ? -value : value);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return value < 0 ? "−" + out : out;
}

std::string formatProbability(double probability) {
    if (!(probability > 0)) {
        return "0";
    }
    char buffer[32];
    if (probability >= 0.01) {
        std::snprintf(buffer, sizeof buffer, "%.2g", probability);
        return buffer;
    }
    int exponent = static_cast<int>(std::floor(std::log10(probability)));
    double mantissa = probability / std::pow(10.0, exponent);
    if (std::round(mantissa * 10) >= 100) {
        mantissa /= 10;
        ++exponent;
    }
    if (std::abs(std::round(mantissa * 10) - std::round(mantissa) * 10) < 0.5) {
        std::snprintf(buffer, sizeof buffer, "%.0fe%d", std::round(mantissa), exponent);
    } else {
        std::snprintf(buffer, sizeof buffer, "%.1fe%d", mantissa, exponent);
    }
    return buffer;
}

std::string formatAmount(Resource resource, std::int64_t amount) {
    if (resource == Resource::vcpus) {
        return withThousands(amount) + (amount == 1 ? " vCPU" : " vCPUs");
    }
    if (amount < 1024 && amount > -1024) {
        return withThousands(amount) + " MiB";
    }
    if (amount % 1024 == 0) {
        return withThousands(amount / 1024) + " GiB";
    }
    const double gib = static_cast<double>(amount) / 1024.0;
    const auto whole = static_cast<long long>(std::trunc(gib));
    const int tenth =
        static_cast<int>(std::lround(std::abs(gib - static_cast<double>(whole)) * 10));
    if (tenth == 10 || tenth == 0) {
        return withThousands(static_cast<long long>(std::llround(gib))) + " GiB";
    }
    return withThousands(whole) + "." + std::to_string(tenth) + " GiB";
}

std::string formatPercent(double fraction) {
    char buffer[32];
    const double percent = fraction * 100;
    std::snprintf(buffer, sizeof buffer, std::abs(percent) >= 10 ? "%.0f%%" : "%.1f%%", percent);
    return buffer;
}

const char* resourceLabel(Resource resource) {
    return resource == Resource::memory_mib ? "memory" : "vCPUs";
}

}  // namespace understudy::sizing::report

#include "sizing/risk_words.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <utility>

namespace understudy::sizing {

namespace {

constexpr std::array<std::pair<double, std::string_view>, 3> kScales{
    {{1e12, "trillion"}, {1e9, "billion"}, {1e6, "million"}}};

// 348.43 → "348", 10000 → "10,000", 1.25 → "1.25".
std::string groupedNumber(double value) {
    const double digits = std::floor(std::log10(value)) + 1;
    const double unit = std::pow(10.0, digits - 3);
    const double rounded = std::round(value / unit) * unit;
    if (rounded < 100) {
        char text[32];
        std::snprintf(text, sizeof text, "%.3g", rounded);
        return text;
    }
    std::string plain = std::to_string(static_cast<long long>(rounded));
    for (auto at = static_cast<std::ptrdiff_t>(plain.size()) - 3; at > 0; at -= 3) {
        plain.insert(static_cast<std::size_t>(at), ",");
    }
    return plain;
}

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

std::optional<double> number(std::string_view text) {
    std::string digits;
    for (const char c : trimmed(text)) {
        if (c != ',') {
            digits += c;
        }
    }
    double value = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

std::string riskInWords(double probability) {
    if (!(probability > 0)) {
        return "0";
    }
    if (probability >= 1) {
        return "certain";
    }
    const double odds = 1.0 / probability;
    for (const auto& [scale, word] : kScales) {
        if (std::round(odds / scale * 100) / 100 >= 1) {
            return "1 in " + groupedNumber(odds / scale) + " " + std::string(word);
        }
    }
    return "1 in " + groupedNumber(odds);
}

std::optional<double> riskFromWords(std::string_view text) {
    text = trimmed(text);
    if (text == "certain") {
        return 1.0;
    }
    if (text.substr(0, 5) != "1 in ") {
        return number(text);
    }
    text.remove_prefix(5);
    double scale = 1;
    for (const auto& [factor, word] : kScales) {
        if (text.size() > word.size() && text.substr(text.size() - word.size()) == word) {
            scale = factor;
            text.remove_suffix(word.size());
            break;
        }
    }
    const std::optional<double> odds = number(text);
    if (!odds || !(*odds * scale >= 1)) {
        return std::nullopt;
    }
    return 1.0 / (*odds * scale);
}

}  // namespace understudy::sizing

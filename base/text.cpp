#include "base/text.h"

namespace understudy {

std::string printable(std::string_view text, std::size_t limit, NonAscii non_ascii) {
    constexpr std::string_view kHex = "0123456789abcdef";
    std::string out;
    for (const char c : text.substr(0, limit)) {
        const auto byte = static_cast<unsigned char>(c);
        const bool escaped =
            byte < 0x20 || byte == 0x7F || (non_ascii == NonAscii::escape && byte > 0x7F);
        if (escaped) {
            out += "\\x";
            out += kHex[static_cast<std::size_t>(byte) >> 4U];
            out += kHex[static_cast<std::size_t>(byte) & 0xFU];
        } else {
            out += c;
        }
    }
    if (text.size() > limit) {
        out += "...";
    }
    return out;
}

std::string escapeMarkup(std::string_view text, std::string_view apostrophe) {
    std::string escaped;
    escaped.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                escaped += "&amp;";
                break;
            case '<':
                escaped += "&lt;";
                break;
            case '>':
                escaped += "&gt;";
                break;
            case '"':
                escaped += "&quot;";
                break;
            case '\'':
                escaped += apostrophe;
                break;
            default:
                escaped += c;
        }
    }
    return escaped;
}

}  // namespace understudy

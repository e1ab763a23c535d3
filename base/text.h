// Text from outside made safe to show: in a one-line message, in XML or in HTML.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace understudy {

// Bytes outside printable ASCII: escaped as \xNN, or kept (UTF-8 names in a config file
// read better as written).
enum class NonAscii { escape, keep };

// `text` for a one-line message: control characters (and, with NonAscii::escape, every byte
// outside printable ASCII) as \xNN, cut after `limit` bytes with "..." to say so.
std::string printable(std::string_view text, std::size_t limit, NonAscii non_ascii);

// `text` with & < > " and ' replaced by entities; `apostrophe` is the entity for ' (XML's
// "&apos;", or "&#39;", which every HTML version reads).
std::string escapeMarkup(std::string_view text, std::string_view apostrophe = "&apos;");

}  // namespace understudy

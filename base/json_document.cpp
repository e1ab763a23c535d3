#include "base/json_document.h"

#include <algorithm>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace understudy {
namespace {

using nlohmann::json;

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// Builds the document from nlohmann's SAX events. nlohmann's own parser is iterative, but a
// document as deep as its input would still be built; this one stops at max_depth, and it
// refuses repeated keys, which nlohmann would silently resolve to the last one.
class DocumentBuilder {
public:
    explicit DocumentBuilder(std::size_t max_depth) : max_depth_(max_depth) {}

    bool null() { return place(json(nullptr)) != nullptr; }
    bool boolean(bool value) { return place(json(value)) != nullptr; }
    bool number_integer(json::number_integer_t value) { return place(json(value)) != nullptr; }
    bool number_unsigned(json::number_unsigned_t value) { return place(json(value)) != nullptr; }
    bool number_float(json::number_float_t value, const json::string_t& /*text*/) {
        return place(json(value)) != nullptr;
    }
    bool string(json::string_t& value) { return place(json(std::move(value))) != nullptr; }
    bool binary(json::binary_t& value) { return place(json::binary(value)) != nullptr; }
    bool start_object(std::size_t /*elements*/) { return open(json::object()); }
    bool start_array(std::size_t /*elements*/) { return open(json::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(json::string_t& name) {
        Frame& frame = stack_.back();
        if (frame.container->contains(name)) {
            repeated_key_path_ = joinJsonPath(openPath(), name);
            return false;
        }
        frame.key = std::move(name);
        return true;
    }
    bool parse_error(std::size_t position, const std::string& /*last_token*/,
                     const json::exception& error) {
        syntax_position_ = position;
        syntax_message_ = error.what();
        return false;
    }

    json& root() { return root_; }
    bool tooDeep() const { return too_deep_; }
    const std::optional<std::string>& repeatedKeyPath() const { return repeated_key_path_; }
    std::size_t syntaxPosition() const { return syntax_position_; }
    const std::string& syntaxMessage() const { return syntax_message_; }

private:
    struct Frame {
        json* container;
        std::string key;
    };

    json* place(json value) {
        if (stack_.empty()) {
            root_ = std::move(value);
            return &root_;
        }
        Frame& frame = stack_.back();
        if (frame.container->is_array()) {
            frame.container->push_back(std::move(value));
            return &frame.container->back();
        }
        json& slot = (*frame.container)[frame.key];
        slot = std::move(value);
        return &slot;
    }
    bool open(json container) {
        if (stack_.size() >= max_depth_) {
            too_deep_ = true;
            return false;
        }
        // Open containers are the last element of an array or a node of a map: their
        // addresses stay valid until they close.
        json* slot = place(std::move(container));
        stack_.push_back(Frame{slot, {}});
        return true;
    }
    bool close() {
        stack_.pop_back();
        return true;
    }
    // The path of the innermost open container: "clusters[3].standby".
    std::string openPath() const {
        std::string path;
        for (std::size_t i = 0; i + 1 < stack_.size(); ++i) {
            const Frame& frame = stack_[i];
            if (frame.container->is_array()) {
                path += "[" + std::to_string(frame.container->size() - 1) + "]";
            } else {
                path = joinJsonPath(path, frame.key);
            }
        }
        return path;
    }

    std::size_t max_depth_;
    json root_;
    std::vector<Frame> stack_;
    bool too_deep_ = false;
    std::optional<std::string> repeated_key_path_;
    std::size_t syntax_position_ = 0;
    std::string syntax_message_;
};

// 1-based line and column (in characters) of a byte offset.
std::string lineAndColumn(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    std::size_t line = 1;
    std::size_t column = 1;
    const std::size_t start = text.starts_with(kByteOrderMark) ? kByteOrderMark.size() : 0;
    for (std::size_t i = start; i < offset; ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte == '\n') {
            ++line;
            column = 1;
        } else if ((byte & 0xC0U) != 0x80U) {
            ++column;
        }
    }
    return std::to_string(line) + ":" + std::to_string(column);
}

// The builder stops at the first container too deep but cannot say where it is; the text
// before it is valid JSON, so a scan that only tracks strings finds it.
std::size_t depthOverflowOffset(std::string_view text, std::size_t max_depth) {
    std::size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth) {
                return i;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return text.size();
}

// nlohmann's message without its exception prefix and its own position.
std::string syntaxDetail(const std::string& what) {
    const std::size_t column = what.find(", column ");
    const std::size_t colon = what.find(": ", column == std::string::npos ? 0 : column);
    return colon == std::string::npos ? what : what.substr(colon + 2);
}

}  // namespace

std::string joinJsonPath(std::string_view path, std::string_view field) {
    if (path.empty()) {
        return std::string(field);
    }
    if (field.empty()) {
        return std::string(path);
    }
    std::string joined(path);
    joined += '.';
    joined += field;
    return joined;
}

Result<nlohmann::json> parseJsonDocument(std::string_view text, const std::string& source,
                                         int max_depth) {
    const auto depth_limit = static_cast<std::size_t>(std::max(max_depth, 0));
    DocumentBuilder builder(depth_limit);
    const bool parsed =
        json::sax_parse(text.begin(), text.end(), &builder, json::input_format_t::json, true);
    if (parsed) {
        return std::move(builder.root());
    }
    if (builder.tooDeep()) {
        return Error{"malformed_json",
                     "arrays and objects are nested deeper than " + std::to_string(max_depth) +
                         " levels; no valid input needs that many",
                     source + ":" + lineAndColumn(text, depthOverflowOffset(text, depth_limit))};
    }
    if (builder.repeatedKeyPath()) {
        return Error{"invalid_field", "appears twice in one object; give each field once",
                     source + ": " + *builder.repeatedKeyPath()};
    }
    const std::size_t offending = builder.syntaxPosition() > 0 ? builder.syntaxPosition() - 1 : 0;
    return Error{"malformed_json",
                 "is not valid JSON: " + syntaxDetail(builder.syntaxMessage()) +
                     "; fix the syntax at this line and column",
                 source + ":" + lineAndColumn(text, offending)};
}

}  // namespace understudy

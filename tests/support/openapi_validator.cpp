#include "tests/support/openapi_validator.h"

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace understudy::testsupport {

using nlohmann::json;

namespace {

std::vector<std::string> segments(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = path.find('/', start);
        const std::size_t end = slash == std::string::npos ? path.size() : slash;
        parts.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

// The number of literal segments of `path_template` when `path` matches it, else -1.
int literalSegmentsMatched(const std::string& path_template, const std::string& path) {
    const std::vector<std::string> wanted = segments(path_template);
    const std::vector<std::string> given = segments(path);
    if (wanted.size() != given.size()) {
        return -1;
    }
    int literal = 0;
    for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (wanted[i].starts_with('{') && wanted[i].ends_with('}')) {
            if (given[i].empty()) {
                return -1;
            }
        } else if (wanted[i] == given[i]) {
            ++literal;
        } else {
            return -1;
        }
    }
    return literal;
}

// JSON Pointer escaping of one reference token (RFC 6901).
std::string pointerToken(const std::string& token) {
    std::string escaped;
    for (const char c : token) {
        if (c == '~') {
            escaped += "~0";
        } else if (c == '/') {
            escaped += "~1";
        } else {
            escaped += c;
        }
    }
    return escaped;
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string documentedStatuses(const json& responses) {
    std::string listed;
    for (const auto& [status, answer] : responses.items()) {
        listed += (listed.empty() ? "" : ", ") + status;
    }
    return listed;
}

constexpr char kErrorSchema[] = "/components/schemas/Error";

}  // namespace

std::string jsonPathOf(const std::vector<std::string>& context) {
    std::string path = "$";
    for (const std::string& part : context) {
        if (part == "<root>" || part.size() < 2) {
            continue;
        }
        const std::string inner = part.substr(1, part.size() - 2);
        const bool index =
            !inner.empty() && std::all_of(inner.begin(), inner.end(),
                                          [](unsigned char c) { return std::isdigit(c) != 0; });
        path += index ? part : "." + inner;
    }
    return path;
}

// A schema of the document, parsed once: valijson resolves its "#/components/..." references in
// the node it parses, so that node is the schema with the document's components beside it.
struct OpenApiValidator::CompiledSchema {
    json root;
    valijson::Schema schema;
};

OpenApiValidator::OpenApiValidator(json document) : document_(std::move(document)) {}

OpenApiValidator::~OpenApiValidator() = default;

const OpenApiValidator::CompiledSchema& OpenApiValidator::compiled(
    const std::string& schema_pointer) const {
    std::unique_ptr<CompiledSchema>& slot = schemas_[schema_pointer];
    if (!slot) {
        auto made = std::make_unique<CompiledSchema>();
        made->root = document_.at(json::json_pointer(schema_pointer));
        if (!made->root.is_object()) {
            throw std::runtime_error("the schema at " + schema_pointer + " is not an object");
        }
        made->root["components"] = document_.value("components", json::object());
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        parser.populateSchema(valijson::adapters::NlohmannJsonAdapter(made->root), made->schema);
        slot = std::move(made);
    }
    return *slot;
}

std::string OpenApiValidator::bodyMismatch(const std::string& what,
                                           const std::string& schema_pointer,
                                           const std::string& body) const {
    const json parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded()) {
        return what + " is not JSON: " + body.substr(0, 200);
    }
    const CompiledSchema* schema = nullptr;
    try {
        schema = &compiled(schema_pointer);
    } catch (const std::exception& error) {
        return "the document's schema at " + schema_pointer + " is unusable: " + error.what();
    }
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::ValidationResults results;
    if (validator.validate(schema->schema, valijson::adapters::NlohmannJsonAdapter(parsed),
                           &results)) {
        return {};
    }
    // valijson reports each enclosing object too ("failed to validate against the schema of
    // property ..."): the deepest errors name the value that is wrong.
    std::vector<valijson::ValidationResults::Error> errors(results.begin(), results.end());
    std::stable_sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) {
        return a.context.size() > b.context.size();
    });
    std::string message = what + " does not match the document's schema at " + schema_pointer + ":";
    const std::size_t shown = std::min<std::size_t>(errors.size(), 3);
    for (std::size_t i = 0; i < shown; ++i) {
        message += "\n  " + jsonPathOf(errors[i].context) + ": " + errors[i].description;
    }
    return message + "\n  in " + body.substr(0, 600);
}

std::string OpenApiValidator::pathTemplate(const std::string& path) const {
    std::string best;
    int best_literal = -1;
    for (const auto& [path_template, item] : document_.at("paths").items()) {
        const int literal = literalSegmentsMatched(path_template, path);
        if (literal > best_literal) {
            best_literal = literal;
            best = path_template;
        }
    }
    return best;
}

std::string OpenApiValidator::mismatch(const Exchange& exchange) const {
    const std::string path = exchange.target.substr(0, exchange.target.find('?'));
    const std::string method = lowercase(exchange.method);
    const std::string answer =
        exchange.method + ' ' + exchange.target + " answered " + std::to_string(exchange.status);
    const std::string path_template = pathTemplate(path);
    const json& paths = document_.at("paths");
    if (path_template.empty() || !paths.at(path_template).contains(method)) {
        // Not an operation of the document (an unknown route, a wrong method, a request the HTTP
        // layer refused before routing): only an error may answer it, in the error body.
        if (exchange.status < 400) {
            return answer + ", yet the document has no such operation";
        }
        return bodyMismatch(answer + ": its error body", kErrorSchema, exchange.response_body);
    }
    const std::string base = "/paths/" + pointerToken(path_template) + '/' + method;
    const json& operation = paths.at(path_template).at(method);
    const std::string status = std::to_string(exchange.status);
    if (!operation.at("responses").contains(status)) {
        return answer + ", which is not among the document's answers for it (" +
               documentedStatuses(operation.at("responses")) + ")";
    }
    const json& response = operation.at("responses").at(status);
    if (!response.contains("content")) {
        return exchange.response_body.empty()
                   ? std::string()
                   : answer + " with a body, where the document says it has none";
    }
    const json& content = response.at("content");
    if (content.contains("application/json")) {
        if (!lowercase(exchange.content_type).starts_with("application/json")) {
            return answer + " as '" + exchange.content_type + "', not application/json";
        }
        const std::string schema =
            base + "/responses/" + status + "/content/application~1json/schema";
        if (std::string found = bodyMismatch(answer + ": its body", schema, exchange.response_body);
            !found.empty()) {
            return found;
        }
    } else {
        const std::string media_type = content.begin().key();
        if (!lowercase(exchange.content_type).starts_with(media_type)) {
            return answer + " as '" + exchange.content_type + "', not " + media_type;
        }
    }
    // A body sent to an operation that takes none is ignored by the service, so only a
    // documented one is held to its schema.
    const bool accepted = exchange.status >= 200 && exchange.status < 300;
    if (!accepted || exchange.request_body.empty() || !operation.contains("requestBody")) {
        return {};
    }
    return bodyMismatch(exchange.method + ' ' + exchange.target + ": the request body accepted",
                        base + "/requestBody/content/application~1json/schema",
                        exchange.request_body);
}

}  // namespace understudy::testsupport

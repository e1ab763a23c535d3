// Holds an exchange with understudyd to the OpenAPI document the service serves: the operation
// is found by method and path template, the answer by its status, and the bodies are validated
// against their schemas by a JSON Schema validator (valijson). The tests hold the API to this one
// document (docs/http-api.md), so a mismatch means the document or the service is wrong.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace understudy::testsupport {

// One request and its answer as a client saw them.
struct Exchange {
    std::string method;  // "GET", "POST", ...
    std::string target;  // the path as sent, with its query if any
    std::string request_body;
    int status = 0;
    std::string content_type;
    std::string response_body;
};

class OpenApiValidator {
public:
    // `document`: the served OpenAPI 3.1 document, its schemas JSON Schema (draft 7 suffices).
    explicit OpenApiValidator(nlohmann::json document);
    ~OpenApiValidator();
    OpenApiValidator(const OpenApiValidator&) = delete;
    OpenApiValidator& operator=(const OpenApiValidator&) = delete;

    // Empty when the exchange is one the document describes; otherwise what does not match,
    // with the JSON path of the offending value and the schema rule it breaks. A request body
    // is held to the operation's schema when the service accepted it (2xx): a body it refused
    // may be wrong on purpose.
    std::string mismatch(const Exchange& exchange) const;

private:
    struct CompiledSchema;
    // The document's path template that `path` matches (the one with the most literal segments),
    // or empty.
    std::string pathTemplate(const std::string& path) const;
    std::string bodyMismatch(const std::string& what, const std::string& schema_pointer,
                             const std::string& body) const;
    const CompiledSchema& compiled(const std::string& schema_pointer) const;

    nlohmann::json document_;
    mutable std::map<std::string, std::unique_ptr<CompiledSchema>> schemas_;
};

// "$.nodes[0].state" from valijson's context ("<root>", "[nodes]", "[0]", "[state]").
std::string jsonPathOf(const std::vector<std::string>& context);

}  // namespace understudy::testsupport

// Holds an exchange with understudyd to the OpenAPI document the service serves: the operation
// is found by method and path template, the answer by its status, and the bodies are validated
// against their schemas by jsonschema (python3-jsonschema) in one python3 co-process per
// validator, tests/support/openapi_validate.py. The tests hold the API to this one document
// (docs/http-api.md), so a mismatch means the document or the service is wrong.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

class QProcess;

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
    // `document`: the served OpenAPI 3.1 document, its schemas JSON Schema 2020-12. The
    // co-process starts with the first body to validate.
    explicit OpenApiValidator(nlohmann::json document);
    ~OpenApiValidator();
    OpenApiValidator(const OpenApiValidator&) = delete;
    OpenApiValidator& operator=(const OpenApiValidator&) = delete;

    // Empty when the exchange is one the document describes; otherwise what does not match,
    // with the JSON path of the offending value and the schema rule it breaks. A request body
    // is held to the operation's schema when the service accepted it (2xx): a body it refused
    // may be wrong on purpose. When python3 or jsonschema is missing, or the co-process stops
    // answering, every call says so (naming the package to install).
    std::string mismatch(const Exchange& exchange) const;

private:
    // The document's path template that `path` matches (the one with the most literal segments),
    // or empty.
    std::string pathTemplate(const std::string& path) const;
    std::string bodyMismatch(const std::string& what, const std::string& schema_pointer,
                             const std::string& body) const;
    // What the co-process finds wrong with `instance` against the schema at `schema_pointer`
    // ("#/paths/..."), each error led by its JSON path; throws when it cannot tell.
    std::vector<std::string> schemaErrors(const std::string& schema_pointer,
                                          const nlohmann::json& instance) const;
    QProcess& coProcess() const;

    nlohmann::json document_;
    mutable std::unique_ptr<QProcess> co_process_;
    // Why the co-process cannot answer, once it could not: it is not restarted.
    mutable std::string broken_;
};

}  // namespace understudy::testsupport

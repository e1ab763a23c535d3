#include "tests/support/openapi_validator.h"

#include <QProcess>
#include <QStringList>

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

constexpr char kErrorSchema[] = "#/components/schemas/Error";

// Generous: the first body held to a schema waits for python3 to start and compile it.
constexpr int kAnswerTimeoutMs = 30000;

const char kInstallHint[] =
    "the e2e tests validate with python3 and jsonschema (Debian: apt-get install "
    "python3-jsonschema)";

// What the co-process said on stderr, for a failure message.
std::string errorOutput(QProcess& process) {
    const std::string said = process.readAllStandardError().trimmed().toStdString();
    return said.empty() ? std::string() : ": " + said;
}

}  // namespace

OpenApiValidator::OpenApiValidator(json document) : document_(std::move(document)) {}

OpenApiValidator::~OpenApiValidator() {
    if (co_process_ && co_process_->state() != QProcess::NotRunning) {
        // End of its input ends it; a co-process that hangs is not worth waiting for.
        co_process_->closeWriteChannel();
        if (!co_process_->waitForFinished(5000)) {
            co_process_->kill();
            co_process_->waitForFinished(5000);
        }
    }
}

QProcess& OpenApiValidator::coProcess() const {
    if (!co_process_) {
        co_process_ = std::make_unique<QProcess>();
        co_process_->start(QStringLiteral("python3"), {QStringLiteral(OPENAPI_VALIDATE_SCRIPT)});
        if (!co_process_->waitForStarted(kAnswerTimeoutMs)) {
            throw std::runtime_error("cannot start python3 (" +
                                     co_process_->errorString().toStdString() + "); " +
                                     kInstallHint);
        }
        co_process_->write(QByteArray::fromStdString(document_.dump() + '\n'));
    }
    return *co_process_;
}

std::vector<std::string> OpenApiValidator::schemaErrors(const std::string& schema_pointer,
                                                        const json& instance) const {
    QProcess& process = coProcess();
    const json request = {{"schema", schema_pointer}, {"instance", instance}};
    process.write(QByteArray::fromStdString(request.dump() + '\n'));
    while (!process.canReadLine()) {
        if (!process.waitForReadyRead(kAnswerTimeoutMs)) {
            if (process.state() == QProcess::NotRunning) {
                throw std::runtime_error("openapi_validate.py ended (exit code " +
                                         std::to_string(process.exitCode()) + ")" +
                                         errorOutput(process) + "; " + kInstallHint);
            }
            throw std::runtime_error("openapi_validate.py did not answer in " +
                                     std::to_string(kAnswerTimeoutMs / 1000) + " s" +
                                     errorOutput(process));
        }
    }
    const json reply = json::parse(process.readLine().toStdString(), nullptr, false);
    if (!reply.is_object() || !reply.contains("ok")) {
        throw std::runtime_error("openapi_validate.py answered what is not its protocol");
    }
    return reply.at("ok").get<bool>() ? std::vector<std::string>()
                                      : reply.at("errors").get<std::vector<std::string>>();
}

std::string OpenApiValidator::bodyMismatch(const std::string& what,
                                           const std::string& schema_pointer,
                                           const std::string& body) const {
    const json parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded()) {
        return what + " is not JSON: " + body.substr(0, 200);
    }
    if (!broken_.empty()) {
        return what + " cannot be validated: " + broken_;
    }
    std::vector<std::string> errors;
    try {
        errors = schemaErrors(schema_pointer, parsed);
    } catch (const std::exception& error) {
        broken_ = error.what();
        return what + " cannot be validated: " + broken_;
    }
    if (errors.empty()) {
        return {};
    }
    std::string message = what + " does not match the document's schema at " + schema_pointer + ":";
    for (const std::string& error : errors) {
        message += "\n  " + error;
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
    const std::string base = "#/paths/" + pointerToken(path_template) + '/' + method;
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

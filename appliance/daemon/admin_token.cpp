#include "appliance/daemon/admin_token.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>

#include <QByteArray>
#include <QFile>
#include <QRandomGenerator>
#include <QString>

#include "appliance/daemon/config_text.h"
#include "base/error_codes.h"

namespace understudy::daemon {
namespace {

bool isTokenText(std::string_view token) {
    return std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

}  // namespace

Result<std::string> readAdminTokenFile(const std::string& path) {
    const auto invalid = [&](const std::string& problem) {
        return Error{kConfigCode,
                     "the admin token file " + problem +
                         "; write one random token on its first line, e.g. with 'openssl rand "
                         "-hex 32 > " +
                         path + "'",
                     path};
    };
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        return Error{errc::kIo,
                     "cannot find the admin token file: " +
                         std::error_code(errno, std::generic_category()).message() +
                         "; reinstall the package to create it, or set admin_token_file in "
                         "[service]",
                     path};
    }
    if (!S_ISREG(info.st_mode)) {
        return invalid("is not a regular file");
    }
    if ((info.st_mode & (S_IROTH | S_IWOTH)) != 0) {
        return Error{kConfigCode,
                     "the admin token file may be read or written by any user of this host, and "
                     "it grants everything; run 'chmod o-rwx " +
                         path + "' (the package creates it mode 0640, group understudy)",
                     path};
    }
    if (static_cast<std::uint64_t>(info.st_size) > kMaxAdminTokenFileBytes) {
        return invalid("is larger than 4 KiB, so it is not a token");
    }
    QFile input(QString::fromStdString(path));
    if (!input.open(QIODevice::ReadOnly)) {
        return Error{errc::kIo,
                     "cannot read the admin token file: " + input.errorString().toStdString() +
                         "; the service's user needs read access (group understudy, mode 0640)",
                     path};
    }
    const QByteArray content = input.read(static_cast<qint64>(kMaxAdminTokenFileBytes) + 1);
    if (static_cast<std::size_t>(content.size()) > kMaxAdminTokenFileBytes) {
        return invalid("is larger than 4 KiB, so it is not a token");
    }
    const qsizetype newline = content.indexOf('\n');
    const std::string line = content.left(newline < 0 ? content.size() : newline).toStdString();
    const std::string token(trim(line));
    if (token.empty()) {
        return invalid("has an empty first line");
    }
    if (!isTokenText(token)) {
        return invalid(
            "holds a blank or a character outside printable ASCII in its token, which cannot "
            "travel in an HTTP header");
    }
    if (token.size() < kMinAdminTokenLength) {
        return invalid("holds a token of " + std::to_string(token.size()) +
                       " characters; at least 16 are needed to resist guessing");
    }
    return token;
}

std::string generateAdminToken() {
    std::array<quint32, 8> words{};
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    const QByteArray bytes(reinterpret_cast<const char*>(words.data()),
                           static_cast<qsizetype>(sizeof(words)));
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)
        .toStdString();
}

Result<AdminToken> demoAdminToken(const std::optional<std::string>& environment_value) {
    if (!environment_value) {
        return AdminToken{generateAdminToken(), true};
    }
    const std::string token(trim(*environment_value));
    if (token.empty()) {
        return Error{kConfigCode,
                     std::string(kAdminTokenEnvironment) +
                         " is set but empty; give it a token, or unset it to have one generated",
                     ""};
    }
    if (token.size() > kMaxAdminTokenFileBytes || !isTokenText(token)) {
        return Error{kConfigCode,
                     std::string(kAdminTokenEnvironment) +
                         " must be at most 4096 printable ASCII characters without blanks, "
                         "since it travels in an HTTP header",
                     ""};
    }
    return AdminToken{token, false};
}

Result<AdminToken> adminToken(const ServiceConfig& config) {
    if (config.demo) {
        std::optional<std::string> value;
        if (qEnvironmentVariableIsSet(kAdminTokenEnvironment)) {
            value = qEnvironmentVariable(kAdminTokenEnvironment).toStdString();
        }
        return demoAdminToken(value);
    }
    Result<std::string> token = readAdminTokenFile(config.service.admin_token_file);
    if (!token) {
        return token.error();
    }
    return AdminToken{std::move(token).value(), false};
}

}  // namespace understudy::daemon

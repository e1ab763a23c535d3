#include "appliance/api/token_auth.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QRandomGenerator>
#include <algorithm>
#include <map>
#include <vector>

namespace understudy::api {

namespace {

constexpr std::string_view kScheme = "sha256";
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kDigestBytes = 32;

// Lower-case hex of exactly `bytes` bytes, as salted hashes were written. QByteArray::fromHex skips
// what is not hex, so a stored hash is checked before it is decoded: a damaged one must fail
// to match rather than match with a shorter salt.
bool isHex(std::string_view text, std::size_t bytes) {
    return text.size() == 2 * bytes && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

QByteArray randomBytes(std::size_t count) {
    std::vector<quint32> words((count + 3) / 4);
    QRandomGenerator::system()->fillRange(words.data(), static_cast<qsizetype>(words.size()));
    return QByteArray(reinterpret_cast<const char*>(words.data()), static_cast<qsizetype>(count));
}

QByteArray saltedDigest(const QByteArray& salt, std::string_view token) {
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(salt);
    hash.addData(QByteArrayView(token.data(), static_cast<qsizetype>(token.size())));
    return hash.result();
}

}  // namespace

std::string generateToken() {
    return randomBytes(32)
        .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)
        .toStdString();
}

std::string tokenDigest(std::string_view token) {
    return QCryptographicHash::hash(
               QByteArrayView(token.data(), static_cast<qsizetype>(token.size())),
               QCryptographicHash::Sha256)
        .toHex()
        .toStdString();
}

bool tokenMatches(std::string_view token, std::string_view salted_hash) {
    const std::size_t first = salted_hash.find('$');
    if (first == std::string_view::npos || salted_hash.substr(0, first) != kScheme) {
        return false;
    }
    const std::size_t second = salted_hash.find('$', first + 1);
    if (second == std::string_view::npos) {
        return false;
    }
    const std::string_view salt_hex = salted_hash.substr(first + 1, second - first - 1);
    const std::string_view digest_hex = salted_hash.substr(second + 1);
    if (!isHex(salt_hex, kSaltBytes) || !isHex(digest_hex, kDigestBytes)) {
        return false;
    }
    const QByteArray salt =
        QByteArray::fromHex(QByteArray(salt_hex.data(), static_cast<qsizetype>(salt_hex.size())));
    const std::string computed = saltedDigest(salt, token).toHex().toStdString();
    return constantTimeEquals(computed, digest_hex);
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
    unsigned char difference = a.size() == b.size() ? 0 : 1;
    const std::size_t length = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < length; ++i) {
        const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
        const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
        difference = static_cast<unsigned char>(difference | (x ^ y));
    }
    return difference == 0;
}

Caller TokenAuthority::identify(const QString& bearer) {
    if (bearer.isEmpty()) {
        return {};
    }
    const std::string token = bearer.toStdString();
    if (constantTimeEquals(token, admin_)) {
        return {Caller::Kind::admin, {}};
    }
    const std::string digest = tokenDigest(token);
    if (auto cluster = store_.clusterWithDigest(digest)) {
        return {Caller::Kind::cluster, *cluster};
    }
    if (auto cluster = matchSalted(token, digest)) {
        return {Caller::Kind::cluster, *cluster};
    }
    return {Caller::Kind::unknown, {}};
}

std::optional<std::string> TokenAuthority::matchSalted(const std::string& token,
                                                       const std::string& digest) {
    if (const auto pending = converting_.find(digest); pending != converting_.end()) {
        return pending->second;
    }
    if (salted_left_ == std::size_t{0}) {
        return std::nullopt;
    }
    const std::map<std::string, std::string> hashes = store_.saltedHashes();
    salted_left_ = hashes.size();
    for (const auto& [cluster, hash] : hashes) {
        if (tokenMatches(token, hash)) {
            converting_[digest] = cluster;
            salted_left_ = hashes.size() - 1;
            store_.convert(cluster, hash, digest);
            return cluster;
        }
    }
    return std::nullopt;
}

}  // namespace understudy::api

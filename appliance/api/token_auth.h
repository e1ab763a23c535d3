// Bearer tokens of the API (docs/http-api.md, "Authentication and token scopes"): the admin token,
// and one token per cluster that may act only on its own cluster and node. Cluster tokens are
// stored only as salted hashes.
//
// Why SHA-256 and no slow KDF: a slow KDF protects low-entropy secrets (passwords) against
// guessing from a stolen hash. Cluster tokens are 256 random bits, so guessing one from its hash
// is as hopeless as guessing it outright; a fast hash keeps every request's check cheap.
#pragma once

#include <QString>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace understudy::api {

// 32 bytes of QRandomGenerator::system(), base64url without padding (43 characters).
std::string generateToken();
// "sha256$<salt hex>$<digest hex>" of a new random 16-byte salt and the token.
std::string hashToken(std::string_view token);
// Whether `token` matches a hash made by hashToken; false for any other format (another scheme,
// a salt or digest of the wrong length or not lower-case hex), compared in constant time.
bool tokenMatches(std::string_view token, std::string_view stored_hash);
// Equality whose time depends only on the lengths, not on where the inputs differ.
bool constantTimeEquals(std::string_view a, std::string_view b);

// Who a request acts as.
struct Caller {
    enum class Kind { none, unknown, admin, cluster };
    Kind kind = Kind::none;
    std::string cluster;  // for Kind::cluster
    bool isAdmin() const { return kind == Kind::admin; }
};

// Resolves tokens to callers. Cluster tokens are found by trying each cluster's salted hash;
// tokens that matched are remembered by an unsalted in-memory digest so the search runs once
// per token, and the memory is dropped whenever a token is rotated or a cluster removed.
class TokenAuthority {
public:
    explicit TokenAuthority(std::string admin_token) : admin_(std::move(admin_token)) {}

    // `hashes` is every cluster's stored hash by cluster name, read only on a cache miss.
    template <typename LoadHashes>
    Caller identify(const QString& bearer, LoadHashes load_hashes);

    void forgetClusterTokens() { known_.clear(); }

private:
    std::optional<std::string> cached(const std::string& digest) const;
    static std::string digestOf(std::string_view token);

    std::string admin_;
    std::map<std::string, std::string> known_;  // digest of token → cluster
};

template <typename LoadHashes>
Caller TokenAuthority::identify(const QString& bearer, LoadHashes load_hashes) {
    if (bearer.isEmpty()) {
        return {};
    }
    const std::string token = bearer.toStdString();
    if (constantTimeEquals(token, admin_)) {
        return {Caller::Kind::admin, {}};
    }
    const std::string digest = digestOf(token);
    if (auto cluster = cached(digest)) {
        return {Caller::Kind::cluster, *cluster};
    }
    const std::map<std::string, std::string> hashes = load_hashes();
    for (const auto& [cluster, hash] : hashes) {
        if (tokenMatches(token, hash)) {
            known_[digest] = cluster;
            return {Caller::Kind::cluster, cluster};
        }
    }
    return {Caller::Kind::unknown, {}};
}

}  // namespace understudy::api

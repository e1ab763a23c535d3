// Bearer tokens of the API (docs/http-api.md, "Authentication and token scopes"): the admin token,
// and one token per cluster that may act only on its own cluster and node. Cluster tokens are
// stored only as digests.
//
// Why an unsalted SHA-256 and no slow KDF: a slow KDF or a salt protects low-entropy secrets
// (passwords) against guessing from a stolen hash. Cluster tokens are 256 random bits, so guessing
// one from its digest is as hopeless as guessing it outright; an unsalted digest can be looked up
// by index, so any token, right or wrong, costs one hash and one index probe.
//
// Databases from before schema version 5 hold salted hashes ("sha256$<salt>$<digest>"), which
// cannot be turned into digests without the token. A token that matches one is re-stored as its
// digest at that moment; only the rows never converted are tried one by one, and once none is
// left (at once on a new install) a wrong token never tries any.
#pragma once

#include <QString>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace understudy::api {

// 32 bytes of QRandomGenerator::system(), base64url without padding (43 characters).
std::string generateToken();
// The stored form of a token: lower-case hex of its SHA-256 (64 characters).
std::string tokenDigest(std::string_view token);
// Whether `token` matches a salted hash of before schema version 5; false for any other format
// (another scheme, a salt or digest of the wrong length or not lower-case hex), compared in
// constant time.
bool tokenMatches(std::string_view token, std::string_view salted_hash);
// Equality whose time depends only on the lengths, not on where the inputs differ.
bool constantTimeEquals(std::string_view a, std::string_view b);

// Who a request acts as.
struct Caller {
    enum class Kind { none, unknown, admin, cluster };
    Kind kind = Kind::none;
    std::string cluster;  // for Kind::cluster
    bool isAdmin() const { return kind == Kind::admin; }
};

// Where the cluster tokens are stored.
class ClusterTokenStore {
public:
    virtual ~ClusterTokenStore() = default;
    // The cluster whose token has this digest, by one index probe.
    virtual std::optional<std::string> clusterWithDigest(const std::string& digest) = 0;
    // The salted hashes never converted, by cluster name.
    virtual std::map<std::string, std::string> saltedHashes() = 0;
    // Re-stores the cluster's token as `digest` if its stored hash is still `salted_hash`.
    virtual void convert(const std::string& cluster, const std::string& salted_hash,
                         const std::string& digest) = 0;
};

// Resolves tokens to callers.
class TokenAuthority {
public:
    TokenAuthority(std::string admin_token, ClusterTokenStore& store)
        : admin_(std::move(admin_token)), store_(store) {}

    Caller identify(const QString& bearer);

    // After a rotation or a removal: a token matched through a salted hash and remembered until
    // its conversion is stored must stop working at once.
    void forgetClusterTokens() { converting_.clear(); }

    // Salted hashes not yet converted, as of the last look (nullopt: not looked yet).
    std::optional<std::size_t> saltedLeft() const { return salted_left_; }

private:
    std::optional<std::string> matchSalted(const std::string& token, const std::string& digest);

    std::string admin_;
    ClusterTokenStore& store_;
    // Digests of tokens matched through a salted hash whose conversion may not be stored yet.
    std::map<std::string, std::string> converting_;  // digest → cluster
    // No salted hash is looked for once none is left: new rows are only ever digests.
    std::optional<std::size_t> salted_left_;
};

}  // namespace understudy::api

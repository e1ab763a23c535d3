#include "appliance/api/database_token_store.h"

#include "appliance/http/api_log.h"
#include "db/cluster_repository.h"

namespace understudy::api {

// A database error fails the request's authentication (401) rather than the request: it is
// logged here, where its cause is known.
std::optional<std::string> DatabaseTokenStore::clusterWithDigest(const std::string& digest) {
    if (database_ == nullptr) {
        return std::nullopt;
    }
    auto found = db::ClusterRepository(*database_).nameByTokenHash(digest);
    if (!found) {
        qCWarning(http::lcApi, "cannot look a cluster token up: %s",
                  found.error().describe().c_str());
        return std::nullopt;
    }
    return *found;
}

std::map<std::string, std::string> DatabaseTokenStore::saltedHashes() {
    std::map<std::string, std::string> hashes;
    if (database_ == nullptr) {
        return hashes;
    }
    auto salted = db::ClusterRepository(*database_).saltedTokenHashes();
    if (!salted) {
        qCWarning(http::lcApi, "cannot read the salted cluster token hashes: %s",
                  salted.error().describe().c_str());
        return hashes;
    }
    for (auto& [cluster, hash] : *salted) {
        hashes.emplace(std::move(cluster), std::move(hash));
    }
    return hashes;
}

}  // namespace understudy::api

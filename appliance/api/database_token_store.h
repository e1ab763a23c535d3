// The cluster tokens of the service's database (db::ClusterRepository), read on the API's own
// reader connection; conversions are written by whoever owns the writer.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "appliance/api/token_auth.h"
#include "db/database.h"

namespace understudy::api {

class DatabaseTokenStore : public ClusterTokenStore {
public:
    using Convert = std::function<void(const std::string& cluster, const std::string& salted_hash,
                                       const std::string& digest)>;

    explicit DatabaseTokenStore(Convert convert) : convert_(std::move(convert)) {}

    // Reads from `database` from now on; with none, no token matches.
    void setDatabase(db::Database* database) { database_ = database; }

    std::optional<std::string> clusterWithDigest(const std::string& digest) override;
    std::map<std::string, std::string> saltedHashes() override;
    void convert(const std::string& cluster, const std::string& salted_hash,
                 const std::string& digest) override {
        convert_(cluster, salted_hash, digest);
    }

private:
    Convert convert_;
    db::Database* database_ = nullptr;
};

}  // namespace understudy::api

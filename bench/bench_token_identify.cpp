// What a token costs the API's thread in-process, without HTTP or loopback (docs/benchmarks.md,
// "bench_auth_flood"): TokenAuthority::identify against the service's token store on a real
// SQLite file seeded with 10,000 clusters (UNDERSTUDY_AUTH_FLOOD_CLUSTERS overrides).
#include <benchmark/benchmark.h>

#include <QTemporaryDir>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "appliance/api/database_token_store.h"
#include "bench/seeded_clusters.h"

namespace {

using understudy::api::Caller;

constexpr int kDistinctTokens = 1024;

struct SeededStore {
    QTemporaryDir dir;
    int clusters = 0;
    std::unique_ptr<understudy::db::Database> reader;
    understudy::api::DatabaseTokenStore store{[](const auto&, const auto&, const auto&) {}};
    std::unique_ptr<understudy::api::TokenAuthority> authority;
};

SeededStore& seededStore() {
    static SeededStore seeded = [] {
        SeededStore made;
        const char* given = std::getenv("UNDERSTUDY_AUTH_FLOOD_CLUSTERS");
        made.clusters = given != nullptr ? std::atoi(given) : 10000;
        const std::string path = made.dir.filePath(QStringLiteral("tokens.db")).toStdString();
        const std::string seeded_error =
            made.clusters > 0
                ? understudy::bench::seedClusters(path, "pna-1", "test:///none", made.clusters)
                : "UNDERSTUDY_AUTH_FLOOD_CLUSTERS must be a positive count";
        if (!seeded_error.empty()) {
            std::fprintf(stderr, "seeding the database: %s\n", seeded_error.c_str());
            std::exit(2);
        }
        auto reader = understudy::db::Database::openReader(path);
        if (!reader) {
            std::fprintf(stderr, "%s\n", reader.error().describe().c_str());
            std::exit(2);
        }
        made.reader = std::move(*reader);
        return made;
    }();
    if (!seeded.authority) {
        seeded.store.setDatabase(seeded.reader.get());
        seeded.authority =
            std::make_unique<understudy::api::TokenAuthority>("admin-token", seeded.store);
    }
    return seeded;
}

// Cycles through distinct tokens so no answer comes from a cache above SQLite's.
void identifyEach(benchmark::State& state, const std::vector<QString>& tokens,
                  Caller::Kind expected) {
    understudy::api::TokenAuthority& authority = *seededStore().authority;
    std::size_t next = 0;
    for (auto _ : state) {
        const Caller caller = authority.identify(tokens[next]);
        if (caller.kind != expected) {
            state.SkipWithError("a token was identified as the wrong kind of caller");
            return;
        }
        next = (next + 1) % tokens.size();
    }
    state.counters["clusters"] = seededStore().clusters;
}

void BM_IdentifyWrongToken(benchmark::State& state) {
    std::vector<QString> tokens;
    for (int i = 0; i < kDistinctTokens; ++i) {
        tokens.push_back(QString::fromStdString(understudy::api::generateToken()));
    }
    identifyEach(state, tokens, Caller::Kind::unknown);
}
BENCHMARK(BM_IdentifyWrongToken);

void BM_IdentifyClusterToken(benchmark::State& state) {
    const int clusters = seededStore().clusters;
    std::vector<QString> tokens;
    for (int i = 0; i < kDistinctTokens; ++i) {
        tokens.push_back(QString::fromStdString(understudy::bench::seededClusterToken(
            i * (clusters / kDistinctTokens + 1) % clusters)));
    }
    identifyEach(state, tokens, Caller::Kind::cluster);
}
BENCHMARK(BM_IdentifyClusterToken);

}  // namespace

BENCHMARK_MAIN();

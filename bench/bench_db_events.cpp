// The event log's costs: durable appends (each acknowledged only once its commit is on disk,
// WAL with synchronous=FULL), single and group-committed, and paging 200 events from random
// positions of a 1,000,000-event log, as GET /events does through a reader connection.
// The database files live in a temporary folder under $TMPDIR (default /tmp): the fsync cost
// is that file system's.
#include <benchmark/benchmark.h>

#include <QTemporaryDir>

#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include "db/database.h"
#include "db/event_log.h"

using namespace understudy::db;

namespace {

constexpr int kLogSize = 1'000'000;
constexpr int kPage = 200;
const char* const kClusters[] = {"erp", "crm", "web", "mail", "dwh", "hr", "pos", "bi"};

DBEvent sampleEvent(std::int64_t i) {
    const std::string cluster = kClusters[i % 8];
    return DBEvent{0,
                   1'700'000'000'000 + i,
                   i % 3 == 0 ? "takeover.granted" : "probe.failed",
                   cluster,
                   cluster + "-passive",
                   R"({"memory_mib": 32768, "vcpus": 8, "partial": false})",
                   "cluster:" + cluster + "@10.0.0.5"};
}

std::unique_ptr<Database> open(const QTemporaryDir& dir, const char* name, Role role) {
    OpenOptions options;
    options.verifyAtOpen = false;
    const std::string path = dir.filePath(name).toStdString();
    auto database = role == Role::Writer ? Database::openWriter(path, options)
                                         : Database::openReader(path, options);
    if (!database) {
        std::fprintf(stderr, "%s\n", database.error().describe().c_str());
        std::abort();
    }
    return std::move(*database);
}

// The million-event log, built once per process and shared by the paging benchmarks.
struct MillionLog {
    QTemporaryDir dir;
    std::unique_ptr<Database> writer;
    std::unique_ptr<Database> reader;

    MillionLog() {
        writer = open(dir, "million.db", Role::Writer);
        EventLog log(*writer);
        std::vector<DBEvent> batch;
        for (std::int64_t i = 0; i < kLogSize; ++i) {
            batch.push_back(sampleEvent(i));
            if (batch.size() == 10'000) {
                if (!log.append(batch)) {
                    std::abort();
                }
                batch.clear();
            }
        }
        // One writer per database: let go of it so the open benchmark can take its place.
        writer.reset();
        reader = open(dir, "million.db", Role::Reader);
    }
};

MillionLog& millionLog() {
    static MillionLog log;
    return log;
}

}  // namespace

static void BM_AppendDurableSingle(benchmark::State& state) {
    QTemporaryDir dir;
    auto writer = open(dir, "single.db", Role::Writer);
    EventLog log(*writer);
    std::int64_t i = 0;
    for (auto _ : state) {
        if (!log.append(sampleEvent(i++))) {
            state.SkipWithError("append failed");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AppendDurableSingle)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

static void BM_AppendDurableBatched(benchmark::State& state) {
    QTemporaryDir dir;
    auto writer = open(dir, "batched.db", Role::Writer);
    EventLog log(*writer);
    std::vector<DBEvent> batch;
    for (std::int64_t i = 0; i < state.range(0); ++i) {
        batch.push_back(sampleEvent(i));
    }
    for (auto _ : state) {
        if (!log.append(batch)) {
            state.SkipWithError("append failed");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AppendDurableBatched)
    ->Arg(10)
    ->Arg(100)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->UseRealTime();

static void BM_PageOf200FromAMillion(benchmark::State& state) {
    EventLog log(*millionLog().reader);
    std::mt19937_64 random(42);
    std::uniform_int_distribution<Id> since(0, kLogSize - kPage);
    for (auto _ : state) {
        auto page = log.page(EventQuery{since(random), kPage, {}});
        if (!page || page->events.size() != kPage) {
            state.SkipWithError("short page");
            break;
        }
        benchmark::DoNotOptimize(page->events.data());
    }
    state.SetItemsProcessed(state.iterations() * kPage);
}
BENCHMARK(BM_PageOf200FromAMillion)->Unit(benchmark::kMicrosecond)->UseRealTime();

static void BM_PageOf200ForOneClusterFromAMillion(benchmark::State& state) {
    EventLog log(*millionLog().reader);
    std::mt19937_64 random(43);
    std::uniform_int_distribution<Id> since(0, kLogSize - 8 * kPage);
    for (auto _ : state) {
        EventFilter filter;
        filter.cluster = "crm";
        auto page = log.page(EventQuery{since(random), kPage, filter});
        if (!page || page->events.size() != kPage) {
            state.SkipWithError("short page");
            break;
        }
        benchmark::DoNotOptimize(page->events.data());
    }
    state.SetItemsProcessed(state.iterations() * kPage);
}
BENCHMARK(BM_PageOf200ForOneClusterFromAMillion)->Unit(benchmark::kMicrosecond)->UseRealTime();

// What verifyAtOpen (PRAGMA quick_check before the writer touches the file) adds to the
// service's start on a million-event database.
static void BM_OpenWriterWithQuickCheckOnAMillion(benchmark::State& state) {
    const std::string path = millionLog().dir.filePath("million.db").toStdString();
    for (auto _ : state) {
        auto database = Database::openWriter(path);
        if (!database) {
            state.SkipWithError("open failed");
            break;
        }
    }
}
BENCHMARK(BM_OpenWriterWithQuickCheckOnAMillion)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();

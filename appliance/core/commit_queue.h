// Group commit (docs/http-api.md, "Basics": concurrent changes may share one commit, and none is
// answered before it is on disk). One thread owns the database writer's transactions: it takes
// every change the workers have queued since its last commit, runs them in one transaction with
// their events (in the order queued, so event ids stay consecutive), commits once (one fsync under
// synchronous=FULL) and only then completes each change's caller. A change that fails does not take
// the others down: the batch is run again with a savepoint per change.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/result.h"
#include "db/database.h"
#include "db/records.h"

namespace understudy::core {

class CommitQueue {
public:
    // Makes a change inside the commit's transaction and collects the events that record it.
    using Change = std::function<Status(db::Database&, std::vector<db::DBEvent>&)>;
    // Called on the commit thread once the change is durable (with the id of its last event,
    // 0 when it appended none) or has failed. It must not wait for another commit.
    using Completion = std::function<void(Result<db::Id>)>;
    // Called on the commit thread after each commit that appended events, before the changes'
    // completions, with the newest event id.
    using EventsListener = std::function<void(db::Id)>;

    // `database_mutex` guards `writer` against the other threads that read through it.
    CommitQueue(db::Database& writer, std::mutex& database_mutex, EventsListener listener);
    // Commits what is queued, then stops the thread.
    ~CommitQueue();
    CommitQueue(const CommitQueue&) = delete;
    CommitQueue& operator=(const CommitQueue&) = delete;

    void submit(Change change, Completion completion);

private:
    struct Job {
        Change change;
        Completion completion;
    };
    void run();
    void commitBatch(std::vector<Job>& batch);
    // One transaction for the whole batch; nullopt (rolled back) when a change fails.
    std::optional<std::vector<Result<db::Id>>> commitTogether(std::vector<Job>& batch);
    // One transaction, a savepoint per change: a failing change rolls back alone.
    std::vector<Result<db::Id>> commitOneByOne(std::vector<Job>& batch);
    Result<db::Id> commitInSavepoint(Job& job);

    db::Database& writer_;
    std::mutex& database_mutex_;
    EventsListener listener_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Job> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace understudy::core

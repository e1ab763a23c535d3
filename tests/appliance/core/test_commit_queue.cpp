// The appliance core's group commit: changes queued together share one transaction, a failing
// change is refused alone, events get consecutive ids in the order queued, and a caller hears
// of its change only once another connection can read it.
#include <QTemporaryDir>
#include <QTest>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "appliance/core/commit_queue.h"
#include "db/database.h"
#include "db/event_log.h"
#include "db/group_repository.h"

using namespace understudy;
using namespace understudy::core;

namespace {

db::DBEvent event(const std::string& note) {
    db::DBEvent made;
    made.time = db::nowMs();
    made.kind = "service.started";
    made.details = "{\"note\":\"" + note + "\"}";
    return made;
}

// A change that adds a group and records one event; fails after its write when `fail`.
CommitQueue::Change addGroup(const std::string& name, bool fail = false) {
    return [name, fail](db::Database& database, std::vector<db::DBEvent>& events) -> Status {
        auto id = db::GroupRepository(database).insert(db::DBGroup{0, name, 8760, 24});
        if (!id) {
            return id.error();
        }
        events.push_back(event(name));
        if (fail) {
            return Error{"invalid_field", "refused on purpose", name};
        }
        return Done{};
    };
}

// Holds the commit thread inside a change until released, so that what is queued meanwhile
// forms the next batch.
class Gate {
public:
    CommitQueue::Change change() {
        return [this](db::Database&, std::vector<db::DBEvent>&) -> Status {
            std::unique_lock lock(mutex_);
            entered_ = true;
            changed_.notify_all();
            changed_.wait(lock, [this] { return open_; });
            return Done{};
        };
    }
    void waitUntilEntered() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return entered_; });
    }
    void open() {
        const std::lock_guard lock(mutex_);
        open_ = true;
        changed_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool entered_ = false;
    bool open_ = false;
};

std::string databaseIn(const QTemporaryDir& dir) {
    return dir.filePath(QStringLiteral("queue.db")).toStdString();
}

struct Outcomes {
    std::mutex mutex;
    std::vector<std::pair<std::string, Result<db::Id>>> heard;

    CommitQueue::Completion record(const std::string& name) {
        return [this, name](Result<db::Id> outcome) {
            const std::lock_guard lock(mutex);
            heard.emplace_back(name, std::move(outcome));
        };
    }
};

}  // namespace

class CommitQueueTest : public QObject {
    Q_OBJECT

private slots:
    void aFailingChangeIsRefusedAloneAndTheOthersCommit();
    void eventsGetConsecutiveIdsInTheOrderQueued();
    void aCallerHearsOnlyOnceItsChangeIsReadableElsewhere();
};

void CommitQueueTest::aFailingChangeIsRefusedAloneAndTheOthersCommit() {
    QTemporaryDir dir;
    const std::string path = databaseIn(dir);
    auto writer = db::Database::openWriter(path);
    QVERIFY(writer);
    std::mutex database_mutex;
    Outcomes outcomes;
    std::vector<db::Id> announced;
    {
        CommitQueue queue(**writer, database_mutex,
                          [&](db::Id last) { announced.push_back(last); });
        Gate gate;
        queue.submit(gate.change(), outcomes.record("gate"));
        gate.waitUntilEntered();
        queue.submit(addGroup("first"), outcomes.record("first"));
        queue.submit(addGroup("refused", true), outcomes.record("refused"));
        queue.submit(addGroup("third"), outcomes.record("third"));
        gate.open();
    }
    QCOMPARE(outcomes.heard.size(), std::size_t{4});
    QCOMPARE(outcomes.heard[1].first, std::string("first"));
    QVERIFY(outcomes.heard[1].second);
    QCOMPARE(outcomes.heard[2].first, std::string("refused"));
    QVERIFY(!outcomes.heard[2].second);
    QCOMPARE(outcomes.heard[2].second.error().message, std::string("refused on purpose"));
    QVERIFY(outcomes.heard[3].second);

    auto groups = db::GroupRepository(**writer).list();
    QVERIFY(groups);
    std::vector<std::string> names;
    for (const db::DBGroup& group : *groups) {
        names.push_back(group.name);
    }
    QCOMPARE(names, (std::vector<std::string>{"first", "third"}));
    auto page = db::EventLog(**writer).page(db::EventQuery{0, db::kMaxEventPage, {}});
    QVERIFY(page);
    QCOMPARE(page->events.size(), std::size_t{2});
    QCOMPARE(page->events[0].id, db::Id{1});
    QCOMPARE(page->events[1].id, db::Id{2});
    QCOMPARE(*outcomes.heard[1].second, db::Id{1});
    QCOMPARE(*outcomes.heard[3].second, db::Id{2});
    QCOMPARE(announced, std::vector<db::Id>{2});
}

void CommitQueueTest::eventsGetConsecutiveIdsInTheOrderQueued() {
    QTemporaryDir dir;
    const std::string path = databaseIn(dir);
    auto writer = db::Database::openWriter(path);
    QVERIFY(writer);
    std::mutex database_mutex;
    Outcomes outcomes;
    constexpr int kChanges = 200;
    {
        CommitQueue queue(**writer, database_mutex, {});
        std::vector<std::thread> submitters;
        for (int t = 0; t < 4; ++t) {
            submitters.emplace_back([&, t] {
                for (int i = 0; i < kChanges / 4; ++i) {
                    const std::string name = "g" + std::to_string(t) + "-" + std::to_string(i);
                    queue.submit(addGroup(name), outcomes.record(name));
                }
            });
        }
        for (std::thread& submitter : submitters) {
            submitter.join();
        }
    }
    QCOMPARE(outcomes.heard.size(), std::size_t{kChanges});
    auto page = db::EventLog(**writer).page(db::EventQuery{0, db::kMaxEventPage, {}});
    QVERIFY(page);
    QCOMPARE(page->events.size(), std::size_t{kChanges});
    for (std::size_t i = 0; i < page->events.size(); ++i) {
        QCOMPARE(page->events[i].id, static_cast<db::Id>(i + 1));
        // Completions come in the order queued, each with its own event's id.
        QVERIFY(outcomes.heard[i].second);
        QCOMPARE(*outcomes.heard[i].second, page->events[i].id);
        QVERIFY(page->events[i].details.find(outcomes.heard[i].first) != std::string::npos);
    }
}

void CommitQueueTest::aCallerHearsOnlyOnceItsChangeIsReadableElsewhere() {
    QTemporaryDir dir;
    const std::string path = databaseIn(dir);
    auto writer = db::Database::openWriter(path);
    QVERIFY(writer);
    auto reader = db::Database::openReader(path);
    QVERIFY(reader);
    std::mutex database_mutex;
    std::vector<bool> visible;
    {
        CommitQueue queue(**writer, database_mutex, {});
        for (int i = 0; i < 20; ++i) {
            const std::string name = "seen-" + std::to_string(i);
            queue.submit(addGroup(name), [&, name](Result<db::Id> outcome) {
                auto found = db::GroupRepository(**reader).byName(name);
                visible.push_back(outcome && found && found->has_value());
            });
        }
    }
    QCOMPARE(visible, std::vector<bool>(20, true));
}

QTEST_GUILESS_MAIN(CommitQueueTest)
#include "test_commit_queue.moc"

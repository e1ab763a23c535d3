// The writer's claim on a database: an exclusive flock(2) on "<database>-writer.lock", held for
// the writer's lifetime. A second writer (another understudyd, or a second writer connection in
// the same process) is refused at open instead of racing the first one's commits. The kernel
// drops the lock when the process dies, even by SIGKILL, so a crash never leaves it stale.
#pragma once

#include <string>

#include "base/result.h"

namespace understudy::db {

class WriterLock {
public:
    // databasePath may be a plain path or an SQLite "file:" URI.
    static Result<WriterLock> acquire(const std::string& databasePath);

    WriterLock(WriterLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    WriterLock& operator=(WriterLock&&) = delete;
    WriterLock(const WriterLock&) = delete;
    WriterLock& operator=(const WriterLock&) = delete;
    ~WriterLock();

private:
    explicit WriterLock(int fd) : fd_(fd) {}
    int fd_;
};

}  // namespace understudy::db

#include "db/writer_lock.h"
#include "base/error_codes.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace understudy::db {

namespace {

std::string fileOf(const std::string& databasePath) {
    if (databasePath.rfind("file:", 0) != 0) {
        return databasePath;
    }
    std::string path = databasePath.substr(5, databasePath.find('?') - 5);
    // "file:///abs" and "file://localhost/abs" name the same file as "file:/abs".
    if (path.rfind("//", 0) == 0) {
        path = path.substr(path.find('/', 2));
    }
    return path;
}

}  // namespace

Result<WriterLock> WriterLock::acquire(const std::string& databasePath) {
    const std::string lockPath = fileOf(databasePath) + "-writer.lock";
    const int fd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        return Error{errc::kDatabaseUnavailable,
                     std::string("cannot create the writer lock file: ") + std::strerror(errno) +
                         "; check that the database's folder exists and is writable",
                     lockPath};
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        ::close(fd);
        return Error{
            "database_unavailable",
            error == EWOULDBLOCK
                ? std::string("another writer (a running understudyd?) has the database "
                              "open; stop it, or open a reader instead")
                : std::string("cannot lock the database for writing: ") + std::strerror(error),
            databasePath};
    }
    return WriterLock(fd);
}

WriterLock::~WriterLock() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

}  // namespace understudy::db

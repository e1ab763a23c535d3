// The storage fault test's second process: opens a database, takes its write lock
// (BEGIN IMMEDIATE), prints "locked" and holds the lock until its stdin closes, then rolls back.
#include <sqlite3.h>

#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: db_lock_holder DATABASE\n";
        return 2;
    }
    sqlite3* database = nullptr;
    if (sqlite3_open_v2(argv[1], &database, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        std::cerr << "cannot open " << argv[1] << ": " << sqlite3_errmsg(database) << "\n";
        return 1;
    }
    sqlite3_busy_timeout(database, 10000);
    if (sqlite3_exec(database, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
        std::cerr << "cannot lock " << argv[1] << ": " << sqlite3_errmsg(database) << "\n";
        sqlite3_close(database);
        return 1;
    }
    std::cout << "locked" << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    sqlite3_exec(database, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(database);
    return 0;
}

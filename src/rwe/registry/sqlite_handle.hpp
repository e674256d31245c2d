#pragma once
// Thin owners of a SQLite connection and statement that turn failures into rwe errors.

#include <sqlite3.h>

#include <string>

namespace rwe::registry {

class SqliteDatabase {
public:
    // Throws IoError naming `path` when the database cannot be opened.
    SqliteDatabase(const std::string& path, int flags);
    ~SqliteDatabase();
    SqliteDatabase(const SqliteDatabase&) = delete;
    SqliteDatabase& operator=(const SqliteDatabase&) = delete;

    sqlite3* get() const { return db_; }
    void execute(const std::string& sql);
    // Closes now (to flush before a rename); further use is an error.
    void close();
    [[noreturn]] void fail(const std::string& what) const;

private:
    sqlite3* db_ = nullptr;
    std::string path_;
};

class SqliteStatement {
public:
    SqliteStatement(SqliteDatabase& db, const std::string& sql);
    ~SqliteStatement();
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    sqlite3_stmt* get() const { return statement_; }
    // Steps once; true when a row is available.
    bool step();
    void reset();

private:
    SqliteDatabase& db_;
    sqlite3_stmt* statement_ = nullptr;
};

}  // namespace rwe::registry

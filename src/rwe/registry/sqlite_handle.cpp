#include "rwe/registry/sqlite_handle.hpp"

#include "rwe/common/error.hpp"

namespace rwe::registry {

SqliteDatabase::SqliteDatabase(const std::string& path, int flags) : path_(path) {
    const int status = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (status != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(status);
        sqlite3_close(db_);
        db_ = nullptr;
        throw IoError(path + ": cannot open database (" + message + ")");
    }
    sqlite3_extended_result_codes(db_, 1);
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close_v2(db_); }

void SqliteDatabase::close() {
    if (db_ == nullptr) return;
    if (sqlite3_close(db_) != SQLITE_OK) fail("close");
    db_ = nullptr;
}

void SqliteDatabase::fail(const std::string& what) const {
    throw IoError(path_ + ": " + what + " failed (" + (db_ ? sqlite3_errmsg(db_) : "database closed") + ")");
}

void SqliteDatabase::execute(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        const std::string text = message ? message : "unknown error";
        sqlite3_free(message);
        throw IoError(path_ + ": SQL failed (" + text + "): " + sql);
    }
}

SqliteStatement::SqliteStatement(SqliteDatabase& db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db.get(), sql.c_str(), static_cast<int>(sql.size()), &statement_, nullptr) !=
        SQLITE_OK) {
        db.fail("preparing `" + sql + "`");
    }
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(statement_); }

bool SqliteStatement::step() {
    const int status = sqlite3_step(statement_);
    if (status == SQLITE_ROW) return true;
    if (status == SQLITE_DONE) return false;
    db_.fail("statement");
}

void SqliteStatement::reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
}

}  // namespace rwe::registry

#include "rwe/registry/store_connection.hpp"

#include <sqlite3.h>

#include <filesystem>

#include "rwe/common/error.hpp"
#include "rwe/registry/postgresql_connection.hpp"

namespace rwe::registry {

void StoreConnection::for_each_row(const std::string& sql, const std::vector<std::string>& parameters,
                                   const std::function<void(const StoreRow&)>& on_row) {
    auto cursor = execute(sql, parameters);
    while (cursor->next()) on_row(cursor->row());
}

namespace {

class SqliteRow : public StoreRow {
public:
    explicit SqliteRow(sqlite3_stmt* statement) : statement_(statement) {}
    bool is_null(int column) const override { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
    std::string_view text(int column) const override {
        const auto* value = sqlite3_column_text(statement_, column);
        if (value == nullptr) return {};
        return {reinterpret_cast<const char*>(value), static_cast<std::size_t>(sqlite3_column_bytes(statement_, column))};
    }
    double real(int column) const override { return sqlite3_column_double(statement_, column); }
    std::int64_t integer(int column) const override { return sqlite3_column_int64(statement_, column); }

private:
    sqlite3_stmt* statement_;
};

class SqliteCursor : public StoreCursor {
public:
    SqliteCursor(sqlite3* db, sqlite3_stmt* statement, std::string location)
        : db_(db), statement_(statement), row_(statement), location_(std::move(location)) {}
    ~SqliteCursor() override { sqlite3_finalize(statement_); }
    SqliteCursor(const SqliteCursor&) = delete;
    SqliteCursor& operator=(const SqliteCursor&) = delete;

    bool next() override {
        const int status = sqlite3_step(statement_);
        if (status == SQLITE_ROW) return true;
        if (status == SQLITE_DONE) return false;
        throw IoError(location_ + ": read failed (" + sqlite3_errmsg(db_) + ")");
    }
    const StoreRow& row() const override { return row_; }

private:
    sqlite3* db_;
    sqlite3_stmt* statement_;
    SqliteRow row_;
    std::string location_;
};

class SqliteConnection : public StoreConnection {
public:
    explicit SqliteConnection(const std::string& path) : path_(path) {
        if (!std::filesystem::exists(path)) throw IoError(path + ": no such registry store (run rwe import first)");
        // Read-only, and used from one thread: no SQLite mutex.
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
            std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw IoError(path + ": cannot open registry store (" + message + ")");
        }
    }
    ~SqliteConnection() override { sqlite3_close(db_); }
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    const SqlDialect& dialect() const override { return sqlite_dialect; }

    std::unique_ptr<StoreCursor> execute(const std::string& sql, const std::vector<std::string>& parameters) override {
        sqlite3_stmt* statement = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
            // A table or column rwe reads is missing: the file is not what rwe import writes.
            // Anything else is the statement's own failure, said as SQLite says it.
            const std::string message = sqlite3_errmsg(db_);
            const bool schema = message.rfind("no such table", 0) == 0 || message.rfind("no such column", 0) == 0;
            throw IoError(path_ + (schema ? ": not a registry store of this version (" : ": SQLite cannot run rwe's statement (") +
                          message + ")");
        }
        for (std::size_t k = 0; k < parameters.size(); ++k) {
            sqlite3_bind_text(statement, static_cast<int>(k + 1), parameters[k].data(), static_cast<int>(parameters[k].size()),
                              SQLITE_TRANSIENT);
        }
        return std::make_unique<SqliteCursor>(db_, statement, path_);
    }

    bool has_table(const std::string& table) override {
        auto cursor = execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", {table});
        return cursor->next();
    }

    bool has_column(const std::string& table, const std::string& column) override {
        auto cursor = execute("SELECT 1 FROM pragma_table_info(?) WHERE name = ?", {table, column});
        return cursor->next();
    }

    std::unique_ptr<StoreConnection> open_reader() override { return std::make_unique<SqliteConnection>(path_); }

private:
    std::string path_;
    sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<StoreConnection> open_store(const std::string& location) {
    if (is_postgresql_location(location)) return open_postgresql_store(location);
    return std::make_unique<SqliteConnection>(location);
}

}  // namespace rwe::registry

#include "rwe/registry/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <vector>

#include "rwe/common/cleanup.hpp"
#include "rwe/common/error.hpp"
#include "rwe/registry/store_location.hpp"
#include "rwe/registry/postgresql_store.hpp"
#include "rwe/registry/sha256.hpp"
#include "rwe/registry/sqlite_handle.hpp"
#include "rwe/registry/store_loader.hpp"
#include "rwe/registry/store_schema.hpp"

namespace rwe::registry {

namespace fs = std::filesystem;

namespace {

// Writes batches with prepared INSERTs, rows_per_insert rows per statement (fewer
// statement executions), the rest of a batch one by one.
class SqliteBatchLoader : public BatchLoader {
public:
    explicit SqliteBatchLoader(SqliteDatabase& db) : db_(db) {}

    void load(const RowBatch& batch) override {
        Inserts& insert = inserts_[batch.file];  // batches of two tables alternate
        if (!insert.one) {
            insert.one = std::make_unique<SqliteStatement>(db_, insert_statement(*batch.file, sqlite_dialect));
            insert.many = std::make_unique<SqliteStatement>(db_, insert_statement(*batch.file, sqlite_dialect, rows_per_insert));
        }
        const std::size_t columns = batch.file->columns.size();
        const std::size_t rows = batch.rows();
        const auto bind_row = [&](sqlite3_stmt* statement, std::size_t source_row, int first_position) {
            sqlite3_bind_int64(statement, first_position, static_cast<sqlite3_int64>(batch.lines[source_row]));
            for (std::size_t column = 0; column < columns; ++column) {
                const RowBatch::StoredCell& cell = batch.cells[source_row * columns + column];
                const int position = first_position + 1 + static_cast<int>(column);
                switch (cell.kind) {
                    case Cell::Kind::null: sqlite3_bind_null(statement, position); break;
                    case Cell::Kind::text:
                        // The batch outlives the step, so SQLite need not copy the text.
                        sqlite3_bind_text(statement, position, batch.arena.data() + cell.offset,
                                          static_cast<int>(cell.size), SQLITE_STATIC);
                        break;
                    case Cell::Kind::integer: sqlite3_bind_int64(statement, position, cell.integer); break;
                    case Cell::Kind::real: sqlite3_bind_double(statement, position, cell.real); break;
                }
            }
        };
        const int per_row = static_cast<int>(columns) + 1;
        std::size_t row = 0;
        for (; row + rows_per_insert <= rows; row += rows_per_insert) {
            for (int k = 0; k < rows_per_insert; ++k) bind_row(insert.many->get(), row + k, 1 + k * per_row);
            insert.many->step();
            sqlite3_reset(insert.many->get());
        }
        for (; row < rows; ++row) {
            bind_row(insert.one->get(), row, 1);
            insert.one->step();
            sqlite3_reset(insert.one->get());
        }
    }

    // The statements are finalized before the database is closed.
    void finish() override { inserts_.clear(); }

private:
    static constexpr int rows_per_insert = 64;
    struct Inserts {
        std::unique_ptr<SqliteStatement> one, many;
    };
    SqliteDatabase& db_;
    std::map<const FileSpec*, Inserts> inserts_;
};

// A temporary database file beside the target, `.NAME.import-<pid>-XXXXXX`; removed unless
// committed, also on a signal, and by the next import when its process is gone.
class TemporaryFile {
public:
    explicit TemporaryFile(const fs::path& target) {
        const std::string prefix = "." + target.filename().string() + ".import-";
        remove_stale(target.parent_path(), prefix);
        std::string pattern = (target.parent_path() / (prefix + std::to_string(::getpid()) + "-XXXXXX")).string();
        std::vector<char> name(pattern.begin(), pattern.end());
        name.push_back('\0');
        const int fd = mkstemp(name.data());
        if (fd < 0) throw IoError(target.string() + ": cannot create a temporary file beside it");
        // mkstemp creates the file private (0600); a database gets the usual mode.
        const mode_t mask = ::umask(0);
        ::umask(mask);
        ::fchmod(fd, 0666 & ~mask);
        ::close(fd);
        path_ = name.data();
        remove_on_signal_ = std::make_unique<RemoveOnSignal>(path_);
    }
    ~TemporaryFile() {
        if (path_.empty()) return;
        std::error_code ec;
        fs::remove(path_, ec);
        fs::remove(path_.string() + "-journal", ec);
    }
    const fs::path& path() const { return path_; }
    // Makes the file durable and atomically puts it in place of `target`.
    void commit(const fs::path& target) {
        sync_path(path_, O_RDONLY);
        std::error_code ec;
        fs::rename(path_, target, ec);
        if (ec) throw IoError(target.string() + ": cannot move the new database in place (" + ec.message() + ")");
        path_.clear();
        remove_on_signal_->release();
        sync_path(target.parent_path().empty() ? fs::path(".") : target.parent_path(), O_RDONLY | O_DIRECTORY);
    }

private:
    static void sync_path(const fs::path& path, int flags) {
        const int fd = ::open(path.c_str(), flags);
        if (fd < 0) return;
        ::fsync(fd);
        ::close(fd);
    }
    fs::path path_;
    std::unique_ptr<RemoveOnSignal> remove_on_signal_;
};

}  // namespace

std::string utc_timestamp() {
    const std::time_t now = std::time(nullptr);
    std::tm parts{};
    gmtime_r(&now, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

ImportResult import_registry(const fs::path& directory, const fs::path& database, const ImportOptions& options) {
    if (is_postgresql_location(database.string())) return import_registry_postgresql(directory, database.string(), options);
    std::error_code ec;
    if (fs::exists(database, ec) && !options.replace) {
        throw UsageError(database.string() + ": database already exists; use --replace to replace it");
    }
    if (fs::exists(database, ec) && !fs::is_regular_file(database, ec)) {
        throw UsageError(database.string() + ": exists and is not a file");
    }
    if (!fs::is_directory(directory, ec)) throw IoError(directory.string() + ": not a readable folder");
    // --replace must never put the database in place of a file it reads.
    if (fs::exists(database, ec)) {
        for (const auto& entry : fs::directory_iterator(directory, ec)) {
            std::error_code same_ec;
            if (fs::equivalent(entry.path(), database, same_ec)) {
                throw UsageError(database.string() + ": is a file of the registry folder " + directory.string() +
                                 "; choose another database file");
            }
        }
    }
    const fs::path absolute_target = fs::absolute(database);
    if (!fs::is_directory(absolute_target.parent_path(), ec)) {
        throw IoError(database.string() + ": its folder does not exist");
    }

    // SQLite's allocation statistics take a global mutex on every malloc; rwe does not use
    // them. This only takes effect before SQLite's first use in the process (else ignored).
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);

    ImportResult result;
    TemporaryFile temporary(absolute_target);
    SqliteDatabase db(temporary.path().string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    // The temporary file is thrown away on any failure and renamed into place only when
    // complete, so the rollback journal and fsyncs during the load buy nothing.
    db.execute("PRAGMA journal_mode = OFF");
    db.execute("PRAGMA synchronous = OFF");
    db.execute("PRAGMA locking_mode = EXCLUSIVE");
    db.execute("PRAGMA page_size = 16384");
    db.execute("PRAGMA cache_size = -65536");  // 64 MiB page cache: bounded memory
    db.execute("BEGIN");
    for (const std::string& sql : create_table_statements(sqlite_dialect)) db.execute(sql);

    SqliteBatchLoader loader(db);
    StoreRowSink sink(loader);
    ValidationOptions validation;
    validation.on_diagnostic = options.on_diagnostic;
    validation.on_progress = options.on_progress;
    validation.rows = &sink;
    result.validation = validate_registry(directory, validation);
    sink.finish();
    if (!result.validation.valid()) return result;  // the temporary file is removed

    for (const std::string& sql : create_index_statements(sqlite_dialect)) db.execute(sql);
    {
        SqliteStatement info(db,
                             "INSERT INTO import_info (format_version, imported_at, rwe_version, source_directory, "
                             "warnings) VALUES (?, ?, ?, ?, ?)");
        const std::string imported_at = options.imported_at.empty() ? utc_timestamp() : options.imported_at;
        const std::string source = fs::absolute(directory).lexically_normal().string();
        sqlite3_bind_int(info.get(), 1, store_format_version);
        sqlite3_bind_text(info.get(), 2, imported_at.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(info.get(), 3, RWE_VERSION, -1, SQLITE_STATIC);
        sqlite3_bind_text(info.get(), 4, source.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(info.get(), 5, static_cast<sqlite3_int64>(result.validation.warnings));
        info.step();

        SqliteStatement file_row(db, "INSERT INTO source_files (file_name, sha256, bytes, row_count) VALUES (?, ?, ?, ?)");
        for (const FileSummary& file : result.validation.files) {
            if (!file.present) continue;
            const std::string digest = sha256_of_file(file.path);
            sqlite3_bind_text(file_row.get(), 1, file.name.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(file_row.get(), 2, digest.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(file_row.get(), 3, static_cast<sqlite3_int64>(fs::file_size(file.path)));
            sqlite3_bind_int64(file_row.get(), 4, static_cast<sqlite3_int64>(file.rows));
            file_row.step();
            file_row.reset();
        }
    }
    db.execute("COMMIT");
    db.close();
    temporary.commit(absolute_target);
    result.imported = true;
    result.rows = sink.rows();
    return result;
}

}  // namespace rwe::registry

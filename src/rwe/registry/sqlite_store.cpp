#include "rwe/registry/sqlite_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <charconv>
#include <ctime>
#include <map>
#include <memory>
#include <vector>

#include "rwe/common/cleanup.hpp"
#include "rwe/common/error.hpp"
#include "rwe/registry/field_parse.hpp"
#include "rwe/registry/sha256.hpp"
#include "rwe/registry/sqlite_handle.hpp"
#include "rwe/registry/store_schema.hpp"

namespace rwe::registry {

namespace fs = std::filesystem;

namespace {

// Loads rows as the validator hands them over. Parsing and checking (the caller's thread)
// and inserting (a loader thread) overlap: rows are copied into batches that pass through
// a queue of at most `max_batches`, so memory stays bounded whatever the file size.
class SqliteRowSink : public RowSink {
public:
    explicit SqliteRowSink(SqliteDatabase& db) : db_(db), loader_([this] { load(); }) {}
    ~SqliteRowSink() override {
        try {
            finish();
        } catch (...) {
            // finish() is called explicitly on the success path; here only cleanup matters.
        }
    }

    void begin_file(const FileSpec& file) override {
        flush();
        batch_.file = &file;
    }

    void row(const FileSpec& file, std::size_t line, std::span<const Cell> cells) override {
        add_row(batch_, line, cells);
        if (file.id == FileId::administrations) add_administration(line, cells);
        if (batch_.lines.size() >= batch_rows) flush();
    }

    void end_file(const FileSpec& file) override {
        flush();
        if (file.id == FileId::administrations) {
            end_regimen_run();
            flush(days_batch_);
        }
    }

    // Waits until every row is in the database; rethrows a failure of the loader.
    void finish() {
        if (!loader_.joinable()) return;
        flush();
        {
            std::unique_lock lock(mutex_);
            done_ = true;
        }
        changed_.notify_all();
        loader_.join();
        if (failure_) std::rethrow_exception(failure_);
    }

    // Rows loaded from the registry files (administration_days rows are not counted).
    std::size_t rows() const { return rows_; }

private:
    static constexpr std::size_t batch_rows = 8192;
    static constexpr std::size_t max_batches = 4;
    static constexpr int rows_per_insert = 64;

    struct StoredCell {
        Cell::Kind kind;
        std::int64_t integer;
        double real;
        std::size_t offset;
        std::size_t size;
    };
    struct Batch {
        const FileSpec* file = nullptr;
        std::vector<std::size_t> lines;
        std::vector<StoredCell> cells;
        std::string arena;
    };

    static void add_row(Batch& batch, std::size_t line, std::span<const Cell> cells) {
        batch.lines.push_back(line);
        for (const Cell& cell : cells) {
            StoredCell stored{cell.kind, cell.integer, cell.real, batch.arena.size(), cell.text.size()};
            batch.arena.append(cell.text);
            batch.cells.push_back(stored);
        }
    }

    // administration_days (store_schema.hpp): the days of each drug are gathered while the
    // rows of one regimen follow each other, and written as a row per drug when the
    // regimen changes.
    void add_administration(std::size_t line, std::span<const Cell> cells) {
        static const int regimen_column = file_spec(FileId::administrations).column_index("regimen_id");
        static const int drug_column = file_spec(FileId::administrations).column_index("drug");
        static const int date_column = file_spec(FileId::administrations).column_index("admin_date");
        const std::string_view regimen = cells[static_cast<std::size_t>(regimen_column)].text;
        const std::string_view drug = cells[static_cast<std::size_t>(drug_column)].text;
        Days day = no_date;
        if (!parse_iso_date(cells[static_cast<std::size_t>(date_column)].text, day)) return;  // the validator reports it
        if (regimen != regimen_run_) {
            end_regimen_run();
            regimen_run_ = regimen;
        }
        DrugRun* run = nullptr;
        for (DrugRun& candidate : drug_runs_) {
            if (candidate.drug == drug) run = &candidate;
        }
        if (run == nullptr) run = &drug_runs_.emplace_back(DrugRun{std::string(drug), line, {}});
        char text[16];
        const auto written = std::to_chars(text, text + sizeof text, day).ptr;
        if (!run->days.empty()) run->days += ' ';
        run->days.append(text, written);
    }

    void end_regimen_run() {
        for (const DrugRun& run : drug_runs_) {
            const Cell cells[] = {{Cell::Kind::text, regimen_run_, 0, 0},
                                  {Cell::Kind::text, run.drug, 0, 0},
                                  {Cell::Kind::text, run.days, 0, 0}};
            add_row(days_batch_, run.first_line, cells);
        }
        drug_runs_.clear();
        regimen_run_.clear();
        if (days_batch_.lines.size() >= batch_rows) flush(days_batch_);
    }

    void flush() { flush(batch_); }

    void flush(Batch& batch) {
        if (batch.lines.empty()) return;
        const FileSpec* file = batch.file;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [&] { return queue_.size() < max_batches || failure_; });
            if (failure_) return;  // reported by finish()
            queue_.push_back(std::move(batch));
        }
        changed_.notify_all();
        batch = Batch{};
        batch.file = file;
    }

    void load() {
        struct Inserts {
            std::unique_ptr<SqliteStatement> one, many;
        };
        std::map<const FileSpec*, Inserts> inserts;  // batches of two tables alternate
        for (;;) {
            Batch batch;
            {
                std::unique_lock lock(mutex_);
                changed_.wait(lock, [&] { return !queue_.empty() || done_; });
                if (queue_.empty()) return;
                batch = std::move(queue_.front());
                queue_.pop_front();
            }
            changed_.notify_all();
            try {
                Inserts& insert = inserts[batch.file];
                if (!insert.one) {
                    insert.one = std::make_unique<SqliteStatement>(db_, insert_statement(*batch.file, sqlite_dialect));
                    insert.many = std::make_unique<SqliteStatement>(
                        db_, insert_statement(*batch.file, sqlite_dialect, rows_per_insert));
                }
                insert_batch(batch, *insert.one, *insert.many);
            } catch (...) {
                std::unique_lock lock(mutex_);
                failure_ = std::current_exception();
                queue_.clear();
                changed_.notify_all();
                return;
            }
        }
    }

    // Rows go in groups of rows_per_insert per INSERT (fewer statement executions), the
    // rest of a batch one by one.
    void insert_batch(const Batch& batch, SqliteStatement& insert_one, SqliteStatement& insert_many) {
        const std::size_t columns = batch.file->columns.size();
        const std::size_t rows = batch.lines.size();
        std::size_t row = 0;
        const auto bind_row = [&](sqlite3_stmt* statement, std::size_t source_row, int first_position) {
            sqlite3_bind_int64(statement, first_position, static_cast<sqlite3_int64>(batch.lines[source_row]));
            for (std::size_t column = 0; column < columns; ++column) {
                const StoredCell& cell = batch.cells[source_row * columns + column];
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
        for (; row + rows_per_insert <= rows; row += rows_per_insert) {
            for (int k = 0; k < rows_per_insert; ++k) bind_row(insert_many.get(), row + k, 1 + k * per_row);
            insert_many.step();
            sqlite3_reset(insert_many.get());
        }
        for (; row < rows; ++row) {
            bind_row(insert_one.get(), row, 1);
            insert_one.step();
            sqlite3_reset(insert_one.get());
        }
        if (batch.file != &administration_days_table()) rows_ += rows;
    }

    struct DrugRun {
        std::string drug;
        std::size_t first_line;
        std::string days;
    };

    SqliteDatabase& db_;
    Batch batch_;  // being filled by the validator's thread
    Batch days_batch_{&administration_days_table(), {}, {}, {}};  // administration_days rows
    std::string regimen_run_;  // the regimen whose administrations are being gathered
    std::vector<DrugRun> drug_runs_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Batch> queue_;
    bool done_ = false;
    std::exception_ptr failure_;
    std::size_t rows_ = 0;  // written by the loader, read after finish()
    std::thread loader_;    // last: starts after the other members exist
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

    SqliteRowSink sink(db);
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

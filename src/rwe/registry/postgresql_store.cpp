#include "rwe/registry/postgresql_store.hpp"

#include <charconv>

#include "rwe/common/error.hpp"
#include "rwe/registry/postgresql_connection.hpp"
#include "rwe/registry/sha256.hpp"
#include "rwe/registry/store_loader.hpp"
#include "rwe/registry/store_schema.hpp"

namespace rwe::registry {

namespace fs = std::filesystem;

namespace {

// Streams batches into their tables with COPY ... FROM STDIN (text format): one COPY per
// run of batches of a table, ended when a batch of another table comes.
class PostgresqlCopyLoader : public BatchLoader {
public:
    explicit PostgresqlCopyLoader(PgConnection& db) : db_(db) {}

    void load(const RowBatch& batch) override {
        if (copying_ != batch.file) {
            end_copy();
            begin_copy(*batch.file);
        }
        const std::size_t columns = batch.file->columns.size();
        for (std::size_t row = 0; row < batch.rows(); ++row) {
            append_integer(static_cast<std::int64_t>(batch.lines[row]));
            for (std::size_t column = 0; column < columns; ++column) {
                const RowBatch::StoredCell& cell = batch.cells[row * columns + column];
                buffer_ += '\t';
                switch (cell.kind) {
                    case Cell::Kind::null: buffer_ += "\\N"; break;
                    case Cell::Kind::text: append_text(batch.text(cell)); break;
                    case Cell::Kind::integer: append_integer(cell.integer); break;
                    case Cell::Kind::real: {
                        // The shortest form that reads back as the same double.
                        char text[32];
                        const auto end = std::to_chars(text, text + sizeof text, cell.real).ptr;
                        buffer_.append(text, end);
                        break;
                    }
                }
            }
            buffer_ += '\n';
            if (buffer_.size() >= (1u << 20)) send();
        }
        send();
    }

    void finish() override { end_copy(); }

private:
    void append_integer(std::int64_t value) {
        char text[24];
        const auto end = std::to_chars(text, text + sizeof text, value).ptr;
        buffer_.append(text, end);
    }

    // COPY's text format: backslash, tab, line feed and carriage return escaped.
    void append_text(std::string_view text) {
        for (const char c : text) {
            switch (c) {
                case '\\': buffer_ += "\\\\"; break;
                case '\t': buffer_ += "\\t"; break;
                case '\n': buffer_ += "\\n"; break;
                case '\r': buffer_ += "\\r"; break;
                default: buffer_ += c;
            }
        }
    }

    void begin_copy(const FileSpec& file) {
        std::string sql = "COPY " + postgresql_dialect.quote(file.table) + " (" + postgresql_dialect.quote("source_line");
        for (const ColumnSpec& column : file.columns) sql += ", " + postgresql_dialect.quote(column.name);
        sql += ") FROM STDIN";
        PgResult result(PQexec(db_.get(), sql.c_str()));
        if (PQresultStatus(result.get()) != PGRES_COPY_IN) db_.fail("COPY into " + std::string(file.table), result.get());
        copying_ = &file;
    }

    void send() {
        if (buffer_.empty()) return;
        if (PQputCopyData(db_.get(), buffer_.data(), static_cast<int>(buffer_.size())) != 1) {
            db_.fail("COPY into " + std::string(copying_->table));
        }
        buffer_.clear();
    }

    void end_copy() {
        if (copying_ == nullptr) return;
        send();
        const std::string table(copying_->table);
        copying_ = nullptr;
        if (PQputCopyEnd(db_.get(), nullptr) != 1) db_.fail("COPY into " + table);
        // The COPY's result, then the end of results.
        bool failed = false;
        std::string message;
        while (PgResult result{PQgetResult(db_.get())}) {
            if (PQresultStatus(result.get()) != PGRES_COMMAND_OK && !failed) {
                failed = true;
                try {
                    db_.fail("COPY into " + table, result.get());
                } catch (const IoError& error) {
                    message = error.what();
                }
            }
        }
        if (failed) throw IoError(message);
    }

    PgConnection& db_;
    const FileSpec* copying_ = nullptr;
    std::string buffer_;
};

std::string table_list(const std::vector<std::string>& tables) {
    std::string out;
    for (const std::string& table : tables) out += (out.empty() ? "" : ", ") + postgresql_dialect.quote(table);
    return out;
}

}  // namespace

ImportResult import_registry_postgresql(const fs::path& directory, const std::string& location,
                                        const ImportOptions& options) {
    std::error_code ec;
    if (!fs::is_directory(directory, ec)) throw IoError(directory.string() + ": not a readable folder");
    PgConnection db(location);
    db.execute("BEGIN");
    PgResult schema_result = db.query("SELECT current_schema()");
    if (PQgetisnull(schema_result.get(), 0, 0)) {
        throw IoError(db.shown() + ": no schema to create the registry in (no schema of the search_path exists)");
    }
    const std::string schema = PQgetvalue(schema_result.get(), 0, 0);
    // Imports into one schema take turns (the second waits for the first to finish).
    db.query("SELECT pg_advisory_xact_lock(hashtext('rwe import'), hashtext(current_schema()))");
    std::vector<std::string> existing;
    for (const std::string& table : registry_store_tables()) {
        PgResult found = db.query("SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1",
                                  {table});
        if (PQntuples(found.get()) > 0) existing.push_back(table);
    }
    if (!existing.empty()) {
        if (!options.replace) {
            throw UsageError(db.shown() + ": schema " + schema + " already holds a registry store (tables " +
                             existing.front() + (existing.size() > 1 ? ", ..." : "") +
                             "); use --replace to replace it");
        }
        // Dropped inside the transaction: until it commits, studies read the old store
        // (and an import waits for the studies reading it).
        db.execute("DROP TABLE " + table_list(existing));
    }
    for (const std::string& sql : create_table_statements(postgresql_dialect)) db.execute(sql);

    ImportResult result;
    PostgresqlCopyLoader loader(db);
    StoreRowSink sink(loader);
    ValidationOptions validation;
    validation.on_diagnostic = options.on_diagnostic;
    validation.on_progress = options.on_progress;
    validation.rows = &sink;
    result.validation = validate_registry(directory, validation);
    sink.finish();
    if (!result.validation.valid()) {
        db.execute("ROLLBACK");
        return result;
    }

    for (const std::string& sql : create_index_statements(postgresql_dialect)) db.execute(sql);
    const std::string imported_at = options.imported_at.empty() ? utc_timestamp() : options.imported_at;
    db.query("INSERT INTO import_info (format_version, imported_at, rwe_version, source_directory, warnings) "
             "VALUES ($1, $2, $3, $4, $5)",
             {std::to_string(store_format_version), imported_at, RWE_VERSION,
              fs::absolute(directory).lexically_normal().string(), std::to_string(result.validation.warnings)});
    for (const FileSummary& file : result.validation.files) {
        if (!file.present) continue;
        db.query("INSERT INTO source_files (file_name, sha256, bytes, row_count) VALUES ($1, $2, $3, $4)",
                 {file.name, sha256_of_file(file.path), std::to_string(fs::file_size(file.path)), std::to_string(file.rows)});
    }
    // Statistics for the planner, so that the first study after the import is planned well.
    db.execute("ANALYZE " + table_list(registry_store_tables()));
    db.execute("COMMIT");
    result.imported = true;
    result.rows = sink.rows();
    return result;
}

}  // namespace rwe::registry

#include "rwe/registry/registry_export.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <string_view>
#include <vector>

#include "rwe/common/error.hpp"
#include "rwe/common/output_folder.hpp"
#include "rwe/registry/field_parse.hpp"
#include "rwe/registry/registry_schema.hpp"
#include "rwe/registry/sqlite_handle.hpp"
#include "rwe/registry/store_schema.hpp"

namespace rwe::registry {

namespace fs = std::filesystem;

std::string csv_field(std::string_view value) {
    if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
    std::string out = "\"";
    for (const char c : value) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

namespace {

std::set<std::string> imported_files(SqliteDatabase& db) {
    std::set<std::string> names;
    SqliteStatement query(db, "SELECT file_name FROM source_files");
    while (query.step()) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(query.get(), 0));
        if (text) names.insert(text);
    }
    return names;
}

std::set<std::string> table_columns(SqliteDatabase& db, std::string_view table) {
    std::set<std::string> names;
    SqliteStatement query(db, "SELECT name FROM pragma_table_info(" + sqlite_dialect.quote(table) + ")");
    while (query.step()) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(query.get(), 0));
        if (text) names.insert(text);
    }
    return names;
}

// The columns to write: every column of the format, except a column added after version 1
// of a version 1 file when no row has a value (or the store predates it), so that a version
// 1 registry is written back as it was read.
std::vector<std::string_view> columns_to_write(SqliteDatabase& db, const FileSpec& file) {
    std::vector<std::string_view> columns;
    std::set<std::string> stored;
    for (const ColumnSpec& column : file.columns) {
        if (column.omitted_when_unused) {
            if (stored.empty()) stored = table_columns(db, file.table);
            if (stored.count(std::string(column.name)) == 0) continue;
            SqliteStatement used(db, "SELECT 1 FROM " + sqlite_dialect.quote(file.table) + " WHERE " +
                                         sqlite_dialect.quote(column.name) + " IS NOT NULL LIMIT 1");
            if (!used.step()) continue;
        }
        columns.push_back(column.name);
    }
    return columns;
}

// Writes one file of the staged registry folder; every write is checked (a full disk is an
// error, never a short file).
std::size_t write_file(SqliteDatabase& db, const FileSpec& file, const fs::path& path, const fs::path& shown) {
    const std::vector<std::string_view> columns = columns_to_write(db, file);
    std::size_t rows = 0;
    std::FILE* out = std::fopen(path.c_str(), "wb");
    if (out == nullptr) throw IoError(path.string() + ": cannot write (" + std::strerror(errno) + ")");
    auto fail = [&] {
        const int error = errno;
        std::fclose(out);
        throw IoError(shown.string() + ": cannot write (" + std::strerror(error) + "); nothing was changed");
    };
    std::string line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i > 0) line += ',';
        line += columns[i];
    }
    line += '\n';
    SqliteStatement query(db, select_statement(file, columns, sqlite_dialect));
    while (query.step()) {
        for (int column = 0; column < static_cast<int>(columns.size()); ++column) {
            if (column > 0) line += ',';
            switch (sqlite3_column_type(query.get(), column)) {
                case SQLITE_NULL: break;
                case SQLITE_INTEGER: line += std::to_string(sqlite3_column_int64(query.get(), column)); break;
                case SQLITE_FLOAT: line += format_number(sqlite3_column_double(query.get(), column)); break;
                default: {
                    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(query.get(), column));
                    const int size = sqlite3_column_bytes(query.get(), column);
                    line += csv_field(std::string_view(text ? text : "", static_cast<std::size_t>(size)));
                }
            }
        }
        line += '\n';
        ++rows;
        if (line.size() >= (1u << 16)) {
            if (std::fwrite(line.data(), 1, line.size(), out) != line.size()) fail();
            line.clear();
        }
    }
    if (std::fwrite(line.data(), 1, line.size(), out) != line.size() || std::fflush(out) != 0) fail();
    if (std::fclose(out) != 0) throw IoError(shown.string() + ": cannot write (" + std::strerror(errno) + "); nothing was changed");
    return rows;
}

}  // namespace

ExportResult export_registry(const fs::path& database, const fs::path& directory, const ExportOptions& options) {
    std::error_code ec;
    if (!fs::is_regular_file(database, ec)) throw IoError(database.string() + ": no such database file");
    SqliteDatabase db(database.string(), SQLITE_OPEN_READONLY);
    {
        SqliteStatement check(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'import_info'");
        check.step();
        if (sqlite3_column_int(check.get(), 0) != 1) {
            throw IoError(database.string() + ": not a registry database (no import_info table)");
        }
    }
    const std::set<std::string> present = imported_files(db);
    std::vector<const FileSpec*> files;
    for (const FileSpec& file : registry_files()) {
        if (file.required || present.count(std::string(file.name)) > 0) files.push_back(&file);
    }
    if (!options.replace) {
        for (const FileSpec* file : files) {
            if (fs::exists(directory / file->name, ec)) {
                throw UsageError((directory / file->name).string() + ": already exists; use --replace to overwrite");
            }
        }
    }
    // The registry files are written into a staging folder and put in place together
    // (docs/output-folders.md): a failure leaves the old files as they were.
    // With --replace, every registry file in the folder is replaced or removed, so that no
    // file of another registry stays beside the new ones.
    std::set<std::string> format_files;
    if (options.replace) {
        for (const FileSpec& file : registry_files()) format_files.insert(std::string(file.name));
    }
    OutputFolder output(directory, format_files);
    ExportResult result;
    for (const FileSpec* file : files) {
        result.files.push_back({std::string(file->name), write_file(db, *file, output.path() / file->name, directory / file->name)});
    }
    output.commit();
    return result;
}

}  // namespace rwe::registry

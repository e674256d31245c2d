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
#include "rwe/registry/store_location.hpp"
#include "rwe/registry/store_connection.hpp"
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

std::set<std::string> imported_files(StoreConnection& db) {
    std::set<std::string> names;
    db.for_each_row("SELECT file_name FROM source_files", {}, [&](const StoreRow& row) {
        if (!row.is_null(0)) names.insert(std::string(row.text(0)));
    });
    return names;
}

// The columns to write: every column of the format, except a column added after version 1
// of a version 1 file when no row has a value (or the store predates it), so that a version
// 1 registry is written back as it was read.
std::vector<const ColumnSpec*> columns_to_write(StoreConnection& db, const FileSpec& file) {
    std::vector<const ColumnSpec*> columns;
    for (const ColumnSpec& column : file.columns) {
        if (column.omitted_when_unused) {
            if (!db.has_column(std::string(file.table), std::string(column.name))) continue;
            const SqlDialect& dialect = db.dialect();
            auto used = db.execute("SELECT 1 FROM " + dialect.quote(file.table) + " WHERE " + dialect.quote(column.name) +
                                   " IS NOT NULL LIMIT 1");
            if (!used->next()) continue;
        }
        columns.push_back(&column);
    }
    return columns;
}

// Writes one file of the staged registry folder; every write is checked (a full disk is an
// error, never a short file). Values are written by the column's type in the format, as the
// store holds them (integer, number or text).
std::size_t write_file(StoreConnection& db, const FileSpec& file, const fs::path& path, const fs::path& shown) {
    const std::vector<const ColumnSpec*> columns = columns_to_write(db, file);
    std::size_t rows = 0;
    std::FILE* out = std::fopen(path.c_str(), "wb");
    if (out == nullptr) throw IoError(path.string() + ": cannot write (" + std::strerror(errno) + ")");
    auto fail = [&] {
        const int error = errno;
        std::fclose(out);
        throw IoError(shown.string() + ": cannot write (" + std::strerror(error) + "); nothing was changed");
    };
    std::string line;
    std::vector<std::string_view> names;
    for (const ColumnSpec* column : columns) names.push_back(column->name);
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) line += ',';
        line += names[i];
    }
    line += '\n';
    auto cursor = db.execute(select_statement(file, names, db.dialect()));
    while (cursor->next()) {
        const StoreRow& row = cursor->row();
        for (int column = 0; column < static_cast<int>(columns.size()); ++column) {
            if (column > 0) line += ',';
            if (row.is_null(column)) continue;
            switch (columns[static_cast<std::size_t>(column)]->type) {
                case ColumnType::integer: line += std::to_string(row.integer(column)); break;
                case ColumnType::number: line += format_number(row.real(column)); break;
                default: line += csv_field(row.text(column));
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
    const bool postgresql = is_postgresql_location(database.string());
    if (!postgresql && !fs::is_regular_file(database, ec)) throw IoError(database.string() + ": no such database file");
    const std::unique_ptr<StoreConnection> store = open_store(database.string());
    StoreConnection& db = *store;
    if (!db.has_table("import_info")) {
        throw IoError(shown_location(database.string()) + ": not a registry database (no import_info table)");
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

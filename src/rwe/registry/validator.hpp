#pragma once
// Checks a registry folder against every rule of the registry format, version 2
// (../shared/registry-format.md; the list of checks is in docs/registry.md).
//
// The files are streamed once each, in load order (patients, tumors, regimens, then the
// files that refer to them). Memory is bounded by the indexes the cross-file rules need:
// patient ids with their key dates, regimen ids with their dates, tumour ids with their
// patient and a byte of flags (which breast shorthand columns were given, HER2 IHC 2+ and
// ISH seen); never by the number of administrations, assessments, adverse events,
// biomarkers or observations.
//
// Every problem is reported, not only the first: diagnostics are handed to a callback as
// they are found, and the rows of a registry that is still valid are handed to a RowSink
// (the SQLite importer loads them in the same pass).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rwe/registry/registry_schema.hpp"

namespace rwe::registry {

enum class Severity { error, warning };

struct Diagnostic {
    Severity severity = Severity::error;
    std::string file;  // path of the file as opened
    std::size_t line = 0;  // 1-based physical line; 0 when the problem is the whole file
    std::string column;
    std::string problem;
    std::string value;  // printable form of the offending value, may be empty

    // `file:line: column: problem (value)`; warnings read `file:line: column: warning: ...`.
    std::string text() const;
};

// One typed cell of a row, in the FileSpec's column order.
struct Cell {
    enum class Kind { null, text, integer, real };
    Kind kind = Kind::null;
    std::string_view text;  // text, code (lower case) or ISO date
    std::int64_t integer = 0;
    double real = 0;
};

class RowSink {
public:
    virtual ~RowSink() = default;
    virtual void begin_file(const FileSpec& file) = 0;
    // `line` is the physical line on which the row starts.
    virtual void row(const FileSpec& file, std::size_t line, std::span<const Cell> cells) = 0;
    virtual void end_file(const FileSpec& file) = 0;
};

struct Progress {
    std::string_view file;
    std::size_t bytes_read = 0;
    std::size_t file_bytes = 0;
    std::size_t rows = 0;
};

struct ValidationOptions {
    std::function<void(const Diagnostic&)> on_diagnostic;  // called for each error and warning
    std::function<void(const Progress&)> on_progress;      // called every `progress_rows` rows
    std::size_t progress_rows = 1u << 16;
    // Rows are handed to `rows` while no error has been found (a registry with an error is
    // rejected whole, so there is no point loading the rest).
    RowSink* rows = nullptr;
    // Warn when a patient's last contact lies more than this many days after the
    // patient's latest recorded event.
    int contact_gap_warning_days = 5 * 365;
    // Read buffer of the CSV reader (small values exercise records across buffer ends).
    std::size_t read_chunk_bytes = std::size_t{1} << 20;
};

struct FileSummary {
    std::string name;   // "patients.csv"
    std::string path;
    bool present = false;
    std::size_t rows = 0;
    std::size_t errors = 0;
    std::size_t warnings = 0;
};

struct ValidationSummary {
    std::vector<FileSummary> files;  // in load order
    std::size_t errors = 0;
    std::size_t warnings = 0;
    bool valid() const { return errors == 0; }
};

// Throws IoError when `directory` is not a readable folder or a file cannot be read;
// every rule violation is a Diagnostic instead.
ValidationSummary validate_registry(const std::filesystem::path& directory,
                                    const ValidationOptions& options = {});

}  // namespace rwe::registry

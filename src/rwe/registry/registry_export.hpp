#pragma once
// Writes an imported registry back as a registry folder in the interchange format:
// the same files that were imported (required files always), every column of the
// format (a column that version 2 added to a version 1 file only when it holds a value),
// rows in their original order, codes in lower case. Importing the result gives the same
// rows and values.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace rwe::registry {

struct ExportOptions {
    bool replace = false;  // overwrite registry files already in the output folder
};

struct ExportedFile {
    std::string name;
    std::size_t rows = 0;
};

struct ExportResult {
    std::vector<ExportedFile> files;
};

// Throws IoError when the database cannot be read or is not a registry store, and
// UsageError when an output file exists and options.replace is false.
ExportResult export_registry(const std::filesystem::path& database, const std::filesystem::path& directory,
                             const ExportOptions& options = {});

// One CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
std::string csv_field(std::string_view value);

}  // namespace rwe::registry

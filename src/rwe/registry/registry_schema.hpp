#pragma once
// The registry interchange format, version 2 (../shared/registry-format.md, docs/registry.md),
// as data: its files, their columns, types and code lists. The validator, the SQLite
// store and the exporter all read this one description, so a column is added in one place.
// Every version 1 registry is a version 2 registry with the same meaning.

#include <span>
#include <string_view>
#include <vector>

namespace rwe::registry {

enum class ColumnType {
    text,     // free text, stored as written (ids, free text)
    code,     // one of ColumnSpec::codes, case-insensitive, stored in lower case
    free_code,  // a code from an open list (regimen, drug, AE term), stored in lower case
    date,     // ISO 8601 YYYY-MM-DD, a real calendar date
    integer,  // decimal integer
    number,   // decimal number
};

enum class Presence {
    required,  // a value must be given in every row
    optional,  // may be empty (missing)
};

struct ColumnSpec {
    std::string_view name;
    ColumnType type = ColumnType::text;
    Presence presence = Presence::optional;
    std::vector<std::string_view> codes;  // allowed codes, lower case (type code only)
    // A column added to a version 1 file by a later version (tumors.csv primary_site,
    // histology): export writes it only when some row has a value, so that a version 1
    // registry is written back exactly as it was read.
    bool omitted_when_unused = false;
};

enum class FileId {
    patients,
    tumors,
    metastases,
    regimens,
    administrations,
    assessments,
    adverse_events,
    biomarkers,
    observations,
};
inline constexpr std::size_t file_count = 9;

struct FileSpec {
    FileId id;
    std::string_view name;        // "patients.csv"
    std::string_view table;       // SQL table name, "patients"
    bool required = false;        // the file must exist
    std::string_view unique_key;  // column whose values are unique ids; empty when none
    std::vector<ColumnSpec> columns;

    // Index of a column by its lower-case name; -1 when absent.
    int column_index(std::string_view column_name) const;
};

// The files in load order: every file comes after the files its references point to
// (the files added in version 2 come last, so that the version 1 files keep their places).
std::span<const FileSpec> registry_files();
const FileSpec& file_spec(FileId id);

// Visceral metastatic sites (registry-format.md, metastases.csv).
bool is_visceral_site(std::string_view site);

}  // namespace rwe::registry

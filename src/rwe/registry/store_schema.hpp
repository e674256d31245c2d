#pragma once
// The relational schema of an imported registry (described in docs/registry.md): one
// table per registry file with the same column names, typed, plus `source_line` (the
// line of the row in its CSV file, which also keeps the file's row order), and the
// tables `import_info` and `source_files`, and the summary `administration_days`.
// Statements are generated for a SqlDialect.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rwe/registry/registry_schema.hpp"
#include "rwe/registry/sql_dialect.hpp"

namespace rwe::registry {

inline constexpr int store_format_version = 1;

std::vector<std::string> create_table_statements(const SqlDialect& dialect);

// `administration_days` (source_line, regimen_id, drug, days): the days on which each drug
// of a regimen was given, one row per run of administrations.csv rows of one regimen
// (source_line: the run's first line), drug as stored, days as day numbers (days since
// 1970-01-01) separated by spaces, once per administration (so repeats stay). A regimen
// and drug may have several rows when the file does not keep a regimen's rows together;
// together they list every administration. A study reads this rather than the
// administrations table (a row per drug and regimen instead of one per dose). Stores
// imported before it existed have no such table.
const FileSpec& administration_days_table();
// Created after the rows are loaded (faster than maintaining them row by row).
std::vector<std::string> create_index_statements(const SqlDialect& dialect);
// INSERT of `rows` rows, each `source_line` followed by every column of `file` in
// FileSpec order (parameters numbered row after row).
std::string insert_statement(const FileSpec& file, const SqlDialect& dialect, int rows = 1);
// SELECT of every column of `file` in FileSpec order, rows in source order.
std::string select_statement(const FileSpec& file, const SqlDialect& dialect);
// SELECT of the given columns of `file`, rows in source order.
std::string select_statement(const FileSpec& file, std::span<const std::string_view> columns,
                             const SqlDialect& dialect);

}  // namespace rwe::registry

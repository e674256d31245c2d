#pragma once
// Table writers: HTML (for the report page), CSV (RFC 4180, for programs) and XLSX (one
// sheet per table, for manuscripts).

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "rwe/report/table.hpp"

namespace rwe::report {

// Escapes & < > " ' for HTML text and attribute values.
std::string html_escape(std::string_view text);

// <div class="table-wrap" id="…"><table>… with the title as <caption>, the footnotes in
// <tfoot>, published columns marked class="published". `label` (e.g. "Table 2.") is
// printed before the title when not empty.
std::string table_html(const Table& table, std::string_view label = "");

// RFC 4180: header line then rows, CRLF line ends, a field quoted when it holds a comma,
// a double quote, CR or LF (quotes doubled inside), or leading/trailing spaces. UTF-8,
// without a byte-order mark unless asked (Excel on Windows reads UTF-8 only with one).
// The title and footnotes are not part of the data.
struct CsvOptions {
    bool byte_order_mark = false;
    bool ascii_symbols = false;  // the symbols rwe writes (dashes, minus, ≥, ≤, ×, ±, χ²) as ASCII
};
std::string table_csv(const Table& table, const CsvOptions& options = {});
// "–" → "-", "≥" → ">=", "χ²" → "chi-square", …; other characters unchanged.
std::string ascii_symbols(std::string_view text);
std::string csv_field(std::string_view field);

// Sheet names as Excel allows them: at most 31 characters, none of []:*?/\, not empty,
// unique (case-insensitive) within the workbook: suffixes " (2)", " (3)"… are added.
std::vector<std::string> sheet_names(const std::vector<Table>& tables);

// One workbook, one sheet per table: title in bold on row 1, headers on row 3, data
// below (cells that are plain numbers written as numbers), footnotes after a blank row.
// Written to a temporary file and renamed. Throws rwe::IoError or rwe::UsageError.
void write_xlsx(const std::vector<Table>& tables, const std::filesystem::path& path);

}  // namespace rwe::report

#pragma once
// A report table: title, column headers, rows of formatted cells and footnotes. The
// writers (HTML, CSV, XLSX) take it as it is; numbers are formatted by whoever builds
// the table, from the result structs that also go to results.json.

#include <string>
#include <vector>

namespace rwe::report {

struct Table {
    std::string id;     // anchor in the HTML page; hint for the XLSX sheet name
    std::string title;  // e.g. "Table 1. Patient characteristics"
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> footnotes;
    std::vector<int> indent;                // optional, one per row: nesting level of the row label
    std::vector<size_t> published_columns;  // columns that hold published reference values
};

// Throws rwe::UsageError when a row's cell count differs from the column count, an
// indent list has the wrong length, or a published column index is out of range.
void validate_table(const Table& table);

bool is_published_column(const Table& table, size_t column);

// Whether a column holds numbers (right-aligned) rather than words (left-aligned): every
// non-empty cell starts like a number ("12", "0.5 (…)", "<5", "−1.2", ">0.99", "p = 0.04")
// or is "NR", "NA", "S" (suppressed) or a dash. The first column is the row labels, never numeric.
bool is_numeric_column(const Table& table, size_t column);

// Inserts a column of published reference values after `after_column` (one value per
// row; "" where the publication gives none) and marks it as published.
void add_published_column(Table& table, size_t after_column, const std::string& header,
                          const std::vector<std::string>& values);

// Small-cell suppression, as registries' disclosure rules ask: a count n with
// 0 < n < threshold is shown as "<threshold"; zero is shown (it discloses no person).
// threshold ≤ 1 disables suppression.
std::string suppress_count(long count, long threshold);

// "n (p%)" with p to `decimals` places, or the suppressed form without a percentage
// (a percentage would give the count back). Denominator 0 gives "n (–)".
std::string count_percent(long count, long denominator, long threshold = 0, int decimals = 1);

// Applies suppress_count to every cell of the given columns that is a count ("12") or
// starts with one ("12 (5.3)"), and adds a footnote saying so when any cell changed.
// Returns the number of cells suppressed.
size_t suppress_small_cells(Table& table, const std::vector<size_t>& columns, long threshold);

}  // namespace rwe::report

#pragma once
// An r x c table of counts with its margins and the expected counts under independence
// (docs/methods.md §3.1). Built either from counts or by cross-tabulating two coded
// categorical columns; pairs with a missing code are dropped and counted, never silently.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rwe::stats {

struct ContingencyTable {
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::vector<double> counts;  // row-major, rows * cols; non-negative integers
    std::vector<std::string> row_labels;
    std::vector<std::string> col_labels;
    std::vector<double> row_totals;
    std::vector<double> col_totals;
    double total = 0;
    std::size_t dropped = 0;  // pairs with a missing row or column value

    double count(std::size_t row, std::size_t col) const { return counts[row * cols + col]; }
};

// Table from counts (row-major). Labels may be empty ("1", "2", ... are used).
// Throws UsageError when the shape does not match or a count is negative or not an integer.
ContingencyTable contingency_table(std::size_t rows, std::size_t cols, std::vector<double> counts,
                                   std::vector<std::string> row_labels = {},
                                   std::vector<std::string> col_labels = {});

// Cross-tabulation of two coded columns (code -1 = missing, else an index into the levels).
// Every level gets a row/column, including levels left empty once incomplete pairs are dropped.
ContingencyTable cross_tabulate(std::span<const std::int32_t> row_codes,
                                std::span<const std::int32_t> col_codes,
                                std::vector<std::string> row_levels,
                                std::vector<std::string> col_levels);

// The same table without rows and columns whose total is zero (labels kept in step).
ContingencyTable drop_empty_margins(const ContingencyTable& table);

// Expected counts under independence, E_ij = r_i c_j / n (row-major); all NaN when n = 0.
std::vector<double> expected_counts(const ContingencyTable& table);

}  // namespace rwe::stats

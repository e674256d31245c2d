#include "rwe/stats/contingency_table.hpp"

#include <cmath>
#include <limits>

#include "rwe/common/error.hpp"

namespace rwe::stats {

namespace {

void fill_margins(ContingencyTable& table) {
    table.row_totals.assign(table.rows, 0.0);
    table.col_totals.assign(table.cols, 0.0);
    table.total = 0;
    for (std::size_t row = 0; row < table.rows; ++row) {
        for (std::size_t col = 0; col < table.cols; ++col) {
            const double value = table.count(row, col);
            table.row_totals[row] += value;
            table.col_totals[col] += value;
            table.total += value;
        }
    }
}

std::vector<std::string> default_labels(std::vector<std::string> labels, std::size_t size) {
    if (labels.empty()) {
        for (std::size_t i = 0; i < size; ++i) labels.push_back(std::to_string(i + 1));
    }
    return labels;
}

}  // namespace

ContingencyTable contingency_table(std::size_t rows, std::size_t cols, std::vector<double> counts,
                                   std::vector<std::string> row_labels,
                                   std::vector<std::string> col_labels) {
    if (counts.size() != rows * cols) {
        throw UsageError("contingency table: " + std::to_string(counts.size()) +
                         " counts given for a " + std::to_string(rows) + " x " +
                         std::to_string(cols) + " table");
    }
    for (double value : counts) {
        if (!(value >= 0) || value != std::floor(value) || !std::isfinite(value)) {
            throw UsageError("contingency table: counts must be non-negative integers (" +
                             std::to_string(value) + ")");
        }
    }
    row_labels = default_labels(std::move(row_labels), rows);
    col_labels = default_labels(std::move(col_labels), cols);
    if (row_labels.size() != rows || col_labels.size() != cols) {
        throw UsageError("contingency table: the number of labels does not match the shape");
    }
    ContingencyTable table;
    table.rows = rows;
    table.cols = cols;
    table.counts = std::move(counts);
    table.row_labels = std::move(row_labels);
    table.col_labels = std::move(col_labels);
    fill_margins(table);
    return table;
}

ContingencyTable cross_tabulate(std::span<const std::int32_t> row_codes,
                                std::span<const std::int32_t> col_codes,
                                std::vector<std::string> row_levels,
                                std::vector<std::string> col_levels) {
    if (row_codes.size() != col_codes.size()) {
        throw UsageError("cross tabulation: the two columns differ in length");
    }
    ContingencyTable table;
    table.rows = row_levels.size();
    table.cols = col_levels.size();
    table.counts.assign(table.rows * table.cols, 0.0);
    for (std::size_t i = 0; i < row_codes.size(); ++i) {
        const auto row = row_codes[i];
        const auto col = col_codes[i];
        if (row < 0 || col < 0) {
            ++table.dropped;
            continue;
        }
        if (static_cast<std::size_t>(row) >= table.rows ||
            static_cast<std::size_t>(col) >= table.cols) {
            throw Error(ErrorKind::internal, "cross tabulation: code outside its levels");
        }
        table.counts[static_cast<std::size_t>(row) * table.cols + static_cast<std::size_t>(col)] +=
            1;
    }
    table.row_labels = std::move(row_levels);
    table.col_labels = std::move(col_levels);
    fill_margins(table);
    return table;
}

ContingencyTable drop_empty_margins(const ContingencyTable& table) {
    std::vector<std::size_t> keep_rows;
    std::vector<std::size_t> keep_cols;
    for (std::size_t row = 0; row < table.rows; ++row) {
        if (table.row_totals[row] > 0) keep_rows.push_back(row);
    }
    for (std::size_t col = 0; col < table.cols; ++col) {
        if (table.col_totals[col] > 0) keep_cols.push_back(col);
    }
    ContingencyTable kept;
    kept.rows = keep_rows.size();
    kept.cols = keep_cols.size();
    kept.dropped = table.dropped;
    for (auto row : keep_rows) {
        kept.row_labels.push_back(table.row_labels[row]);
        for (auto col : keep_cols) kept.counts.push_back(table.count(row, col));
    }
    for (auto col : keep_cols) kept.col_labels.push_back(table.col_labels[col]);
    fill_margins(kept);
    return kept;
}

std::vector<double> expected_counts(const ContingencyTable& table) {
    std::vector<double> expected(table.rows * table.cols, std::numeric_limits<double>::quiet_NaN());
    if (table.total <= 0) return expected;
    for (std::size_t row = 0; row < table.rows; ++row) {
        for (std::size_t col = 0; col < table.cols; ++col) {
            // Same order of operations as R's chisq.test: outer(sr, sc) / n.
            expected[row * table.cols + col] =
                table.row_totals[row] * table.col_totals[col] / table.total;
        }
    }
    return expected;
}

}  // namespace rwe::stats

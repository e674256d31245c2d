#include "rwe/report/table.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "rwe/common/error.hpp"

namespace rwe::report {

void validate_table(const Table& table) {
    for (size_t row = 0; row < table.rows.size(); ++row)
        if (table.rows[row].size() != table.columns.size())
            throw UsageError("table '" + table.title + "': row " + std::to_string(row + 1) +
                             " has " + std::to_string(table.rows[row].size()) + " cells for " +
                             std::to_string(table.columns.size()) + " columns");
    if (!table.indent.empty() && table.indent.size() != table.rows.size())
        throw UsageError("table '" + table.title + "': " + std::to_string(table.indent.size()) +
                         " indents for " + std::to_string(table.rows.size()) + " rows");
    for (size_t column : table.published_columns)
        if (column >= table.columns.size())
            throw UsageError("table '" + table.title + "': published column " +
                             std::to_string(column) + " out of range");
}

bool is_published_column(const Table& table, size_t column) {
    return std::find(table.published_columns.begin(), table.published_columns.end(), column) !=
           table.published_columns.end();
}

namespace {

bool starts_like_number(const std::string& cell) {
    static const std::string_view prefixes[] = {"<", ">", "≤", "≥", "−", "-", "+", "p ", "p<", "p>", "p="};
    std::string_view rest = cell;
    for (bool stripped = true; stripped;) {
        stripped = false;
        for (std::string_view prefix : prefixes)
            if (rest.substr(0, prefix.size()) == prefix) {
                rest.remove_prefix(prefix.size());
                stripped = true;
            }
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '=')) {
            rest.remove_prefix(1);
            stripped = true;
        }
    }
    return !rest.empty() && (std::isdigit(static_cast<unsigned char>(rest.front())) || rest.front() == '.');
}

}  // namespace

bool is_numeric_column(const Table& table, size_t column) {
    if (column == 0 || column >= table.columns.size()) return false;
    for (const std::vector<std::string>& row : table.rows) {
        if (column >= row.size()) continue;
        const std::string& cell = row[column];
        // "S": a suppressed cell (docs/report.md, "Small-cell suppression").
        if (cell.empty() || cell == "NR" || cell == "NA" || cell == "S" || cell == "–" || cell == "-" || cell == "—") continue;
        if (!starts_like_number(cell)) return false;
    }
    return true;
}

void add_published_column(Table& table, size_t after_column, const std::string& header,
                          const std::vector<std::string>& values) {
    if (values.size() != table.rows.size())
        throw UsageError("table '" + table.title + "': " + std::to_string(values.size()) +
                         " published values for " + std::to_string(table.rows.size()) + " rows");
    if (after_column >= table.columns.size())
        throw UsageError("table '" + table.title + "': no column " + std::to_string(after_column));
    const size_t at = after_column + 1;
    table.columns.insert(table.columns.begin() + static_cast<std::ptrdiff_t>(at), header);
    for (size_t row = 0; row < table.rows.size(); ++row)
        table.rows[row].insert(table.rows[row].begin() + static_cast<std::ptrdiff_t>(at), values[row]);
    for (size_t& column : table.published_columns)
        if (column >= at) ++column;
    table.published_columns.push_back(at);
    std::sort(table.published_columns.begin(), table.published_columns.end());
}

std::string suppress_count(long count, long threshold) {
    if (threshold > 1 && count > 0 && count < threshold) return "<" + std::to_string(threshold);
    return std::to_string(count);
}

std::string count_percent(long count, long denominator, long threshold, int decimals) {
    if (threshold > 1 && count > 0 && count < threshold) return suppress_count(count, threshold);
    if (denominator <= 0) return std::to_string(count) + " (–)";
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals,
                  100.0 * static_cast<double>(count) / static_cast<double>(denominator));
    return std::to_string(count) + " (" + buffer + ")";
}

size_t suppress_small_cells(Table& table, const std::vector<size_t>& columns, long threshold) {
    if (threshold <= 1) return 0;
    size_t changed = 0;
    for (std::vector<std::string>& row : table.rows) {
        for (size_t column : columns) {
            if (column >= row.size()) continue;
            std::string& cell = row[column];
            size_t digits = 0;
            while (digits < cell.size() && std::isdigit(static_cast<unsigned char>(cell[digits]))) ++digits;
            if (digits == 0 || digits > 9) continue;
            const bool bare = digits == cell.size();
            const bool with_percent = cell.compare(digits, 2, " (") == 0;
            if (!bare && !with_percent) continue;
            long count = std::stol(cell.substr(0, digits));
            if (count > 0 && count < threshold) {
                cell = suppress_count(count, threshold);
                ++changed;
            }
        }
    }
    if (changed > 0)
        table.footnotes.push_back("Counts from 1 to " + std::to_string(threshold - 1) +
                                  " are shown as <" + std::to_string(threshold) +
                                  " to protect patient privacy.");
    return changed;
}

}  // namespace rwe::report

#pragma once
// Reads chosen columns of a CSV file (plain or gzip) into memory, for the statistics
// commands. Missing cells (empty or `NA`) are NaN in numeric columns and code -1 in
// categorical ones; a cell that is not a number in a numeric column is an InputError
// naming file, line, column and value.

#include <cstdint>
#include <string>
#include <vector>

namespace rwe {

struct ColumnRequest {
    // number_or_text: numeric while every cell is a number; at the first cell that is not,
    // categorical (as R's read.csv makes such a column character). Ask Table::is_categorical.
    enum class Kind { numeric, categorical, number_or_text };
    std::string name;
    Kind kind = Kind::numeric;
    // A categorical column with more distinct values is an InputError (groups, strata and
    // factor levels are few; 10^5 of them would exhaust memory in the statistics). 0: no limit
    // (an identifier such as a cluster).
    std::size_t max_levels = 1000;
};

struct CategoricalColumn {
    std::string name;
    std::vector<std::int32_t> codes;  // index into levels; -1 = missing
    std::vector<std::string> levels;  // ascending: numerically when every level is a number
    bool numeric = false;             // every level parses as a number
};

struct Table {
    std::string path;
    std::size_t rows = 0;
    std::vector<std::string> numeric_names;
    std::vector<std::vector<double>> numeric;  // same order as the numeric requests
    std::vector<CategoricalColumn> categorical;  // same order as the categorical requests
    // Physical line (1-based) of data row `row`: for error messages.
    std::size_t line(std::size_t row) const;
    // Where line - row changes (quoted line breaks, skipped empty lines): from row `first` on,
    // line = row + offset. One entry for a file of one line per row.
    struct LineShift {
        std::size_t first = 0, offset = 0;
    };
    std::vector<LineShift> line_shifts;

    const std::vector<double>& numbers(const std::string& name) const;
    std::vector<double>& numbers(const std::string& name);
    const CategoricalColumn& category(const std::string& name) const;
    bool is_categorical(const std::string& name) const;
};

// Throws UsageError when a requested column is not in the header (listing those that are).
Table read_table(const std::string& path, const std::vector<ColumnRequest>& columns);

}  // namespace rwe

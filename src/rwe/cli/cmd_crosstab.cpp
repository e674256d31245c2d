// rwe crosstab: a two-way table of two categorical columns with margins, percentages,
// expected counts, Pearson's chi-squared (with and without Yates for 2 x 2), Fisher's exact
// test and the test the choice rule picks (docs/methods.md §3).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rwe/cli/cli_util.hpp"
#include "rwe/cli/command.hpp"
#include "rwe/common/error.hpp"
#include "rwe/common/table.hpp"
#include "rwe/stats/chi_square_test.hpp"
#include "rwe/stats/contingency_table.hpp"
#include "rwe/stats/fisher_exact_test.hpp"
#include "rwe/stats/test_choice.hpp"

namespace {

using nlohmann::json;
using rwe::cli::format_number;
using rwe::cli::json_number;

json matrix_json(const std::vector<double>& values, std::size_t rows, std::size_t cols) {
    json matrix = json::array();
    for (std::size_t row = 0; row < rows; ++row) {
        json line = json::array();
        for (std::size_t col = 0; col < cols; ++col)
            line.push_back(json_number(values[row * cols + col]));
        matrix.push_back(line);
    }
    return matrix;
}

json count_matrix_json(const rwe::stats::ContingencyTable& table) {
    json matrix = json::array();
    for (std::size_t row = 0; row < table.rows; ++row) {
        json line = json::array();
        for (std::size_t col = 0; col < table.cols; ++col) {
            line.push_back(static_cast<long long>(table.count(row, col)));
        }
        matrix.push_back(line);
    }
    return matrix;
}

json chi_square_json(const rwe::stats::ChiSquareTest& test) {
    return {{"statistic", json_number(test.statistic)},
            {"df", json_number(test.df)},
            {"p", json_number(test.p)},
            {"continuity_correction", test.continuity_correction}};
}

std::string percent(double count, double total) {
    return total > 0 ? fmt::format("{:.1f}", 100.0 * count / total) : "NA";
}

// Prints a labelled grid; cell(row, col) gives the text, with a total column and row.
template <class Cell>
void print_grid(std::ostream& out, const rwe::stats::ContingencyTable& table,
                const std::string& title, Cell&& cell, bool with_totals) {
    std::vector<std::vector<std::string>> grid;
    std::vector<std::string> header{title};
    for (const auto& label : table.col_labels) header.push_back(label);
    if (with_totals) header.push_back("Total");
    grid.push_back(header);
    for (std::size_t row = 0; row < table.rows; ++row) {
        std::vector<std::string> line{table.row_labels[row]};
        for (std::size_t col = 0; col < table.cols; ++col) line.push_back(cell(row, col));
        if (with_totals) line.push_back(cell(row, table.cols));
        grid.push_back(line);
    }
    if (with_totals) {
        std::vector<std::string> line{"Total"};
        for (std::size_t col = 0; col <= table.cols; ++col) line.push_back(cell(table.rows, col));
        grid.push_back(line);
    }
    std::vector<std::size_t> width(header.size(), 0);
    for (const auto& line : grid) {
        for (std::size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
    }
    for (const auto& line : grid) {
        for (std::size_t i = 0; i < line.size(); ++i) {
            out << (i == 0 ? fmt::format("{:<{}}", line[i], width[i])
                           : fmt::format("  {:>{}}", line[i], width[i]));
        }
        out << "\n";
    }
    out << "\n";
}

int run_crosstab(int argc, char** argv) {
    CLI::App app{
        "Two-way table of two categorical columns with chi-squared and Fisher's exact tests",
        "rwe crosstab"};
    std::string path;
    std::string row_column;
    std::string col_column;
    std::string format = "text";
    std::string rule_name = "cochran";
    double conf_level = 0.95;
    app.add_option("file", path, "CSV file (plain or gzip)")->required();
    app.add_option("--row", row_column, "column whose values are the rows")->required();
    app.add_option("--col", col_column, "column whose values are the columns")->required();
    app.add_option("--format", format, "text or json")->check(CLI::IsMember({"text", "json"}));
    app.add_option("--rule", rule_name,
                   "test choice: cochran (default), any-expected-below-5, chi-square, fisher");
    app.add_option("--conf-level", conf_level,
                   "confidence level of the 2x2 odds ratio, 0.5 to 0.9999 (default 0.95)")
        ->check(rwe::cli::confidence_level(0.5, 0.9999));
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        std::cout << app.help();
        return 0;
    } catch (const CLI::ParseError& error) {
        throw rwe::UsageError(error.what());
    }
    const auto rule = rwe::stats::parse_test_rule(rule_name);
    if (row_column == col_column)
        throw rwe::UsageError("--row and --col name the same column (" + row_column + ")");

    using Kind = rwe::ColumnRequest::Kind;
    const auto data =
        rwe::read_table(path, {{row_column, Kind::categorical}, {col_column, Kind::categorical}});
    const auto& rows = data.category(row_column);
    const auto& cols = data.category(col_column);
    const auto full = rwe::stats::cross_tabulate(rows.codes, cols.codes, rows.levels, cols.levels);

    // Levels seen only in dropped rows would make empty margins; they are reported and left out.
    std::vector<std::string> messages;
    for (std::size_t row = 0; row < full.rows; ++row) {
        if (full.row_totals[row] == 0) {
            messages.push_back(row_column + " = " + full.row_labels[row] +
                               " occurs only in dropped rows: not shown");
        }
    }
    for (std::size_t col = 0; col < full.cols; ++col) {
        if (full.col_totals[col] == 0) {
            messages.push_back(col_column + " = " + full.col_labels[col] +
                               " occurs only in dropped rows: not shown");
        }
    }
    const auto table = rwe::stats::drop_empty_margins(full);

    const auto pearson = rwe::stats::chi_square_test(table, {.continuity_correction = false});
    const bool two_by_two = table.rows == 2 && table.cols == 2;
    const auto yates = rwe::stats::chi_square_test(table, {.continuity_correction = true});
    rwe::stats::FisherExactOptions fisher_options;
    fisher_options.conf_level = conf_level;
    const auto fisher = rwe::stats::fisher_exact_test(table, fisher_options);
    const auto choice = rwe::stats::choose_test(table, {.rule = rule});
    for (const auto& message : pearson.messages) messages.push_back("chi-squared: " + message);
    for (const auto& message : fisher.messages) messages.push_back("Fisher: " + message);

    if (format == "json") {
        std::vector<double> row_percent(table.counts.size());
        std::vector<double> col_percent(table.counts.size());
        for (std::size_t row = 0; row < table.rows; ++row) {
            for (std::size_t col = 0; col < table.cols; ++col) {
                const double count = table.count(row, col);
                row_percent[row * table.cols + col] = 100.0 * count / table.row_totals[row];
                col_percent[row * table.cols + col] = 100.0 * count / table.col_totals[col];
            }
        }
        json totals_row = json::array();
        for (double value : table.row_totals) totals_row.push_back(static_cast<long long>(value));
        json totals_col = json::array();
        for (double value : table.col_totals) totals_col.push_back(static_cast<long long>(value));
        json document = {
            {"row", row_column},
            {"col", col_column},
            {"row_levels", table.row_labels},
            {"col_levels", table.col_labels},
            {"counts", count_matrix_json(table)},
            {"row_totals", totals_row},
            {"col_totals", totals_col},
            {"total", static_cast<long long>(table.total)},
            {"row_percent", matrix_json(row_percent, table.rows, table.cols)},
            {"col_percent", matrix_json(col_percent, table.rows, table.cols)},
            {"expected", matrix_json(pearson.expected, table.rows, table.cols)},
            {"chi_square", chi_square_json(pearson)},
            {"chi_square_yates", two_by_two ? chi_square_json(yates) : json(nullptr)},
            {"fisher",
             {{"p", json_number(fisher.p)},
              {"method", fisher.method},
              {"odds_ratio", json_number(fisher.odds_ratio)},
              {"lower", json_number(fisher.lower)},
              {"upper", json_number(fisher.upper)},
              {"conf_level", fisher.conf_level}}},
            {"rule",
             {{"name", rwe::stats::to_string(rule)},
              {"test", rwe::stats::to_string(choice.test)},
              {"reason", choice.reason}}},
            {"dropped", data.rows - static_cast<std::size_t>(table.total)},
            {"messages", messages},
        };
        std::cout << document.dump(2) << "\n";
        return 0;
    }

    auto& out = std::cout;
    out << "rows: " << row_column << ", columns: " << col_column << "; n = " << table.total
        << ", dropped " << (data.rows - static_cast<std::size_t>(table.total))
        << " row(s) with a missing value\n\n";
    if (table.rows == 0 || table.cols == 0) {
        out << "no complete rows: nothing to tabulate\n";
        return 0;
    }
    const auto count_cell = [&](std::size_t row, std::size_t col) {
        double value = row == table.rows
                           ? (col == table.cols ? table.total : table.col_totals[col])
                           : (col == table.cols ? table.row_totals[row] : table.count(row, col));
        return format_number(value, 10);
    };
    print_grid(out, table, "Counts", count_cell, true);
    print_grid(
        out, table, "Row %",
        [&](std::size_t row, std::size_t col) {
            if (row == table.rows)
                return percent(col == table.cols ? table.total : table.col_totals[col],
                               table.total);
            return percent(col == table.cols ? table.row_totals[row] : table.count(row, col),
                           table.row_totals[row]);
        },
        true);
    print_grid(
        out, table, "Column %",
        [&](std::size_t row, std::size_t col) {
            const double total = col == table.cols ? table.total : table.col_totals[col];
            if (row == table.rows) return percent(total, total);
            return percent(col == table.cols ? table.row_totals[row] : table.count(row, col),
                           total);
        },
        true);
    print_grid(
        out, table, "Expected",
        [&](std::size_t row, std::size_t col) {
            return format_number(pearson.expected[row * table.cols + col], 4);
        },
        false);
    out << fmt::format("Pearson chi-squared          X2 = {}, df = {}, p = {}\n",
                       format_number(pearson.statistic), format_number(pearson.df),
                       format_number(pearson.p));
    if (two_by_two) {
        out << fmt::format("  with Yates' correction     X2 = {}, df = {}, p = {}\n",
                           format_number(yates.statistic), format_number(yates.df),
                           format_number(yates.p));
    }
    out << fmt::format("Fisher's exact test          p = {}\n", format_number(fisher.p));
    if (two_by_two && !std::isnan(fisher.odds_ratio)) {
        out << fmt::format("  conditional MLE odds ratio {} ({}% CI {} to {})\n",
                           format_number(fisher.odds_ratio),
                           format_number(100 * fisher.conf_level, 3), format_number(fisher.lower),
                           format_number(fisher.upper));
    }
    out << "Test chosen: " << rwe::stats::to_string(choice.test) << " — " << choice.reason << "\n";
    for (const auto& message : messages) out << "note: " << message << "\n";
    return 0;
}

}  // namespace

RWE_COMMAND(crosstab, "two-way table with chi-squared and Fisher's exact tests", run_crosstab);

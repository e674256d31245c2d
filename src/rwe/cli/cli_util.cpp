#include "rwe/cli/cli_util.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "rwe/common/csv_reader.hpp"
#include "rwe/common/error.hpp"

namespace rwe::cli {

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> items;
    std::string current;
    for (char c : text) {
        if (c == ',') {
            if (!current.empty()) items.push_back(current);
            current.clear();
        } else if (c != ' ') {
            current.push_back(c);
        }
    }
    if (!current.empty()) items.push_back(current);
    return items;
}

std::vector<double> parse_number_list(const std::string& option, const std::string& text) {
    std::vector<double> numbers;
    for (const auto& item : split_list(text)) {
        double value = 0;
        if (!parse_double(item, value) || !std::isfinite(value)) {
            throw UsageError(option + ": not a number (" + item + ")");
        }
        numbers.push_back(value);
    }
    return numbers;
}

std::string format_number(double value, int digits) {
    if (std::isnan(value)) return "NA";
    if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
    return fmt::format("{:.{}g}", value, digits);
}

void print_columns(std::ostream& out, const std::vector<std::vector<std::string>>& grid) {
    if (grid.empty()) return;
    std::vector<std::size_t> width(grid.front().size(), 0);
    for (const auto& line : grid) {
        for (std::size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
    }
    for (const auto& line : grid) {
        for (std::size_t i = 0; i < line.size(); ++i) {
            out << (i == 0 ? "" : "  ") << fmt::format("{:>{}}", line[i], width[i]);
        }
        out << "\n";
    }
}

}  // namespace rwe::cli

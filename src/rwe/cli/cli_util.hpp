#pragma once
// Small helpers shared by the subcommands: JSON numbers as R's golden files write them,
// comma lists, and the --format option.

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace rwe::cli {

// NaN/NA -> null, +Inf -> "Inf", -Inf -> "-Inf", else the number (shortest round trip).
inline nlohmann::json json_number(double value) {
    if (std::isnan(value)) return nullptr;
    if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
    return value;
}

// Splits "a,b,c" (empty items dropped).
std::vector<std::string> split_list(const std::string& text);

// Parses "1,2.5,3" into numbers; throws UsageError naming the option and the bad item.
std::vector<double> parse_number_list(const std::string& option, const std::string& text);

// Formats a number for readable tables: up to `digits` significant digits; NA for NaN.
std::string format_number(double value, int digits = 4);

}  // namespace rwe::cli

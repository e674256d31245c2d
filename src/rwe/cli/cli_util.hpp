#pragma once
// Small helpers shared by the subcommands: JSON numbers as R's golden files write them,
// comma lists, and the --format option.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "rwe/common/text.hpp"

#include <cmath>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace rwe::cli {

// NaN/NA -> null, +Inf -> "Inf", -Inf -> "-Inf", else the number (shortest round trip).
inline nlohmann::json json_number(double value) {
    if (std::isnan(value)) return nullptr;
    if (std::isinf(value)) return value > 0 ? "Inf" : "-Inf";
    return value;
}

// A confidence level: a finite number in [low, high], or in (low, high) when `open`.
// (CLI::Range lets NaN through: every comparison with NaN is false.)
inline CLI::Validator confidence_level(double low, double high, bool open = false) {
    const auto show = [](double value) {
        std::ostringstream text;
        text << value;
        return text.str();
    };
    return CLI::Validator(
        [=](const std::string& text) -> std::string {
            double value = 0;
            std::size_t used = 0;
            try {
                value = std::stod(text, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            const bool inside = open ? (value > low && value < high) : (value >= low && value <= high);
            if (used != text.size() || text.empty() || !std::isfinite(value) || !inside) {
                return "must be a number " + std::string(open ? "strictly " : "") + "between " + show(low) +
                       " and " + show(high) + " (" + text + ")";
            }
            return {};
        },
        open ? "LEVEL in (" + show(low) + ", " + show(high) + ")"
             : "LEVEL in [" + show(low) + ", " + show(high) + "]");
}

// CLI11's exit for a parse error, with its message made safe for the terminal (it echoes
// the values given on the command line).
inline int parse_failure(CLI::App& app, const CLI::ParseError& error) {
    app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
        return rwe::terminal_text(CLI::FailureMessage::simple(failed, e));
    });
    return app.exit(error);
}

// Splits "a,b,c" (empty items dropped).
std::vector<std::string> split_list(const std::string& text);

// Parses "1,2.5,3" into numbers; throws UsageError naming the option and the bad item.
std::vector<double> parse_number_list(const std::string& option, const std::string& text);

// Formats a number for readable tables: up to `digits` significant digits; NA for NaN.
std::string format_number(double value, int digits = 4);

// Right-aligned columns under a header (the text output of km, cuminc, finegray).
void print_columns(std::ostream& out, const std::vector<std::vector<std::string>>& grid);

}  // namespace rwe::cli

#pragma once
// Figure options of an analysis (the protocol's `figure` table, docs/protocols.md) and of
// `rwe km --plot` (the same options as flags): axis range and breaks, labels, legend,
// colours, censoring marks, confidence band, risk table and its rows, annotations. Absent
// options keep the figure's defaults. The protocol checks the values when it is read
// (study/analysis_options.cpp); the rules they must meet are here, in one place.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rwe/report/drawing.hpp"
#include "rwe/report/km_plot.hpp"

namespace rwe::report {

struct FigureOptions {
    std::optional<double> time_max;     // time axis end (the study's time unit)
    std::optional<double> time_step;    // interval between time-axis breaks
    std::optional<std::string> x_label;
    std::optional<std::string> y_label;
    std::optional<std::string> legend_title;
    std::vector<std::string> legend_labels;  // one per curve, in curve order; empty: the groups' labels
    std::vector<Rgb> colours;                // one per curve (or bar series), in order; empty: the palette
    std::optional<bool> censor_marks;
    std::optional<bool> confidence_band;
    std::optional<bool> risk_table;
    std::optional<RiskTableRows> risk_table_rows;
    std::optional<bool> p_value;       // the test's p-value in the figure's text box
    std::optional<bool> hazard_ratio;  // the hazard ratio (two groups) in the text box
};

// The `figure` keys an analysis kind takes, in documentation order; empty for a kind
// without a figure option.
const std::vector<std::string>& figure_keys(const std::string& kind);

// "#RRGGBB", "#RGB" (hexadecimal, either case) or a colour of the Okabe–Ito palette by
// name (black, orange, sky_blue, bluish_green, yellow, blue, vermillion, reddish_purple);
// nullopt for anything else.
std::optional<Rgb> parse_colour(std::string_view text);
inline constexpr const char* colour_rule = "#RRGGBB, #RGB or an Okabe-Ito name: black, orange, sky_blue, bluish_green, yellow, blue, vermillion, reddish_purple";

// The risk-table rows named: at_risk, censored, events. nullopt and `bad` set to the
// offending name for an unknown or repeated name, or for none.
std::optional<RiskTableRows> parse_risk_table_rows(const std::vector<std::string>& names, std::string* bad = nullptr);
inline constexpr const char* risk_row_rule = "at_risk, censored, events";

// The most breaks a time axis may have (time_max / time_step).
inline constexpr double max_time_breaks = 100;

// A `figure` table as results.json keeps it (checked when the protocol was read).
// Throws rwe::UsageError for a value that breaks the rules above.
FigureOptions figure_options_from_json(const nlohmann::json& figure);

// Sets the plot's axis, labels, legend, colours, marks, band and risk table from the
// options. Throws rwe::UsageError "figure.legend_labels: 3 labels for 2 curves" when the
// labels do not match the curves one for one.
void apply_figure_options(const FigureOptions& options, KmPlotInput& plot);

}  // namespace rwe::report

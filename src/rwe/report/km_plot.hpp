#pragma once
// Kaplan–Meier figure: step curves with censoring marks, optional stepped confidence
// ribbons, median lines, a text box (log-rank p, hazard ratio), a legend and a
// number-at-risk table whose columns sit exactly under the time-axis ticks.

#include <limits>
#include <string>
#include <vector>

#include "rwe/report/drawing.hpp"
#include "rwe/report/figure.hpp"
#include "rwe/report/layout.hpp"

namespace rwe::report {

// One curve, in the vocabulary of a Kaplan–Meier table (R's summary.survfit): at each
// distinct time, the number at risk just before it, events, censored, and the survival
// estimate with its pointwise CI after it. lower/upper may be empty (no ribbon) or hold
// NaN where the CI is undefined (the ribbon is interrupted there).
struct KmCurveInput {
    std::string label;
    std::vector<double> time;
    std::vector<double> n_risk;
    std::vector<double> n_event;
    std::vector<double> n_censor;
    std::vector<double> surv;
    std::vector<double> lower;
    std::vector<double> upper;
    double median = std::numeric_limits<double>::quiet_NaN();  // NaN: not reached / not drawn
    double start = 1;  // the value before the first time: 1 for survival, 0 for a cumulative incidence
};

// Rows of the table under the panel, one block each, one row per curve in every block.
struct RiskTableRows {
    bool at_risk = true;   // "Number at risk": subjects with time >= t
    bool censored = false; // "Number censored": censored at or before t, cumulative
    bool events = false;   // "Number of events": events at or before t, cumulative
};

struct KmPlotInput {
    std::vector<KmCurveInput> curves;
    std::string title;                      // usually empty: journals put it in the caption
    std::string x_label = "Time (months)";
    std::string y_label = "Survival probability";
    std::vector<std::string> annotation;    // lines of the text box, e.g. "Log-rank p = 0.043"
    double max_time = 0;                    // 0: the largest time of any curve
    double time_step = 0;                   // 0: chosen by time_ticks()
    bool confidence_bands = true;
    bool median_lines = true;
    bool censor_marks = true;
    bool risk_table = true;
    RiskTableRows risk_rows;
    std::string legend_title;               // a bold first line of the legend; empty: none
    std::vector<Rgb> colours;               // line colours by curve; empty or shorter: line_style()'s
    long risk_table_threshold = 0;          // > 1: counts 1…threshold−1 at risk shown as "<threshold"
    bool y_percent = false;                 // "0%…100%" instead of "0.0…1.0"
    double width_pt = 468;                  // 6.5 in, a full text width
    double panel_height_pt = 250;
};

// Number at risk at time t: subjects with time ≥ t, read from the table as n_risk at the
// first tabulated time ≥ t (0 beyond the last), as R's summary(fit, times = t) reports.
double n_risk_at(const KmCurveInput& curve, double t);

// Survival at time t (right-continuous step function, curve.start before the first time).
double survival_at(const KmCurveInput& curve, double t);

// Censoring marks drawn for a curve, in figure points: at most one per column of
// censor_mark_column points of the panel's width (the first censoring time in each;
// marks are 5 pt wide, so closer ones print as one blot), and none beyond the axis end.
// At most ~panel width / 2 marks per curve however large the cohort (docs/report.md).
inline constexpr double censor_mark_column = 2;
std::vector<Point> censor_mark_positions(const KmPlotInput& input, size_t curve);

// Number censored (or of events) at or before time t: the cumulative sum of n_censor
// (n_event) over tabulated times <= t.
double n_censored_by(const KmCurveInput& curve, double t);
double n_events_by(const KmCurveInput& curve, double t);

// The y-axis label of a survival curve from its endpoint's label (docs/report.md):
// "Overall survival" → "Overall survival probability" (up to the word "survival",
// so "Overall survival from surgery" → "Overall survival probability"); "Time to X" →
// "Probability of no X"; "Duration of response" → "Probability of continued response";
// otherwise the label followed by " probability"; empty: "Survival probability".
std::string survival_axis_label(const std::string& endpoint_label);

// Throws rwe::UsageError when a curve's vectors differ in length or times decrease, or
// when the time axis would have more than 100 breaks.
Figure km_plot(const KmPlotInput& input);

}  // namespace rwe::report

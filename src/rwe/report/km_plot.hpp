#pragma once
// Kaplan–Meier figure: step curves with censoring marks, optional stepped confidence
// ribbons, median lines, a text box (log-rank p, hazard ratio), a legend and a
// number-at-risk table whose columns sit exactly under the time-axis ticks.

#include <limits>
#include <string>
#include <vector>

#include "rwe/report/figure.hpp"

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

// Throws rwe::UsageError when a curve's vectors differ in length or times decrease.
Figure km_plot(const KmPlotInput& input);

}  // namespace rwe::report

// rwe km: Kaplan–Meier curves of a CSV file, one per group, with the median and its
// confidence interval, survival at chosen times and the restricted mean (docs/methods.md §1).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <optional>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rwe/cli/cli_util.hpp"
#include "rwe/cli/command.hpp"
#include "rwe/cli/survival_input.hpp"
#include "rwe/common/error.hpp"
#include "rwe/report/figure.hpp"
#include "rwe/report/figure_options.hpp"
#include "rwe/report/km_plot.hpp"
#include "rwe/stats/cox_regression.hpp"
#include "rwe/stats/log_rank.hpp"
#include "rwe/stats/kaplan_meier.hpp"
#include "rwe/stats/restricted_mean.hpp"
#include "rwe/stats/survival_at_times.hpp"
#include "rwe/stats/survival_quantiles.hpp"

namespace {

using nlohmann::json;
using rwe::cli::format_number;
using rwe::cli::json_number;
namespace stats = rwe::stats;
using rwe::cli::print_columns;

struct KmOptions {
    std::string file;
    rwe::cli::SurvivalColumns columns;
    std::string conf_type = "log";
    double conf_level = 0.95;
    std::string median_ci = "r";
    std::string times;
    std::string quantiles;
    double rmst_tau = 0;
    bool rmst = false;
    bool reverse = false;
    std::string format = "text";
    // --plot and the figure options (docs/report.md, "Figure options").
    std::string plot;
    double time_max = 0, time_step = 0;
    std::string x_label = "Time", y_label, legend_title;
    std::vector<std::string> legend_labels, colours, risk_table_rows;
    bool censor_marks = true, confidence_band = false, risk_table = true, p_value = true, hazard_ratio = false;
};

// The figure options given as flags, checked before any data is read; UsageError
// `--flag: problem (value)`. Every figure flag needs --plot.
rwe::report::FigureOptions plot_options(const KmOptions& options, const CLI::App& app) {
    const std::vector<std::string> flags{"--time-max", "--time-step", "--x-label", "--y-label", "--legend-title", "--legend-labels",
                                         "--colours", "--censor-marks", "--confidence-band", "--risk-table", "--risk-table-rows",
                                         "--p-value", "--hazard-ratio"};
    auto given = [&](const std::string& flag) { return app.get_option(flag)->count() > 0; };
    rwe::report::FigureOptions figure;
    if (options.plot.empty()) {
        for (const auto& flag : flags)
            if (given(flag)) throw rwe::UsageError(flag + ": a figure option needs --plot FILE");
        return figure;
    }
    const std::string extension = std::filesystem::path(options.plot).extension().string();
    if (extension != ".svg" && extension != ".pdf" && extension != ".png")
        throw rwe::UsageError("--plot: the file name must end in .svg, .pdf or .png (" + options.plot + ")");
    if (given("--time-max")) {
        if (!(options.time_max > 0) || !std::isfinite(options.time_max))
            throw rwe::UsageError("--time-max: must be > 0 (" + format_number(options.time_max, 6) + ")");
        figure.time_max = options.time_max;
    }
    if (given("--time-step")) {
        if (!(options.time_step > 0) || !std::isfinite(options.time_step))
            throw rwe::UsageError("--time-step: must be > 0 (" + format_number(options.time_step, 6) + ")");
        if (figure.time_max && *figure.time_max / options.time_step > rwe::report::max_time_breaks)
            throw rwe::UsageError("--time-step: more than 100 breaks up to --time-max (" + format_number(options.time_step, 6) + ")");
        figure.time_step = options.time_step;
    }
    auto text = [&](const std::string& flag, const std::string& value, std::optional<std::string>& into) {
        if (!given(flag)) return;
        if (value.empty()) throw rwe::UsageError(flag + ": must not be empty");
        into = value;
    };
    text("--x-label", options.x_label, figure.x_label);
    text("--y-label", options.y_label, figure.y_label);
    text("--legend-title", options.legend_title, figure.legend_title);
    for (const auto& label : options.legend_labels)
        if (label.empty()) throw rwe::UsageError("--legend-labels: a label must not be empty");
    figure.legend_labels = options.legend_labels;
    for (const auto& name : options.colours) {
        const auto colour = rwe::report::parse_colour(name);
        if (!colour) throw rwe::UsageError(std::string("--colours: not a colour (") + rwe::report::colour_rule + ") (" + name + ")");
        figure.colours.push_back(*colour);
    }
    if (given("--risk-table-rows")) {
        std::string bad;
        figure.risk_table_rows = rwe::report::parse_risk_table_rows(options.risk_table_rows, &bad);
        if (!figure.risk_table_rows)
            throw rwe::UsageError(std::string("--risk-table-rows: unknown or repeated row (rows: ") + rwe::report::risk_row_rule + ") (" + bad + ")");
    }
    if (given("--censor-marks")) figure.censor_marks = options.censor_marks;
    if (given("--confidence-band")) figure.confidence_band = options.confidence_band;
    if (given("--risk-table")) figure.risk_table = options.risk_table;
    if (given("--p-value")) figure.p_value = options.p_value;
    if (given("--hazard-ratio")) figure.hazard_ratio = options.hazard_ratio;
    if ((options.p_value && given("--p-value")) || options.hazard_ratio) {
        if (options.columns.group.empty())
            throw rwe::UsageError(std::string(options.hazard_ratio ? "--hazard-ratio" : "--p-value") + ": needs --group: there is no comparison to annotate");
    }
    return figure;
}

// The figure of `rwe km --plot`: the curves (with their CI band when there is one curve),
// censoring marks, the number at risk, and the log-rank p (and hazard ratio) with groups.
void write_plot(const KmOptions& options, const rwe::report::FigureOptions& figure, const stats::SurvivalData& data,
                const stats::KaplanMeier& km, const std::vector<double>& medians) {
    namespace report = rwe::report;
    report::KmPlotInput input;
    input.x_label = options.x_label;
    input.y_label = report::survival_axis_label("");
    for (std::size_t c = 0; c < km.curves.size(); ++c) {
        const auto& curve = km.curves[c];
        report::KmCurveInput line;
        line.label = curve.name.empty() ? "All subjects" : curve.name;
        line.time = curve.time;
        line.n_risk = curve.n_risk;
        line.n_event = curve.n_event;
        line.n_censor = curve.n_censor;
        line.surv = curve.surv;
        line.lower = curve.lower;
        line.upper = curve.upper;
        line.median = medians[c];
        input.curves.push_back(std::move(line));
    }
    input.confidence_bands = input.curves.size() == 1;
    const bool groups = !options.columns.group.empty() && data.group_names.size() >= 2;
    if (groups && figure.p_value.value_or(true)) {
        const auto test = stats::log_rank_test(data);
        input.annotation.push_back("Log-rank " + report::format_p_value(test.p));
    }
    if (figure.hazard_ratio.value_or(false)) {
        if (data.group_names.size() != 2)
            throw rwe::UsageError("--hazard-ratio: needs exactly two groups in --group " + options.columns.group + " (" +
                                  std::to_string(data.group_names.size()) + " groups)");
        stats::CoxData cox;
        for (std::size_t row = 0; row < data.size(); ++row) {
            cox.stop.push_back(data.time[row]);
            cox.event.push_back(data.event[row]);
            cox.x.push_back(data.group[row] == 1 ? 1.0 : 0.0);
        }
        if (!data.weight.empty()) cox.weight = data.weight;
        if (!data.stratum.empty()) cox.stratum = data.stratum;
        cox.names = {data.group_names[1] + " vs " + data.group_names[0]};
        const auto fit = stats::cox_regression(cox);
        input.annotation.push_back(fmt::format("HR {} {} (95% CI {}–{})", cox.names[0], report::format_fixed(fit.exp_coef[0], 2),
                                               report::format_fixed(fit.lower[0], 2), report::format_fixed(fit.upper[0], 2)));
    }
    if (!figure.legend_labels.empty() && figure.legend_labels.size() != input.curves.size())
        throw rwe::UsageError("--legend-labels: " + std::to_string(figure.legend_labels.size()) + " labels for " +
                              std::to_string(input.curves.size()) + " curves");
    report::apply_figure_options(figure, input);
    const report::Figure drawn = report::km_plot(input);
    const std::string extension = std::filesystem::path(options.plot).extension().string();
    const std::string bytes = extension == ".svg" ? report::render_svg(drawn) : extension == ".pdf" ? report::render_pdf(drawn)
                                                                                                  : report::render_png(drawn);
    report::write_file_atomic(options.plot, bytes);
}

// Everything reported for one curve, computed once for both output formats.
struct CurveReport {
    const stats::KaplanMeierCurve* curve;
    stats::SurvivalQuantile median;
    stats::SpssMedian spss;
    bool spss_used;
    stats::SurvivalAtTimes at_times;
    stats::RestrictedMean rmst;
    std::vector<stats::SurvivalQuantile> quantiles;
};

json curve_json(const CurveReport& report, bool with_rmst) {
    const auto& c = *report.curve;
    json table = json::array();
    for (std::size_t k = 0; k < c.rows(); ++k) {
        table.push_back({{"time", json_number(c.time[k])},
                         {"n_risk", json_number(c.n_risk[k])},
                         {"n_event", json_number(c.n_event[k])},
                         {"n_censor", json_number(c.n_censor[k])},
                         {"surv", json_number(c.surv[k])},
                         {"std_err", json_number(c.std_err[k])},
                         {"lower", json_number(c.lower[k])},
                         {"upper", json_number(c.upper[k])},
                         {"std_err_surv", json_number(c.std_err_surv[k])},
                         {"cumhaz", json_number(c.cumhaz[k])},
                         {"std_chaz", json_number(c.std_chaz[k])}});
    }
    json at = json::array();
    for (const auto& row : report.at_times.rows) {
        at.push_back({{"time", json_number(row.time)},
                      {"n_risk", json_number(row.n_risk)},
                      {"n_event", json_number(row.n_event)},
                      {"n_censor", json_number(row.n_censor)},
                      {"surv", json_number(row.surv)},
                      {"std_err", json_number(row.std_err_surv)},
                      {"lower", json_number(row.lower)},
                      {"upper", json_number(row.upper)},
                      {"cumhaz", json_number(row.cumhaz)}});
    }
    json out = {{"name", c.name}, {"n", c.n}, {"events", json_number(c.events)}};
    if (report.spss_used) {
        out["median"] = json_number(report.spss.estimate);
        out["median_lower"] = json_number(report.spss.lower);
        out["median_upper"] = json_number(report.spss.upper);
        out["median_se"] = json_number(report.spss.std_err);
    } else {
        out["median"] = json_number(report.median.estimate);
        out["median_lower"] = json_number(report.median.lower);
        out["median_upper"] = json_number(report.median.upper);
    }
    out["table"] = std::move(table);
    out["at_times"] = std::move(at);
    if (!report.at_times.beyond_follow_up.empty()) {
        json beyond = json::array();
        for (double t : report.at_times.beyond_follow_up) beyond.push_back(json_number(t));
        out["times_beyond_follow_up"] = std::move(beyond);
    }
    if (!report.quantiles.empty()) {
        json quantiles = json::array();
        for (const auto& q : report.quantiles) {
            quantiles.push_back({{"p", json_number(q.probability)},
                                 {"time", json_number(q.estimate)},
                                 {"lower", json_number(q.lower)},
                                 {"upper", json_number(q.upper)}});
        }
        out["quantiles"] = std::move(quantiles);
    }
    if (with_rmst) {
        out["rmst"] = {{"tau", json_number(report.rmst.tau)},
                       {"rmean", json_number(report.rmst.rmean)},
                       {"se", json_number(report.rmst.se)}};
    }
    return out;
}

// A time read off the curve or a band: NaN means the curve never reached it.
std::string reached(double time) {
    return std::isnan(time) ? std::string("not reached") : format_number(time, 6);
}


void print_curve(std::ostream& out, const CurveReport& report, const KmOptions& options,
                 const stats::KaplanMeier& km) {
    const auto& c = *report.curve;
    const std::string level = fmt::format("{:g}%", 100 * km.conf_level);
    std::string columns = options.columns.stratum;
    if (!options.columns.group.empty())
        columns += (columns.empty() ? "" : ", ") + options.columns.group;
    out << (c.name.empty() ? std::string("All subjects") : columns + " = " + c.name) << "\n";
    const char* what = km.reverse ? "censored (reverse KM: follow-up)" : "events";
    out << fmt::format("  n = {}, {} = {}\n", c.n, what, format_number(c.events, 10));
    const char* median_label = km.reverse ? "median follow-up" : "median";
    if (report.spss_used) {
        out << fmt::format("  {} = {} (SE {}; {} CI {} to {}, SPSS method)\n", median_label,
                           reached(report.spss.estimate), format_number(report.spss.std_err, 6),
                           level, format_number(report.spss.lower, 6),
                           format_number(report.spss.upper, 6));
    } else {
        out << fmt::format("  {} = {} ({} CI {} to {}, {} band)\n", median_label,
                           reached(report.median.estimate), level, reached(report.median.lower),
                           reached(report.median.upper), stats::conf_type_name(km.conf_type));
    }
    for (const auto& q : report.quantiles) {
        out << fmt::format("  quantile p = {}: {} ({} CI {} to {})\n",
                           format_number(q.probability, 6), format_number(q.estimate, 6), level,
                           format_number(q.lower, 6), format_number(q.upper, 6));
    }
    if (options.rmst) {
        out << fmt::format("  restricted mean to {} = {} (SE {})\n",
                           format_number(report.rmst.tau, 6), format_number(report.rmst.rmean, 6),
                           format_number(report.rmst.se, 6));
    }
    out << "\n";
    std::vector<std::vector<std::string>> grid{
        {"time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"}};
    for (std::size_t k = 0; k < c.rows(); ++k) {
        grid.push_back({format_number(c.time[k], 8), format_number(c.n_risk[k], 8),
                        format_number(c.n_event[k], 8), format_number(c.n_censor[k], 8),
                        format_number(c.surv[k]), format_number(c.std_err[k]),
                        format_number(c.lower[k]), format_number(c.upper[k])});
    }
    print_columns(out, grid);
    if (!report.at_times.rows.empty() || !report.at_times.beyond_follow_up.empty()) {
        out << "\n  survival at chosen times (std_err = SE of S)\n";
        std::vector<std::vector<std::string>> at{
            {"time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"}};
        for (const auto& row : report.at_times.rows) {
            at.push_back({format_number(row.time, 8), format_number(row.n_risk, 8),
                          format_number(row.n_event, 8), format_number(row.n_censor, 8),
                          format_number(row.surv), format_number(row.std_err_surv),
                          format_number(row.lower), format_number(row.upper)});
        }
        print_columns(out, at);
        for (double t : report.at_times.beyond_follow_up) {
            out << "  time " << format_number(t, 8)
                << " is after the last follow-up: not reported\n";
        }
    }
    out << "\n";
}

int run_km(int argc, char** argv) {
    KmOptions options;
    CLI::App app{
        "Kaplan–Meier survival curves with median, survival at chosen times and restricted mean",
        "rwe km"};
    app.add_option("file", options.file, "CSV file (plain or .gz)")->required();
    app.add_option("--time", options.columns.time, "follow-up time column")->required();
    app.add_option("--event", options.columns.event, "event column: 1 = event, 0 = censored")
        ->required();
    app.add_option("--group", options.columns.group, "one curve per value of this column");
    app.add_option("--strata", options.columns.stratum,
                   "one curve per value (and group) of this column too");
    app.add_option("--weights", options.columns.weight, "case-weight column");
    app.add_option("--start", options.columns.start,
                   "start time column: (start, stop] data, --time is the stop (delayed entry, time-varying rows)");
    app.add_option("--cluster", options.columns.cluster,
                   "cluster column: robust (infinitesimal jackknife) variance summed within clusters");
    bool robust = false;
    auto* robust_flag = app.add_flag(
        "--robust,!--no-robust", robust,
        "robust (infinitesimal jackknife) variance, or Greenwood's with --no-robust; by default robust "
        "with --cluster or non-integer weights, as R's survfit");
    app.add_option("--conf-type", options.conf_type,
                   "log (R default) | log-log (SAS default) | plain | logit | arcsin")
        ->check(CLI::IsMember({"log", "log-log", "plain", "logit", "arcsin"}));
    app.add_option("--conf-level", options.conf_level, "confidence level")
        ->check(rwe::cli::confidence_level(0.0, 1.0, true));
    app.add_option("--median-ci", options.median_ci,
                   "r (Brookmeyer–Crowley on the band) | spss (estimate +/- 1.96 SE)")
        ->check(CLI::IsMember({"r", "spss"}));
    app.add_option("--times", options.times, "comma-separated times for S(t)");
    app.add_option("--quantiles", options.quantiles,
                   "comma-separated probabilities p: the time by which a fraction p had the event "
                   "(R's quantile)");
    auto* rmst =
        app.add_option("--rmst", options.rmst_tau, "restricted mean survival time up to TAU");
    app.add_flag("--reverse", options.reverse, "reverse Kaplan–Meier (median follow-up)");
    app.add_option("--format", options.format, "text | json")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_option("--plot", options.plot,
                   "also draw the curves to FILE (.svg, .pdf or .png at 300 dpi; the type by its extension) with the options below");
    app.add_option("--time-max", options.time_max, "figure: time axis end (default: the last time)");
    app.add_option("--time-step", options.time_step,
                   "figure: interval between time-axis breaks (default: 1, 2, 3, 6, 12, 24, ... for at most 10 intervals)");
    app.add_option("--x-label", options.x_label, "figure: x-axis label (default: Time)");
    app.add_option("--y-label", options.y_label, "figure: y-axis label (default: Survival probability)");
    app.add_option("--legend-title", options.legend_title, "figure: a title above the legend (default: none)");
    app.add_option("--legend-labels", options.legend_labels,
                   "figure: comma-separated labels of the curves, one per curve in the order printed (default: the group values)")
        ->delimiter(',');
    app.add_option("--colours", options.colours,
                   "figure: comma-separated curve colours, #RRGGBB, #RGB or an Okabe-Ito name (black, orange, sky_blue, "
                   "bluish_green, yellow, blue, vermillion, reddish_purple) (default: blue, vermillion, black, ...)")
        ->delimiter(',');
    app.add_flag("--censor-marks,!--no-censor-marks", options.censor_marks, "figure: censoring marks (default: on)");
    app.add_flag("--confidence-band,!--no-confidence-band", options.confidence_band,
                 "figure: pointwise CI band (default: on with one curve, off with several)");
    app.add_flag("--risk-table,!--no-risk-table", options.risk_table, "figure: the table under the curves (default: on)");
    app.add_option("--risk-table-rows", options.risk_table_rows,
                   "figure: comma-separated rows of the table: at_risk, censored, events (default: at_risk)")
        ->delimiter(',');
    app.add_flag("--p-value,!--no-p-value", options.p_value, "figure: log-rank p with --group (default: on)");
    app.add_flag("--hazard-ratio,!--no-hazard-ratio", options.hazard_ratio,
                 "figure: hazard ratio of the second group against the first (Cox, two groups) (default: off)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return rwe::cli::parse_failure(app, e);
    } catch (const CLI::ParseError& e) {
        throw rwe::UsageError(e.what());
    }
    options.rmst = rmst->count() > 0;
    const rwe::report::FigureOptions figure = plot_options(options, app);
    if (options.reverse && !options.columns.start.empty()) {
        throw rwe::UsageError("--reverse: a reverse Kaplan–Meier curve of (start, stop] data (--start) is not defined");
    }
    if (options.rmst && !(options.rmst_tau > 0)) throw rwe::UsageError("--rmst: TAU must be > 0");
    const std::vector<double> times = rwe::cli::parse_number_list("--times", options.times);
    const std::vector<double> probabilities =
        rwe::cli::parse_number_list("--quantiles", options.quantiles);
    for (double p : probabilities) {
        if (!(p >= 0 && p <= 1))
            throw rwe::UsageError("--quantiles: probability outside [0, 1] (" +
                                  format_number(p, 6) + ")");
    }

    const stats::SurvivalData data = rwe::cli::read_survival_data(options.file, options.columns);
    stats::KaplanMeierOptions km_options;
    km_options.conf_type = *stats::conf_type_from_name(options.conf_type);
    km_options.conf_level = options.conf_level;
    km_options.reverse = options.reverse;
    if (robust_flag->count() > 0) km_options.variance = robust ? stats::KmVariance::robust : stats::KmVariance::greenwood;
    if (!options.columns.cluster.empty() && km_options.variance == stats::KmVariance::greenwood) {
        throw rwe::UsageError("--cluster: clusters are used by the robust variance only; --no-robust was given");
    }
    if (!data.cluster.empty()) {
        const auto [low, high] = std::minmax_element(data.cluster.begin(), data.cluster.end());
        if (low != data.cluster.end() && *low == *high) {
            throw rwe::InputError(options.file + ": --cluster " + options.columns.cluster +
                                  ": the rows used form a single cluster; a robust variance needs at least two");
        }
    }
    const stats::KaplanMeier km = stats::kaplan_meier(data, km_options);

    std::vector<CurveReport> reports;
    std::vector<double> medians;
    for (const auto& curve : km.curves) {
        CurveReport report{&curve,
                           stats::median_survival(curve),
                           {},
                           options.median_ci == "spss",
                           stats::survival_at_times(curve, times),
                           {},
                           stats::survival_quantiles(curve, probabilities)};
        if (report.spss_used) report.spss = stats::spss_median(curve, 1.96);
        if (options.rmst) report.rmst = stats::restricted_mean(curve, options.rmst_tau);
        medians.push_back(report.spss_used ? report.spss.estimate : report.median.estimate);
        reports.push_back(std::move(report));
    }

    // The figure first: an option it cannot meet stops the command before any output.
    if (!options.plot.empty()) write_plot(options, figure, data, km, medians);

    if (options.format == "json") {
        json strata = json::array();
        for (const auto& report : reports) strata.push_back(curve_json(report, options.rmst));
        json doc = {{"strata", std::move(strata)},
                    {"dropped", data.dropped},
                    {"conf_type", stats::conf_type_name(km.conf_type)},
                    {"conf_level", km.conf_level},
                    {"median_ci", options.median_ci},
                    {"reverse", km.reverse},
                    {"variance", km.robust ? "robust" : "greenwood"},
                    {"messages", km.messages}};
        std::cout << doc.dump(2) << "\n";
        return 0;
    }
    std::cout << fmt::format(
        "Kaplan–Meier{}: {} (time {}, event {}); {} rows used, {} dropped (missing value)\n\n",
        km.reverse ? " (reverse: censoring as the event)" : "", options.file, options.columns.time,
        options.columns.event, data.size(), data.dropped);
    if (km.robust) {
        std::cout << "standard errors: robust (infinitesimal jackknife)"
                  << (options.columns.cluster.empty() ? "" : ", summed within clusters of " + options.columns.cluster)
                  << "\n\n";
    }
    for (const auto& report : reports) print_curve(std::cout, report, options, km);
    for (const auto& message : km.messages) std::cout << "note: " << message << "\n";
    return 0;
}

}  // namespace

RWE_COMMAND(km, "Kaplan–Meier curves, median with CI, S(t) at chosen times, RMST", run_km);

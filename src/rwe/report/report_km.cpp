// Kind km: the Kaplan–Meier figure with its legend, and the summary table (medians, S(t),
// RMST) by group.
#include <fmt/format.h>

#include "rwe/report/disclosure_control.hpp"
#include "rwe/report/report_cells.hpp"
#include "rwe/report/report_kinds.hpp"

namespace rwe::report {

KmCurveInput km_curve_input(const std::string& label, const results::CurveTable& curve, double median) {
    KmCurveInput out;
    out.label = label;
    for (const auto& step : *curve.rows) {
        out.time.push_back(step.time);
        out.n_risk.push_back(step.n_risk.value());
        out.n_event.push_back(step.n_event.value());
        out.n_censor.push_back(step.n_censor.value());
        out.surv.push_back(step.surv.value());
        out.lower.push_back(step.lower.value());
        out.upper.push_back(step.upper.value());
    }
    out.median = median;
    return out;
}

KmPlotInput km_plot_input(const ReportContext& context, const std::vector<results::CurveSummary>& strata) {
    KmPlotInput input;
    input.risk_table_threshold = context.small_cell();
    input.x_label = "Time (" + context.protocol().time_unit + ")";
    for (const auto& stratum : strata) {
        if (stratum.curve.rows.is_suppressed()) continue;  // a suppressed group: no curve
        const bool median = stratum.median_primary && !stratum.median_primary->is_suppressed();
        input.curves.push_back(km_curve_input(stratum.name.empty() ? "All patients" : stratum.shown_name(), stratum.curve,
                                              median ? (*stratum.median_primary)->estimate.value() : std::numeric_limits<double>::quiet_NaN()));
    }
    return input;
}

namespace {

// A figure legend as a journal prints it: what is estimated in whom (n and events per
// curve), then what each element of the drawing is, as the options drew it.
std::string km_legend(const ReportContext& context, const results::KmResult& r, const KmPlotInput& input) {
    std::string legend = "Kaplan–Meier estimate" + std::string(input.curves.size() > 1 ? "s" : "") + " of " + lower_first(r.description);
    std::string list;
    for (const auto& stratum : r.strata) {
        const std::string name = stratum.name.empty() ? "" : stratum.shown_name() + ", ";
        list += (list.empty() ? "" : "; ") + fmt::format("{}n = {}, {} events", name, count_only(stratum.n), count_only(stratum.events));
    }
    legend += r.by ? fmt::format(" by {}: {}", lower_first(r.by_label.value_or(*r.by)), list) : fmt::format(" ({})", list);
    legend += ".";
    const auto& cutoff = context.protocol().data_cutoff;
    if (cutoff.has_value()) legend += " Data cut-off " + *cutoff + ".";
    if (input.confidence_bands) legend += fmt::format(" Shaded: pointwise 95% confidence band ({} scale).", r.conf_type);
    if (input.censor_marks) legend += " Tick marks: censored patients.";
    if (input.risk_table) {
        std::vector<std::string> rows;
        if (input.risk_rows.at_risk) rows.push_back("numbers at risk");
        if (input.risk_rows.censored) rows.push_back("cumulative numbers censored");
        if (input.risk_rows.events) rows.push_back("cumulative numbers of events");
        std::string joined;
        for (std::size_t k = 0; k < rows.size(); ++k) joined += (k == 0 ? "" : k + 1 == rows.size() ? " and " : ", ") + rows[k];
        if (!joined.empty()) legend += " Below the plot: " + joined + " at each time mark.";
    }
    if (r.log_rank && context.figure_options().p_value.value_or(true)) legend += " p: log-rank test.";
    const long threshold = context.small_cell();
    if (threshold > 1) legend += fmt::format(" Counts below {} are shown as <{} or S.", threshold, threshold);
    return legend;
}

}  // namespace

void report_km(ReportContext& context, const std::string& id, const results::KmResult& r) {
    Section& s = context.section("survival", "Time-to-event endpoints");
    const FigureOptions& figure = context.figure_options();
    KmPlotInput input = km_plot_input(context, r.strata);
    input.confidence_bands = input.curves.size() == 1;
    input.y_label = survival_axis_label(r.description);
    if (r.log_rank && figure.p_value.value_or(true)) {
        input.annotation.push_back("Log-rank " + (r.log_rank->is_suppressed() ? suppressed_cell : p_phrase((*r.log_rank)->p)));
    }
    if (figure.hazard_ratio.value_or(false) && r.hazard_ratio && !r.hazard_ratio->coefficients.empty()) {
        const auto& c = r.hazard_ratio->coefficients[0];
        std::string compared = c.name;  // "second vs first" in level names; in labels when the groups have them
        if (r.strata.size() == 2 && r.strata[0].label && r.strata[1].label) compared = *r.strata[1].label + " vs " + *r.strata[0].label;
        input.annotation.push_back(fmt::format("HR {} {} (95% CI {}–{})", compared, fixed(c.exp_coef, 2), fixed(c.lower, 2), fixed(c.upper, 2)));
    }
    for (const auto& stratum : r.strata) {
        if (input.curves.size() > 1 || stratum.curve.rows.is_suppressed()) break;  // group medians are in the table below the figure
        const bool spss = stratum.median_primary && !stratum.median_primary->is_suppressed() && (*stratum.median_primary)->method == "spss";
        input.annotation.push_back(fmt::format("median {} ({})", stratum.median_primary ? estimate_ci(*stratum.median_primary) : "NR",
                                               spss ? "95% CI, SPSS" : "95% CI"));
    }
    if (!input.curves.empty() && !input.curves.front().time.empty()) {
        context.apply_figure(id, input);
        context.add_figure(s, "fig-" + id, km_legend(context, r, input), km_plot(input));
    }
    // Summary table: the median with the convention's CI (the other method's stays in
    // results.json) and S(t) at the protocol's times.
    Table table{id, r.description + ": Kaplan–Meier summary", {"Group", "Patients", "Events", "Median (95% CI)"}, {}, {}, {}, {}};
    std::string median_method;
    std::vector<double> times;
    // The times and the RMST's tau from the first group that is not suppressed (all groups have them).
    std::optional<double> rmst_tau;
    bool with_rmst = false;
    for (const auto& stratum : r.strata) {
        if (stratum.rmst) with_rmst = true;
        if (stratum.at_times.is_suppressed() || (stratum.rmst && stratum.rmst->is_suppressed())) continue;
        for (const auto& at : *stratum.at_times) times.push_back(at.time);
        if (stratum.rmst) rmst_tau = (*stratum.rmst)->tau;
        break;
    }
    for (double t : times) table.columns.push_back(fmt::format("S({:g}) (95% CI)", t));
    if (with_rmst) table.columns.push_back(rmst_tau ? fmt::format("RMST to {:g} (95% CI)", *rmst_tau) : "RMST (95% CI)");
    for (const auto& stratum : r.strata) {
        if (median_method.empty() && stratum.median_primary && !stratum.median_primary->is_suppressed()) {
            median_method = (*stratum.median_primary)->method;
        }
        std::vector<std::string> row{stratum.name.empty() ? "All" : stratum.shown_name(), count_only(stratum.n), count_only(stratum.events),
                                     stratum.median_primary ? estimate_ci(*stratum.median_primary) : "NR"};
        for (double t : times) {
            std::string cell = "–";
            if (stratum.at_times.is_suppressed()) cell = suppressed_cell;
            else {
                for (const auto& at : *stratum.at_times) {
                    if (at.time == t) cell = estimate_ci(at.surv, at.lower, at.upper, 3);
                }
            }
            row.push_back(cell);
        }
        if (with_rmst) {
            if (!stratum.rmst) row.push_back("NR");
            else if (stratum.rmst->is_suppressed()) row.push_back(suppressed_cell);
            else row.push_back(estimate_ci((*stratum.rmst)->rmean, (*stratum.rmst)->lower, (*stratum.rmst)->upper));
        }
        table.rows.push_back(row);
    }
    table.footnotes.push_back(median_ci_footnote(median_method, r.conf_type));
    if (with_rmst) {
        table.footnotes.push_back("RMST: restricted mean survival time, the area under the Kaplan–Meier curve up to the time given "
                                  "(the curve carried flat beyond the last observation); 95% CI as RMST ± 1.96 SE.");
    }
    context.add_table(s, table);
}

}  // namespace rwe::report

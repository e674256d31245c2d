// Kind target_trial: per arm the clones, events, clones censored at deviation and the
// weighted Kaplan–Meier summaries, the groups as received beside them, the differences A − B
// and the weighted hazard ratio; the weighted curves (docs/methods.md §8.7).
#include <fmt/format.h>

#include "rwe/report/report_cells.hpp"
#include "rwe/report/report_kinds.hpp"

namespace rwe::report {

void report_target_trial(ReportContext& context, const std::string& id, const results::TargetTrialResult& r) {
    Section& s = context.section("target_trial", "Target trial emulation");
    const std::string a = r.strategies.at(0), b = r.strategies.at(1);
    std::string drugs;
    for (const auto& drug : r.drugs) drugs += (drugs.empty() ? "" : ", ") + drug;
    s.blocks.push_back(Paragraph{fmt::format(
        "{}: strategy A \"{}\" against strategy B \"{}\" ({}), emulated by cloning each of the {} patients into both arms at the "
        "index date, censoring a clone when it deviates from its strategy, and weighting by the inverse probability of remaining "
        "uncensored (pooled logistic model over {}-day intervals of the grace period{}).",
        r.description, a, b, drugs, count_only(r.patients), r.interval_days, r.covariates.empty() ? "" : ", with the covariates")});
    if (!r.estimable) {
        s.blocks.push_back(Paragraph{r.reason.value_or("not estimable") + "."});
        return;
    }
    // What each comparison answers: the groups by administrations received (the usual
    // unadjusted figure) against the emulated trial of the two strategies.
    const long k = r.min_count;
    const std::string kth = std::to_string(k) + (k % 100 / 10 == 1 ? "th" : k % 10 == 1 ? "st" : k % 10 == 2 ? "nd" : k % 10 == 3 ? "rd" : "th");
    s.blocks.push_back(Paragraph{fmt::format(
        "Grouping patients by the administrations they went on to receive (\"as received\" below) credits the group with "
        "{} or more with the survival needed to receive them (immortal time), and compares the patients who could continue "
        "with those who could not. The emulated trial asks what would have happened had every patient followed strategy A "
        "rather than strategy B from the index date. It answers that question provided that every common cause of stopping "
        "before the {} administration and of the outcome is captured by {}the time since the index date (no unmeasured "
        "confounding of deviation), and that every patient could have followed either strategy (positivity).",
        k, kth, r.covariates.empty() ? "" : (r.covariates.size() == 1 ? "the covariate and " : "the covariates and "))});
    KmPlotInput input;
    input.risk_table_threshold = context.small_cell();
    input.x_label = "Time (" + context.protocol().time_unit + ")";
    Table table{id, fmt::format("{}: emulated trial of {} vs {}", r.description, a, b),
                {"Arm", "Clones", "Events", "Censored at deviation", "Weighted median (95% CI)", "RMST"}, {}, {}, {}, {}};
    for (const auto& arm : r.arms.value()) {
        const std::string label = arm.name == "A" ? "A: " + a : "B: " + b;
        std::string median, rmst;
        if (arm.km && !arm.km->is_suppressed()) {
            const results::CurveSummary& km = **arm.km;
            median = estimate_ci(km.median, km.median_lower, km.median_upper);
            rmst = fixed(arm.rmst.value_or(results::Number()), 1);
            if (!km.curve.rows.is_suppressed()) input.curves.push_back(km_curve_input(label, km.curve, km.median.value()));
        }
        table.rows.push_back({label, count_only(arm.clones), count_only(arm.events), count_only(arm.censored_deviation), median, rmst});
    }
    if (r.as_received) {
        for (const auto& group : r.as_received->groups) {
            table.rows.push_back({fmt::format("As received: {} administrations", group.name), count_only(group.n), count_only(group.events), "",
                                  estimate_ci(group.median, group.median_lower, group.median_upper), ""});
        }
        if (r.as_received->hr) {
            const auto& naive = *r.as_received->hr;
            table.rows.push_back({"As received: HR (95% CI)", estimate_ci(naive.hr, naive.lower, naive.upper, 2), "p " + p_cell(naive.p), "", "", ""});
        }
    }
    const auto& hr = r.hr.value();
    const auto& differences = r.differences.value();
    table.rows.push_back({"HR A vs B (95% CI)", estimate_ci(hr.hr, hr.lower, hr.upper, 2), "p " + p_cell(hr.p), "",
                          fmt::format("RMST difference {}", fixed(differences.rmst_difference, 2)), ""});
    for (const auto& d : differences.at_times) {
        table.rows.push_back({fmt::format("S({:g}) A − B", d.time), fixed(d.surv_difference, 3), "", "", "", ""});
    }
    if (r.bootstrap) {
        const auto& boot = *r.bootstrap;
        table.rows.push_back({fmt::format("Bootstrap 95% CI ({} resamples, seed {})", count_only(boot.resamples), boot.seed),
                              fmt::format("HR {}–{}", fixed(boot.hr_lower, 2), fixed(boot.hr_upper, 2)), "", "",
                              fmt::format("RMST difference {}–{}", fixed(boot.rmst_difference_lower, 2), fixed(boot.rmst_difference_upper, 2)), ""});
    }
    table.footnotes.push_back("HR: weighted Cox model of the arm with a robust variance clustered by patient. Medians, survival "
                              "differences and RMST (restricted mean survival time) from weighted Kaplan–Meier curves of the "
                              "clones' (start, stop] follow-up. Events during the grace period before a deviation count in both arms. "
                              "As received: patients grouped by the administrations received at any time, unweighted Kaplan–Meier "
                              "and Cox model from the index date (in the Clones column: patients).");
    if (hr.e_value.has_value()) {
        if (const std::string note = e_value_note(*hr.e_value, "HR A vs B"); !note.empty()) table.footnotes.push_back(note);
    }
    context.add_table(s, table);
    input.y_label = survival_axis_label(r.description);
    input.confidence_bands = false;
    input.risk_table = false;  // weighted clones at risk are not patients
    if (hr.hr.has_value()) {
        input.annotation.push_back(fmt::format("Weighted HR A vs B {} (95% CI {}–{})", fixed(hr.hr, 2), fixed(hr.lower, 2), fixed(hr.upper, 2)));
    }
    if (!input.curves.empty()) {
        context.add_figure(s, "fig-" + id,
                           fmt::format("Weighted Kaplan–Meier estimates of {} in the emulated trial: A {}, B {}. Tick marks: censored clones.",
                                       lower_first(r.description), a, b),
                           km_plot(input));
    }
}

}  // namespace rwe::report

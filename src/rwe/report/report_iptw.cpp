// Kinds iptw and ps_match: a confounding-adjusted comparison. The balance table and its
// Love plot, the weighted (matched) Kaplan–Meier curves, the comparison unadjusted and
// adjusted side by side, and the weighted curves' differences with their bootstrap intervals.
#include <fmt/format.h>

#include <cmath>

#include "rwe/report/disclosure_control.hpp"
#include "rwe/report/love_plot.hpp"
#include "rwe/report/report_cells.hpp"
#include "rwe/report/report_kinds.hpp"

namespace rwe::report {

namespace {

// "nearest-neighbour matching 1:k on the propensity score, caliper c SD, without replacement"
std::string matching_text(const results::Matching& m) {
    std::string out = fmt::format("nearest-neighbour matching 1:{} on the {}", m.ratio,
                                  m.distance == "logit" ? "logit of the propensity score" : "propensity score");
    if (m.caliper.has_value()) out += fmt::format(" within a caliper of {:g} standard deviations", m.caliper.value());
    out += m.replace ? ", with replacement" : ", without replacement";
    // the order of the treated matters without replacement only
    if (!m.replace) {
        out += m.order == "data" ? ", treated patients in data order" : m.order == "smallest" ? ", smallest score first" : ", largest score first";
    }
    return out;
}

// The weighted curves' survival at the protocol's times and restricted mean, per group and
// treated minus control, with their bootstrap intervals.
void differences_table(ReportContext& context, const std::string& id, const results::PropensityComparison& r,
                       const results::WeightedDifferences& d, const std::string& treated, const std::string& control,
                       const std::string& estimand) {
    Section& s = context.section("iptw", "Confounding-adjusted comparisons");
    const bool intervals = d.bootstrap.replicates > 0;
    const std::string& unit = r.time_unit;
    Table table{id + "-differences",
                fmt::format("{}: weighted ({}) survival and restricted mean survival time, {} minus {}", r.description, estimand, treated, control),
                {"Quantity", treated, control, intervals ? "Difference (95% CI)" : "Difference"}, {}, {}, {}, {}};
    auto difference = [&](const results::WeightedDifference& entry, int decimals) {
        // "to" between the limits: a difference's limits may be negative
        if (!intervals) return fixed(entry.difference, decimals);
        if (entry.difference.is_suppressed() || entry.lower.is_suppressed() || entry.upper.is_suppressed()) return std::string(suppressed_cell);
        return fixed(entry.difference, decimals) + " (" + fixed(entry.lower, decimals) + " to " + fixed(entry.upper, decimals) + ")";
    };
    for (const auto& entry : d.survival) {
        table.rows.push_back({fmt::format("Survival at {:g} {}", entry.time.value_or(0), unit), fixed(entry.treated, 3), fixed(entry.control, 3),
                              difference(entry, 3)});
    }
    if (d.rmst) {
        const auto& entry = *d.rmst;
        table.rows.push_back({fmt::format("Restricted mean survival time to {:g} {} ({})", entry.tau.value_or(0), unit, unit), fixed(entry.treated, 1),
                              fixed(entry.control, 1), difference(entry, 1)});
    }
    const auto& boot = d.bootstrap;
    table.footnotes.push_back(
        intervals ? fmt::format("From the weighted Kaplan–Meier curves. 95% CI: percentile interval of {} bootstrap resamples of the "
                                "patients (seed {}), each refitting the propensity model and the weights{}.",
                                boot.replicates, boot.seed,
                                !boot.failed.is_suppressed() && boot.failed.value() > 0
                                    ? fmt::format("; {} resamples with one group only left out", boot.failed.value())
                                    : "")
                  : "From the weighted Kaplan–Meier curves; no confidence interval (the protocol asks for no bootstrap).");
    context.add_table(s, table);
}

// `matching`: a ps_match result's; `adjusted`: the weighted (matched) comparison.
void comparison_report(ReportContext& context, const std::string& id, const results::PropensityComparison& r, const results::Matching* matching,
                       const results::GroupComparison& adjusted, const std::optional<results::Population>& population_of,
                       const std::string& weights_text, const results::WeightedDifferences* differences) {
    const bool matched = matching != nullptr;
    Section& s = context.section("iptw", "Confounding-adjusted comparisons");
    const std::string estimand = r.estimand == "att" ? "ATT" : "ATE";
    const auto& labels = r.level_labels.value();
    const std::string treated = labels.at(1), control = labels.at(0);
    const std::string& treatment = r.treatment_label;
    std::string covariates;
    for (const auto& name : r.covariate_labels ? *r.covariate_labels : r.covariates) covariates += (covariates.empty() ? "" : ", ") + lower_first(name);
    const std::string population = population_of ? fmt::format(" of the analysis population ({}; n = {})", population_of->where, count_only(population_of->n)) : "";
    const auto& weights = r.weights.value();
    std::string matched_counts;
    if (matched) {
        matched_counts = fmt::format(" {} {} patients were matched to {} {} patients; {} {} and {} {} patients found no match and are left out.",
                                     count_only(weights.treated.n_weighted), treated, count_only(weights.control.n_weighted), control,
                                     count_only(matching->unmatched_by_group.at("treated").n), treated,
                                     count_only(matching->unmatched_by_group.at("control").n), control);
    }
    s.blocks.push_back(Paragraph{fmt::format(
        "{}, {} against {}: {}, with {}, on {} patients{} ({} without the endpoint, the treatment or a covariate left out). "
        "The propensity score, the probability of {} given the covariates, is from a logistic regression on {}.{}",
        treatment, treated, control, lower_first(r.description), weights_text, count_only(r.n), population, count_only(r.dropped),
        lower_first(treatment) + ": " + treated, covariates, matched_counts)});
    // What each comparison answers, so that the weighted estimate is read as the question it
    // answers and not as a correction of the unadjusted one.
    s.blocks.push_back(Paragraph{fmt::format(
        "The unadjusted comparison describes how the two groups fared as they were treated; they may differ at baseline. "
        "The {} comparison estimates {}, provided that {} capture every common cause of the group and the outcome "
        "(no unmeasured confounding) and that every patient could have been in either group (positivity).",
        matched ? "matched" : "weighted",
        matched ? fmt::format("how the matched patients of the {} group would have fared had they been in the {} group "
                              "(average treatment effect in the matched treated, ATT)", treated, control)
        : estimand == "ATT" ? fmt::format("how the patients of the {} group would have fared had they been in the {} group "
                                        "(average treatment effect in the treated, ATT)", treated, control)
                          : fmt::format("how the whole population would have fared in the {} group against the {} group "
                                        "(average treatment effect, ATE)", treated, control),
        r.covariates.size() == 1 ? "the covariate" : "the covariates")});
    const std::string adjusting = matched ? "matching" : "weighting";
    Table balance{id + "-balance", fmt::format("Covariate balance between {} and {}, before and after {}", treated, control, adjusting),
                  {"Covariate", "SMD before", "SMD after"}, {}, {}, {}, {}};
    LovePlotInput love;
    love.after_label = (matched ? "Matched (" : "Weighted (") + estimand + ")";
    for (const auto& row : r.balance.value()) {
        balance.rows.push_back({row.label, fixed(row.smd, 3), fixed(row.smd_adjusted, 3)});
        if (std::isfinite(row.smd.value()) && std::isfinite(row.smd_adjusted.value())) love.rows.push_back({row.label, row.smd.value(), row.smd_adjusted.value()});
    }
    balance.footnotes.push_back(fmt::format("SMD: standardized mean difference of {} minus {} (a category: each level's proportion), "
                                            "divided by the {} of the unweighted groups; after: {}.",
                                            treated, control, r.smd_denominator == "treated" ? "standard deviation of the treated group" : "pooled standard deviation",
                                            matched ? "means of the matched sample, weighted by the matching weights" : "weighted means"));
    context.add_table(s, balance);
    if (!love.rows.empty()) {
        context.add_figure(s, "fig-" + id + "-love",
                           fmt::format("Covariate balance between {} and {}: absolute standardized mean differences before (open circles) "
                                       "and after (filled circles) {}; the dashed line marks 0.1.", treated, control, adjusting),
                           love_plot(love));
    }
    KmPlotInput input;
    input.risk_table_threshold = context.small_cell();
    input.x_label = "Time (" + context.protocol().time_unit + ")";
    for (const auto& stratum : adjusted.strata) {
        if (stratum.curve.rows.is_suppressed()) continue;  // a suppressed group: no curve
        const double median = stratum.median_primary.is_suppressed() ? std::nan("") : stratum.median_primary->estimate.value();
        input.curves.push_back(km_curve_input(stratum.name.empty() ? "All patients" : stratum.label, stratum.curve, median));
    }
    input.y_label = survival_axis_label(r.description);
    input.confidence_bands = false;
    input.risk_table = false;  // weighted numbers at risk are not patients
    const auto& hr = adjusted.hazard_ratio.estimate;
    if (hr.exp_coef.has_value()) {
        input.annotation.push_back(fmt::format("{} HR {} vs {} {} (95% CI {}–{})", matched ? "Matched" : "Weighted", treated, control, fixed(hr.exp_coef, 2),
                                               fixed(hr.lower, 2), fixed(hr.upper, 2)));
    }
    if (!input.curves.empty() && !input.curves.front().time.empty()) {
        std::string groups;
        for (const auto& stratum : adjusted.strata) {
            groups += fmt::format("{}{}, n = {}, {} events", groups.empty() ? "" : "; ", stratum.label, count_only(stratum.n), count_only(stratum.events));
        }
        const long threshold = context.small_cell();
        context.add_figure(s, "fig-" + id,
                           fmt::format("Kaplan–Meier estimates of {} {}: {}. Tick marks: censored patients.{}", lower_first(r.description),
                                       matched ? "in the matched sample (" + weights_text + "), weighted by the matching weights" : "weighted by " + weights_text,
                                       groups, threshold > 1 ? fmt::format(" Counts below {} are shown as <{} or S.", threshold, threshold) : ""),
                           km_plot(input));
    }
    Table table{id, fmt::format("{}: {} vs {}, unadjusted and {}", r.description, treated, control, matched ? "matched" : "weighted"),
                {"Analysis", "HR (95% CI)", "p", "Median " + treated + " (95% CI)", "Median " + control + " (95% CI)"}, {}, {}, {}, {}};
    const auto& unadjusted = r.unadjusted.value();
    for (const auto& [a, name] : {std::pair{&unadjusted, std::string("Unadjusted")},
                                  std::pair{&adjusted, std::string(matched ? "Matched (" : "Weighted (") + estimand + ")"}}) {
        const auto& estimate = a->hazard_ratio.estimate;
        std::vector<std::string> row{name, estimate_ci(estimate.exp_coef, estimate.lower, estimate.upper, 2), p_cell(estimate.p), "", ""};
        for (const auto& stratum : a->strata) {
            const std::size_t column = stratum.name == r.levels.at(1) ? 3 : 4;
            row[column] = estimate_ci(stratum.median_primary);
        }
        table.rows.push_back(std::move(row));
    }
    table.footnotes.push_back(
        matched ? fmt::format("HR: hazard ratio of {} against {} from a Cox model of the group alone (ties {}); unadjusted: "
                              "model-based variance; matched: weighted by the matching weights, robust (sandwich) variance {}. "
                              "Medians from Kaplan–Meier curves (matched: weighted by the matching weights).", treated, control,
                              unadjusted.hazard_ratio.ties,
                              matching->replace ? "by patient (controls may be matched more than once)" : "clustered by matched set")
                : fmt::format("HR: hazard ratio of {} against {} from a Cox model of the group alone (ties {}); unadjusted: "
                              "model-based variance; weighted: robust (sandwich) variance. Medians from Kaplan–Meier "
                              "curves, weighted ones with the robust variance.", treated, control, unadjusted.hazard_ratio.ties));
    std::string method = "r";
    for (const auto& stratum : unadjusted.strata) {
        if (!stratum.median_primary.is_suppressed()) method = stratum.median_primary->method;
    }
    table.footnotes.push_back(median_ci_footnote(method, r.conf_type));
    if (const auto& e_value = adjusted.hazard_ratio.e_value; e_value && e_value->has_value()) {
        if (const std::string note = e_value_note(**e_value, matched ? "matched HR" : "weighted HR"); !note.empty()) table.footnotes.push_back(note);
    }
    context.add_table(s, table);
    if (differences != nullptr) differences_table(context, id, r, *differences, treated, control, estimand);
}

void not_estimable(ReportContext& context, const results::PropensityComparison& r) {
    Section& s = context.section("iptw", "Confounding-adjusted comparisons");
    s.blocks.push_back(Paragraph{fmt::format("{} by {} (n = {}): {}.", r.treatment_label, r.description, count_only(r.n), r.reason.value_or(""))});
}

}  // namespace

void report_iptw(ReportContext& context, const std::string& id, const results::IptwResult& r) {
    if (!r.comparison.estimable) return not_estimable(context, r.comparison);
    const std::string estimand = r.comparison.estimand == "att" ? "ATT" : "ATE";
    const std::string weights = fmt::format("{}{} inverse probability of treatment weights{}{}", r.stabilize ? "stabilized " : "", estimand,
                                            r.trim.has_value() ? fmt::format(", trimmed at [{:g}, {:g}]", r.trim.value(), 1 - r.trim.value()) : "",
                                            r.truncate.has_value() ? fmt::format(", truncated at their {:g} quantile", r.truncate.value()) : "");
    comparison_report(context, id, r.comparison, nullptr, r.weighted.value(), r.population, weights, r.differences ? &*r.differences : nullptr);
}

void report_ps_match(ReportContext& context, const std::string& id, const results::PsMatchResult& r) {
    if (!r.comparison.estimable) return not_estimable(context, r.comparison);
    comparison_report(context, id, r.comparison, &r.matching.value(), r.matched.value(), r.population, matching_text(*r.matching), nullptr);
}

}  // namespace rwe::report

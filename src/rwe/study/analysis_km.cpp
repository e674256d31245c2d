// Kaplan-Meier estimates of an endpoint, overall or by group, with the log-rank test.
#include "rwe/study/analysis_kit.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include "rwe/common/error.hpp"
#include "rwe/study/analysis_options.hpp"
#include "rwe/study/published_comparison.hpp"
#include "rwe/stats/binomial_ci.hpp"
#include "rwe/stats/chi_square_test.hpp"
#include "rwe/stats/contingency_table.hpp"
#include "rwe/stats/cox_regression.hpp"
#include "rwe/stats/descriptive.hpp"
#include "rwe/stats/fisher_exact_test.hpp"
#include "rwe/stats/frequency_table.hpp"
#include "rwe/stats/kaplan_meier.hpp"
#include "rwe/stats/log_rank.hpp"
#include "rwe/stats/log_rank_table.hpp"
#include "rwe/stats/restricted_mean.hpp"
#include "rwe/stats/survival_at_times.hpp"
#include "rwe/stats/survival_quantiles.hpp"
#include "rwe/stats/test_choice.hpp"

namespace rwe::study::kit {

results::KmResult run_km(const Context& c, const Analysis& analysis) {
    const auto& endpoint = c.data.endpoint(string_option(analysis.options, "endpoint", "OS"));
    const Variable* group = optional_categorical(c, analysis, "by");
    std::vector<double> times;
    if (analysis.options.contains("times")) {
        for (const auto& t : analysis.options["times"]) times.push_back(t.get<double>());
    }
    const auto counted = endpoint_counts(c, endpoint, group);
    const std::string conf = string_option(analysis.options, "conf_type", c.protocol.stats.conf_type);
    stats::KaplanMeierOptions options;
    options.conf_type = conf_type_of(conf);
    results::KmResult out;
    out.endpoint = endpoint.paramcd;
    out.description = endpoint.param;
    out.time_unit = c.protocol.time_unit;
    out.conf_type = conf;
    out.dropped = counted.dropped;
    if (group != nullptr) {
        out.by = group->name;
        out.by_label = group->label;
    }
    const bool with_rmst = analysis.options.contains("rmst_tau");
    if (counted.rows() > 0) {
        const auto km = stats::kaplan_meier(counted.counts, counted.group_names, {}, options);
        for (const auto& curve : km.curves) {
            results::CurveSummary summary = curve_summary_of(curve, times);
            summary.median_primary = primary_median_of(summary, c.protocol, analysis.options);
            if (with_rmst) {
                // RMST up to tau with a normal-approximation CI (docs/methods.md §1.8).
                const auto rmst = stats::restricted_mean(curve, analysis.options["rmst_tau"].get<double>());
                summary.rmst = results::RestrictedMean{rmst.tau, rmst.rmean, rmst.se, rmst.rmean - km.z * rmst.se,
                                                       rmst.rmean + km.z * rmst.se, curve.rows() > 0 && rmst.tau > curve.time.back()};
            }
            if (group != nullptr) {
                // The protocol's value label, for the legend and risk table of the figure.
                if (const auto label = group->value_labels.find(curve.name); label != group->value_labels.end()) {
                    summary.label = label->second;
                }
            }
            out.strata.push_back(std::move(summary));
        }
    }
    if (group != nullptr && counted.rows() > 0) {
        const auto test = stats::log_rank_test(stats::group_risk_table(counted.counts, counted.group_names, {}, counted.dropped));
        out.log_rank = results::ChiSquareTest{test.chisq, static_cast<long>(test.df), test.p};
    }
    // The hazard ratio of the second group against the first, for the figure's text box
    // (figure.hazard_ratio): a Cox model of the group alone, with the protocol's ties.
    const bool hazard_ratio = analysis.options.contains("figure") && analysis.options["figure"].value("hazard_ratio", false);
    if (hazard_ratio && group != nullptr && counted.group_names.size() == 2) {
        // A Cox model needs the rows (rwe run --reduce store refuses this option).
        if (c.counted != nullptr) throw Error(ErrorKind::internal, "a hazard ratio from the store's counts");
        const auto data = survival_data(endpoint, group);
        out.hazard_ratio = two_group_cox_fit(data, data.group_names[0], data.group_names[1], c.protocol);
    } else if (hazard_ratio) {
        c.warn(analysis, "figure", "the hazard ratio needs exactly two groups with data; the figure shows none",
               std::to_string(counted.group_names.size()) + " groups");
    }
    return out;
}

}  // namespace rwe::study::kit

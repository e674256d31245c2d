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

namespace {

struct KmOptions {
    std::string endpoint = "OS";
    std::optional<std::string> by;
    std::vector<double> times;
    std::optional<std::string> conf_type;  // the protocol's when absent
    std::optional<std::string> median_ci;  // the protocol's when absent
    std::optional<double> rmst_tau;
    std::optional<json> figure;  // drawn by the report; the hazard ratio it asks for is fitted here
    template <class V> void fields(V& v) {
        v("endpoint", endpoint);
        v("by", by);
        v("times", times);
        v("conf_type", conf_type);
        v("median_ci", median_ci);
        v("rmst_tau", rmst_tau);
        v("figure", figure);
    }
};

}  // namespace

results::KmResult run_km(const Context& c, const Analysis& analysis) {
    const auto options_read = read_options<KmOptions>(analysis);
    const auto& endpoint = c.data.endpoint(options_read.endpoint);
    const Variable* group = optional_categorical(c, analysis, "by", options_read.by);
    const std::vector<double>& times = options_read.times;
    const auto counted = endpoint_counts(c, endpoint, group);
    const std::string conf = options_read.conf_type.value_or(c.protocol.stats.conf_type);
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
    const bool with_rmst = options_read.rmst_tau.has_value();
    if (counted.rows() > 0) {
        const auto km = stats::kaplan_meier(counted.counts, counted.group_names, {}, options);
        for (const auto& curve : km.curves) {
            results::CurveSummary summary = curve_summary_of(curve, times);
            summary.median_primary = primary_median_of(summary, options_read.median_ci.value_or(c.protocol.stats.median_ci));
            if (with_rmst) {
                // RMST up to tau with a normal-approximation CI (docs/methods.md §1.8).
                const auto rmst = stats::restricted_mean(curve, *options_read.rmst_tau);
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
    const bool hazard_ratio = options_read.figure && options_read.figure->value("hazard_ratio", false);
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

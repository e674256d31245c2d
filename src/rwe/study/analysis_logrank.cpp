// Log-rank tests of endpoints by grouping variables (subgroups).
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

struct LogRankOptions {
    std::vector<std::string> endpoints;
    std::vector<std::string> by;
    std::optional<double> rho;  // Fleming–Harrington G(rho, 0); the log-rank test when absent
    std::optional<std::string> strata;
    template <class V> void fields(V& v) {
        v("endpoints", endpoints);
        v("by", by);
        v("rho", rho);
        v("strata", strata);
    }
};

}  // namespace

results::LogRankResult run_logrank(const Context& c, const Analysis& analysis) {
    const auto options_read = read_options<LogRankOptions>(analysis);
    const Variable* stratum = optional_categorical(c, analysis, "strata", options_read.strata);
    results::LogRankResult out;
    for (const auto& paramcd : options_read.endpoints) {
        const auto& endpoint = c.data.endpoint(paramcd);
        for (const auto& by : options_read.by) {
            const Variable& group = categorical(c, analysis, "by", by);
            const auto counted = endpoint_counts(c, endpoint, &group, stratum);
            results::LogRankTest test;
            test.endpoint = paramcd;
            test.endpoint_label = endpoint.param;
            test.by = by;
            test.label = group.label;
            test.dropped = counted.dropped;
            if (stratum != nullptr) test.strata = stratum->name;
            if (group.levels.size() < 2 || counted.rows() == 0) {
                test.note = "fewer than two groups present";
                out.tests.push_back(std::move(test));
                continue;
            }
            stats::LogRankOptions options;
            if (options_read.rho) {
                options.weight = stats::LogRankWeight::fleming_harrington;
                options.fh_p = *options_read.rho;
            }
            const auto result = stats::log_rank_test(
                stats::group_risk_table(counted.counts, counted.group_names, counted.stratum_names, counted.dropped), options);
            // Medians per group over all strata (the rows the test used).
            const auto km = stats::kaplan_meier(counted.pooled(), counted.group_names, {},
                                                {.conf_type = conf_type_of(c.protocol.stats.conf_type)});
            test.groups.emplace();
            for (std::size_t g = 0; g < result.groups.size(); ++g) {
                results::LogRankGroup entry;
                entry.name = result.groups[g].name;
                entry.n = result.groups[g].n;
                entry.events = result.groups[g].events;
                entry.observed = result.groups[g].observed;
                entry.expected = result.groups[g].expected;
                if (const auto label = group.value_labels.find(result.groups[g].name); label != group.value_labels.end()) {
                    entry.label = label->second;
                }
                for (const auto& curve : km.curves) {
                    if (curve.name == result.groups[g].name) {
                        const auto median = stats::median_survival(curve);
                        entry.median = median.estimate;
                        entry.median_lower = median.lower;
                        entry.median_upper = median.upper;
                        // The convention's median CI, as the km kind's median_primary.
                        if (c.protocol.stats.median_ci == "spss") {
                            const auto spss = stats::spss_median(curve);
                            entry.median_primary = results::MedianEstimate{"spss", spss.estimate, spss.lower, spss.upper};
                        } else {
                            entry.median_primary = results::MedianEstimate{"r", median.estimate, median.lower, median.upper};
                        }
                    }
                }
                test.groups->push_back(std::move(entry));
            }
            test.method = result.method;
            test.chisq = result.chisq;
            test.df = static_cast<long>(result.df);
            test.p = result.p;
            out.tests.push_back(std::move(test));
        }
    }
    return out;
}

}  // namespace rwe::study::kit

// Median follow-up: observed times and the reverse Kaplan-Meier estimate.
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
#include "rwe/stats/restricted_mean.hpp"
#include "rwe/stats/survival_at_times.hpp"
#include "rwe/stats/survival_quantiles.hpp"
#include "rwe/stats/test_choice.hpp"

namespace rwe::study::kit {

namespace {

struct FollowUpOptions {
    std::string endpoint = "OS";
    template <class V> void fields(V& v) { v("endpoint", endpoint); }
};

}  // namespace

results::FollowUpResult run_followup(const Context& c, const Analysis& analysis) {
    const auto& endpoint = c.data.endpoint(read_options<FollowUpOptions>(analysis).endpoint);
    const auto s = stats::describe_numeric(endpoint_times(c, endpoint));
    results::FollowUpResult out;
    out.endpoint = endpoint.paramcd;
    out.observed = {"median and range of observed times (death or last contact)", s.n, s.median, s.min, s.max};
    const auto counted = endpoint_counts(c, endpoint, nullptr, nullptr, true);
    if (counted.rows() > 0) {
        stats::KaplanMeierOptions options;
        options.reverse = true;
        const auto km = stats::kaplan_meier(counted.counts, {}, {}, options);
        const auto median = stats::median_survival(km.curves.front());
        out.reverse_km = results::ReverseKmFollowUp{"reverse Kaplan-Meier (censoring as the event; Schemper & Smith 1996)",
                                                    median.estimate, median.lower, median.upper};
    }
    return out;
}

}  // namespace rwe::study::kit

// The attrition: each selection step with the patients it excludes.
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

struct AttritionOptions {
    template <class V> void fields(V&) {}
};

}  // namespace

results::AttritionResult run_attrition(const Context& c, const Analysis& analysis) {
    read_options<AttritionOptions>(analysis);  // none: every key of the table is refused but id, kind and title
    results::AttritionResult out;
    for (const auto& step : c.data.attrition) out.steps.push_back({step.criterion, step.reason, step.excluded, step.remaining});
    out.n = c.counted != nullptr ? c.counted->population : c.data.adsl.size();
    return out;
}

}  // namespace rwe::study::kit

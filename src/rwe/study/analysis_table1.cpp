// Table 1: descriptive statistics of variables, overall and by group, with tests.
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

json run_table1(const Context& c, const Analysis& analysis) {
    const auto& adsl = c.data.adsl;
    const Variable* group = optional_categorical(c, analysis, "by");
    json rows = json::array();
    for (const auto& name : strings(analysis.options, "variables")) {
        const Variable& variable = adsl.at(name);
        json row{{"variable", name}, {"label", variable.label}, {"overall", describe_variable(variable, {})}};
        if (group != nullptr) {
            json by_group = json::object();
            for (const auto& level : group->levels) {
                const Mask mask = rows_at_level(*group, level);
                by_group[level] = describe_variable(variable, mask);
            }
            row["by_group"] = by_group;
            if (!variable.numeric) {
                row["comparison"] = association_test(variable.values, variable.levels, group->values, group->levels);
            }
        }
        rows.push_back(row);
    }
    return {{"n", adsl.size()}, {"rows", rows}};
}

}  // namespace rwe::study::kit

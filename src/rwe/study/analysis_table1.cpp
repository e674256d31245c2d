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
#include "rwe/stats/rank_sum_test.hpp"
#include "rwe/stats/restricted_mean.hpp"
#include "rwe/stats/standardized_difference.hpp"
#include "rwe/stats/survival_at_times.hpp"
#include "rwe/stats/survival_quantiles.hpp"
#include "rwe/stats/test_choice.hpp"

namespace rwe::study::kit {

namespace {

// A numeric variable compared between the groups that have values: Wilcoxon rank-sum for
// two, Kruskal–Wallis for more (R's wilcox.test and kruskal.test defaults).
results::RankComparison rank_comparison(const Variable& variable, const Variable& group) {
    std::vector<std::vector<double>> values;
    std::vector<std::string> compared;
    for (const auto& level : group.levels) {
        const Mask mask = rows_at_level(group, level);
        std::vector<double> x;
        for (std::size_t row = 0; row < variable.numbers.size(); ++row) {
            if (mask[row] && !std::isnan(variable.numbers[row])) x.push_back(variable.numbers[row]);
        }
        if (x.empty()) continue;
        values.push_back(std::move(x));
        compared.push_back(level);
    }
    results::RankComparison out;
    out.groups = compared;
    if (values.size() < 2) {
        out.note = "fewer than two groups with values";
        return out;
    }
    const auto t = values.size() == 2 ? stats::wilcoxon_rank_sum(values[0], values[1]) : stats::kruskal_wallis(values);
    out.test = std::string(values.size() == 2 ? "wilcoxon" : "kruskal-wallis");
    out.method = t.method;
    out.statistic = t.statistic;
    if (values.size() > 2) out.df = t.df;
    else out.exact = t.exact;
    out.p = t.p;
    if (!t.messages.empty()) out.note = t.messages.front();
    return out;
}

// The standardized difference between the first two groups (docs/methods.md §3.8).
results::Number standardized_difference(const Variable& variable, const Variable& group) {
    const Mask first = rows_at_level(group, group.levels[0]);
    const Mask second = rows_at_level(group, group.levels[1]);
    if (variable.numeric) {
        std::vector<double> a, b;
        for (std::size_t row = 0; row < variable.numbers.size(); ++row) {
            if (first[row]) a.push_back(variable.numbers[row]);
            if (second[row]) b.push_back(variable.numbers[row]);
        }
        return stats::standardized_difference_numeric(a, b);
    }
    std::vector<double> a(variable.levels.size(), 0), b(variable.levels.size(), 0);
    for (std::size_t l = 0; l < variable.levels.size(); ++l) {
        const Mask at = rows_at_level(variable, variable.levels[l]);
        for (std::size_t row = 0; row < at.size(); ++row) {
            if (!at[row]) continue;
            if (first[row]) a[l] += 1;
            if (second[row]) b[l] += 1;
        }
    }
    return stats::standardized_difference_categorical(a, b);
}

bool all_integers(const Variable& variable) {
    return std::all_of(variable.numbers.begin(), variable.numbers.end(),
                       [](double v) { return std::isnan(v) || (std::isfinite(v) && v == std::round(v)); });
}

struct Table1Options {
    std::vector<std::string> variables;
    std::optional<std::string> by;
    std::string numeric = "median_range";  // how numbers are summarised (a variable's own summary first)
    std::optional<long> percent_decimals;
    bool smd = false;
    template <class V> void fields(V& v) {
        v("variables", variables);
        v("by", by);
        v("numeric", numeric);
        v("percent_decimals", percent_decimals);
        v("smd", smd);
    }
};

}  // namespace

results::Table1Result run_table1(const Context& c, const Analysis& analysis) {
    const auto& adsl = c.data.adsl;
    const auto options = read_options<Table1Options>(analysis);
    const Variable* group = optional_categorical(c, analysis, "by", options.by);
    const std::string& numeric_summary = options.numeric;
    const bool smd = options.smd;
    if (smd && group == nullptr) c.warn(analysis, "smd", "standardized differences compare groups; without `by` there are none", "true");
    if (smd && group != nullptr && group->levels.size() != 2) {
        c.warn(analysis, "smd", "standardized differences are given for exactly two groups", std::to_string(group->levels.size()) + " groups");
    }
    results::Table1Result out;
    for (const auto& name : options.variables) {
        const Variable& variable = adsl.at(name);
        results::Table1Row row;
        row.variable = name;
        row.label = variable.label;
        row.overall = describe_variable(variable, {});
        if (variable.numeric) {
            row.summary = variable.summary.empty() ? numeric_summary : variable.summary;
            row.integer = all_integers(variable);
        }
        if (group != nullptr) {
            row.by_group.emplace();
            for (const auto& level : group->levels) (*row.by_group)[level] = describe_variable(variable, rows_at_level(*group, level));
            if (variable.numeric) {
                row.comparison = rank_comparison(variable, *group);
            } else {
                row.comparison = association_test(variable.values, variable.levels, group->values, group->levels);
            }
            if (smd && group->levels.size() == 2) row.smd = standardized_difference(variable, *group);
        }
        out.rows.push_back(std::move(row));
    }
    out.n = adsl.size();
    out.percent_decimals = options.percent_decimals;
    if (group != nullptr) {
        out.by = group->name;
        out.by_label = group->label;
        out.by_levels = group->levels;
        out.by_value_labels.emplace(group->value_labels.begin(), group->value_labels.end());
    }
    return out;
}

}  // namespace rwe::study::kit

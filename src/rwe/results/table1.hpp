#pragma once
// The result of kind `table1`: the characteristics of the patients, overall and by group,
// with the test chosen for each row and the standardized difference.

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "rwe/results/association.hpp"
#include "rwe/results/common.hpp"

namespace rwe::results {

// A number summarised: n, missing, mean (SD), median (IQR) and range.
struct NumericSummary {
    std::string type = "numeric";
    Count n;
    Count missing;
    Number mean;
    Number sd;
    Number median;
    Number q1;
    Number q3;
    Number min;
    Number max;
    template <class V> void fields(V& v) {
        v("type", type);
        v("n", n);
        v("missing", missing);
        v("mean", mean);
        v("sd", sd);
        v("median", median);
        v("q1", q1);
        v("q3", q3);
        v("min", min);
        v("max", max);
    }
};

// A level of a category: its patients and their percentage of those with a value.
struct LevelCount {
    std::string level;
    std::optional<std::string> label;  // the protocol's value label
    Count n;
    Number percent;
    template <class V> void fields(V& v) {
        v("level", level);
        v("label", label);
        v("n", n);
        v("percent", percent);
    }
};

// A category summarised (a date by calendar year: `by` = "year").
struct CategoricalSummary {
    std::string type = "categorical";
    std::vector<LevelCount> levels;
    Count missing;
    Count denominator;
    std::optional<std::string> by;
    template <class V> void fields(V& v) {
        v("type", type);
        v("levels", levels);
        v("missing", missing);
        v("denominator", denominator);
        v("by", by);
    }
};

using VariableSummary = std::variant<NumericSummary, CategoricalSummary>;

// A number compared between groups: Wilcoxon rank-sum for two, Kruskal–Wallis for more.
struct RankComparison {
    std::vector<std::string> groups;  // the groups with values
    Nullable<std::string> test;       // "wilcoxon", "kruskal-wallis"; null without two groups
    Number p;
    std::optional<std::string> note;
    std::optional<std::string> method;
    std::optional<Number> statistic;
    std::optional<double> df;
    std::optional<bool> exact;
    template <class V> void fields(V& v) {
        v("groups", groups);
        v("test", test);
        v("p", p);
        v("note", note);
        v("method", method);
        v("statistic", statistic);
        v("df", df);
        v("exact", exact);
    }
};

struct Table1Row {
    std::string variable;
    std::string label;
    Suppressible<VariableSummary> overall;
    std::optional<std::string> summary;  // a number's: median_range, median_iqr, mean_sd
    std::optional<bool> integer;         // a number whose values are all whole
    std::optional<std::map<std::string, Suppressible<VariableSummary>>> by_group;
    std::optional<std::variant<RankComparison, ContingencyTest>> comparison;
    std::optional<Number> smd;
    template <class V> void fields(V& v) {
        v("variable", variable);
        v("label", label);
        v("overall", overall);
        v("summary", summary);
        v("integer", integer);
        v("by_group", by_group);
        v("comparison", comparison);
        v("smd", smd);
    }
};

// Kind `table1`.
struct Table1Result {
    Count n;
    std::vector<Table1Row> rows;
    std::optional<long> percent_decimals;
    std::optional<std::string> by;
    std::optional<std::string> by_label;
    std::optional<std::vector<std::string>> by_levels;
    std::optional<std::map<std::string, std::string>> by_value_labels;
    std::optional<Population> population;
    template <class V> void fields(V& v) {
        v("n", n);
        v("rows", rows);
        v("percent_decimals", percent_decimals);
        v("by", by);
        v("by_label", by_label);
        v("by_levels", by_levels);
        v("by_value_labels", by_value_labels);
        v("population", population);
    }
};

}  // namespace rwe::results

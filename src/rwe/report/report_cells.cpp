// The text of a table cell or a phrase from the numbers of results.json: one place for
// "NR", "S" (suppressed), CIs, counts and p-values (docs/report.md).
#include "rwe/report/report_cells.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <limits>

#include "rwe/report/disclosure_control.hpp"
#include "rwe/report/drawing.hpp"
#include "rwe/report/table.hpp"

namespace rwe::report {


double number(const json& value) { return value.is_number() ? value.get<double>() : std::numeric_limits<double>::quiet_NaN(); }

// `object[key]`, the suppression marker when the whole object was withheld, else null.
json field(const json& object, const char* key) {
    if (is_suppressed(object)) return object;
    if (object.is_object() && object.contains(key)) return object[key];
    return json();
}

std::string fixed(const json& value, int decimals) {
    if (is_suppressed(value)) return suppressed_cell;
    return value.is_number() ? format_fixed(value.get<double>(), decimals) : "NR";
}

// "19.1 (16.2–21.9)"; NR = not reached; S = suppressed (docs/report.md).
std::string estimate_ci(const json& estimate, const json& lower, const json& upper, int decimals) {
    if (is_suppressed(estimate) || is_suppressed(lower) || is_suppressed(upper)) return suppressed_cell;
    if (!estimate.is_number()) return "NR";
    return fixed(estimate, decimals) + " (" + fixed(lower, decimals) + "–" + fixed(upper, decimals) + ")";
}

std::string ci_text(const json& lower, const json& upper) {
    if (is_suppressed(lower) || is_suppressed(upper)) return suppressed_cell;
    return fixed(lower) + "–" + fixed(upper);
}

// A count as published: the marker when suppressed.
std::string count_only(const json& n) {
    if (is_suppressed(n)) return suppressed_cell;
    return n.is_number() ? std::to_string(std::lround(n.get<double>())) : "–";
}

// "n (p%)": the percentage is left out when the denominator is suppressed (with n it would
// give the denominator back).
std::string count(const json& n, const json& of, int decimals) {
    if (is_suppressed(n)) return suppressed_cell;
    if (is_suppressed(of)) return count_only(n) + " (" + suppressed_cell + ")";
    if (!n.is_number() || !of.is_number()) return count_only(n);
    return count_percent(std::lround(n.get<double>()), std::lround(of.get<double>()), 0, decimals);
}

// Three significant digits for small values (p-values, proportions), one decimal above 1.
std::string significant(double value) {
    if (value == std::round(value) && std::fabs(value) < 1e9) return format_fixed(value, 0);
    if (std::fabs(value) >= 1) return format_fixed(value, 1);
    return fmt::format("{:.3g}", value);
}

// In running text and annotations: "p = 0.043", "p < 0.001".
// "E-value of the HR: 2.31 (of the CI limit nearer 1: 1.42); ..." from a hazard ratio's
// "e_value" object (docs/methods.md §8.5); empty when there is none.
std::string e_value_note(const json& hr, const std::string& what) {
    if (!hr.is_object() || !hr.contains("e_value") || !hr["e_value"].is_object()) return "";
    const json& e = hr["e_value"];
    // withheld with the HR under small-cell suppression (the outcome's frequency with it)
    if (is_suppressed(e.value("e_value", json())) || is_suppressed(e.value("outcome", json()))) return "";
    const bool common = e.value("outcome", "") == "common";
    return fmt::format("E-value of the {}: {} (of the CI limit nearer 1: {}), the risk ratio an unmeasured confounder would need "
                       "with both the groups and the outcome to explain it away (VanderWeele & Ding 2017); the outcome taken as {} "
                       "({}).",
                       what, fixed(e["e_value"], 2), fixed(e["e_value_limit"], 2), common ? "common" : "rare",
                       common ? "Kaplan–Meier risk of 15% or more by the last follow-up: the HR turned into a risk ratio by the "
                                "square-root transform"
                              : "Kaplan–Meier risk below 15% by the last follow-up: the HR taken as the risk ratio");
}

std::string p_phrase(const json& p) {
    if (is_suppressed(p)) return suppressed_cell;
    if (p.is_string()) return "p " + p.get<std::string>();
    if (!p.is_number()) return "p = NA";
    return format_p_value(p.get<double>());
}

// In a table's p column: "0.043", "<0.001" (two significant digits).
std::string p_cell(const json& p) {
    if (is_suppressed(p)) return suppressed_cell;
    if (p.is_string()) return p.get<std::string>();
    if (!p.is_number()) return "–";
    return format_p_number(p.get<double>());
}

std::string published_text(const json& value) {
    if (value.is_null()) return "";
    if (is_suppressed(value)) return suppressed_cell;
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number_integer()) return std::to_string(value.get<long>());
    if (value.is_number()) return significant(value.get<double>());
    return value.dump();
}

// A test's name in a table's Test column.
std::string test_name(const json& test) {
    if (!test.is_string()) return "";
    const std::string t = test;
    if (t == "none") return "";
    if (t == "chi-square") return "Pearson's \u03c7\u00b2";
    if (t == "fisher") return "Fisher's exact";
    if (t == "wilcoxon") return "Wilcoxon rank-sum";
    if (t == "kruskal-wallis") return "Kruskal–Wallis";
    return t;
}

std::string summary_name(const std::string& summary) {
    if (summary == "median_iqr") return "median (IQR)";
    if (summary == "mean_sd") return "mean (SD)";
    return "median (range)";
}

// A number of an integer variable (age, a count) without decimals when it is a whole
// number; a median or quartile halfway between two keeps one decimal.
std::string integer_or_fixed(const json& value, bool integer) {
    if (integer && value.is_number() && value.get<double>() == std::round(value.get<double>())) return fixed(value, 0);
    return fixed(value, 1);
}

// "55 (26–78)", "55 (47–63)", "55.3 (11.3)" for a numeric summary (describe_variable).
std::string numeric_cell(const json& summary, const std::string& statistic, bool integer) {
    if (is_suppressed(summary)) return suppressed_cell;
    if (statistic == "mean_sd") {
        if (is_suppressed(summary["mean"])) return suppressed_cell;
        return fixed(summary["mean"], 1) + " (" + fixed(summary["sd"], 1) + ")";
    }
    if (is_suppressed(summary["median"])) return suppressed_cell;
    const bool range = statistic == "median_range" && !is_suppressed(summary["min"]);
    const json& low = summary[range ? "min" : "q1"];
    const json& high = summary[range ? "max" : "q3"];
    if (is_suppressed(low) || is_suppressed(high)) return integer_or_fixed(summary["median"], integer);
    return integer_or_fixed(summary["median"], integer) + " (" + integer_or_fixed(low, integer) + "–" + integer_or_fixed(high, integer) + ")";
}

// The method of the median's CI, as a table footnote (docs/methods.md §1).
std::string median_ci_footnote(const std::string& method, const std::string& conf_type) {
    if (method == "spss") {
        return "NR: not reached. 95% CI of the median as SPSS computes it: median ± 1.96 SE, the SE from the Greenwood "
               "variance and a density estimate of the survival curve.";
    }
    return "NR: not reached. 95% CI of the median by the method of Brookmeyer and Crowley (1982): the times whose " +
           (conf_type.empty() ? std::string("pointwise") : conf_type) + " confidence interval of S(t) contains 0.5, as R's survfit.";
}


std::string lower_first(std::string text) {
    // "Overall survival" → "overall survival"; an acronym ("ECOG …") keeps its case
    if (text.size() > 1 && std::isupper(static_cast<unsigned char>(text[0])) && std::islower(static_cast<unsigned char>(text[1]))) {
        text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    }
    return text;
}

// ---- the same from typed results ----

std::string fixed(const results::Number& value, int decimals) {
    if (value.is_suppressed()) return suppressed_cell;
    return value.has_value() ? format_fixed(value.value(), decimals) : "NR";
}

std::string estimate_ci(const results::Number& estimate, const results::Number& lower, const results::Number& upper, int decimals) {
    if (estimate.is_suppressed() || lower.is_suppressed() || upper.is_suppressed()) return suppressed_cell;
    if (!estimate.has_value()) return "NR";
    return fixed(estimate, decimals) + " (" + fixed(lower, decimals) + "–" + fixed(upper, decimals) + ")";
}

std::string estimate_ci(const results::Suppressible<results::MedianEstimate>& median, int decimals) {
    if (median.is_suppressed()) return suppressed_cell;
    return estimate_ci(median->estimate, median->lower, median->upper, decimals);
}

std::string count_only(const results::Count& n) {
    if (n.is_suppressed()) return suppressed_cell;
    return std::to_string(n.value());
}

std::string count_only(const results::Number& n) {
    if (n.is_suppressed()) return suppressed_cell;
    return n.has_value() ? std::to_string(std::lround(n.value())) : "–";
}

std::string p_phrase(const results::Number& p) {
    if (p.is_suppressed()) return suppressed_cell;
    if (!p.has_value()) return "p = NA";
    return format_p_value(p.value());
}

std::string p_cell(const results::Number& p) {
    if (p.is_suppressed()) return suppressed_cell;
    if (!p.has_value()) return "–";
    return format_p_number(p.value());
}

std::string count(const results::Number& n, const results::Number& of, int decimals) {
    if (n.is_suppressed()) return suppressed_cell;
    if (of.is_suppressed()) return count_only(n) + " (" + suppressed_cell + ")";
    if (!n.has_value() || !of.has_value()) return count_only(n);
    return count_percent(std::lround(n.value()), std::lround(of.value()), 0, decimals);
}

std::string integer_or_fixed(const results::Number& value, bool integer) {
    if (integer && value.has_value() && value.value() == std::round(value.value())) return fixed(value, 0);
    return fixed(value, 1);
}

std::string test_name(const std::string& test) { return test_name(json(test)); }

std::string ci_text(const results::Number& lower, const results::Number& upper) {
    if (lower.is_suppressed() || upper.is_suppressed()) return suppressed_cell;
    return fixed(lower) + "–" + fixed(upper);
}

}  // namespace rwe::report

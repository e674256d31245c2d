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

std::string fixed(const json& value, int decimals) {
    if (is_suppressed(value)) return suppressed_cell;
    return value.is_number() ? format_fixed(value.get<double>(), decimals) : "NR";
}

// Three significant digits for small values (p-values, proportions), one decimal above 1.
std::string significant(double value) {
    if (value == std::round(value) && std::fabs(value) < 1e9) return format_fixed(value, 0);
    if (std::fabs(value) >= 1) return format_fixed(value, 1);
    return fmt::format("{:.3g}", value);
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
std::string test_name(const std::string& t) {
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

// ---- from typed results ----

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

std::string ci_text(const results::Number& lower, const results::Number& upper) {
    if (lower.is_suppressed() || upper.is_suppressed()) return suppressed_cell;
    return fixed(lower) + "–" + fixed(upper);
}

std::string e_value_note(const results::EValue& e, const std::string& what) {
    // withheld with the HR under small-cell suppression (the outcome's frequency with it)
    if (e.e_value.is_suppressed() || e.outcome == results::suppressed_marker) return "";
    const bool common = e.outcome == "common";
    return fmt::format("E-value of the {}: {} (of the CI limit nearer 1: {}), the risk ratio an unmeasured confounder would need "
                       "with both the groups and the outcome to explain it away (VanderWeele & Ding 2017); the outcome taken as {} "
                       "({}).",
                       what, fixed(e.e_value, 2), fixed(e.e_value_limit, 2), common ? "common" : "rare",
                       common ? "Kaplan–Meier risk of 15% or more by the last follow-up: the HR turned into a risk ratio by the "
                                "square-root transform"
                              : "Kaplan–Meier risk below 15% by the last follow-up: the HR taken as the risk ratio");
}

}  // namespace rwe::report

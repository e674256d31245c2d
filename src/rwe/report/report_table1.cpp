// Kind table1: the characteristics of the patients as gtsummary's tbl_summary shows them:
// overall, and with `by` a column per group (its N in the header), the test chosen for each
// row named beside its p, and the standardized difference when asked; numbers summarised as
// the variable or the table chooses.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "rwe/report/disclosure_control.hpp"
#include "rwe/report/report_cells.hpp"
#include "rwe/report/report_kinds.hpp"

namespace rwe::report {

namespace {

using Summary = results::Suppressible<results::VariableSummary>;

const results::NumericSummary* numeric_of(const Summary& summary) {
    return summary.is_suppressed() ? nullptr : std::get_if<results::NumericSummary>(&*summary);
}
const results::CategoricalSummary* categorical_of(const Summary& summary) {
    return summary.is_suppressed() ? nullptr : std::get_if<results::CategoricalSummary>(&*summary);
}

// Patients with a value and without; withheld when either part is.
results::Count missing_of(const Summary& summary) {
    if (const auto* n = numeric_of(summary)) return n->missing;
    if (const auto* c = categorical_of(summary)) return c->missing;
    return results::Count::suppressed();
}

// A group's N in the header: patients with a value plus those without.
std::string group_size(const Summary& summary) {
    results::Count with_value = results::Count::suppressed();
    if (const auto* n = numeric_of(summary)) with_value = n->n;
    if (const auto* c = categorical_of(summary)) with_value = c->denominator;
    const results::Count missing = missing_of(summary);
    if (with_value.is_suppressed() || missing.is_suppressed()) return suppressed_cell;
    return std::to_string(with_value.value() + missing.value());
}

// "55 (26–78)", "55 (47–63)", "55.3 (11.3)".
std::string numeric_cell(const Summary& summary, const std::string& statistic, bool integer) {
    const auto* s = numeric_of(summary);
    if (s == nullptr) return suppressed_cell;
    if (statistic == "mean_sd") {
        if (s->mean.is_suppressed()) return suppressed_cell;
        return fixed(s->mean, 1) + " (" + fixed(s->sd, 1) + ")";
    }
    if (s->median.is_suppressed()) return suppressed_cell;
    const bool range = statistic == "median_range" && !s->min.is_suppressed();
    const results::Number& low = range ? s->min : s->q1;
    const results::Number& high = range ? s->max : s->q3;
    if (low.is_suppressed() || high.is_suppressed()) return integer_or_fixed(s->median, integer);
    return integer_or_fixed(s->median, integer) + " (" + integer_or_fixed(low, integer) + "–" + integer_or_fixed(high, integer) + ")";
}

bool any_missing(const results::Count& missing) { return missing.is_suppressed() || missing.value() > 0; }

}  // namespace

void report_table1(ReportContext& context, const std::string& id, const results::Table1Result& r, const json& published) {
    Section& s = context.section("baseline", "Baseline characteristics");
    const int decimals = static_cast<int>(r.percent_decimals.value_or(1));
    std::vector<std::string> groups;
    if (r.by_levels && !r.rows.empty() && r.rows[0].by_group) groups = *r.by_levels;
    const bool by = !groups.empty();
    const bool with_smd = by && std::any_of(r.rows.begin(), r.rows.end(), [](const results::Table1Row& row) { return row.smd.has_value(); });
    const bool with_published = !published.empty();
    const auto group_summary = [](const results::Table1Row& row, const std::string& group) -> const Summary& { return row.by_group->at(group); };
    Table table{id, fmt::format("Patient characteristics (N = {})", count_only(r.n)), {"Characteristic"}, {}, {}, {}, {}};
    if (by) {
        table.columns.push_back(fmt::format("Overall (N = {})", count_only(r.n)));
        for (const auto& group : groups) {
            std::string name = group;
            if (r.by_value_labels) {
                if (const auto label = r.by_value_labels->find(group); label != r.by_value_labels->end()) name = label->second;
            }
            table.columns.push_back(fmt::format("{} (N = {})", name, group_size(group_summary(r.rows[0], group))));
        }
        table.columns.push_back("p");
        table.columns.push_back("Test");
        if (with_smd) table.columns.push_back("SMD");
    } else {
        table.columns.push_back("n (%)");
    }
    if (with_published) {
        table.columns.push_back("Published");
        table.published_columns = {table.columns.size() - 1};
    }
    std::set<std::string> tests_used;
    std::set<std::string> summaries_used;
    auto add_row = [&](std::vector<std::string> cells, int indent, const results::Table1Row& row, bool first_of_variable) {
        if (by) {
            std::string p, test, smd;
            if (first_of_variable && row.comparison) {
                if (const auto* rank = std::get_if<results::RankComparison>(&*row.comparison)) {
                    p = p_cell(rank->p);
                    test = rank->test.has_value() ? test_name(*rank->test) : "";
                } else {
                    const auto& two_way = std::get<results::ContingencyTest>(*row.comparison);
                    p = p_cell(two_way.p);
                    test = test_name(two_way.test);
                }
                if (!test.empty()) tests_used.insert(test);
            }
            if (first_of_variable && row.smd) smd = fixed(*row.smd, 2);
            // Before the published column, which stays last.
            auto at = with_published ? cells.end() - 1 : cells.end();
            std::vector<std::string> added{p, test};
            if (with_smd) added.push_back(smd);
            cells.insert(at, added.begin(), added.end());
        }
        table.rows.push_back(std::move(cells));
        table.indent.push_back(indent);
    };
    for (const auto& row : r.rows) {
        const json pub = published.contains(row.variable) ? published[row.variable] : json::object();
        if (const auto* o = numeric_of(row.overall)) {
            // With suppression the extremes (one patient's value each) are withheld: IQR instead.
            std::string summary = row.summary.value_or("median_range");
            if (summary == "median_range" && o->min.is_suppressed()) summary = "median_iqr";
            summaries_used.insert(summary);
            const bool integer = row.integer.value_or(false);
            std::vector<std::string> cells{row.label + ", " + summary_name(summary), numeric_cell(row.overall, summary, integer)};
            if (by) {
                for (const auto& group : groups) cells.push_back(numeric_cell(group_summary(row, group), summary, integer));
            }
            if (with_published) {
                cells.push_back(pub.contains("median") ? published_text(pub["median"]) + " (" + published_text(pub.value("min", json())) + "–" +
                                                             published_text(pub.value("max", json())) + ")"
                                                       : "");
            }
            add_row(cells, 0, row, true);
            if (any_missing(o->missing)) {
                std::vector<std::string> missing{"Missing", count_only(o->missing)};
                if (by) {
                    for (const auto& group : groups) missing.push_back(count_only(missing_of(group_summary(row, group))));
                }
                if (with_published) missing.push_back("");
                add_row(missing, 1, row, false);
            }
            continue;
        }
        std::vector<std::string> heading{row.label, ""};
        if (by) heading.resize(2 + groups.size());
        if (with_published) heading.push_back("");
        add_row(heading, 0, row, true);
        const auto* o = categorical_of(row.overall);
        if (o == nullptr) continue;  // withheld whole
        for (const auto& level : o->levels) {
            std::vector<std::string> cells{level.label.value_or(level.level), count(level.n.number(), o->denominator.number(), decimals)};
            if (by) {
                for (const auto& group : groups) {
                    const auto* g = categorical_of(group_summary(row, group));
                    if (g == nullptr) {
                        cells.push_back(suppressed_cell);
                        continue;
                    }
                    results::Count n = 0;
                    for (const auto& l : g->levels) {
                        if (l.level == level.level) n = l.n;
                    }
                    cells.push_back(count(n.number(), g->denominator.number(), decimals));
                }
            }
            if (with_published) cells.push_back(pub.contains(level.level) ? published_text(pub[level.level]) : "");
            add_row(cells, 1, row, false);
        }
        if (any_missing(o->missing)) {
            std::vector<std::string> missing{"Missing or not applicable", count_only(o->missing)};
            if (by) {
                for (const auto& group : groups) missing.push_back(count_only(missing_of(group_summary(row, group))));
            }
            if (with_published) missing.push_back("");
            add_row(missing, 1, row, false);
        }
    }
    std::string numbers;
    for (const auto& summary : summaries_used) numbers += (numbers.empty() ? "" : ", ") + summary_name(summary);
    table.footnotes.push_back("n (%): percentages of patients with a value" + std::string(numbers.empty() ? "" : "; numbers as ") + numbers +
                              (context.small_cell() > 1 ? " (median (IQR) where the extremes, each one patient's value, are withheld)" : "") + ".");
    if (by) {
        std::string tests;
        for (const auto& test : tests_used) tests += (tests.empty() ? "" : "; ") + test;
        table.footnotes.push_back("p: " + (tests.empty() ? std::string("no test") : tests) +
                                  ". Categorical rows: Fisher's exact test when an expected count is small (Cochran's rule), "
                                  "else Pearson's \u03c7\u00b2 test without continuity correction; numbers: Wilcoxon rank-sum for two groups, Kruskal–Wallis for more.");
        if (with_smd) {
            table.footnotes.push_back("SMD: absolute standardized mean difference between the two groups (Yang & Dalton 2012; for "
                                      "categorical rows over all levels).");
        }
    }
    context.add_table(s, table);
}

}  // namespace rwe::report

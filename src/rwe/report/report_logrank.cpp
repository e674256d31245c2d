// Kind logrank: the subgroup table, each endpoint by each grouping variable.
#include <fmt/format.h>

#include "rwe/report/report_cells.hpp"
#include "rwe/report/report_kinds.hpp"

namespace rwe::report {

void report_logrank(ReportContext& context, const std::string& id, const results::LogRankResult& r) {
    Section& s = context.section("subgroups", "Subgroup comparisons");
    Table table{id, "Log-rank tests by subgroup", {"Endpoint", "Characteristic", "Group", "Patients", "Events", "Median (95% CI)", "p"}, {}, {}, {}, {}};
    std::string median_method;
    for (const auto& test : r.tests) {
        if (!test.groups) continue;
        bool first = true;
        for (const auto& group : *test.groups) {
            if (median_method.empty() && group.median_primary && !group.median_primary->is_suppressed()) {
                median_method = (*group.median_primary)->method;
            }
            const std::string median = group.median_primary ? estimate_ci(*group.median_primary)
                                                             : estimate_ci(group.median.value_or(results::Number()), group.median_lower.value_or(results::Number()),
                                                                           group.median_upper.value_or(results::Number()));
            table.rows.push_back({first ? test.endpoint_label : "", first ? test.label : "", group.shown_name(), count_only(group.n),
                                  count_only(group.events), median, first ? p_cell(test.p) : ""});
            first = false;
        }
    }
    std::string method = "Log-rank test";
    std::string strata;
    for (const auto& test : r.tests) {
        if (test.method && *test.method != "log-rank") method = "Weighted log-rank test, " + *test.method;
        if (test.strata) strata = *test.strata;
    }
    table.footnotes.push_back(method + (strata.empty() ? "" : ", stratified by " + strata + "; medians over all strata of each group") + ".");
    table.footnotes.push_back(median_ci_footnote(median_method.empty() ? "r" : median_method, context.protocol().conf_type));
    context.add_table(s, table);
}

}  // namespace rwe::report

// Kind association: each outcome by the grouping variable, with the test chosen for it.
#include <fmt/format.h>

#include "rwe/report/report_cells.hpp"
#include "rwe/report/report_kinds.hpp"

namespace rwe::report {

void report_association(ReportContext& context, const std::string& id, const results::AssociationResult& r) {
    Section& s = context.section("safety", "Adverse events");
    Table table{id, "Associations", {"Outcome", "Group", "Patients", "n (%)", "Test", "p"}, {}, {}, {}, {}};
    for (const auto& test : r.tests) {
        const auto& t = test.table;
        const bool yes_no = t.columns.size() == 2 && t.columns[0] == "Y" && t.columns[1] == "N";
        table.rows.push_back({test.outcome_label, "", "", "", t.test, p_cell(t.p)});
        table.indent.push_back(0);
        for (std::size_t i = 0; i < t.counts.size(); ++i) {
            // The group's patients: withheld when any of its cells is.
            results::Number total = 0.0;
            for (const auto& c : t.counts[i]) total = total.is_suppressed() || c.is_suppressed() ? results::Number::suppressed() : total.value() + c.value();
            std::string cell;
            for (std::size_t j = 0; j < (yes_no ? 1 : t.counts[i].size()); ++j) {
                cell += (cell.empty() ? "" : "; ") + (yes_no ? "" : t.columns[j] + " ") + count(t.counts[i][j], total);
            }
            table.rows.push_back({"", test.by_label + ": " + t.rows[i], count_only(total), cell, "", ""});
            table.indent.push_back(1);
        }
    }
    table.footnotes.push_back("n (%): patients with the outcome (grade k or higher of an adverse event term) in the group. "
                              "Fisher's exact test when an expected count is small (Cochran's rule), else Pearson's \u03c7\u00b2 test.");
    context.add_table(s, table);
}

}  // namespace rwe::report

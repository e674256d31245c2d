// Kind attrition: the cohort selection table and its diagram.
#include <fmt/format.h>

#include "rwe/report/attrition_diagram.hpp"
#include "rwe/report/report_cells.hpp"
#include "rwe/report/report_kinds.hpp"

namespace rwe::report {

void report_attrition(ReportContext& context, const std::string& id, const results::AttritionResult& r) {
    Section& s = context.section("cohort", "Cohort selection");
    AttritionInput input;
    Table table{id, "Cohort selection", {"Criterion", "Excluded", "Remaining"}, {}, {}, {}, {}};
    const bool suppression = context.small_cell() > 1;  // the diagram's boxes would print every count
    for (std::size_t i = 0; i < r.steps.size(); ++i) {
        const auto& step = r.steps[i];
        table.rows.push_back({step.criterion, i == 0 ? "" : count_only(step.excluded), count_only(step.remaining)});
        if (suppression) continue;
        if (i == 0) {
            input.steps.push_back({step.criterion, static_cast<long>(step.remaining.value()), {}});
        } else {
            input.steps.back().excluded.push_back({step.reason, static_cast<long>(step.excluded.value())});
            if (i + 1 == r.steps.size()) input.steps.push_back({"Analysed", static_cast<long>(step.remaining.value()), {}});
        }
    }
    if (!suppression) context.add_figure(s, "fig-" + id, "Cohort selection.", attrition_diagram(input));
    context.add_table(s, table);
}

}  // namespace rwe::report

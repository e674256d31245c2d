// Kind adverse_events: patients by the worst grade of each term.
#include <fmt/format.h>

#include "rwe/report/report_cells.hpp"
#include "rwe/report/report_kinds.hpp"

namespace rwe::report {

void report_adverse_events(ReportContext& context, const std::string& id, const results::AdverseEventsResult& r) {
    Section& s = context.section("safety", "Adverse events");
    const results::Number& n = r.n;
    Table table{id, fmt::format("Adverse events of the index line by worst {} grade (N = {})", r.grading_scale, count_only(n)),
                {"Term", "Any grade", "Grade 1–2", "Grade 3", "Grade 4", "Grade 3–4", "Grade 5"}, {}, {}, {}, {}};
    for (const auto& term : r.terms) {
        table.rows.push_back({term.term, count(term.any.n, n), count(term.grade_1_2.n, n), count(term.grade_3.n, n), count(term.grade_4.n, n),
                              count(term.grade_3_4.n, n), count(term.grade_5.n, n)});
    }
    table.footnotes.push_back("Worst grade per patient and term; " + r.grading_scale + ".");
    context.add_table(s, table);
}

}  // namespace rwe::report

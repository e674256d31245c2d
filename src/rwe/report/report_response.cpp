// Kind response: best overall response with response rates, by group, and the bar chart of
// best response per group (as the reference study's Fig. 2).
#include <fmt/format.h>

#include <cmath>
#include <map>

#include "rwe/report/bar_chart.hpp"
#include "rwe/report/report_cells.hpp"
#include "rwe/report/report_kinds.hpp"

namespace rwe::report {

void report_response(ReportContext& context, const std::string& id, const results::ResponseResult& r) {
    Section& s = context.section("response", "Response");
    const results::Number& n = r.counts.measurable;
    Table table{id, fmt::format("Best overall response (RECIST 1.1), patients with measurable disease (n = {})", count_only(n)),
                {"Response", "n (%)", "95% CI (%)", "p"}, {}, {}, {}, {}};
    const std::map<std::string, std::string> names{{"CR", "Complete response"}, {"PR", "Partial response"}, {"SD", "Stable disease"},
                                                   {"PD", "Progressive disease"}, {"NE", "Not evaluable"}};
    for (const char* level : {"CR", "PR", "SD", "PD", "NE"}) {
        const auto& row = r.counts.best_response.at(level);
        table.rows.push_back({names.at(level), count(row.n, n), ci_text(row.lower, row.upper), ""});
    }
    for (const auto& [row, label] : {std::pair{&r.counts.orr, "Objective response (CR + PR)"}, std::pair{&r.counts.dcr, "Disease control (CR + PR + SD)"}}) {
        table.rows.push_back({label, count(row->n, n), ci_text(row->lower, row->upper), ""});
    }
    BarChartInput chart;
    chart.width_pt = 468;
    std::vector<const results::ResponseCounts*> groups{&r.counts};
    chart.categories = {"All"};
    chart.category_notes = {"n = " + count_only(n)};
    if (r.by) {
        for (const auto& by : *r.by) {
            table.rows.push_back({"Objective response by " + by.label, "", "", p_cell(by.orr_test.p)});
            for (const auto& level : by.levels) {
                groups.push_back(&level.counts);
                const std::string name = level.label.value_or(level.level);
                chart.categories.push_back(by.by + ": " + name);
                chart.category_notes.push_back("n = " + count_only(level.counts.measurable));
                const auto& orr = level.counts.orr;
                table.rows.push_back({name, count(orr.n, orr.of), ci_text(orr.lower, orr.upper), ""});
            }
        }
    }
    for (const char* level : {"CR", "PR", "SD", "PD", "NE"}) {
        BarSeries series{names.at(level), {}};
        double total = 0;
        for (const auto* g : groups) {
            series.values.push_back(g->best_response.at(level).percent.value());
            total += std::isfinite(series.values.back()) ? series.values.back() : 0;
        }
        if (total > 0) chart.series.push_back(series);
    }
    table.footnotes.push_back("Exact (Clopper–Pearson) 95% confidence intervals.");
    if (r.by) {
        table.footnotes.push_back("p: objective response compared between the groups, by Fisher's exact test when an expected count "
                                  "is small (Cochran's rule), else Pearson's \u03c7\u00b2 test.");
    }
    context.add_table(s, table);
    if (context.small_cell() <= 1 && !chart.series.empty()) {
        const FigureOptions& figure = context.figure_options();
        if (figure.y_label) chart.y_label = *figure.y_label;
        chart.colours = figure.colours;
        context.add_figure(s, "fig-" + id,
                           fmt::format("Best overall response among patients with measurable disease (n = {}): percentage of patients with "
                                       "each response{}.",
                                       count_only(n), chart.categories.size() > 1 ? ", per group" : ""),
                           bar_chart(chart));
    }
}

}  // namespace rwe::report

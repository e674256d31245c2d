// Kind landmark: the groups at the landmark compared from it on, and the time-varying Cox
// model, in one table with the explanation of the immortal-time bias it avoids.
#include <fmt/format.h>

#include "rwe/report/report_cells.hpp"
#include "rwe/report/report_kinds.hpp"

namespace rwe::report {

void report_landmark(ReportContext& context, const std::string& id, const results::LandmarkResult& r) {
    Section& s = context.section("landmark", "Cycles received: landmark analysis");
    s.blocks.push_back(Paragraph{r.explanation});
    Table table{id, fmt::format("Landmark analysis at day {}", r.landmark_days),
                {"Endpoint", "At risk at landmark", "Group", "Patients", "Events", "Median (95% CI) from landmark", "HR (95% CI)", "p"}, {}, {}, {}, {}};
    for (const auto& e : r.results) {
        bool first = true;
        for (const auto& stratum : e.strata) {
            std::string hr, p;
            if (first && e.cox && !e.cox->coefficients.empty()) {
                const auto& c = e.cox->coefficients[0];
                hr = c.name + ": " + estimate_ci(c.exp_coef, c.lower, c.upper, 2);
            }
            if (first && e.log_rank) p = p_cell(e.log_rank->p);
            table.rows.push_back({first ? e.endpoint : "", first ? count_only(e.at_risk_at_landmark) : "", stratum.name, count_only(stratum.n),
                                  count_only(stratum.events), estimate_ci(stratum.median, stratum.median_lower, stratum.median_upper), hr, p});
            first = false;
        }
        if (!e.time_dependent_cox.fit.coefficients.empty()) {
            const auto& c = e.time_dependent_cox.fit.coefficients[0];
            table.rows.push_back({e.endpoint, "all patients", "time-varying covariate", "", "", "",
                                  c.name + ": " + estimate_ci(c.exp_coef, c.lower, c.upper, 2), p_cell(c.p)});
        }
    }
    table.footnotes.push_back("Time-varying covariate: a Cox model in which each patient counts as unexposed until the day of the "
                              "cycle that reaches the threshold and exposed afterwards, using all patients and all follow-up.");
    context.add_table(s, table);
}

}  // namespace rwe::report

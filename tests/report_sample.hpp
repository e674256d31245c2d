#pragma once
// Sample inputs for the report tests: a deterministic pseudo-random cohort and a plain
// product-limit estimate (Kaplan & Meier 1958) with log-transformed Greenwood CIs, R's
// survfit default. Written here so the report tests do not depend on rwe::stats; the
// numbers only need to look like a study, their correctness is tested in stats.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "rwe/report/attrition_diagram.hpp"
#include "rwe/report/bar_chart.hpp"
#include "rwe/report/forest_plot.hpp"
#include "rwe/report/html_page.hpp"
#include "rwe/report/km_plot.hpp"
#include "rwe/report/table.hpp"

namespace rwe::report::sample {

struct Subject {
    double time;
    bool event;
};

// Exponential event times (median `median_months`) with uniform administrative censoring
// up to `follow_up`, from a fixed linear congruential generator.
inline std::vector<Subject> cohort(int n, double median_months, double follow_up, uint64_t seed) {
    uint64_t state = seed;
    auto uniform = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return (static_cast<double>(state >> 11) + 0.5) / 9007199254740992.0;
    };
    std::vector<Subject> subjects;
    for (int i = 0; i < n; ++i) {
        double event_time = -std::log(uniform()) * median_months / std::log(2.0);
        double censor_time = follow_up * uniform();
        double time = std::round(std::min(event_time, censor_time) * 10) / 10 + 0.1;
        subjects.push_back({time, event_time <= censor_time});
    }
    return subjects;
}

inline KmCurveInput product_limit(std::string label, std::vector<Subject> subjects) {
    std::sort(subjects.begin(), subjects.end(), [](const Subject& a, const Subject& b) { return a.time < b.time; });
    KmCurveInput curve;
    curve.label = std::move(label);
    double at_risk = static_cast<double>(subjects.size());
    double surv = 1, greenwood = 0;
    size_t i = 0;
    while (i < subjects.size()) {
        double t = subjects[i].time;
        double events = 0, censored = 0;
        while (i < subjects.size() && subjects[i].time == t) {
            (subjects[i].event ? events : censored) += 1;
            ++i;
        }
        surv *= 1 - events / at_risk;
        if (at_risk > events) greenwood += events / (at_risk * (at_risk - events));
        curve.time.push_back(t);
        curve.n_risk.push_back(at_risk);
        curve.n_event.push_back(events);
        curve.n_censor.push_back(censored);
        curve.surv.push_back(surv);
        double half = 1.959963984540054 * std::sqrt(greenwood);
        bool defined = surv > 0 && at_risk > events;
        curve.lower.push_back(defined ? surv * std::exp(-half) : NAN);
        curve.upper.push_back(defined ? std::min(1.0, surv * std::exp(half)) : NAN);
        at_risk -= events + censored;
    }
    for (size_t k = 0; k < curve.surv.size(); ++k)
        if (curve.surv[k] <= 0.5) {
            curve.median = curve.time[k];
            break;
        }
    return curve;
}

// A page shaped like the reference study's results section: every kind of figure and
// table the writers produce, a published column, a side-by-side block and suppressed
// cells. Values are illustrative.
inline HtmlPage page() {
    HtmlPage page;
    page.title = "First-line THP in HER2-positive metastatic breast cancer: results";
    page.metadata = {"Protocol: studies/thp-first-line.toml", "Registry checksum: sha256 0123abcd…",
                     "rwe " RWE_VERSION};

    AttritionInput attrition;
    attrition.steps = {{"Patients with HER2-positive metastatic breast cancer in the registry", 260,
                        {{"THP not the first palliative line", 18}, {"IHC 2+ without ISH amplification", 9},
                         {"THP started outside the accrual window", 5}}},
                       {"Treated with first-line THP", 228, {}}};
    attrition.final_groups = {{"De novo", 130}, {"Relapsed, anti-HER2 naive", 31}, {"Relapsed, anti-HER2 exposed", 67}};
    Table table1;
    table1.id = "table-characteristics";
    table1.title = "Patient characteristics (n = 228)";
    table1.columns = {"Characteristic", "All patients", "De novo", "Relapsed", "p"};
    table1.rows = {{"Age, median (range), years", "55 (28–84)", "56 (31–84)", "53 (28–79)", "0.21"},
                   {"Menopausal status", "", "", "", "0.48"},
                   {"Premenopausal", "78 (34.2)", "42 (32.3)", "36 (36.7)", ""},
                   {"Postmenopausal", "150 (65.8)", "88 (67.7)", "62 (63.3)", ""},
                   {"Hormone receptor positive", "121 (53.1)", "66 (50.8)", "55 (56.1)", "0.50"},
                   {"Visceral metastasis", "78 (34.2)", "50 (38.5)", "28 (28.6)", "0.16"},
                   {"Brain metastasis", "6 (2.6)", "3 (2.3)", "3 (3.1)", "> 0.99"}};
    table1.indent = {0, 0, 1, 1, 0, 0, 0};
    table1.footnotes = {"Values are n (%) unless stated otherwise; p from χ² or Fisher's exact test."};
    suppress_small_cells(table1, {1, 2, 3}, 5);

    KmPlotInput os;
    os.curves.push_back(product_limit("All patients", cohort(228, 58.3, 143.5, 11)));
    os.annotation = {"Median OS " + std::to_string(static_cast<int>(os.curves[0].median)) + " months"};
    os.y_label = "Overall survival";
    KmPlotInput by_cycles;
    by_cycles.curves.push_back(product_limit("< 6 cycles", cohort(20, 18, 120, 3)));
    by_cycles.curves.push_back(product_limit("≥ 6 cycles", cohort(208, 60, 143.5, 4)));
    by_cycles.annotation = {"Log-rank p < 0.001", "HR 0.38 (95% CI 0.22–0.64)"};
    by_cycles.y_label = "Overall survival";

    Table survival = comparison_table("table-survival", "Survival summary",
                                      {{"Median OS, months (95% CI)", "57.9 (41.2–74.6)", "58.3 (36.6–80.0)"},
                                       {"Median PFS, months (95% CI)", "19.4 (16.8–22.1)", "19.1 (16.2–21.9)"},
                                       {"Median follow-up, months (range)", "29.1 (0.6–143.5)", "28.7 (0.7–143.5)"}});
    survival.footnotes = {"Published: the reference study; CI by the Brookmeyer–Crowley method on the log scale."};

    // As wide as a Kaplan–Meier summary gets: nine value columns with CIs.
    Table km_summary;
    km_summary.id = "table-km-summary";
    km_summary.title = "Overall survival: Kaplan–Meier summary";
    km_summary.columns = {"Group", "Patients", "Events", "Median (95% CI), Brookmeyer–Crowley",
                          "Median (95% CI), SPSS", "S(12) (95% CI)", "S(24) (95% CI)", "S(36) (95% CI)",
                          "S(60) (95% CI)"};
    km_summary.rows = {{"All patients", "228", "77", "61.3 (53.0–80.9)", "61.3 (47.8–74.8)", "0.982 (0.965–0.999)",
                        "0.900 (0.858–0.942)", "0.727 (0.657–0.797)", "0.538 (0.447–0.629)"},
                       {"Relapsed, anti-HER2 exposed", "67", "30", "41.0 (30.9–NR)", "41.0 (28.3–53.7)",
                        "0.955 (0.906–1.000)", "0.811 (0.716–0.906)", "0.620 (0.494–0.746)", "0.402 (0.262–0.542)"}};
    km_summary.footnotes = {"NR: not reached."};

    ForestPlotInput forest;
    forest.rows = {{"Age", 0, true},
                   {"< 50 years", 1, false, NAN, NAN, NAN, NAN, "30/80", "1 (reference)"},
                   {"≥ 50 years", 1, false, 0.92, 0.61, 1.38, 0.68, "60/148"},
                   {"Hormone receptor", 0, true},
                   {"Negative", 1, false, NAN, NAN, NAN, NAN, "40/107", "1 (reference)"},
                   {"Positive", 1, false, 0.80, 0.52, 1.22, 0.29, "50/121"},
                   {"Prior anti-HER2 therapy", 0, true},
                   {"Exposed vs naive", 1, false, 1.62, 1.01, 2.60, 0.043, "30/67"},
                   {"Brain metastasis", 0, false, NAN, NAN, NAN, NAN, "0/6", "no events"}};
    forest.favours_left = "Lower hazard";
    forest.favours_right = "Higher hazard";
    Table subgroups;
    subgroups.id = "table-subgroups";
    subgroups.title = "Overall survival by subgroup";
    subgroups.columns = {"Subgroup", "Events/N", "Median OS, months", "HR (95% CI)", "Log-rank p"};
    subgroups.rows = {{"Age < 50 years", "30/80", "60.2", "1 (reference)", ""},
                      {"Age ≥ 50 years", "60/148", "55.0", "0.92 (0.61–1.38)", "0.68"},
                      {"Prior anti-HER2: naive", "60/161", "62.4", "1 (reference)", ""},
                      {"Prior anti-HER2: exposed", "30/67", "41.0", "1.62 (1.01–2.60)", "0.043"}};

    BarChartInput response;
    response.categories = {"Long-term responders", "Non–long-term responders"};
    response.category_notes = {"n = 32", "n = 188"};
    response.series = {{"Complete response", {43.8, 16.3}}, {"Partial response", {56.2, 71.2}},
                       {"Stable disease", {0, 10.9}}, {"Progressive disease", {0, 1.6}}};
    Table response_table;
    response_table.id = "table-response";
    response_table.title = "Best overall response, patients with measurable disease (n = 220)";
    response_table.columns = {"Best response", "No. (%)"};
    response_table.rows = {{"Complete response", "39 (17.7)"}, {"Partial response", "152 (69.1)"},
                           {"Overall response", "191 (86.8)"}, {"Stable disease", "25 (11.4)"},
                           {"Progressive disease", "4 (1.8)"}};
    add_published_column(response_table, 1, "Published, No. (%)",
                         {"39 (17.7)", "152 (69.0)", "191 (86.8)", "25 (11.3)", "4 (1.8)"});
    suppress_small_cells(response_table, {1}, 5);

    Table adverse;
    adverse.id = "table-adverse-events";
    adverse.title = "Adverse events by worst CTCAE grade per patient";
    adverse.columns = {"Adverse event", "Grade 1–2", "Grade 3", "Grade 4", "Grade 3–4"};
    adverse.rows = {{"Neutropenia", "35 (15.4)", "62 (27.2)", "84 (36.8)", "146 (64.0)"},
                    {"Febrile neutropenia", "0 (0.0)", "18 (7.9)", "3 (1.3)", "21 (9.2)"},
                    {"Peripheral neuropathy", "62 (27.2)", "20 (8.8)", "0 (0.0)", "20 (8.8)"},
                    {"Diarrhoea", "80 (35.1)", "7 (3.1)", "1 (0.4)", "8 (3.5)"}};
    suppress_small_cells(adverse, {1, 2, 3, 4}, 5);

    Table cox;
    cox.id = "table-cox";
    cox.title = "Multivariable Cox model for overall survival";
    cox.columns = {"Covariate", "HR", "95% CI", "p"};
    cox.rows = {{"Age, per 10 years", "1.04", "0.88–1.23", "0.64"},
                {"Hormone receptor positive", "0.81", "0.53–1.24", "0.33"},
                {"De novo", "0.95", "0.58–1.55", "0.83"},
                {"Prior anti-HER2 exposure", "1.71", "1.02–2.86", "0.042"},
                {"Visceral metastasis", "1.38", "0.90–2.12", "0.14"}};
    cox.footnotes = {"Ties by Efron's method (R's default)."};

    page.sections = {
        {"patients", "Patients", {Paragraph{"Cohort selection and baseline characteristics."},
                                   FigureBlock{"fig-attrition", "Cohort selection.", "", attrition_diagram(attrition)},
                                   table1}},
        {"survival", "Survival",
         {FigureBlock{"fig-os", "Overall survival after first-line THP.", "", km_plot(os)},
          SideBySide{"This analysis", "Published",
                     {Paragraph{"Median OS 57.9 months (95% CI 41.2–74.6)."}},
                     {Paragraph{"Median OS 58.3 months (95% CI 36.6–80.0)."}}},
          survival,
          km_summary,
          FigureBlock{"fig-os-cycles", "Overall survival by number of docetaxel cycles (< 6 vs ≥ 6).", "",
                      km_plot(by_cycles)}}},
        {"subgroups", "Subgroups", {FigureBlock{"fig-forest", "Hazard ratios for overall survival by subgroup.", "",
                                                forest_plot(forest)},
                                    subgroups}},
        {"response", "Response", {response_table,
                                  FigureBlock{"fig-response", "Best overall response by long-term-responder status.",
                                              "", bar_chart(response)}}},
        {"safety", "Adverse events", {adverse}},
        {"cox", "Multivariable analysis", {cox}},
    };
    // report_sample_page writes each figure beside the page as <id>.svg/.pdf/.png.
    for (Section& section : page.sections)
        for (Block& block : section.blocks)
            if (auto* figure = std::get_if<FigureBlock>(&block))
                figure->downloads = {{"PDF", figure->id + ".pdf"}, {"PNG, 300 dpi", figure->id + ".png"},
                                     {"SVG", figure->id + ".svg"}};
    page.downloads = {{"All tables (XLSX)", "tables.xlsx"}};
    return page;
}

// Ids of every figure and table of page(), for the browser check.
inline std::vector<std::string> page_block_ids() {
    return {"fig-attrition", "table-characteristics", "fig-os", "table-survival", "table-km-summary", "fig-os-cycles", "fig-forest",
            "table-subgroups", "table-response", "fig-response", "table-adverse-events", "table-cox"};
}

}  // namespace rwe::report::sample

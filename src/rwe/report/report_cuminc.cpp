// Kind cuminc: cumulative incidence of the event with competing events (Aalen–Johansen):
// the curves of the event of interest with a number-at-risk table, and per group and cause
// the incidence at the protocol's times; Gray's test in the annotation and footnote; the
// Fine–Gray model and the cause-specific Cox models.
#include <fmt/format.h>

#include <algorithm>

#include "rwe/report/report_cells.hpp"
#include "rwe/report/report_kinds.hpp"

namespace rwe::report {

namespace {

std::string shown_name(const results::CumincCurve& curve) { return curve.name.empty() ? "" : curve.label.value_or(curve.name); }

std::string cuminc_groups(const results::CumincResult& r) {
    std::string list;
    for (const auto& curve : r.curves) {
        const std::string name = curve.name.empty() ? "" : shown_name(curve) + ", ";
        list += (list.empty() ? "" : "; ") + name + "n = " + count_only(curve.n);
    }
    if (r.by) return "; by " + lower_first(r.by_label.value_or(*r.by)) + ": " + list;
    return list.empty() ? "" : " (" + list + ")";
}

}  // namespace

void report_cuminc(ReportContext& context, const std::string& id, const results::CumincResult& r) {
    Section& s = context.section("competing", "Competing risks: cumulative incidence");
    const std::string& event = r.event;
    std::string competing;
    for (const auto& name : r.competing) competing += (competing.empty() ? "" : ", ") + name;
    KmPlotInput input;
    input.risk_table_threshold = context.small_cell();
    input.x_label = "Time (" + r.time_unit + ")";
    input.y_label = "Cumulative incidence of " + event;
    input.median_lines = false;
    for (const auto& curve : r.curves) {
        KmCurveInput line;
        line.label = curve.name.empty() ? "All patients" : shown_name(curve);
        line.start = 0;
        const auto& rows = curve.causes.at(0).curve.rows;
        if (rows.is_suppressed()) continue;  // a suppressed group: no curve
        for (const auto& step : *rows) {
            line.time.push_back(step.time);
            line.n_risk.push_back(step.n_risk.value());
            line.n_event.push_back(step.n_event.value());
            line.n_censor.push_back(step.n_censor.value());
            line.surv.push_back(step.incidence.value());
            line.lower.push_back(step.lower.value());
            line.upper.push_back(step.upper.value());
        }
        input.curves.push_back(std::move(line));
    }
    input.confidence_bands = input.curves.size() == 1;
    std::string gray_note;
    if (r.gray_test) {
        for (const auto& test : *r.gray_test) {
            if (test.cause == event && context.figure_options().p_value.value_or(true)) input.annotation.push_back("Gray's test " + p_phrase(test.p));
            gray_note += fmt::format("{}{}: {}", gray_note.empty() ? "" : "; ", test.cause, p_phrase(test.p));
        }
    }
    const std::string& description = r.description;
    if (!input.curves.empty() && !input.curves.front().time.empty()) {
        context.apply_figure(id, input);
        context.add_figure(s, "fig-" + id,
                           fmt::format("{}: cumulative incidence of {} with {} as competing event{} (Aalen–Johansen, pointwise log 95% CI){}.{}{}",
                                       description, event, competing, r.competing.size() > 1 ? "s" : "", cuminc_groups(r),
                                       input.censor_marks ? " Tick marks: censored patients." : "",
                                       input.annotation.empty() ? "" : " p: Gray's test."),
                           km_plot(input));
    }
    std::vector<double> times;
    if (!r.curves.empty()) {
        for (const auto& at : r.curves[0].causes.at(0).at_times) times.push_back(at.time);
    }
    Table table{id, description + ": cumulative incidence (Aalen–Johansen)", {"Group", "Event", "Patients", "Events"}, {}, {}, {}, {}};
    for (double t : times) table.columns.push_back(fmt::format("CIF({:g}) (95% CI)", t));
    for (const auto& curve : r.curves) {
        for (const auto& cause : curve.causes) {
            std::vector<std::string> row{curve.name.empty() ? "All" : shown_name(curve), cause.cause, count_only(curve.n), count_only(cause.events)};
            for (const auto& at : cause.at_times) {
                // No limits where the incidence is 0 (R: NA): the estimate alone.
                const bool no_limits = !at.lower.is_suppressed() && !at.lower.has_value();
                row.push_back(no_limits ? fixed(at.incidence, 3) : estimate_ci(at.incidence, at.lower, at.upper, 3));
            }
            table.rows.push_back(std::move(row));
        }
    }
    table.footnotes.push_back(fmt::format("Event of interest {}; competing: {}. Standard errors by the infinitesimal jackknife "
                                          "(R survfit's default), log-transformed 95% limits.", event, competing));
    if (!gray_note.empty()) {
        table.footnotes.push_back(fmt::format("Gray's test of equal cumulative incidence between groups of {}{} (rho = {}): {}.",
                                              r.by_label.value_or(r.by.value_or("")), r.strata ? ", stratified by " + *r.strata : "",
                                              r.gray_test->at(0).rho, gray_note));
    }
    context.add_table(s, table);
    if (r.fine_gray && r.fine_gray->coefficients) {
        const auto& model = *r.fine_gray;
        Table fg{id + "-fine-gray",
                 fmt::format("{}: Fine–Gray model of {} (n = {}, {} events)", description, event, count_only(model.n.value_or(results::Count())),
                             count_only(model.events.value_or(results::Count()))),
                 {"Covariate", "Subdistribution HR (95% CI)", "p"}, {}, {}, {}, {}};
        for (const auto& c : *model.coefficients) {
            fg.rows.push_back({c.label.value_or(c.name), estimate_ci(c.exp_coef, c.lower, c.upper, 2), p_cell(c.p)});
        }
        fg.footnotes.push_back(fmt::format("Competing: {}. Estimates and variance as cmprsk::crr (Fine & Gray 1999).", competing));
        for (const auto& m : model.messages) fg.footnotes.push_back(m);
        context.add_table(s, fg);
    }
    // Cause-specific hazards: one Cox model per cause, the other causes' events censored;
    // a column pair per cause.
    if (r.cause_specific && !r.cause_specific->empty()) {
        const auto& models = *r.cause_specific;
        Table cs{id + "-cause-specific", fmt::format("{}: cause-specific Cox models (n = {})", description, count_only(models[0].fit.n)),
                 {"Covariate"}, {}, {}, {}, {}};
        for (const auto& model : models) {
            cs.columns.push_back(fmt::format("{}: HR (95% CI)", model.cause));
            cs.columns.push_back("p");
        }
        for (std::size_t k = 0; k < models[0].fit.coefficients.size(); ++k) {
            const auto& first = models[0].fit.coefficients[k];
            std::vector<std::string> row{first.label.value_or(first.name)};
            for (const auto& model : models) {
                const auto& c = model.fit.coefficients.at(k);
                const bool estimable = !c.not_estimable;
                row.push_back(estimable ? estimate_ci(c.exp_coef, c.lower, c.upper, 2) : "NE");
                row.push_back(estimable ? p_cell(c.p) : "");
            }
            cs.rows.push_back(std::move(row));
        }
        std::string events;
        for (const auto& model : models) events += (events.empty() ? "" : ", ") + count_only(model.fit.events) + " " + model.cause;
        cs.footnotes.push_back(fmt::format("Each cause's hazard with the other causes' events censored (Cox, ties {}); events: {}. "
                                           "Wald 95% CIs and p.", models[0].fit.ties, events));
        const bool any_not_estimable = std::any_of(models.begin(), models.end(), [](const results::CauseSpecificCox& model) {
            return std::any_of(model.fit.coefficients.begin(), model.fit.coefficients.end(),
                               [](const results::CoxCoefficient& c) { return c.not_estimable.has_value(); });
        });
        if (any_not_estimable) cs.footnotes.push_back("NE: not estimable; the notes below give the reason.");
        for (const auto& model : models) {
            for (const auto& d : model.fit.diagnostics) cs.footnotes.push_back(model.cause + ": " + d);
        }
        context.add_table(s, cs);
    }
}

}  // namespace rwe::report

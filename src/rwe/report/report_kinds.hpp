#pragma once
// The report of each analysis kind: its tables and figures from its typed result, one
// file per kind (report_<kind>.cpp). The study report (study_report.cpp) gives them the
// page's services through ReportContext.

#include <nlohmann/json.hpp>

#include <string>

#include "rwe/report/figure.hpp"
#include "rwe/report/figure_options.hpp"
#include "rwe/report/html_page.hpp"
#include "rwe/report/km_plot.hpp"
#include "rwe/report/table.hpp"
#include "rwe/results/analysis.hpp"
#include "rwe/results/results_file.hpp"

namespace rwe::report {

// What a kind's report is written into: the page's sections, its tables and figures, and
// the study's settings.
class ReportContext {
public:
    virtual ~ReportContext() = default;
    // The section `sec-<id>`, made with `heading` when it is not there yet.
    virtual Section& section(const std::string& id, const std::string& heading) = 0;
    virtual void add_table(Section& target, Table table) = 0;
    virtual void add_figure(Section& target, const std::string& id, const std::string& caption, Figure figure) = 0;
    // The analysis's figure options applied to a Kaplan–Meier figure (errors name the analysis).
    virtual void apply_figure(const std::string& id, KmPlotInput& input) const = 0;
    // The analysis's `figure` table.
    virtual const FigureOptions& figure_options() const = 0;
    // The protocol's small_cell (0 or 1: no suppression).
    virtual long small_cell() const = 0;
    // The protocol's settings (time unit, data cut-off, conventions).
    virtual const results::ProtocolRecord& protocol() const = 0;
    // The analysis's published figures (the protocol's `published` table), shown beside ours.
    virtual const nlohmann::json& published() const = 0;
};

// The report of an analysis: its kind's tables and figures (the functions below).
void report_analysis(ReportContext& context, const std::string& id, const results::AnalysisResult& result);

// A curve of a Kaplan–Meier figure from its steps (suppressed counts as NaN).
KmCurveInput km_curve_input(const std::string& label, const results::CurveTable& curve, double median);
// A Kaplan–Meier figure's input from curve summaries (suppressed curves left out).
KmPlotInput km_plot_input(const ReportContext& context, const std::vector<results::CurveSummary>& strata);

void report_attrition(ReportContext& context, const std::string& id, const results::AttritionResult& result);
void report_followup(ReportContext& context, const std::string& id, const results::FollowUpResult& result);
void report_km(ReportContext& context, const std::string& id, const results::KmResult& result);
void report_logrank(ReportContext& context, const std::string& id, const results::LogRankResult& result);
void report_cox(ReportContext& context, const std::string& id, const results::CoxResult& result);
// `published`: the protocol's published figures of the analysis, shown beside the table.
void report_table1(ReportContext& context, const std::string& id, const results::Table1Result& result, const nlohmann::json& published);
void report_response(ReportContext& context, const std::string& id, const results::ResponseResult& result);
void report_adverse_events(ReportContext& context, const std::string& id, const results::AdverseEventsResult& result);
void report_association(ReportContext& context, const std::string& id, const results::AssociationResult& result);
void report_landmark(ReportContext& context, const std::string& id, const results::LandmarkResult& result);
void report_cuminc(ReportContext& context, const std::string& id, const results::CumincResult& result);
void report_iptw(ReportContext& context, const std::string& id, const results::IptwResult& result);
void report_ps_match(ReportContext& context, const std::string& id, const results::PsMatchResult& result);
void report_target_trial(ReportContext& context, const std::string& id, const results::TargetTrialResult& result);

}  // namespace rwe::report

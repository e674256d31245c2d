#include "rwe/report/study_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "rwe/common/error.hpp"
#include "rwe/common/output_folder.hpp"
#include "rwe/common/parallel.hpp"

#include "rwe/report/attrition_diagram.hpp"
#include "rwe/report/disclosure_control.hpp"
#include "rwe/report/docx_report.hpp"
#include "rwe/report/bar_chart.hpp"
#include "rwe/report/drawing.hpp"
#include "rwe/report/figure.hpp"
#include "rwe/report/figure_options.hpp"
#include "rwe/report/forest_plot.hpp"
#include "rwe/report/html_page.hpp"
#include "rwe/report/km_plot.hpp"
#include "rwe/report/love_plot.hpp"
#include "rwe/report/methods_text.hpp"
#include "rwe/report/table.hpp"
#include "rwe/report/table_writers.hpp"
#include "rwe/report/report_cells.hpp"
#include "rwe/report/report_kinds.hpp"

namespace rwe::report {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

using nlohmann::json;
class Builder final : public ReportContext {
public:
    Builder(const json& results, std::filesystem::path directory)
        : results_(results), dir_(std::move(directory)), threshold_(results["protocol"].value("small_cell", 0)) {}

    StudyReportFiles build() {
        StudyReportFiles files;
        page_.title = results_["protocol"].value("title", "Study report");
        page_.metadata = {
            fmt::format("Protocol {} ({}), convention {}: KM confidence limits {}, median CI by the {} method, Cox ties {}",
                        results_["protocol"].value("id", ""), results_["protocol"].value("file", ""),
                        results_["protocol"].value("convention", ""), results_["protocol"].value("conf_type", ""),
                        results_["protocol"].value("median_ci", "") == "spss" ? "SPSS" : "Brookmeyer–Crowley",
                        results_["protocol"].value("ties", "")),
            "Registry checksum (SHA-256 of the source files) " + results_["registry"].value("checksum", ""),
            "rwe " + results_.value("rwe_version", "") + "; time in " + results_["protocol"].value("time_unit", "months") +
                "; every number below is in results.json"};
        const json control = results_.value("disclosure_control", json::object());
        if (threshold_ > 1) {
            page_.metadata.push_back(fmt::format(
                "Small-cell suppression: counts from 1 to {} and the cells from which one could be derived are shown as {}, "
                "with every percentage, confidence interval and statistic of theirs; results.json and every table follow the same rule",
                threshold_ - 1, suppressed_cell));
        }
        if (!control.value("patient_level_datasets", true)) {
            page_.metadata.push_back("The patient-level analysis datasets (ADSL, ADTTE, ADRS, ADAE) are not published with this report" +
                                     std::string(threshold_ > 1 ? " (small-cell suppression is on)" : "") +
                                     "; the protocol's patient_level_datasets = true writes them");
        }
        for (const auto& analysis : results_["analyses"]) add(analysis);
        // The methods a manuscript needs, from what the analyses used, before the results.
        {
            const MethodsText methods = statistical_analysis(results_);
            Section section{"sec-methods", "Statistical analysis", {}};
            for (const auto& paragraph : methods.paragraphs) section.blocks.push_back(Paragraph{paragraph});
            if (!methods.references.empty()) {
                section.blocks.push_back(Paragraph{"References"});
                for (const auto& reference : methods.references) section.blocks.push_back(Paragraph{reference});
            }
            sections_.insert(sections_.begin(), std::move(section));
        }
        if (!results_.value("warnings", json::array()).empty()) {
            Section section{"sec-warnings", "Warnings", {}};
            for (const auto& warning : results_["warnings"]) section.blocks.push_back(Paragraph{warning.get<std::string>()});
            sections_.push_back(section);
        }
        if (!comparisons_.rows.empty()) {
            Section section{"sec-published", "Comparison with the published study", {}};
            section.blocks.push_back(Paragraph{
                "Each published figure beside ours. Proportions and medians are judged against our 95% confidence "
                "interval; p-values by whether both reach the same conclusion at the 5% level."});
            section.blocks.push_back(comparisons_);
            sections_.push_back(section);
        }
        page_.sections = sections_;
        page_.downloads = {{"All tables (XLSX)", "tables.xlsx"}, {"Every number (results.json)", "results.json"}};
        if (control.value("patient_level_datasets", true)) {
            page_.downloads.insert(page_.downloads.end(), {{"ADSL", "adsl.csv"}, {"ADTTE", "adtte.csv"}, {"ADRS", "adrs.csv"}, {"ADAE", "adae.csv"}});
        }
        const json settings = results_["protocol"].value("report", json::object());
        const json docx_setting = settings.value("docx", json());
        const bool docx = docx_setting.is_boolean() ? docx_setting.get<bool>() : docx_converter_available();
        if (docx_setting.is_boolean() && docx && !docx_converter_available()) {
            throw IoError("report.docx: the protocol asks for the Word report (report.docx = true), which needs pandoc; "
                          "install it (Debian: apt-get install pandoc) or set docx = false");
        }
        if (docx) page_.downloads.insert(page_.downloads.begin() + 1, Download{"Word report (DOCX)", "report.docx"});
        if (!docx && !docx_setting.is_boolean()) {
            page_.metadata.push_back("The Word report (report.docx) was not written: pandoc is not installed (Debian: apt-get install pandoc)");
            files.notes.push_back("report.docx not written: pandoc is not installed (apt-get install pandoc; [report] docx = false silences this)");
        }
        CsvOptions csv;
        csv.byte_order_mark = settings.value("csv_bom", false);
        csv.ascii_symbols = settings.value("csv_ascii", false);
        std::filesystem::create_directories(dir_ / "figures");
        std::filesystem::create_directories(dir_ / "tables");
        // One figure drawn at a time: cairo 1.16's font caches are shared by all threads, and
        // two figures drawn at once tripped its assertion `! scaled_font->cache_frozen` (an
        // abort, seen in a test run). What follows the drawing (the PNG's row filters and
        // deflate, a third of the figures' time, and the files) calls no cairo: it runs on a
        // second thread while the next figure is drawn.
        std::function<void()> pending = [] {};
        for (const auto& figure : figures_) {  // (name, figure)
            std::function<void()> next;
            run_beside_rethrowing(pending, [&] { next = prepare_figure(figure.second, dir_ / "figures" / figure.first); });
            pending = std::move(next);
        }
        pending();
        for (const auto& table : tables_) write_file_atomic(dir_ / "tables" / (table.id + ".csv"), table_csv(table, csv));
        if (!tables_.empty()) write_xlsx(tables_, dir_ / "tables.xlsx");
        write_file_atomic(dir_ / "report.html", html_page(page_));
        if (docx) write_docx_report(page_, dir_);
        files.figures = figures_.size();
        files.tables = tables_.size();
        files.docx = docx;
        return files;
    }

    // ReportContext: what each kind's report (report_<kind>.cpp) writes into.
    Section& section(const std::string& id, const std::string& heading) override {
        for (auto& s : sections_) {
            if (s.id == "sec-" + id) return s;
        }
        sections_.push_back(Section{"sec-" + id, heading, {}});
        return sections_.back();
    }

    void add_table(Section& target, Table table) override {
        // The protocol's title names the analysis's main table; a "(N = …)" or "(n = …)"
        // the generated title ends with is kept.
        if (!title_.empty() && table.id == analysis_id_) {
            const auto open = table.title.rfind(" (");
            const bool count_suffix = open != std::string::npos && table.title.back() == ')' &&
                                      (table.title.compare(open + 2, 4, "N = ") == 0 || table.title.compare(open + 2, 4, "n = ") == 0);
            table.title = title_ + (count_suffix ? table.title.substr(open) : "");
        }
        table.id = "tab-" + table.id;
        const bool suppressed = std::any_of(table.rows.begin(), table.rows.end(), [](const std::vector<std::string>& row) {
            return std::any_of(row.begin(), row.end(), [](const std::string& cell) {
                return cell == suppressed_cell || cell.find("(" + suppressed_cell + ")") != std::string::npos;
            });
        });
        if (suppressed) {
            table.footnotes.push_back(fmt::format("{}: suppressed to protect patient privacy (a count from 1 to {}, or a cell from which "
                                                  "one could be derived, and its percentage, confidence interval or statistics).",
                                                  suppressed_cell, threshold_ - 1));
        }
        validate_table(table);
        tables_.push_back(table);
        target.blocks.push_back(std::move(table));
    }
    void add_figure(Section& target, const std::string& id, const std::string& caption, Figure figure) override {
        figures_.emplace_back(id, figure);
        const std::string stem = "figures/" + id;
        target.blocks.push_back(FigureBlock{id, caption, "", std::move(figure),
                                            {{"SVG", stem + ".svg"}, {"PDF", stem + ".pdf"}, {"PNG, 300 dpi", stem + ".png"}}});
    }

    // The analysis' figure options (its `figure` table), an error naming the analysis.
    void apply_figure(const std::string& id, KmPlotInput& input) const override {
        try {
            apply_figure_options(figure_, input);
        } catch (const UsageError& error) {
            throw UsageError("analysis." + id + "." + error.what());
        }
    }

    const FigureOptions& figure_options() const override { return figure_; }
    long small_cell() const override { return threshold_; }
    const json& protocol() const override { return results_["protocol"]; }

private:
    void add_comparisons(const json& analysis) {
        if (comparisons_.id.empty()) {
            comparisons_.id = "published-comparison";
            comparisons_.title = "Published figures beside ours";
            comparisons_.columns = {"Analysis", "Quantity", "This analysis", "Our 95% CI", "Published", "Verdict"};
            comparisons_.published_columns = {4};
        }
        for (const auto& row : analysis.value("comparison", json::array())) {
            std::string ci;
            if (row.contains("ours_lower") && (row["ours_lower"].is_number() || row["ours_upper"].is_number())) {
                ci = fixed(row["ours_lower"]) + "–" + fixed(row["ours_upper"]);
            } else if (row.contains("ours_lower") && is_suppressed(row["ours_lower"])) {
                ci = suppressed_cell;
            }
            const auto& ours = row["ours"];
            comparisons_.rows.push_back({analysis["id"].get<std::string>(), row["quantity"].get<std::string>(),
                                         ours.is_number() ? significant(ours.get<double>()) : published_text(ours),
                                         ci, published_text(row["published"]), published_text(row.value("verdict", json("")))});
        }
    }

    void add(const json& analysis) {
        title_ = analysis.value("title", "");
        analysis_id_ = analysis["id"];
        const std::string kind = analysis["kind"];
        const json& r = analysis["result"];
        const std::string id = analysis["id"];
        try {
            figure_ = figure_options_from_json(analysis.value("figure", json::object()));
        } catch (const UsageError& error) {
            throw UsageError("analysis." + id + "." + error.what());
        }
        const std::string pointer = "/analyses/" + std::to_string(index_) + "/result";
        ++index_;
        if (kind == "attrition") report_attrition(*this, id, results::decoded<results::AttritionResult>(r, pointer));
        else if (kind == "table1") report_table1(*this, id, results::decoded<results::Table1Result>(r, pointer), analysis.value("published", json::object()));
        else if (kind == "followup") report_followup(*this, id, results::decoded<results::FollowUpResult>(r, pointer));
        else if (kind == "km") report_km(*this, id, results::decoded<results::KmResult>(r, pointer));
        else if (kind == "logrank") report_logrank(*this, id, results::decoded<results::LogRankResult>(r, pointer));
        else if (kind == "response") report_response(*this, id, results::decoded<results::ResponseResult>(r, pointer));
        else if (kind == "adverse_events") report_adverse_events(*this, id, results::decoded<results::AdverseEventsResult>(r, pointer));
        else if (kind == "association") report_association(*this, id, results::decoded<results::AssociationResult>(r, pointer));
        else if (kind == "cox") report_cox(*this, id, results::decoded<results::CoxResult>(r, pointer));
        else if (kind == "landmark") report_landmark(*this, id, results::decoded<results::LandmarkResult>(r, pointer));
        else if (kind == "cuminc") report_cuminc(*this, id, results::decoded<results::CumincResult>(r, pointer));
        else if (kind == "iptw") iptw(id, r);
        else if (kind == "ps_match") iptw(id, r, true);
        else if (kind == "target_trial") target_trial(id, r);
        if (analysis.contains("comparison")) add_comparisons(analysis);
    }

    KmPlotInput km_input(const json& r) const {
        KmPlotInput input;
        input.risk_table_threshold = threshold_;
        input.x_label = "Time (" + results_["protocol"].value("time_unit", "months") + ")";
        for (const auto& stratum : r["strata"]) {
            if (!stratum["curve"]["rows"].is_array()) continue;  // a suppressed group: no curve
            KmCurveInput curve;
            curve.label = stratum["name"].get<std::string>().empty() ? "All patients" : stratum.value("label", stratum["name"].get<std::string>());
            for (const auto& row : stratum["curve"]["rows"]) {
                curve.time.push_back(number(row[0]));
                curve.n_risk.push_back(number(row[1]));
                curve.n_event.push_back(number(row[2]));
                curve.n_censor.push_back(number(row[3]));
                curve.surv.push_back(number(row[4]));
                curve.lower.push_back(number(row[5]));
                curve.upper.push_back(number(row[6]));
            }
            curve.median = number(field(stratum["median_primary"], "estimate"));
            input.curves.push_back(std::move(curve));
        }
        return input;
    }

    // "nearest-neighbour matching 1:k on the propensity score, caliper c SD, without replacement"
    static std::string matching_text(const json& m) {
        std::string out = fmt::format("nearest-neighbour matching 1:{} on the {}", m.value("ratio", 1),
                                      m.value("distance", std::string("score")) == "logit" ? "logit of the propensity score" : "propensity score");
        if (m["caliper"].is_number()) out += fmt::format(" within a caliper of {:g} standard deviations", m["caliper"].get<double>());
        out += m.value("replace", false) ? ", with replacement" : ", without replacement";
        // the order of the treated matters without replacement only
        const std::string order = m.value("order", std::string("largest"));
        if (!m.value("replace", false)) {
            out += order == "data" ? ", treated patients in data order" : order == "smallest" ? ", smallest score first" : ", largest score first";
        }
        return out;
    }

    // A confounding-adjusted comparison (kind iptw, or ps_match when `matched`): the balance
    // table and its Love plot, the weighted (matched) Kaplan–Meier curves, and the comparison
    // unadjusted and adjusted side by side.
    void iptw(const std::string& id, const json& r, bool matched = false) {
        Section& s = section("iptw", "Confounding-adjusted comparisons");
        if (!r.value("estimable", true)) {
            s.blocks.push_back(Paragraph{fmt::format("{} by {} (n = {}): {}.", r.value("treatment_label", r["treatment"].get<std::string>()),
                                                     r["description"].get<std::string>(), count_only(r["n"]), r["reason"].get<std::string>())});
            return;
        }
        const std::string estimand = r.value("estimand", std::string("ate")) == "att" ? "ATT" : "ATE";
        const json& labels = r["level_labels"];
        const std::string treated = labels[1], control = labels[0];
        const std::string treatment = r.value("treatment_label", r["treatment"].get<std::string>());
        std::string covariates;
        const json& covariate_names = r.contains("covariate_labels") ? r["covariate_labels"] : r["covariates"];
        for (const auto& name : covariate_names) covariates += (covariates.empty() ? "" : ", ") + lower_first(name.get<std::string>());
        const std::string weights = matched ? matching_text(r["matching"]) : fmt::format("{}{} inverse probability of treatment weights{}{}", r.value("stabilize", true) ? "stabilized " : "",
                                                estimand, r["trim"].is_number() ? fmt::format(", trimmed at [{:g}, {:g}]", number(r["trim"]), 1 - number(r["trim"])) : "",
                                                r["truncate"].is_number() ? fmt::format(", truncated at their {:g} quantile", number(r["truncate"])) : "");
        const std::string population =
            r.contains("population") && r["population"].contains("where")
                ? fmt::format(" of the analysis population ({}; n = {})", r["population"]["where"].get<std::string>(), count_only(r["population"]["n"]))
                : "";
        s.blocks.push_back(Paragraph{fmt::format(
            "{}, {} against {}: {}, with {}, on {} patients{} ({} without the endpoint, the treatment or a covariate left out). "
            "The propensity score, the probability of {} given the covariates, is from a logistic regression on {}.{}",
            treatment, treated, control, lower_first(r["description"].get<std::string>()), weights, count_only(r["n"]), population,
            count_only(r["dropped"]), lower_first(treatment) + ": " + treated, covariates,
            matched ? fmt::format(" {} {} patients were matched to {} {} patients; {} {} and {} {} patients found no match and are left out.",
                                  count_only(r["weights"]["treated"]["n_weighted"]), treated, count_only(r["weights"]["control"]["n_weighted"]), control,
                                  count_only(r["matching"]["unmatched_by_group"]["treated"]["n"]), treated,
                                  count_only(r["matching"]["unmatched_by_group"]["control"]["n"]), control)
                    : std::string())});
        // What each comparison answers, so that the weighted estimate is read as the question it
        // answers and not as a correction of the unadjusted one.
        s.blocks.push_back(Paragraph{fmt::format(
            "The unadjusted comparison describes how the two groups fared as they were treated; they may differ at baseline. "
            "The {} comparison estimates {}, provided that {} capture every common cause of the group and the outcome "
            "(no unmeasured confounding) and that every patient could have been in either group (positivity).",
            matched ? "matched" : "weighted",
            matched ? fmt::format("how the matched patients of the {} group would have fared had they been in the {} group "
                                  "(average treatment effect in the matched treated, ATT)", treated, control)
            : estimand == "ATT" ? fmt::format("how the patients of the {} group would have fared had they been in the {} group "
                                            "(average treatment effect in the treated, ATT)", treated, control)
                              : fmt::format("how the whole population would have fared in the {} group against the {} group "
                                            "(average treatment effect, ATE)", treated, control),
            r["covariates"].size() == 1 ? "the covariate" : "the covariates")});
        const std::string adjusting = matched ? "matching" : "weighting";
        Table balance{id + "-balance", fmt::format("Covariate balance between {} and {}, before and after {}", treated, control, adjusting),
                      {"Covariate", "SMD before", "SMD after"}, {}, {}, {}, {}};
        LovePlotInput love;
        love.after_label = (matched ? "Matched (" : "Weighted (") + estimand + ")";
        for (const auto& row : r["balance"]) {
            const std::string label = row.value("label", row["name"].get<std::string>());
            balance.rows.push_back({label, fixed(row["smd"], 3), fixed(row["smd_adjusted"], 3)});
            if (std::isfinite(number(row["smd"])) && std::isfinite(number(row["smd_adjusted"]))) {
                love.rows.push_back({label, number(row["smd"]), number(row["smd_adjusted"])});
            }
        }
        balance.footnotes.push_back(fmt::format("SMD: standardized mean difference of {} minus {} (a category: each level's proportion), "
                                                "divided by the {} of the unweighted groups; after: {}.",
                                                treated, control, r.value("smd_denominator", "") == "treated" ? "standard deviation of the treated group" : "pooled standard deviation",
                                                matched ? "means of the matched sample, weighted by the matching weights" : "weighted means"));
        add_table(s, balance);
        if (!love.rows.empty()) {
            add_figure(s, "fig-" + id + "-love",
                       fmt::format("Covariate balance between {} and {}: absolute standardized mean differences before (open circles) "
                                   "and after (filled circles) {}; the dashed line marks 0.1.", treated, control, adjusting),
                       love_plot(love));
        }
        const json& weighted = r[matched ? "matched" : "weighted"];
        KmPlotInput input = km_input(weighted);
        input.y_label = survival_axis_label(r.value("description", std::string()));
        input.confidence_bands = false;
        input.risk_table = false;  // weighted numbers at risk are not patients
        const json& hr = weighted["hazard_ratio"];
        if (hr["exp_coef"].is_number()) {
            input.annotation.push_back(fmt::format("{} HR {} vs {} {} (95% CI {}–{})", matched ? "Matched" : "Weighted", treated, control, fixed(hr["exp_coef"], 2),
                                                   fixed(hr["lower"], 2), fixed(hr["upper"], 2)));
        }
        if (!input.curves.empty() && !input.curves.front().time.empty()) {
            std::string groups;
            for (const auto& stratum : weighted["strata"]) {
                groups += fmt::format("{}{}, n = {}, {} events", groups.empty() ? "" : "; ", stratum.value("label", stratum["name"].get<std::string>()),
                                      count_only(stratum["n"]), count_only(stratum["events"]));
            }
            add_figure(s, "fig-" + id,
                       fmt::format("Kaplan–Meier estimates of {} {}: {}. Tick marks: censored patients.{}",
                                   lower_first(r["description"].get<std::string>()),
                                   matched ? "in the matched sample (" + weights + "), weighted by the matching weights" : "weighted by " + weights, groups,
                                   threshold_ > 1 ? fmt::format(" Counts below {} are shown as <{} or S.", threshold_, threshold_) : ""),
                       km_plot(input));
        }
        Table table{id, fmt::format("{}: {} vs {}, unadjusted and {}", r["description"].get<std::string>(), treated, control, matched ? "matched" : "weighted"),
                    {"Analysis", "HR (95% CI)", "p", "Median " + treated + " (95% CI)", "Median " + control + " (95% CI)"}, {}, {}, {}, {}};
        for (const auto& [key, name] : std::vector<std::pair<std::string, std::string>>{
                 {"unadjusted", "Unadjusted"}, matched ? std::pair<std::string, std::string>{"matched", "Matched (" + estimand + ")"}
                                                       : std::pair<std::string, std::string>{"weighted", "Weighted (" + estimand + ")"}}) {
            const json& a = r[key];
            std::vector<std::string> row{name, estimate_ci(a["hazard_ratio"]["exp_coef"], a["hazard_ratio"]["lower"], a["hazard_ratio"]["upper"], 2),
                                         p_cell(a["hazard_ratio"]["p"]), "", ""};
            for (const auto& stratum : a["strata"]) {
                const json& m = stratum["median_primary"];
                const std::size_t column = stratum["name"] == r["levels"][1] ? 3 : 4;
                row[column] = estimate_ci(field(m, "estimate"), field(m, "lower"), field(m, "upper"));
            }
            table.rows.push_back(std::move(row));
        }
        table.footnotes.push_back(
            matched ? fmt::format("HR: hazard ratio of {} against {} from a Cox model of the group alone (ties {}); unadjusted: "
                                  "model-based variance; matched: weighted by the matching weights, robust (sandwich) variance {}. "
                                  "Medians from Kaplan–Meier curves (matched: weighted by the matching weights).", treated, control,
                                  r["unadjusted"]["hazard_ratio"].value("ties", "efron"),
                                  r["matching"].value("replace", false) ? "by patient (controls may be matched more than once)" : "clustered by matched set")
                    : fmt::format("HR: hazard ratio of {} against {} from a Cox model of the group alone (ties {}); unadjusted: "
                                  "model-based variance; weighted: robust (sandwich) variance. Medians from Kaplan–Meier "
                                  "curves, weighted ones with the robust variance.", treated, control,
                                  r["unadjusted"]["hazard_ratio"].value("ties", "efron")));
        std::string method = "r";
        for (const auto& stratum : r["unadjusted"]["strata"]) {
            const json m = field(stratum["median_primary"], "method");
            if (m.is_string() && !is_suppressed(m)) method = m.get<std::string>();
        }
        table.footnotes.push_back(median_ci_footnote(method, r.value("conf_type", std::string())));
        if (const std::string note = e_value_note(weighted["hazard_ratio"], matched ? "matched HR" : "weighted HR"); !note.empty()) table.footnotes.push_back(note);
        add_table(s, table);
        if (r.contains("differences")) iptw_differences(id, r, treated, control, estimand);
    }

    // The weighted curves' survival at the protocol's times and restricted mean, per group and
    // treated minus control, with their bootstrap intervals.
    void iptw_differences(const std::string& id, const json& r, const std::string& treated, const std::string& control,
                          const std::string& estimand) {
        Section& s = section("iptw", "Confounding-adjusted comparisons");
        const json& d = r["differences"];
        const json& boot = d["bootstrap"];
        const bool intervals = boot.value("replicates", 0) > 0;
        const std::string unit = r.value("time_unit", std::string("months"));
        Table table{id + "-differences",
                    fmt::format("{}: weighted ({}) survival and restricted mean survival time, {} minus {}",
                                r["description"].get<std::string>(), estimand, treated, control),
                    {"Quantity", treated, control, intervals ? "Difference (95% CI)" : "Difference"}, {}, {}, {}, {}};
        auto difference = [&](const json& entry, int decimals) {
            // "to" between the limits: a difference's limits may be negative
            if (!intervals) return fixed(entry["difference"], decimals);
            if (is_suppressed(entry["difference"]) || is_suppressed(entry["lower"]) || is_suppressed(entry["upper"])) return std::string(suppressed_cell);
            return fixed(entry["difference"], decimals) + " (" + fixed(entry["lower"], decimals) + " to " + fixed(entry["upper"], decimals) + ")";
        };
        for (const auto& entry : d.value("survival", json::array())) {
            table.rows.push_back({fmt::format("Survival at {:g} {}", entry["time"].get<double>(), unit), fixed(entry["treated"], 3),
                                  fixed(entry["control"], 3), difference(entry, 3)});
        }
        if (d.contains("rmst")) {
            const json& entry = d["rmst"];
            table.rows.push_back({fmt::format("Restricted mean survival time to {:g} {} ({})", entry["tau"].get<double>(), unit, unit),
                                  fixed(entry["treated"], 1), fixed(entry["control"], 1), difference(entry, 1)});
        }
        table.footnotes.push_back(
            intervals ? fmt::format("From the weighted Kaplan–Meier curves. 95% CI: percentile interval of {} bootstrap resamples of the "
                                    "patients (seed {}), each refitting the propensity model and the weights{}.",
                                    boot["replicates"].get<int>(), boot["seed"].get<std::uint64_t>(),
                                    boot.value("failed", 0) > 0 ? fmt::format("; {} resamples with one group only left out", boot["failed"].get<int>()) : "")
                      : "From the weighted Kaplan–Meier curves; no confidence interval (the protocol asks for no bootstrap).");
        add_table(s, table);
    }

    // A target trial emulation (kind target_trial): per arm the clones, events, clones
    // censored at deviation and the weighted Kaplan–Meier summaries, the differences A − B and
    // the weighted hazard ratio; the weighted curves (docs/methods.md §8.7).
    void target_trial(const std::string& id, const json& r) {
        Section& s = section("target_trial", "Target trial emulation");
        const json& strategies = r["strategies"];
        const std::string a = strategies[0], b = strategies[1];
        std::string drugs;
        for (const auto& drug : r["drugs"]) drugs += (drugs.empty() ? "" : ", ") + drug.get<std::string>();
        s.blocks.push_back(Paragraph{fmt::format(
            "{}: strategy A \"{}\" against strategy B \"{}\" ({}), emulated by cloning each of the {} patients into both arms at the "
            "index date, censoring a clone when it deviates from its strategy, and weighting by the inverse probability of remaining "
            "uncensored (pooled logistic model over {}-day intervals of the grace period{}).",
            r["description"].get<std::string>(), a, b, drugs, count_only(r["patients"]), count_only(r["interval_days"]),
            r["covariates"].empty() ? "" : ", with the covariates")});
        if (!r.value("estimable", false)) {
            s.blocks.push_back(Paragraph{r.value("reason", std::string("not estimable")) + "."});
            return;
        }
        // What each comparison answers: the groups by administrations received (the usual
        // unadjusted figure) against the emulated trial of the two strategies.
        const int k = r["min_count"].get<int>();
        const std::string kth = std::to_string(k) + (k % 100 / 10 == 1 ? "th" : k % 10 == 1 ? "st" : k % 10 == 2 ? "nd" : k % 10 == 3 ? "rd" : "th");
        s.blocks.push_back(Paragraph{fmt::format(
            "Grouping patients by the administrations they went on to receive (\"as received\" below) credits the group with "
            "{} or more with the survival needed to receive them (immortal time), and compares the patients who could continue "
            "with those who could not. The emulated trial asks what would have happened had every patient followed strategy A "
            "rather than strategy B from the index date. It answers that question provided that every common cause of stopping "
            "before the {} administration and of the outcome is captured by {}the time since the index date (no unmeasured "
            "confounding of deviation), and that every patient could have followed either strategy (positivity).",
            k, kth, r["covariates"].empty() ? "" : (r["covariates"].size() == 1 ? "the covariate and " : "the covariates and "))});
        json curves{{"strata", json::array()}};
        Table table{id, fmt::format("{}: emulated trial of {} vs {}", r["description"].get<std::string>(), a, b),
                    {"Arm", "Clones", "Events", "Censored at deviation", "Weighted median (95% CI)", "RMST"}, {}, {}, {}, {}};
        for (const auto& arm : r["arms"]) {
            const std::string label = arm["name"].get<std::string>() == "A" ? "A: " + a : "B: " + b;
            std::string median, rmst;
            if (arm.contains("km")) {
                const json& km = arm["km"];
                median = estimate_ci(km["median"], km["median_lower"], km["median_upper"]);
                rmst = fixed(arm["rmst"], 1);
                curves["strata"].push_back({{"name", label}, {"curve", km["curve"]}, {"median_primary", {{"estimate", km["median"]}}}});
            }
            table.rows.push_back({label, count_only(arm["clones"]), count_only(arm["events"]), count_only(arm["censored_deviation"]), median, rmst});
        }
        if (r.contains("as_received")) {
            for (const auto& group : r["as_received"]["groups"]) {
                table.rows.push_back({fmt::format("As received: {} administrations", group["name"].get<std::string>()), count_only(group["n"]),
                                      count_only(group["events"]), "", estimate_ci(group["median"], group["median_lower"], group["median_upper"]), ""});
            }
            if (r["as_received"].contains("hr")) {
                const json& naive = r["as_received"]["hr"];
                table.rows.push_back({"As received: HR (95% CI)", estimate_ci(naive["hr"], naive["lower"], naive["upper"], 2),
                                      "p " + p_cell(naive["p"]), "", "", ""});
            }
        }
        const json& hr = r["hr"];
        table.rows.push_back({"HR A vs B (95% CI)", estimate_ci(hr["hr"], hr["lower"], hr["upper"], 2), "p " + p_cell(hr["p"]), "",
                              fmt::format("RMST difference {}", fixed(r["differences"]["rmst_difference"], 2)), ""});
        for (const auto& d : r["differences"]["at_times"]) {
            table.rows.push_back({fmt::format("S({:g}) A − B", number(d["time"])), fixed(d["surv_difference"], 3), "", "", "", ""});
        }
        if (r.contains("bootstrap")) {
            const json& boot = r["bootstrap"];
            table.rows.push_back({fmt::format("Bootstrap 95% CI ({} resamples, seed {})", count_only(boot["resamples"]), boot["seed"].dump()),
                                  fmt::format("HR {}–{}", fixed(boot["hr_lower"], 2), fixed(boot["hr_upper"], 2)), "", "",
                                  fmt::format("RMST difference {}–{}", fixed(boot["rmst_difference_lower"], 2), fixed(boot["rmst_difference_upper"], 2)), ""});
        }
        table.footnotes.push_back("HR: weighted Cox model of the arm with a robust variance clustered by patient. Medians, survival "
                                  "differences and RMST (restricted mean survival time) from weighted Kaplan–Meier curves of the "
                                  "clones' (start, stop] follow-up. Events during the grace period before a deviation count in both arms. "
                                  "As received: patients grouped by the administrations received at any time, unweighted Kaplan–Meier "
                                  "and Cox model from the index date (in the Clones column: patients).");
        if (const std::string note = e_value_note(hr, "HR A vs B"); !note.empty()) table.footnotes.push_back(note);
        add_table(s, table);
        KmPlotInput input = km_input(curves);
        input.y_label = survival_axis_label(r.value("description", std::string()));
        input.confidence_bands = false;
        input.risk_table = false;  // weighted clones at risk are not patients
        if (hr["hr"].is_number()) {
            input.annotation.push_back(fmt::format("Weighted HR A vs B {} (95% CI {}–{})", fixed(hr["hr"], 2), fixed(hr["lower"], 2), fixed(hr["upper"], 2)));
        }
        if (!input.curves.empty()) {
            add_figure(s, "fig-" + id,
                       fmt::format("Weighted Kaplan–Meier estimates of {} in the emulated trial: A {}, B {}. Tick marks: censored clones.",
                                   lower_first(r["description"].get<std::string>()), a, b),
                       km_plot(input));
        }
    }

    const json& results_;
    std::string title_;        // of the analysis being added ("" when the protocol gives none)
    std::string analysis_id_;
    std::filesystem::path dir_;
    long threshold_;
    HtmlPage page_;
    std::vector<Section> sections_;
    std::vector<std::pair<std::string, Figure>> figures_;
    std::vector<Table> tables_;
    Table comparisons_;
    FigureOptions figure_;  // of the analysis being added
    std::size_t index_ = 0;  // of the analysis being added, in results.json's analyses
};

}  // namespace

StudyReportFiles write_study_report(const json& results, const std::filesystem::path& directory) {
    return Builder(results, directory).build();
}

StudyReportFiles render_study_report(const std::filesystem::path& results_json, const std::filesystem::path& out_directory) {
    namespace fs = std::filesystem;
    const std::string name = results_json.string();
    std::ifstream in(results_json, std::ios::binary);
    if (!in) throw IoError(name + ": cannot open");
    std::stringstream text;
    text << in.rdbuf();
    json results;
    try {
        results = json::parse(text.str());
    } catch (const json::parse_error& error) {
        throw InputError(name + ": not valid JSON (" + error.what() + ")");
    }
    // The envelope the page is built from; the results inside are read as rwe run wrote them.
    auto object = [&](const char* key) { return results.contains(key) && results[key].is_object(); };
    if (!results.is_object() || !object("protocol") || !object("registry") || !results.contains("analyses") ||
        !results["analyses"].is_array()) {
        throw InputError(name + ": not a results.json written by rwe run (no protocol, registry or analyses)");
    }
    for (const auto& analysis : results["analyses"]) {
        if (!analysis.is_object() || !analysis.contains("id") || !analysis["id"].is_string() || !analysis.contains("kind") ||
            !analysis["kind"].is_string() || !analysis.contains("result") || !analysis["result"].is_object()) {
            throw InputError(name + ": not a results.json written by rwe run (an analysis without id, kind or result)");
        }
    }
    const fs::path source_folder = fs::absolute(results_json).parent_path();
    // A results.json of a run with small_cell set but written before the disclosure-control
    // pass existed holds every count: the pass is run now, and the suppressed results are
    // what is written beside the page.
    const long threshold = results["protocol"].value("small_cell", 0L);
    const bool suppress_now = threshold > 1 && !results.contains("disclosure_control");
    if (suppress_now) results = suppress_results(results, threshold, false);
    try {
        OutputFolder output(out_directory);
        StudyReportFiles files;
        try {
            files = write_study_report(results, output.path());
        } catch (const json::exception& error) {
            throw InputError(name + ": not a results.json this version of rwe can render (" + error.what() + ")");
        } catch (const results::DecodeError& error) {
            throw InputError(name + ": " + error.what() + " (not a results.json this version of rwe can render)");
        }
        // The page links results.json and the analysis datasets: keep them beside it (also
        // when the report is written again in their own folder).
        auto keep = [&](const fs::path& from, const fs::path& to) {
            std::error_code linked;
            fs::create_hard_link(from, to, linked);
            if (linked) fs::copy_file(from, to);
        };
        if (suppress_now) write_file_atomic(output.path() / "results.json", results.dump(2) + "\n");
        else keep(results_json, output.path() / "results.json");
        const bool datasets = results.value("disclosure_control", json::object()).value("patient_level_datasets", true);
        for (const char* dataset : {"adsl.csv", "adtte.csv", "adrs.csv", "adae.csv"}) {
            if (datasets && fs::exists(source_folder / dataset)) keep(source_folder / dataset, output.path() / dataset);
        }
        output.commit();
        return files;
    } catch (const fs::filesystem_error& error) {
        throw IoError(out_directory.string() + ": cannot write the report (" + error.code().message() + ": " +
                      error.path1().string() + ")");
    }
}

}  // namespace rwe::report

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
        else if (kind == "table1") table1(id, r, analysis.value("published", json::object()));
        else if (kind == "followup") report_followup(*this, id, results::decoded<results::FollowUpResult>(r, pointer));
        else if (kind == "km") report_km(*this, id, results::decoded<results::KmResult>(r, pointer));
        else if (kind == "logrank") report_logrank(*this, id, results::decoded<results::LogRankResult>(r, pointer));
        else if (kind == "response") response(id, r);
        else if (kind == "adverse_events") adverse_events(id, r);
        else if (kind == "association") association(id, r);
        else if (kind == "cox") report_cox(*this, id, results::decoded<results::CoxResult>(r, pointer));
        else if (kind == "landmark") landmark(id, r);
        else if (kind == "cuminc") cuminc(id, r);
        else if (kind == "iptw") iptw(id, r);
        else if (kind == "ps_match") iptw(id, r, true);
        else if (kind == "target_trial") target_trial(id, r);
        if (analysis.contains("comparison")) add_comparisons(analysis);
    }

    // Table 1 as tbl_summary shows it: overall, and with `by` a column per group (its N in
    // the header), the test chosen for each row named beside its p, and the standardized
    // difference when asked; numbers summarised as the variable or the table chooses.
    void table1(const std::string& id, const json& r, const json& published) {
        Section& s = section("baseline", "Baseline characteristics");
        const int decimals = r.value("percent_decimals", 1);
        std::vector<std::string> groups;
        std::map<std::string, json> group_n;
        const json& rows = r["rows"];
        if (r.contains("by_levels") && !rows.empty() && rows[0].contains("by_group")) {
            for (const auto& level : r["by_levels"]) groups.push_back(level);
        }
        const bool by = !groups.empty();
        const bool with_smd = by && std::any_of(rows.begin(), rows.end(), [](const json& row) { return row.contains("smd"); });
        const bool with_published = !published.empty();
        Table table{id, fmt::format("Patient characteristics (N = {})", count_only(r["n"])), {"Characteristic"}, {}, {}, {}, {}};
        if (by) {
            table.columns.push_back(fmt::format("Overall (N = {})", count_only(r["n"])));
            // A group's N: patients with a value plus those without, from the first row.
            for (const auto& group : groups) {
                const json& g = rows[0]["by_group"][group];
                const json n = g.value("type", "") == "numeric" ? g["n"] : g["denominator"];
                // Patients with a value and without; withheld when either part is.
                const json missing = field(g, "missing");
                json total = n.is_number() && missing.is_number() ? json(n.get<double>() + missing.get<double>())
                                                                  : (is_suppressed(n) ? n : missing);
                const std::string name = r.value("by_value_labels", json::object()).value(group, group);
                table.columns.push_back(fmt::format("{} (N = {})", name, count_only(total)));
            }
            table.columns.push_back("p");
            table.columns.push_back("Test");
            if (with_smd) table.columns.push_back("SMD");
        } else {
            table.columns.push_back("n (%)");
        }
        if (with_published) {
            table.columns.push_back("Published");
            table.published_columns = {table.columns.size() - 1};
        }
        std::set<std::string> tests_used;
        std::set<std::string> summaries_used;
        auto add_row = [&](std::vector<std::string> cells, int indent, const json& row, bool first_of_variable) {
            if (by) {
                std::string p, test, smd;
                if (first_of_variable && row.contains("comparison")) {
                    const json& c = row["comparison"];
                    p = p_cell(c.value("p", json()));
                    test = test_name(c.value("test", json()));
                    if (!test.empty()) tests_used.insert(test);
                }
                if (first_of_variable && row.contains("smd")) smd = fixed(row["smd"], 2);
                // Before the published column, which stays last.
                auto at = with_published ? cells.end() - 1 : cells.end();
                std::vector<std::string> added{p, test};
                if (with_smd) added.push_back(smd);
                cells.insert(at, added.begin(), added.end());
            }
            table.rows.push_back(std::move(cells));
            table.indent.push_back(indent);
        };
        for (const auto& row : rows) {
            const std::string name = row["variable"];
            const auto& o = row["overall"];
            const json pub = published.contains(name) ? published[name] : json::object();
            if (o["type"] == "numeric") {
                // With suppression the extremes (one patient's value each) are withheld: IQR instead.
                std::string summary = row.value("summary", "median_range");
                if (summary == "median_range" && is_suppressed(o["min"])) summary = "median_iqr";
                summaries_used.insert(summary);
                const bool integer = row.value("integer", false);
                std::vector<std::string> cells{row["label"].get<std::string>() + ", " + summary_name(summary),
                                               numeric_cell(o, summary, integer)};
                if (by) {
                    for (const auto& group : groups) cells.push_back(numeric_cell(row["by_group"][group], summary, integer));
                }
                if (with_published) {
                    cells.push_back(pub.contains("median") ? published_text(pub["median"]) + " (" + published_text(pub.value("min", json())) + "–" +
                                                                 published_text(pub.value("max", json())) + ")"
                                                           : "");
                }
                add_row(cells, 0, row, true);
                const bool any_missing = !o["missing"].is_number() || o["missing"].get<long>() > 0;
                if (any_missing) {
                    std::vector<std::string> missing{"Missing", count_only(o["missing"])};
                    if (by) {
                        for (const auto& group : groups) missing.push_back(count_only(row["by_group"][group]["missing"]));
                    }
                    if (with_published) missing.push_back("");
                    add_row(missing, 1, row, false);
                }
                continue;
            }
            std::vector<std::string> heading{row["label"], ""};
            if (by) heading.resize(2 + groups.size());
            if (with_published) heading.push_back("");
            add_row(heading, 0, row, true);
            for (const auto& level : o["levels"]) {
                const std::string name_of_level = level["level"];
                std::vector<std::string> cells{level.value("label", name_of_level), count(level["n"], o["denominator"], decimals)};
                if (by) {
                    for (const auto& group : groups) {
                        const json& g = row["by_group"][group];
                        json n = 0;
                        for (const auto& l : g.value("levels", json::array())) {
                            if (l["level"] == name_of_level) n = l["n"];
                        }
                        cells.push_back(is_suppressed(g) ? suppressed_cell : count(n, g["denominator"], decimals));
                    }
                }
                if (with_published) cells.push_back(pub.contains(name_of_level) ? published_text(pub[name_of_level]) : "");
                add_row(cells, 1, row, false);
            }
            if (!o["missing"].is_number() || o["missing"].get<long>() > 0) {
                std::vector<std::string> missing{"Missing or not applicable", count_only(o["missing"])};
                if (by) {
                    for (const auto& group : groups) missing.push_back(count_only(field(row["by_group"][group], "missing")));
                }
                if (with_published) missing.push_back("");
                add_row(missing, 1, row, false);
            }
        }
        std::string numbers;
        for (const auto& summary : summaries_used) numbers += (numbers.empty() ? "" : ", ") + summary_name(summary);
        table.footnotes.push_back("n (%): percentages of patients with a value" + std::string(numbers.empty() ? "" : "; numbers as ") + numbers +
                                  (threshold_ > 1 ? " (median (IQR) where the extremes, each one patient's value, are withheld)" : "") + ".");
        if (by) {
            std::string tests;
            for (const auto& test : tests_used) tests += (tests.empty() ? "" : "; ") + test;
            table.footnotes.push_back("p: " + (tests.empty() ? std::string("no test") : tests) +
                                      ". Categorical rows: Fisher's exact test when an expected count is small (Cochran's rule), "
                                      "else Pearson's \u03c7\u00b2 test without continuity correction; numbers: Wilcoxon rank-sum for two groups, Kruskal–Wallis for more.");
            if (with_smd) {
                table.footnotes.push_back("SMD: absolute standardized mean difference between the two groups (Yang & Dalton 2012; for "
                                          "categorical rows over all levels).");
            }
        }
        add_table(s, table);
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

    void response(const std::string& id, const json& r) {
        Section& s = section("response", "Response");
        const json& n = r["measurable"];
        Table table{id, fmt::format("Best overall response (RECIST 1.1), patients with measurable disease (n = {})", count_only(n)),
                    {"Response", "n (%)", "95% CI (%)", "p"}, {}, {}, {}, {}};
        const std::map<std::string, std::string> names{{"CR", "Complete response"}, {"PR", "Partial response"}, {"SD", "Stable disease"},
                                                       {"PD", "Progressive disease"}, {"NE", "Not evaluable"}};
        for (const char* level : {"CR", "PR", "SD", "PD", "NE"}) {
            const auto& row = r["best_response"][level];
            table.rows.push_back({names.at(level), count(row["n"], n), ci_text(row["lower"], row["upper"]), ""});
        }
        for (const auto& [key, label] : std::vector<std::pair<std::string, std::string>>{{"orr", "Objective response (CR + PR)"}, {"dcr", "Disease control (CR + PR + SD)"}}) {
            const auto& row = r[key];
            table.rows.push_back({label, count(row["n"], n), ci_text(row["lower"], row["upper"]), ""});
        }
        // Response by group (as the reference study's Fig. 2): stacked bars of best response.
        BarChartInput chart;
        chart.width_pt = 468;
        std::vector<json> groups{r};
        chart.categories = {"All"};
        chart.category_notes = {"n = " + count_only(n)};
        std::vector<std::string> group_rows;
        for (const auto& by : r.value("by", json::array())) {
            table.rows.push_back({"Objective response by " + by["label"].get<std::string>(), "", "", p_cell(by["orr_test"]["p"])});
            for (const auto& level : by["levels"]) {
                groups.push_back(level);
                const std::string name = level.value("label", level["level"].get<std::string>());
                chart.categories.push_back(by["by"].get<std::string>() + ": " + name);
                chart.category_notes.push_back("n = " + count_only(level["measurable"]));
                const auto& orr = level["orr"];
                table.rows.push_back({name, count(orr["n"], orr["of"]), ci_text(orr["lower"], orr["upper"]), ""});
            }
        }
        for (const char* level : {"CR", "PR", "SD", "PD", "NE"}) {
            BarSeries series{names.at(level), {}};
            double total = 0;
            for (const auto& g : groups) {
                series.values.push_back(number(g["best_response"][level]["percent"]));
                total += std::isfinite(series.values.back()) ? series.values.back() : 0;
            }
            if (total > 0) chart.series.push_back(series);
        }
        table.footnotes.push_back("Exact (Clopper–Pearson) 95% confidence intervals.");
        if (r.contains("by")) {
            table.footnotes.push_back("p: objective response compared between the groups, by Fisher's exact test when an expected count "
                                      "is small (Cochran's rule), else Pearson's \u03c7\u00b2 test.");
        }
        add_table(s, table);
        if (threshold_ <= 1 && !chart.series.empty()) {
            if (figure_.y_label) chart.y_label = *figure_.y_label;
            chart.colours = figure_.colours;
            add_figure(s, "fig-" + id,
                       fmt::format("Best overall response among patients with measurable disease (n = {}): percentage of patients with "
                                   "each response{}.",
                                   count_only(r["measurable"]), chart.categories.size() > 1 ? ", per group" : ""),
                       bar_chart(chart));
        }
    }

    void adverse_events(const std::string& id, const json& r) {
        Section& s = section("safety", "Adverse events");
        const json& n = r["n"];
        const std::string grading = r.value("grading_scale", "CTCAE");
        Table table{id, fmt::format("Adverse events of the index line by worst {} grade (N = {})", grading, count_only(n)),
                    {"Term", "Any grade", "Grade 1–2", "Grade 3", "Grade 4", "Grade 3–4", "Grade 5"}, {}, {}, {}, {}};
        for (const auto& term : r["terms"]) {
            table.rows.push_back({term["term"], count(term["any"]["n"], n), count(term["grade_1_2"]["n"], n),
                                  count(term["grade_3"]["n"], n), count(term["grade_4"]["n"], n),
                                  count(term["grade_3_4"]["n"], n), count(term["grade_5"]["n"], n)});
        }
        table.footnotes.push_back("Worst grade per patient and term; " + grading + ".");
        add_table(s, table);
    }

    // Per outcome: its test and p on a row of its own, then per group the patients and
    // those with the outcome (each outcome level when it is not a yes/no outcome).
    void association(const std::string& id, const json& r) {
        Section& s = section("safety", "Adverse events");
        Table table{id, "Associations", {"Outcome", "Group", "Patients", "n (%)", "Test", "p"}, {}, {}, {}, {}};
        for (const auto& test : r["tests"]) {
            const json& columns = test["columns"];
            const bool yes_no = columns.size() == 2 && columns[0] == "Y" && columns[1] == "N";
            table.rows.push_back({test.value("outcome_label", test["outcome"].get<std::string>()), "", "", "", test.value("test", ""),
                                  p_cell(test["p"])});
            table.indent.push_back(0);
            const json& counts = test["counts"];
            for (std::size_t i = 0; i < counts.size(); ++i) {
                json total = 0.0;
                for (const auto& c : counts[i]) {
                    if (is_suppressed(c) || is_suppressed(total)) total = c.is_number() ? total : c;
                    else total = total.get<double>() + c.get<double>();
                }
                std::string cell;
                for (std::size_t j = 0; j < (yes_no ? 1 : counts[i].size()); ++j) {
                    cell += (cell.empty() ? "" : "; ") + (yes_no ? "" : columns[j].get<std::string>() + " ") + count(counts[i][j], total);
                }
                table.rows.push_back({"", test.value("by_label", test["by"].get<std::string>()) + ": " + test["rows"][i].get<std::string>(),
                                      count_only(total), cell, "", ""});
                table.indent.push_back(1);
            }
        }
        table.footnotes.push_back("n (%): patients with the outcome (grade k or higher of an adverse event term) in the group. "
                                  "Fisher's exact test when an expected count is small (Cochran's rule), else Pearson's \u03c7\u00b2 test.");
        add_table(s, table);
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

    // "; by <label>: <group>, n = …; …" (the curves' patients) for a legend.
    static std::string cuminc_groups(const json& r) {
        std::string list;
        for (const auto& curve : r["curves"]) {
            const std::string name = curve["name"].get<std::string>().empty() ? "" : curve.value("label", curve["name"].get<std::string>()) + ", ";
            list += (list.empty() ? "" : "; ") + name + "n = " + count_only(curve["n"]);
        }
        if (r.contains("by")) return "; by " + lower_first(r.value("by_label", r["by"].get<std::string>())) + ": " + list;
        return list.empty() ? "" : " (" + list + ")";
    }

    // Cumulative incidence of the event with competing events (Aalen–Johansen): the curves of
    // the event of interest with a number-at-risk table, and per group and cause the incidence
    // at the protocol's times; Gray's test in the annotation and footnote.
    void cuminc(const std::string& id, const json& r) {
        Section& s = section("competing", "Competing risks: cumulative incidence");
        const std::string event = r["event"];
        std::string competing;
        for (const auto& name : r["competing"]) competing += (competing.empty() ? "" : ", ") + name.get<std::string>();
        KmPlotInput input;
        input.risk_table_threshold = threshold_;
        input.x_label = "Time (" + r.value("time_unit", std::string("months")) + ")";
        input.y_label = "Cumulative incidence of " + event;
        input.median_lines = false;
        for (const auto& curve : r["curves"]) {
            KmCurveInput line;
            line.label = curve["name"].get<std::string>().empty() ? "All patients" : curve.value("label", curve["name"].get<std::string>());
            line.start = 0;
            const json& rows = curve["causes"][0]["curve"]["rows"];
            if (!rows.is_array()) continue;  // a suppressed group: no curve
            for (const auto& row : rows) {
                line.time.push_back(number(row[0]));
                line.n_risk.push_back(number(row[1]));
                line.n_event.push_back(number(row[2]));
                line.n_censor.push_back(number(row[3]));
                line.surv.push_back(number(row[4]));
                line.lower.push_back(number(row[6]));
                line.upper.push_back(number(row[7]));
            }
            input.curves.push_back(std::move(line));
        }
        input.confidence_bands = input.curves.size() == 1;
        std::string gray_note;
        if (r.contains("gray_test")) {
            for (const auto& test : r["gray_test"]) {
                if (test["cause"] == event && figure_.p_value.value_or(true)) input.annotation.push_back("Gray's test " + p_phrase(test["p"]));
                gray_note += fmt::format("{}{}: {}", gray_note.empty() ? "" : "; ", test["cause"].get<std::string>(), p_phrase(test["p"]));
            }
        }
        const std::string description = r["description"];
        if (!input.curves.empty() && !input.curves.front().time.empty()) {
            apply_figure(id, input);
            add_figure(s, "fig-" + id,
                       fmt::format("{}: cumulative incidence of {} with {} as competing event{} (Aalen–Johansen, pointwise log 95% CI){}.{}{}",
                                   description, event, competing, r["competing"].size() > 1 ? "s" : "", cuminc_groups(r),
                                   input.censor_marks ? " Tick marks: censored patients." : "",
                                   input.annotation.empty() ? "" : " p: Gray's test."),
                       km_plot(input));
        }
        std::vector<double> times;
        if (!r["curves"].empty()) {
            for (const auto& at : r["curves"][0]["causes"][0]["at_times"]) times.push_back(at["time"].get<double>());
        }
        Table table{id, description + ": cumulative incidence (Aalen–Johansen)", {"Group", "Event", "Patients", "Events"}, {}, {}, {}, {}};
        for (double t : times) table.columns.push_back(fmt::format("CIF({:g}) (95% CI)", t));
        for (const auto& curve : r["curves"]) {
            for (const auto& cause : curve["causes"]) {
                std::vector<std::string> row{curve["name"].get<std::string>().empty() ? "All" : curve.value("label", curve["name"].get<std::string>()),
                                             cause["cause"].get<std::string>(), count_only(curve["n"]),
                                             count_only(cause["events"])};
                for (const auto& at : cause["at_times"]) {
                    // No limits where the incidence is 0 (R: NA): the estimate alone.
                    row.push_back(at["lower"].is_null() ? fixed(at["incidence"], 3)
                                                        : estimate_ci(at["incidence"], at["lower"], at["upper"], 3));
                }
                table.rows.push_back(std::move(row));
            }
        }
        table.footnotes.push_back(fmt::format("Event of interest {}; competing: {}. Standard errors by the infinitesimal jackknife "
                                              "(R survfit's default), log-transformed 95% limits.", event, competing));
        if (!gray_note.empty()) {
            table.footnotes.push_back(fmt::format("Gray's test of equal cumulative incidence between groups of {}{} (rho = {}): {}.",
                                                  r.value("by_label", r.value("by", std::string())),
                                                  r.contains("strata") ? ", stratified by " + r["strata"].get<std::string>() : "",
                                                  r["gray_test"][0]["rho"].get<double>(), gray_note));
        }
        add_table(s, table);
        if (r.contains("fine_gray") && r["fine_gray"].contains("coefficients")) {
            const auto& model = r["fine_gray"];
            Table fg{id + "-fine-gray",
                     fmt::format("{}: Fine–Gray model of {} (n = {}, {} events)", description, event, count_only(model["n"]),
                                 count_only(model["events"])),
                     {"Covariate", "Subdistribution HR (95% CI)", "p"}, {}, {}, {}, {}};
            for (const auto& c : model["coefficients"]) {
                fg.rows.push_back({c.value("label", c["name"].get<std::string>()), estimate_ci(c["exp_coef"], c["lower"], c["upper"], 2),
                                   p_cell(c["p"])});
            }
            fg.footnotes.push_back(fmt::format("Competing: {}. Estimates and variance as cmprsk::crr (Fine & Gray 1999).", competing));
            for (const auto& m : model["messages"]) fg.footnotes.push_back(m.get<std::string>());
            add_table(s, fg);
        }
        // Cause-specific hazards: one Cox model per cause, the other causes' events censored;
        // a column pair per cause.
        if (r.contains("cause_specific") && !r["cause_specific"].empty()) {
            const json& models = r["cause_specific"];
            Table cs{id + "-cause-specific", fmt::format("{}: cause-specific Cox models (n = {})", description, count_only(models[0]["n"])),
                     {"Covariate"}, {}, {}, {}, {}};
            for (const auto& model : models) {
                cs.columns.push_back(fmt::format("{}: HR (95% CI)", model["cause"].get<std::string>()));
                cs.columns.push_back("p");
            }
            for (std::size_t k = 0; k < models[0]["coefficients"].size(); ++k) {
                std::vector<std::string> row{models[0]["coefficients"][k].value("label", models[0]["coefficients"][k]["name"].get<std::string>())};
                for (const auto& model : models) {
                    const json& c = model["coefficients"][k];
                    const bool estimable = !c.contains("not_estimable");
                    row.push_back(estimable ? estimate_ci(c["exp_coef"], c["lower"], c["upper"], 2) : "NE");
                    row.push_back(estimable ? p_cell(c["p"]) : "");
                }
                cs.rows.push_back(std::move(row));
            }
            std::string events;
            for (const auto& model : models) {
                events += (events.empty() ? "" : ", ") + count_only(model["events"]) + " " + model["cause"].get<std::string>();
            }
            cs.footnotes.push_back(fmt::format("Each cause's hazard with the other causes' events censored (Cox, ties {}); events: {}. "
                                               "Wald 95% CIs and p.", models[0]["ties"].get<std::string>(), events));
            const bool any_not_estimable = std::any_of(models.begin(), models.end(), [](const json& model) {
                return std::any_of(model["coefficients"].begin(), model["coefficients"].end(),
                                   [](const json& c) { return c.contains("not_estimable"); });
            });
            if (any_not_estimable) cs.footnotes.push_back("NE: not estimable; the notes below give the reason.");
            for (const auto& model : models) {
                for (const auto& d : model["diagnostics"]) cs.footnotes.push_back(model["cause"].get<std::string>() + ": " + d.get<std::string>());
            }
            add_table(s, cs);
        }
    }

    void landmark(const std::string& id, const json& r) {
        Section& s = section("landmark", "Cycles received: landmark analysis");
        s.blocks.push_back(Paragraph{r["explanation"]});
        Table table{id, fmt::format("Landmark analysis at day {}", r["landmark_days"].get<int>()),
                    {"Endpoint", "At risk at landmark", "Group", "Patients", "Events", "Median (95% CI) from landmark", "HR (95% CI)", "p"}, {}, {}, {}, {}};
        for (const auto& e : r["results"]) {
            bool first = true;
            for (const auto& stratum : e.value("strata", json::array())) {
                std::string hr, p;
                if (first && e.contains("cox") && !e["cox"]["coefficients"].empty()) {
                    const auto& c = e["cox"]["coefficients"][0];
                    hr = c["name"].get<std::string>() + ": " + estimate_ci(c["exp_coef"], c["lower"], c["upper"], 2);
                }
                if (first && e.contains("log_rank")) p = p_cell(e["log_rank"]["p"]);
                table.rows.push_back({first ? e["endpoint"].get<std::string>() : "", first ? count_only(e["at_risk_at_landmark"]) : "",
                                      stratum["name"], count_only(stratum["n"]), count_only(stratum["events"]),
                                      estimate_ci(stratum["median"], stratum["median_lower"], stratum["median_upper"]), hr, p});
                first = false;
            }
            if (e.contains("time_dependent_cox") && !e["time_dependent_cox"]["coefficients"].empty()) {
                const auto& c = e["time_dependent_cox"]["coefficients"][0];
                table.rows.push_back({e["endpoint"].get<std::string>(), "all patients", "time-varying covariate", "", "", "",
                                      c["name"].get<std::string>() + ": " + estimate_ci(c["exp_coef"], c["lower"], c["upper"], 2),
                                      p_cell(c["p"])});
            }
        }
        table.footnotes.push_back("Time-varying covariate: a Cox model in which each patient counts as unexposed until the day of the "
                                  "cycle that reaches the threshold and exposed afterwards, using all patients and all follow-up.");
        add_table(s, table);
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

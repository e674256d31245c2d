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

namespace rwe::report {

namespace {

using nlohmann::json;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

double number(const json& value) { return value.is_number() ? value.get<double>() : nan; }

// `object[key]`, the suppression marker when the whole object was withheld, else null.
json field(const json& object, const char* key) {
    if (is_suppressed(object)) return object;
    if (object.is_object() && object.contains(key)) return object[key];
    return json();
}

std::string fixed(const json& value, int decimals = 1) {
    if (is_suppressed(value)) return suppressed_cell;
    return value.is_number() ? format_fixed(value.get<double>(), decimals) : "NR";
}

// "19.1 (16.2–21.9)"; NR = not reached; S = suppressed (docs/report.md).
std::string estimate_ci(const json& estimate, const json& lower, const json& upper, int decimals = 1) {
    if (is_suppressed(estimate) || is_suppressed(lower) || is_suppressed(upper)) return suppressed_cell;
    if (!estimate.is_number()) return "NR";
    return fixed(estimate, decimals) + " (" + fixed(lower, decimals) + "–" + fixed(upper, decimals) + ")";
}

std::string ci_text(const json& lower, const json& upper) {
    if (is_suppressed(lower) || is_suppressed(upper)) return suppressed_cell;
    return fixed(lower) + "–" + fixed(upper);
}

// A count as published: the marker when suppressed.
std::string count_only(const json& n) {
    if (is_suppressed(n)) return suppressed_cell;
    return n.is_number() ? std::to_string(std::lround(n.get<double>())) : "–";
}

// "n (p%)": the percentage is left out when the denominator is suppressed (with n it would
// give the denominator back).
std::string count(const json& n, const json& of, int decimals = 1) {
    if (is_suppressed(n)) return suppressed_cell;
    if (is_suppressed(of)) return count_only(n) + " (" + suppressed_cell + ")";
    if (!n.is_number() || !of.is_number()) return count_only(n);
    return count_percent(std::lround(n.get<double>()), std::lround(of.get<double>()), 0, decimals);
}

// Three significant digits for small values (p-values, proportions), one decimal above 1.
std::string significant(double value) {
    if (value == std::round(value) && std::fabs(value) < 1e9) return format_fixed(value, 0);
    if (std::fabs(value) >= 1) return format_fixed(value, 1);
    return fmt::format("{:.3g}", value);
}

// In running text and annotations: "p = 0.043", "p < 0.001".
// "E-value of the HR: 2.31 (of the CI limit nearer 1: 1.42); ..." from a hazard ratio's
// "e_value" object (docs/methods.md §8.5); empty when there is none.
std::string e_value_note(const json& hr, const std::string& what) {
    if (!hr.is_object() || !hr.contains("e_value") || !hr["e_value"].is_object()) return "";
    const json& e = hr["e_value"];
    // withheld with the HR under small-cell suppression (the outcome's frequency with it)
    if (is_suppressed(e.value("e_value", json())) || is_suppressed(e.value("outcome", json()))) return "";
    const bool common = e.value("outcome", "") == "common";
    return fmt::format("E-value of the {}: {} (of the CI limit nearer 1: {}), the risk ratio an unmeasured confounder would need "
                       "with both the groups and the outcome to explain it away (VanderWeele & Ding 2017); the outcome taken as {} "
                       "({}).",
                       what, fixed(e["e_value"], 2), fixed(e["e_value_limit"], 2), common ? "common" : "rare",
                       common ? "Kaplan–Meier risk of 15% or more by the last follow-up: the HR turned into a risk ratio by the "
                                "square-root transform"
                              : "Kaplan–Meier risk below 15% by the last follow-up: the HR taken as the risk ratio");
}

std::string p_phrase(const json& p) {
    if (is_suppressed(p)) return suppressed_cell;
    if (p.is_string()) return "p " + p.get<std::string>();
    if (!p.is_number()) return "p = NA";
    return format_p_value(p.get<double>());
}

// In a table's p column: "0.043", "<0.001" (two significant digits).
std::string p_cell(const json& p) {
    if (is_suppressed(p)) return suppressed_cell;
    if (p.is_string()) return p.get<std::string>();
    if (!p.is_number()) return "–";
    return format_p_number(p.get<double>());
}

std::string published_text(const json& value) {
    if (value.is_null()) return "";
    if (is_suppressed(value)) return suppressed_cell;
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number_integer()) return std::to_string(value.get<long>());
    if (value.is_number()) return significant(value.get<double>());
    return value.dump();
}

// A test's name in a table's Test column.
std::string test_name(const json& test) {
    if (!test.is_string()) return "";
    const std::string t = test;
    if (t == "none") return "";
    if (t == "chi-square") return "Pearson's \u03c7\u00b2";
    if (t == "fisher") return "Fisher's exact";
    if (t == "wilcoxon") return "Wilcoxon rank-sum";
    if (t == "kruskal-wallis") return "Kruskal–Wallis";
    return t;
}

std::string summary_name(const std::string& summary) {
    if (summary == "median_iqr") return "median (IQR)";
    if (summary == "mean_sd") return "mean (SD)";
    return "median (range)";
}

// A number of an integer variable (age, a count) without decimals when it is a whole
// number; a median or quartile halfway between two keeps one decimal.
std::string integer_or_fixed(const json& value, bool integer) {
    if (integer && value.is_number() && value.get<double>() == std::round(value.get<double>())) return fixed(value, 0);
    return fixed(value, 1);
}

// "55 (26–78)", "55 (47–63)", "55.3 (11.3)" for a numeric summary (describe_variable).
std::string numeric_cell(const json& summary, const std::string& statistic, bool integer) {
    if (is_suppressed(summary)) return suppressed_cell;
    if (statistic == "mean_sd") {
        if (is_suppressed(summary["mean"])) return suppressed_cell;
        return fixed(summary["mean"], 1) + " (" + fixed(summary["sd"], 1) + ")";
    }
    if (is_suppressed(summary["median"])) return suppressed_cell;
    const bool range = statistic == "median_range" && !is_suppressed(summary["min"]);
    const json& low = summary[range ? "min" : "q1"];
    const json& high = summary[range ? "max" : "q3"];
    if (is_suppressed(low) || is_suppressed(high)) return integer_or_fixed(summary["median"], integer);
    return integer_or_fixed(summary["median"], integer) + " (" + integer_or_fixed(low, integer) + "–" + integer_or_fixed(high, integer) + ")";
}

// The method of the median's CI, as a table footnote (docs/methods.md §1).
std::string median_ci_footnote(const std::string& method, const std::string& conf_type) {
    if (method == "spss") {
        return "NR: not reached. 95% CI of the median as SPSS computes it: median ± 1.96 SE, the SE from the Greenwood "
               "variance and a density estimate of the survival curve.";
    }
    return "NR: not reached. 95% CI of the median by the method of Brookmeyer and Crowley (1982): the times whose " +
           (conf_type.empty() ? std::string("pointwise") : conf_type) + " confidence interval of S(t) contains 0.5, as R's survfit.";
}

class Builder {
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

private:

    Section& section(const std::string& id, const std::string& heading) {
        for (auto& s : sections_) {
            if (s.id == "sec-" + id) return s;
        }
        sections_.push_back(Section{"sec-" + id, heading, {}});
        return sections_.back();
    }

    void add_table(Section& target, Table table) {
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
    void add_figure(Section& target, const std::string& id, const std::string& caption, Figure figure) {
        figures_.emplace_back(id, figure);
        const std::string stem = "figures/" + id;
        target.blocks.push_back(FigureBlock{id, caption, "", std::move(figure),
                                            {{"SVG", stem + ".svg"}, {"PDF", stem + ".pdf"}, {"PNG, 300 dpi", stem + ".png"}}});
    }

    // The analysis' figure options (its `figure` table), an error naming the analysis.
    void apply_figure(const std::string& id, KmPlotInput& input) const {
        try {
            apply_figure_options(figure_, input);
        } catch (const UsageError& error) {
            throw UsageError("analysis." + id + "." + error.what());
        }
    }

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
        if (kind == "attrition") attrition(id, r);
        else if (kind == "table1") table1(id, r, analysis.value("published", json::object()));
        else if (kind == "followup") followup(id, r);
        else if (kind == "km") km(id, r);
        else if (kind == "logrank") logrank(id, r);
        else if (kind == "response") response(id, r);
        else if (kind == "adverse_events") adverse_events(id, r);
        else if (kind == "association") association(id, r);
        else if (kind == "cox") cox(id, r);
        else if (kind == "landmark") landmark(id, r);
        else if (kind == "cuminc") cuminc(id, r);
        else if (kind == "iptw") iptw(id, r);
        else if (kind == "ps_match") iptw(id, r, true);
        else if (kind == "target_trial") target_trial(id, r);
        if (analysis.contains("comparison")) add_comparisons(analysis);
    }

    void attrition(const std::string& id, const json& r) {
        Section& s = section("cohort", "Cohort selection");
        AttritionInput input;
        Table table{id, "Cohort selection", {"Criterion", "Excluded", "Remaining"}, {}, {}, {}, {}};
        const auto& steps = r["steps"];
        for (std::size_t i = 0; i < steps.size(); ++i) {
            const auto& step = steps[i];
            table.rows.push_back({step["criterion"], i == 0 ? "" : count_only(step["excluded"]), count_only(step["remaining"])});
            if (threshold_ > 1) continue;  // the diagram's boxes would print every count
            if (i == 0) {
                input.steps.push_back({step["criterion"], step["remaining"].get<long>(), {}});
            } else {
                input.steps.back().excluded.push_back({step["reason"].get<std::string>(), step["excluded"].get<long>()});
                if (i + 1 == steps.size()) input.steps.push_back({"Analysed", step["remaining"].get<long>(), {}});
            }
        }
        if (threshold_ <= 1) add_figure(s, "fig-" + id, "Cohort selection.", attrition_diagram(input));
        add_table(s, table);
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

    void followup(const std::string& id, const json& r) {
        Section& s = section("survival", "Survival");
        const auto& o = r["observed"];
        const std::string range = is_suppressed(o["min"]) ? "range withheld" : "range " + fixed(o["min"]) + "–" + fixed(o["max"]);
        std::string text = fmt::format("Median follow-up: {} {} ({}) as the median of observed times",
                                       fixed(o["median"]), results_["protocol"].value("time_unit", "months"), range);
        if (r.contains("reverse_km")) {
            const auto& k = r["reverse_km"];
            text += "; " + estimate_ci(k["median"], k["lower"], k["upper"]) + " by the reverse Kaplan–Meier method.";
        }
        s.blocks.push_back(Paragraph{text});
        (void)id;
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

    // A figure legend as a journal prints it: what is estimated in whom (n and events per
    // curve), then what each element of the drawing is, as the options drew it.
    std::string km_legend(const json& r, const KmPlotInput& input) const {
        std::string legend = "Kaplan–Meier estimate" + std::string(input.curves.size() > 1 ? "s" : "") + " of " +
                             lower_first(r["description"].get<std::string>());
        std::vector<std::string> groups;
        for (const auto& stratum : r["strata"]) {
            const std::string name = stratum["name"].get<std::string>().empty() ? "" : stratum.value("label", stratum["name"].get<std::string>()) + ", ";
            groups.push_back(fmt::format("{}n = {}, {} events", name, count_only(stratum["n"]), count_only(stratum["events"])));
        }
        std::string list;
        for (const auto& g : groups) list += (list.empty() ? "" : "; ") + g;
        legend += r.contains("by") ? fmt::format(" by {}: {}", lower_first(r.value("by_label", r["by"].get<std::string>())), list)
                                   : fmt::format(" ({})", list);
        legend += ".";
        const json& cutoff = results_["protocol"].value("data_cutoff", json());
        if (cutoff.is_string()) legend += " Data cut-off " + cutoff.get<std::string>() + ".";
        if (input.confidence_bands) legend += fmt::format(" Shaded: pointwise 95% confidence band ({} scale).", r["conf_type"].get<std::string>());
        if (input.censor_marks) legend += " Tick marks: censored patients.";
        if (input.risk_table) {
            std::vector<std::string> rows;
            if (input.risk_rows.at_risk) rows.push_back("numbers at risk");
            if (input.risk_rows.censored) rows.push_back("cumulative numbers censored");
            if (input.risk_rows.events) rows.push_back("cumulative numbers of events");
            std::string joined;
            for (std::size_t k = 0; k < rows.size(); ++k) joined += (k == 0 ? "" : k + 1 == rows.size() ? " and " : ", ") + rows[k];
            if (!joined.empty()) legend += " Below the plot: " + joined + " at each time mark.";
        }
        if (r.contains("log_rank") && figure_.p_value.value_or(true)) legend += " p: log-rank test.";
        if (threshold_ > 1) legend += fmt::format(" Counts below {} are shown as <{} or S.", threshold_, threshold_);
        return legend;
    }

    static std::string lower_first(std::string text) {
        // "Overall survival" → "overall survival"; an acronym ("ECOG …") keeps its case
        if (text.size() > 1 && std::isupper(static_cast<unsigned char>(text[0])) && std::islower(static_cast<unsigned char>(text[1]))) {
            text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
        }
        return text;
    }

    void km(const std::string& id, const json& r) {
        Section& s = section("survival", "Time-to-event endpoints");
        KmPlotInput input = km_input(r);
        input.confidence_bands = input.curves.size() == 1;
        input.y_label = survival_axis_label(r.value("description", std::string()));
        if (r.contains("log_rank") && figure_.p_value.value_or(true)) input.annotation.push_back("Log-rank " + p_phrase(r["log_rank"]["p"]));
        if (figure_.hazard_ratio.value_or(false) && r.contains("hazard_ratio") && !r["hazard_ratio"]["coefficients"].empty()) {
            const auto& c = r["hazard_ratio"]["coefficients"][0];
            std::string compared = c["name"];  // "second vs first" in level names; in labels when the groups have them
            const json& strata = r["strata"];
            if (strata.size() == 2 && strata[0].contains("label") && strata[1].contains("label")) {
                compared = strata[1]["label"].get<std::string>() + " vs " + strata[0]["label"].get<std::string>();
            }
            input.annotation.push_back(fmt::format("HR {} {} (95% CI {}–{})", compared, fixed(c["exp_coef"], 2),
                                                   fixed(c["lower"], 2), fixed(c["upper"], 2)));
        }
        for (const auto& stratum : r["strata"]) {
            if (input.curves.size() > 1 || !stratum["curve"]["rows"].is_array()) break;  // group medians are in the table below the figure
            const auto& m = stratum["median_primary"];
            input.annotation.push_back(fmt::format("{}median {} ({})", input.curves.size() > 1 ? stratum.value("label", stratum["name"].get<std::string>()) + ": " : "",
                                                   estimate_ci(field(m, "estimate"), field(m, "lower"), field(m, "upper")),
                                                   field(m, "method") == "spss" ? "95% CI, SPSS" : "95% CI"));
        }
        if (!input.curves.empty() && !input.curves.front().time.empty()) {
            apply_figure(id, input);
            add_figure(s, "fig-" + id, km_legend(r, input), km_plot(input));
        }
        // Summary table: the median with the convention's CI (the other method's stays in
        // results.json) and S(t) at the protocol's times.
        Table table{id, r["description"].get<std::string>() + ": Kaplan–Meier summary", {"Group", "Patients", "Events", "Median (95% CI)"},
                    {}, {}, {}, {}};
        std::string median_method;
        std::vector<double> times;
        // The times and the RMST's tau from the first group that is not suppressed (all groups have them).
        json rmst_tau;
        bool with_rmst = false;
        for (const auto& stratum : r["strata"]) {
            if (stratum.contains("rmst")) with_rmst = true;
            if (!stratum["at_times"].is_array() || (stratum.contains("rmst") && !stratum["rmst"].is_object())) continue;
            for (const auto& at : stratum["at_times"]) times.push_back(at["time"].get<double>());
            if (stratum.contains("rmst")) rmst_tau = stratum["rmst"]["tau"];
            break;
        }
        for (double t : times) table.columns.push_back(fmt::format("S({:g}) (95% CI)", t));
        if (with_rmst) table.columns.push_back(rmst_tau.is_number() ? fmt::format("RMST to {:g} (95% CI)", rmst_tau.get<double>()) : "RMST (95% CI)");
        for (const auto& stratum : r["strata"]) {
            const json& primary = stratum["median_primary"];
            if (median_method.empty() && primary.is_object() && primary.contains("method")) median_method = primary["method"];
            std::vector<std::string> row{stratum["name"].get<std::string>().empty() ? "All" : stratum.value("label", stratum["name"].get<std::string>()),
                                         count_only(stratum["n"]), count_only(stratum["events"]),
                                         estimate_ci(field(primary, "estimate"), field(primary, "lower"), field(primary, "upper"))};
            for (double t : times) {
                std::string cell = "–";
                if (is_suppressed(stratum["at_times"])) cell = suppressed_cell;
                else {
                    for (const auto& at : stratum["at_times"]) {
                        if (at["time"].get<double>() == t) cell = estimate_ci(at["surv"], at["lower"], at["upper"], 3);
                    }
                }
                row.push_back(cell);
            }
            if (with_rmst) {
                const json& rmst = stratum["rmst"];
                row.push_back(estimate_ci(field(rmst, "rmean"), field(rmst, "lower"), field(rmst, "upper")));
            }
            table.rows.push_back(row);
        }
        table.footnotes.push_back(median_ci_footnote(median_method, r.value("conf_type", std::string())));
        if (with_rmst) {
            table.footnotes.push_back("RMST: restricted mean survival time, the area under the Kaplan–Meier curve up to the time given "
                                      "(the curve carried flat beyond the last observation); 95% CI as RMST ± 1.96 SE.");
        }
        add_table(s, table);
    }

    void logrank(const std::string& id, const json& r) {
        Section& s = section("subgroups", "Subgroup comparisons");
        Table table{id, "Log-rank tests by subgroup", {"Endpoint", "Characteristic", "Group", "Patients", "Events", "Median (95% CI)", "p"}, {}, {}, {}, {}};
        std::string median_method;
        for (const auto& test : r["tests"]) {
            bool first = true;
            for (const auto& group : test.value("groups", json::array())) {
                const json primary = group.value("median_primary", json());
                if (median_method.empty() && primary.is_object()) median_method = primary.value("method", "");
                table.rows.push_back({first ? test.value("endpoint_label", test["endpoint"].get<std::string>()) : "",
                                      first ? test.value("label", test["by"].get<std::string>()) : "",
                                      group.value("label", group["name"].get<std::string>()), count_only(group["n"]), count_only(group["events"]),
                                      primary.is_object() || is_suppressed(primary)
                                          ? estimate_ci(field(primary, "estimate"), field(primary, "lower"), field(primary, "upper"))
                                          : estimate_ci(group.value("median", json()), group.value("median_lower", json()), group.value("median_upper", json())),
                                      first ? p_cell(test["p"]) : ""});
                first = false;
            }
        }
        std::string method = "Log-rank test";
        std::string strata;
        for (const auto& test : r["tests"]) {
            if (test.contains("method") && test["method"] != "log-rank") method = "Weighted log-rank test, " + test["method"].get<std::string>();
            if (test.contains("strata")) strata = test["strata"].get<std::string>();
        }
        table.footnotes.push_back(method + (strata.empty() ? "" : ", stratified by " + strata + "; medians over all strata of each group") + ".");
        table.footnotes.push_back(median_ci_footnote(median_method.empty() ? "r" : median_method, results_["protocol"].value("conf_type", "")));
        add_table(s, table);
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

    // The rows of a Cox table as gtsummary's tbl_regression lays them out: a number on one
    // row; a category as a heading and a row per level, the first the reference ("—"), with
    // the patients and events of each level among the model's patients. With univariable
    // models, their HR and p in two columns before the multivariable model's.
    void cox_term_rows(const json& r, Table& table, std::set<std::string>& explained) {
        const bool univariable = r.contains("univariable") && !r["univariable"].empty();
        table.columns = {"Characteristic", "N", "Events"};
        if (univariable) table.columns.insert(table.columns.end(), {"Univariable HR (95% CI)", "p"});
        table.columns.insert(table.columns.end(), {univariable ? "Multivariable HR (95% CI)" : "HR (95% CI)", "p"});
        std::vector<std::string> not_estimable;
        auto hr = [&](const json& c, const std::string& label, const std::string& model, std::vector<std::string>& row) {
            if (c.contains("not_estimable")) {
                row.insert(row.end(), {"NE", ""});
                not_estimable.push_back(fmt::format("{}{}: {}", label, model, c["not_estimable"].get<std::string>()));
                explained.insert(c["name"].get<std::string>());
                return;
            }
            row.insert(row.end(), {estimate_ci(c["exp_coef"], c["lower"], c["upper"], 2), p_cell(c["p"])});
        };
        std::vector<std::string> univariable_n;
        for (const auto& term : r["terms"]) {
            const json* single = nullptr;
            if (univariable) {
                for (const auto& model : r["univariable"]) {
                    if (model.value("covariate", "") == term["name"].get<std::string>()) single = &model;
                }
                if (single != nullptr && !(*single)["n"].is_string() && !r["n"].is_string() && (*single)["n"] != r["n"]) {
                    univariable_n.push_back(fmt::format("{} n = {} ({} events)", term["label"].get<std::string>(),
                                                        count_only((*single)["n"]), count_only((*single)["events"])));
                }
            }
            const std::string term_label = term["label"];
            if (term["type"] == "numeric") {
                std::vector<std::string> row{term_label, count_only(r["n"]), count_only(r["events"])};
                const std::size_t k = term["coefficient"];
                if (single != nullptr) hr((*single)["coefficients"][0], term_label, " (univariable)", row);
                hr(r["coefficients"][k], term_label, univariable ? " (multivariable)" : "", row);
                if (single == nullptr && univariable) row.insert(row.begin() + 3, {"", ""});
                table.rows.push_back(std::move(row));
                table.indent.push_back(0);
                continue;
            }
            table.rows.push_back(std::vector<std::string>(table.columns.size(), ""));
            table.rows.back()[0] = term_label;
            table.indent.push_back(0);
            for (std::size_t l = 0; l < term["levels"].size(); ++l) {
                const json& level = term["levels"][l];
                const std::string label = level.value("label", level["level"].get<std::string>());
                std::vector<std::string> row{label, count_only(level["n"]), count_only(level["events"])};
                if (level.value("reference", false)) {
                    for (int model = 0; model < (single != nullptr ? 2 : 1); ++model) row.insert(row.end(), {"\u2014", ""});
                } else {
                    const std::string named = term_label + ": " + label;
                    if (single != nullptr) hr((*single)["coefficients"][l - 1], named, " (univariable)", row);
                    hr(r["coefficients"][level["coefficient"].get<std::size_t>()], named, univariable ? " (multivariable)" : "", row);
                }
                if (single == nullptr && univariable) row.insert(row.begin() + 3, {"", ""});
                table.rows.push_back(std::move(row));
                table.indent.push_back(1);
            }
        }
        table.footnotes.push_back("HR: hazard ratio; CI: confidence interval (Wald); p: Wald test; \u2014: reference level. "
                                  "A number's HR is per unit increase.");
        if (univariable) {
            table.footnotes.push_back(fmt::format("Univariable: a model of each covariate alone; multivariable: all covariates together "
                                                  "(n = {}, {} events). N and Events: patients and events in each level among the multivariable model's patients.",
                                                  count_only(r["n"]), count_only(r["events"])));
            if (!univariable_n.empty()) {
                std::string list;
                for (const auto& item : univariable_n) list += (list.empty() ? "" : "; ") + item;
                table.footnotes.push_back("Univariable models use the patients with the covariate recorded: " + list + ".");
            }
        } else {
            table.footnotes.push_back("N and Events: patients and events in each level among the model's patients.");
        }
        for (const auto& note : not_estimable) table.footnotes.push_back("NE, not estimable: " + note + ".");
    }

    void cox(const std::string& id, const json& r) {
        Section& s = section("cox", "Multivariable Cox models");
        const std::string endpoint = r["endpoint"];
        const std::string strata = r.contains("strata") ? fmt::format("; stratified by {}", r.value("strata_label", r["strata"].get<std::string>())) : "";
        Table table{id, fmt::format("Cox model for {} (n = {}, {} events; ties {}{})", endpoint, count_only(r["n"]), count_only(r["events"]), r["ties"].get<std::string>(), strata),
                    {"Covariate", "HR (95% CI)", "p"}, {}, {}, {}, {}};
        ForestPlotInput forest;
        forest.label_header = "Covariate";
        for (const auto& c : r["coefficients"]) {
            const std::string label = c.value("label", c["name"].get<std::string>());
            ForestRow row;
            row.label = label;
            row.estimate = number(c["exp_coef"]);
            row.lower = number(c["lower"]);
            row.upper = number(c["upper"]);
            row.p = number(c["p"]);
            if (c.contains("not_estimable") || !(row.lower > 0) || !std::isfinite(row.upper)) {
                row.estimate = row.lower = row.upper = nan;
                row.note = "not estimable";
            }
            forest.rows.push_back(row);
        }
        std::set<std::string> explained;  // coefficient names whose diagnostic a not-estimable note replaces
        if (r.contains("terms")) {
            cox_term_rows(r, table, explained);
        } else {  // results of an earlier version: one row per coefficient
            for (const auto& c : r["coefficients"]) {
                table.rows.push_back({c.value("label", c["name"].get<std::string>()), estimate_ci(c["exp_coef"], c["lower"], c["upper"], 2), p_cell(c["p"])});
            }
        }
        table.footnotes.push_back(fmt::format("Likelihood-ratio test {} on {} df; concordance {}.", p_phrase(r["lr"]["p"]), r["lr"]["df"].get<int>(), fixed(r["concordance"], 3)));
        for (const auto& d : r["diagnostics"]) {
            const std::string text = d.get<std::string>();
            const bool repeated = std::any_of(explained.begin(), explained.end(),
                                              [&](const std::string& name) { return text.find("'" + name + "'") != std::string::npos; });
            if (!repeated) table.footnotes.push_back(text);
        }
        add_table(s, table);
        const bool any_estimable = std::any_of(forest.rows.begin(), forest.rows.end(),
                                               [](const ForestRow& row) { return std::isfinite(row.estimate); });
        if (any_estimable) {
            if (figure_.x_label) forest.x_label = *figure_.x_label;
            if (!figure_.colours.empty()) forest.colour = figure_.colours.front();
            forest.p_column = figure_.p_value.value_or(true);
            add_figure(s, "fig-" + id,
                       fmt::format("Hazard ratios (squares) with 95% confidence intervals (lines) of the {}Cox model for {} (n = {}, {} events{}), "
                                   "on a log scale; the dashed line marks a hazard ratio of 1{}.",
                                   r.contains("univariable") ? "multivariable " : "", endpoint, count_only(r["n"]), count_only(r["events"]),
                                   strata, forest.p_column ? "; p: Wald test" : ""),
                       forest_plot(forest));
        }
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

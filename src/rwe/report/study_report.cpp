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
        : file_(results::decoded<results::ResultsFile>(results)), dir_(std::move(directory)), threshold_(file_.protocol.small_cell) {}

    StudyReportFiles build() {
        StudyReportFiles files;
        const results::ProtocolRecord& protocol = file_.protocol;
        page_.title = protocol.title.empty() ? "Study report" : protocol.title;
        page_.metadata = {
            fmt::format("Protocol {} ({}), convention {}: KM confidence limits {}, median CI by the {} method, Cox ties {}",
                        protocol.id, protocol.file, protocol.convention, protocol.conf_type,
                        protocol.median_ci == "spss" ? "SPSS" : "Brookmeyer–Crowley", protocol.ties),
            "Registry checksum (SHA-256 of the source files) " + file_.registry.checksum,
            "rwe " + file_.rwe_version + "; time in " + protocol.time_unit + "; every number below is in results.json"};
        const bool patient_level_datasets = !file_.disclosure_control || file_.disclosure_control->patient_level_datasets;
        if (threshold_ > 1) {
            page_.metadata.push_back(fmt::format(
                "Small-cell suppression: counts from 1 to {} and the cells from which one could be derived are shown as {}, "
                "with every percentage, confidence interval and statistic of theirs; results.json and every table follow the same rule",
                threshold_ - 1, suppressed_cell));
        }
        if (!patient_level_datasets) {
            page_.metadata.push_back("The patient-level analysis datasets (ADSL, ADTTE, ADRS, ADAE) are not published with this report" +
                                     std::string(threshold_ > 1 ? " (small-cell suppression is on)" : "") +
                                     "; the protocol's patient_level_datasets = true writes them");
        }
        for (const auto& analysis : file_.analyses) add(analysis);
        // The methods a manuscript needs, from what the analyses used, before the results.
        {
            const MethodsText methods = statistical_analysis(file_);
            Section section{"sec-methods", "Statistical analysis", {}};
            for (const auto& paragraph : methods.paragraphs) section.blocks.push_back(Paragraph{paragraph});
            if (!methods.references.empty()) {
                section.blocks.push_back(Paragraph{"References"});
                for (const auto& reference : methods.references) section.blocks.push_back(Paragraph{reference});
            }
            sections_.insert(sections_.begin(), std::move(section));
        }
        if (!file_.warnings.empty()) {
            Section section{"sec-warnings", "Warnings", {}};
            for (const auto& warning : file_.warnings) section.blocks.push_back(Paragraph{warning});
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
        if (patient_level_datasets) {
            page_.downloads.insert(page_.downloads.end(), {{"ADSL", "adsl.csv"}, {"ADTTE", "adtte.csv"}, {"ADRS", "adrs.csv"}, {"ADAE", "adae.csv"}});
        }
        const results::ReportSettingsRecord& settings = protocol.report;
        const bool docx = settings.docx.has_value() ? *settings.docx : docx_converter_available();
        if (settings.docx.has_value() && docx && !docx_converter_available()) {
            throw IoError("report.docx: the protocol asks for the Word report (report.docx = true), which needs pandoc; "
                          "install it (Debian: apt-get install pandoc) or set docx = false");
        }
        if (docx) page_.downloads.insert(page_.downloads.begin() + 1, Download{"Word report (DOCX)", "report.docx"});
        if (!docx && !settings.docx.has_value()) {
            page_.metadata.push_back("The Word report (report.docx) was not written: pandoc is not installed (Debian: apt-get install pandoc)");
            files.notes.push_back("report.docx not written: pandoc is not installed (apt-get install pandoc; [report] docx = false silences this)");
        }
        CsvOptions csv;
        csv.byte_order_mark = settings.csv_bom;
        csv.ascii_symbols = settings.csv_ascii;
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
    const results::ProtocolRecord& protocol() const override { return file_.protocol; }
    const json& published() const override { return published_; }

private:
    void add_comparisons(const results::AnalysisEntry& analysis) {
        if (comparisons_.id.empty()) {
            comparisons_.id = "published-comparison";
            comparisons_.title = "Published figures beside ours";
            comparisons_.columns = {"Analysis", "Quantity", "This analysis", "Our 95% CI", "Published", "Verdict"};
            comparisons_.published_columns = {4};
        }
        if (!analysis.comparison) return;
        for (const auto& row : *analysis.comparison) {
            std::string ci;
            const results::Number upper = row.ours_upper.value_or(results::Number());
            if (row.ours_lower && (row.ours_lower->has_value() || upper.has_value())) {
                ci = fixed(*row.ours_lower) + "–" + fixed(upper);
            } else if (row.ours_lower && row.ours_lower->is_suppressed()) {
                ci = suppressed_cell;
            }
            comparisons_.rows.push_back({analysis.id, row.quantity, row.ours.is_number() ? significant(row.ours.get<double>()) : published_text(row.ours),
                                         ci, published_text(row.published), published_text(json(row.verdict))});
        }
    }

    void add(const results::AnalysisEntry& analysis) {
        title_ = analysis.title.value_or("");
        analysis_id_ = analysis.id;
        const std::string& id = analysis.id;
        try {
            figure_ = figure_options_from_json(analysis.figure.value_or(json::object()));
        } catch (const UsageError& error) {
            throw UsageError("analysis." + id + "." + error.what());
        }
        published_ = analysis.published.value_or(json::object());
        report_analysis(*this, id, analysis.result);
        add_comparisons(analysis);
    }

    const results::ResultsFile file_;  // results.json, read through the typed results
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
    json published_;  // of the analysis being added
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

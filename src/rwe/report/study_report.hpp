#pragma once
// The report of a study run: from results.json (docs/protocols.md) to report.html (one
// self-contained page in the order of a results section), every figure as SVG, PDF and
// 300-dpi PNG, and every table as CSV and as a sheet of tables.xlsx. Every number shown is
// read from results.json; no patient identifiers are in it; counts below the protocol's
// small-cell threshold are suppressed.

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace rwe::report {

struct StudyReportFiles {
    std::size_t figures = 0;
    std::size_t tables = 0;
    bool docx = false;               // report.docx written ([report] docx; docs/report.md)
    std::vector<std::string> notes;  // for stderr: what was not written and why
};

StudyReportFiles write_study_report(const nlohmann::json& results, const std::filesystem::path& directory);

// `rwe report`: the report again from a results.json alone, written into `out_directory`
// all together or not at all (report.html, figures/, tables/, tables.xlsx, and a copy of
// the results.json and of the analysis datasets found beside it, which the page links).
// InputError for a file that is not a results.json of rwe run; IoError when unreadable.
StudyReportFiles render_study_report(const std::filesystem::path& results_json, const std::filesystem::path& out_directory);

}  // namespace rwe::report

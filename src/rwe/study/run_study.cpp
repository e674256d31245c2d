#include "rwe/study/run_study.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "rwe/common/error.hpp"
#include "rwe/common/output_folder.hpp"
#include "rwe/common/parallel.hpp"
#include "rwe/registry/store_location.hpp"
#include "rwe/report/docx_report.hpp"
#include "rwe/report/disclosure_control.hpp"
#include "rwe/results/results_file.hpp"
#include "rwe/report/study_report.hpp"
#include "rwe/study/analyses.hpp"
#include "rwe/study/analysis_data.hpp"
#include "rwe/study/date.hpp"
#include "rwe/study/protocol.hpp"
#include "rwe/study/registry_data.hpp"
#include "rwe/study/store_derivation.hpp"

namespace rwe::study {

namespace fs = std::filesystem;

namespace {

// With RWE_TIMING set, each phase's wall time on stderr (for profiling the whole command).
class PhaseTimer {
public:
    PhaseTimer() : enabled_(std::getenv("RWE_TIMING") != nullptr), last_(std::chrono::steady_clock::now()) {}
    void done(const char* phase) {
        if (!enabled_) return;
        const auto now = std::chrono::steady_clock::now();
        std::fprintf(stderr, "rwe run: %.2f s to %s (memory %ld MB, peak so far %ld MB)\n",
                     std::chrono::duration<double>(now - last_).count(), phase, status_megabytes("VmRSS:"),
                     status_megabytes("VmHWM:"));
        last_ = now;
    }

private:
    // A field of /proc/self/status in MB (VmRSS: resident now, VmHWM: the peak); -1 when absent.
    static long status_megabytes(const std::string& field) {
        std::ifstream status("/proc/self/status");
        std::string line;
        while (std::getline(status, line)) {
            if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + field.size()) / 1024;
        }
        return -1;
    }

    bool enabled_;
    std::chrono::steady_clock::time_point last_;
};

// What a long phase has done, on one line of the terminal (stderr), when stderr is one.
class TerminalProgress {
public:
    TerminalProgress() : enabled_(isatty(STDERR_FILENO) != 0) {}
    ~TerminalProgress() { clear(); }
    TerminalProgress(const TerminalProgress&) = delete;
    TerminalProgress& operator=(const TerminalProgress&) = delete;

    void show(const std::string& text) {
        if (!enabled_) return;
        const std::string line = "rwe run: " + text;
        std::fprintf(stderr, "\r%s%*s", line.c_str(), static_cast<int>(width_ > line.size() ? width_ - line.size() : 0), "");
        width_ = std::max(width_, line.size());
        std::fflush(stderr);
    }
    void clear() {
        if (!enabled_ || width_ == 0) return;
        std::fprintf(stderr, "\r%*s\r", static_cast<int>(width_), "");
        std::fflush(stderr);
        width_ = 0;
    }

private:
    bool enabled_;
    std::size_t width_ = 0;
};

}  // namespace

RunSummary run_study(const std::string& protocol_path, const std::string& database_path,
                     const std::string& out_directory, DeriveIn derive_in, ReduceIn reduce_in) {
    const Protocol protocol = parse_protocol(protocol_path);
    // Before any work: a Word report asked for cannot be written without its converter.
    if (protocol.report.docx.value_or(false) && !report::docx_converter_available()) {
        throw UsageError(protocol_path + ": report.docx: the protocol asks for the Word report (docx = true), which needs pandoc; "
                         "install it (Debian: apt-get install pandoc) or set docx = false");
    }
    PhaseTimer timer;
    // rwe reads the registry a chunk of patients at a time and derives the analysis
    // datasets itself; or the store derives them (rwe receives them, never the registry).
    RegistryInfo registry;
    StudyData data;
    // --reduce store: the store counts; `data` then has no rows (run_counted_analyses).
    std::optional<CountedStudy> counted;
    if (reduce_in == ReduceIn::store) {
        // count_in_store refuses what needs the rows before it reads the store.
        TerminalProgress progress;
        counted = count_in_store(database_path, protocol, registry, [&](const std::string& what) { progress.show(what); });
        data = std::move(counted->data);
    } else if (derive_in == DeriveIn::store) {
        // Before the store is read: what the store cannot derive yet is an error that names it.
        const auto gaps = store_derivation_gaps(protocol);
        if (!gaps.empty()) {
            std::string message = "--derive store: the store cannot derive this protocol yet (use --derive rwe):";
            for (const auto& gap : gaps) message += "\n  " + gap;
            throw UsageError(message);
        }
        TerminalProgress progress;
        data = derive_in_store(database_path, protocol, registry, [&](const std::string& what) { progress.show(what); });
    } else {
        TerminalProgress progress;
        StudyDataBuilder builder(protocol);
        registry = read_registry(
            database_path, 10000, [&](const RegistryData& chunk) { builder.add(chunk); }, read_plan(protocol),
            [&](std::size_t done, std::size_t total) { progress.show(fmt::format("reading the registry: {} of {} patients", done, total)); });
        data = builder.finish(registry.patients, registry.codes);
    }
#ifdef __GLIBC__
    // The registry chunks were read and freed on the reader threads: give their memory back
    // (about 300 MB at 1,000,000 patients that malloc would otherwise keep for those threads).
    malloc_trim(0);
#endif
    timer.done("read the registry, select the cohort and derive the analysis datasets");

    nlohmann::json results;
    results["rwe_version"] = RWE_VERSION;
    results["schema_version"] = results::results_schema_version;
    // What a report and its methods section state: the protocol's settings, the accrual
    // window, the data cut-off, the index treatment's label and how each endpoint is measured.
    results::ProtocolRecord record;
    record.file = fs::path(protocol_path).filename().string();
    record.id = protocol.id;
    record.title = protocol.title;
    record.convention = to_string(protocol.convention);
    record.conf_type = protocol.stats.conf_type;
    record.median_ci = protocol.stats.median_ci;
    record.ties = protocol.stats.ties;
    record.time_unit = protocol.time_unit;
    record.small_cell = protocol.small_cell;
    if (protocol.report.docx) record.report.docx = *protocol.report.docx;
    record.report.csv_bom = protocol.report.csv_bom;
    record.report.csv_ascii = protocol.report.csv_ascii;
    record.text = protocol.text;
    record.accrual = {format_iso_date(protocol.index.accrual_start), format_iso_date(protocol.index.accrual_end)};
    if (protocol.data_cutoff) record.data_cutoff = format_iso_date(*protocol.data_cutoff);
    record.index_label = protocol.index.label;
    for (const auto& endpoint : protocol.endpoints) {
        record.endpoints[endpoint.paramcd] = {endpoint.label, endpoint.origin, endpoint.events, endpoint.censor};
    }
    results["protocol"] = results::encode(record);
    // The store's engine only: never its location (a PostgreSQL URI may carry a password,
    // a file path says nothing about the data that the checksum does not).
    results::RegistryRecord provenance{registry.checksum, {registry.source_files.begin(), registry.source_files.end()}, registry.imported_at,
                                       registry.patients, registry::is_postgresql_location(database_path) ? "postgresql" : "sqlite"};
    results["registry"] = results::encode(provenance);
    const std::size_t cohort = counted ? counted->cohort : data.adsl.size();
    // Counted by the store, there are no patients' rows to write.
    const bool patient_level_datasets = protocol.patient_level_datasets && !counted;
    results["cohort"] = results::encode(results::CohortRecord{cohort});
    std::vector<std::string> warnings = data.warnings;
    std::vector<AnalysisDataset> analysis_datasets;
    results["analyses"] = counted ? run_counted_analyses(data, counted->analyses, protocol, warnings)
                                  : run_analyses(data, protocol, warnings, patient_level_datasets ? &analysis_datasets : nullptr);
    results["warnings"] = warnings;
    // One disclosure-control pass before anything is written: results.json, the report,
    // its tables and figures all show the same suppressed cells.
    results = report::suppress_results(results, protocol.small_cell, patient_level_datasets);
    timer.done("run the analyses");

    OutputFolder output(out_directory);
    std::vector<std::string> report_notes;
    try {
        // The analysis datasets are written beside the results and the report (different
        // files of the output folder, from data each only reads).
        run_beside_rethrowing([&] {
                                  if (patient_level_datasets) write_analysis_datasets(data, protocol, output.path().string(), analysis_datasets);
                              },
                              [&] {
                                  {
                                      std::ofstream out(output.path() / "results.json", std::ios::binary);
                                      out << results.dump(2) << "\n";
                                      out.close();
                                      if (!out) throw IoError(out_directory + "/results.json: cannot write");
                                  }
                                  report_notes = report::write_study_report(results, output.path()).notes;
                              });
        timer.done("write the analysis datasets, the report, tables and figures");
    } catch (const fs::filesystem_error& error) {
        throw IoError(out_directory + ": cannot write the results (" + error.code().message() + ": " +
                      error.path1().string() + ")");
    }
    output.commit();
    return {registry.patients, cohort, protocol.analyses.size(), warnings, report_notes};
}

}  // namespace rwe::study

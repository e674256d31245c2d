#include "rwe/registry/validation_report.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace rwe::registry {

namespace {
bool progress_shown = false;
}

nlohmann::json diagnostic_json(const Diagnostic& diagnostic) {
    return {{"severity", diagnostic.severity == Severity::error ? "error" : "warning"},
            {"file", diagnostic.file},
            {"line", diagnostic.line},
            {"column", diagnostic.column},
            {"problem", diagnostic.problem},
            {"value", diagnostic.value},
            {"text", diagnostic.text()}};
}

nlohmann::json validation_json(const std::string& directory, const ValidationSummary& summary) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& file : summary.files) {
        files.push_back({{"name", file.name},
                         {"present", file.present},
                         {"rows", file.rows},
                         {"errors", file.errors},
                         {"warnings", file.warnings}});
    }
    return {{"directory", directory},
            {"valid", summary.valid()},
            {"errors", summary.errors},
            {"warnings", summary.warnings},
            {"files", files}};
}

void print_validation_summary(std::ostream& out, const std::string& directory,
                              const ValidationSummary& summary) {
    out << "\n";
    char line[160];
    for (const auto& file : summary.files) {
        if (file.present) {
            std::snprintf(line, sizeof line, "  %-22s %10zu rows  %6zu errors  %6zu warnings\n", file.name.c_str(),
                          file.rows, file.errors, file.warnings);
        } else {
            std::snprintf(line, sizeof line, "  %-22s %10s\n", file.name.c_str(),
                          file.errors > 0 ? "missing" : "absent (no records)");
        }
        out << line;
    }
    out << "registry " << directory << ": " << (summary.valid() ? "valid" : "INVALID") << " (" << summary.errors
        << (summary.errors == 1 ? " error, " : " errors, ") << summary.warnings
        << (summary.warnings == 1 ? " warning)" : " warnings)") << "\n";
}

std::function<void(const Progress&)> progress_printer(const std::string& verb) {
    if (!isatty(STDERR_FILENO)) return {};
    return [verb](const Progress& progress) {
        int percent = 0;
        if (progress.file_bytes > 0) {
            percent = static_cast<int>(100.0 * static_cast<double>(progress.bytes_read) /
                                       static_cast<double>(progress.file_bytes));
            if (percent > 99) percent = 99;  // compressed input reads more bytes than the file holds
        }
        std::fprintf(stderr, "\r%s: %.*s %3d%%  %zu rows   ", verb.c_str(), static_cast<int>(progress.file.size()),
                     progress.file.data(), percent, progress.rows);
        std::fflush(stderr);
        progress_shown = true;
    };
}

void clear_progress() {
    if (!progress_shown) return;
    std::fprintf(stderr, "\r%60s\r", "");
    std::fflush(stderr);
    progress_shown = false;
}

}  // namespace rwe::registry

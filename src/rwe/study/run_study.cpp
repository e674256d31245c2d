#include "rwe/study/run_study.hpp"

#include <filesystem>
#include <fstream>

#include "rwe/common/error.hpp"
#include "rwe/common/staging_directory.hpp"
#include "rwe/report/study_report.hpp"
#include "rwe/study/analyses.hpp"
#include "rwe/study/analysis_data.hpp"
#include "rwe/study/protocol.hpp"
#include "rwe/study/registry_data.hpp"

namespace rwe::study {

namespace fs = std::filesystem;

RunSummary run_study(const std::string& protocol_path, const std::string& database_path,
                     const std::string& out_directory) {
    const Protocol protocol = parse_protocol(protocol_path);
    const RegistryData registry = load_registry(database_path);
    const StudyData data = derive_study_data(registry, protocol);

    nlohmann::json results;
    results["rwe_version"] = RWE_VERSION;
    results["protocol"] = {{"file", fs::path(protocol_path).filename().string()},
                           {"id", protocol.id},
                           {"title", protocol.title},
                           {"convention", to_string(protocol.convention)},
                           {"conf_type", protocol.stats.conf_type},
                           {"median_ci", protocol.stats.median_ci},
                           {"ties", protocol.stats.ties},
                           {"time_unit", protocol.time_unit},
                           {"small_cell", protocol.small_cell},
                           {"text", protocol.text}};
    nlohmann::json files = nlohmann::json::object();
    for (const auto& [file, digest] : registry.source_files) files[file] = digest;
    results["registry"] = {{"checksum", registry.checksum}, {"source_files", files},
                           {"imported_at", registry.imported_at}, {"patients", registry.patients.size()}};
    results["cohort"] = {{"n", data.adsl.size()}};
    std::vector<std::string> warnings;
    results["analyses"] = run_analyses(data, protocol, warnings);
    results["warnings"] = warnings;

    const fs::path target = fs::absolute(out_directory);
    try {
        if (fs::exists(target) && !fs::is_directory(target)) throw IoError(out_directory + ": exists and is not a directory");
        fs::create_directories(target.parent_path());
        StagingDirectory staging(target, "run");
        write_analysis_datasets(data, protocol, staging.path().string());
        {
            std::ofstream out(staging.path() / "results.json", std::ios::binary);
            out << results.dump(2) << "\n";
            if (!out) throw IoError((staging.path() / "results.json").string() + ": cannot write");
        }
        report::write_study_report(results, staging.path());
        staging.commit(target);
    } catch (const fs::filesystem_error& error) {
        throw IoError(out_directory + ": cannot write the results (" + error.code().message() + ": " +
                      error.path1().string() + ")");
    }
    return {registry.patients.size(), data.adsl.size(), protocol.analyses.size(), warnings};
}

}  // namespace rwe::study

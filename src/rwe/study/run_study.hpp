#pragma once
// `rwe run`: protocol + registry store → results.json and the analysis datasets, written
// all together or not at all.

#include <string>
#include <vector>

namespace rwe::study {

struct RunSummary {
    std::size_t patients = 0;   // in the registry
    std::size_t cohort = 0;     // after selection
    std::size_t analyses = 0;
    std::vector<std::string> warnings;  // also in results.json
    std::vector<std::string> notes;     // what the report did not write, and why (stderr only)
};

// Where the analysis datasets are derived: by rwe from the registry rows it reads, a chunk
// of patients at a time (analysis_data.hpp), or by the store, from SQL generated from the
// protocol (store_derivation.hpp), so that only the analysis datasets leave the store. The
// two give the same datasets; on one machine rwe is the faster (docs/scale.md).
enum class DeriveIn { rwe, store };

RunSummary run_study(const std::string& protocol_path, const std::string& database_path,
                     const std::string& out_directory, DeriveIn derive_in = DeriveIn::rwe);

}  // namespace rwe::study

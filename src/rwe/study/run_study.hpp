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

// Where the analyses' inputs are reduced: by rwe from the analysis datasets, or by the
// store, which derives and counts (numbers at risk and events per group, stratum and time,
// patients per selection step and per group: store_derivation.hpp count_in_store), so that
// no patient's row leaves it. Only protocols whose analyses compute from counts can be
// reduced in the store (store_reduction_gaps); the results are the same.
enum class ReduceIn { rwe, store };

RunSummary run_study(const std::string& protocol_path, const std::string& database_path,
                     const std::string& out_directory, DeriveIn derive_in = DeriveIn::rwe, ReduceIn reduce_in = ReduceIn::rwe);

}  // namespace rwe::study

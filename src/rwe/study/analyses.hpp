#pragma once
// Runs the analyses a protocol lists on the derived study data and returns every number,
// labelled, as JSON (the `analyses` array of results.json; docs/protocols.md).

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "rwe/study/analysis_data.hpp"
#include "rwe/study/protocol.hpp"

namespace rwe::study {

// What depends on the data and may surprise (a term no patient has, a published group the
// results lack) is appended to `warnings` as `file:line: analysis.<id>.<key>: warning: ...`.
// Patient-level datasets an analysis makes (ps_match's matched data), in protocol order, are
// appended to `datasets` when it is given.
nlohmann::json run_analyses(const StudyData& data, const Protocol& protocol, std::vector<std::string>& warnings,
                            std::vector<AnalysisDataset>* datasets = nullptr);

// The analyses from the store's counts (rwe run --reduce store): `data` holds the
// attrition, the warnings and the columns without rows, `counts` one entry per analysis
// (store_derivation.hpp count_in_store). The same JSON as run_analyses gives on the rows.
nlohmann::json run_counted_analyses(const StudyData& data, const std::vector<StoreCounts>& counts, const Protocol& protocol,
                                    std::vector<std::string>& warnings);

// True when `kind` has a runner (every kind of analysis_kinds() must).
bool has_analysis_runner(const std::string& kind);

}  // namespace rwe::study

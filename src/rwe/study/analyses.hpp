#pragma once
// Runs the analyses a protocol lists on the derived study data and returns every number,
// labelled, as JSON (the `analyses` array of results.json; docs/protocols.md).

#include <nlohmann/json.hpp>

#include "rwe/study/analysis_data.hpp"
#include "rwe/study/protocol.hpp"

namespace rwe::study {

nlohmann::json run_analyses(const StudyData& data, const Protocol& protocol);

}  // namespace rwe::study
